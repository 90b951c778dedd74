"""The serving pre-flight finds what the serving stage of `run` would reject: an SLO no
configuration meets, named by field and line (cheaply when the SLO is reachable)."""

from __future__ import annotations

from pathlib import Path

import yaml

from gigawatt.catalog import load_catalog
from gigawatt.preflight import serving_problems
from gigawatt.scenario import load_scenario

LAB = Path(__file__).resolve().parents[1] / "scenarios" / "lab-1024.yaml"


def _with_service(tmp_path: Path, **changes: object) -> Path:
    data = yaml.safe_load(LAB.read_text(encoding="utf-8"))
    data["serving"]["services"][0].update(changes)
    f = tmp_path / "s.yaml"
    f.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return f


def test_an_unreachable_slo_is_found_by_check_with_its_line(tmp_path: Path) -> None:
    f = _with_service(tmp_path, ttft_p99_s=1e-6, tpot_p50_s=1e-7)
    lines = {("serving", "services", 0, "ttft_p99_s"): 7}
    problems = serving_problems(load_scenario(f), load_catalog(), str(f), lines)
    found = [p for p in problems if p.field == "serving.services[0].ttft_p99_s"]
    assert found and found[0].line == 7 and "best achievable" in found[0].message


def test_a_loose_slo_passes_without_the_full_search(tmp_path: Path) -> None:
    f = _with_service(tmp_path, ttft_p99_s=60.0, tpot_p50_s=1.0)
    assert serving_problems(load_scenario(f), load_catalog(), str(f), {}) == []
