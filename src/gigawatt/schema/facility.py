"""Scenario schema: the facility: section (sites, cooling, power, build-out)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, model_validator

from gigawatt.limits import (
    MAX_CREWS,
    MAX_MODULES,
    MAX_POWER_UNITS,
    MAX_SITE_MW,
    MAX_UNIT_MW,
    MAX_YEAR,
    MIN_SITE_MW,
    MIN_UNIT_MW,
    MIN_YEAR,
)
from gigawatt.schema import Strict

if TYPE_CHECKING:
    pass


UnitMW = Annotated[float, Field(ge=MIN_UNIT_MW, le=MAX_UNIT_MW)]


SiteMW = Annotated[float, Field(ge=MIN_SITE_MW, le=MAX_SITE_MW)]


class PowerBlock(Strict):
    """``units`` units of a power source from power_sources.yaml (optional unit size, MW)."""

    source: str
    units: Annotated[int, Field(ge=0, le=MAX_POWER_UNITS)] = 1
    unit_mw: UnitMW | None = None


CapacityBasis = Literal["it", "facility"]


class SitePlan(Strict):
    """One campus: a catalog site, its capacity, cooling, power mix and build-out.

    ``it_mw`` is the site's capacity as the record states it, in the unit ``capacity_basis``
    names: ``it`` (IT load, the default) or ``facility`` (power capacity: most campuses are
    announced by what the grid or plant supplies, IT plus cooling). ``module_mw`` is in the
    same basis. Readers get IT from ``gigawatt.facility.site_capacity``, never from
    ``it_mw`` directly."""

    site: str
    it_mw: SiteMW
    capacity_basis: CapacityBasis = "it"
    cooling: str
    power: list[PowerBlock] = Field(default_factory=list, max_length=MAX_POWER_UNITS)
    redundancy: Annotated[int, Field(ge=0, le=4)] = 1  # N+1 = 1
    lolp_target: Annotated[float, Field(gt=0, le=1)] = 1e-4
    start_year: Annotated[float, Field(ge=MIN_YEAR, le=MAX_YEAR)] = 2025.0
    module_mw: UnitMW | None = None
    crews: Annotated[int, Field(ge=1, le=MAX_CREWS)] = 2
    source: str = "scenario file"

    @model_validator(mode="after")
    def _bounded(self) -> SitePlan:
        units = sum(block.units for block in self.power)
        if units > MAX_POWER_UNITS:
            raise ValueError(f"{units} power units in all; allowed: at most {MAX_POWER_UNITS}")
        if self.module_mw is not None and self.it_mw / self.module_mw > MAX_MODULES:
            raise ValueError(
                f"it_mw / module_mw = {self.it_mw / self.module_mw:.3g} build-out modules; "
                f"allowed: at most {MAX_MODULES}"
            )
        return self


class FacilitySection(Strict):
    """The scenario's ``facility:`` section."""

    sites: list[SitePlan] = Field(min_length=1)
    reliability: Literal["n-k", "lolp", "both"] = "both"
