"""Serving rows (serving.csv): predict output tokens/s, TTFT or TPOT of a published setup."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from gigawatt.catalog import Catalog
from gigawatt.errors import CatalogError
from gigawatt.perf.serving import (
    PRECISIONS,
    Software,
    get_software,
    predict_serving,
    software_for_source,
)
from gigawatt.perf.serving_disagg import predict_disaggregated
from gigawatt.perf.system import System, get_system
from gigawatt.validate.core import COMMON_RANGES, Range, Row, RowResult
from gigawatt.validate.model import MODEL_RANGES, model_from_row
from gigawatt.workload import TransformerModel

COLUMNS = frozenset({"input_len", "output_len", "gpu", "metric"})
METRICS = ("output_tokens_per_s", "ttft_s", "tpot_s")

# Allowed load and deployment values. Blank tp/pp are searched over the divisors of n_gpus,
# so n_gpus is bounded at 2^20 (a million GPUs serving one model); request lengths at 2^24
# tokens (above the longest published context, 10M); batch and concurrency at 2^24 requests.
MAX_GPUS = 2**20
RANGES: dict[str, Range] = {
    **COMMON_RANGES,
    **MODEL_RANGES,
    "n_gpus": Range(1, MAX_GPUS, integer=True),
    "tp": Range(1, MAX_GPUS, integer=True),
    "pp": Range(1, MAX_GPUS, integer=True),
    "input_len": Range(1, 2**24, integer=True),
    "output_len": Range(1, 2**24, integer=True),
    "batch": Range(1, 2**24, integer=True),
    "concurrency": Range(1, 2**24, integer=True),
    "prefix_hit_rate": Range(0, 1),
    "prefill_replicas": Range(1, MAX_GPUS, integer=True),
    "decode_replicas": Range(1, MAX_GPUS, integer=True),
}


def _software(row: Row, catalog: Catalog) -> Software:
    """The row's ``software`` column, else the engine its citation names."""
    sw_id = row.raw("software")
    if not sw_id:
        return software_for_source(row.raw("source"), catalog)
    if sw_id not in catalog.kind("serving_software"):
        known = ", ".join(sorted(catalog.kind("serving_software")))
        raise row.fail("software", f"{sw_id!r} unknown (allowed: {known})")
    return get_software(sw_id, catalog)


def _splits(
    row: Row, n_gpus: int, tp: int | None, pp: int | None, scale_up: int
) -> tuple[np.ndarray, np.ndarray]:
    """Candidate (tp, pp) of the row: the given ones, or every split fitting the domain.

    A blank degree is searched over every value whose replica (tp * pp GPUs) divides
    n_gpus: the GPUs left over serve as data-parallel replicas, as published deployments of
    a model that fits in fewer GPUs than the system has do (MLPerf Inference submissions run
    Llama 2 70B as several TP1-TP2 replicas per 8-GPU node)."""
    if tp is not None and pp is not None:
        return np.array([tp], np.float64), np.array([pp], np.float64)
    divisors = [d for d in range(1, n_gpus + 1) if n_gpus % d == 0]
    options = [
        (t_, p_)
        for t_ in ([tp] if tp else divisors)
        for p_ in ([pp] if pp else divisors)
        if t_ <= scale_up and n_gpus % (t_ * p_) == 0
    ]
    if not options:
        raise row.fail("tp", f"no tp/pp split of n_gpus={n_gpus} fits the scale-up domain")
    ts = np.array([o[0] for o in options], dtype=np.float64)
    ps = np.array([o[1] for o in options], dtype=np.float64)
    return ts, ps


@dataclass(frozen=True)
class _Deployment:
    """What a row deploys, whatever its layout: the model on its system and engine, the
    request lengths (in, out), the weight and KV precisions, its GPUs and prefix hit share."""

    model: TransformerModel
    system: System
    sw: Software
    lengths: tuple[int, int]
    precisions: tuple[str, str]
    n_gpus: int
    hit: float


def _disaggregated(
    row: Row, d: _Deployment, concurrency: int | None
) -> tuple[Any, np.ndarray, np.ndarray, np.ndarray]:
    """A row with ``prefill_replicas`` and ``decode_replicas``: units of that many replicas
    of one (tp, pp) layout (``perf.serving_disagg``), closed-loop ``concurrency`` shared by
    the n_gpus / unit GPUs' units. Returns (prediction, tps, pps, units)."""
    n_p, n_d = row.req_int("prefill_replicas"), row.req_int("decode_replicas")
    if concurrency is None:
        raise row.fail("concurrency", "a disaggregated row needs concurrency (closed loop)")
    if not d.sw.disaggregation:
        raise row.fail("software", f"{d.sw.name} has no prefill/decode disaggregation")
    tp, pp = row.int_("tp"), row.int_("pp")
    if d.n_gpus % (n_p + n_d):
        raise row.fail("n_gpus", f"{d.n_gpus} is not a multiple of the unit's {n_p + n_d} replicas")
    per_replica = d.n_gpus // (n_p + n_d)
    ts, ps = _splits(row, per_replica, tp, pp, d.system.scale_up_domain)
    units = per_replica / (ts * ps)
    res = predict_disaggregated(
        d.model, d.system, *d.lengths, ts, ps, *d.precisions, n_p, n_d,
        concurrency=np.maximum(concurrency / units, 1.0), software=d.sw, prefix_hit_rate=d.hit,
    )  # fmt: skip
    return res, ts, ps, units


