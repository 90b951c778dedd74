"""Prefill/decode disaggregated serving: a prefill pool and a decode pool sized separately.

Co-located continuous batching makes every running sequence wait while new prompts are
prefilled (``serving._little_law``: TPOT = Td / (1 - X t_pf)), so a long-prompt service
cannot meet a tight TPOT and a tight TTFT with the same GPUs. Disaggregated serving runs the
prompts on prefill-only replicas and the decoding on decode-only replicas, and moves each
prompt's KV cache between them (DistServe, Zhong et al., OSDI 2024; Splitwise, Patel et al.,
ISCA 2024; Mooncake, Qin et al., FAST 2025; NVIDIA Dynamo, 2025). A serving *unit* here is
``prefill_replicas`` + ``decode_replicas`` replicas of one (tp, pp, ep) layout; the ratio is
the search's to choose.

- **Prefill pool**: each replica serves prompts one pass at a time, first come first served;
  a replica gets 1 / n_p of the requests, an M/D/1 queue (Pollaczek-Khinchine mean wait,
  Kingman tail). The prefill replica returns the first token (DistServe sec. 2), so
  TTFT = wait + prefill.
- **KV transfer**: each GPU of the prefill replica sends its shard of the prompt's KV cache
  to its peer in the decode replica, point to point over the scale-up fabric when the unit
  fits one scale-up domain, else over the scale-out NICs (``perf.comm.collective_time``,
  bandwidths and latencies from the system catalog); not overlapped with the prefill
  (conservative: DistServe and Splitwise pipeline it layer by layer). The second token waits
  for it, so it adds transfer / (out - 1) to the mean TPOT.
- **Decode pool**: decode-only continuous batching, no prefill interference: TPOT = Td(b)
  at the running batch b, which Little's law ties to the request rate:
  X = n_d b / ((out - 1) Td(b)). The batch is capped by the paged KV pool holding the whole
  prompt (``serving.kv_resident_tokens`` without prefix sharing: decode replicas receive
  full caches).

Solved by bisection on the decode batch b (X grows with b since Td(b) / b falls), so the
closed loop (``concurrency`` per unit) and open arrivals (``rate_per_s`` per unit) are each
one vectorised bisection. Prefix caching (``prefix_hit_rate``) acts on the prefill pool.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from gigawatt.errors import InputError, Problem
from gigawatt.perf.comm import collective_time
from gigawatt.perf.serving import (
    MAX_PREFILL_UTILISATION,
    P99_TAIL,
    ServingBatch,
    Software,
    _kingman_wait_quantile,
    _Replica,
    bisect_increasing,
    gpus_per_replica,
    kv_bytes_per_token_per_gpu,
    kv_resident_tokens,
    memory_per_gpu,
    prefill_queue_wait,
    replica_inputs,
)
from gigawatt.perf.system import System
from gigawatt.workload import TransformerModel

FloatArray = NDArray[np.float64]
BATCH_BISECTIONS = 48  # halvings of [0, cap] for the decode batch (to ~cap / 2^48)
MIN_DECODE_BATCH = 1e-9  # the decode batch's lower bracket (an idle pool)


def kv_transfer_time(
    model: TransformerModel,
    system: System,
    input_len: ArrayLike,
    tp: ArrayLike,
    pp: ArrayLike,
    kv_bytes: ArrayLike,
    unit_gpus: ArrayLike,
) -> FloatArray:
    """Seconds to move one prompt's KV cache from its prefill replica to a decode replica.

    Every GPU of the prefill replica holds the KV of its layers (1 / pp) and heads
    (``serving.kv_shards``) and sends it to its peer at the same time: bytes per GPU / link
    bandwidth + latency, over the scale-up fabric when the whole unit (``unit_gpus``) fits
    one scale-up domain, else over the scale-out network."""
    per_gpu = np.asarray(input_len, np.float64) * kv_bytes_per_token_per_gpu(
        model, tp, pp, kv_bytes
    )
    domain = float(system.scale_up_domain)
    stride = np.where(np.asarray(unit_gpus, np.float64) <= domain, 1.0, domain)
    return collective_time("p2p", per_gpu, 2.0, stride, system)


def _check_pools(n_p: FloatArray, n_d: FloatArray, s_out: FloatArray) -> None:
    for name, arr in (("prefill_replicas", n_p), ("decode_replicas", n_d)):
        if np.any(~np.isfinite(arr)) or np.any(arr < 1.0):
            raise InputError([Problem("<input>", name, "must be finite and >= 1")])
    if np.any(s_out < 2.0):
        raise InputError(
            [Problem("<input>", "output_len", "must be >= 2: a decode pool needs tokens to make")]
        )


def _decode_rate(
    b: FloatArray, n_d: FloatArray, dec_tokens: FloatArray, step: Any
) -> tuple[FloatArray, FloatArray]:
    """(requests/s the decode pool carries, decode step) at a running batch ``b`` per replica:
    Little's law over the (out - 1) steps each request decodes."""
    td = np.asarray(step(np.maximum(b, 1.0)), dtype=np.float64)
    return np.asarray(n_d * b / (dec_tokens * td), np.float64), td


