"""`gigawatt ops` simulates the plan's own fleet: its sites, training runs and services, at
the bill of materials' IT power."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gigawatt.catalog import Catalog
from gigawatt.cli import app
from gigawatt.ops import SimJob, SimSite, ops_inputs_from_plan, simulate, site_it_power_w
from gigawatt.plan import Plan, plan
from gigawatt.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
STARGATE = ROOT / "scenarios" / "stargate.yaml"


@pytest.fixture(scope="module")
def stargate(catalog: Catalog) -> Plan:
    return plan(load_scenario(STARGATE, catalog), catalog)


@pytest.fixture(scope="module")
def cli_ops(tmp_path_factory: pytest.TempPathFactory) -> dict:  # type: ignore[type-arg]
    out = tmp_path_factory.mktemp("ops") / "ts.csv"
    args = ["ops", str(STARGATE), "--days", "3", "--no-live", "--json", "--out", str(out)]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    data: dict = json.loads(res.stdout)  # type: ignore[type-arg]
    return data


def test_cli_ops_names_the_plans_sites_and_jobs(cli_ops: dict, stargate: Plan) -> None:  # type: ignore[type-arg]
    plan_sites = {str(s) for s in stargate.tables["sites"]["site"]}
    sites = cli_ops["sites"]
    assert {s["plan_site"] for s in sites} == plan_sites  # every modelled site, nothing else
    assert "abilene" in {s["plan_site"] for s in sites}
    assert all(s["name"].split(" ")[0] == s["plan_site"] for s in sites)
    assert not {"abilene-tx", "floating-busan", "h100-legacy"} & {s["name"] for s in sites}
    jobs = {j["name"]: j for j in cli_ops["jobs"]}
    runs = {t.name for t in stargate.training}
    services = {str(w) for w in stargate.tables["services"]["workload"]}
    assert "frontier-1t" in jobs and set(jobs) == runs | services
    names = {s["name"] for s in sites}
    assert all(j["site"] in names for j in jobs.values())
    for t in stargate.training:
        assert jobs[t.name]["gpus"] == t.n_gpus and jobs[t.name]["kind"] == "training"
    # a floating site keeps its kind and the plan's PUE
    by_plan = {str(r.site): r for r in stargate.tables["sites"].itertuples()}
    for s in sites:
        assert s["type"] == str(by_plan[s["plan_site"]].kind)
        assert s["pue"] == pytest.approx(float(by_plan[s["plan_site"]].pue), rel=1e-12)


def test_ops_it_power_is_the_plans_allocation(stargate: Plan, catalog: Catalog) -> None:
    sites, jobs = ops_inputs_from_plan(stargate, catalog)
    placed = stargate.tables["allocation"].groupby(["site", "accelerator"])["it_w"].sum()
    for s in sites:
        assert s.plan_site is not None
        full = site_it_power_w(s, catalog, training_gpus=s.gpus)
        assert full == pytest.approx(float(placed[(s.plan_site, s.accelerator)]), rel=1e-9)
        # serving and idle accelerators draw less than training ones, but not nothing
        serve = site_it_power_w(s, catalog, training_gpus=0, serving_gpus=s.gpus)
        idle = site_it_power_w(s, catalog, training_gpus=0, idle_gpus=s.gpus)
        assert 0 < idle < serve < full
    # every job sits on a site of its accelerator type that holds all the jobs placed there
    by_name = {s.name: s for s in sites}
    for s in sites:
        on = [j for j in jobs if j.site == s.name]
        assert sum(j.gpus for j in on) <= s.gpus
    acc = {t.name: t.accelerator for t in stargate.training}
    for j in jobs:
        if j.name in acc:
            assert by_name[j.site].accelerator == acc[j.name]


def test_simulated_power_at_start_matches_the_plan_where_all_train(catalog: Catalog) -> None:
    # a site fully taken by one training job reports the plan's IT power until a failure
    site = SimSite("s", "h100-sxm", 1024, it_power_w=1.5e6, pue=1.25)
    res = simulate([site], [SimJob("j", "s", 1024)], 0.5, seed=0, step_s=60.0, catalog=catalog)
    ts = res.timeseries
    clean = ts[(ts["down_gpus"] == 0) & (ts["training_gpus_running"] == 1024)]
    assert not clean.empty
    assert clean["it_power_w"].to_numpy() == pytest.approx(1.5e6, rel=1e-9)
    assert clean["facility_power_w"].to_numpy() == pytest.approx(1.5e6 * 1.25, rel=1e-9)


def test_without_the_plans_power_the_bom_gives_it(catalog: Catalog) -> None:
    from gigawatt.bom import build_line

    site = SimSite("s", "gb200", 72 * 10)
    line = build_line("s", "gb200", 720.0, catalog)
    assert site_it_power_w(site, catalog, 720) == pytest.approx(line.it_power_w, rel=1e-9)


def _toy_plan() -> Plan:
    import pandas as pd

    alloc = pd.DataFrame(
        {
            "quarter": ["2027Q1", "2027Q2", "2027Q2", "2027Q2"],
            "year": [2027, 2027, 2027, 2027],
            "accelerator": ["h200", "h200", "gb300", "gb300"],
            "it_w": [1.5e6, 0.5e6, 2.0e7, 4.0e7],
            "site": ["north", "north", "north", "unsited"],
            "accelerators": [1000.0, 333.3, 9000.0, 18000.0],
        }
    )
    sites = pd.DataFrame({"site": ["north"], "kind": ["floating"], "pue": [1.1]})
    services = pd.DataFrame(
        {
            "workload": ["chat", "big"],
            "accelerator": ["h200", "gb300"],
            "accelerators": [900.4, 9500.0],
        }
    )
    headline = {"unsited": {"it_power_w": 4.0e7, "facility_power_w": 5.2e7}}
    return Plan(
        scenario="toy",
        tables={"allocation": alloc, "sites": sites, "services": services},
        headline=headline,
    )


def test_jobs_beyond_the_sites_run_on_the_unsited_fleet_only(catalog: Catalog) -> None:
    sites, jobs = ops_inputs_from_plan(_toy_plan(), catalog)
    by_name = {s.name: s for s in sites}
    # two types on one site: named by site and type; the whole sited fleet is simulated
    assert by_name["north h200"].gpus == 1333 and by_name["north h200"].type == "floating"
    assert by_name["north gb300"].gpus == 9000
    # the gb300 service does not fit north: it runs on the unsited fleet, which is simulated
    # only as large as that job, at the plan's unsited PUE and per-accelerator IT power
    unsited = by_name["unsited"]
    assert unsited.gpus == 9500 and unsited.pue == pytest.approx(1.3)
    assert unsited.it_power_w == pytest.approx(4.0e7 * 9500 / 18000)
    placed = {j.name: j.site for j in jobs}
    assert placed == {"chat": "north h200", "big": "unsited"}
    assert next(j for j in jobs if j.name == "chat").gpus == 901


def test_a_job_of_a_type_no_site_holds_is_refused(catalog: Catalog) -> None:
    from gigawatt.errors import InputError

    toy = _toy_plan()
    toy.tables["services"].loc[0, "accelerator"] = "h100-sxm"
    with pytest.raises(InputError, match="h100-sxm"):
        ops_inputs_from_plan(toy, catalog)
