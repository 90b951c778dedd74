"""Invariants of the named parts the report and the supply plan are built from."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from gigawatt.html_report import _Steps
from gigawatt.supply.schedule import _horizon, quarter_index, quarter_label

quarters = st.integers(min_value=quarter_index("2024Q1"), max_value=quarter_index("2032Q4"))
rows = st.lists(
    st.tuples(quarters, st.sampled_from(["b200", "gb200", "h200"]), st.floats(0, 1e6)),
    min_size=1,
    max_size=12,
)


@given(rows, st.floats(0.0, 36.0, allow_subnormal=False))
def test_horizon_keeps_every_deployment_and_starts_a_lead_earlier(
    schedule: list[tuple[int, str, float]], lead_months: float
) -> None:
    hz = _horizon(schedule, lead_months)
    assert sorted(hz.types) == hz.types == sorted({a for _, a, _ in schedule})
    assert abs(hz.req.sum() - sum(n for _, _, n in schedule)) <= 1e-9 * max(1.0, hz.req.sum())
    first_deployment = min(q for q, _, _ in schedule)
    assert (first_deployment - hz.q_first) * 3.0 >= lead_months
    assert hz.quarters[-1] == quarter_label(max(q for q, _, _ in schedule))
    assert all(b - a == 3.0 for a, b in zip(hz.abs_mid[:-1], hz.abs_mid[1:], strict=True))


def test_waterfall_totals_show_the_running_sum() -> None:
    steps = _Steps()
    steps.add("capex: it", 5.0, "")
    steps.add("capex: site", 3.0, "")
    steps.add("capex", 0.0, "", total=True)
    steps.add("opex: energy", 2.0, "")
    steps.add("TCO", 0.0, "", total=True)
    assert steps.shown() == [5.0, 3.0, 8.0, 2.0, 10.0]
    assert steps.measure == ["relative", "relative", "total", "relative", "total"]
