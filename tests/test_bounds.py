"""Every numeric field of a scenario has a physical bound, stated in the error with the field
and line: no value the schema accepts can imply more than a bounded amount of work."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from gigawatt import limits
from gigawatt.errors import ScenarioError
from gigawatt.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
LAB = ROOT / "scenarios" / "lab-1024.yaml"


def _set(data: Any, path: tuple[str | int, ...], value: Any) -> None:
    for key in path[:-1]:
        data = data[key]
    data[path[-1]] = value


def _rejected(tmp_path: Path, path: tuple[str | int, ...], value: Any) -> list[str]:
    data = yaml.safe_load(LAB.read_text(encoding="utf-8"))
    _set(data, path, value)
    f = tmp_path / "s.yaml"
    f.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(f)
    problems = info.value.problems
    assert all(p.file == str(f) and p.line is not None for p in problems), problems
    return [f"{p.field}: {p.message}" for p in problems]


CASES: list[tuple[tuple[str | int, ...], Any, str]] = [
    (("supply", "samples"), 2_000_000, f"{limits.MAX_SAMPLES}"),
    (("supply", "seed"), -1, "0"),
    (("supply", "schedule", 0, "count"), 1e20, "1e+08"),
    (("supply", "schedule", 0, "quarter"), "9999Q1", "2100"),
    (("facility", "sites", 0, "power", 0, "units"), 10**9, f"{limits.MAX_POWER_UNITS}"),
    (("facility", "sites", 0, "module_mw"), 1e-9, "0.001"),
    (("facility", "sites", 0, "it_mw"), 1e308, "100000"),
    (("facility", "sites"), [], "at least 1"),
    (("economics", "horizon_years"), 1_000_000, f"{limits.MAX_YEARS}"),
    (("economics", "budget", "years"), 1e300, f"{limits.MAX_YEARS}"),
    (("economics", "budget", "amount"), 1e300, "1e+18"),
    (("training", 0, "gpus"), 10**20, "1e+08"),
    (("training", 0, "tokens"), 1e300, "1e+17"),
    (("serving", "services", 0, "requests_per_user_per_day"), 1e300, "100000"),
    (("serving", "services", 0, "daily_active_users"), 1e300, "1e+10"),
    (("reliability", "restart_overhead_min"), 1e300, "525960"),
    (("reliability", "planned_interruptions_per_day"), 1e300, "86400"),
    (("start_quarter",), "1000Q1", "2000"),
]


@pytest.mark.parametrize(("path", "value", "bound"), CASES, ids=[str(c[0]) for c in CASES])
def test_out_of_bound_values_are_rejected_with_the_bound(
    tmp_path: Path, path: tuple[str | int, ...], value: Any, bound: str
) -> None:
    messages = _rejected(tmp_path, path, value)
    field = ".".join(f"[{x}]" if isinstance(x, int) else x for x in path).replace(".[", "[")
    assert any(m.startswith(field) and bound in m for m in messages), messages


def test_module_count_is_bounded(tmp_path: Path) -> None:
    """it_mw / module_mw is the number of build-out rows: bounded even when each is valid."""
    data = yaml.safe_load(LAB.read_text(encoding="utf-8"))
    _set(data, ("facility", "sites", 0, "it_mw"), 50_000.0)
    _set(data, ("facility", "sites", 0, "module_mw"), 0.01)
    f = tmp_path / "m.yaml"
    f.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(f)
    assert any(str(limits.MAX_MODULES) in p.message for p in info.value.problems)
