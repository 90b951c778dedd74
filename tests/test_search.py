from __future__ import annotations

import pytest

from gigawatt.errors import InputError
from gigawatt.perf import get_system
from gigawatt.perf.search import enumerate_plans, search
from gigawatt.workload import get_model


def test_search_returns_feasible_plans_sorted() -> None:
    r = search(get_model("gpt3-175b"), get_system("a100-sxm-80gb"), 1024, 1536)
    top = r.top(10)
    assert top and all(e.fits for e in top)
    times = [e.step_time_s for e in top]
    assert times == sorted(times)
    assert r.rejected["out of memory"] > 0
    assert all(e.plan.n_gpus == 1024 for e in top)


def test_every_enumerated_plan_is_valid() -> None:
    model = get_model("llama3-405b")
    plans = enumerate_plans(model, get_system("h100-sxm"), 8192, 2048)
    assert plans is not None and len(plans) > 1000
    n = plans.tp * plans.pp * plans.dp * plans.cp
    assert (n == 8192).all()
    assert (2048 % (plans.dp * plans.micro_batch) == 0).all()
    m = 2048 // (plans.dp * plans.micro_batch)
    inter = plans.vpp > 1
    assert ((m[inter] % plans.pp[inter]) == 0).all()
    assert (model.n_heads % plans.tp == 0).all()
    assert (plans.tp <= 8).all()


def test_fixed_fields_are_honoured() -> None:
    r = search(
        get_model("llama3-70b"),
        get_system("h100-sxm"),
        512,
        512,
        fixed={"tp": 4, "pp": 4, "recompute": "full"},
    )
    for e in r.top(20):
        assert (e.plan.tp, e.plan.pp, e.plan.recompute) == (4, 4, "full")


def test_impossible_problem_says_why() -> None:
    r = search(get_model("megatron-1t"), get_system("a100-sxm-80gb"), 8, 8)
    assert r.feasible == 0
    with pytest.raises(InputError, match="out of memory"):
        r.best()


def test_more_gpus_never_slower_per_token() -> None:
    model, system = get_model("llama3-70b"), get_system("h100-sxm")
    small = search(model, system, 256, 1024).best()
    big = search(model, system, 1024, 1024).best()
    assert big.tokens_per_s >= small.tokens_per_s
