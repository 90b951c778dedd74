"""Data centres and power: IT load -> facility power and water, cooling on land and at sea,
power supply, and build-out.

Modules: ``sites`` (climatology, hourly weather), ``properties`` (CoolProp / psychrolib
look-ups), ``cooling`` (models ``air``, ``liquid``, ``immersion``, ``seawater``), ``itload``,
``power`` (N-k and LOLP supply checks), ``buildout`` (schedules, capex lines), ``core``
(monthly and annual figures per site), ``capacity`` (a site's IT from its record: IT or
facility basis), ``plan`` (scenario section and ``plan_facilities``).
"""

from __future__ import annotations

from .capacity import SiteCapacity, site_capacity
from .cooling import CoolingConfig, CoolingResult, cooling_ids, get_cooling, simulate
from .core import FacilityReport, evaluate
from .itload import ItItem, ItLoad, accelerator_power_w, it_load
from .plan import FacilitySection, SitePlan, plan_facilities, site_summary
from .power import SupplyBlock, check_supply, expand_units
from .sites import Site, Weather, get_site, hourly_weather, site_ids

__all__ = [
    "CoolingConfig",
    "CoolingResult",
    "FacilityReport",
    "FacilitySection",
    "ItItem",
    "ItLoad",
    "Site",
    "SiteCapacity",
    "SitePlan",
    "SupplyBlock",
    "Weather",
    "accelerator_power_w",
    "check_supply",
    "cooling_ids",
    "evaluate",
    "expand_units",
    "get_cooling",
    "get_site",
    "hourly_weather",
    "it_load",
    "plan_facilities",
    "simulate",
    "site_capacity",
    "site_ids",
    "site_summary",
]
