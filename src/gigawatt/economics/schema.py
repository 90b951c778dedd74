"""The economics inputs (pydantic): purchases, site operations, workloads, budget and the
scenario's economics section."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from gigawatt.schema.economics import (
    BudgetSection as BudgetSection,
)
from gigawatt.schema.economics import (
    EconomicsSection as EconomicsSection,
)


# ---- inputs ---------------------------------------------------------------------------------
class Purchase(BaseModel):
    """Something bought (or leased) in a year: ``quantity`` in the item's basis — accelerators
    for compute systems, devices for switches and optics, bytes for storage, watts for
    facility and power items (IT W for facility / floating items, W of capacity for plants)."""

    model_config = ConfigDict(extra="forbid")
    year: int
    item: str
    quantity: float = Field(ge=0)
    site: str = ""
    tranche: str | None = None  # budget tranche (default: the year)
    term_years: float | None = Field(default=None, gt=0)  # leases; default: asset-class life


class SiteOperation(BaseModel):
    """One site in one year, from the facility stage: IT capacity in service, facility energy
    and water used, and the site's prices (a number, or [low, likely, high])."""

    model_config = ConfigDict(extra="forbid")
    year: int
    site: str = ""
    it_power_w: float = Field(ge=0)
    facility_energy_j: float = Field(ge=0)
    water_m3: float = Field(default=0.0, ge=0)
    energy_price_usd_per_j: float | tuple[float, float, float] = 0.0
    water_price_usd_per_m3: float | tuple[float, float, float] = 0.0


class RunUse(BaseModel):
    """A training run as economics sees it: accelerators held for some days."""

    model_config = ConfigDict(extra="forbid")
    name: str
    accelerators: float = Field(ge=0)
    days: float = Field(ge=0)


class ServiceUse(BaseModel):
    """A service as economics sees it: accelerators held, tokens served per second."""

    model_config = ConfigDict(extra="forbid")
    name: str
    accelerators: float = Field(ge=0)
    tokens_per_s: float = Field(gt=0)


class EconomicsInputs(BaseModel):
    """Everything the economics stage needs, as plain numbers from the other stages."""

    model_config = ConfigDict(extra="forbid")
    purchases: list[Purchase] = Field(default_factory=list)
    operations: list[SiteOperation] = Field(default_factory=list)
    training_runs: list[RunUse] = Field(default_factory=list)
    services: list[ServiceUse] = Field(default_factory=list)
    section: EconomicsSection = Field(default_factory=EconomicsSection)
    # every tranche the budget may name (a site without purchases has none in the costs)
    tranche_names: list[str] = Field(default_factory=list)

    def __str__(self) -> str:
        years = sorted({p.year for p in self.purchases} | {o.year for o in self.operations})
        span = f"{years[0]}–{years[-1]}" if years else "no years"
        return (
            f"EconomicsInputs: {len(self.purchases)} purchases, {len(self.operations)} "
            f"site-years ({span}), {len(self.training_runs)} training runs, "
            f"{len(self.services)} services; currency {self.section.currency}"
        )
