"""A site's IT capacity from its record: announced as IT load or as power (facility) capacity.

Campuses are mostly announced by their power: "1.2 GW" at Abilene is what the grid and the
on-site plant supply (Bloomberg 2025-03: "capacity of 1.2 gigawatts of power"), DTE's 1.4 GW for
Saline is a utility supply. That power must carry the IT load *and* its cooling at the site's
hottest hour, so IT = facility capacity / peak PUE of the site's cooling model (the same peak
PUE the build-out uses to energise buildings and the supply check uses for adequacy; The Green
Grid, WP#49 PUE: facility power = IT power x PUE). Every reader sizes a site here.
"""

from __future__ import annotations

from dataclasses import dataclass

from gigawatt.catalog import Catalog, load_catalog
from gigawatt.schema.facility import SitePlan

from .core import FacilityReport, evaluate

MW_W = 1e6


@dataclass(frozen=True)
class SiteCapacity:
    """IT capacity (W) and module size (W of IT) of a site, with the report at that IT."""

    it_w: float
    module_w: float | None
    peak_pue: float
    report: FacilityReport


def site_capacity(sp: SitePlan, catalog: Catalog | None = None) -> SiteCapacity:
    """Size ``sp``'s IT: ``it_mw`` as IT, or, with ``capacity_basis: facility``, the IT whose
    peak facility power equals ``it_mw`` (``module_mw`` likewise).

    The cooling model's PUE does not depend on scale (each term is per watt of heat), so one
    evaluation at the announced capacity gives the peak PUE exactly."""
    cat = catalog or load_catalog()
    stated_w = sp.it_mw * MW_W
    module_w = None if sp.module_mw is None else sp.module_mw * MW_W
    rep = evaluate(sp.site, stated_w, sp.cooling, cat)
    peak_pue = rep.annual["facility_w_peak"] / stated_w
    if sp.capacity_basis == "it":
        return SiteCapacity(stated_w, module_w, peak_pue, rep)
    it_w = stated_w / peak_pue
    rep = evaluate(rep.site, it_w, rep.cooling, cat)
    return SiteCapacity(
        it_w,
        None if module_w is None else module_w / peak_pue,
        rep.annual["facility_w_peak"] / it_w,
        rep,
    )
