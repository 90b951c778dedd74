"""The budget search, whose time grows with the years of opex it must pay (a fuzzing hang):
its answer is the largest count that fits, whatever bracket it starts from, and the years
it searches are bounded."""

from __future__ import annotations

from dataclasses import replace

import pytest
from typer.testing import CliRunner

from gigawatt.cli import app
from gigawatt.economics import Cluster, load_price_book, max_accelerators
from gigawatt.economics.buys import _total_cost


@pytest.mark.parametrize(("budget_usd", "start"), [(3e7, 1), (3e7, 5_000), (2e9, 7)])
def test_count_is_the_largest_that_fits_from_any_start(budget_usd: float, start: int) -> None:
    book = load_price_book()
    cluster = Cluster(gpu="h100-sxm", accelerators=0)
    n = max_accelerators(budget_usd, cluster, book, 2, start=start)
    assert n > 0
    assert _total_cost(replace(cluster, accelerators=n), book, 2, 1) <= budget_usd
    assert _total_cost(replace(cluster, accelerators=n + 1), book, 2, 1) > budget_usd


def test_budget_years_beyond_the_bound_are_refused_with_the_range() -> None:
    result = CliRunner().invoke(app, ["budget", "-a", "h100-sxm", "--amount", "1e7", "--years=100"])
    assert result.exit_code == 2
    assert "--years" in result.output and "<= 10" in result.output


def test_a_budget_beyond_the_largest_plan_names_the_amount() -> None:
    result = CliRunner().invoke(app, ["budget", "-a", "h100-sxm", "--amount", "1e18"])
    assert result.exit_code == 2
    assert "--amount" in result.output and "100,000,000 accelerators" in result.output
