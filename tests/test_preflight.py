"""`gigawatt check` is a pre-flight: it rejects, with file and line, what `run` would reject,
and accepts what `run` can plan."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gigawatt.errors import GigawattError, ScenarioError
from gigawatt.plan import plan
from gigawatt.scenario import load_scenario

BAD = """name: bad
training:
  - name: t
    model: llama3-8b
    tokens: 1.0e+12
    accelerator: h100-sxm
    gpus: 1000
    plan: {tp: 8, pp: 1}
economics:
  currency: XYZ
  prices:
    nope: {value: 1, unit: USD, source: x}
"""


def test_what_run_would_reject_is_found_with_lines(tmp_path: Path) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text(BAD, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(f)
    found = {(p.field, p.line) for p in info.value.problems}
    assert ("economics.currency", 10) in found
    assert ("economics.prices.nope", 12) in found
    assert ("training[0].gpus", 7) in found  # 1,000 GPUs at TP 8 and PP 1: no plan divides
    assert all(p.file == str(f) for p in info.value.problems)


def _scenario(gpus: int, accelerator: str, currency: str, tp: int | None) -> str:
    plan_line = f"    plan: {{tp: {tp}}}\n" if tp else ""
    return (
        "name: generated\ntraining:\n  - name: t\n    model: llama3-8b\n    tokens: 1.0e+11\n"
        f"    accelerator: {accelerator}\n    gpus: {gpus}\n{plan_line}"
        f"economics:\n  currency: {currency}\n"
    )


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    gpus=st.sampled_from([8, 64, 96, 1000, 1024]),
    accelerator=st.sampled_from(["h100-sxm", "gb200", "tpu-v5p"]),
    currency=st.sampled_from(["USD", "KRW", "XYZ"]),
    tp=st.sampled_from([None, 8, 16]),
)
def test_check_accepts_exactly_what_run_accepts(
    tmp_path: Path, gpus: int, accelerator: str, currency: str, tp: int | None
) -> None:
    f = tmp_path / f"s-{gpus}-{accelerator}-{currency}-{tp}.yaml"
    f.write_text(_scenario(gpus, accelerator, currency, tp), encoding="utf-8")
    try:
        scenario = load_scenario(f)
    except ScenarioError:
        return  # rejected by check, which run also calls first
    try:
        plan(scenario)
    except GigawattError as exc:  # pragma: no cover - the failure this test exists to catch
        pytest.fail(f"check accepted {f.name} but run rejected it: {exc}")
