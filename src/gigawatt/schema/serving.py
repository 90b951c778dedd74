"""Scenario schema: the serving: section (services and their demand) and the fleet's held runs."""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field, model_validator

from gigawatt.limits import (
    MAX_ACCELERATORS,
    MAX_REQUESTS_PER_USER_PER_DAY,
    MAX_SLO_S,
    MAX_SPARE_REPLICAS,
    MAX_TOKENS,
    MAX_TOKENS_PER_REQUEST,
    MAX_USERS,
)
from gigawatt.schema import Strict
from gigawatt.units import DAY_S

# precisions a service is served at when it names none (the engines' common deployments)
DEFAULT_PRECISIONS = ("bf16", "fp8")
# how a service's replicas may split prefill and decode: "off" co-located only (continuous
# batching with chunked prefill), "allow" the search also tries prefill/decode pools,
# "only" disaggregated pools only
DISAGGREGATION_MODES = ("off", "allow", "only")
Disaggregation = Literal["off", "allow", "only"]


def default_prefix_hit_rate() -> float:
    """The prefix-cache hit rate a service is planned at when it names none: the default
    engine's ``default_prefix_hit_rate`` (catalog/serving_software.yaml; absent: 0). Read
    from the catalog directly, not through perf.serving, so loading a scenario imports no
    numerical library."""
    from gigawatt.catalog import load_catalog

    for entry in load_catalog().kind("serving_software").values():
        if entry.get("default"):
            rate = entry.get("default_prefix_hit_rate")
            return float(entry.q("default_prefix_hit_rate").get()) if rate else 0.0
    return 0.0


class ServiceDemand(Strict):
    """One served product and its demand. Units: seconds, tokens, requests, users."""

    name: str = Field(min_length=1)
    model: str = Field(min_length=1, description="catalog model id")
    accelerator: str = Field("h200", min_length=1, description="catalog accelerator id")
    daily_active_users: float = Field(gt=0, le=MAX_USERS)
    requests_per_user_per_day: float = Field(gt=0, le=MAX_REQUESTS_PER_USER_PER_DAY)
    input_tokens_mean: float = Field(ge=1, le=MAX_TOKENS_PER_REQUEST)
    input_tokens_cv: float = Field(1.0, ge=0, le=10)
    output_tokens_mean: float = Field(ge=1, le=MAX_TOKENS_PER_REQUEST)
    output_tokens_cv: float = Field(1.0, ge=0, le=10)
    peak_to_mean: float = Field(1.5, ge=1, le=20)
    ttft_p99_s: float = Field(2.0, gt=0, le=MAX_SLO_S)
    tpot_p50_s: float = Field(0.05, gt=0, le=MAX_SLO_S)
    growth_per_quarter: float = Field(0.0, ge=-0.9, le=10)
    quarters: int = Field(1, ge=1, le=80)
    headroom: float = Field(0.2, ge=0, le=5, description="spare capacity above the peak")
    redundancy_k: int = Field(
        1, ge=0, le=MAX_SPARE_REPLICAS, description="N+k: spare replicas per service"
    )
    weights: list[str] | None = Field(None, description="precisions to consider")
    prefix_cache_hit_rate: float = Field(
        default_factory=lambda: default_prefix_hit_rate(),
        ge=0,
        le=1,
        description="share of prompt tokens found in the engine's prefix cache (shared system "
        "prompts, multi-turn history); default: the default engine's catalog figure",
    )
    disaggregation: Disaggregation = Field(
        "off",
        description="prefill/decode disaggregation: off (co-located), allow (search both), only",
    )
    source: str = ""

    @model_validator(mode="after")
    def _check(self) -> ServiceDemand:
        if self.weights:
            bad = [w for w in self.weights if w not in ("bf16", "fp16", "fp8", "int8", "int4")]
            if bad:
                raise ValueError(f"weights {bad} not allowed (bf16, fp16, fp8, int8, int4)")
        return self

    # ---- demand arithmetic ------------------------------------------------------------
    def users(self, quarter: int | NDArray[np.int64] = 0) -> NDArray[np.float64]:
        """Daily active users in ``quarter`` (0 = now), compounding the quarterly growth."""
        q = np.asarray(quarter, dtype=np.float64)
        return np.asarray(self.daily_active_users * (1.0 + self.growth_per_quarter) ** q)

    @property
    def precisions(self) -> tuple[str, ...]:
        """Weight precisions the serving search tries: as given, else BF16 and FP8."""
        return tuple(self.weights or DEFAULT_PRECISIONS)

    def mean_request_rate_per_s(self, quarter: int | NDArray[np.int64] = 0) -> NDArray[np.float64]:
        return np.asarray(self.users(quarter) * self.requests_per_user_per_day / DAY_S)

    def peak_request_rate_per_s(self, quarter: int | NDArray[np.int64] = 0) -> NDArray[np.float64]:
        return np.asarray(self.mean_request_rate_per_s(quarter) * self.peak_to_mean)

    def tokens_per_day(self, quarter: int = 0) -> float:
        """(input + output) tokens served per day."""
        rate = float(self.mean_request_rate_per_s(quarter))
        return rate * DAY_S * (self.input_tokens_mean + self.output_tokens_mean)

    def sample_lengths(self, n: int, seed: int = 0) -> tuple[NDArray[Any], NDArray[Any]]:
        """n (input, output) lengths from lognormals with the given means and CVs."""
        rng = np.random.default_rng(seed)

        def draw(mean: float, cv: float) -> NDArray[np.int64]:
            if cv == 0:
                return np.full(n, max(1, round(mean)), dtype=np.int64)
            sigma = math.sqrt(math.log1p(cv * cv))
            mu = math.log(mean) - sigma * sigma / 2.0
            return np.maximum(1, np.round(rng.lognormal(mu, sigma, n))).astype(np.int64)

        return (
            draw(self.input_tokens_mean, self.input_tokens_cv),
            draw(self.output_tokens_mean, self.output_tokens_cv),
        )

    def __str__(self) -> str:
        return (
            f"{self.name}: {self.daily_active_users / 1e6:.0f} M DAU x "
            f"{self.requests_per_user_per_day:g} req/day on {self.model} ({self.accelerator}), "
            f"{self.input_tokens_mean:.0f}->{self.output_tokens_mean:.0f} tokens, peak "
            f"{float(self.peak_request_rate_per_s()):,.0f} req/s, SLO p99 TTFT "
            f"{self.ttft_p99_s * 1e3:.0f} ms / p50 TPOT {self.tpot_p50_s * 1e3:.0f} ms"
        )


class FleetRun(Strict):
    """A training job in the fleet: accelerators held for it (sized by the training plan)."""

    name: str = Field(min_length=1)
    accelerator: str = Field(min_length=1)
    n_gpus: int = Field(ge=1, le=MAX_ACCELERATORS)
    model: str | None = None
    tokens: float | None = Field(None, gt=0, le=MAX_TOKENS)
    params: float | None = Field(
        None, gt=0, le=MAX_TOKENS, description="parameters (default: the model's)"
    )
    spare_accelerators: int = Field(
        0, ge=0, le=MAX_ACCELERATORS, description="hot spares held beside the job"
    )


class ServingSection(BaseModel):
    """The proposed ``serving:`` scenario section: services and training runs."""

    model_config = ConfigDict(extra="forbid")

    services: list[ServiceDemand] = Field(default_factory=list)
    training_runs: list[FleetRun] = Field(default_factory=list)
    cxl: bool = False
    source: str = ""
