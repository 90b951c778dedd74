"""Scenario section ``facility:`` (pydantic) and ``plan_facilities`` for the plan stage.

The lead wires this into scenario.py / plan.py; this module imports neither.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from gigawatt.catalog import Catalog, load_catalog
from gigawatt.errors import InputError, Problem
from gigawatt.schema.facility import (
    FacilitySection as FacilitySection,
)
from gigawatt.schema.facility import (
    PowerBlock as PowerBlock,
)
from gigawatt.schema.facility import (
    SiteMW as SiteMW,
)
from gigawatt.schema.facility import (
    SitePlan as SitePlan,
)
from gigawatt.schema.facility import (
    UnitMW as UnitMW,
)

from .buildout import PowerPhase, build_schedule
from .capacity import site_capacity
from .power import SupplyBlock, Unit, check_supply, dispatch_energy, expand_units

if TYPE_CHECKING:
    import pandas as pd

    from .sites import Site


# the power table: one row per power block of a site (a site may list none)
POWER_COLUMNS = ("site", "source", "units", "unit_w", "installed_w", "price_item")

def power_phases(units: list[Unit], site: Site) -> list[PowerPhase]:
    """Supply in the order it arrives: the grid after the site's energisation lead, each
    on-site source after its own build time (power_sources.yaml ``build_time``)."""
    grid_s = site.value("energisation_lead") or 0.0
    by_lead: dict[float, float] = {}
    for u in units:
        lead = grid_s if u.source == "grid" else u.build_time_s
        by_lead[lead] = by_lead.get(lead, 0.0) + u.capacity_w
    return [PowerPhase(lead, w) for lead, w in sorted(by_lead.items())]


def plan_facilities(
    section: FacilitySection, catalog: Catalog | None = None
) -> dict[str, pd.DataFrame]:
    """Evaluate every site: DataFrames ``sites`` (annual), ``monthly``, ``power``, ``buildout``.

    Units SI: W, J, m3, kg CO2, USD, K; years as decimal years."""
    import pandas as pd

    cat = catalog or load_catalog()
    site_rows, monthly, power_rows, builds = [], [], [], []
    for sp in section.sites:
        cap = site_capacity(sp, cat)
        it_w, rep = cap.it_w, cap.report
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
            module_w=cap.module_w,
            crews=sp.crews,
            power_phases=power_phases(units, rep.site),
            peak_pue=a["facility_w_peak"] / it_w,
            catalog=cat,
        )
        builds.append(schedule)
        site_rows.append(
            {
                "site": sp.site,
                "kind": rep.site.kind,
                "cooling": sp.cooling,
                "capacity_basis": sp.capacity_basis,
                "capacity_stated_w": sp.it_mw * 1e6,
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
            entry = cat.get("power_sources", b.source)
            unit_w = (b.unit_mw or 0) * 1e6 or entry.q("unit_capacity").get()
            power_rows.append(
                {
                    "site": sp.site,
                    "source": b.source,
                    "units": b.units,
                    "unit_w": unit_w,
                    "installed_w": b.units * unit_w,
                    "price_item": str(entry.get("price_item")),
                }
            )
    return {
        "sites": pd.DataFrame(site_rows),
        "monthly": pd.concat(monthly, ignore_index=True),
        "power": pd.DataFrame(power_rows, columns=list(POWER_COLUMNS)),  # columns even if empty
        "buildout": pd.concat(builds, ignore_index=True),
    }


SUMMARY_KEYS = (
    "site",
    "kind",
    "cooling",
    "it_w",
    "it_w_nominal",
    "facility_w",
    "pue",
    "wue_l_per_kwh",
    "water_m3_per_year",
    "co2_t_per_year",
    "supply_ok",
)


def site_summary(plan_tables: Mapping[str, pd.DataFrame]) -> list[dict[str, Any]]:
    """Per-site figures for the plan and one programme total (last row, ``site="total"``).

    ``plan_tables`` is what :func:`plan_facilities` returns (only its ``sites`` table is read).
    Each row: ``it_w`` (mean IT power drawn, W; below ``it_w_nominal`` where immersion removes
    server fans), ``facility_w`` (mean, W), ``pue``, ``wue_l_per_kwh`` (water consumed per IT
    kWh), ``water_m3_per_year`` (consumed, not once-through withdrawal), ``co2_t_per_year``
    (tonnes, after the site's supply mix), ``supply_ok``. Programme PUE and WUE are weighted
    by energy (total facility energy / total IT energy), not averaged over sites."""
    import pandas as pd

    sites = plan_tables.get("sites")
    if sites is None or not isinstance(sites, pd.DataFrame):
        raise InputError([Problem("<plan>", "sites", "plan tables have no 'sites' DataFrame")])
    rows: list[dict[str, Any]] = []
    for r in sites.to_dict("records"):
        drawn = float(r.get("it_w_drawn", r["it_w"]))
        rows.append(
            {
                "site": str(r["site"]),
                "kind": str(r["kind"]),
                "cooling": str(r["cooling"]),
                "it_w": drawn,
                "it_w_nominal": float(r["it_w"]),
                "facility_w": float(r["facility_w_mean"]),
                "pue": float(r["pue"]),
                "wue_l_per_kwh": float(r["wue_l_per_kwh"]),
                "water_m3_per_year": float(r["water_consumed_m3"]),
                "co2_t_per_year": float(r["carbon_kg"]) / 1e3,
                "supply_ok": bool(r["supply_ok"]),
            }
        )
    it_j = float(sites["it_energy_j"].sum()) if len(sites) else 0.0
    fac_j = float(sites["facility_energy_j"].sum()) if len(sites) else 0.0
    water = sum(r["water_m3_per_year"] for r in rows)
    rows.append(
        {
            "site": "total",
            "kind": "programme",
            "cooling": "",
            "it_w": sum(r["it_w"] for r in rows),
            "it_w_nominal": sum(r["it_w_nominal"] for r in rows),
            "facility_w": sum(r["facility_w"] for r in rows),
            "pue": fac_j / it_j if it_j > 0 else float("nan"),
            "wue_l_per_kwh": water * 1e3 / (it_j / 3.6e6) if it_j > 0 else float("nan"),
            "water_m3_per_year": water,
            "co2_t_per_year": sum(r["co2_t_per_year"] for r in rows),
            "supply_ok": all(r["supply_ok"] for r in rows),
        }
    )
    return rows
