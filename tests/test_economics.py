"""Economics: conservation, monotonicity, currencies, golden checks and clear errors."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from gigawatt.cli import app
from gigawatt.economics import (
    YEAR_S,
    BudgetSection,
    Cluster,
    EconomicsInputs,
    EconomicsSection,
    Purchase,
    RunUse,
    ServiceUse,
    SiteOperation,
    budget_check,
    capex_table,
    capital_recovery_factor,
    cluster_cost,
    cluster_inputs,
    convert,
    convert_range,
    depreciation_schedule,
    in_currency,
    load_price_book,
    max_accelerators,
    plan_economics,
    straight_line_depreciation,
    usd_per_gpu_hour,
    usd_per_million_tokens,
    usd_per_training_run,
    what_budget_buys,
)
from gigawatt.errors import CatalogError, InputError

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


@pytest.fixture(scope="module")
def book():  # type: ignore[no-untyped-def]
    return load_price_book()


def _campus(book, gpus: int = 100_000, **kw):  # type: ignore[no-untyped-def]
    return cluster_cost(Cluster(gpu="gb200", accelerators=gpus, **kw), book)


# ---- catalog --------------------------------------------------------------------------------
def test_price_book_loads_every_item_with_known_classes(book) -> None:
    assert {"hgx-h100-server", "gb200-nvl72-rack", "dc-mep", "floating-hull"} <= set(book.items)
    for item in book.items.values():
        if item.price is not None:
            lo, mid, hi = item.price
            assert 0 <= lo <= mid <= hi, item.id
    assert {"usd", "eur", "krw"} <= set(book.currencies)
    # every accelerator reference resolves, and a default compute system exists for them
    for acc in ("h100-sxm", "h200", "b200", "gb200", "gb300", "mi300x"):
        assert book.compute_item(acc).accelerator == acc


def test_unpublished_price_asks_for_an_override(book) -> None:
    with pytest.raises(CatalogError, match="price override"):
        cluster_cost(Cluster(gpu="tpu-v5p", accelerators=1024), book)
    sec = EconomicsSection(
        prices={"tpu-v5p-chip": {"value": 6.0e4, "unit": "USD", "source": "test"}}  # type: ignore[dict-item]
    )
    with pytest.raises(CatalogError, match="server power per accelerator"):
        cluster_cost(Cluster(gpu="tpu-v5p", accelerators=1024), book, sec)
    tpu = Cluster(gpu="tpu-v5p", accelerators=1024, server_power_per_accelerator_w=600.0)
    cc = cluster_cost(tpu, book, sec)
    assert cc.metric("capex_usd")[1] > 1024 * 6.0e4 / 4


# ---- conservation ---------------------------------------------------------------------------
def test_components_sum_to_totals(book) -> None:
    cc = _campus(book)
    t = cc.tables
    for col in ("capex_usd_low", "capex_usd", "capex_usd_high"):
        total = t["capex"][col].sum()
        assert t["capex_by_year"][col].sum() == pytest.approx(total, rel=1e-12)
        assert t["cashflow"][col].sum() == pytest.approx(total, rel=1e-12)
    opex = t["opex_by_year"].groupby("year")["opex_usd"].sum().to_numpy()
    np.testing.assert_allclose(opex, t["cashflow"]["opex_usd"].to_numpy(), rtol=1e-12)
    s = t["summary"].set_index("metric")
    assert s.loc["tco_usd", "likely"] == pytest.approx(
        s.loc["capex_usd", "likely"] + t["cashflow"]["opex_usd"].sum(), rel=1e-12
    )
    cash = t["cashflow"]
    np.testing.assert_allclose(
        cash["cost_usd"], cash["capital_charge_usd"] + cash["opex_usd"], rtol=1e-12
    )


def test_depreciation_sums_to_depreciable_capex(book) -> None:
    cc = _campus(book)
    capex = cc.tables["capex"]
    dep = depreciation_schedule(capex, book)
    for asset_class, group in capex.groupby("asset_class"):
        got = dep.loc[dep["asset_class"] == asset_class, "depreciation_usd"].sum()
        want = 0.0 if asset_class == "land" else group["capex_usd"].sum()
        assert got == pytest.approx(want, rel=1e-9, abs=1e-6), asset_class
    last = dep[dep["year"] == dep["year"].max()]
    land = capex.loc[capex["asset_class"] == "land", "capex_usd"].sum()
    assert last["book_value_usd"].sum() == pytest.approx(land, rel=1e-9)


@settings(max_examples=60, deadline=None)
@given(
    capex=st.floats(0, 1e12),
    start=st.integers(2020, 2040),
    life=st.floats(0.5, 40.0),
)
def test_straight_line_conserves_capex(capex: float, start: int, life: float) -> None:
    years = np.arange(start - 2, start + 45)
    dep = straight_line_depreciation([capex], [start], [life], years)
    assert dep.sum() == pytest.approx(capex, rel=1e-9, abs=1e-6)
    assert (dep >= 0).all()
    assert dep[0, :2].sum() == 0.0  # nothing before purchase


# ---- monotonicity ---------------------------------------------------------------------------
@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 300_000), extra=st.integers(1, 300_000))
def test_more_gpus_never_cheaper(n: int, extra: int) -> None:
    book = load_price_book()
    a = plan_economics(cluster_inputs(Cluster(gpu="h100-sxm", accelerators=n), book), book)
    b = plan_economics(cluster_inputs(Cluster(gpu="h100-sxm", accelerators=n + extra), book), book)
    for metric in ("capex_usd", "tco_usd", "annual_cost_usd_per_year"):
        sa = a["summary"].set_index("metric").loc[metric]
        sb = b["summary"].set_index("metric").loc[metric]
        for case in ("low", "likely", "high"):
            assert sb[case] >= sa[case] * (1 - 1e-12)


@settings(max_examples=60, deadline=None)
@given(r1=st.floats(0, 0.5), dr=st.floats(0, 0.5), years=st.floats(0.5, 60))
def test_higher_wacc_never_lowers_the_capital_charge(r1: float, dr: float, years: float) -> None:
    lo = capital_recovery_factor(r1, years)
    hi = capital_recovery_factor(r1 + dr, years)
    assert hi >= lo * (1 - 1e-12)
    assert lo >= 1.0 / years * (1 - 1e-12)  # never below straight-line repayment


def test_higher_wacc_raises_annualised_cost_and_gpu_hour(book) -> None:
    costs = []
    for wacc in (0.0, 0.05, 0.08, 0.12, 0.2):
        sec = EconomicsSection(wacc=wacc)
        cc = cluster_cost(Cluster(gpu="b200", accelerators=4096), book, sec)
        costs.append((cc.metric("annual_cost_usd_per_year")[1], cc.metric("usd_per_gpu_hour")[1]))
    assert all(b[0] > a[0] and b[1] > a[1] for a, b in itertools.pairwise(costs))


def test_ranges_are_ordered(book) -> None:
    cc = _campus(book)
    s = cc.tables["summary"]
    money = s[s["unit"].str.startswith("USD")]
    assert (money["low"] <= money["likely"]).all() and (money["likely"] <= money["high"]).all()


def test_capital_recovery_factor_known_values() -> None:
    # 8% over 5 years: 0.250456 (standard annuity tables); 0% -> 1/n; infinite life -> r
    assert capital_recovery_factor(0.08, 5) == pytest.approx(0.2504565, rel=1e-6)
    assert capital_recovery_factor(0.0, 4) == pytest.approx(0.25)
    assert capital_recovery_factor(0.07, math.inf) == pytest.approx(0.07)
    v = capital_recovery_factor(np.array([0.05, 0.1]), np.array([10.0, 20.0]))
    np.testing.assert_allclose(v, [0.129505, 0.117460], rtol=1e-5)


# ---- unit costs -----------------------------------------------------------------------------
def test_unit_cost_formulas() -> None:
    assert usd_per_gpu_hour(8766.0, 1) == pytest.approx(1.0, rel=1e-3)
    assert usd_per_gpu_hour(8766.0, 1, 0.5) == pytest.approx(2.0, rel=1e-3)
    # Llama 3 405B: 16,384 H100 for ~54 days at USD 2/GPU-hour ~ USD 42 M
    assert usd_per_training_run(16384, 54, 2.0) == pytest.approx(16384 * 54 * 24 * 2.0)
    # 8 GPUs at USD 2/h serving 10,000 tokens/s -> 16 USD/h / 36 M tokens/h = 0.444 USD/Mtok
    assert usd_per_million_tokens(10_000, 8, 2.0) == pytest.approx(16 / 36, rel=1e-12)
    v = usd_per_million_tokens(np.array([1e3, 1e4]), 8, 2.0)
    assert v[0] == pytest.approx(10 * v[1])


def test_workloads_and_operations_from_other_stages(book) -> None:
    inputs = EconomicsInputs(
        purchases=[
            Purchase(year=2026, item="hgx-h100-server", quantity=16384),
            Purchase(year=2026, item="dc-mep", quantity=25e6),
            Purchase(year=2026, item="dc-shell", quantity=25e6),
            Purchase(year=2027, item="powership-lease", quantity=30e6, term_years=3),
        ],
        operations=[
            SiteOperation(
                year=y,
                site="a",
                it_power_w=25e6,
                facility_energy_j=25e6 * 1.3 * YEAR_S,
                water_m3=1e5,
                energy_price_usd_per_j=(40 / 3.6e9, 60 / 3.6e9, 90 / 3.6e9),
                water_price_usd_per_m3=2.0,
            )
            for y in range(2026, 2031)
        ],
        training_runs=[RunUse(name="llama3-405b", accelerators=16384, days=54)],
        services=[ServiceUse(name="chat", accelerators=8, tokens_per_s=10_000)],
    )
    t = plan_economics(inputs, book)
    assert str(inputs).startswith("EconomicsInputs: 4 purchases")
    opex = t["opex_by_year"].set_index(["year", "component"])
    energy = opex.loc[(2026, "energy"), "opex_usd"]
    assert energy == pytest.approx(25e6 * 1.3 * 8766 * 60 / 1e6, rel=1e-9)  # MWh x USD/MWh
    leases = t["opex_by_year"].query("component == 'leases'").set_index("year")["opex_usd"]
    assert leases.loc[2026] == 0 and leases.loc[2030] == 0
    assert leases.loc[2027] == pytest.approx(30e3 * 250, rel=1e-9)  # 30 MW x USD 250/kW-year
    w = t["workloads"].set_index("workload")
    gh = t["summary"].set_index("metric").loc["usd_per_gpu_hour", "likely"]
    assert w.loc["llama3-405b", "likely"] == pytest.approx(16384 * 54 * 24 * gh)
    assert w.loc["chat", "likely"] == pytest.approx(8 * gh / 36e-3 / 1e3, rel=1e-12)


# ---- currencies -----------------------------------------------------------------------------
@settings(max_examples=50, deadline=None)
@given(
    amount=st.floats(1e-3, 1e15),
    a=st.sampled_from(["USD", "EUR", "KRW"]),
    b=st.sampled_from(["USD", "EUR", "KRW"]),
    case=st.sampled_from(["low", "likely", "high"]),
)
def test_currency_round_trip(amount: float, a: str, b: str, case: str) -> None:
    book = load_price_book()
    there = convert(amount, a, b, book, case)  # type: ignore[arg-type]
    back = convert(there, b, a, book, case)  # type: ignore[arg-type]
    assert float(back) == pytest.approx(amount, rel=1e-12)


def test_currency_golden_against_the_korean_press(book) -> None:
    # Elektronikpraxis (2025-02): KRW 2.5 trillion ~ EUR 1.65 bn; KRW 53.6 trillion = EUR 35.7 bn
    lo, _, hi = convert_range(2.5e12, "KRW", "EUR", book)
    assert lo <= 1.65e9 <= hi
    lo, _, hi = convert_range(53.6e12, "KRW", "EUR", book)
    assert lo <= 35.7e9 <= hi
    assert 1.5e9 < float(convert(2.5e12, "krw", "usd", book)) < 2.0e9


def test_in_currency_renames_money_columns(book) -> None:
    df = pd.DataFrame({"year": [2026], "capex_usd": [1.0], "capex_usd_high": [2.0]})
    k = in_currency(df, "KRW", book)
    assert list(k.columns) == ["year", "capex_krw", "capex_krw_high"]
    assert k["capex_krw"].iloc[0] == pytest.approx(book.currency("KRW").per_usd[1])


# ---- golden checks against published figures ------------------------------------------------
def test_h100_server_price_in_published_range(book) -> None:
    item = book.item("hgx-h100-server")
    per_server = [p * 8 for p in item.unit_price()]
    # SemiAnalysis (2023-05) DGX H100 ~USD 270k; Thinkmate (2024-08) USD 317k; both inside
    assert per_server[0] <= 2.7e5 <= per_server[2] and per_server[0] <= 3.17e5 <= per_server[2]
    # Raymond James (2023-08): USD 25-30k per GPU -> a server's GPUs alone cost USD 200-240k
    assert per_server[0] >= 8 * 2.5e4


def test_gigawatt_gb200_campus_within_reported_all_in_range(book) -> None:
    """1 GW of facility power of GB200 NVL72: bottom-up capex vs reported all-in USD/GW
    (Bernstein 2025-10: ~USD 35 B; NVIDIA 2025-08: USD 50-60 B; Stargate USD 500 B / 10 GW)."""
    ref = book.item("stargate-all-in").unit_price()  # USD per W of facility power
    one = _campus(book, 100_000)
    gpus = round(100_000 * 1e9 / one.facility_power_w)
    cc = _campus(book, gpus)
    assert cc.facility_power_w == pytest.approx(1e9, rel=1e-3)
    lo, mid, hi = cc.metric("capex_usd")
    assert ref[0] * 1e9 * 0.85 <= mid <= ref[2] * 1e9  # likely within ~15% of the range
    assert lo <= ref[1] * 1e9 <= hi * 1.3  # range touches the reported likely value
    # TD Cowen / NVIDIA (2025): ~400-500k Blackwell GPUs per GW
    assert 3.0e5 <= gpus <= 5.5e5
    # Bernstein: networking ~13%, storage ~1-1.5% of the total
    cap = cc.tables["capex"].groupby("category")["capex_usd"].sum() / mid
    assert 0.07 <= cap["network"] <= 0.2 and cap["storage"] <= 0.04


def test_gpu_hour_cost_in_published_band(book) -> None:
    # owned H100 clusters: SemiAnalysis / Epoch (2024) total cost of ownership USD ~1.3-2.5 per
    # H100-hour; the likely value must fall inside and the range must cover it
    cc = cluster_cost(Cluster(gpu="h100-sxm", accelerators=16384, years=5), book)
    lo, mid, hi = cc.metric("usd_per_gpu_hour")
    assert 1.3 <= mid <= 2.5 and lo < mid < hi


# ---- networks -------------------------------------------------------------------------------
def test_budget_cuts_lowest_priority_first() -> None:
    costs = pd.DataFrame(
        {
            "tranche": ["abilene", "korea", "michigan"],
            "year": [2025, 2026, 2027],
            "cost_usd_low": [150e9, 150e9, 150e9],
            "cost_usd": [200e9, 200e9, 200e9],
            "cost_usd_high": [250e9, 250e9, 250e9],
        }
    )
    res = budget_check(costs, 500e9, years=4, priority=["abilene", "michigan"])
    assert not res.within_budget and res.within_budget_by_case["low"]
    assert res.shortfall_usd[1] == pytest.approx(100e9)
    status = res.tranches.set_index("tranche")["status"]
    assert status["abilene"] == "funded" and status["michigan"] == "funded"
    assert status["korea"] == "partly cut"
    assert res.cut_order == ("korea",)
    assert res.years_needed == pytest.approx((3.6, 4.8, 6.0))
    assert res.tranches["funded_usd"].sum() == pytest.approx(500e9)
    assert "cut first: korea" in str(res)
    # USD 200 B a year outruns USD 125 B a year from the first year
    assert res.by_year["within_budget"].tolist() == [False, False, False]
    np.testing.assert_allclose(res.by_year["budget_cumulative_usd"], [125e9, 250e9, 375e9])
    slow = costs.assign(year=[2025, 2027, 2028])
    res2 = budget_check(slow.assign(cost_usd=[100e9] * 3), 500e9, years=4)
    assert res2.within_budget and res2.by_year["within_budget"].all()


@settings(max_examples=60, deadline=None)
@given(
    costs=st.lists(st.floats(0, 1e11), min_size=1, max_size=8),
    budget=st.floats(1.0, 1e12),
)
def test_budget_never_overspends(costs: list[float], budget: float) -> None:
    df = pd.DataFrame(
        {
            "tranche": [f"t{i}" for i in range(len(costs))],
            "cost_usd_low": costs,
            "cost_usd": costs,
            "cost_usd_high": costs,
        }
    )
    res = budget_check(df, budget)
    funded = res.tranches["funded_usd"].to_numpy()
    assert funded.sum() <= budget * (1 + 1e-9) and (funded >= 0).all()
    assert res.within_budget == (sum(costs) <= budget * (1 + 1e-12))


def test_stargate_budget_section_in_plan(book) -> None:
    sec = EconomicsSection(
        budget=BudgetSection(amount=500e9, years=4, start_year=2026, cut_priority=["abilene"])
    )
    inputs = cluster_inputs(Cluster(gpu="gb200", accelerators=400_000, site="abilene"), book, sec)
    first = [p.model_copy(update={"tranche": "abilene"}) for p in inputs.purchases]
    extra = cluster_inputs(Cluster(gpu="gb200", accelerators=100_000, year=2027), book)
    purchases = first + [p.model_copy(update={"tranche": "korea"}) for p in extra.purchases]
    inputs = inputs.model_copy(update={"purchases": purchases})
    t = plan_economics(inputs, book)
    s = t["summary"].set_index("metric")
    assert s.loc["within_budget", "likely"] == 1.0
    assert set(t["budget"]["tranche"]) == {"abilene", "korea"}


def test_what_a_budget_buys(book) -> None:
    res = what_budget_buys(2.5e12, "KRW", Cluster(gpu="h200", accelerators=0), 3, book)
    n = res.rows["accelerators"].to_numpy()
    assert (np.diff(n) <= 0).all() and n[-1] > 0  # paying more years of opex buys fewer GPUs
    budget_usd = float(convert(2.5e12, "KRW", "USD", book))
    cap_only = max_accelerators(budget_usd, Cluster(gpu="h200", accelerators=0), book, 0)
    assert cap_only == n[0]
    # the next accelerator would not fit
    over = cluster_cost(Cluster(gpu="h200", accelerators=cap_only + 1), book)
    assert over.metric("capex_usd")[1] > budget_usd
    assert "KRW" in str(res)


# ---- clear errors ---------------------------------------------------------------------------
def test_clear_errors(book) -> None:
    with pytest.raises(InputError, match="accelerators: must be in 0"):
        cluster_cost(Cluster(gpu="gb200", accelerators=-5), book)
    with pytest.raises(InputError, match="unknown currency 'XYZ'; allowed: USD, EUR, KRW"):
        convert(1.0, "XYZ", "USD", book)
    with pytest.raises(InputError, match="no price for 'gb999'"):
        cluster_cost(Cluster(gpu="gb999", accelerators=8), book)
    with pytest.raises(InputError, match=r"purchases\[0\].item"):
        capex_table([Purchase(year=2026, item="nope", quantity=1)], book)
    with pytest.raises(InputError, match="all-in reference"):
        capex_table([Purchase(year=2026, item="stargate-all-in", quantity=1)], book)
    with pytest.raises(InputError, match="budget"):
        budget_check(pd.DataFrame({"tranche": []}), -1.0)
    with pytest.raises(InputError, match="needs USD/W"):
        book.with_overrides({"dc-mep": {"value": 1, "unit": "USD", "source": "x"}})  # type: ignore[dict-item]


def test_cli_cost_json_and_table() -> None:
    r = runner.invoke(
        app,
        [
            "cost",
            "--gpu",
            "gb200",
            "--gpus",
            "100000",
            "--years",
            "4",
            "--site-price-usd-per-mwh",
            "60",
            "--pue",
            "1.2",
            "--json",
        ],
    )
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["accelerators"] == 100000 and data["capex_usd"]["likely"] > 5e9
    assert set(data["usd_per_gpu_hour"]) == {"low", "likely", "high"}
    r = runner.invoke(app, ["cost", "--gpu", "h100-sxm", "--gpus", "1024", "--currency", "KRW"])
    assert r.exit_code == 0, r.output
    assert "KRW" in r.output and "cost per GPU-hour" in r.output


def test_cli_budget() -> None:
    r = runner.invoke(
        app,
        [
            "budget",
            "--amount",
            "2.5e12",
            "--currency",
            "KRW",
            "--gpu",
            "h200",
            "--years",
            "1",
            "--json",
        ],
    )
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["options"][0]["accelerators"] > data["options"][1]["accelerators"] > 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["cost", "--gpu", "gb200", "--gpus", "-5"], "cost: --count: must be in 0"),
        (["cost", "--gpu", "gb200", "--gpus", "8", "--currency", "XYZ"], "unknown currency"),
        (["cost", "--gpu", "nope", "--gpus", "8"], "no price for 'nope'"),
        (["cost", "--gpu", "gb200", "--gpus", "8", "--pue", "0.5"], "--pue"),
        (["cost", "--gpu", "gb200", "--gpus", "8", "--price", "x=1"], "ITEM=VALUE"),
        (["budget", "--amount", "-1", "--gpu", "h200"], "--amount"),
        (["budget", "--amount", "1e9", "--gpu", "h200", "--currency", "ZZZ"], "unknown currency"),
    ],
)
def test_cli_errors_are_one_line(args: list[str], message: str) -> None:
    r = runner.invoke(app, args)
    assert r.exit_code == 2
    assert message in r.output and "Traceback" not in r.output


def test_scenario_section_validates(book) -> None:
    raw = yaml.safe_load((ROOT / "scenarios" / "sections" / "economics.yaml").read_text())
    sec = EconomicsSection.model_validate(raw["economics"])
    assert sec.budget is not None and sec.budget.amount == 500e9
    b = book.with_overrides(sec.prices, sec.wacc)
    assert b.item("gb300-nvl72-rack").unit_price()[1] == pytest.approx(3.9e6 / 72)


def test_site_power_buys_each_plant_once_and_the_grid_up_to_the_facility_power() -> None:
    from gigawatt.economics import GRID_ITEM, site_purchases

    mix = {"gas-turbine": 0.5, GRID_ITEM: 1.8, "fuel-cell-sofc": 0.0}
    buy = site_purchases(100e6, 115e6, False, mix, 2026, "s")
    by_item = {p.item: p.quantity for p in buy}
    assert by_item["gas-turbine"] == pytest.approx(50e6)
    assert by_item[GRID_ITEM] == pytest.approx(115e6)  # capped at the facility power
    assert "fuel-cell-sofc" not in by_item
    assert [p.item for p in buy].count("gas-turbine") == 1
    # a cluster: one source for all of its facility power, as before
    one = site_purchases(100e6, 115e6, False, "gas-turbine", 2026, "s")
    assert {p.item: p.quantity for p in one}["gas-turbine"] == pytest.approx(115e6)
