"""The serving pre-flight weighs the same options as the search: a service that allows or
demands prefill/decode disaggregation, or states a prefix-cache hit rate, is accepted by
``check`` exactly when ``run``'s serving search finds a configuration.

Before the pre-flight drew its options from ``fleet.serving_candidates`` it tried
co-located replicas only, so a ``disaggregation: only`` service with a TTFT target that
co-located serving meets but a prefill pool (plus its KV transfer) does not passed
``check`` and failed in ``run``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from gigawatt.catalog import load_catalog
from gigawatt.errors import InputError, Problem, ScenarioError
from gigawatt.fleet import service_options, serving_configs
from gigawatt.perf.system import get_system
from gigawatt.scenario import Scenario, load_scenario
from gigawatt.workload import get_model

LAB = Path(__file__).resolve().parents[1] / "scenarios" / "lab-1024.yaml"
# a long prompt and a two-token answer (a classifier or reranker behind a chat front end):
# the prefill dominates, so co-located and disaggregated serving reach different latencies
LONG_PROMPT = {"input_tokens_mean": 8000, "output_tokens_mean": 2, "weights": ["fp8"]}


def _scenario(tmp_path: Path, **changes: Any) -> Path:
    data = yaml.safe_load(LAB.read_text(encoding="utf-8"))
    data["serving"]["services"][0].update({**LONG_PROMPT, **changes})
    f = tmp_path / "s.yaml"
    f.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return f


def _check_problems(f: Path) -> list[Problem]:
    """What ``check`` says: load_scenario runs the whole pre-flight."""
    try:
        load_scenario(f)
    except ScenarioError as exc:
        return list(exc.problems)
    return []


def _run_plans(f: Path) -> bool:
    """What ``run``'s serving search says, on the schema-valid file without the pre-flight."""
    data = yaml.safe_load(f.read_text(encoding="utf-8"))
    svc = Scenario.model_validate(data).serving.services[0]  # type: ignore[union-attr]
    cat = load_catalog()
    try:
        serving_configs(
            get_model(svc.model, cat),
            get_system(svc.accelerator, cat),
            svc.input_tokens_mean,
            svc.output_tokens_mean,
            svc.ttft_p99_s,
            svc.tpot_p50_s,
            svc.precisions,
            **service_options(svc),
        )
    except InputError:
        return False
    return True


@pytest.mark.parametrize(
    ("mode", "ttft_p99_s", "tpot_p50_s"),
    [
        ("only", 0.12, 0.05),  # co-located meets the TTFT at one request; a prefill pool not
        ("off", 0.12, 0.05),
        ("only", 1.0, 0.004),  # only decode-only replicas meet the TPOT
        ("off", 1.0, 0.004),
        ("allow", 1.0, 0.004),
    ],
)
def test_check_accepts_iff_run_plans(
    tmp_path: Path, mode: str, ttft_p99_s: float, tpot_p50_s: float
) -> None:
    f = _scenario(tmp_path, disaggregation=mode, ttft_p99_s=ttft_p99_s, tpot_p50_s=tpot_p50_s)
    problems = _check_problems(f)
    assert (problems == []) == _run_plans(f), problems


def test_an_unreachable_disaggregated_slo_names_the_target(tmp_path: Path) -> None:
    f = _scenario(tmp_path, disaggregation="only", ttft_p99_s=0.12, tpot_p50_s=0.05)
    problems = _check_problems(f)
    assert [p.field for p in problems] == ["serving.services[0].ttft_p99_s"]
    assert "best achievable" in problems[0].message


def test_prefix_hits_count_in_the_preflight(tmp_path: Path) -> None:
    """A TTFT target only prefix-cache hits make reachable passes both check and run."""
    f = _scenario(tmp_path, ttft_p99_s=0.06, tpot_p50_s=0.05, prefix_cache_hit_rate=0.9)
    assert _check_problems(f) == []
    assert _run_plans(f)
    g = _scenario(tmp_path, ttft_p99_s=0.06, tpot_p50_s=0.05)
    assert not _run_plans(g)
