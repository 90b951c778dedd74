"""``gigawatt cost`` and ``gigawatt budget``: what a cluster costs, what a budget buys."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Annotated, Any

import typer

from gigawatt.commands._shared import (
    ACCELERATOR,
    COUNT,
    JSON_HELP,
    OLD_ACCELERATOR,
    OLD_COUNT,
    accepting,
    flags_for_fields,
    table,
)
from gigawatt.console import emit_json, friendly, out
from gigawatt.errors import InputError, Problem
from gigawatt.units import DEFAULT_HORIZON_YEARS, UNITS

if TYPE_CHECKING:
    from rich.table import Table

    from gigawatt.catalog import Entry
    from gigawatt.economics import (
        BudgetBuys,
        Cluster,
        ClusterCost,
        Currency,
        PriceOverride,
    )

_MW = UNITS["MW"][0]
_PRICE_FLAG = "--price"

# Library field -> flag. Cluster.check reports some fields by their old flag spelling
# (``gpus``, ``storage-tb-per-gpu``), so those names are listed next to the field names.
COST_FLAGS = {
    "gpu": "--accelerator",
    "gpus": "--count",
    "accelerators": "--count",
    "years": "--years",
    "network": "--network",
    "power": "--power",
    "pue": "--pue",
    "currency": "--display-currency",
    "site-price-usd-per-mwh": "--site-price-usd-per-mwh",
    "energy_price_usd_per_j": "--site-price-usd-per-mwh",
    "water-price-usd-per-m3": "--water-price-usd-per-m3",
    "water_price_usd_per_m3": "--water-price-usd-per-m3",
    "storage-tb-per-gpu": "--accelerator-storage-tb",
    "storage_bytes_per_accelerator": "--accelerator-storage-tb",
    "power-per-gpu-kw": "--accelerator-power-kw",
    "power_per_accelerator_w": "--accelerator-power-kw",
    "server_power_per_accelerator_w": "--accelerator-power-kw",
    "wacc": "--wacc",
    "utilisation": "--utilisation",
}
BUDGET_FLAGS = {
    **COST_FLAGS,
    "amount": "--amount",
    "currency": "--amount-currency",
    "years": "--years",
}
COST_ALIASES = {
    **OLD_ACCELERATOR,
    **OLD_COUNT,
    "--currency": "--display-currency",
    "--storage-tb-per-gpu": "--accelerator-storage-tb",
    "--power-per-gpu-kw": "--accelerator-power-kw",
    "--year": "--purchase-year",
}
BUDGET_ALIASES = {
    **OLD_ACCELERATOR,
    "--currency": "--amount-currency",
    "--year": "--purchase-year",
}

Accelerator = Annotated[
    str, typer.Option(*ACCELERATOR, help="accelerator id (gb200, h200...) or system id")
]
SitePrice = Annotated[
    float | None,
    typer.Option("--site-price-usd-per-mwh", help="electricity price (default: catalog)"),
]
Pue = Annotated[float | None, typer.Option(help="power usage effectiveness")]
Network = Annotated[
    str | None,
    typer.Option(help="scale-out fabric: ib-ndr, ib-xdr or eth-400g (default: the accelerator's)"),
]
Power = Annotated[
    str,
    typer.Option(
        help="power supply: grid-connection, gas-turbine, gas-ccgt, solar-storage, "
        "floating-nuclear, powership-lease"
    ),
]
Floating = Annotated[bool, typer.Option("--floating", help="floating site (hull + mooring)")]
PurchaseYear = Annotated[int, typer.Option("--purchase-year", help="year of purchase")]
Json = Annotated[bool, typer.Option("--json", help=JSON_HELP)]


def _money(value: float) -> str:
    """An amount with a thousands tag (k, M, B, T); the currency is named by the caller."""
    if not math.isfinite(value):
        return "–"
    for factor, tag in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= factor:
            return f"{value / factor:,.2f} {tag}"
    return f"{value:,.2f}"


def _overrides(prices: list[str] | None) -> dict[str, PriceOverride]:
    """``ITEM=VALUE`` options -> price overrides in the item's catalog unit."""
    from gigawatt.catalog import Quantity, load_catalog
    from gigawatt.economics import PriceOverride

    items = load_catalog().kind("prices")
    priced = sorted(k for k, e in items.items() if "price" in e.fields)
    result: dict[str, PriceOverride] = {}
    for text in prices or []:
        item_id, sep, raw = (part.strip() for part in text.partition("="))
        if not sep or item_id not in priced:
            problem = f"{text!r}: expected ITEM=VALUE with ITEM one of: {', '.join(priced)}"
            raise InputError([Problem("cost", _PRICE_FLAG, problem)])
        try:
            value = float(raw)
        except ValueError:
            raise InputError([Problem("cost", _PRICE_FLAG, f"not a number: {raw!r}")]) from None
        if not math.isfinite(value) or value < 0:
            raise InputError([Problem("cost", _PRICE_FLAG, f"{text!r}: must be >= 0")])
        q = items[item_id].get("price")
        unit = q.unit if isinstance(q, Quantity) and q.unit else _default_unit(items[item_id])
        result[item_id] = PriceOverride(value=value, unit=unit, source="--price option")
    return result


