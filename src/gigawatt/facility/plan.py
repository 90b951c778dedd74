"""Scenario section ``facility:`` (pydantic) and ``plan_facilities`` for the plan stage.

The lead wires this into scenario.py / plan.py; this module imports neither.
"""

from __future__ import annotations

from typing import Annotated, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from gigawatt.catalog import Catalog, load_catalog

from .buildout import build_schedule
from .core import evaluate
from .power import SupplyBlock, check_supply, dispatch_energy, expand_units

Positive = Annotated[float, Field(gt=0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PowerBlock(_Strict):
    """``units`` units of a power source from power_sources.yaml (optional unit size, MW)."""

    source: str
    units: Annotated[int, Field(ge=0)] = 1
    unit_mw: Positive | None = None


class SitePlan(_Strict):
    """One campus: a catalog site, its IT MW, cooling, power mix and build-out."""

    site: str
    it_mw: Positive
    cooling: str
    power: list[PowerBlock] = Field(default_factory=list)
    redundancy: Annotated[int, Field(ge=0, le=4)] = 1  # N+1 = 1
    lolp_target: Annotated[float, Field(gt=0, le=1)] = 1e-4
    start_year: Annotated[float, Field(ge=2000, le=2100)] = 2025.0
    module_mw: Positive | None = None
    crews: Annotated[int, Field(ge=1)] = 2
    source: str = "scenario file"


class FacilitySection(_Strict):
    """The scenario's ``facility:`` section."""

    sites: list[SitePlan]
    reliability: Literal["n-k", "lolp", "both"] = "both"


def plan_facilities(
    section: FacilitySection, catalog: Catalog | None = None
) -> dict[str, pd.DataFrame]:
    """Evaluate every site: DataFrames ``sites`` (annual), ``monthly``, ``power``, ``buildout``.

    Units SI: W, J, m3, kg CO2, USD, K; years as decimal years."""
    cat = catalog or load_catalog()
    site_rows, monthly, power_rows, builds = [], [], [], []
    for sp in section.sites:
        it_w = sp.it_mw * 1e6
        rep = evaluate(sp.site, it_w, sp.cooling, cat)
        a = rep.annual
        units = expand_units(
            [
                SupplyBlock(b.source, b.units, None if b.unit_mw is None else b.unit_mw * 1e6)
                for b in sp.power
            ],
            cat,
        )
        adequacy = check_supply(units, a["facility_w_peak"], sp.redundancy, sp.lolp_target)
        ok = {"n-k": adequacy.meets_n_k, "lolp": adequacy.meets_lolp, "both": adequacy.ok}[
            section.reliability
        ]
        energy = (
            dispatch_energy(
                units, a["facility_energy_j"], rep.site.carbon_kg_per_j, rep.site.price_usd_per_j
            )
            if units
            else {
                "carbon_kg": a["carbon_kg"],
                "energy_cost_usd": a["energy_cost_usd"],
                "unserved_j": 0.0,
            }
        )
        schedule = build_schedule(
            rep.site,
            it_w,
            sp.start_year,
            module_w=None if sp.module_mw is None else sp.module_mw * 1e6,
            crews=sp.crews,
            power_build_time_s=max(
                (u.build_time_s for u in units if u.source != "grid"), default=0.0
            ),
            catalog=cat,
        )
        builds.append(schedule)
        site_rows.append(
            {
                "site": sp.site,
                "kind": rep.site.kind,
                "cooling": sp.cooling,
                **a,
                "carbon_kg": energy["carbon_kg"],
                "energy_cost_usd": energy["energy_cost_usd"],
                "supply_installed_w": adequacy.installed_w,
                "supply_n_minus_k_w": adequacy.n_minus_k_w,
                "supply_lolp": adequacy.lolp,
                "supply_ok": ok,
                "ready_year": float(schedule["ready_year"].max()),
                "capex_facility_usd": float(schedule["capex_facility_usd"].sum()),
                "capex_hull_usd": float(schedule.get("capex_hull_usd", pd.Series([0.0])).sum()),
                "capex_mooring_usd": float(
                    schedule.get("capex_mooring_usd", pd.Series([0.0])).sum()
                ),
            }
        )
        m = rep.monthly.copy()
        m.insert(0, "site", sp.site)
        monthly.append(m)
        for b in sp.power:
            power_rows.append(
                {
                    "site": sp.site,
                    "source": b.source,
                    "units": b.units,
                    "unit_w": (b.unit_mw or 0) * 1e6
                    or cat.get("power_sources", b.source).q("unit_capacity").get(),
                }
            )
    return {
        "sites": pd.DataFrame(site_rows),
        "monthly": pd.concat(monthly, ignore_index=True),
        "power": pd.DataFrame(power_rows),
        "buildout": pd.concat(builds, ignore_index=True),
    }
