"""Reliability: component failure model, checkpoint/ETTR closed form, simulation, CLI."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from gigawatt.cli import app
from gigawatt.errors import InputError
from gigawatt.ops import SimJob, SimSite, simulate
from gigawatt.reliability import (
    Conditions,
    ReliabilitySection,
    daly_interval_s,
    ettr,
    failure_model,
    job_reliability,
    optimal_interval_s,
    plan_reliability,
    temperature_factor,
    young_interval_s,
)
from gigawatt.validate import validate_file
from gigawatt.workload import get_model

ROOT = Path(__file__).resolve().parents[1]


def test_reference_file_within_tolerance(reference_dir: Path) -> None:
    report = validate_file(reference_dir / "reliability.csv")
    assert report.kind == "reliability"
    for r in report.rows:
        assert r.error is None, r.error
        assert r.within, (r.id, r.predicted, r.measured)


def test_llama3_record_from_component_rates() -> None:
    fm = failure_model("h100-sxm")
    by = {k: float(v) * 54 * 86400 for k, v in fm.rates_by_cause(16384).items()}
    assert by["gpu-faulty"] == pytest.approx(148, rel=0.02)
    assert by["hbm"] == pytest.approx(72, rel=0.02)
    assert by["software"] == pytest.approx(54, rel=0.02)
    assert by["switch"] + by["link"] == pytest.approx(35, rel=0.05)
    # counts come from the topology: GB200 (8 HBM stacks, 2 dies) differs per GPU
    gb = {k: float(v) for k, v in failure_model("gb200").rates_by_cause(16384).items()}
    h = {k: float(v) for k, v in fm.rates_by_cause(16384).items()}
    assert gb["hbm"] == pytest.approx(h["hbm"] * 8 / 5)
    assert gb["gpu-sram"] == pytest.approx(2 * h["gpu-sram"])


def test_site_temperature_age_multipliers() -> None:
    land = failure_model("h100-sxm").job_failure_rate(16384)
    sub = failure_model("h100-sxm", conditions=Conditions(site="subsea")).job_failure_rate(16384)
    assert sub < 0.4 * land  # hardware at 1/8, software unchanged
    assert float(temperature_factor(75.0)) > 1.0 > float(temperature_factor(55.0))
    young = failure_model("h100-sxm", conditions=Conditions(fleet_age_years=0.0))
    old = failure_model("h100-sxm", conditions=Conditions(fleet_age_years=6.0))
    assert young.job_failure_rate(1024, 0.0) > land / 16 and old.job_failure_rate(1024) > land / 16


@settings(max_examples=40, deadline=None)
@given(n=st.integers(8, 200_000), extra=st.integers(1, 100_000))
def test_more_gpus_more_interruptions(n: int, extra: int) -> None:
    fm = failure_model("h100-sxm")
    assert fm.job_failure_rate(n + extra) > fm.job_failure_rate(n) > 0


@settings(max_examples=60, deadline=None)
@given(
    d1=st.floats(1.0, 600.0),
    dd=st.floats(0.1, 600.0),
    mttf_h=st.floats(0.2, 100.0),
    restart=st.floats(0.0, 3600.0),
)
def test_longer_checkpoint_lower_ettr(d1: float, dd: float, mttf_h: float, restart: float) -> None:
    m = mttf_h * 3600
    best1 = ettr(optimal_interval_s(d1, m), d1, restart, m)
    best2 = ettr(optimal_interval_s(d1 + dd, m), d1 + dd, restart, m)
    assert 0 < best2 < best1 < 1


def test_optimal_interval_is_the_maximum_and_matches_young_daly() -> None:
    m, d = 3 * 3600.0, 30.0
    tau = float(optimal_interval_s(d, m))
    grid = np.linspace(0.2 * tau, 5 * tau, 2001)
    assert ettr(tau, d, 600, m) >= np.max(ettr(grid, d, 600, m)) - 1e-12
    assert tau == pytest.approx(float(young_interval_s(d, m)), rel=0.05)
    assert tau == pytest.approx(float(daly_interval_s(d, m)), rel=0.002)
    # vectorised
    assert np.shape(ettr(grid, d, 600, m)) == grid.shape


@pytest.mark.parametrize("lag", [0.0, 300.0])
def test_simulation_agrees_with_closed_form(lag: float) -> None:
    n, tau, d, r = 16384, 1800.0, 60.0, 600.0
    fm = failure_model("h100-sxm")
    m = 1.0 / float(fm.job_failure_rate(n))
    res = simulate(
        [SimSite("a", "h100-sxm", int(n * 1.05))],
        [SimJob("j", "a", n, interval_s=tau, checkpoint_s=d, lag_s=lag, restart_s=r)],
        days=400,
        seed=3,
        correlated=False,
        step_s=86400,
    )
    job = res.job("j")
    assert job["ettr"] == pytest.approx(float(ettr(tau, d, r, m, lag)), rel=0.02)
    assert job["interruptions"] / (400 * 86400) == pytest.approx(1 / m, rel=0.05)


def test_correlated_failures_and_repair_queue() -> None:
    # no spares and one repair crew: jobs wait for repairs, ETTR falls below the closed form
    n = 2048
    site = SimSite("a", "h100-sxm", n, technicians=1)
    res = simulate([site], [SimJob("j", "a", n, interval_s=1800, restart_s=600)], 60, seed=1)
    job = res.job("j")
    assert job["wait_h"] > 0
    closed = job_reliability(
        "h100-sxm",
        n,
        60,
        checkpoint_size_bytes=0,
        planned_per_day=0,
        spare_fraction=0.5,
        interval_s=1800,
    )
    assert job["ettr"] < closed.ettr
    assert (res.incidents["hosts_down"] >= 0).all()
    ts = res.timeseries
    assert (
        ts["healthy_gpus"] + ts["down_gpus"] == ts["healthy_gpus"].iloc[0] + ts["down_gpus"].iloc[0]
    ).all()
    assert (ts["facility_power_w"] >= ts["it_power_w"]).all() and (ts["it_power_w"] > 0).all()


def test_large_job_ettr_and_plan() -> None:
    model = get_model("megatron-1t")
    plan = plan_reliability("frontier", model, "gb200", 100_000, {"fleet_age_years": 0.5})
    assert 0.3 < plan.ettr < 0.95
    assert plan.time_factor == pytest.approx(1 / plan.ettr)
    assert plan.unexpected_interruptions_per_day > 30
    small = plan_reliability("small", model, "gb200", 8192, ReliabilitySection())
    assert small.ettr > plan.ettr


def test_bad_inputs_are_clear() -> None:
    with pytest.raises(InputError, match="gpus"):
        job_reliability("h100-sxm", 0)
    with pytest.raises(InputError, match="site"):
        failure_model("h100-sxm", conditions=Conditions(site="moon"))
    with pytest.raises(InputError, match="gpu"):
        failure_model("nope")
    with pytest.raises(InputError, match="days"):
        job_reliability("h100-sxm", 8, days=-1)
    with pytest.raises(InputError, match="interval"):
        ettr(0.0, 1.0, 1.0, 10.0)
    with pytest.raises(InputError, match="site"):
        simulate([SimSite("a", "h100-sxm", 8)], [SimJob("j", "b", 8)], 1)
    assert math.isfinite(job_reliability("h100-sxm", 1, 1).ettr)


def test_validate_row_errors(tmp_path: Path) -> None:
    f = tmp_path / "r.csv"
    f.write_text(
        "id,source,gpu,n_gpus,days,metric,value,tolerance,job_mix\n"
        "a,x,h100-sxm,16384,54,job_mttf_h,3.0,0.25,production\n"
        "b,x,nogpu,16384,54,unexpected_interruptions,10,0.25,\n"
        "c,x,h100-sxm,16384,54,bogus,10,0.25,\n"
        "d,x,h100-sxm,16384,54,job_mttf_h,3.0,0.25,lab\n"
    )
    rows = validate_file(f).rows
    assert rows[0].within  # Llama 3's run: 54 d x 24 h / 419 = 3.1 h
    assert rows[3].error and "job_mix" in rows[3].error and "research" in rows[3].error
    assert rows[1].error and "nogpu" in rows[1].error
    assert rows[2].error and "metric" in rows[2].error


def test_cli_reliability_json_and_table() -> None:
    runner = CliRunner()
    res = runner.invoke(
        app,
        [
            "reliability",
            "--gpu",
            "h100-sxm",
            "--gpus",
            "16384",
            "--days",
            "54",
            "--model",
            "llama3-405b",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["unexpected_interruptions"] == pytest.approx(419, rel=0.05)
    assert 0.85 < data["ettr"] < 1
    res = runner.invoke(app, ["reliability", "--gpus", "1024"])
    assert res.exit_code == 0 and "ETTR" in res.output
    res = runner.invoke(app, ["reliability", "--gpus", "0"])
    assert res.exit_code == 2 and "--count" in res.output


def test_cli_ops_writes_timeseries(tmp_path: Path) -> None:
    out = tmp_path / "ts.csv"
    res = CliRunner().invoke(
        app,
        [
            "ops",
            str(ROOT / "scenarios" / "stargate.yaml"),
            "--days",
            "3",
            "--no-live",
            "--out",
            str(out),
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert out.is_file() and len(data["jobs"]) >= 3
    import pandas as pd

    ts = pd.read_csv(out)
    assert {"healthy_gpus", "goodput", "facility_power_w", "incidents"} <= set(ts.columns)
    bad = tmp_path / "bad.yaml"
    bad.write_text("reliability:\n  site: moon\n")
    res = CliRunner().invoke(
        app, ["ops", str(ROOT / "scenarios" / "stargate.yaml"), "--section", str(bad), "--no-live"]
    )
    assert res.exit_code == 2 and "site" in res.output
