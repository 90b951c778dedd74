"""Serving rows (serving.csv): predict output tokens/s, TTFT or TPOT of a published setup."""

from __future__ import annotations

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
from gigawatt.perf.system import get_system
from gigawatt.validate.core import COMMON_RANGES, Range, Row, RowResult
from gigawatt.validate.model import MODEL_RANGES, model_from_row

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


def validate_serving_row(row: Row, catalog: Catalog) -> RowResult:
    """Predict one serving.csv row.

    Blank ``tp``/``pp`` are chosen as the feasible split with the highest output tokens/s;
    GPUs beyond tp * pp serve as data-parallel replicas sharing the load. The engine is the
    row's ``software`` column, else the one its citation names (catalog/serving_software).
    An optional ``prefix_hit_rate`` column gives the share of each prompt served from the
    engine's prefix cache (blank: none).
    """
    metric = row.raw("metric")
    if metric not in METRICS:
        raise row.fail("metric", f"{metric!r} not supported (allowed: {', '.join(METRICS)})")
    measured = row.req_float("value")
    tolerance = row.float_("tolerance", required=False)
    s_in = row.req_int("input_len")
    s_out = row.req_int("output_len")
    model = model_from_row(row, seq_len=s_in + s_out)
    gpu = row.raw("gpu")
    if gpu not in catalog.kind("accelerators"):
        known = ", ".join(sorted(catalog.kind("accelerators")))
        raise row.fail("gpu", f"{gpu!r} is not in the catalog (allowed: {known})")
    try:
        system = get_system(gpu, catalog)
    except CatalogError as exc:
        raise row.fail("gpu", "; ".join(p.message for p in exc.problems)) from None
    weights = row.choice("weights", PRECISIONS, "bf16") or "bf16"
    kv_cache = row.choice("kv_cache", PRECISIONS, weights) or weights
    batch = row.int_("batch")
    concurrency = row.int_("concurrency")
    if (batch is None) == (concurrency is None):
        raise row.fail("batch", "give exactly one of batch (static) or concurrency (closed loop)")
    sw = _software(row, catalog)
    tp, pp = row.int_("tp"), row.int_("pp")
    n_gpus = row.int_("n_gpus") or (tp or 1) * (pp or 1)
    ts, ps = _splits(row, n_gpus, tp, pp, system.scale_up_domain)
    if np.any(n_gpus % (ts * ps)):
        raise row.fail("n_gpus", f"{n_gpus} is not a multiple of tp*pp")
    replicas = n_gpus / (ts * ps)
    load: dict[str, Any] = (
        {"batch": np.maximum(batch / replicas, 1.0)}
        if batch is not None
        else {"concurrency": np.maximum(float(concurrency or 1) / replicas, 1.0)}
    )
    hit = row.float_("prefix_hit_rate", required=False) or 0.0
    res = predict_serving(
        model, system, s_in, s_out, ts, ps, weights, kv_cache, software=sw, prefix_hit_rate=hit,
        **load,
    )  # fmt: skip
    system_tps = res.tokens_per_s * replicas
    if not np.any(res.fits):
        need = res.memory_bytes["weights"][0] / 1e9
        raise row.fail(
            "n_gpus",
            f"the model does not fit: {need:.0f} GB of weights per GPU at tp={int(ts[0])}, "
            f"pp={int(ps[0])} on {system.memory_bytes / 1e9:.0f} GB (with its KV cache)",
        )
    i = int(np.argmax(np.where(res.fits, system_tps, -1.0)))
    chosen: dict[str, Any] = {}
    if tp is None:
        chosen["tp"] = int(ts[i])
    if pp is None:
        chosen["pp"] = int(ps[i])
    chosen["software"] = sw.id
    detail = {
        "ttft_s": float(res.ttft_s[i]),
        "tpot_s": float(res.tpot_s[i]),
        "output_tokens_per_s": float(system_tps[i]),
        "running_batch": float(res.running_batch[i]),
        "max_batch": float(res.max_batch[i]),
        "replicas": float(replicas[i]),
        "weights_gb_per_gpu": float(res.memory_bytes["weights"][i] / 1e9),
    }
    return RowResult(
        id=row.id,
        metric=metric,
        measured=measured,
        predicted=detail[metric],
        tolerance=tolerance,
        chosen=chosen,
        detail=detail,
    )
