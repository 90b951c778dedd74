"""Scenario schema: the supply: section (build-out schedule, memory supply, capacity)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from gigawatt.limits import (
    MAX_ACCELERATORS,
    MAX_SAMPLES,
    MAX_SEED,
    MAX_WAFERS_PER_MONTH,
    MAX_YEAR,
    MIN_YEAR,
)

if TYPE_CHECKING:
    pass


_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$")


CONSTRAINT_KINDS = ("dram", "hbm_tsv", "cowos", "logic")


# --- scenario section ----------------------------------------------------------------------------
class Deployment(BaseModel):
    """Accelerators deployed (installed and powered) in one quarter."""

    model_config = ConfigDict(extra="forbid")
    quarter: str = Field(description="calendar quarter, e.g. 2026Q3")
    accelerator: str
    count: float = Field(ge=0, le=MAX_ACCELERATORS)
    source: str = ""

    @field_validator("quarter")
    @classmethod
    def _quarter(cls, v: str) -> str:
        found = _QUARTER.match(v.strip())
        if not found:
            raise ValueError("quarter must look like 2026Q3")
        if not MIN_YEAR <= int(found.group(1)) <= MAX_YEAR:
            raise ValueError(f"the year must be in {MIN_YEAR}..{MAX_YEAR}, got {v}")
        return v.strip().replace("-", "")


class SupplySection(BaseModel):
    """Scenario section ``supply:`` (see scenarios/sections/supply.yaml)."""

    model_config = ConfigDict(extra="forbid")
    schedule: list[Deployment] = Field(default_factory=list)
    # a claimed DRAM wafers/month figure the scenario wants checked (None: no claim)
    claim_wafers_per_month: float | None = Field(None, ge=0, le=MAX_WAFERS_PER_MONTH)
    claim_source: str = ""
    samples: int = Field(20_000, ge=0, le=MAX_SAMPLES)
    seed: int = Field(0, ge=0, le=MAX_SEED)
    yield_model: Literal["poisson", "murphy", "negative_binomial", "bose_einstein"] = (
        "negative_binomial"
    )
    capacity_share: dict[str, float] = Field(
        default_factory=lambda: {"dram": 1.0, "hbm_tsv": 1.0, "cowos": 1.0, "logic": 1.0}
    )
    capacity_growth_per_year: float = Field(0.0, ge=-0.5, le=1.0)

    @field_validator("capacity_share")
    @classmethod
    def _shares(cls, v: dict[str, float]) -> dict[str, float]:
        for k, x in v.items():
            if k not in CONSTRAINT_KINDS:
                raise ValueError(
                    f"unknown constraint {k!r}; allowed: {', '.join(CONSTRAINT_KINDS)}"
                )
            if not 0.0 < x <= 1.0:
                raise ValueError(f"share of {k} must be in (0, 1], got {x}")
        return {**{k: 1.0 for k in CONSTRAINT_KINDS}, **v}
