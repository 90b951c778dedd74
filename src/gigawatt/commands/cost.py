"""``gigawatt cost`` and ``gigawatt budget``: what a cluster costs, what a budget buys."""

from __future__ import annotations

import math
from typing import Annotated, Any

import typer
from rich.table import Table

from gigawatt.console import emit_json, friendly, out
from gigawatt.errors import InputError, Problem

_MWH_J = 3.6e9


def _money(value: float, code: str) -> str:
    if not math.isfinite(value):
        return "–"
    for factor, tag in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= factor:
            return f"{value / factor:,.2f} {tag}"
    return f"{value:,.2f}"


def _overrides(prices: list[str] | None) -> dict[str, Any]:
    """``ITEM=VALUE`` options -> price overrides in the item's catalog unit."""
    from gigawatt.catalog import Quantity, load_catalog
    from gigawatt.economics import PriceOverride

    result: dict[str, Any] = {}
    cat = load_catalog()
    items = cat.kind("prices")
    for text in prices or []:
        item_id, sep, raw = text.partition("=")
        item_id = item_id.strip()
        if not sep or item_id not in items or "price" not in items[item_id].fields:
            known = ", ".join(sorted(k for k, e in items.items() if "price" in e.fields))
            raise InputError(
                [Problem("--price", text, f"expected ITEM=VALUE with ITEM one of: {known}")]
            )
        try:
            value = float(raw)
        except ValueError:
            raise InputError([Problem("--price", text, f"not a number: {raw!r}")]) from None
        if not math.isfinite(value) or value < 0:
            raise InputError([Problem("--price", text, "must be a finite number >= 0")])
        q = items[item_id].get("price")
        unit = q.unit if isinstance(q, Quantity) and q.unit else _default_unit(items[item_id])
        result[item_id] = PriceOverride(value=value, unit=unit, source="--price option")
    return result


def _default_unit(entry: Any) -> str:
    basis = entry.get("basis")
    if entry.get("category") == "lease":
        return "USD/kW/year"
    return {"bytes": "USD/GB", "watts": "USD/W"}.get(str(basis), "USD")


def _cluster(
    gpu: str,
    accelerators: int,
    years: int,
    year: int,
    network: str,
    power: str,
    floating: bool,
    pue: float | None,
    site_price_usd_per_mwh: float | None,
    **extra: Any,
) -> Any:
    """The cluster both commands size, from their shared options (prices at the CLI edge in
    USD/MWh, inside in USD/J)."""
    from gigawatt.economics import Cluster

    return Cluster(
        gpu=gpu,
        accelerators=accelerators,
        years=years,
        year=year,
        network=network,
        power=power,
        floating=floating,
        pue=pue,
        energy_price_usd_per_j=None
        if site_price_usd_per_mwh is None
        else site_price_usd_per_mwh / _MWH_J,
        **extra,
    )


