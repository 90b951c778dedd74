"""Discrete-event simulation of one serving replica: arrivals, KV-cache admission and
continuous batching, for tail latency (p99 TTFT / TPOT) under bursty load.

The engine follows Orca-style iteration-level scheduling (Yu et al., OSDI 2022) as vLLM and
TensorRT-LLM implement it: at each iteration boundary waiting requests are admitted while a
KV-cache slot is free (``max_batch`` from ``serving.memory_per_gpu``), their prompts are
prefilled in that iteration (no chunking), and every running sequence gains one token.
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
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from gigawatt.errors import InputError, Problem
from gigawatt.perf.serving import (
    BYTES_PER_VALUE,
    COMPUTE_PRECISION,
    Software,
    decode_step_time,
    get_software,
    memory_per_gpu,
    prefill_time,
)
from gigawatt.perf.system import System
from gigawatt.workload import TransformerModel

FloatArray = NDArray[np.float64]
Arrivals = Literal["closed", "poisson", "bursty"]


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
) -> SimResult:
    """Simulate ``n_requests`` requests through one replica (tp x pp GPUs).

    ``input_len`` / ``output_len``: one length for all, or an array of ``n_requests``
    lengths (e.g. drawn from a service's distributions).
    """
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
    sw = software if isinstance(software, Software) else get_software(software)
    kv = kv_cache or weights
    for name, value in (("weights", weights), ("kv_cache", kv)):
        if value not in BYTES_PER_VALUE:
            raise InputError([Problem("<input>", name, f"{value!r} not allowed")])
    wb, kvb = BYTES_PER_VALUE[weights], BYTES_PER_VALUE[kv]
    peak = system.peak(COMPUTE_PRECISION[weights])
    rng = np.random.default_rng(seed)
    s_in = np.broadcast_to(np.asarray(input_len, dtype=np.int64), (n_requests,)).copy()
    s_out = np.broadcast_to(np.asarray(output_len, dtype=np.int64), (n_requests,)).copy()
    if np.any(s_in < 1) or np.any(s_out < 1):
        raise InputError([Problem("<input>", "input_len/output_len", "must be >= 1")])

    mean_ctx = float(np.mean(s_in) + np.mean(s_out) / 2.0)
    _, _, cap_arr = memory_per_gpu(
        model, system, tp, pp, wb, kvb, float(np.percentile(s_in + s_out, 90)), sw
    )
    cap = int(max_batch if max_batch is not None else cap_arr)
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
        prefill_time(model, system, s_in, s_in / 2.0, tp, pp, wb, peak, 1.0, sw, overheads=False)
    ).tolist()

    if arrivals == "closed":
        # clients start at random times over one request's service span, so that completions
        # (and the prompts that follow them) do not stay synchronised in waves
        arrive = np.full(n_requests, np.inf)
        c0 = min(concurrency, n_requests)
        span0 = float(np.mean(s_out)) * td_table[min(c0, cap)] + c0 * float(np.mean(pf))
        arrive[:c0] = np.sort(rng.uniform(0.0, span0, c0))
    else:
        mean_gap = 1.0 / rate_per_s
        if arrivals == "poisson" or burst_cv2 == 1.0:
            gaps = rng.exponential(mean_gap, n_requests)
        else:
            shape = 1.0 / burst_cv2
            gaps = rng.gamma(shape, mean_gap / shape, n_requests)
        arrive = np.cumsum(gaps)
    arrive_l = arrive.tolist()
    out_l = s_out.tolist()
    first = [0.0] * n_requests
    finish = [0.0] * n_requests

    t = 0.0
    step = 0
    nxt = 0  # next request not yet arrived (closed loop: next request to release)
    released = min(concurrency, n_requests) if arrivals == "closed" else n_requests
    waiting: deque[int] = deque()
    running: list[tuple[int, int]] = []  # heap of (finish step, request)
    done = 0
    inf = float("inf")
    while done < n_requests:
        while nxt < released and arrive_l[nxt] <= t:
            waiting.append(nxt)
            nxt += 1
        admitted: list[int] = []
        while waiting and len(running) + len(admitted) < cap:
            admitted.append(waiting.popleft())
        if admitted:
            dt = td_table[len(running)] + fixed + sum(pf[i] for i in admitted)
            t += dt
            step += 1
            for i in admitted:
                first[i] = t
                heapq.heappush(running, (step + out_l[i] - 1, i))
        elif running:
            td = td_table[len(running)]
            n = running[0][0] - step
            a = arrive_l[nxt] if nxt < released else inf
            if a < t + n * td:
                n = max(1, int(np.ceil((a - t) / td)))
            t += n * td
            step += n
        else:
            t = arrive_l[nxt]
            continue
        while running and running[0][0] <= step:
            _, i = heapq.heappop(running)
            finish[i] = t
            done += 1
            if arrivals == "closed" and released < n_requests:
                arrive_l[released] = t
                released += 1
    if arrivals == "closed":
        arrive_l[: min(concurrency, n_requests)] = sorted(arrive[: min(concurrency, n_requests)])
    first_a = np.asarray(first)
    finish_a = np.asarray(finish)
    arrive_a = np.asarray(arrive_l)
    ttft = first_a - arrive_a
    with np.errstate(invalid="ignore", divide="ignore"):
        tpot = np.where(s_out > 1, (finish_a - first_a) / (s_out - 1), np.nan)
    span = float(np.max(finish_a) - np.min(arrive_a))
    return SimResult(
        ttft_s=ttft,
        tpot_s=tpot,
        finish_s=finish_a,
        tokens_per_s=float(np.sum(s_out) / span) if span > 0 else float("nan"),
        requests=n_requests,
        max_batch=cap,
        sim_time_s=span,
        warmup=2 * min(concurrency, n_requests) if arrivals == "closed" else 0,
    )
