"""Memory mechanisms that decide whether a published run is called feasible."""

from __future__ import annotations

from dataclasses import replace

from gigawatt.catalog import load_catalog
from gigawatt.perf.execution import ExecutionPlan
from gigawatt.perf.search import search
from gigawatt.perf.system import get_system
from gigawatt.perf.training import predict_training
from gigawatt.workload import TransformerModel

# MosaicML MPT shapes (llm-foundry yamls): GELU FFN of 4 d_model, no dropout
MPT_7B = TransformerModel(
    name="MPT 7B", n_layers=32, d_model=4096, n_heads=32, d_ff=16384, ffn="gelu",
    vocab_size=50368, seq_len=2048, dropout=False,
)  # fmt: skip
MPT_30B = TransformerModel(
    name="MPT 30B", n_layers=48, d_model=7168, n_heads=64, d_ff=28672, ffn="gelu",
    vocab_size=50368, seq_len=2048, dropout=False,
)  # fmt: skip
LLAMA_405B = TransformerModel(
    name="Llama 3.1 405B", n_layers=126, d_model=16384, n_heads=128, n_kv_heads=8,
    d_ff=53248, ffn="swiglu", vocab_size=128256, seq_len=8192, dropout=False,
)  # fmt: skip


def test_fully_sharded_30b_fits_on_eight_h100() -> None:
    """llm-foundry trained MPT 30B on 8 H100 80GB with FSDP and activation checkpointing."""
    plan = ExecutionPlan(dp=8, micro_batch=3, global_batch=504, recompute="full", zero=3)
    est = predict_training(MPT_30B, get_system("h100-sxm", load_catalog()), plan)
    assert est.fits
    assert est.memory_bytes["weights"] < est.memory_bytes["optimizer"] / 10


def test_context_parallel_ranks_share_the_optimizer_shard() -> None:
    system = get_system("b200", load_catalog())
    base = dict(tp=4, pp=8, dp=2, vpp=8, micro_batch=1, global_batch=64, zero=2, precision="fp8")
    base["sequence_parallel"] = True
    with_cp = predict_training(LLAMA_405B, system, ExecutionPlan(cp=2, **base))  # type: ignore[arg-type]
    without = predict_training(LLAMA_405B, system, ExecutionPlan(cp=1, **base))  # type: ignore[arg-type]
    assert with_cp.memory_bytes["optimizer"] < without.memory_bytes["optimizer"]
    assert with_cp.fits  # Megatron-Bridge 25.11 ran this plan (tp4 pp8 cp2 vp8) on 128 B200


def test_ampere_search_falls_back_to_fused_attention() -> None:
    """Unfused attention cannot hold MPT 7B at micro-batch 6 without recompute on an A100
    80GB; the run used FlashAttention, and the search finds it instead of refusing."""
    fixed = {"tp": 1, "pp": 1, "dp": 8, "micro_batch": 6, "recompute": "none"}
    result = search(MPT_7B, get_system("a100-sxm-80gb", load_catalog()), 8, 96, fixed=fixed)
    assert result.best().plan.attention == "flash"


def test_fp8_runs_store_quantized_gemm_inputs() -> None:
    """Megatron-Bridge ran Llama 3.1 405B FP8 on 256 GB200 with TP4 PP16 VP4 and no
    recompute (scripts/performance llama31 workload_base_configs, GB200 FP8-CS V2, 2025-26).
    With the GEMM inputs kept in FP8 for the weight gradients the search finds that plan
    without recompute; the same plan in BF16 stores more activations."""
    system = get_system("gb200", load_catalog())
    fixed = dict(tp=4, pp=16, dp=4, cp=1, vpp=4, micro_batch=1)
    result = search(LLAMA_405B, system, 256, 1536, precision="fp8", fixed=fixed)
    assert result.best().plan.recompute == "none"
    plan = result.best().plan
    bf16 = predict_training(LLAMA_405B, system, replace(plan, precision="bf16"))
    fp8 = predict_training(LLAMA_405B, system, plan)
    assert fp8.memory_bytes["activations"] < bf16.memory_bytes["activations"]