def _row_system(row: Row, catalog: Catalog) -> System:
    """The row's ``gpu`` as a catalog system, failing on the ``gpu`` column."""
    gpu = row.raw("gpu")
    if gpu not in catalog.kind("accelerators"):
        known = ", ".join(sorted(catalog.kind("accelerators")))
        raise row.fail("gpu", f"{gpu!r} is not in the catalog (allowed: {known})")
    try:
        return get_system(gpu, catalog)
    except CatalogError as exc:
        raise row.fail("gpu", "; ".join(p.message for p in exc.problems)) from None


def _colocated(
    row: Row, d: _Deployment, batch: int | None, concurrency: int | None
) -> tuple[Any, np.ndarray, np.ndarray, np.ndarray]:
    """A co-located row: every (tp, pp) split of ``_splits``, the row's static ``batch`` or
    closed-loop ``concurrency`` shared by the n_gpus / (tp * pp) replicas. Returns
    (prediction, tps, pps, replicas)."""
    tp, pp = row.int_("tp"), row.int_("pp")
    ts, ps = _splits(row, d.n_gpus, tp, pp, d.system.scale_up_domain)
    if np.any(d.n_gpus % (ts * ps)):
        raise row.fail("n_gpus", f"{d.n_gpus} is not a multiple of tp*pp")
    replicas = d.n_gpus / (ts * ps)
    load: dict[str, Any] = (
        {"batch": np.maximum(batch / replicas, 1.0)}
        if batch is not None
        else {"concurrency": np.maximum(float(concurrency or 1) / replicas, 1.0)}
    )
    res = predict_serving(
        d.model, d.system, *d.lengths, ts, ps, *d.precisions, software=d.sw,
        prefix_hit_rate=d.hit, **load,
    )  # fmt: skip
    return res, ts, ps, replicas


def _best_split(
    row: Row, system: System, res: Any, ts: np.ndarray, ps: np.ndarray, replicas: np.ndarray
) -> tuple[int, dict[str, float]]:
    """(index of the fitting split with the most output tokens/s, its figures); fails on
    ``n_gpus`` when no split fits."""
    system_tps = res.tokens_per_s * replicas
    if not np.any(res.fits):
        need = res.memory_bytes["weights"][0] / 1e9
        raise row.fail(
            "n_gpus",
            f"the model does not fit: {need:.0f} GB of weights per GPU at tp={int(ts[0])}, "
            f"pp={int(ps[0])} on {system.memory_bytes / 1e9:.0f} GB (with its KV cache)",
        )
    i = int(np.argmax(np.where(res.fits, system_tps, -1.0)))
    return i, {
        "ttft_s": float(res.ttft_s[i]),
        "tpot_s": float(res.tpot_s[i]),
        "output_tokens_per_s": float(system_tps[i]),
        "running_batch": float(res.running_batch[i]),
        "max_batch": float(res.max_batch[i]),
        "replicas": float(replicas[i]),
        "weights_gb_per_gpu": float(res.memory_bytes["weights"][i] / 1e9),
    }


def validate_serving_row(row: Row, catalog: Catalog) -> RowResult:
    """Predict one serving.csv row.

    Blank ``tp``/``pp`` are chosen as the feasible split with the highest output tokens/s;
    GPUs beyond tp * pp serve as data-parallel replicas sharing the load. The engine is the
    row's ``software`` column, else the one its citation names (catalog/serving_software).
    An optional ``prefix_hit_rate`` column gives the share of each prompt served from the
    engine's prefix cache (blank: none); optional ``prefill_replicas`` and
    ``decode_replicas`` describe a disaggregated deployment (units of that many replicas,
    ``tp``/``pp`` per replica).
    """
    metric = row.raw("metric")
    if metric not in METRICS:
        raise row.fail("metric", f"{metric!r} not supported (allowed: {', '.join(METRICS)})")
    measured = row.req_float("value")
    tolerance = row.float_("tolerance", required=False)
    s_in = row.req_int("input_len")
    s_out = row.req_int("output_len")
    model = model_from_row(row, seq_len=s_in + s_out)
    system = _row_system(row, catalog)
    weights = row.choice("weights", PRECISIONS, "bf16") or "bf16"
    kv_cache = row.choice("kv_cache", PRECISIONS, weights) or weights
    batch = row.int_("batch")
    concurrency = row.int_("concurrency")
    if (batch is None) == (concurrency is None):
        raise row.fail("batch", "give exactly one of batch (static) or concurrency (closed loop)")
    sw = _software(row, catalog)
    tp, pp = row.int_("tp"), row.int_("pp")
    n_gpus = row.int_("n_gpus") or (tp or 1) * (pp or 1)
    hit = row.float_("prefix_hit_rate", required=False) or 0.0
    if hit > 0 and not sw.prefix_caching:
        raise row.fail("prefix_hit_rate", f"{sw.name} has no prefix cache (allowed: blank, 0)")
    d = _Deployment(model, system, sw, (s_in, s_out), (weights, kv_cache), n_gpus, hit)
    if row.raw("prefill_replicas") or row.raw("decode_replicas"):
        res, ts, ps, replicas = _disaggregated(row, d, concurrency)
    else:
        res, ts, ps, replicas = _colocated(row, d, batch, concurrency)
    i, detail = _best_split(row, system, res, ts, ps, replicas)
    chosen: dict[str, Any] = {}
    if tp is None:
        chosen["tp"] = int(ts[i])
    if pp is None:
        chosen["pp"] = int(ps[i])
    chosen["software"] = sw.id
    return RowResult(
        id=row.id,
        metric=metric,
        measured=measured,
        predicted=detail[metric],
        tolerance=tolerance,
        chosen=chosen,
        detail=detail,
    )
