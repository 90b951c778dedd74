"""Clusters sized from an accelerator count (the cost and budget commands): their bill of
materials, purchases, site operations and costed economics stage."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gigawatt.bom import BomLine, build_line
from gigawatt.catalog import Catalog, load_catalog
from gigawatt.economics.pricebook import (
    PriceBook,
    Range,
    load_price_book,
)
from gigawatt.economics.schema import EconomicsInputs, EconomicsSection, Purchase, SiteOperation
from gigawatt.economics.stage import _range_dict, capex_by, plan_economics, summary_dict
from gigawatt.errors import InputError, Problem
from gigawatt.limits import MAX_ACCELERATORS
from gigawatt.units import DEFAULT_HORIZON_YEARS, YEAR_S

if TYPE_CHECKING:
    import pandas as pd

# ---- clusters sized from a GPU count (cost and budget commands) ---------------------------
# Scale-out fabric names the cost command accepts -> bom.yaml switch entries.
NETWORKS = {
    "ib-ndr": "quantum2-qm9700",
    "ib-xdr": "quantum-x800-q3400",
    "eth-400g": "tomahawk5-51t",
}
POWER_SOURCES = (
    "grid-connection",
    "gas-turbine",
    "gas-ccgt",
    "solar-storage",
    "floating-nuclear",
    "powership-lease",
)
WHERE = "cluster"


@dataclass(frozen=True)
class Cluster:
    """A cluster sized from an accelerator count: what the cost and budget commands plan.

    ``network``: a name of ``NETWORKS`` (default: the accelerator's own scale-out switch in
    bom.yaml); ``server_power_per_accelerator_w`` overrides the catalog's server power per
    accelerator (for accelerators whose power is unpublished)."""

    gpu: str
    accelerators: int
    years: int = DEFAULT_HORIZON_YEARS
    year: int = 2026
    network: str | None = None
    power: str = "grid-connection"
    floating: bool = False
    pue: float | None = None
    energy_price_usd_per_j: float | None = None
    water_price_usd_per_m3: float | None = None
    storage_bytes_per_accelerator: float | None = None
    server_power_per_accelerator_w: float | None = None
    site: str = "site"

    def check(self) -> None:
        problems = []
        if self.accelerators < 0 or self.accelerators > MAX_ACCELERATORS:
            problems.append(
                Problem(
                    WHERE,
                    "accelerators",
                    f"must be in 0..{MAX_ACCELERATORS:.0e}, got {self.accelerators}",
                )
            )
        if self.years < 1:
            problems.append(Problem(WHERE, "years", f"must be >= 1, got {self.years}"))
        if self.network is not None and self.network not in NETWORKS:
            problems.append(
                Problem(WHERE, "network", f"{self.network!r}; allowed: {', '.join(NETWORKS)}")
            )
        if self.power not in POWER_SOURCES:
            problems.append(
                Problem(WHERE, "power", f"{self.power!r}; allowed: {', '.join(POWER_SOURCES)}")
            )
        if self.pue is not None and not (1.0 <= self.pue <= 3.0):
            problems.append(Problem(WHERE, "pue", f"must be in [1, 3], got {self.pue}"))
        for name, v in (
            ("energy_price_usd_per_j", self.energy_price_usd_per_j),
            ("water_price_usd_per_m3", self.water_price_usd_per_m3),
            ("storage_bytes_per_accelerator", self.storage_bytes_per_accelerator),
            ("server_power_per_accelerator_w", self.server_power_per_accelerator_w),
        ):
            if v is not None and (v < 0 or not math.isfinite(v)):
                problems.append(Problem(WHERE, name, f"must be a finite number >= 0, got {v}"))
        if problems:
            raise InputError(problems)


def cluster_line(cluster: Cluster, book: PriceBook, catalog: Catalog | None = None) -> BomLine:
    """The bill of materials of a cluster (gigawatt.bom), with its storage."""
    cat = catalog or load_catalog()
    storage = (
        cluster.storage_bytes_per_accelerator
        if cluster.storage_bytes_per_accelerator is not None
        else book.finance.storage_bytes_per_accelerator[1]
    )
    accelerator = book.compute_item(cluster.gpu, where=WHERE).accelerator or cluster.gpu
    n = float(cluster.accelerators)
    return build_line(
        cluster.site,
        accelerator,
        n,
        cat,
        switch=NETWORKS[cluster.network] if cluster.network else None,
        storage_bytes=n * storage,
        server_power_w=cluster.server_power_per_accelerator_w,
    )


def bom_purchases(
    line: BomLine, compute_item: str, year: int, site: str, catalog: Catalog
) -> list[Purchase]:
    """What a BOM line buys: compute systems, its fabric's switches, transceivers and fibres,
    storage, and the facility (MEP) sized by its IT power."""
    buy = [Purchase(year=year, item=compute_item, quantity=line.accelerators, site=site)]
    if line.switch and line.switches:
        sw = catalog.get("bom", line.switch)
        buy += [
            Purchase(year=year, item=str(sw.get("price_item")), quantity=line.switches, site=site),
            Purchase(
                year=year, item=str(sw.get("transceiver_item")), quantity=line.optics, site=site
            ),
            Purchase(year=year, item="fibre-link", quantity=line.links, site=site),
        ]
    buy += [
        Purchase(year=year, item="storage-all-flash", quantity=line.storage_bytes, site=site),
        Purchase(year=year, item="dc-mep", quantity=line.it_power_w, site=site),
    ]
    return buy


GRID_ITEM = "grid-connection"


def site_purchases(
    it_w: float,
    facility_w: float,
    floating: bool,
    power: str | Mapping[str, float],
    year: int,
    site: str,
) -> list[Purchase]:
    """The building (or hull and mooring), land and power supply for ``it_w`` of IT.

    ``power``: one price item that supplies all ``facility_w`` (a cluster), or a site's
    supply from the facility stage as W of capacity per W of its IT, per price item: each
    on-site plant is bought at its installed capacity (redundant units included), the grid
    connection at the facility power it carries (at most its circuits' capacity). This is
    the one place where a site's power is bought."""
    shell = ("floating-hull", "floating-mooring") if floating else ("dc-shell", "land")
    buy = [Purchase(year=year, item=item, quantity=it_w, site=site) for item in shell]
    if isinstance(power, str):
        return [*buy, Purchase(year=year, item=power, quantity=facility_w, site=site)]
    for item, per_it_w in power.items():
        w = it_w * per_it_w
        if item == GRID_ITEM:
            w = min(w, facility_w)
        if w > 0:
            buy.append(Purchase(year=year, item=item, quantity=w, site=site))
    return buy


def site_operations(
    it_w: float,
    year: int,
    years: int,
    site: str,
    facility_energy_j: float,
    water_m3: float,
    energy_price: float | tuple[float, float, float],
    water_price: float | tuple[float, float, float],
) -> list[SiteOperation]:
    """``years`` of operation of ``it_w`` of IT from ``year``, each year using
    ``facility_energy_j`` and ``water_m3`` at the site's prices."""
    return [
        SiteOperation(
            year=year + k,
            site=site,
            it_power_w=it_w,
            facility_energy_j=facility_energy_j,
            water_m3=water_m3,
            energy_price_usd_per_j=energy_price,
            water_price_usd_per_m3=water_price,
        )
        for k in range(years)
    ]


def cluster_inputs(
    cluster: Cluster,
    book: PriceBook,
    section: EconomicsSection | None = None,
    catalog: Catalog | None = None,
    line: BomLine | None = None,
) -> EconomicsInputs:
    """Purchases and site operations of a cluster: its bill of materials (gigawatt.bom:
    compute, fabric, storage, IT power; ``line`` when the caller has built it already), a
    facility of that IT power at the PUE, its power supply, and ``years`` of operation at the
    given (or default) prices."""
    cluster.check()
    cat = catalog or load_catalog()
    fin = book.finance
    comp = book.compute_item(cluster.gpu, where=WHERE)
    comp.unit_price()  # unpublished prices fail first, with what to do
    line = line or cluster_line(cluster, book, cat)
    pue = cluster.pue if cluster.pue is not None else fin.pue[1]
    it_w = line.it_power_w
    y = cluster.year
    buy = bom_purchases(line, comp.id, y, cluster.site, cat)
    buy += site_purchases(it_w, it_w * pue, cluster.floating, cluster.power, y, cluster.site)
    energy_price: float | tuple[float, float, float] = (
        cluster.energy_price_usd_per_j
        if cluster.energy_price_usd_per_j is not None
        else fin.energy_price_usd_per_j
    )
    water_price: float | tuple[float, float, float] = (
        cluster.water_price_usd_per_m3
        if cluster.water_price_usd_per_m3 is not None
        else fin.water_price_usd_per_m3
    )
    # energy at the average IT load (prices.yaml cluster-defaults ``it_load``: average draw /
    # design power) times the PUE; water at the default WUE
    it_energy = it_w * fin.it_load[1] * YEAR_S
    ops = site_operations(
        it_w,
        y,
        cluster.years,
        cluster.site,
        it_energy * pue,
        it_energy * fin.wue_m3_per_j[1],
        energy_price,
        water_price,
    )
    sec = section or EconomicsSection()
    sec = sec.model_copy(update={"horizon_years": cluster.years})
    return EconomicsInputs(purchases=buy, operations=ops, section=sec)


@dataclass(frozen=True)
class ClusterCost:
    """The economics of one cluster: its tables plus the bill of materials that produced them."""

    cluster: Cluster
    compute_item: str
    line: BomLine
    pue: float
    tables: Mapping[str, pd.DataFrame]

    @property
    def it_power_w(self) -> float:
        return self.line.it_power_w

    @property
    def facility_power_w(self) -> float:
        return self.line.it_power_w * self.pue

    @property
    def network_tiers(self) -> int:
        return int(self.line.fabric_tiers)

    def metric(self, name: str) -> Range:
        row = self.tables["summary"].set_index("metric").loc[name]
        return (float(row["low"]), float(row["likely"]), float(row["high"]))

    def to_dict(self) -> dict[str, Any]:
        cap = capex_by(self.tables["capex"], ("category",))
        return {
            "gpu": self.cluster.gpu,
            "compute_item": self.compute_item,
            "accelerators": self.cluster.accelerators,
            "years": self.cluster.years,
            "it_power_w": self.it_power_w,
            "facility_power_w": self.facility_power_w,
            "network_tiers": self.network_tiers,
            "bom": self.line.as_dict(),
            "capex_by_category_usd": {
                str(r["category"]): _range_dict(
                    (r["capex_usd_low"], r["capex_usd"], r["capex_usd_high"])
                )
                for _, r in cap.iterrows()
            },
            **summary_dict(self.tables),
        }

    def __str__(self) -> str:
        lo, mid, hi = self.metric("capex_usd")
        gh = self.metric("usd_per_gpu_hour")
        return (
            f"{self.cluster.accelerators:,} x {self.compute_item}: "
            f"IT {self.it_power_w / 1e6:,.1f} MW, "
            f"facility {self.facility_power_w / 1e6:,.1f} MW; capex USD {mid / 1e9:,.2f} B "
            f"[{lo / 1e9:,.2f}–{hi / 1e9:,.2f}], USD {gh[1]:.2f}/GPU-hour [{gh[0]:.2f}–{gh[2]:.2f}]"
        )


def cluster_cost(
    cluster: Cluster,
    book: PriceBook | None = None,
    section: EconomicsSection | None = None,
    catalog: Catalog | None = None,
) -> ClusterCost:
    """Plan the economics of a cluster sized from its accelerator count."""
    cat = catalog or load_catalog()
    b = book or load_price_book(cat)
    sec = section or EconomicsSection()
    b2 = b.with_overrides(sec.prices, sec.wacc)
    cluster.check()
    b2.compute_item(cluster.gpu, where=WHERE).unit_price()  # unpublished prices fail first
    line = cluster_line(cluster, b2, cat)
    unpriced = sec.model_copy(update={"prices": {}, "wacc": None})
    tables = plan_economics(cluster_inputs(cluster, b2, unpriced, cat, line), b2)
    return ClusterCost(
        cluster=cluster,
        compute_item=b2.compute_item(cluster.gpu, where=WHERE).id,
        line=line,
        pue=cluster.pue if cluster.pue is not None else b2.finance.pue[1],
        tables=tables,
    )
