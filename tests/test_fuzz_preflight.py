"""The serving pre-flight (part of `check`) finds what the serving stage of `run` would
reject: an SLO no configuration meets, named by file, line and field (cheaply when the SLO is
reachable)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from gigawatt.catalog import load_catalog
from gigawatt.cli import app
from gigawatt.errors import ScenarioError
from gigawatt.preflight import serving_problems
from gigawatt.scenario import load_scenario

LAB = Path(__file__).resolve().parents[1] / "scenarios" / "lab-1024.yaml"


def _with_service(tmp_path: Path, **changes: object) -> Path:
    data = yaml.safe_load(LAB.read_text(encoding="utf-8"))
    data["serving"]["services"][0].update(changes)
    f = tmp_path / "s.yaml"
    f.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return f


def test_an_unreachable_slo_is_refused_by_check_with_file_line_and_field(
    tmp_path: Path,
) -> None:
    f = _with_service(tmp_path, ttft_p99_s=1e-6, tpot_p50_s=1e-7)
    with pytest.raises(ScenarioError) as info:
        load_scenario(f)  # what `check` runs, and `run` first
    found = [p for p in info.value.problems if p.field == "serving.services[0].ttft_p99_s"]
    assert found and "best achievable" in found[0].message
    text = f.read_text(encoding="utf-8").splitlines()
    assert found[0].file == str(f) and "ttft_p99_s" in text[found[0].line - 1]
    result = CliRunner().invoke(app, ["check", str(f)])
    assert result.exit_code != 0 and "ttft_p99_s" in result.output


def test_a_loose_slo_passes_without_the_full_search(tmp_path: Path) -> None:
    f = _with_service(tmp_path, ttft_p99_s=60.0, tpot_p50_s=1.0)
    assert serving_problems(load_scenario(f), load_catalog(), str(f), {}) == []
