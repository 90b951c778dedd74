from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gigawatt.cli import app
from gigawatt.errors import ScenarioError
from gigawatt.plan import plan
from gigawatt.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
STARGATE = ROOT / "scenarios" / "stargate.yaml"
runner = CliRunner()


@pytest.fixture(scope="module")
def stargate_plan():  # type: ignore[no-untyped-def]
    return plan(load_scenario(STARGATE))


def test_shipped_scenario_plans_every_run(stargate_plan) -> None:  # type: ignore[no-untyped-def]
    result = stargate_plan
    assert len(result.training) >= 3
    for t in result.training:
        assert t.estimate.fits and 0 < t.estimate.mfu < 1
        assert t.time_to_train_s > 0
        if t.deadline_days is not None:
            assert t.meets_deadline


HEADLINE_KEYS = {
    "scenario",
    "accelerators",
    "hbm_stacks",
    "dram_wafers_per_month_peak",
    "dram_wafers_claim_ratio",
    "it_power_w",
    "facility_power_w",
    "pue",
    "water_m3_per_year",
    "co2_t_per_year",
    "capex_usd",
    "opex_usd_per_year",
    "usd_per_million_tokens",
    "budget_usd",
    "within_budget",
    "binding_constraint",
    "unexpected_interruptions_per_day",
    "ettr",
}


def test_headline_has_every_key_with_sensible_units(stargate_plan) -> None:  # type: ignore[no-untyped-def]
    h = stargate_plan.to_dict()
    assert set(h) >= HEADLINE_KEYS
    assert h["accelerators"]["total"] == sum(h["accelerators"]["by_type"].values()) > 1e5
    assert 1.0 <= h["pue"] < 2.0
    assert h["facility_power_w"] >= h["it_power_w"] > 1e9  # a GW-scale programme, in W
    for key in ("dram_wafers_per_month_peak", "capex_usd", "dram_wafers_claim_ratio"):
        r = h[key]
        assert 0 <= r["low"] <= r["likely"] <= r["high"]
    # "binding" means at or near capacity; otherwise the summary says none binds
    util = h["binding_utilisation"]
    assert (h["binding_constraint"] is not None) == (util >= 0.95)
    assert ("no supply constraint binds" in h["binding_summary"]) == (util < 0.95)
    first = h["first_constraint"]  # the build-out outruns Abilene's buildings and power
    assert first is None or first["kind"] in ("facility", "supply")
    assert 0 < h["ettr"] <= 1 and h["unexpected_interruptions_per_day"] > 0
    assert isinstance(h["within_budget"], bool)
    assert {"fleet", "supply_quarterly", "sites", "capex", "cashflow"} <= set(h["tables"])


def test_plan_is_deterministic(stargate_plan) -> None:  # type: ignore[no-untyped-def]
    again = plan(load_scenario(STARGATE))
    assert again.to_dict() == stargate_plan.to_dict()
    for name, df in stargate_plan.tables.items():
        assert again.tables[name].equals(df), name


BAD = """name: bad
training:
  - name: r1
    model: llama3-405b
    tokens: -5
    accelerator: h100-sxm
    gpus: 16
  - name: r2
    model: gpt-9
    tokens: 1.0e+12
    accelerator: h900
    gpus: 8
  - name: r3
    model: llama3-8b
    tokens: 1.0e+12
    accelerator: h100-sxm
    gpuz: 8
"""


