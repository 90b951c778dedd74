"""Discrete-event simulation of one serving replica: arrivals, KV-cache admission and
continuous batching, for tail latency (p99 TTFT / TPOT) under bursty load.

The engine follows Orca-style iteration-level scheduling (Yu et al., OSDI 2022) as vLLM and
TensorRT-LLM implement it: at each iteration boundary waiting requests are admitted while a
KV-cache slot is free, their prompts are prefilled in that iteration (no chunking), and
every running sequence gains one token. The slots are the paged KV pool over a sequence's
mean resident tokens, as in the analytic model (``serving.kv_resident_tokens``: PagedAttention
allocates pages as tokens are produced, so a running sequence holds s_in + s_out / 2 on
average), provided the 90th-percentile sequence fits whole. A prefix-cache hit share
(``prefix_hit_rate``) shortens every prompt's prefill (``serving.prefill_tokens``).
Step and prefill times come from the analytic model (``serving.decode_step_time``,
``serving.prefill_time``) tabulated once, so both agree where both apply.

Speed: between two events (an arrival or a completion) the batch is constant, so the loop
jumps over whole runs of identical decode steps; the work is O(requests x log batch), about
10^6 requests in seconds on one core. Arrivals: closed loop (a new request when one ends),
Poisson, or bursty renewal arrivals with a squared coefficient of variation ``burst_cv2``
(gamma inter-arrival times; cv2 = 1 is Poisson).
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from gigawatt.errors import InputError, Problem
from gigawatt.perf.serving import (
    BYTES_PER_VALUE,
    COMPUTE_PRECISION,
    Software,
    _paged_cap,
    check_prefix_hit_rate,
    decode_step_time,
    get_software,
    memory_per_gpu,
    prefill_context,
    prefill_time,
    prefill_tokens,
)
from gigawatt.perf.system import System
from gigawatt.workload import TransformerModel

FloatArray = NDArray[np.float64]
Arrivals = Literal["closed", "poisson", "bursty"]
SLOT_SEQUENCE_PERCENTILE = 90.0  # this percentile of sequence length must fit whole


@dataclass
class SimResult:
    """Per-request latencies (seconds) and summary figures of one simulation."""

    ttft_s: FloatArray
    tpot_s: FloatArray  # mean time per output token after the first, per request
    finish_s: FloatArray
    tokens_per_s: float
    requests: int
    max_batch: int
    sim_time_s: float
    warmup: int = 0  # leading requests left out of the statistics (start-up transient)

    def summary(self) -> dict[str, Any]:
        ttft_all, tpot_all = self.ttft_s, self.tpot_s
        if self.warmup < self.requests // 2:
            ttft_all, tpot_all = ttft_all[self.warmup :], tpot_all[self.warmup :]
        ttft = ttft_all
        tp = tpot_all[np.isfinite(tpot_all)]
        return {
            "requests": self.requests,
            "tokens_per_s": self.tokens_per_s,
            "ttft_mean_s": float(np.mean(ttft)),
            "ttft_p50_s": float(np.percentile(ttft, 50)),
            "ttft_p99_s": float(np.percentile(ttft, 99)),
            "tpot_mean_s": float(np.mean(tp)) if tp.size else float("nan"),
            "tpot_p50_s": float(np.percentile(tp, 50)) if tp.size else float("nan"),
            "tpot_p99_s": float(np.percentile(tp, 99)) if tp.size else float("nan"),
            "max_batch": self.max_batch,
            "simulated_s": self.sim_time_s,
        }

    def __str__(self) -> str:
        s = self.summary()
        return (
            f"{s['requests']} requests: {s['tokens_per_s']:.0f} tok/s, TTFT p50/p99 "
            f"{s['ttft_p50_s'] * 1e3:.0f}/{s['ttft_p99_s'] * 1e3:.0f} ms, TPOT p50/p99 "
            f"{s['tpot_p50_s'] * 1e3:.1f}/{s['tpot_p99_s'] * 1e3:.1f} ms"
        )


@dataclass
class _Replica:
    """State of the simulated replica between events (lists, for speed in the event loop)."""

    cap: int
    td_table: list[float]  # decode step seconds by running batch (index 0 unused)
    fixed_s: float  # per-iteration overheads a prefill adds
    prefill_s: list[float]  # each request's own prompt
    arrive: list[float]
    out_len: list[int]
    closed: bool
    released: int  # requests whose arrival time is known (closed loop: clients released)
    first: list[float] = field(default_factory=list)
    finish: list[float] = field(default_factory=list)
    t: float = 0.0
    step: int = 0
    nxt: int = 0  # next request not yet arrived (closed loop: next request to release)
    done: int = 0
    waiting: deque[int] = field(default_factory=deque)
    running: list[tuple[int, int]] = field(default_factory=list)  # heap (finish step, request)
    admitted: list[int] = field(default_factory=list)


def _on_prefill(r: _Replica) -> None:
    """An iteration that prefills the admitted prompts while the running batch decodes."""
    r.t += r.td_table[len(r.running)] + r.fixed_s + sum(r.prefill_s[i] for i in r.admitted)
    r.step += 1
    for i in r.admitted:
        r.first[i] = r.t
        heapq.heappush(r.running, (r.step + r.out_len[i] - 1, i))


def _on_decode(r: _Replica) -> None:
    """A run of identical decode steps up to the next completion or arrival, whichever is
    first (the batch is constant in between)."""
    td = r.td_table[len(r.running)]
    n = r.running[0][0] - r.step
    a = r.arrive[r.nxt] if r.nxt < r.released else float("inf")
    if a < r.t + n * td:
        n = max(1, int(np.ceil((a - r.t) / td)))
    r.t += n * td
    r.step += n


def _on_idle(r: _Replica) -> None:
    """Nothing to run: jump to the next arrival."""
    r.t = r.arrive[r.nxt]


EVENT_HANDLERS: dict[str, Callable[[_Replica], None]] = {
    "prefill": _on_prefill,
    "decode": _on_decode,
    "idle": _on_idle,
}


def _next_event(r: _Replica) -> str:
    """Admit arrived requests while a KV slot is free; name the event that follows."""
    while r.nxt < r.released and r.arrive[r.nxt] <= r.t:
        r.waiting.append(r.nxt)
        r.nxt += 1
    r.admitted = []
    while r.waiting and len(r.running) + len(r.admitted) < r.cap:
        r.admitted.append(r.waiting.popleft())
    if r.admitted:
        return "prefill"
    return "decode" if r.running else "idle"


def _complete(r: _Replica) -> None:
    """Retire the sequences whose last token is out; a closed-loop client sends again."""
    while r.running and r.running[0][0] <= r.step:
        _, i = heapq.heappop(r.running)
        r.finish[i] = r.t
        r.done += 1
        if r.closed and r.released < len(r.arrive):
            r.arrive[r.released] = r.t
            r.released += 1


def run_events(r: _Replica) -> None:
    """The event core: pick the next event, run its handler, retire finished sequences."""
    n_requests = len(r.arrive)
    r.first = [0.0] * n_requests
    r.finish = [0.0] * n_requests
    while r.done < n_requests:
        EVENT_HANDLERS[_next_event(r)](r)
        _complete(r)


def _check_inputs(
    n_requests: int, arrivals: str, concurrency: int, rate_per_s: float, burst_cv2: float
) -> None:
    if n_requests < 1:
        raise InputError([Problem("<input>", "n_requests", "must be >= 1")])
    if arrivals not in ("closed", "poisson", "bursty"):
        raise InputError([Problem("<input>", "arrivals", "allowed: closed, poisson, bursty")])
    if arrivals == "closed" and concurrency < 1:
        raise InputError([Problem("<input>", "concurrency", "must be >= 1")])
    if arrivals != "closed" and not rate_per_s > 0:
        raise InputError([Problem("<input>", "rate_per_s", "must be > 0")])
    if burst_cv2 <= 0:
        raise InputError([Problem("<input>", "burst_cv2", "must be > 0")])


def _service_tables(
    model: TransformerModel,
    system: System,
    s_in: NDArray[np.int64],
    s_out: NDArray[np.int64],
    tp: int,
    pp: int,
    weights: str,
    kv: str,
    sw: Software,
    max_batch: int | None,
    hit: float = 0.0,
) -> tuple[int, list[float], float, list[float]]:
    """(KV-cache slots, decode step seconds by batch, per-iteration prefill overhead, each
    request's prefill seconds) from the analytic model, tabulated once. The KV slots are the
    paged pool at the mean resident tokens (``serving._paged_cap``) when the
    90th-percentile sequence (``SLOT_SEQUENCE_PERCENTILE``) fits whole."""
    wb, kvb = BYTES_PER_VALUE[weights], BYTES_PER_VALUE[kv]
    peak = system.peak(COMPUTE_PRECISION[weights])
    mean_ctx = float(np.mean(s_in) + np.mean(s_out) / 2.0)
    slot_tokens = float(np.percentile(s_in + s_out, SLOT_SEQUENCE_PERCENTILE))
    _, _, whole = memory_per_gpu(model, system, tp, pp, wb, kvb, slot_tokens, sw)
    one = np.ones(())
    paged = _paged_cap(
        model, system, tp * one, pp * one, wb * one, kvb * one, float(np.mean(s_in)) * one,
        float(np.mean(s_out)) * one, sw, one, whole, hit,
    )  # fmt: skip
    cap = int(max_batch if max_batch is not None else paged)
    if cap < 1:
        raise InputError(
            [Problem("<input>", "model", f"{model.name} does not fit on tp={tp} pp={pp}")]
        )
    batches = np.arange(1, cap + 1, dtype=np.float64)
    td_table = np.concatenate(
        [[0.0], decode_step_time(model, system, batches, mean_ctx, tp, pp, wb, kvb, peak, sw)]
    ).tolist()
    fixed = float(
        prefill_time(model, system, 1.0, 0.0, tp, pp, wb, peak, 1.0, sw)
        - prefill_time(model, system, 1.0, 0.0, tp, pp, wb, peak, 1.0, sw, overheads=False)
    )
    pf = (
        prefill_time(
            model, system, prefill_tokens(s_in, hit), prefill_context(s_in, hit), tp, pp, wb,
            peak, 1.0, sw, overheads=False,
        )
    ).tolist()  # fmt: skip
    return cap, td_table, fixed, pf


def _arrival_times(
    rng: np.random.Generator,
    n_requests: int,
    arrivals: Arrivals,
    concurrency: int,
    rate_per_s: float,
    burst_cv2: float,
    first_span_s: float,
) -> FloatArray:
    """Arrival times. Closed loop: the first ``concurrency`` clients start at random times
    over one request's service span ``first_span_s`` (so that completions, and the prompts
    that follow them, do not stay synchronised in waves), the rest when one ends (inf here).
    Open: exponential (Poisson) or gamma (bursty, squared CV ``burst_cv2``) gaps."""
    if arrivals == "closed":
        arrive = np.full(n_requests, np.inf)
        c0 = min(concurrency, n_requests)
        arrive[:c0] = np.sort(rng.uniform(0.0, first_span_s, c0))
        return arrive
    mean_gap = 1.0 / rate_per_s
    if arrivals == "poisson" or burst_cv2 == 1.0:
        gaps = rng.exponential(mean_gap, n_requests)
    else:
        shape = 1.0 / burst_cv2
        gaps = rng.gamma(shape, mean_gap / shape, n_requests)
    return np.asarray(np.cumsum(gaps), dtype=np.float64)


def simulate(
    model: TransformerModel,
    system: System,
    input_len: NDArray[Any] | int,
    output_len: NDArray[Any] | int,
    n_requests: int,
    tp: int = 1,
    pp: int = 1,
    weights: str = "bf16",
    kv_cache: str | None = None,
    arrivals: Arrivals = "closed",
    concurrency: int = 1,
    rate_per_s: float = 1.0,
    burst_cv2: float = 1.0,
    seed: int = 0,
    software: Software | str | None = None,
    max_batch: int | None = None,
    prefix_hit_rate: float = 0.0,
) -> SimResult:
    """Simulate ``n_requests`` requests through one replica (tp x pp GPUs).

    ``input_len`` / ``output_len``: one length for all, or an array of ``n_requests``
    lengths (e.g. drawn from a service's distributions). ``prefix_hit_rate``: the share of
    each prompt already in the prefix cache.
    """
    _check_inputs(n_requests, arrivals, concurrency, rate_per_s, burst_cv2)
    sw = software if isinstance(software, Software) else get_software(software)
    kv = kv_cache or weights
    for name, value in (("weights", weights), ("kv_cache", kv)):
        if value not in BYTES_PER_VALUE:
            raise InputError([Problem("<input>", name, f"{value!r} not allowed")])
    rng = np.random.default_rng(seed)
    s_in = np.broadcast_to(np.asarray(input_len, dtype=np.int64), (n_requests,)).copy()
    s_out = np.broadcast_to(np.asarray(output_len, dtype=np.int64), (n_requests,)).copy()
    if np.any(s_in < 1) or np.any(s_out < 1):
        raise InputError([Problem("<input>", "input_len/output_len", "must be >= 1")])
    hit = float(check_prefix_hit_rate(prefix_hit_rate))
    cap, td_table, fixed, pf = _service_tables(
        model, system, s_in, s_out, tp, pp, weights, kv, sw, max_batch, hit
    )
    c0 = min(concurrency, n_requests)
    span0 = float(np.mean(s_out)) * td_table[min(c0, cap)] + c0 * float(np.mean(pf))
    arrive = _arrival_times(rng, n_requests, arrivals, concurrency, rate_per_s, burst_cv2, span0)
    closed = arrivals == "closed"
    replica = _Replica(
        cap=cap,
        td_table=td_table,
        fixed_s=fixed,
        prefill_s=pf,
        arrive=arrive.tolist(),
        out_len=s_out.tolist(),
        closed=closed,
        released=c0 if closed else n_requests,
    )
    run_events(replica)
    if closed:
        replica.arrive[:c0] = sorted(arrive[:c0])
    return _result(replica, s_out, cap, 2 * c0 if closed else 0)


def _result(r: _Replica, s_out: NDArray[np.int64], cap: int, warmup: int) -> SimResult:
    """Per-request latencies and the replica's throughput over the simulated span."""
    first_a = np.asarray(r.first)
    finish_a = np.asarray(r.finish)
    arrive_a = np.asarray(r.arrive)
    with np.errstate(invalid="ignore", divide="ignore"):
        tpot = np.where(s_out > 1, (finish_a - first_a) / (s_out - 1), np.nan)
    span = float(np.max(finish_a) - np.min(arrive_a))
    return SimResult(
        ttft_s=first_a - arrive_a,
        tpot_s=tpot,
        finish_s=finish_a,
        tokens_per_s=float(np.sum(s_out) / span) if span > 0 else float("nan"),
        requests=len(r.arrive),
        max_batch=cap,
        sim_time_s=span,
        warmup=warmup,
    )


def _prefill_pool(arrive: FloatArray, pf: FloatArray, n_prefill: int) -> FloatArray:
    """First-token times of a prefill pool of ``n_prefill`` replicas, each request sent in
    arrival order to the replica that frees first, one prompt per pass."""
    free = [0.0] * n_prefill
    first = np.empty_like(arrive)
    for i in np.argsort(arrive, kind="stable").tolist():
        at = heapq.heappop(free)
        first[i] = max(at, float(arrive[i])) + float(pf[i])
        heapq.heappush(free, float(first[i]))
    return first


def simulate_disaggregated(
    model: TransformerModel,
    system: System,
    input_len: NDArray[Any] | int,
    output_len: NDArray[Any] | int,
    n_requests: int,
    rate_per_s: float,
    tp: int = 1,
    pp: int = 1,
    weights: str = "bf16",
    kv_cache: str | None = None,
    prefill_replicas: int = 1,
    decode_replicas: int = 1,
    burst_cv2: float = 1.0,
    seed: int = 0,
    software: Software | str | None = None,
    prefix_hit_rate: float = 0.0,
) -> SimResult:
    """Simulate a disaggregated unit (``perf.serving_disagg``) under open arrivals: a prefill
    pool returns each first token, the prompt's KV cache moves (``kv_transfer_time``) to a
    decode replica (round robin), which decodes the remaining tokens in continuous batches
    with no prefill (the replica engine above with zero prefill time)."""
    from gigawatt.perf.serving_disagg import kv_transfer_time

    arrivals: Arrivals = "poisson" if burst_cv2 == 1.0 else "bursty"
    _check_inputs(n_requests, arrivals, 1, rate_per_s, burst_cv2)
    if prefill_replicas < 1 or decode_replicas < 1:
        raise InputError([Problem("<input>", "prefill_replicas/decode_replicas", "must be >= 1")])
    sw = software if isinstance(software, Software) else get_software(software)
    kv = kv_cache or weights
    rng = np.random.default_rng(seed)
    s_in = np.broadcast_to(np.asarray(input_len, dtype=np.int64), (n_requests,)).copy()
    s_out = np.broadcast_to(np.asarray(output_len, dtype=np.int64), (n_requests,)).copy()
    if np.any(s_in < 1) or np.any(s_out < 2):
        raise InputError([Problem("<input>", "input_len/output_len", "must be >= 1 / >= 2")])
    hit = float(check_prefix_hit_rate(prefix_hit_rate))
    wb, kvb = BYTES_PER_VALUE[weights], BYTES_PER_VALUE[kv]
    peak = system.peak(COMPUTE_PRECISION[weights])
    pf = prefill_time(
        model, system, prefill_tokens(s_in, hit), prefill_context(s_in, hit), tp, pp, wb, peak,
        1.0, sw,
    )  # fmt: skip
    arrive = _arrival_times(rng, n_requests, arrivals, 1, rate_per_s, burst_cv2, 0.0)
    first = _prefill_pool(arrive, np.asarray(pf, np.float64), prefill_replicas)
    unit = (prefill_replicas + decode_replicas) * tp * pp
    ready = first + kv_transfer_time(model, system, s_in, tp, pp, kvb, unit)
    finish = np.empty(n_requests)
    cap, td_table, _, _ = _service_tables(model, system, s_in, s_out, tp, pp, weights, kv, sw, None)
    for d in range(decode_replicas):
        mine = np.flatnonzero(np.arange(n_requests) % decode_replicas == d)
        order = mine[np.argsort(ready[mine], kind="stable")]
        replica = _Replica(
            cap=cap,
            td_table=td_table,
            fixed_s=0.0,
            prefill_s=[0.0] * order.size,
            arrive=ready[order].tolist(),
            out_len=(s_out[order] - 1).tolist(),
            closed=False,
            released=order.size,
        )
        run_events(replica)
        finish[order] = replica.finish
    span = float(np.max(finish) - np.min(arrive))
    return SimResult(
        ttft_s=first - arrive,
        tpot_s=(finish - first) / (s_out - 1),
        finish_s=finish,
        tokens_per_s=float(np.sum(s_out) / span),
        requests=n_requests,
        max_batch=cap,
        sim_time_s=span,
    )
