"""The hardware bill of materials of a cluster: accelerators -> servers -> racks -> scale-up
domains -> scale-out fabric (switches, links, transceivers) -> NICs -> storage and CXL ->
IT power. Built once per cluster; supply, facility, economics, reliability, ops and the
``cost``/``budget`` commands read these counts and watts and never derive their own.

Each line is one cluster (a workload's accelerators on their own fabric); a ``ClusterBOM``
keeps its lines apart from their total, so a table shows both and they always reconcile.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np

from gigawatt.bom.fabric import size_fabric
from gigawatt.bom.power import (
    LIKELY,
    PowerShares,
    average_shares,
    power_shares,
    server_for,
    server_power,
    switch_power_w,
)
from gigawatt.catalog import Catalog, Entry, Quantity
from gigawatt.errors import InputError, Problem
from gigawatt.limits import MAX_ACCELERATORS


def bom_entry(accelerator: str, catalog: Catalog) -> Entry:
    """The per-accelerator bill of materials (bom.yaml entry whose ``accelerator`` is it)."""
    boms = catalog.kind("bom")
    for entry in boms.values():
        if entry.get("accelerator") == accelerator:
            return entry
    have = sorted(str(e.get("accelerator")) for e in boms.values() if e.get("accelerator"))
    raise InputError(
        [Problem("bom.yaml", accelerator, f"no bill of materials; have: {', '.join(have)}")]
    )


def _bom_or_default(accelerator: str, catalog: Catalog, fabric: Entry) -> Entry:
    """The accelerator's bom.yaml entry, or (TPU, Trainium: no published BOM) one compute NIC
    port per accelerator into the default scale-out switch of fleet_assumptions.yaml."""
    try:
        return bom_entry(accelerator, catalog)
    except InputError:
        fields = {
            "accelerator": accelerator,
            "compute_nics": fabric.q("compute_nics"),
            "nics": fabric.q("compute_nics"),
            "scale_out_switch": fabric.get("default_switch"),
        }
        return Entry(f"{accelerator}-default-bom", "bom", "fleet_assumptions.yaml", fields)


def _count(entry: Entry, key: str) -> float:
    q = entry.get(key)
    return float(q.get()) if isinstance(q, Quantity) and q.known else 0.0


@dataclass(frozen=True)
class BomLine:
    """One cluster: counts, fabric and IT power (design, full load) of its accelerators."""

    name: str
    accelerator: str
    accelerators: float
    server: str
    servers: float
    racks: float
    scale_up_domain: int
    scale_up_domains: float
    switch: str | None
    switch_radix: int
    fabric_tiers: float
    leaf_switches: float
    spine_switches: float
    core_switches: float
    switches: float
    links: float
    optics: float
    nics: float
    scale_up_switch_chips: float
    storage_bytes: float
    cxl_bytes: float
    accelerator_w: float
    host_w: float
    network_w: float
    storage_w: float
    it_power_w: float

    @property
    def it_power_per_accelerator_w(self) -> float:
        return self.it_power_w / self.accelerators if self.accelerators else 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ClusterBOM:
    """Bill of materials of several clusters: the lines and, apart, their total."""

    lines: tuple[BomLine, ...]
    total: dict[str, float] = field(default_factory=dict)

    def line(self, name: str) -> BomLine:
        for ln in self.lines:
            if ln.name == name:
                return ln
        raise KeyError(name)

    def rows(self) -> list[dict[str, Any]]:
        return [ln.as_dict() for ln in self.lines]

    def to_frame(self) -> Any:
        """The lines as a table (one row each, SI units) with the total as a last row."""
        import pandas as pd

        return pd.DataFrame([*self.rows(), {"name": "TOTAL", **self.total}])

    def _repr_html_(self) -> str:  # notebooks
        return f"<pre>{self}</pre>" + str(self.to_frame().to_html(index=False))

    def __str__(self) -> str:
        t = self.total
        return (
            f"{len(self.lines)} cluster(s): {t.get('accelerators', 0):,.0f} accelerators, "
            f"{t.get('servers', 0):,.0f} servers, {t.get('switches', 0):,.0f} switches, "
            f"{t.get('optics', 0):,.0f} optics, IT {t.get('it_power_w', 0) / 1e6:,.1f} MW"
        )


SUMMED = (
    "accelerators",
    "servers",
    "racks",
    "scale_up_domains",
    "switches",
    "leaf_switches",
    "spine_switches",
    "core_switches",
    "links",
    "optics",
    "nics",
    "scale_up_switch_chips",
    "storage_bytes",
    "cxl_bytes",
    "accelerator_w",
    "host_w",
    "network_w",
    "storage_w",
    "it_power_w",
)


def _check(name: str, count: float) -> None:
    if not math.isfinite(count) or count < 0 or count > MAX_ACCELERATORS:
        raise InputError(
            [
                Problem(
                    name,
                    "accelerators",
                    f"must be a finite count in 0..{MAX_ACCELERATORS:.0e}, got {count}",
                )
            ]
        )


def build_line(
    name: str,
    accelerator: str,
    count: float,
    catalog: Catalog,
    *,
    switch: str | None = None,
    storage_bytes: float = 0.0,
    cxl: bool = False,
    end: int = LIKELY,
    bom: Entry | None = None,
    server_power_w: float | None = None,
) -> BomLine:
    """Size one cluster of ``count`` accelerators on its own non-blocking fabric.

    ``switch``: a bom.yaml switch id (default: the accelerator's ``scale_out_switch``);
    ``bom``: a what-if bom.yaml entry in place of the accelerator's; ``server_power_w``: the
    server power per accelerator where the catalog's is unpublished or overridden. A cluster
    inside one server needs no scale-out fabric.
    """
    _check(name, count)
    srv = server_for(accelerator, catalog)
    per_server = float(srv.q("gpus_per_server").get())
    servers = math.ceil(count / per_server)
    fab = catalog.get("fleet_assumptions", "fabric")
    bom = bom or _bom_or_default(accelerator, catalog, fab)
    switch_id = switch or bom.get("scale_out_switch")
    radix = int(catalog.get("bom", switch_id).q("radix").get()) if switch_id else 0
    nic_ports = count * _count(bom, "compute_nics") if servers > 1 and radix else 0.0
    tree = size_fabric(nic_ports, max(radix, 2), fab.q("transceivers_per_link").get())
    switches = float(tree.switches)
    shares = power_shares(
        server_power(accelerator, catalog, end, server_power_w),
        switches / count if count else 0.0,
        switch_power_w(catalog, end),
    )
    domain = int(catalog.accelerator(accelerator).q("scale_up_domain").get())
    cxl_per_server = catalog.get("fleet_assumptions", "cxl").q("capacity_per_server").get()
    return BomLine(
        name=name,
        accelerator=accelerator,
        accelerators=float(count),
        server=srv.id,
        servers=float(servers),
        racks=float(math.ceil(servers / float(srv.q("servers_per_rack").get()))),
        scale_up_domain=domain,
        scale_up_domains=float(math.ceil(count / domain)),
        switch=switch_id,
        switch_radix=radix,
        fabric_tiers=float(tree.tiers),
        leaf_switches=float(tree.leaf_switches),
        spine_switches=float(tree.spine_switches),
        core_switches=float(tree.core_switches),
        switches=switches,
        links=float(tree.links),
        optics=float(tree.transceivers),
        nics=count * _count(bom, "nics"),
        scale_up_switch_chips=count * _count(bom, "scale_up_switch_chips"),
        storage_bytes=float(storage_bytes),
        cxl_bytes=servers * cxl_per_server if cxl else 0.0,
        **_scaled(shares, count),
    )


def _scaled(shares: PowerShares, count: float) -> dict[str, float]:
    per = shares.as_dict()
    return {k: v * count for k, v in per.items()}


def average_it_power_w(
    line: BomLine, catalog: Catalog, utilisation: float, power_cap: float = 1.0
) -> PowerShares:
    """Average IT power of a cluster's accelerators at a utilisation (POLCA model), whole
    cluster (W); network and storage stay at their design draw."""
    server = server_power(line.accelerator, catalog)
    n = max(line.accelerators, 1.0)
    design = PowerShares(
        accelerator_w=np.asarray(line.accelerator_w / n, dtype=float),
        host_w=np.asarray(line.host_w / n, dtype=float),
        network_w=np.asarray(line.network_w / n, dtype=float),
        storage_w=np.asarray(line.storage_w / n, dtype=float),
    )
    avg = average_shares(server, design, utilisation, power_cap)
    return replace(
        avg,
        accelerator_w=avg.accelerator_w * line.accelerators,
        host_w=avg.host_w * line.accelerators,
        network_w=avg.network_w * line.accelerators,
        storage_w=avg.storage_w * line.accelerators,
    )


def cluster_bom(lines: Iterable[BomLine]) -> ClusterBOM:
    """Lines and their total (sums of the count and watt columns)."""
    kept = tuple(lines)
    total = {k: float(sum(getattr(ln, k) for ln in kept)) for k in SUMMED}
    return ClusterBOM(kept, total)


def combine_lines(name: str, lines: Iterable[BomLine]) -> BomLine:
    """One line standing for several clusters of one accelerator type: counts and watts
    summed, the deepest fabric's tiers kept (each cluster keeps its own fabric)."""
    kept = tuple(lines)
    if not kept:
        raise InputError([Problem("bom", "lines", "nothing to combine")])
    sums: dict[str, Any] = {k: float(sum(getattr(ln, k) for ln in kept)) for k in SUMMED}
    sums["fabric_tiers"] = max(ln.fabric_tiers for ln in kept)
    return replace(kept[0], name=name, **sums)


def scale_line(line: BomLine, fraction: float, name: str | None = None) -> BomLine:
    """A share of a line (a tranche of a fleet placed on one site in one quarter): every count
    and watt times ``fraction``, so the tranches of a line add up to it exactly."""
    if not 0.0 <= fraction <= 1.0 + 1e-12:
        raise InputError([Problem("bom", "fraction", f"must be in 0..1, got {fraction}")])
    sums: dict[str, Any] = {k: getattr(line, k) * fraction for k in SUMMED}
    return replace(line, name=name or line.name, **sums)
