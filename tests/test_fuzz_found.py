"""Cases the fuzzing campaign (bench/fuzz.py) found, each now refused by ``check`` or planned.

Check accepted and run failed on: a budget cut priority naming a tranche no plan has, a site
of 1e-308 MW (no build-out module at all) and a site listing no power source (an empty power
table without its columns)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from gigawatt.economics.budget import budget_check
from gigawatt.errors import InputError, ScenarioError
from gigawatt.plan import plan
from gigawatt.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
LAB = ROOT / "scenarios" / "lab-1024.yaml"
STARGATE = ROOT / "scenarios" / "stargate.yaml"


def _costs() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "tranche": ["a", "b"],
            "year": [2026, 2027],
            "cost_usd_low": [1.0, 1.0],
            "cost_usd": [2.0, 2.0],
            "cost_usd_high": [3.0, 3.0],
        }
    )


def test_a_known_tranche_without_costs_is_not_funded_and_an_unknown_one_is_an_error() -> None:
    res = budget_check(_costs(), 3.0, priority=["idle-site", "b", "a"], known=["idle-site"])
    assert list(res.tranches["tranche"]) == ["b", "a"]  # b funded first, a only in part
    with pytest.raises(InputError, match="unknown tranche"):
        budget_check(_costs(), 3.0, priority=["typo", "a"])


def _mutated(tmp_path: Path, source: Path, edit: object) -> Path:
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    edit(data)  # type: ignore[operator]
    f = tmp_path / "s.yaml"
    f.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return f


def test_check_refuses_a_cut_priority_naming_no_tranche(tmp_path: Path) -> None:
    def edit(d: dict) -> None:  # type: ignore[type-arg]
        d["economics"]["budget"]["cut_priority"][1] = "yes"

    f = _mutated(tmp_path, STARGATE, edit)
    with pytest.raises(ScenarioError) as err:
        load_scenario(f)
    [problem] = err.value.problems
    assert problem.field == "economics.budget.cut_priority[1]"
    assert problem.line is not None and "'yes'" in problem.message
    assert "unsited" in problem.message  # the allowed names are listed


def test_check_refuses_a_site_too_small_for_one_module(tmp_path: Path) -> None:
    def edit(d: dict) -> None:  # type: ignore[type-arg]
        d["facility"]["sites"][0]["it_mw"] = 1e-308

    f = _mutated(tmp_path, LAB, edit)
    with pytest.raises(ScenarioError) as err:
        load_scenario(f)
    assert [p.field for p in err.value.problems] == ["facility.sites[0].it_mw"]
    assert "0.001" in err.value.problems[0].message


def test_a_site_without_power_plans_and_shows_its_supply_short(tmp_path: Path) -> None:
    def edit(d: dict) -> None:  # type: ignore[type-arg]
        d["facility"]["sites"][0]["power"] = []

    result = plan(load_scenario(_mutated(tmp_path, LAB, edit)))
    sites = result.tables["sites"]
    assert not bool(sites["supply_ok"].iloc[0])
    assert result.tables["power_sources"].empty