def register(app: typer.Typer) -> None:
    @app.command()
    @friendly
    def cost(
        gpu: Annotated[str, typer.Option(help="accelerator id (gb200, h100-sxm...) or system id")],
        gpus: Annotated[int, typer.Option(help="number of accelerators")],
        years: Annotated[int, typer.Option(help="years of operation")] = 4,
        site_price_usd_per_mwh: Annotated[
            float | None, typer.Option(help="electricity price (default: catalog range)")
        ] = None,
        water_price_usd_per_m3: Annotated[
            float | None, typer.Option(help="water price (default: catalog range)")
        ] = None,
        pue: Annotated[float | None, typer.Option(help="power usage effectiveness")] = None,
        network: Annotated[str, typer.Option(help="scale-out fabric: ib-ndr or eth-800g")] = (
            "ib-ndr"
        ),
        power: Annotated[
            str,
            typer.Option(
                help="power supply: grid-connection, gas-turbine, gas-ccgt, solar-storage, "
                "floating-nuclear, powership-lease"
            ),
        ] = "grid-connection",
        floating: Annotated[bool, typer.Option(help="floating site (hull + mooring)")] = False,
        storage_tb_per_gpu: Annotated[float | None, typer.Option(help="usable TB per GPU")] = None,
        power_per_gpu_kw: Annotated[
            float | None, typer.Option(help="system power per GPU (default: catalog)")
        ] = None,
        wacc: Annotated[float | None, typer.Option(help="cost of capital, e.g. 0.08")] = None,
        utilisation: Annotated[float, typer.Option(help="share of GPU-hours sold/used")] = 1.0,
        price: Annotated[
            list[str] | None, typer.Option(help="ITEM=VALUE price override (catalog unit)")
        ] = None,
        currency: Annotated[str, typer.Option(help="USD, EUR or KRW")] = "USD",
        year: Annotated[int, typer.Option(help="year of purchase")] = 2026,
        as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
    ) -> None:
        """Capex, opex, TCO and $/GPU-hour of a cluster sized from its GPU count."""
        from gigawatt.economics import (
            EconomicsSection,
            capex_by,
            cluster_cost,
            load_price_book,
        )

        if wacc is not None and not 0 <= wacc < 1:
            raise InputError([Problem("--wacc", "wacc", f"must be in [0, 1), got {wacc}")])
        if not 0 < utilisation <= 1:
            raise InputError(
                [Problem("--utilisation", "utilisation", f"must be in (0, 1], got {utilisation}")]
            )
        book = load_price_book()
        cur = book.currency(currency)
        section = EconomicsSection(
            currency=cur.code, wacc=wacc, utilisation=utilisation, prices=_overrides(price)
        )
        cluster = _cluster(
            gpu,
            gpus,
            years,
            year,
            network,
            power,
            floating,
            pue,
            site_price_usd_per_mwh,
            water_price_usd_per_m3=water_price_usd_per_m3,
            storage_bytes_per_accelerator=None
            if storage_tb_per_gpu is None
            else storage_tb_per_gpu * 1e12,
            server_power_per_accelerator_w=None
            if power_per_gpu_kw is None
            else power_per_gpu_kw * 1e3,
        )
        cluster.check()
        if gpus == 0:
            raise InputError([Problem("--gpus", "gpus", "must be >= 1 to cost a cluster")])
        result = cluster_cost(cluster, book, section)
        rate = cur.per_usd[1]
        if as_json:
            emit_json(
                {
                    **result.to_dict(),
                    "currency": cur.code,
                    "usd_per_currency_unit": 1.0 / rate,
                    "rate_as_of": cur.as_of,
                }
            )
            return
        code = cur.code
        table = Table(
            title=f"{gpus:,} x {result.compute_item}: capex by category ({code})",
            title_justify="left",
        )
        for col in ("category", "low", "likely", "high"):
            table.add_column(col, justify="left" if col == "category" else "right")
        cap = capex_by(result.tables["capex"], ("category",))
        for _, r in cap.iterrows():
            table.add_row(
                str(r["category"]),
                *(
                    _money(r[c] * rate, code)
                    for c in ("capex_usd_low", "capex_usd", "capex_usd_high")
                ),
            )
        out.print(table)
        opex = result.tables["opex_by_year"]
        per_year = opex.groupby("component")[["opex_usd_low", "opex_usd", "opex_usd_high"]].mean()
        t2 = Table(title=f"opex per year ({code})", title_justify="left")
        for col in ("component", "low", "likely", "high"):
            t2.add_column(col, justify="left" if col == "component" else "right")
        for comp, r in per_year.iterrows():
            t2.add_row(str(comp), *(_money(v * rate, code) for v in r.to_numpy()))
        out.print(t2)
        t3 = Table(title="summary", title_justify="left")
        for col in ("metric", "low", "likely", "high"):
            t3.add_column(col, justify="left" if col == "metric" else "right")
        labels = {
            "capex_usd": f"capex ({code})",
            "opex_usd_per_year": f"opex per year ({code})",
            "tco_usd": f"TCO over {years} years, capex + opex ({code})",
            "npv_cost_usd": f"present value of cost at WACC ({code})",
            "annual_cost_usd_per_year": f"annualised cost: capital charge + opex ({code}/year)",
            "usd_per_gpu_hour": f"cost per GPU-hour ({code})",
        }
        s = result.tables["summary"].set_index("metric")
        for key, label in labels.items():
            r = s.loc[key]
            vals = [float(r["low"]), float(r["likely"]), float(r["high"])]
            if key == "usd_per_gpu_hour":
                t3.add_row(label, *(f"{v * rate:,.2f}" for v in vals))
            else:
                t3.add_row(label, *(_money(v * rate, code) for v in vals))
        out.print(t3)
        out.print(
            f"IT {result.it_power_w / 1e6:,.1f} MW, "
            f"facility {result.facility_power_w / 1e6:,.1f} MW, "
            f"{result.network_tiers}-tier {network} fabric; rates: 1 USD = {rate:,.4g} {code} "
            f"({cur.as_of}); prices: catalog prices.yaml (gigawatt catalog show ITEM)"
        )

    @app.command()
    @friendly
    def budget(
        amount: Annotated[float, typer.Option(help="budget, e.g. 2.5e12")],
        gpu: Annotated[str, typer.Option(help="accelerator id (h200, gb200...) or system id")],
        currency: Annotated[str, typer.Option(help="currency of the amount: USD, EUR, KRW")] = (
            "USD"
        ),
        years: Annotated[int, typer.Option(help="years of operation the budget must also pay")] = (
            3
        ),
        site_price_usd_per_mwh: Annotated[
            float | None, typer.Option(help="electricity price (default: catalog)")
        ] = None,
        pue: Annotated[float | None, typer.Option(help="power usage effectiveness")] = None,
        network: Annotated[str, typer.Option(help="ib-ndr or eth-800g")] = "ib-ndr",
        power: Annotated[str, typer.Option(help="power supply item")] = "grid-connection",
        floating: Annotated[bool, typer.Option(help="floating site")] = False,
        year: Annotated[int, typer.Option(help="year of purchase")] = 2026,
        as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
    ) -> None:
        """What a budget buys and runs: accelerators, MW, and for how many years."""
        from gigawatt.economics import load_price_book, what_budget_buys

        book = load_price_book()
        cur = book.currency(currency)
        cluster = _cluster(
            gpu, 0, max(years, 1), year, network, power, floating, pue, site_price_usd_per_mwh
        )
        result = what_budget_buys(amount, cur.code, cluster, years, book)
        if as_json:
            emit_json(result.to_dict())
            return
        rate = cur.per_usd[1]
        code = cur.code
        table = Table(
            title=(
                f"{code} {amount:,.4g} = USD {result.budget_usd / 1e9:,.2f} B "
                f"(1 USD = {rate:,.4g} {code}, {cur.as_of}) spent on {gpu}"
            ),
            title_justify="left",
        )
        for col in (
            "years run",
            "accelerators",
            "IT MW",
            "facility MW",
            f"capex ({code})",
            f"opex/year ({code})",
            "USD/GPU-hour",
        ):
            table.add_column(col, justify="right")
        for _, r in result.rows.iterrows():
            table.add_row(
                str(int(r["run_years"])),
                f"{int(r['accelerators']):,}",
                f"{r['it_power_w'] / 1e6:,.1f}",
                f"{r['facility_power_w'] / 1e6:,.1f}",
                _money(r["capex_usd"] * rate, code),
                _money(r["opex_usd_per_year"] * rate, code),
                f"{r['usd_per_gpu_hour']:,.2f}",
            )
        out.print(table)
        out.print(str(result))
