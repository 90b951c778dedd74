"""Power supply: does a site's mix of grid, turbines, solar + storage and floating plants carry
its facility load at the chosen reliability?

Two checks, both standard in generation planning (Billinton & Allan, Reliability Evaluation
of Power Systems, 2nd ed., 1996, ch. 2):

* Deterministic N-k: capacity left after losing the ``k`` largest units must cover peak load.
* Probabilistic: the capacity outage probability table (COPT) of independent units, each up
  with probability ``availability``; the loss-of-load probability (LOLP) is the chance that
  available capacity is below the load.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from gigawatt.catalog import Catalog, load_catalog
from gigawatt.errors import InputError, Problem
from gigawatt.units import HOUR_S, WEATHER_HOURS_PER_YEAR

F64 = NDArray[np.float64]
FILE = "power_sources.yaml"
HOURS_PER_YEAR = float(WEATHER_HOURS_PER_YEAR)


@dataclass(frozen=True)
class SupplyBlock:
    """``units`` units of a catalog power source, optionally with a unit size in W."""

    source: str
    units: int
    unit_w: float | None = None


@dataclass(frozen=True)
class Unit:
    source: str
    capacity_w: float
    availability: float
    emission_kg_per_j: float
    fuel_usd_per_j: float  # fuel plus variable O&M per J generated
    build_time_s: float
    floating: bool


@dataclass(frozen=True)
class Adequacy:
    """Result of a supply check (W; LOLP per hour; hours of shortfall per year)."""

    installed_w: float
    n_minus_k_w: float
    expected_available_w: float
    load_w: float
    redundancy: int
    lolp: float
    meets_n_k: bool
    meets_lolp: bool
    lolp_target: float
    build_time_s: float

    @property
    def ok(self) -> bool:
        return self.meets_n_k and self.meets_lolp

    @property
    def loss_of_load_hours_per_year(self) -> float:
        return self.lolp * HOURS_PER_YEAR

    def __str__(self) -> str:
        verdict = "meets" if self.ok else "FAILS"
        return (
            f"supply {self.installed_w / 1e6:,.0f} MW installed, N-{self.redundancy} "
            f"{self.n_minus_k_w / 1e6:,.0f} MW vs load {self.load_w / 1e6:,.0f} MW; LOLP "
            f"{self.lolp:.2e} ({self.loss_of_load_hours_per_year:.2f} h/yr): {verdict}"
        )


def expand_units(blocks: Sequence[SupplyBlock], catalog: Catalog | None = None) -> list[Unit]:
    """Catalog power sources -> individual units (clear errors for unknown ids or counts)."""
    cat = catalog or load_catalog()
    items = cat.kind("power_sources")
    problems: list[Problem] = []
    units: list[Unit] = []
    for n, b in enumerate(blocks):
        if b.source not in items:
            problems.append(
                Problem(f"power[{n}]", "source", f"unknown {b.source!r}; known: {', '.join(items)}")
            )
            continue
        if b.units < 0:
            problems.append(Problem(f"power[{n}]", "units", f"must be >= 0, got {b.units}"))
            continue
        e = items[b.source]
        size = b.unit_w if b.unit_w is not None else e.q("unit_capacity").get()
        if size <= 0:
            problems.append(Problem(f"power[{n}]", "unit_mw", "must be > 0"))
            continue
        u = Unit(
            b.source,
            size,
            e.q("availability").get(),
            e.q("emission_factor").get(),
            e.q("fuel_cost").get() + e.q("variable_om").get(),
            e.q("build_time").get(),
            bool(e.get("floating", False)),
        )
        units += [u] * b.units
    if problems:
        raise InputError(problems)
    return units


def capacity_outage_table(
    capacities_w: Sequence[float], availabilities: Sequence[float], step_w: float = 1e6
) -> tuple[F64, F64]:
    """Probability distribution of available capacity (COPT), on a grid of ``step_w``.

    Returns (capacity levels W, probability of each level). Units are independent two-state
    (up/down) components, convolved one at a time (Billinton & Allan 1996 §2.2)."""
    sizes = [max(round(c / step_w), 0) for c in capacities_w]
    dist = np.zeros(sum(sizes) + 1)
    dist[0] = 1.0
    top = 0
    for size, a in zip(sizes, availabilities, strict=True):
        new = dist * (1.0 - a)
        new[size : top + size + 1] += a * dist[: top + 1]
        dist = new
        top += size
    return np.arange(dist.size, dtype=float) * step_w, np.asarray(dist, dtype=float)


def check_supply(
    units: Sequence[Unit], load_w: float, redundancy: int = 1, lolp_target: float = 1e-4
) -> Adequacy:
    """N-``redundancy`` and LOLP check of ``units`` against a constant ``load_w``."""
    if load_w < 0 or not np.isfinite(load_w):
        raise InputError([Problem("<input>", "load", "load must be finite and >= 0 W")])
    if redundancy < 0:
        raise InputError([Problem("<input>", "redundancy", "N-k needs k >= 0")])
    caps = sorted((u.capacity_w for u in units), reverse=True)
    installed = float(sum(caps))
    n_k = float(sum(caps[redundancy:]))
    step = max(1e5, installed / 20_000) if installed > 0 else 1e6
    levels, prob = capacity_outage_table(
        [u.capacity_w for u in units], [u.availability for u in units], step
    )
    lolp = float(prob[levels < load_w - 1e-6].sum()) if units else (1.0 if load_w > 0 else 0.0)
    expected = float(sum(u.capacity_w * u.availability for u in units))
    build = max((u.build_time_s for u in units), default=0.0)
    return Adequacy(
        installed,
        n_k,
        expected,
        load_w,
        redundancy,
        lolp,
        n_k >= load_w,
        lolp <= lolp_target,
        lolp_target,
        build,
    )


def dispatch_energy(
    units: Sequence[Unit], energy_j: float, grid_carbon_kg_per_j: float, grid_price_usd_per_j: float
) -> dict[str, float]:
    """Share ``energy_j`` across sources in merit order of running cost (fuel plus variable
    O&M; grid at its site price), each up to its expected energy; returns carbon (kg) and
    the energy cost (USD: grid energy, on-site fuel and variable O&M)."""
    by_source: dict[str, list[Unit]] = {}
    for u in units:
        by_source.setdefault(u.source, []).append(u)
    seconds = HOURS_PER_YEAR * HOUR_S

    def price(src: str) -> float:
        return grid_price_usd_per_j if src == "grid" else by_source[src][0].fuel_usd_per_j

    remaining = energy_j
    carbon = cost = 0.0
    shares: dict[str, float] = {}
    for src in sorted(by_source, key=price):
        cap = sum(u.capacity_w * u.availability for u in by_source[src]) * seconds
        e = min(remaining, cap)
        ef = grid_carbon_kg_per_j if src == "grid" else by_source[src][0].emission_kg_per_j
        carbon += e * ef
        cost += e * price(src)
        shares[src] = e
        remaining -= e
    return {
        "carbon_kg": carbon,
        "energy_cost_usd": cost,
        "unserved_j": max(remaining, 0.0),
        **{f"energy_{k}_j": v for k, v in shares.items()},
    }
