from __future__ import annotations

import pytest

from gigawatt.errors import InputError
from gigawatt.perf import get_system
from gigawatt.perf.search import enumerate_plans, search
from gigawatt.workload import TransformerModel, get_model


def test_search_returns_feasible_plans_sorted() -> None:
    r = search(get_model("gpt3-175b"), get_system("a100-sxm-80gb"), 1024, 1536)
    top = r.top(10)
    assert top and all(e.fits for e in top)
    times = [e.step_time_s for e in top]
    assert times == sorted(times)
    assert r.rejected["out of memory"] > 0
    assert all(e.plan.n_gpus == 1024 for e in top)


def test_every_enumerated_plan_is_valid() -> None:
    model = get_model("llama3-405b")
    plans = enumerate_plans(model, get_system("h100-sxm"), 8192, 2048)
    assert plans is not None and len(plans) > 1000
    n = plans.tp * plans.pp * plans.dp * plans.cp
    assert (n == 8192).all()
    assert (2048 % (plans.dp * plans.micro_batch) == 0).all()
    m = 2048 // (plans.dp * plans.micro_batch)
    inter = plans.vpp > 1
    assert ((m[inter] % plans.pp[inter]) == 0).all()
    assert (model.n_heads % plans.tp == 0).all()
    assert (plans.tp <= 8).all()


def test_fixed_fields_are_honoured() -> None:
    r = search(
        get_model("llama3-70b"),
        get_system("h100-sxm"),
        512,
        512,
        fixed={"tp": 4, "pp": 4, "recompute": "full"},
    )
    for e in r.top(20):
        assert (e.plan.tp, e.plan.pp, e.plan.recompute) == (4, 4, "full")


def test_impossible_problem_says_why() -> None:
    r = search(get_model("megatron-1t"), get_system("a100-sxm-80gb"), 8, 8)
    assert r.feasible == 0
    with pytest.raises(InputError, match="out of memory"):
        r.best()


def test_more_gpus_never_slower_per_token() -> None:
    model, system = get_model("llama3-70b"), get_system("h100-sxm")
    small = search(model, system, 256, 1024).best()
    big = search(model, system, 1024, 1024).best()
    assert big.tokens_per_s >= small.tokens_per_s


def test_expert_parallelism_folds_over_the_tensor_parallel_ranks() -> None:
    """Megatron-Bridge's Qwen3-235B H100 recipe runs TP2 PP8 EP32 on 256 GPUs: 16 data-parallel
    ranks, so EP 32 exists only because the expert layers regroup the TP x DP ranks (MoE
    parallel folding, expert tensor parallelism 1). Every enumerated MoE plan keeps ep within
    tp x cp x dp and dividing the experts."""
    model = TransformerModel(
        name="Qwen3-235B-A22B", n_layers=94, d_model=4096, n_heads=64, n_kv_heads=4,
        vocab_size=151936, seq_len=4096, ffn="swiglu", moe_experts=128, moe_top_k=8,
        moe_d_ff=1536, d_head=128,
    )  # fmt: skip
    fixed = {"tp": 2, "pp": 8, "cp": 1, "ep": 32, "micro_batch": 1, "vpp": 4}
    plans = enumerate_plans(model, get_system("h100-sxm"), 256, 2048, 4096, "fp8", fixed)
    assert plans is not None and (plans.dp == 16).all()
    free = enumerate_plans(model, get_system("h100-sxm"), 256, 2048, 4096, "fp8")
    assert free is not None
    assert ((free.tp * free.cp * free.dp) % free.ep == 0).all()
    assert (model.moe_experts % free.ep == 0).all()


def test_virtual_stages_need_not_divide_the_stage_layers() -> None:
    """DeepSeek-V3's 61 layers on PP2 with 8 virtual stages per rank (its GB300 recipe) give
    chunks of uneven depth, which Megatron-Core's pipeline layouts allow; a chunk needs at
    least one layer."""
    model = get_model("deepseek-v3")
    fixed = {"pp": 2, "vpp": 8, "ep": 32, "tp": 1, "micro_batch": 1}
    plans = enumerate_plans(model, get_system("gb300"), 256, 4096, 4096, "fp8", fixed)
    assert plans is not None
    free = enumerate_plans(get_model("llama3-70b"), get_system("h100-sxm"), 64, 128)
    assert free is not None
    stage_layers = -(-80 // free.pp)
    assert (free.vpp <= stage_layers).all()
