"""`gigawatt wafers`: wafers an accelerator build-out takes (forward) or what a monthly flow of
DRAM wafers equips (reverse), with Monte Carlo ranges."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, cast

import typer

from gigawatt.commands._shared import (
    ACCELERATOR,
    COUNT,
    JSON_HELP,
    accepting,
    flags_for_fields,
    table,
)
from gigawatt.console import emit_json, friendly, out
from gigawatt.errors import InputError, Problem

if TYPE_CHECKING:
    from gigawatt.supply.estimate import EquipEstimate, WaferEstimate

# gigawatt.supply.yields.YIELD_MODELS, written out so that help needs no import of NumPy
# (a test holds the two equal).
YIELD_MODEL_HELP = "die yield: poisson, murphy, negative_binomial, bose_einstein"
WAFERS_FLAGS = {
    "count": "--count",
    "per_month": "--wafers-per-month",
    "product": "--product",
    "accelerator": "--accelerator",
    "samples": "--samples",
    "yield_model": "--yield-model",
}
WAFERS_ALIASES = {"--per-month": "--wafers-per-month"}


@friendly
@flags_for_fields("wafers", WAFERS_FLAGS)
def wafers(
    accelerator: Annotated[
        str | None, typer.Option(*ACCELERATOR, help="catalog accelerator id, e.g. gb200")
    ] = None,
    count: Annotated[
        float | None, typer.Option(*COUNT, help="forward: number of accelerators")
    ] = None,
    wafers_per_month: Annotated[
        float | None, typer.Option(help="reverse: DRAM wafers per month")
    ] = None,
    product: Annotated[
        str, typer.Option(help="reverse: hbm3, hbm3e, hbm4, ddr5, lpddr5x")
    ] = "hbm3e",
    samples: Annotated[
        int, typer.Option(help="Monte Carlo samples (0 = likely values only)")
    ] = 20000,
    seed: Annotated[int, typer.Option(help="random seed of the samples")] = 0,
    yield_model: Annotated[str, typer.Option(help=YIELD_MODEL_HELP)] = "negative_binomial",
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """Forward: wafers for --count accelerators. Reverse: what --wafers-per-month equip."""
    from gigawatt.supply.estimate import equipped_by, wafers_for
    from gigawatt.supply.yields import YIELD_MODELS, YieldModel

    if yield_model not in YIELD_MODELS:
        allowed = ", ".join(YIELD_MODELS)
        raise InputError(
            [Problem("wafers", "--yield-model", f"{yield_model!r}: allowed: {allowed}")]
        )
    if (count is None) == (wafers_per_month is None):
        message = "give --accelerator ID --count N (forward) or --wafers-per-month W (reverse)"
        raise InputError([Problem("wafers", "--count/--wafers-per-month", message)])
    model = cast(YieldModel, yield_model)
    if count is not None:
        if accelerator is None:
            raise InputError([Problem("wafers", "--accelerator", "required with --count")])
        est = wafers_for(accelerator, count, samples, seed, model)
        if as_json:
            emit_json(est.to_dict())
        else:
            _print_forward(est, count)
        return
    assert wafers_per_month is not None
    rev = equipped_by(wafers_per_month, product, accelerator, samples, seed, model)
    if as_json:
        emit_json(rev.to_dict())
    else:
        _print_reverse(rev, wafers_per_month, product)


def _print_forward(est: WaferEstimate, count: float) -> None:
    t = table(
        f"Wafers for {count:,.0f} x {est.accelerator} (P5 / P50 / P95)",
        ("wafers", "low", "likely", "high"),
        left=("wafers",),
    )
    for name, r in (
        ("HBM DRAM", est.hbm_dram_wafers),
        ("host DRAM (DDR5/LPDDR)", est.ddr_dram_wafers),
        ("logic", est.logic_wafers),
        ("CoWoS", est.cowos_wafers),
    ):
        t.add_row(name, f"{r.low:,.0f}", f"{r.likely:,.0f}", f"{r.high:,.0f}")
    out.print(t)
    a = est.assumptions
    packages = (a["cowos_packages_per_wafer"] or {}).get("likely", float("nan"))
    out.print(
        f"HBM {a['hbm_product']}: {a['hbm_stacks_per_accelerator']:.0f} stacks, "
        f"{a['hbm_gb_per_accelerator']['likely']:.0f} GB; yield (die x stack x CoWoS) "
        f"{a['hbm_yield_chain']['likely']:.2f}; CoWoS packages/wafer {packages:.1f}"
    )


def _print_reverse(rev: EquipEstimate, wafers_per_month: float, product: str) -> None:
    t = table(
        f"{wafers_per_month:,.0f} {product} wafers/month equip per year ({rev.accelerator})",
        ("figure", "low", "likely", "high"),
        left=("figure",),
    )
    for name, r, fmt in (
        ("accelerators / year", rev.accelerators_per_year, "{:,.0f}"),
        (f"{product} GB / year", rev.memory_gb_per_year, "{:,.3g}"),
        ("GW accelerator TDP / year", rev.accelerator_power_gw, "{:,.1f}"),
        ("GW IT load / year", rev.it_load_gw, "{:,.1f}"),
        ("wafers / accelerator", rev.wafers_per_accelerator, "{:.3f}"),
    ):
        t.add_row(name, fmt.format(r.low), fmt.format(r.likely), fmt.format(r.high))
    out.print(t)


def register(app: typer.Typer) -> None:
    app.command("wafers", cls=accepting(WAFERS_ALIASES))(wafers)
