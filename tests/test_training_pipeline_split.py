"""The last pipeline stage: the LM head stays in BF16 under FP8 recipes, the split gives the
head's stage fewer layers (or, with older software, none fewer), and multi-token-prediction
modules add their block and head pass there."""

from __future__ import annotations

import dataclasses

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from gigawatt.perf import ExecutionPlan, Plans, get_system, predict_training
from gigawatt.perf.training import (
    exposed_p2p_sends,
    head_aware_split,
    last_stage_time,
    logits_time,
    mean_layer_time,
    plan_shape,
)
from gigawatt.workload import get_model

H100 = get_system("h100-sxm")
LLAMA_70B = get_model("llama3-70b")
DEEPSEEK_V3 = get_model("deepseek-v3")
# Megatron-Bridge's Llama 3 70B H100 FP8 recipe (TP4 PP8 VP5) lays out
# "Et*2|(t*2|)*34,t*3|(t*2|)*3,tL": the loss's stage keeps 9 of the 80 layers, another 11
RECIPE_70B = ExecutionPlan(
    tp=4, pp=8, dp=2, vpp=5, micro_batch=1, global_batch=128, precision="fp8",
    sequence_parallel=True, recompute="none", zero=1,
)  # fmt: skip
RECIPE_MOST_LAYERS = 11
# Nemotron-4 340B on 128 H100 as NeMo 24.07 ran it (TP8 PP8 VP12, DP2), with dropout: a
# little over memory without any recompute
NEMOTRON_340B = dataclasses.replace(
    LLAMA_70B, name="Nemotron-340B", n_layers=96, d_model=18432, n_heads=96, n_kv_heads=8,
    d_ff=73728, ffn="gelu", vocab_size=256000, seq_len=4096, dropout=True,
)  # fmt: skip
NEMOTRON_PLAN = ExecutionPlan(
    tp=8, pp=8, dp=2, vpp=12, micro_batch=1, global_batch=32, precision="fp8",
    sequence_parallel=True, zero=2,
)  # fmt: skip


def _shape(plan: ExecutionPlan, model=LLAMA_70B, system=H100):  # type: ignore[no-untyped-def]
    return plan_shape(model, system, Plans.from_plans([plan], "flash"))


def test_fp8_recipes_keep_the_lm_head_at_the_16_bit_rate() -> None:
    """The head GEMM and loss take as long in an FP8 plan as in the BF16 one: no framework
    quantizes the output layer, so FP8 cannot speed it up."""
    fp8 = logits_time(H100, _shape(RECIPE_70B))
    bf16 = logits_time(H100, _shape(dataclasses.replace(RECIPE_70B, precision="bf16")))
    assert np.allclose(fp8, bf16)


def test_the_split_matches_the_recipe_layout_for_llama3_70b() -> None:
    """For the recipe's plan the model moves layers off the head's stage as the recipe's
    explicit layout does: the busiest stage holds 11 layers, not ceil(80 / 8) = 10 plus
    the head."""
    sh = _shape(RECIPE_70B)
    t_layer, _ = mean_layer_time(LLAMA_70B, H100, sh)
    t_last = last_stage_time(LLAMA_70B, H100, sh, t_layer)
    layers, slowest = head_aware_split(H100, sh, t_layer, t_last)
    assert layers[0] == RECIPE_MOST_LAYERS
    assert slowest[0] < 10 * t_layer[0] + t_last[0]


@settings(max_examples=80, deadline=None)
@given(
    layers=st.integers(2, 128),
    stages=st.sampled_from([1, 2, 4, 8, 16]),
    t_layer=st.floats(1e-4, 1e-1),
    head_in_layers=st.floats(0.0, 6.0),
)
def test_balanced_split_is_never_slower_than_uniform_nor_faster_than_perfect(
    layers: int, stages: int, t_layer: float, head_in_layers: float
) -> None:
    """The balanced split's slowest stage lies between the perfect balance of all the work
    over the stages and the uniform split with the head on top; one stage holds all."""
    plan = ExecutionPlan(pp=stages, dp=1, micro_batch=1, global_batch=stages)
    model = dataclasses.replace(LLAMA_70B, n_layers=layers)
    sh = plan_shape(model, H100, Plans.from_plans([plan], "flash"))
    t_l = np.array([t_layer])
    t_head = np.array([head_in_layers * t_layer])
    most, slowest = head_aware_split(H100, sh, t_l, t_head)
    uniform_system = H100.with_(
        efficiency=dataclasses.replace(H100.efficiency, uniform_pipeline_split=True)
    )
    most_u, slowest_u = head_aware_split(uniform_system, sh, t_l, t_head)
    per_stage = np.ceil(layers / stages)
    assert most_u[0] == per_stage
    assert np.isclose(slowest_u[0], per_stage * t_layer + t_head[0])
    perfect = (layers * t_layer + t_head[0]) / stages
    assert perfect * (1 - 1e-9) <= slowest[0] <= slowest_u[0] * (1 + 1e-9)
    if stages == 1:
        assert most[0] == layers


def test_multi_token_prediction_costs_time_on_the_last_stage() -> None:
    """DeepSeek-V3 trains one MTP module (a block, a projection and a second head pass).
    Without pipeline parallelism it adds more than a layer's compute and less than four;
    with a pipeline the split can absorb it in the head's stage, never making it dearer."""
    b200 = get_system("b200")
    no_mtp = dataclasses.replace(DEEPSEEK_V3, mtp_layers=0)
    assert DEEPSEEK_V3.mtp_layers == 1
    extra = {}
    for pp in (1, 8):
        plan = ExecutionPlan(
            pp=pp, dp=256 // pp, ep=32, micro_batch=1, global_batch=4096, precision="fp8",
            recompute="none", zero=1,
        )  # fmt: skip
        with_mtp = predict_training(DEEPSEEK_V3, b200, plan).breakdown_s["compute"]
        without = predict_training(no_mtp, b200, plan).breakdown_s["compute"]
        extra[pp] = with_mtp / without - 1.0
    layers = DEEPSEEK_V3.n_layers
    assert 1.0 / layers < extra[1] < 4.0 / layers
    assert 0.0 <= extra[8] <= extra[1]


