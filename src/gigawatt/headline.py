"""The headline of a plan as a typed record: what ``gigawatt run --json`` prints first, the
summary, the report and the results store all read these fields (SI units; ranges as
low / likely / high). Built by ``gigawatt.plan`` from its tables, never edited after."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Span(_Record):
    """A figure with its range."""

    low: float
    likely: float
    high: float


class AcceleratorCount(_Record):
    total: float = Field(ge=0)
    by_type: dict[str, float] = Field(default_factory=dict)


class UnassignedBuildOut(_Record):
    """Accelerators the build-out deploys that no listed workload uses."""

    accelerators: float = Field(ge=0)
    it_power_w: float = Field(ge=0)


class FirstConstraint(_Record):
    """The earliest quarter in which the build-out outruns facilities or supply."""

    kind: Literal["facility", "supply"]
    where: str
    quarter: str
    shortfall: float  # in its first quarter
    largest_shortfall: float  # at the same place, in its worst quarter (the notes' figure)
    largest_quarter: str
    unit: str


class Unsited(_Record):
    """IT on no modelled site, and the assumption it is costed and watered under."""

    it_power_w: float = Field(ge=0)
    facility_power_w: float = Field(ge=0)
    water_m3_per_year: float = Field(ge=0)
    assumption: str


class BudgetCut(_Record):
    tranche: str
    funded_fraction: float
    status: str


class Headline(_Record):
    """The headline figures of one plan; fields a scenario does not plan are None."""

    scenario: str
    accelerators: AcceleratorCount
    hbm_stacks: float = Field(ge=0)
    unassigned_build_out: UnassignedBuildOut
    dram_wafers_per_month_peak: Span | None = None
    dram_wafers_claim_ratio: Span | None = None
    dram_wafers_claim_wafers_per_month: float | None = None
    largest_utilisation_constraint: str | None = None
    largest_utilisation_quarter: str | None = None
    binding_utilisation: float | None = None
    binding_constraint: str | None = None
    binding_constraint_quarter: str | None = None
    binding_summary: str | None = None
    supply_shortfall_quarters: int | None = None
    facility_shortfall_it_w_max: float | None = None
    first_constraint: FirstConstraint | None = None
    it_power_w: float | None = None
    it_power_placed_on_modelled_sites_w: float | None = None
    it_power_unsited_w: float | None = None
    facility_power_w: float | None = None
    pue: float | None = None
    water_m3_per_year_on_sites: float | None = None
    water_m3_per_year: float | None = None
    co2_t_per_year: float | None = None
    unsited: Unsited | None = None
    capex_usd: Span | None = None
    capex_onsite_generation_usd: Span | None = None  # of capex: plants on site (not the grid)
    opex_usd_per_year: Span | None = None
    budget_usd: Span | None = None
    usd_per_gpu_hour: Span | None = None
    within_budget: bool | None = None
    budget_years_needed: Span | None = None
    budget_cuts: list[BudgetCut] | None = None
    usd_per_million_tokens: Span | None = None
    display_currency: str | None = None
    in_display_currency: dict[str, Span] = Field(
        default_factory=dict, description="money figures again in the display currency"
    )
    largest_training_run: str | None = None
    unexpected_interruptions_per_day: float | None = None
    ettr: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON of the headline: fields in order, display-currency figures as
        ``capex_krw``-style keys beside their USD originals, unset optional blocks omitted."""
        data = self.model_dump(exclude={"in_display_currency"})
        for key in ("unsited", "budget_cuts", "display_currency", "budget_years_needed"):
            if data.get(key) is None:
                data.pop(key, None)
        for key, span in self.in_display_currency.items():
            data[key] = span.model_dump()
        return data
