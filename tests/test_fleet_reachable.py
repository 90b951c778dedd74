"""The pre-flight's table-free SLO test (``fleet.slo_reachable``) against the search's own
table (``meeting_slo`` over ``serving_candidates``): the two must agree, on either side of
the best latencies the candidates reach."""

from __future__ import annotations

import pytest

from gigawatt.fleet import feasible, meeting_slo, serving_candidates, slo_reachable
from gigawatt.perf.system import get_system
from gigawatt.workload import get_model


@pytest.mark.parametrize("disaggregation", ["off", "allow", "only"])
def test_reachable_agrees_with_the_search_table(disaggregation: str) -> None:
    model, system = get_model("llama3-70b"), get_system("h200")
    args = (model, system, 2000.0, 200.0, ("fp8",))
    conc = (1.0, 8.0)
    df = serving_candidates(*args, disaggregation=disaggregation, concurrencies=conc)
    fit = feasible(df)
    assert not fit.empty
    best_ttft, best_tpot = float(fit["ttft_p99_s"].min()), float(fit["tpot_p50_s"].min())
    # the loosest, the tightest reachable and unreachable targets on each side
    targets = [
        (1e3, 1e3),
        (best_ttft, 1e3),
        (1e3, best_tpot),
        (best_ttft * 0.999, 1e3),
        (1e3, best_tpot * 0.999),
    ]
    for ttft, tpot in targets:
        table = not meeting_slo(df, ttft, tpot).empty
        found = slo_reachable(*args, ttft, tpot, conc, disaggregation=disaggregation)
        assert found == table, (ttft, tpot)
    assert slo_reachable(*args, 1e3, 1e3, conc, disaggregation=disaggregation)
    assert not slo_reachable(*args, best_ttft * 0.999, 1e3, conc, disaggregation=disaggregation)
