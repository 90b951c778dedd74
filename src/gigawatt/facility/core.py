"""Facility figures for a site: monthly and annual power, PUE, WUE, water, heat and carbon."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from gigawatt.catalog import Catalog
from gigawatt.errors import InputError, Problem
from gigawatt.units import HOUR_S, WEATHER_HOURS_PER_YEAR

from .cooling import CoolingConfig, CoolingResult, get_cooling, simulate
from .sites import DAYS_IN_MONTH, MONTH_NAMES, Site, get_site

if TYPE_CHECKING:
    import pandas as pd

KWH_J = 3.6e6


@dataclass(frozen=True)
class FacilityReport:
    """Monthly table (typical days) and annual totals for one site, IT load and cooling."""

    site: Site
    cooling: CoolingConfig
    it_w: float
    monthly: pd.DataFrame
    result: CoolingResult

    @property
    def annual(self) -> dict[str, float]:
        m = self.monthly
        it_j = float(m["it_energy_j"].sum())
        fac_j = float(m["facility_energy_j"].sum())
        water = float(m["water_consumed_m3"].sum())
        carbon_kg = fac_j * self.site.carbon_kg_per_j
        return {
            "it_w": self.it_w,  # as requested (air-cooled / nameplate servers)
            # what the servers draw (less without fans)
            "it_w_drawn": it_j / (WEATHER_HOURS_PER_YEAR * HOUR_S),
            "facility_w_mean": fac_j / (WEATHER_HOURS_PER_YEAR * HOUR_S),
            "facility_w_peak": float(m["facility_w_peak"].max()),
            "pue": fac_j / it_j,
            "pue_worst_month": float(m["pue"].max()),
            "wue_l_per_kwh": water * 1e3 / (it_j / KWH_J),
            "water_consumed_m3": water,
            "water_withdrawn_m3": float(m["water_withdrawn_m3"].sum()),
            "it_energy_j": it_j,
            "facility_energy_j": fac_j,
            "heat_rejected_j": float(m["heat_rejected_j"].sum()),
            "carbon_kg": carbon_kg,
            "energy_cost_usd": fac_j * self.site.price_usd_per_j,
            "water_cost_usd": water * (self.site.value("water_price") or 0.0),
            "discharge_rise_k_max": float(m["discharge_rise_k_max"].max()),
        }

    def __str__(self) -> str:
        a = self.annual
        return (
            f"{self.site.id} / {self.cooling.id}: IT {self.it_w / 1e6:,.0f} MW -> facility "
            f"{a['facility_w_mean'] / 1e6:,.0f} MW mean, PUE {a['pue']:.3f}, WUE "
            f"{a['wue_l_per_kwh']:.2f} L/kWh, {a['carbon_kg'] / 1e9:,.2f} Mt CO2/yr"
        )


def evaluate(
    site: Site | str, it_w: float, cooling: CoolingConfig | str, catalog: Catalog | None = None
) -> FacilityReport:
    """Run the cooling model on each month's typical day (12 x 24 h) at constant IT power."""
    import pandas as pd

    s = site if isinstance(site, Site) else get_site(site, catalog)
    cfg = cooling if isinstance(cooling, CoolingConfig) else get_cooling(cooling, catalog)
    if not np.isfinite(it_w) or it_w <= 0:
        raise InputError(
            [Problem("<input>", "it_mw", f"IT power must be > 0, got {it_w / 1e6:g} MW")]
        )
    if cfg.heat_rejection == "once-through" and s.water is None:
        raise InputError(
            [
                Problem(
                    "<input>",
                    "cooling",
                    f"{cfg.id!r} needs a site with water temperatures; "
                    f"{s.id!r} has none (use a floating or coastal site)",
                )
            ]
        )
    r = simulate(it_w, s.typical_days(), cfg)
    hours = DAYS_IN_MONTH * 24.0
    mean = {
        k: getattr(r, k).mean(axis=1)
        for k in (
            "it_w",
            "facility_w",
            "cooling_w",
            "heat_rejected_w",
            "chiller_w",
            "condenser_pump_w",
        )
    }
    water_c = r.water_consumed_kg_per_s.mean(axis=1)
    rho = 1000.0
    monthly = pd.DataFrame(
        {
            "month": MONTH_NAMES,
            "it_w": mean["it_w"],
            "facility_w": mean["facility_w"],
            "facility_w_peak": r.facility_w.max(axis=1),
            "cooling_w": mean["cooling_w"],
            "chiller_w": mean["chiller_w"],
            "condenser_pump_w": mean["condenser_pump_w"],
            "pue": mean["facility_w"] / mean["it_w"],
            "wue_l_per_kwh": water_c * HOUR_S / (mean["it_w"] / 1e3),  # kg/s*s/h / kW = L/kWh
            "free_cooling_fraction": r.free_cooling_fraction.mean(axis=1),
            "heat_rejected_w": mean["heat_rejected_w"],
            "discharge_rise_k_max": r.discharge_rise_k.max(axis=1),
            "dry_bulb_c": s.typical_days().dry_bulb_c.mean(axis=1),
            "wet_bulb_c": s.typical_days().wet_bulb_c.mean(axis=1),
            "water_c": s.water.array() if s.water is not None else np.full(12, np.nan),
            "it_energy_j": mean["it_w"] * hours * HOUR_S,
            "facility_energy_j": mean["facility_w"] * hours * HOUR_S,
            "heat_rejected_j": mean["heat_rejected_w"] * hours * HOUR_S,
            "water_consumed_m3": water_c * hours * HOUR_S / rho,
            "water_withdrawn_m3": r.water_withdrawn_kg_per_s.mean(axis=1) * hours * HOUR_S / 1025.0,
        }
    )
    monthly["carbon_kg"] = monthly["facility_energy_j"] * s.carbon_kg_per_j
    return FacilityReport(s, cfg, it_w, monthly, r)
