"""Training rows (training.csv): predict the step time; blank execution fields are chosen by
the plan search, and the choice is reported."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from gigawatt.catalog import Catalog
from gigawatt.perf.execution import ATTENTION_CODES, RECOMPUTE_CODES
from gigawatt.perf.search import search
from gigawatt.perf.system import PIPELINE_SPLITS, System, get_system
from gigawatt.perf.training import ACT_BYTES, FP32_BYTES
from gigawatt.validate.core import COMMON_RANGES, Range, Row, RowResult
from gigawatt.validate.model import MODEL_RANGES, model_from_row

COLUMNS = frozenset({"n_layers", "d_model", "n_heads", "gpu", "n_gpus", "global_batch", "metric"})

# Allowed execution values. 2^24 GPUs is 8x the largest cluster the sweeps span (2^21); a
# global batch of 2^22 sequences is ~1000x the largest published (Llama 3: 2,048 x 8k tokens).
# The search enumerates divisors of n_gpus and of global_batch / dp, so these bounds also
# keep its work small.
MAX_GPUS = 2**24
RANGES: dict[str, Range] = {
    **COMMON_RANGES,
    **MODEL_RANGES,
    "n_gpus": Range(1, MAX_GPUS, integer=True),
    "global_batch": Range(1, 2**22, integer=True),
    "micro_batch": Range(1, 2**22, integer=True),
    "tp": Range(1, MAX_GPUS, integer=True),
    "pp": Range(1, MAX_GPUS, integer=True),
    "dp": Range(1, MAX_GPUS, integer=True),
    "cp": Range(1, MAX_GPUS, integer=True),
    "ep": Range(1, MAX_GPUS, integer=True),
    "vpp": Range(1, MODEL_RANGES["n_layers"].high, integer=True),
    "zero": Range(0, 3, integer=True),
    # busiest expert's tokens / mean: 1 (forced balance) up to every token on one expert is
    # beyond any router; 4x is ~3x the worst aux-loss-balanced imbalance published (1.4)
    "moe_load_imbalance": Range(1.0, 4.0),
}
# zero: the published sharding (0 none, 1 distributed optimizer, 2 also gradients -- FSDP
# SHARD_GRAD_OP --, 3 also parameters -- FSDP FULL_SHARD, Megatron-FSDP)
EXECUTION_FIELDS = ("tp", "pp", "dp", "cp", "ep", "vpp", "micro_batch", "zero")
# reported, in this order, when the search chose them
CHOSEN_KEYS: tuple[str, ...] = ("vpp", "micro_batch", "recompute", "sequence_parallel", "zero")
CHOSEN_KEYS += ("tp", "pp", "dp", "cp", "ep")
# the attention kernel a row's software used (blank: the family's baseline, see efficiency.yaml)
ATTENTION_KERNELS = tuple(ATTENTION_CODES)
# MoE token dispatchers: `alltoall` sends one copy per routed expert; `flex` (Megatron-Core
# flex dispatcher with the DeepEP / HybridEP backends) one per remote scale-up domain
MOE_DISPATCHERS = ("alltoall", "flex")
# optimizer step: `fused` (one multi-tensor Adam kernel: Megatron-LM, NeMo, Megatron-Bridge) or
# `per_tensor` (PyTorch single-tensor AdamW kernels, e.g. Composer's DecoupledAdamW)
OPTIMIZERS = ("fused", "per_tensor")
# data-parallel gradient reduction: `fp32` (the default: Megatron-LM, PyTorch FSDP's float32
# reduce_dtype) or `bf16` (grad_reduce_in_fp32 False: NeMo 2.0 performance scripts since
# 2025-01, Megatron-Bridge performance recipes); FP16 runs reduce in FP16 (FP16_GRAD_BYTES)
GRAD_REDUCES = {"fp32": FP32_BYTES, "bf16": ACT_BYTES}


def _software(row: Row, system: System) -> System:
    """The system with the MoE software a row publishes in place of the family defaults:
    ``moe_load_imbalance`` (1.0 for benchmarks that force-balance the router,
    Megatron-Core --moe-router-force-load-balancing), ``ep_overlap`` (1F1B all-to-all overlap,
    --overlap-moe-expert-parallel-comm), ``moe_dispatcher``, ``optimizer``,
    ``pipeline_split``, ``grad_reduce`` and ``dp_overlap`` (the data-parallel gradient
    reduction runs under the last backward: PyTorch DDP's bucketed all-reduce, Megatron-Core
    overlap_grad_reduce; false: after the pipeline flush, Megatron-LM's 2021 local DDP)."""
    eff = system.efficiency
    imbalance = row.float_("moe_load_imbalance", required=False)
    if imbalance is not None:
        eff = replace(eff, moe_load_imbalance=imbalance)
    overlap = row.bool_("ep_overlap")
    if overlap is not None:
        eff = replace(eff, ep_overlap_share=1.0 if overlap else 0.0)
    dp_overlap = row.bool_("dp_overlap")
    if dp_overlap is not None:
        eff = replace(eff, dp_overlap_share=1.0 if dp_overlap else 0.0)
    dispatcher = row.choice("moe_dispatcher", MOE_DISPATCHERS)
    if dispatcher is not None:
        eff = replace(eff, ep_dispatch_dedup_share=1.0 if dispatcher == "flex" else 0.0)
    optimizer = row.choice("optimizer", OPTIMIZERS)
    if optimizer is not None:
        eff = replace(eff, per_tensor_optimizer=optimizer == "per_tensor")
    split = row.choice("pipeline_split", PIPELINE_SPLITS)
    if split is not None:
        eff = replace(eff, uniform_pipeline_split=split == "uniform")
    reduce = row.choice("grad_reduce", tuple(GRAD_REDUCES))
    if reduce is not None:
        eff = replace(eff, grad_reduce_bytes=GRAD_REDUCES[reduce])
    return system if eff is system.efficiency else system.with_(efficiency=eff)


def _fixed(row: Row) -> dict[str, Any]:
    """The execution fields the row publishes (the search chooses the others)."""
    fixed: dict[str, Any] = {}
    for name in EXECUTION_FIELDS:
        value = row.int_(name)
        if value is not None:
            fixed[name] = value
    rec = row.choice("recompute", tuple(RECOMPUTE_CODES))
    if rec is not None:
        fixed["recompute"] = rec
    sp = row.bool_("sequence_parallel")
    if sp is not None:
        fixed["sequence_parallel"] = sp
    attention = row.choice("attention", ATTENTION_KERNELS)
    if attention is not None:
        fixed["attention"] = attention
    return fixed


def stack_columns(source: str, catalog: Catalog) -> dict[str, str]:
    """Column values of the training stack a citation names (catalog training_software,
    longest ``match`` fragment wins; none: {})."""
    entry = catalog.named_by("training_software", source)
    columns = (entry.get("columns", {}) or {}) if entry is not None else {}
    return {str(k): str(v) for k, v in columns.items()}


def with_stack_defaults(row: Row, catalog: Catalog) -> Row:
    """The row with its stack's column values where the row leaves them blank: a published
    benchmark's software, which the reference format cannot state, follows from its source."""
    defaults = stack_columns(row.raw("source"), catalog)
    if not defaults:
        return row
    data = {**defaults, **{k: v for k, v in row.data.items() if v is not None and v.strip()}}
    return Row(row.file, row.line, data, row.ranges)


def validate_training_row(row: Row, catalog: Catalog) -> RowResult:
    """Predict the step time of one training.csv row; blanks chosen by the search, or taken
    from the training stack its citation names (``with_stack_defaults``)."""
    row = with_stack_defaults(row, catalog)
    metric = row.raw("metric")
    measured = row.req_float("value")
    tolerance = row.float_("tolerance", required=False)
    if metric != "step_time_s":
        raise row.fail("metric", f"{metric!r} not supported (allowed: step_time_s)")
    model = model_from_row(row)
    gpu = row.raw("gpu")
    if gpu not in catalog.kind("accelerators"):
        known = ", ".join(sorted(catalog.kind("accelerators")))
        raise row.fail("gpu", f"{gpu!r} is not in the catalog (allowed: {known})")
    system = _software(row, get_system(gpu, catalog))
    n_gpus = row.req_int("n_gpus")
    global_batch = row.req_int("global_batch")
    precision = row.choice("precision", ("bf16", "fp16", "fp8"), "bf16") or "bf16"
    fixed = _fixed(row)
    product = 1
    for name in ("tp", "pp", "dp", "cp"):
        product *= int(fixed.get(name, 1))
    if all(k in fixed for k in ("tp", "pp", "dp")) and product != n_gpus:
        raise row.fail("n_gpus", f"{n_gpus} != tp*pp*dp*cp = {product}")
    result = search(model, system, n_gpus, global_batch, model.seq_len, precision, fixed)
    best = result.best()
    plan = best.plan.to_dict()
    return RowResult(
        id=row.id,
        metric=metric,
        measured=measured,
        predicted=best.step_time_s,
        tolerance=tolerance,
        chosen={k: plan[k] for k in CHOSEN_KEYS if k not in fixed},
        detail={
            "plan": str(best.plan),
            "mfu": best.mfu,
            "memory_gb": best.memory_total_bytes / 1e9,
            "feasible_plans": result.feasible,
        },
    )
