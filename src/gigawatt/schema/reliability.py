"""Scenario schema: the reliability: section (failures, checkpoints, restarts, spares)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from gigawatt.limits import (
    MAX_ACCELERATORS,
    MAX_FAILOVER_S,
    MAX_MINUTES,
    MAX_PER_DAY,
    MAX_STORAGE_GB_PER_S,
    MAX_TECHNICIANS,
)
from gigawatt.schema import Strict

if TYPE_CHECKING:
    pass


Minutes = Annotated[float, Field(gt=0, le=MAX_MINUTES)]


class SiteSpec(Strict):
    """One site of the operations simulation."""

    name: str
    type: Literal["land", "subsea", "floating"] = "land"
    accelerator: str
    gpus: Annotated[int, Field(ge=1, le=MAX_ACCELERATORS)]
    pue: Annotated[float, Field(ge=1.0, le=3.0)] = 1.2
    spare_fraction: Annotated[float, Field(ge=0.0, le=1.0)] = 0.02
    technicians: Annotated[int, Field(ge=1, le=MAX_TECHNICIANS)] | None = None
    temperature_c: Annotated[float, Field(ge=-40, le=150)] | None = None
    fleet_age_years: Annotated[float, Field(ge=0, le=30)] | None = None


class ServiceSpec(Strict):
    """A serving deployment: GPUs held at a site; failures cost capacity until fail-over."""

    name: str
    site: str
    gpus: Annotated[int, Field(ge=1, le=MAX_ACCELERATORS)]
    failover_s: Annotated[float, Field(ge=0, le=MAX_FAILOVER_S)] = 120.0


class ReliabilitySection(Strict):
    """Proposed scenario section ``reliability:`` (see scenarios/sections/reliability.yaml)."""

    site: Literal["land", "subsea", "floating"] = "land"
    fleet_age_years: Annotated[float, Field(ge=0, le=30)] | None = None
    temperature_c: Annotated[float, Field(ge=-40, le=150)] | None = None
    async_checkpoint: bool = True
    checkpoint_interval_min: Minutes | None = None
    storage_bandwidth_gb_per_s_per_gpu: (
        Annotated[float, Field(gt=0, le=MAX_STORAGE_GB_PER_S)] | None
    ) = None
    restart_overhead_min: Annotated[float, Field(ge=0, le=MAX_MINUTES)] | None = None
    spare_fraction: Annotated[float, Field(ge=0.0, le=1.0)] = 0.02
    planned_interruptions_per_day: Annotated[float, Field(ge=0, le=MAX_PER_DAY)] | None = None
    bound: Literal["likely", "low", "high"] = "likely"
    sites: list[SiteSpec] = Field(default_factory=list)
    services: list[ServiceSpec] = Field(default_factory=list)
