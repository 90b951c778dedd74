"""Build-out: modules (buildings or hulls) of a given IT MW, their construction and
energisation lead times, the resulting schedule per site, and capex lines.

A module is ready when it is built (``start + i // crews * construction_time`` staggered by
crews working in parallel) and its site is energised (``start + energisation_lead``, the
later of the grid lead time and the slowest power source's build time). The fleet's
deployment must fit under the cumulative ready capacity: ``shortfall`` says where it does not.
Floating sites carry hull and mooring as their own capex lines (sites.yaml), priced by the
economics stage.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from gigawatt.catalog import Catalog, load_catalog
from gigawatt.errors import InputError, Problem
from gigawatt.units import YEAR_S

from .sites import Site

if TYPE_CHECKING:
    import pandas as pd


def build_schedule(
    site: Site,
    it_w: float,
    start_year: float,
    module: str | None = None,
    module_w: float | None = None,
    crews: int = 2,
    power_build_time_s: float = 0.0,
    catalog: Catalog | None = None,
) -> pd.DataFrame:
    """One row per module: start, built, energised and ready (decimal years), IT W, capex."""
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
    grid_s = site.value("energisation_lead") or 0.0
    energised = start_year + max(grid_s, power_build_time_s) / YEAR_S
    per_w = m.q("capex").get()
    rows = []
    for i in range(n):
        mw = min(size, it_w - i * size)
        begin = start_year + (i // crews) * build_s / YEAR_S
        built = begin + build_s / YEAR_S
        row = {
            "site": site.id,
            "module": i + 1,
            "kind": module,
            "it_w": mw,
            "start_year": begin,
            "built_year": built,
            "energised_year": energised,
            "ready_year": max(built, energised),
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
