"""Demand, fleet sizing, the Mach-1 comparison and `gigawatt serve`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from gigawatt.cli import app
from gigawatt.demand import FleetRun, ServiceDemand, load_serving_section, parse_serving_section
from gigawatt.errors import InputError
from gigawatt.fleet import lpddr_decode_comparison, plan_fleet, plan_services

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


def chat(**kw: object) -> ServiceDemand:
    base: dict[str, object] = dict(
        name="chat",
        model="llama3-70b",
        accelerator="h200",
        daily_active_users=1e7,
        requests_per_user_per_day=10,
        input_tokens_mean=1000,
        output_tokens_mean=300,
    )
    base.update(kw)
    return ServiceDemand(**base)  # type: ignore[arg-type]


def test_shipped_section_plans_a_fleet() -> None:
    sec = load_serving_section(str(ROOT / "scenarios" / "sections" / "serving.yaml"))
    df = plan_fleet(sec.services, sec.training_runs)
    total = df[df["workload"] == "TOTAL"].iloc[0]
    assert total["accelerators"] == df[df["kind"] != "total"]["accelerators"].sum()
    svc = df[df["kind"] == "service"]
    assert (svc["ttft_p99_s"] <= 2.0).all() and (svc["tpot_p50_s"] <= 0.05).all()
    assert (df["servers"] > 0).all() and (df["optics_per_gpu"].dropna() >= 2).all()


@settings(max_examples=8, deadline=None)
@given(users=st.floats(1e5, 1e9), growth=st.floats(0.0, 0.5))
def test_more_users_never_fewer_accelerators(users: float, growth: float) -> None:
    a = plan_services([chat(daily_active_users=users, growth_per_quarter=growth)])
    b = plan_services([chat(daily_active_users=users * 2, growth_per_quarter=growth)])
    later = plan_services([chat(daily_active_users=users, growth_per_quarter=growth)], quarter=4)
    assert b["accelerators"][0] >= a["accelerators"][0] >= 1
    assert later["accelerators"][0] >= a["accelerators"][0]


def test_lengths_are_sampled_with_the_stated_means() -> None:
    s_in, s_out = chat(input_tokens_cv=1.5).sample_lengths(200_000)
    assert np.mean(s_in) == pytest.approx(1000, rel=0.05) and s_in.min() >= 1
    assert np.mean(s_out) == pytest.approx(300, rel=0.05)


def test_bad_service_definitions_get_clear_messages() -> None:
    with pytest.raises(InputError) as e:
        parse_serving_section(
            {
                "services": [
                    {
                        "name": "x",
                        "model": "llama3-70b",
                        "daily_active_users": -5,
                        "requests_per_user_per_day": 1,
                        "input_tokens_mean": 10,
                        "output_tokens_mean": 10,
                    }
                ]
            }
        )
    assert "daily_active_users" in str(e.value)
    with pytest.raises(InputError, match="no configuration"):
        plan_services([chat(ttft_p99_s=0.001, tpot_p50_s=0.001)])
    # 405B in BF16 no longer fails on A100: pipeline stages across 8-GPU domains hold it
    with pytest.raises(InputError, match=r"no configuration of Llama 3\.1 405B"):
        plan_services([chat(model="llama3-405b", accelerator="a100-sxm-80gb", weights=["bf16"])])
    from gigawatt.fleet import serving_configs
    from gigawatt.perf import get_system
    from gigawatt.workload import get_model

    tiny = get_system("a100-sxm-80gb").with_(memory_bytes=4e9)
    with pytest.raises(InputError, match="fits no configuration"):
        serving_configs(get_model("llama3-405b"), tiny, 1000, 300, 2.0, 0.05, ("bf16",))
    with pytest.raises(InputError, match="accelerator"):
        plan_fleet([], [FleetRun(name="t", accelerator="nope", n_gpus=8)])


def test_mach1_comparison_is_labelled_assumed() -> None:
    df = lpddr_decode_comparison()
    assert set(df["case"]) == {"likely", "pessimistic", "optimistic"}
    assert df[df["accelerator"] != "h200"]["assumed"].all()


def test_serve_cli_json_and_errors() -> None:
    r = runner.invoke(
        app,
        [
            "serve",
            "--model",
            "llama3-70b",
            "--gpu",
            "h200",
            "--ttft-ms",
            "2000",
            "--tpot-ms",
            "50",
            "--users",
            "1e7",
            "--json",
        ],
    )
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    best = data["configurations"][0]
    assert best["ttft_p99_s"] <= 2.0 and best["tpot_p50_s"] <= 0.05
    assert data["demand"]["accelerators"] >= 1
    bad = runner.invoke(app, ["serve", "--model", "llama3-70b", "--users", "-5"])
    assert bad.exit_code == 2 and "--users" in bad.output
    slo = runner.invoke(app, ["serve", "--model", "llama3-70b", "--ttft-ms", "1"])
    assert slo.exit_code == 2 and "best achievable" in slo.output


@pytest.mark.parametrize("gpu", ["mi300x", "mi325x", "mi355x"])
def test_amd_gpus_can_be_served(gpu: str) -> None:
    """xGMI latency is in the catalog (a sourced range), so AMD parts can be modelled."""
    r = runner.invoke(app, ["serve", "--model", "llama3-70b", "--gpu", gpu, "--json"])
    assert r.exit_code == 0, r.output
    best = json.loads(r.stdout)["configurations"][0]
    assert best["tokens_per_s_per_gpu"] > 0 and best["ttft_p99_s"] <= 2.0


def test_serve_ranks_by_cost_across_gpus_with_ranges() -> None:
    r = runner.invoke(
        app,
        [
            *("serve", "--model", "llama3-70b", "--gpu", "h100-sxm,h200,b200"),
            *("--rank", "cost", "--users", "1e7", "--json"),
        ],
    )
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    rows = data["configurations"]
    costs = [c["usd_per_million_tokens"] for c in rows]
    assert costs == sorted(costs)
    for c in rows:
        assert 0 < c["usd_per_million_tokens_low"] <= c["usd_per_million_tokens"]
        assert c["usd_per_million_tokens"] <= c["usd_per_million_tokens_high"]
    # fleet average (diurnal mean load on installed replicas) costs more than sustained load
    assert data["demand"]["fleet_usd_per_million_tokens"] > costs[0]
    bad = runner.invoke(app, ["serve", "--model", "llama3-70b", "--rank", "cheap"])
    assert bad.exit_code == 2 and "--rank" in bad.output
    from gigawatt.fleet import rank_configs

    unpriced = pd.DataFrame({"tokens_per_s_per_gpu": [1.0], "usd_per_million_tokens": [np.nan]})
    with pytest.raises(InputError, match="price"):
        rank_configs(unpriced, "cost")


def test_search_tries_pipeline_and_expert_parallel() -> None:
    from gigawatt.fleet import parallel_layouts, serving_configs
    from gigawatt.perf import get_system
    from gigawatt.workload import get_model

    h100 = get_system("h100-sxm")
    dense = parallel_layouts(get_model("llama3-70b"), h100)
    assert all(e == 1 for _, _, e in dense) and any(p > 1 for _, p, _ in dense)
    assert any(t * p > h100.scale_up_domain for t, p, _ in dense)  # PP across domains
    moe = get_model("mixtral-8x7b")
    assert any(e > 1 for _, _, e in parallel_layouts(moe, h100))
    df = serving_configs(moe, h100, 1000, 300, 2.0, 0.05, ("fp8",))
    assert (df["ep"] > 1).any()
    assert (df["gpus_per_replica"] == df["pp"] * df[["tp", "ep"]].max(axis=1)).all()
    # a model too big for one 8-GPU domain in BF16 is served with pipeline stages across domains
    big = serving_configs(get_model("llama3-405b"), h100, 1000, 300, 5.0, 0.2, ("bf16",))
    assert (big["pp"] > 1).all() and (big["gpus_per_replica"] > 8).all()
