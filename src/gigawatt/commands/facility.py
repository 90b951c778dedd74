"""``gigawatt facility``: monthly PUE, WUE and power of a site with a cooling configuration."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from gigawatt.console import emit_json, friendly, out
from gigawatt.facility import evaluate


def register(app: typer.Typer) -> None:
    @app.command("facility")
    @friendly
    def facility(
        site: Annotated[str, typer.Option("--site", help="site id from sites.yaml")],
        it_mw: Annotated[float, typer.Option("--it-mw", help="IT power in MW")],
        cooling: Annotated[str, typer.Option("--cooling", help="cooling id from cooling.yaml")],
        json_: Annotated[bool, typer.Option("--json", help="one JSON object, SI units")] = False,
    ) -> None:
        """Monthly facility power, PUE, WUE and heat of a site (typical days of climatology)."""
        rep = evaluate(site, it_mw * 1e6, cooling)
        if json_:
            emit_json(
                {
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
            )
            return
        table = Table(title=f"{rep.site.name} — {rep.cooling.name}", title_justify="left")
        for col in (
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
        ):
            table.add_column(col, justify="right")
        for _, r in rep.monthly.iterrows():
            table.add_row(
                r["month"],
                f"{r['dry_bulb_c']:.1f}",
                f"{r['wet_bulb_c']:.1f}",
                "-" if r["water_c"] != r["water_c"] else f"{r['water_c']:.1f}",
                f"{r['pue']:.3f}",
                f"{r['wue_l_per_kwh']:.2f}",
                f"{r['facility_w'] / 1e6:,.1f}",
                f"{r['facility_w_peak'] / 1e6:,.1f}",
                f"{r['free_cooling_fraction']:.0%}",
                f"{r['discharge_rise_k_max']:.2f}",
            )
        out.print(table)
        out.print(str(rep))
        a = rep.annual
        out.print(
            f"annual: {a['facility_energy_j'] / 3.6e12:,.0f} GWh, water "
            f"{a['water_consumed_m3'] / 1e6:,.2f} Mm3 consumed, "
            f"{a['water_withdrawn_m3'] / 1e6:,.1f} Mm3 withdrawn; energy "
            f"USD {a['energy_cost_usd'] / 1e6:,.0f} M"
        )