def _bisect_batch(lo: FloatArray, hi: FloatArray, too_big: Any) -> FloatArray:
    """The decode batch in [lo, hi] where the increasing test ``too_big(b)`` turns true."""
    return bisect_increasing(lo, hi, too_big, BATCH_BISECTIONS)


@dataclass(frozen=True)
class _Unit:
    """One disaggregated unit's pools at the result shape: the replica layout ``r`` (its
    decode step and prefill are the co-located model's, ``serving._Replica``), the pool
    sizes, one prompt's prefill ``t_pf``, the KV transfer ``t_x`` and the decode steps per
    request ``dec`` (out - 1)."""

    r: _Replica
    n_p: FloatArray
    n_d: FloatArray
    t_pf: FloatArray
    t_x: FloatArray
    dec: FloatArray

    def decode(self, b: FloatArray) -> tuple[FloatArray, FloatArray]:
        """(requests/s the decode pool carries, decode step) at ``b`` sequences per replica."""
        return _decode_rate(b, self.n_d, self.dec, self.r.decode_step)

    def prefill_latency(self, X: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """(mean TTFT, p99 TTFT, utilisation) of the prefill pool at ``X`` requests/s: each
        of its ``n_p`` replicas an M/D/1 queue at 1 / n_p of the rate, its tail Kingman's."""
        rho, W = prefill_queue_wait(X * self.t_pf / self.n_p, self.t_pf)
        return self.t_pf + W, self.t_pf + _kingman_wait_quantile(W, rho, P99_TAIL), rho


def _unit(r: _Replica, n_p: FloatArray, n_d: FloatArray, n_gpus: FloatArray) -> _Unit:
    """The unit's pools: one prompt's prefill (prefix cache acting) and its KV transfer."""
    t_x = r.full(kv_transfer_time(r.model, r.system, r.s_in, r.t, r.p, r.kvb, n_gpus))
    return _Unit(r, r.full(n_p), r.full(n_d), r.prefill(r.new_in, 1.0), t_x, r.full(r.s_out - 1.0))


def _unit_memory(r: _Replica) -> tuple[dict[str, FloatArray], NDArray[np.bool_], FloatArray]:
    """(memory per GPU, fits, decode batch cap): a unit fits when a whole sequence's KV does;
    the decode pool's paged cache holds the full prompt (no prefix sharing: decode replicas
    receive whole caches)."""
    args = (r.model, r.system, r.t, r.p, r.wb, r.kvb)
    mem, _, whole_cap = memory_per_gpu(*args, r.s_in + r.s_out, r.sw, r.e)
    _, _, paged_cap = memory_per_gpu(*args, kv_resident_tokens(r.s_in, r.s_out), r.sw, r.e)
    fits = r.full(whole_cap) >= 1.0
    cap = np.maximum(r.full(np.where(fits, np.maximum(paged_cap, whole_cap), 0.0)), 1.0)
    return mem, fits, cap


def _decode_batch(u: _Unit, cap: FloatArray, load: FloatArray, closed: bool) -> FloatArray:
    """The decode batch per replica that carries the load: first the largest the prefill
    pool can feed (at ``MAX_PREFILL_UTILISATION``), then the one where the closed loop's
    requests in flight (Little's law over prefill, transfer and decode) or the decode rate
    reaches ``load``."""
    lo = np.full(u.r.shape, MIN_DECODE_BATCH)
    x_prefill = u.n_p * MAX_PREFILL_UTILISATION / u.t_pf
    hi = np.minimum(cap, _bisect_batch(lo, cap, lambda b: u.decode(b)[0] > x_prefill))
    if not closed:
        return _bisect_batch(lo, hi, lambda b: u.decode(b)[0] > load)

    def in_flight(b: FloatArray) -> FloatArray:
        X, td = u.decode(b)
        return X * (u.prefill_latency(X)[0] + u.t_x + u.dec * td)

    return _bisect_batch(lo, hi, lambda b: in_flight(b) > load)


def predict_disaggregated(
    model: TransformerModel,
    system: System,
    input_len: ArrayLike,
    output_len: ArrayLike,
    tp: ArrayLike = 1,
    pp: ArrayLike = 1,
    weights: str | Sequence[str] | NDArray[Any] = "bf16",
    kv_cache: str | Sequence[str] | NDArray[Any] | None = None,
    prefill_replicas: ArrayLike = 1,
    decode_replicas: ArrayLike = 1,
    concurrency: ArrayLike | None = None,
    rate_per_s: ArrayLike | None = None,
    software: Software | str | None = None,
    ep: ArrayLike = 1,
    prefix_hit_rate: ArrayLike = 0.0,
) -> ServingBatch:
    """Throughput and latency of one disaggregated unit (``prefill_replicas`` +
    ``decode_replicas`` replicas of the (tp, pp, ep) layout) under ``concurrency`` requests in
    flight (closed loop) or ``rate_per_s`` Poisson arrivals, both per unit; arrays broadcast.

    ``running_batch`` and ``max_batch`` are per decode replica, ``prefill_s`` one prompt's
    prefill, ``decode_step_s`` the decode step; ``n_gpus`` counts both pools."""
    if (concurrency is None) == (rate_per_s is None):
        raise InputError(
            [Problem("<input>", "load", "give exactly one of concurrency, rate_per_s")]
        )
    closed = rate_per_s is None
    n_p, n_d = np.asarray(prefill_replicas, np.float64), np.asarray(decode_replicas, np.float64)
    load_in = np.asarray(concurrency if closed else rate_per_s, np.float64)
    r = replica_inputs(
        model, system, input_len, output_len, tp, pp, weights, kv_cache, software, ep,
        prefix_hit_rate, (n_p, n_d, load_in),
    )  # fmt: skip
    _check_pools(n_p, n_d, r.s_out)
    if np.any(~(load_in > 0.0)):
        name = "concurrency" if closed else "rate_per_s"
        raise InputError([Problem("<input>", name, "must be > 0")])
    mem, fits, cap = _unit_memory(r)
    n_gpus = r.full((n_p + n_d) * gpus_per_replica(r.t, r.p, r.e))
    u = _unit(r, n_p, n_d, n_gpus)
    load = r.full(load_in)
    b = _decode_batch(u, cap, load, closed)
    X, td = u.decode(b)
    ttft, ttft99, rho = u.prefill_latency(X)
    tpot = td + u.t_x / u.dec
    stable = np.ones(r.shape, dtype=bool)
    if closed:
        queue_wait = np.maximum(load / X - (ttft + u.dec * tpot), 0.0)  # clients beyond the unit
        ttft, ttft99 = ttft + queue_wait, ttft99 + queue_wait
    else:
        stable = load <= X * (1.0 + 1e-6)
    out = u.dec + 1.0
    return ServingBatch(
        tokens_per_s=X * out,
        tokens_per_s_per_gpu=X * out / n_gpus,
        requests_per_s=X,
        ttft_s=ttft,
        ttft_p50_s=ttft,
        ttft_p99_s=ttft99,
        tpot_s=tpot,
        tpot_p50_s=tpot,
        tpot_p99_s=tpot,
        running_batch=b,
        max_batch=cap,
        fits=fits,
        stable=np.asarray(stable & (rho < MAX_PREFILL_UTILISATION), dtype=bool),
        prefill_s=u.t_pf,
        decode_step_s=td,
        n_gpus=n_gpus,
        memory_bytes={k: r.full(v) for k, v in mem.items()},
    )
