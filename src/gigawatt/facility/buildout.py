"""Build-out: modules (buildings or hulls) of a given IT MW, their construction and
energisation lead times, the resulting schedule per site, and capex lines.

A module is ready when it is built (``start + i // crews * construction_time`` staggered by
crews working in parallel) and energised. Power arrives in phases (``PowerPhase``): the grid
after the site's ``energisation_lead``, each on-site source after its own build time, as at
Abilene (grid connection energised the first buildings in H1 2025, the ~360 MW gas plant came
later; Crusoe 2025). Module ``i`` is energised once the capacity arrived covers the peak
facility power of modules ``1..i`` (or, if it never does, when the last phase arrives: the
adequacy check reports the gap). The fleet's
deployment must fit under the cumulative ready capacity: ``shortfall`` says where it does not.
Floating sites carry hull and mooring as their own capex lines (sites.yaml), priced by the
economics stage.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from gigawatt.catalog import Catalog, load_catalog
from gigawatt.errors import InputError, Problem
from gigawatt.units import YEAR_S

from .sites import Site

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class PowerPhase:
    """``capacity_w`` of supply that arrives ``lead_s`` after the site's start."""

    lead_s: float
    capacity_w: float


def energised_years(
    start_year: float, facility_w: Sequence[float], phases: Sequence[PowerPhase]
) -> list[float]:
    """Year each module (facility peak W, in build order) is energised by ``phases``."""
    if not phases:
        return [start_year] * len(facility_w)
    order = sorted(phases, key=lambda p: p.lead_s)
    arrived = np.cumsum([p.capacity_w for p in order])
    last = start_year + order[-1].lead_s / YEAR_S
    out = []
    for need in np.cumsum(np.asarray(facility_w, dtype=float)):
        k = int(np.searchsorted(arrived, need * (1.0 - 1e-12)))
        out.append(start_year + order[k].lead_s / YEAR_S if k < len(order) else last)
    return out


def build_schedule(
    site: Site,
    it_w: float,
    start_year: float,
    module: str | None = None,
    module_w: float | None = None,
    crews: int = 2,
    power_phases: Sequence[PowerPhase] = (),
    peak_pue: float = 1.0,
    catalog: Catalog | None = None,
) -> pd.DataFrame:
    """One row per module: start, built, energised and ready (decimal years), IT W, capex.

    Without ``power_phases`` the site is energised ``energisation_lead`` after its start;
    ``peak_pue`` turns a module's IT into the facility power its supply must carry."""
    import pandas as pd

    cat = catalog or load_catalog()
    module = module or ("floating-module" if site.floating else "land-building")
    items = cat.kind("buildout")
    if module not in items:
        raise InputError(
            [Problem("buildout.yaml", "module", f"unknown {module!r}; known: {', '.join(items)}")]
        )
    m = items[module]
    size = module_w if module_w is not None else m.q("module_it").get()
    problems = []
    if not np.isfinite(it_w) or it_w <= 0:
        problems.append(Problem("<input>", "it_mw", "IT capacity must be > 0"))
    if size <= 0:
        problems.append(Problem("<input>", "module_mw", "module size must be > 0"))
    if crews < 1:
        problems.append(Problem("<input>", "crews", "need at least one crew"))
    if problems:
        raise InputError(problems)
    n = int(np.ceil(it_w / size - 1e-9))
    build_s = m.q("construction_time").get()
    phases = list(power_phases) or [
        PowerPhase(site.value("energisation_lead") or 0.0, float("inf"))
    ]
    sizes = [min(size, it_w - i * size) for i in range(n)]
    energised = energised_years(start_year, [w * peak_pue for w in sizes], phases)
    per_w = m.q("capex").get()
    rows = []
    for i, mw in enumerate(sizes):
        begin = start_year + (i // crews) * build_s / YEAR_S
        built = begin + build_s / YEAR_S
        row = {
            "site": site.id,
            "module": i + 1,
            "kind": module,
            "it_w": mw,
            "start_year": begin,
            "built_year": built,
            "energised_year": energised[i],
            "ready_year": max(built, energised[i]),
            "capex_facility_usd": mw * per_w,
        }
        if site.floating:
            row["capex_hull_usd"] = mw * (site.value("hull_capex") or float("nan"))
            row["capex_mooring_usd"] = mw * (site.value("mooring_capex") or float("nan"))
        rows.append(row)
    df = pd.DataFrame(rows)
    df["cumulative_it_w"] = df["it_w"].cumsum()
    return df


def ready_capacity_w(schedule: pd.DataFrame, year: float | Sequence[float]) -> np.ndarray:
    """IT capacity ready at each ``year`` (decimal years)."""
    years = np.atleast_1d(np.asarray(year, dtype=float))
    ready = schedule["ready_year"].to_numpy()
    it = schedule["it_w"].to_numpy()
    return np.asarray([(it[ready <= y + 1e-9]).sum() for y in years])


def shortfall(schedule: pd.DataFrame, demand: Sequence[tuple[float, float]]) -> pd.DataFrame:
    """Compare a deployment (year, IT W needed) against the schedule; rows where it misses."""
    import pandas as pd

    years = [y for y, _ in demand]
    have = ready_capacity_w(schedule, years)
    df = pd.DataFrame({"year": years, "needed_w": [w for _, w in demand], "ready_w": have})
    df["shortfall_w"] = np.maximum(df["needed_w"] - df["ready_w"], 0.0)
    return df[df["shortfall_w"] > 0].reset_index(drop=True)
