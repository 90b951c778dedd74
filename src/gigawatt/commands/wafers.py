"""`gigawatt wafers`: wafers an accelerator build-out takes (forward) or what a monthly flow of
DRAM wafers equips (reverse), with Monte Carlo ranges."""

from __future__ import annotations

from typing import cast

import typer
from rich.table import Table

from gigawatt.console import emit_json, friendly, out
from gigawatt.errors import InputError, Problem
from gigawatt.supply.estimate import equipped_by, wafers_for
from gigawatt.supply.yields import YIELD_MODELS, YieldModel


def register(app: typer.Typer) -> None:
    @app.command("wafers")
    @friendly
    def wafers(
        accelerator: str = typer.Option(
            None, "--accelerator", "-a", help="catalog accelerator id, e.g. gb200"
        ),
        count: float = typer.Option(None, "--count", "-n", help="forward: number of accelerators"),
        per_month: float = typer.Option(None, "--per-month", help="reverse: DRAM wafers per month"),
        product: str = typer.Option(
            "hbm3e", "--product", help="reverse: hbm3, hbm3e, hbm4, ddr5, lpddr5x"
        ),
        samples: int = typer.Option(
            20000, "--samples", help="Monte Carlo samples (0 = likely values only)"
        ),
        seed: int = typer.Option(0, "--seed"),
        yield_model: str = typer.Option(
            "negative_binomial", "--yield-model", help=", ".join(YIELD_MODELS)
        ),
        as_json: bool = typer.Option(False, "--json", help="print one JSON object"),
    ) -> None:
        """Forward: wafers for --count accelerators. Reverse: what --per-month wafers equip."""
        if yield_model not in YIELD_MODELS:
            raise InputError(
                [Problem("--yield-model", yield_model, f"allowed: {', '.join(YIELD_MODELS)}")]
            )
        if (count is None) == (per_month is None):
            raise InputError(
                [
                    Problem(
                        "wafers",
                        "--count/--per-month",
                        "give --accelerator ID --count N (forward) or --per-month W (reverse)",
                    )
                ]
            )
        if count is not None:
            if accelerator is None:
                raise InputError([Problem("wafers", "--accelerator", "required with --count")])
            est = wafers_for(accelerator, count, samples, seed, cast(YieldModel, yield_model))
            if as_json:
                emit_json(est.to_dict())
                return
            table = Table(title=f"Wafers for {count:,.0f} x {accelerator} (P5 / P50 / P95)")
            for col in ("wafers", "low", "likely", "high"):
                table.add_column(col, justify="right" if col != "wafers" else "left")
            for name, r in (
                ("HBM DRAM", est.hbm_dram_wafers),
                ("host DRAM (DDR5/LPDDR)", est.ddr_dram_wafers),
                ("logic", est.logic_wafers),
                ("CoWoS", est.cowos_wafers),
            ):
                table.add_row(name, f"{r.low:,.0f}", f"{r.likely:,.0f}", f"{r.high:,.0f}")
            out.print(table)
            a = est.assumptions
            out.print(
                f"HBM {a['hbm_product']}: {a['hbm_stacks_per_accelerator']:.0f} stacks, "
                f"{a['hbm_gb_per_accelerator']['likely']:.0f} GB; yield (die x stack x CoWoS) "
                f"{a['hbm_yield_chain']['likely']:.2f}; CoWoS packages/wafer "
                f"{(a['cowos_packages_per_wafer'] or {}).get('likely', float('nan')):.1f}"
            )
            return
        assert per_month is not None
        rev = equipped_by(
            per_month, product, accelerator, samples, seed, cast(YieldModel, yield_model)
        )
        if as_json:
            emit_json(rev.to_dict())
            return
        table = Table(
            title=f"{per_month:,.0f} {product} wafers/month equip per year ({rev.accelerator})"
        )
        for col in ("figure", "low", "likely", "high"):
            table.add_column(col, justify="right" if col != "figure" else "left")
        for name, r, fmt in (
            ("accelerators / year", rev.accelerators_per_year, "{:,.0f}"),
            (f"{product} GB / year", rev.memory_gb_per_year, "{:,.3g}"),
            ("GW accelerator TDP / year", rev.accelerator_power_gw, "{:,.1f}"),
            ("GW IT load / year", rev.it_load_gw, "{:,.1f}"),
            ("wafers / accelerator", rev.wafers_per_accelerator, "{:.3f}"),
        ):
            table.add_row(name, fmt.format(r.low), fmt.format(r.likely), fmt.format(r.high))
        out.print(table)
