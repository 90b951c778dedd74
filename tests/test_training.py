"""Invariants of the training model (hypothesis) and consistency of its vectorised form."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gigawatt.perf import ExecutionPlan, Plans, get_system, predict_training, predict_training_batch
from gigawatt.perf.training import gemm_time
from gigawatt.workload import get_model

H100 = get_system("h100-sxm")
A100 = get_system("a100-sxm-80gb")
L70 = get_model("llama3-70b")


def plan(**kw):  # type: ignore[no-untyped-def]
    base = dict(
        tp=8,
        pp=4,
        dp=8,
        vpp=1,
        micro_batch=1,
        global_batch=512,
        recompute="selective",
        sequence_parallel=True,
        zero=1,
    )
    base.update(kw)
    return ExecutionPlan(**base)


def test_breakdown_and_memory_are_non_negative_and_add_up() -> None:
    e = predict_training(L70, H100, plan())
    assert all(v >= 0 for v in e.breakdown_s.values())
    assert all(v >= 0 for v in e.memory_bytes.values())
    assert e.memory_total_bytes == pytest.approx(sum(e.memory_bytes.values()))
    parts = sum(v for k, v in e.breakdown_s.items() if k != "tp_comm_in_compute")
    assert e.step_time_s == pytest.approx(parts)
    assert 0.0 < e.mfu < e.hfu <= 1.0


@given(
    st.sampled_from(["none", "selective", "full"]), st.sampled_from(["none", "selective", "full"])
)
def test_more_recompute_costs_time_and_saves_memory(r1: str, r2: str) -> None:
    order = {"none": 0, "selective": 1, "full": 2}
    lo, hi = sorted((r1, r2), key=order.__getitem__)
    a = predict_training(L70, H100, plan(recompute=lo))
    b = predict_training(L70, H100, plan(recompute=hi))
    assert a.step_time_s <= b.step_time_s
    assert b.memory_bytes["activations"] <= a.memory_bytes["activations"]


@given(st.integers(0, 3), st.integers(0, 3))
def test_higher_zero_stage_never_needs_more_state_memory(z1: int, z2: int) -> None:
    lo, hi = sorted((z1, z2))
    a = predict_training(L70, H100, plan(zero=lo))
    b = predict_training(L70, H100, plan(zero=hi))
    state = ("gradients", "optimizer")
    assert sum(b.memory_bytes[k] for k in state) <= sum(a.memory_bytes[k] for k in state)


@settings(max_examples=30)
@given(st.sampled_from([1, 2, 4, 8, 16]))
def test_more_microbatches_shrink_the_bubble_share(k: int) -> None:
    small = predict_training(L70, H100, plan(dp=8, global_batch=64))
    big = predict_training(L70, H100, plan(dp=8, global_batch=64 * (k + 1)))
    share = lambda e: e.breakdown_s["pipeline_bubble"] / e.step_time_s  # noqa: E731
    assert share(big) <= share(small) + 1e-12


@given(st.integers(1, 64))
def test_step_time_grows_with_global_batch(extra: int) -> None:
    a = predict_training(L70, H100, plan(global_batch=64))
    b = predict_training(L70, H100, plan(global_batch=64 + 8 * extra))
    assert b.step_time_s > a.step_time_s


def test_longer_sequences_take_longer() -> None:
    a = predict_training(L70, H100, plan(), seq_len=4096)
    b = predict_training(L70, H100, plan(), seq_len=8192)
    assert b.step_time_s > a.step_time_s


def test_faster_gpu_is_faster() -> None:
    p = plan(recompute="full")
    assert predict_training(L70, H100, p).step_time_s < predict_training(L70, A100, p).step_time_s


def test_vectorised_equals_scalar() -> None:
    plans = [plan(recompute=r, zero=z) for r in ("none", "selective", "full") for z in (0, 1, 3)]
    batch = predict_training_batch(L70, H100, Plans.from_plans(plans, "flash"))
    for i, p in enumerate(plans):
        assert batch.step_time_s[i] == pytest.approx(predict_training(L70, H100, p).step_time_s)


@given(st.floats(16, 16384), st.floats(16, 16384), st.floats(16, 16384))
def test_gemm_efficiency_is_bounded_and_monotone(m: float, n: float, k: float) -> None:
    peak = H100.peak("bf16")
    t = gemm_time(2 * m * n * k, m, n, k, H100, peak)
    assert float(t) >= 2 * m * n * k / peak
    t2 = gemm_time(2 * (2 * m) * n * k, 2 * m, n, k, H100, peak)
    assert float(t2) / float(t) <= 2.0 + 1e-9  # doubling M never more than doubles time


def test_moe_model_runs_and_experts_split_memory() -> None:
    ds = get_model("deepseek-v3")
    h200 = get_system("h200")
    a = predict_training(ds, h200, plan(tp=1, pp=8, dp=32, ep=1, global_batch=256))
    b = predict_training(ds, h200, plan(tp=1, pp=8, dp=32, ep=8, global_batch=256))
    assert b.memory_bytes["weights"] < a.memory_bytes["weights"] / 4
    assert np.isfinite(b.step_time_s) and b.step_time_s > 0


def test_catalog_ranges_bracket_the_likely_prediction() -> None:
    p = plan()
    times = [
        predict_training(L70, get_system("h100-sxm", bound=b), p).step_time_s
        for b in ("optimistic", "likely", "pessimistic")
    ]
    assert times[0] < times[1] < times[2]


@given(st.floats(1.0, 8.0), st.floats(1.0, 8.0))
def test_oversubscription_never_speeds_up(o1: float, o2: float) -> None:
    lo, hi = sorted((o1, o2))
    p = plan(zero=3)
    a = predict_training(L70, H100.with_(oversubscription=lo), p)
    b = predict_training(L70, H100.with_(oversubscription=hi), p)
    assert a.step_time_s <= b.step_time_s
