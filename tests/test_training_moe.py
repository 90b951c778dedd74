"""MoE mechanisms of the training model: the expert-parallel dispatch that crosses each
remote scale-up domain once, the 1F1B all-to-all overlap, the router's load balance as a
plan input, and the per-expert fixed cost of grouped linear layers."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gigawatt.catalog import load_catalog
from gigawatt.errors import InputError
from gigawatt.perf import ExecutionPlan, Plans, get_system, predict_training_batch
from gigawatt.perf.system import System
from gigawatt.perf.training import dispatch_inter_scale, plan_shape
from gigawatt.validate.core import Row
from gigawatt.validate.training import RANGES, validate_training_row
from gigawatt.workload import get_model

B200 = get_system("b200")
MODEL = get_model("deepseek-v3").with_(seq_len=4096)


def _with(system: System, **changes: float) -> System:
    return system.with_(efficiency=replace(system.efficiency, **changes))


def _step(system: System, ep: int, dp: int = 32) -> float:
    plan = ExecutionPlan(pp=8, dp=dp, ep=ep, global_batch=dp * 4, precision="fp8")
    plans = Plans.from_plans([plan], "flash")
    return float(predict_training_batch(MODEL, system, plans).step_time_s[0])


def _scale(ep: int, k: int, dedup: float) -> float:
    system = _with(B200, ep_dispatch_dedup_share=dedup)
    plans = Plans.from_plans([ExecutionPlan(dp=64, ep=ep, global_batch=64)], "flash")
    return float(dispatch_inter_scale(system, plan_shape(MODEL, system, plans), float(k))[0])


@settings(max_examples=40, deadline=None)
@given(st.sampled_from([1, 2, 4, 8, 16, 32, 64]), st.integers(1, 16), st.floats(0.0, 1.0))
def test_dispatch_dedup_only_removes_duplicate_copies(ep: int, k: int, dedup: float) -> None:
    """Cross-domain bytes never grow, shrink as more duplicates are removed, and stay whole
    inside one domain, without dedup, and for a token routed to a single expert."""
    scale = _scale(ep, k, dedup)
    assert 0.0 < scale <= 1.0
    assert scale >= _scale(ep, k, 1.0) - 1e-12
    if ep <= B200.scale_up_domain or k == 1 or dedup == 0.0:
        assert scale == pytest.approx(1.0)


def test_cross_node_all_to_all_costs_less_with_dedup_and_overlap() -> None:
    plain = _with(B200, ep_dispatch_dedup_share=0.0, ep_overlap_share=0.0)
    dedup = _with(plain, ep_dispatch_dedup_share=1.0)
    both = _with(dedup, ep_overlap_share=1.0)
    assert _step(plain, 32) > _step(dedup, 32) > _step(both, 32)
    # inside one NVLink domain (ep 8 on 8-GPU nodes) dedup changes nothing
    assert _step(plain, 8) == pytest.approx(_step(dedup, 8))


def test_overlap_never_hides_more_than_the_all_to_all() -> None:
    """With every all-to-all hidden the step is still no faster than with free communication."""
    both = _with(B200, ep_overlap_share=1.0, comm_overlap_fraction=1.0)
    free = both.with_(scale_out_bandwidth_bps=1e30, scale_up_bandwidth_bps=1e30)
    assert _step(both, 32) >= _step(free, 32) * (1.0 - 1e-9)


def test_load_imbalance_slows_the_moe_layers() -> None:
    steps = [_step(_with(B200, moe_load_imbalance=x), 8) for x in (1.0, 1.15, 1.4)]
    assert np.all(np.diff(steps) > 0)


def _row(**extra: str) -> Row:
    data = {
        "id": "t",
        "catalog_model": "deepseek-v3",
        "n_layers": "61",
        "d_model": "7168",
        "n_heads": "128",
        "vocab_size": "129280",
        "seq_len": "4096",
        "gpu": "b200",
        "n_gpus": "256",
        "tp": "1",
        "pp": "8",
        "dp": "32",
        "ep": "32",
        "vpp": "2",
        "micro_batch": "1",
        "global_batch": "4096",
        "precision": "fp8",
        "metric": "step_time_s",
        "value": "19.69",
        **extra,
    }
    return Row("t.csv", 2, data, RANGES)


def test_rows_state_the_moe_software() -> None:
    catalog = load_catalog()
    base = validate_training_row(_row(), catalog).predicted
    tuned = validate_training_row(
        _row(moe_load_imbalance="1.0", ep_overlap="true", moe_dispatcher="flex"), catalog
    ).predicted
    assert tuned < base
    with pytest.raises(InputError, match="moe_dispatcher"):
        validate_training_row(_row(moe_dispatcher="nccl"), catalog)
    with pytest.raises(InputError, match="moe_load_imbalance"):
        validate_training_row(_row(moe_load_imbalance="0.5"), catalog)