def test_bad_scenario_lists_each_problem_with_line(tmp_path: Path) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text(BAD, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(f)
    text = str(info.value)
    assert f"{f}:5: training[0].tokens" in text and "greater than 0" in text
    assert "training[2].gpuz" in text and "unknown field" in text
    assert "training[2]" in text and "gpus" in text


def test_bad_references_are_reported(tmp_path: Path) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text(
        BAD.replace("tokens: -5", "tokens: 5").replace("    gpuz: 8\n", "    gpus: 8\n"),
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError) as info:
        load_scenario(f)
    text = str(info.value)
    assert ":9: training[1].model" in text and "llama3-405b" in text
    assert ":11: training[1].accelerator" in text


def test_cli_check_reports_without_traceback(tmp_path: Path) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text(BAD, encoding="utf-8")
    res = runner.invoke(app, ["check", str(f)])
    assert res.exit_code == 2
    assert "Traceback" not in res.output
    ok = runner.invoke(app, ["check", str(STARGATE)])
    assert ok.exit_code == 0, ok.output


def test_cli_invalid_yaml(tmp_path: Path) -> None:
    f = tmp_path / "broken.yaml"
    f.write_text("name: x\ntraining: [\n", encoding="utf-8")
    res = runner.invoke(app, ["check", str(f)])
    assert res.exit_code == 2 and "not valid YAML" in res.output


def test_cli_train_json() -> None:
    res = runner.invoke(
        app,
        [
            "train",
            "--model",
            "gpt3-175b",
            "--gpu",
            "a100-sxm-80gb",
            "--gpus",
            "1024",
            "--global-batch",
            "1536",
            "--top",
            "3",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert len(data["plans"]) == 3 and data["evaluated"] > data["feasible"] > 0
    assert data["plans"][0]["step_time_s"] <= data["plans"][1]["step_time_s"]


def test_cli_train_table_and_unknown_gpu() -> None:
    res = runner.invoke(
        app,
        [
            "train",
            "--model",
            "llama3-8b",
            "--gpu",
            "h100-sxm",
            "--gpus",
            "64",
            "--global-batch",
            "512",
        ],
    )
    assert res.exit_code == 0 and "why the others lost" in res.output
    bad = runner.invoke(
        app,
        ["train", "--model", "llama3-8b", "--gpu", "h900", "--gpus", "64", "--global-batch", "512"],
    )
    assert bad.exit_code == 2 and "known ids" in bad.output


def test_cli_validate_json(reference_dir: Path) -> None:
    res = runner.invoke(app, ["validate", str(reference_dir / "training.csv"), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert set(data) >= {"rows", "median_abs_error", "max_abs_error"}
    assert data["median_abs_error"] <= 0.05


def test_cli_catalog() -> None:
    res = runner.invoke(app, ["catalog", "list", "accelerators"])
    assert res.exit_code == 0 and "h100-sxm" in res.output
    res = runner.invoke(app, ["catalog", "show", "h100-sxm"])
    assert res.exit_code == 0 and "datasheet" in res.output.lower()
    res = runner.invoke(app, ["catalog", "list", "gadgets"])
    assert res.exit_code == 2 and "allowed" in res.output


def test_cli_run_writes_report(tmp_path: Path) -> None:
    out = tmp_path / "run"
    res = runner.invoke(app, ["run", str(STARGATE), "--out", str(out), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert set(data) >= HEADLINE_KEYS
    assert json.loads((out / "plan.json").read_text()) == data
    assert (out / "summary.md").exists() and (out / "tables" / "fleet.csv").exists()
    assert (out / "tables" / "supply_quarterly.parquet").exists()


@pytest.mark.parametrize("name", ["korea-national-ai-centre.yaml", "lab-1024.yaml"])
def test_other_shipped_scenarios_plan_with_every_key(name: str, tmp_path: Path) -> None:
    res = runner.invoke(
        app, ["run", str(ROOT / "scenarios" / name), "--json", "--out", str(tmp_path)]
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert set(data) >= HEADLINE_KEYS
    assert data["accelerators"]["total"] > 0 and data["capex_usd"]["likely"] > 0
    assert data["within_budget"] is True


def test_run_several_files_prints_one_object(tmp_path: Path) -> None:
    files = [
        str(ROOT / "scenarios" / n) for n in ("lab-1024.yaml", "korea-national-ai-centre.yaml")
    ]
    res = runner.invoke(app, ["run", *files, "--json", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert [p["scenario"] for p in data["plans"]] == [
        "Lab 1024",
        "Korea National AI Computing Center",
    ]


SECTION_ERRORS = """name: bad sections
training:
  - name: r1
    model: llama3-8b
    tokens: 1.0e+12
    accelerator: h100-sxm
    gpus: 8
    plan: {tp: 3, bogus: 1}
serving:
  services:
    - name: s
      model: gpt-9
      daily_active_users: -5
      requests_per_user_per_day: 3
      input_tokens_mean: 100
      output_tokens_mean: 100
facility:
  sites:
    - site: atlantis
      it_mw: 5
      cooling: liquid-tower
"""


def test_section_errors_name_line_field_and_allowed(tmp_path: Path) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text(SECTION_ERRORS, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(f)
    text = str(info.value)
    assert ":8: training[0].plan.bogus: unknown field (allowed fields: tp," in text
    assert ":13: serving.services[0].daily_active_users: Input should be greater than 0" in text
    f.write_text(SECTION_ERRORS.replace("-5", "5").replace("bogus: 1", "pp: 1"), encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(f)
    text = str(info.value)
    assert ":12: serving.services[0].model: 'gpt-9' is not in the catalog" in text
    assert ":19: facility.sites[0].site: 'atlantis' is not in the catalog (allowed: abilene" in text


def test_training_only_scenario_plans_without_inventing_site_figures(tmp_path: Path) -> None:
    f = tmp_path / "min.yaml"
    f.write_text(
        "name: minimal\ntraining:\n  - name: t\n    model: llama3-8b\n    tokens: 1.0e+12\n"
        "    accelerator: h100-sxm\n    gpus: 64\n",
        encoding="utf-8",
    )
    result = plan(load_scenario(f))
    h = result.to_dict()
    assert h["accelerators"]["total"] == 64
    assert h["co2_t_per_year"] is None and h["pue"] > 1.0 and h["water_m3_per_year"] > 0
    assert any("carbon is not estimated" in n for n in result.notes)
