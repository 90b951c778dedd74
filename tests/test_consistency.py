"""One plan, one number: every shipped scenario shows each workload's accelerators, IT
power, switches, optics and $ per million tokens with one value in every table, and the
headline is the sum of its tables. A cluster costed on its own equals it inside a plan."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from gigawatt.economics import Cluster, cluster_line, load_price_book
from gigawatt.plan import UNASSIGNED, plan
from gigawatt.scenario import Scenario, load_scenario

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted((ROOT / "scenarios").glob("*.yaml"))
REL = 1e-9


@pytest.fixture(scope="module", params=[p.name for p in SHIPPED])
def shipped(request):  # type: ignore[no-untyped-def]
    return plan(load_scenario(ROOT / "scenarios" / request.param))


def _body(fleet: pd.DataFrame) -> pd.DataFrame:
    return fleet[fleet["kind"] != "total"]


def test_training_runs_agree_with_their_fleet_lines(shipped) -> None:
    fleet = _body(shipped.tables["fleet"]).set_index("workload")
    training = shipped.tables.get("training")
    for r in [] if training is None else training.itertuples():
        assert r.it_power_w == pytest.approx(fleet.loc[r.run, "it_power_w"], rel=REL)
        # the fleet holds the job's accelerators and the hot spares its goodput assumes
        spares = fleet.loc[r.run, "spare_accelerators"]
        assert r.accelerators + spares == fleet.loc[r.run, "accelerators"]
        run = next(t for t in shipped.training if t.name == r.run)
        if run.reliability is not None:
            assert spares == run.reliability.job.spare_accelerators
        line = shipped.bom.line(r.run)
        assert line.it_power_w == pytest.approx(r.it_power_w, rel=REL)


def test_fleet_lines_are_the_bom_lines(shipped) -> None:
    fleet = _body(shipped.tables["fleet"])
    assert list(fleet["workload"]) == [ln.name for ln in shipped.bom.lines]
    for row, line in zip(fleet.itertuples(), shipped.bom.lines, strict=True):
        for key in ("accelerators", "switches", "optics", "it_power_w", "servers", "racks"):
            assert getattr(row, key) == pytest.approx(getattr(line, key), rel=REL)


def test_services_agree_with_fleet(shipped) -> None:
    services = shipped.tables.get("services")
    if services is None:
        pytest.skip("no services")
    fleet = _body(shipped.tables["fleet"]).set_index("workload")
    for r in services.itertuples():
        assert fleet.loc[r.workload, "accelerators"] == r.accelerators


def test_headline_is_the_sum_of_its_tables(shipped) -> None:
    h = shipped.headline
    fleet = shipped.tables["fleet"]
    total = fleet[fleet["kind"] == "total"].iloc[0]
    body = _body(fleet)
    assert h["accelerators"]["total"] == pytest.approx(total["accelerators"], rel=REL)
    assert total["accelerators"] == pytest.approx(body["accelerators"].sum(), rel=REL)
    assert h["accelerators"]["total"] == pytest.approx(
        shipped.tables["build_out"]["count"].sum(), rel=REL
    )
    assert h["it_power_w"] == pytest.approx(total["it_power_w"], rel=REL)
    assert h["it_power_w"] == pytest.approx(shipped.tables["allocation"]["it_w"].sum(), rel=REL)
    spare = body[body["kind"] == "unassigned"]
    assert all(w.startswith(UNASSIGNED) for w in spare["workload"])
    assert h["unassigned_build_out"]["it_power_w"] == pytest.approx(
        spare["it_power_w"].sum(), rel=REL, abs=1e-6
    )
    placed = h["it_power_placed_on_modelled_sites_w"] + h["it_power_unsited_w"]
    assert placed == pytest.approx(h["it_power_w"], rel=REL)


def test_economics_buys_what_the_bom_counts(shipped) -> None:
    capex = shipped.tables["capex"]
    assert capex.loc[capex["category"] == "compute", "quantity"].sum() == pytest.approx(
        shipped.bom.total["accelerators"], rel=REL
    )
    switches = capex[capex["item"].str.endswith("-switch")]["quantity"].sum()
    assert switches == pytest.approx(shipped.bom.total["switches"], rel=REL)
    optics = capex[capex["item"].str.startswith("transceiver-")]["quantity"].sum()
    assert optics == pytest.approx(shipped.bom.total["optics"], rel=REL)
    mep = capex.loc[capex["item"] == "dc-mep", "quantity"].sum()
    assert mep == pytest.approx(shipped.bom.total["it_power_w"], rel=REL)


def test_price_per_million_tokens_is_one_number(shipped) -> None:
    work = shipped.tables.get("workloads")
    if work is None or work.empty:
        pytest.skip("no economics")
    tok = work[work["metric"] == "usd_per_million_tokens"]
    if tok.empty:
        assert shipped.headline["usd_per_million_tokens"] is None
        return
    assert shipped.headline["usd_per_million_tokens"]["likely"] == pytest.approx(
        tok["likely"].mean(), rel=REL
    )
    for name, df in shipped.tables.items():
        if name != "workloads":
            assert not any("per_million_tokens" in c for c in df.columns), name


def test_a_cluster_costed_alone_equals_it_inside_a_plan(catalog) -> None:
    scenario = Scenario.model_validate(
        {
            "name": "one run",
            "training": [
                {
                    "name": "run",
                    "model": "llama3-70b",
                    "accelerator": "h100-sxm",
                    "gpus": 4096,
                    "tokens": 1e12,
                }
            ],
        }
    )
    inside = plan(scenario, catalog).bom.line("run")  # the job's 4,096 and its hot spares
    assert inside.accelerators > 4096
    deployed = Cluster(gpu="h100-sxm", accelerators=int(inside.accelerators))
    alone = cluster_line(deployed, load_price_book(catalog))
    for key in ("servers", "racks", "switches", "optics", "links", "it_power_w"):
        assert getattr(alone, key) == pytest.approx(getattr(inside, key), rel=REL), key


def test_headline_is_a_typed_record(shipped) -> None:
    from pydantic import ValidationError

    from gigawatt.headline import Headline

    record = shipped.summary
    assert isinstance(record, Headline)
    assert record.to_dict() == shipped.headline
    assert record.accelerators.total == shipped.headline["accelerators"]["total"]
    with pytest.raises(ValidationError):  # a misspelt figure is an error, not a new key
        Headline.model_validate({**record.model_dump(), "it_power_gw": 1.0})


def test_readiness_shortfall_is_one_figure(shipped) -> None:
    first = shipped.headline["first_constraint"]
    if first is None or first["kind"] != "facility":
        pytest.skip("no facility shortfall")
    mw = f"{first['largest_shortfall'] / 1e6:,.0f} MW"
    note = [n for n in shipped.notes if f"facility at {first['where']}:" in n]
    assert note and mw in note[0]
    late = shipped.tables["site_readiness"]
    at_site = late[late["site"] == first["where"]]
    assert first["largest_shortfall"] == pytest.approx(at_site["shortfall_it_w"].max(), rel=REL)