def _default_unit(entry: Entry) -> str:
    if entry.get("category") == "lease":
        return "USD/kW/year"
    return {"bytes": "USD/GB", "watts": "USD/W"}.get(str(entry.get("basis")), "USD")


def _cluster(
    accelerator: str,
    count: int,
    years: int,
    purchase_year: int,
    network: str | None,
    power: str,
    floating: bool,
    pue: float | None,
    site_price_usd_per_mwh: float | None,
    **extra: Any,
) -> Cluster:
    """The cluster both commands size, from their shared options (prices at the CLI edge in
    USD/MWh, inside in USD/J)."""
    from gigawatt.economics import Cluster

    return Cluster(
        gpu=accelerator,
        accelerators=count,
        years=years,
        year=purchase_year,
        network=network,
        power=power,
        floating=floating,
        pue=pue,
        energy_price_usd_per_j=None
        if site_price_usd_per_mwh is None
        else site_price_usd_per_mwh * UNITS["USD/MWh"][0],
        **extra,
    )


def _check_finance(wacc: float | None, utilisation: float) -> None:
    problems = []
    if wacc is not None and not 0 <= wacc < 1:
        problems.append(Problem("cost", "--wacc", f"must be in [0, 1), got {wacc}"))
    if not 0 < utilisation <= 1:
        problems.append(Problem("cost", "--utilisation", f"must be in (0, 1], got {utilisation}"))
    if problems:
        raise InputError(problems)


@friendly
@flags_for_fields("cost", COST_FLAGS)
def cost(
    accelerator: Accelerator,
    count: Annotated[int, typer.Option(*COUNT, help="number of accelerators")],
    years: Annotated[int, typer.Option(help="years of operation")] = DEFAULT_HORIZON_YEARS,
    site_price_usd_per_mwh: SitePrice = None,
    water_price_usd_per_m3: Annotated[
        float | None, typer.Option(help="water price (default: catalog)")
    ] = None,
    pue: Pue = None,
    network: Network = None,
    power: Power = "grid-connection",
    floating: Floating = False,
    accelerator_storage_tb: Annotated[
        float | None, typer.Option(help="usable storage per accelerator")
    ] = None,
    accelerator_power_kw: Annotated[
        float | None, typer.Option(help="system power per accelerator (default: catalog)")
    ] = None,
    wacc: Annotated[float | None, typer.Option(help="cost of capital, e.g. 0.08")] = None,
    utilisation: Annotated[float, typer.Option(help="share of GPU-hours sold/used")] = 1.0,
    price: Annotated[
        list[str] | None, typer.Option(help="ITEM=VALUE price override (catalog unit)")
    ] = None,
    display_currency: Annotated[
        str, typer.Option(help="currency of the tables: USD, EUR or KRW")
    ] = "USD",
    purchase_year: PurchaseYear = 2026,
    as_json: Json = False,
) -> None:
    """Capex, opex, TCO and cost per GPU-hour of a cluster sized from its accelerator count."""
    from gigawatt.economics import EconomicsSection, cluster_cost, load_price_book

    _check_finance(wacc, utilisation)
    book = load_price_book()
    cur = book.currency(display_currency)
    section = EconomicsSection(
        currency=cur.code, wacc=wacc, utilisation=utilisation, prices=_overrides(price)
    )
    cluster = _cluster(
        accelerator,
        count,
        years,
        purchase_year,
        network,
        power,
        floating,
        pue,
        site_price_usd_per_mwh,
        water_price_usd_per_m3=water_price_usd_per_m3,
        storage_bytes_per_accelerator=None
        if accelerator_storage_tb is None
        else accelerator_storage_tb * UNITS["TB"][0],
        server_power_per_accelerator_w=None
        if accelerator_power_kw is None
        else accelerator_power_kw * UNITS["kW"][0],
    )
    cluster.check()
    if count == 0:
        raise InputError([Problem("cost", "--count", "must be >= 1 to cost a cluster")])
    result = cluster_cost(cluster, book, section)
    if as_json:
        emit_json({**result.to_dict(), **_currency_dict(cur)})
        return
    _print_cost(result, count, years, network, cur)


def _currency_dict(cur: Currency) -> dict[str, Any]:
    rate = cur.per_usd[1]
    return {"currency": cur.code, "usd_per_currency_unit": 1.0 / rate, "rate_as_of": cur.as_of}


