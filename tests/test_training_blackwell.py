"""Blackwell training mechanisms: power-held training clocks, activation offload to host
memory over the host link, and FP8 casts of MoE expert inputs."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gigawatt.perf import ExecutionPlan, Plans, get_system, predict_training
from gigawatt.perf.training import fp8_cast_elements, plan_shape
from gigawatt.workload import get_model

LLAMA_70B = get_model("llama3-70b")
# GB200 with its NVLink-C2C host link (900 GB/s bidirectional per Grace and two GPUs: 225 GB/s
# per GPU and direction) and a training clock held below the datasheet peak's
C2C_PER_GPU_BPS = 225e9
HELD_CLOCK = 0.9
GB200 = get_system("gb200").with_(
    host_link_bandwidth_bps=C2C_PER_GPU_BPS, training_clock_fraction=HELD_CLOCK
)
# the Megatron-Bridge 25.11 recipe for Llama 3 70B FP8-CS on 64 GB200 (Megatron-FSDP,
# micro-batch 2, no recompute) offloads the activations of 40 of the 80 layers
# (scripts/performance/configs/llama3/workload_base_configs.py,
# LLAMA3_70B_GB200_FP8_CS_BASE_CONFIG: cpu_offloading_num_layers=40)
RECIPE_OFFLOAD_LAYERS = 40
OFFLOAD_LAYERS_SLACK = 6
FSDP_70B = ExecutionPlan(
    dp=64, micro_batch=2, global_batch=256, recompute="none", zero=3, precision="fp8"
)


def _offloaded_layers(plan: ExecutionPlan) -> float:
    """Layers whose activations the model moved to host memory for ``plan`` on GB200."""
    with_link = predict_training(LLAMA_70B, GB200, plan)
    without = predict_training(LLAMA_70B, GB200.with_(host_link_bandwidth_bps=0.0), plan)
    per_layer = without.memory_bytes["activations"] / LLAMA_70B.n_layers
    moved = without.memory_bytes["activations"] - with_link.memory_bytes["activations"]
    return moved / per_layer


def test_offload_fits_the_recipe_plan_with_about_the_recipe_layer_count() -> None:
    """Without the host link the recipe's plan is out of memory; with it, it fits by
    offloading about as many layers as the recipe does."""
    assert not predict_training(LLAMA_70B, GB200.with_(host_link_bandwidth_bps=0.0), FSDP_70B).fits
    est = predict_training(LLAMA_70B, GB200, FSDP_70B)
    assert est.fits
    assert est.breakdown_s["host_offload"] > 0.0
    assert abs(_offloaded_layers(FSDP_70B) - RECIPE_OFFLOAD_LAYERS) <= OFFLOAD_LAYERS_SLACK


@pytest.mark.parametrize(
    "plan",
    [
        dataclasses.replace(FSDP_70B, recompute="selective"),  # recompute plans keep theirs
        dataclasses.replace(FSDP_70B, pp=2, dp=32),  # Megatron-Core: no offload with PP
        dataclasses.replace(FSDP_70B, micro_batch=1),  # already fits
    ],
)
def test_offload_only_without_recompute_pipeline_or_spare_memory(plan: ExecutionPlan) -> None:
    est = predict_training(LLAMA_70B, GB200, plan)
    assert est.breakdown_s["host_offload"] == 0.0
    assert _offloaded_layers(plan) == 0.0


@settings(max_examples=20, deadline=None)
@given(st.floats(0.05, 1.0))
def test_a_slower_host_link_never_speeds_a_step(scale: float) -> None:
    fast = predict_training(LLAMA_70B, GB200, FSDP_70B)
    slow_link = GB200.with_(host_link_bandwidth_bps=GB200.host_link_bandwidth_bps * scale)
    slow = predict_training(LLAMA_70B, slow_link, FSDP_70B)
    assert slow.step_time_s >= fast.step_time_s * (1.0 - 1e-12)
    assert slow.memory_total_bytes == pytest.approx(fast.memory_total_bytes)


def test_training_clock_slows_training_but_keeps_the_datasheet_mfu_base() -> None:
    """A lower sustained clock lengthens the step; MFU stays relative to the datasheet peak,
    so it falls by the same factor as the step grows."""
    plan = ExecutionPlan(dp=8, micro_batch=2, global_batch=128, precision="fp8")
    model = get_model("llama3-8b")
    full = predict_training(model, GB200.with_(training_clock_fraction=1.0), plan)
    held = predict_training(model, GB200, plan)
    assert GB200.training_clock_fraction < 1.0
    assert full.step_time_s < held.step_time_s < full.step_time_s / GB200.training_clock_fraction
    assert held.mfu * held.step_time_s == pytest.approx(full.mfu * full.step_time_s)


def test_moe_fp8_casts_follow_the_routed_expert_inputs() -> None:
    """A MoE layer quantizes every routed copy of a token for its expert GEMMs: more experts
    per token mean more cast elements, and BF16 casts nothing."""
    model = get_model("deepseek-v3")
    fp8 = Plans.from_plans([ExecutionPlan(dp=64, ep=64, precision="fp8")], "flash")
    counts = []
    for top_k in (2, 4, 8):
        routed = dataclasses.replace(model, moe_top_k=top_k)
        counts.append(float(fp8_cast_elements(routed, plan_shape(routed, GB200, fp8))[2][0]))
    assert np.all(np.diff(counts) > 0.0)
    bf16 = Plans.from_plans([ExecutionPlan(dp=64, ep=64)], "flash")
    assert all(float(c[0]) == 0.0 for c in fp8_cast_elements(model, plan_shape(model, GB200, bf16)))
