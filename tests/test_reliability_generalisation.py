"""Reliability beyond the Llama 3 calibration: per-generation multipliers, published failure
studies of other fleets (tests/data/reliability_published.csv), and the cost of
``plan_reliability`` inside the plan's deadline search."""

from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import poisson

import gigawatt.reliability as rel
from gigawatt.reliability import plan_reliability, spare_wait_s
from gigawatt.workload import get_model

DATA = Path(__file__).resolve().parent / "data"


def _spare_wait_loop(rate: float, repair: float, spares: int, hw: float) -> float:
    """The direct double sum (reference for the vectorised closed form)."""
    mean_down = rate * hw * repair
    top = int(mean_down + 10 * math.sqrt(mean_down + 1) + spares + 10)
    wait = 0.0
    for d in range(spares, top + 1):
        p = float(poisson.pmf(d, mean_down))
        wait += p * sum(repair / (d + 1 - j) for j in range(d + 1 - spares))
    return wait * hw


@settings(max_examples=40, deadline=None)
@given(
    st.floats(1e-7, 1e-2),
    st.floats(60.0, 7 * 86400.0),
    st.integers(0, 60),
    st.floats(0.05, 1.0),
)
def test_spare_wait_vectorised_matches_double_sum(
    rate: float, repair: float, spares: int, hw: float
) -> None:
    ref = _spare_wait_loop(rate, repair, spares, hw)
    got = spare_wait_s(rate, repair, spares, hw)
    assert got == pytest.approx(ref, rel=1e-9, abs=1e-12 * repair)
    assert got >= 0


def test_plan_reliability_cost_does_not_grow_with_cluster_size(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The deadline search calls plan_reliability once per candidate size (up to 2M GPUs).
    Its cost must not grow with N: one Poisson pmf evaluation per call, over a bounded
    vector (the speed figure itself is measured in bench/reliability.py, not here)."""
    calls: list[int] = []

    def pmf(k: Any, mu: float) -> Any:
        calls.append(int(np.size(k)))
        return poisson.pmf(k, mu)

    monkeypatch.setattr(rel, "poisson", SimpleNamespace(pmf=pmf))
    model = get_model("megatron-1t")
    sizes = [2**k for k in range(3, 22)]  # 8 .. 2,097,152 GPUs, as _cluster_sizes spans
    for n in sizes:
        plan_reliability("r", model, "gb200", n, None, None, 90.0, 5.0)
    assert len(calls) == len(sizes)
    # the vector covers mean +- 10 sigma of hosts in repair, never the whole fleet
    assert max(calls) < 2_000
    assert max(calls) < sizes[-1] / 1000