def _print_cost(
    result: ClusterCost, count: int, years: int, network: str | None, cur: Currency
) -> None:
    """Capex by category, opex per year and the summary, in the display currency."""
    from gigawatt.economics import capex_by

    rate, code = cur.per_usd[1], cur.code
    low_likely_high = ("low", "likely", "high")
    cap = capex_by(result.tables["capex"], ("category",))
    t1 = table(
        f"{count:,} x {result.compute_item}: capex by category ({code})",
        ("category", *low_likely_high),
        left=("category",),
    )
    for _, r in cap.iterrows():
        cells = (_money(r[c] * rate) for c in ("capex_usd_low", "capex_usd", "capex_usd_high"))
        t1.add_row(str(r["category"]), *cells)
    out.print(t1)
    opex = result.tables["opex_by_year"]
    per_year = opex.groupby("component")[["opex_usd_low", "opex_usd", "opex_usd_high"]].mean()
    t2 = table(f"opex per year ({code})", ("component", *low_likely_high), left=("component",))
    for comp, r in per_year.iterrows():
        t2.add_row(str(comp), *(_money(v * rate) for v in r.to_numpy()))
    out.print(t2)
    out.print(_summary_table(result, years, cur))
    out.print(
        f"IT {result.it_power_w / _MW:,.1f} MW, "
        f"facility {result.facility_power_w / _MW:,.1f} MW, "
        f"{result.network_tiers}-tier {network or result.line.switch} fabric; "
        f"rates: 1 USD = {rate:,.4g} {code} "
        f"({cur.as_of}); prices: catalog prices.yaml (gigawatt catalog show ITEM)"
    )


def _summary_table(result: ClusterCost, years: int, cur: Currency) -> Table:
    rate, code = cur.per_usd[1], cur.code
    labels = {
        "capex_usd": f"capex ({code})",
        "opex_usd_per_year": f"opex per year ({code})",
        "tco_usd": f"TCO over {years} years, capex + opex ({code})",
        "npv_cost_usd": f"present value of cost at WACC ({code})",
        "annual_cost_usd_per_year": f"annualised cost: capital charge + opex ({code}/year)",
        "usd_per_gpu_hour": f"cost per GPU-hour ({code})",
    }
    t3 = table("summary", ("metric", "low", "likely", "high"), left=("metric",))
    s = result.tables["summary"].set_index("metric")
    for key, label in labels.items():
        vals = [float(s.loc[key][c]) * rate for c in ("low", "likely", "high")]
        if key == "usd_per_gpu_hour":
            t3.add_row(label, *(f"{v:,.2f}" for v in vals))
        else:
            t3.add_row(label, *(_money(v) for v in vals))
    return t3


@friendly
@flags_for_fields("budget", BUDGET_FLAGS)
def budget(
    amount: Annotated[float, typer.Option(help="budget, e.g. 2.5e12")],
    accelerator: Accelerator,
    amount_currency: Annotated[
        str, typer.Option(help="currency of the amount: USD, EUR, KRW")
    ] = "USD",
    years: Annotated[
        int, typer.Option(help="years of operation the budget must also pay")
    ] = DEFAULT_HORIZON_YEARS,
    site_price_usd_per_mwh: SitePrice = None,
    pue: Pue = None,
    network: Network = None,
    power: Power = "grid-connection",
    floating: Floating = False,
    purchase_year: PurchaseYear = 2026,
    as_json: Json = False,
) -> None:
    """What a budget buys and runs: accelerators, MW, and for how many years."""
    from gigawatt.economics import load_price_book, what_budget_buys

    book = load_price_book()
    cur = book.currency(amount_currency)
    cluster = _cluster(
        accelerator,
        0,
        max(years, 1),
        purchase_year,
        network,
        power,
        floating,
        pue,
        site_price_usd_per_mwh,
    )
    result = what_budget_buys(amount, cur.code, cluster, years, book)
    if as_json:
        emit_json(result.to_dict())
        return
    _print_budget(result, amount, accelerator, cur)


def _per_hour(value: float) -> str:
    """A cost per GPU-hour, or n/a where no accelerator is bought (no GPU-hours to share)."""
    return f"{value:,.2f}" if math.isfinite(value) else "n/a (no accelerators)"


def _print_budget(result: BudgetBuys, amount: float, accelerator: str, cur: Currency) -> None:
    rate, code = cur.per_usd[1], cur.code
    title = (
        f"{code} {amount:,.4g} = USD {_money(result.budget_usd)} "
        f"(1 USD = {rate:,.4g} {code}, {cur.as_of}) spent on {accelerator}"
    )
    columns = (
        "years run",
        "accelerators",
        "IT MW",
        "facility MW",
        f"capex ({code})",
        f"opex/year ({code})",
        "USD/GPU-hour",
    )
    t = table(title, columns)
    for _, r in result.rows.iterrows():
        t.add_row(
            str(int(r["run_years"])),
            f"{int(r['accelerators']):,}",
            f"{r['it_power_w'] / _MW:,.1f}",
            f"{r['facility_power_w'] / _MW:,.1f}",
            _money(r["capex_usd"] * rate),
            _money(r["opex_usd_per_year"] * rate),
            _per_hour(float(r["usd_per_gpu_hour"])),
        )
    out.print(t)
    out.print(str(result))


def register(app: typer.Typer) -> None:
    app.command("cost", cls=accepting(COST_ALIASES))(cost)
    app.command("budget", cls=accepting(BUDGET_ALIASES))(budget)