def test_block_recompute_pays_for_only_the_layers_memory_needs() -> None:
    """Nemotron-4 340B on 128 H100 (TP8 PP8 VP12, DP2, ZeRO-2) is a little over memory
    without recompute: recomputing a few whole layers per stage fits it for much less time
    than full recompute, and a plan that already fits recomputes nothing."""
    none, block, full = (
        predict_training(NEMOTRON_340B, H100, dataclasses.replace(NEMOTRON_PLAN, recompute=r))
        for r in ("none", "block", "full")
    )
    assert not none.fits and block.fits and full.fits
    assert none.step_time_s < block.step_time_s < full.step_time_s
    assert block.breakdown_s["block_recompute"] > 0.0
    small = dataclasses.replace(NEMOTRON_PLAN, recompute="block")
    fits_anyway = predict_training(dataclasses.replace(NEMOTRON_340B, n_layers=8), H100, small)
    assert fits_anyway.fits and fits_anyway.breakdown_s["block_recompute"] == 0.0


def test_planners_can_ask_for_block_recompute() -> None:
    """A scenario or the ``train`` command may fix recompute to block: the search's best such
    plan fits and is no slower than its best full-recompute plan."""
    from gigawatt.perf.search import search
    from gigawatt.scenario import FixedPlan

    assert FixedPlan(recompute="block").as_fixed() == {"recompute": "block"}
    block = search(LLAMA_70B, H100, 64, 128, fixed={"recompute": "block"}).best()
    full = search(LLAMA_70B, H100, 64, 128, fixed={"recompute": "full"}).best()
    assert block is not None and full is not None and block.fits
    assert block.plan.recompute == "block"
    assert block.step_time_s <= full.step_time_s


def test_block_recompute_counts_the_flops_of_every_stage() -> None:
    """Each of the p stages recomputes its k layers, so the hardware FLOPs block recompute
    adds are k p / L of full recompute's, the same share as its added time is of full
    recompute's added time (up to the bubble and the head)."""
    none, block, full = (
        predict_training(NEMOTRON_340B, H100, dataclasses.replace(NEMOTRON_PLAN, recompute=r))
        for r in ("none", "block", "full")
    )

    def hw_flops(est) -> float:  # type: ignore[no-untyped-def]
        return est.hfu * est.step_time_s

    flops_share = (hw_flops(block) - hw_flops(none)) / (hw_flops(full) - hw_flops(none))
    time_share = block.breakdown_s["block_recompute"] / (full.step_time_s - none.step_time_s)
    assert 0.0 < flops_share < 1.0
    assert 0.5 < flops_share / time_share < 2.0


# Llama 2 70B as NeMo 24.07 ran it on 64 H100: TP4 PP4 with one layer per virtual chunk
# (VP20), so every micro-batch crosses 20 chunk boundaries each way
LLAMA2_70B_VP20 = ExecutionPlan(
    tp=4, pp=4, dp=4, vpp=20, micro_batch=1, global_batch=128, precision="fp8",
    sequence_parallel=True, recompute="none", zero=1,
)  # fmt: skip


def _blocking(system=H100):  # type: ignore[no-untyped-def]
    return system.with_(efficiency=dataclasses.replace(system.efficiency, p2p_overlap_share=0.0))


def test_interleaved_pipelines_hide_their_p2p_sends_under_the_next_chunk() -> None:
    """With blocking sends the 1-layer chunks spend over 5 % of the step in p2p; with
    Megatron-Core's overlap_p2p_comm (on whenever vpp > 1) under 2 %, the rest unchanged."""
    model = dataclasses.replace(LLAMA_70B, name="Llama 2 70B", vocab_size=32000, seq_len=4096)
    overlapped = predict_training(model, H100, LLAMA2_70B_VP20)
    blocking = predict_training(model, _blocking(), LLAMA2_70B_VP20)
    assert blocking.breakdown_s["pipeline_p2p"] > 0.05 * blocking.step_time_s
    assert overlapped.breakdown_s["pipeline_p2p"] < 0.02 * overlapped.step_time_s
    assert overlapped.breakdown_s["compute"] == blocking.breakdown_s["compute"]


@settings(max_examples=40, deadline=None)
@given(
    stages=st.sampled_from([2, 4, 8]),
    vpp=st.sampled_from([1, 2, 5]),
    microbatches_per_stage=st.integers(1, 16),
)
def test_p2p_overlap_never_slows_a_plan_and_leaves_plain_1f1b_alone(
    stages: int, vpp: int, microbatches_per_stage: int
) -> None:
    """Overlap hides at most the steady-state sends: never more exposed than blocking sends,
    never fewer than the p - 1 hops of the fill; plans without interleaving are untouched."""
    plan = ExecutionPlan(
        tp=8, pp=stages, dp=1, vpp=vpp, micro_batch=1,
        global_batch=stages * microbatches_per_stage,
    )  # fmt: skip
    sh = _shape(plan)
    m = np.array([float(plan.global_batch)])
    hidden = exposed_p2p_sends(H100, sh, m)[0]
    blocking = exposed_p2p_sends(_blocking(), sh, m)[0]
    assert blocking == vpp * plan.global_batch
    if vpp == 1:
        assert hidden == blocking
    else:
        assert min(stages - 1.0, blocking) <= hidden <= blocking
