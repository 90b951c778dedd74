"""Scenario schema: the economics: section (prices, WACC, budget, horizon)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from gigawatt.limits import MAX_AMOUNT, MAX_YEAR, MAX_YEARS, MIN_YEAR

UNSITED_TRANCHE = "unsited"  # the plan's tranche of accelerators on no modelled site
OPERATIONS_TRANCHE = "operations"  # all opex, when a budget includes it


def scenario_site_ids(scenario: Any) -> list[str]:
    """The ids of a scenario's sites (none without a facility section)."""
    facility = getattr(scenario, "facility", None)
    return [s.site for s in facility.sites] if facility is not None else []


def budget_tranche_names(site_ids: Iterable[str]) -> list[str]:
    """Every tranche a plan's budget can fund: one per site, the unsited build-out and the
    operations; what ``budget.cut_priority`` may name (``check`` and ``run`` alike)."""
    return [*site_ids, UNSITED_TRANCHE, OPERATIONS_TRANCHE]


class PriceOverride(BaseModel):
    """A price from the scenario, in a unit of the item's dimension (e.g. USD per rack for a
    rack, USD/MW for a facility item, USD/kW/year for a lease), with its source."""

    model_config = ConfigDict(extra="forbid")
    value: float = Field(ge=0, le=MAX_AMOUNT)
    unit: str
    source: str = Field(min_length=1)
    low: float | None = Field(default=None, ge=0, le=MAX_AMOUNT)
    high: float | None = Field(default=None, ge=0, le=MAX_AMOUNT)


class BudgetSection(BaseModel):
    """A programme budget: amount in ``currency``, spread over ``years`` from ``start_year``."""

    model_config = ConfigDict(extra="forbid")
    amount: float = Field(gt=0, le=MAX_AMOUNT)
    currency: str = "USD"
    years: float | None = Field(default=None, gt=0, le=MAX_YEARS)
    start_year: int | None = Field(default=None, ge=MIN_YEAR, le=MAX_YEAR)
    include_opex: bool = False
    cut_priority: list[str] = Field(default_factory=list)  # tranches, most important first
    source: str = ""


class EconomicsSection(BaseModel):
    """The scenario's ``economics:`` section (see scenarios/sections/economics.yaml)."""

    model_config = ConfigDict(extra="forbid")
    currency: str = "USD"
    wacc: float | None = Field(default=None, ge=0, lt=1)
    utilisation: float = Field(default=1.0, gt=0, le=1)
    horizon_years: int | None = Field(default=None, gt=0, le=MAX_YEARS)
    prices: dict[str, PriceOverride] = Field(default_factory=dict)
    budget: BudgetSection | None = None
