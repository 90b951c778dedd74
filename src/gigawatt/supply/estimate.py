"""The two directions of the claim check, with Monte Carlo ranges.

* forward — ``wafers_for("gb200", 1_000_000)``: HBM DRAM, host DRAM (DDR5/LPDDR), logic and
  CoWoS wafers a number of accelerators takes.
* reverse — ``equipped_by(900_000, "hbm3e")``: what a monthly flow of wafers of one product
  would equip per year (accelerators, GB of memory, GW of accelerator power and IT load).

Ranges: ``low``/``likely``/``high`` are the 5th, 50th and 95th percentiles over ``samples``
draws of every catalog range (triangular, seeded); ``samples=0`` gives the point estimate
at the catalog's likely values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from gigawatt.catalog import Catalog, load_catalog
from gigawatt.errors import InputError, Problem
from gigawatt.supply.needs import UnitNeeds, bom_for, unit_needs
from gigawatt.supply.sampling import Sampler
from gigawatt.supply.yields import YieldModel

FloatArray = NDArray[np.float64]
PERCENTILES = (5.0, 50.0, 95.0)
MONTHS_PER_YEAR = 12.0
DEFAULT_ACCELERATOR = {"hbm3e": "gb200", "hbm3": "h100-sxm", "lpddr5x": "gb200", "ddr5": "b300"}


def row_percentiles(x: ArrayLike, q: tuple[float, ...] = PERCENTILES) -> FloatArray:
    """Percentiles ``q`` of each row of a 2-D array, shape ``(len(q), rows)``.

    The same values as ``np.percentile(x, q, axis=1)`` (its default linear interpolation
    between order statistics, and its rounding), found by successive single-``kth``
    partitions of one copy, each on the part of the row above the previous order statistic:
    NumPy's multi-``kth`` partition is several times slower on 10^5-sample rows. Rows
    holding NaN fall back to ``np.percentile`` (which returns NaN for them).
    """
    a = np.array(x, dtype=float, order="C", copy=True, ndmin=2)
    rows, n = a.shape
    if n == 0 or np.isnan(a).any():
        return np.asarray(np.percentile(a, q, axis=1), dtype=float).reshape(len(q), rows)
    out = np.empty((len(q), rows))
    start = 0
    for i in sorted(range(len(q)), key=lambda j: q[j]):
        h = q[i] / 100.0 * (n - 1)
        k = min(int(np.floor(h)), n - 1)
        t = h - k
        if k >= start:
            a[:, start:].partition(k - start, axis=1)
            start = k + 1
        lo = a[:, k]
        if t > 0 and k + 1 < n:
            hi = a[:, k + 1 :].min(axis=1)
            d = hi - lo
            out[i] = lo + d * t if t < 0.5 else hi - d * (1.0 - t)
        else:
            out[i] = lo
    return out


@dataclass(frozen=True)
class Range:
    """A low / likely / high figure (5th / 50th / 95th percentile)."""

    low: float
    likely: float
    high: float

    @classmethod
    def of(cls, samples: ArrayLike) -> Range:
        x = np.asarray(samples, dtype=float).ravel()
        if x.size == 1:
            return cls(float(x[0]), float(x[0]), float(x[0]))
        lo, mid, hi = row_percentiles(x[None, :])[:, 0]
        return cls(float(lo), float(mid), float(hi))

    def scaled(self, k: float) -> Range:
        return Range(self.low * k, self.likely * k, self.high * k)

    def to_dict(self) -> dict[str, float]:
        return {"low": self.low, "likely": self.likely, "high": self.high}

    def __str__(self) -> str:
        return f"{self.likely:,.4g} [{self.low:,.4g}–{self.high:,.4g}]"


def _check_count(name: str, value: float) -> None:
    if not np.isfinite(value) or value < 0:
        raise InputError([Problem("wafers", name, f"must be a finite number >= 0, got {value}")])


@dataclass(frozen=True)
class WaferEstimate:
    """Forward result: wafers a number of accelerators takes, with ranges and assumptions."""

    accelerator: str
    count: float
    hbm_dram_wafers: Range
    ddr_dram_wafers: Range
    logic_wafers: Range
    cowos_wafers: Range
    assumptions: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "hbm_dram_wafers": self.hbm_dram_wafers.to_dict(),
            "ddr_dram_wafers": self.ddr_dram_wafers.to_dict(),
            "logic_wafers": self.logic_wafers.to_dict(),
            "cowos_wafers": self.cowos_wafers.to_dict(),
            "assumptions": self.assumptions,
        }

    def __str__(self) -> str:
        return (
            f"{self.count:,.0f} x {self.accelerator}: HBM DRAM wafers {self.hbm_dram_wafers}, "
            f"host DRAM wafers {self.ddr_dram_wafers}, logic wafers {self.logic_wafers}, "
            f"CoWoS wafers {self.cowos_wafers}"
        )


def _breakdown(needs: UnitNeeds, count: float) -> list[dict[str, Any]]:
    rows = []
    for s in needs.streams:
        r = Range.of(s.wafers_per_unit * count)
        rows.append(
            {
                "category": s.category,
                "product": s.product,
                "vendor": s.vendor,
                "node": s.node,
                "capacity": list(s.constraints),
                "wafers": r.to_dict(),
            }
        )
    return rows


def wafers_for(
    accelerator: str,
    count: float,
    samples: int = 20_000,
    seed: int = 0,
    yield_model: YieldModel = "negative_binomial",
    catalog: Catalog | None = None,
) -> WaferEstimate:
    """Wafers needed to build ``count`` good, deployed accelerators (with their host memory)."""
    _check_count("count", count)
    cat = catalog or load_catalog()
    bom = bom_for(accelerator, cat)
    sampler = Sampler(samples, seed)
    needs = unit_needs(bom, cat, sampler, yield_model)
    stacks = bom.q("hbm_stacks").get() if "hbm_stacks" in bom.fields else 0.0
    assumptions: dict[str, Any] = {
        "bom": bom.id,
        "samples": samples,
        "seed": seed,
        "percentiles": list(PERCENTILES),
        "yield_model": yield_model,
        "die_per_wafer_model": "de_vries: pi*d^2/(4A) - pi*d/sqrt(2A), d = 300 mm - 2 x edge",
        "cowos_packages_per_wafer": Range.of(1.0 / np.maximum(needs.cowos_wafers, 1e-30)).to_dict()
        if np.any(needs.cowos_wafers > 0)
        else None,
        "hbm_product": needs.hbm_product,
        "hbm_stacks_per_accelerator": stacks,
        "hbm_gb_per_accelerator": Range.of(needs.hbm_bits / 8e9).to_dict(),
        "hbm_yield_chain": Range.of(needs.hbm_yield_chain).to_dict(),
        "host_memory_product": needs.host_product,
        "host_memory_gb_per_accelerator": Range.of(needs.host_bits / 8e9).to_dict(),
        "wafer_cost_usd": {
            "dram": Range.of(
                count
                * sum(s.wafers_per_unit * s.cost_per_wafer_usd for s in needs.streams if s.is_dram)
            ).to_dict(),
            "logic": Range.of(
                count
                * sum(
                    s.wafers_per_unit * s.cost_per_wafer_usd
                    for s in needs.streams
                    if s.category in ("logic", "hbm_base") and not s.is_dram
                )
            ).to_dict(),
        },
        "network_logic_wafers": Range.of(needs.network_wafers * count).to_dict(),
        "network_per_accelerator": needs.notes.get("network_per_gpu", {}),
        "fabric_gpus": needs.notes.get("fabric_gpus"),
        "breakdown": _breakdown(needs, count),
        "sources": sorted({"catalog: fab.yaml, dram_products.yaml, bom.yaml, capacity.yaml"}),
    }
    return WaferEstimate(
        accelerator=accelerator,
        count=count,
        hbm_dram_wafers=Range.of(needs.hbm_dram_wafers * count),
        ddr_dram_wafers=Range.of(needs.ddr_dram_wafers * count),
        logic_wafers=Range.of(needs.logic_wafers * count),
        cowos_wafers=Range.of(needs.cowos_wafers * count),
        assumptions=assumptions,
    )


@dataclass(frozen=True)
class EquipEstimate:
    """Reverse result: what a monthly flow of wafers of one product equips per year."""

    wafers_per_month: float
    product: str
    accelerator: str
    accelerators_per_year: Range
    memory_gb_per_year: Range
    accelerator_power_gw: Range  # accelerators x TDP
    it_load_gw: Range  # accelerators x IT power per accelerator (host, NICs, switches, fans)
    wafers_per_accelerator: Range
    assumptions: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "wafers_per_month": self.wafers_per_month,
            "product": self.product,
            "accelerator": self.accelerator,
            "accelerators_per_year": self.accelerators_per_year.to_dict(),
            "memory_gb_per_year": self.memory_gb_per_year.to_dict(),
            "accelerator_power_gw": self.accelerator_power_gw.to_dict(),
            "it_load_gw": self.it_load_gw.to_dict(),
            "wafers_per_accelerator": self.wafers_per_accelerator.to_dict(),
            "assumptions": self.assumptions,
        }

    def __str__(self) -> str:
        return (
            f"{self.wafers_per_month:,.0f} {self.product} wafers/month equip "
            f"{self.accelerators_per_year} {self.accelerator}/year "
            f"({self.memory_gb_per_year} GB, {self.it_load_gw} GW IT load)"
        )


def equipped_by(
    wafers_per_month: float,
    product: str = "hbm3e",
    accelerator: str | None = None,
    samples: int = 20_000,
    seed: int = 0,
    yield_model: YieldModel = "negative_binomial",
    catalog: Catalog | None = None,
) -> EquipEstimate:
    """Accelerators, memory and power a flow of DRAM wafers of ``product`` equips per year.

    Counts only the DRAM wafers of that product the accelerator uses (HBM core and DRAM-process
    base dies for HBM; host memory dies for DDR5/LPDDR5X), i.e. memory is assumed to be the
    only constraint.
    """
    _check_count("per_month", wafers_per_month)
    cat = catalog or load_catalog()
    products = sorted(p.removesuffix("-mfg") for p in cat.kind("dram_products"))
    if product not in products:
        raise InputError(
            [Problem("wafers", "product", f"unknown {product!r}; allowed: {', '.join(products)}")]
        )
    acc = accelerator or DEFAULT_ACCELERATOR.get(product)
    if acc is None:
        raise InputError(
            [Problem("wafers", "accelerator", f"name the accelerator whose {product} is meant")]
        )
    sampler = Sampler(samples, seed)
    needs = unit_needs(bom_for(acc, cat), cat, sampler, yield_model)
    per_unit = needs.total(lambda s: s.is_dram and s.product == product)
    if not np.any(per_unit > 0):
        raise InputError(
            [Problem("wafers", "product", f"{acc} uses no {product}; choose another --accelerator")]
        )
    per_year = wafers_per_month * MONTHS_PER_YEAR / per_unit
    bits = needs.hbm_bits if needs.hbm_product == product else needs.host_bits
    tdp_known = bool(np.all(np.isfinite(needs.tdp_w)))
    return EquipEstimate(
        wafers_per_month=wafers_per_month,
        product=product,
        accelerator=acc,
        accelerators_per_year=Range.of(per_year),
        memory_gb_per_year=Range.of(per_year * bits / 8e9),
        accelerator_power_gw=Range.of(per_year * needs.tdp_w / 1e9)
        if tdp_known
        else Range(float("nan"), float("nan"), float("nan")),
        it_load_gw=Range.of(per_year * needs.it_power_w / 1e9),
        wafers_per_accelerator=Range.of(per_unit),
        assumptions={
            "bom": needs.bom_id,
            "samples": samples,
            "seed": seed,
            "percentiles": list(PERCENTILES),
            "yield_model": yield_model,
            "memory_gb_per_accelerator": Range.of(bits / 8e9).to_dict(),
            "power_is": "GW added per year of wafer flow: accelerators/year x TDP (and x IT power "
            "per accelerator incl. host, fabric and storage shares: gigawatt.bom)",
            "only_constraint": f"{product} DRAM wafers (logic, CoWoS, other memory unconstrained)",
        },
    )
