"""``gigawatt facility``: monthly PUE, WUE and power of a site with a cooling configuration."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from gigawatt.commands._shared import JSON_HELP, accepting, flags_for_fields, table
from gigawatt.console import emit_json, friendly, out
from gigawatt.units import UNITS

if TYPE_CHECKING:
    from gigawatt.facility import FacilityReport

_MW = UNITS["MW"][0]
_MEGA = 1e6  # the M of Mm3 and of USD M
FACILITY_FLAGS = {
    "site": "--site",
    "it_mw": "--it-mw",
    "it_power": "--it-mw",
    "cooling": "--cooling",
}


@friendly
@flags_for_fields("facility", FACILITY_FLAGS)
def facility(
    site: Annotated[str, typer.Option(help="site id from sites.yaml")],
    it_mw: Annotated[float, typer.Option(help="IT power")],
    cooling: Annotated[str, typer.Option(help="cooling id from cooling.yaml")],
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """Monthly facility power, PUE, WUE and heat of a site (typical days of climatology)."""
    from gigawatt.facility import evaluate

    rep = evaluate(site, it_mw * _MW, cooling)
    if as_json:
        emit_json(_report_dict(rep))
        return
    _print_report(rep)


def _report_dict(rep: FacilityReport) -> dict[str, Any]:
    return {
        "site": rep.site.id,
        "cooling": rep.cooling.id,
        "it_w": rep.it_w,
        "annual": rep.annual,
        "monthly": rep.monthly.to_dict(orient="records"),
        "sources": {
            "climate": rep.site.t_max.source,
            "water": rep.site.water.source if rep.site.water else None,
            "cooling": rep.cooling.anchor or rep.cooling.name,
        },
    }


def _print_report(rep: FacilityReport) -> None:
    columns = (
        "month",
        "air °C",
        "wet-bulb °C",
        "water °C",
        "PUE",
        "WUE L/kWh",
        "facility MW",
        "peak MW",
        "free cooling",
        "discharge +K",
    )
    t = table(f"{rep.site.name} — {rep.cooling.name}", columns)
    for _, r in rep.monthly.iterrows():
        t.add_row(
            r["month"],
            f"{r['dry_bulb_c']:.1f}",
            f"{r['wet_bulb_c']:.1f}",
            "-" if r["water_c"] != r["water_c"] else f"{r['water_c']:.1f}",
            f"{r['pue']:.3f}",
            f"{r['wue_l_per_kwh']:.2f}",
            f"{r['facility_w'] / _MW:,.1f}",
            f"{r['facility_w_peak'] / _MW:,.1f}",
            f"{r['free_cooling_fraction']:.0%}",
            f"{r['discharge_rise_k_max']:.2f}",
        )
    out.print(t)
    out.print(str(rep))
    a = rep.annual
    out.print(
        f"annual: {a['facility_energy_j'] / UNITS['GWh'][0]:,.0f} GWh, water "
        f"{a['water_consumed_m3'] / _MEGA:,.2f} Mm3 consumed, "
        f"{a['water_withdrawn_m3'] / _MEGA:,.1f} Mm3 withdrawn; energy "
        f"USD {a['energy_cost_usd'] / _MEGA:,.0f} M"
    )


def register(app: typer.Typer) -> None:
    app.command("facility", cls=accepting())(facility)
