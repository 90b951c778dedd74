"""IT power of an accelerator in its server: the one ``it_power_w`` of gigawatt.

Design (provisioned, full-load) IT power per accelerator, in four shares:

- accelerator: its TDP (accelerators.yaml);
- host: the server's published maximum power per accelerator minus the accelerator's TDP
  (servers.yaml ``server_power`` / ``gpus_per_server``: CPUs, DRAM, NICs, NVSwitch, fans);
  where no server power is published, it_load.yaml ``default.server_overhead_fraction``;
- network: the scale-out fabric's switches (with their optics) per accelerator times the
  switch power (fleet_assumptions.yaml ``fabric.switch_power``) — it depends on fabric size;
- storage: a share of the compute power (it_load.yaml ``storage_fraction``; Llama 3 Herd of
  Models, arXiv:2407.21783, 2024, sec. 3.3.1).

Average power at a utilisation follows the linear idle-to-TDP model POLCA fits to H100/A100
traces (Patel et al., ASPLOS 2024): accelerator ``TDP (idle + (1 - idle) u)`` capped at a
fraction of TDP; host ``host (h_idle + (1 - h_idle) busy)``; network and storage flat.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from numpy.typing import ArrayLike

from gigawatt.catalog import Catalog, Entry
from gigawatt.errors import CatalogError, Problem

FloatArray = npt.NDArray[np.float64]
LIKELY = 1  # index of the likely value in a (low, likely, high) range


@dataclass(frozen=True)
class ServerPower:
    """Full-load power per accelerator of its server, without the fabric and storage."""

    accelerator: str
    accelerator_w: float  # TDP
    host_w: float  # CPUs, DRAM, NICs, NVSwitch and fans, per accelerator
    host_idle_fraction: float  # host power left when the accelerators idle
    accelerator_idle_fraction: float
    storage_fraction: float  # storage power as a share of compute (accelerator+host+network)
    source: str


@dataclass(frozen=True)
class PowerShares:
    """IT power per accelerator by share (W); arrays where the fabric size is an array."""

    accelerator_w: FloatArray
    host_w: FloatArray
    network_w: FloatArray
    storage_w: FloatArray

    @property
    def it_power_w(self) -> FloatArray:
        """Design IT power per accelerator: the number every stage reads."""
        return np.asarray(self.accelerator_w + self.host_w + self.network_w + self.storage_w)

    def as_dict(self) -> dict[str, float]:
        return {
            "accelerator_w": float(self.accelerator_w),
            "host_w": float(self.host_w),
            "network_w": float(self.network_w),
            "storage_w": float(self.storage_w),
            "it_power_w": float(self.it_power_w),
        }


def it_load_profile(catalog: Catalog, accelerator: Entry) -> Entry:
    """The it_load.yaml profile of an accelerator: by id, else by family, else ``default``."""
    items = catalog.kind("it_load")
    for entry in items.values():
        if accelerator.id in (entry.get("accelerators") or []):
            return entry
    for entry in items.values():
        if accelerator.get("family") in (entry.get("families") or []):
            return entry
    return items["default"]


def server_for(accelerator: str, catalog: Catalog) -> Entry:
    """The server form factor (servers.yaml) that carries ``accelerator``."""
    for entry in catalog.kind("servers").values():
        if accelerator in (entry.get("accelerators") or []):
            return entry
    known = ", ".join(sorted(catalog.kind("servers")))
    raise CatalogError(
        [Problem("servers.yaml", accelerator, f"no server carries this accelerator ({known})")]
    )


def _tdp_w(acc: Entry, end: int) -> float:
    q = acc.q("tdp")
    if not q.known:
        raise CatalogError(
            [
                Problem(
                    acc.file,
                    f"{acc.id}.tdp",
                    f"power is not published ({q.source}); give the server power per "
                    "accelerator (server_power_per_accelerator_w) to size its IT power",
                )
            ]
        )
    return float(q.range[end]) if end != LIKELY else float(q.get())


def server_power(
    accelerator: str, catalog: Catalog, end: int = LIKELY, override_w: float | None = None
) -> ServerPower:
    """Full-load accelerator and host power per accelerator (``end``: 0 low, 1 likely, 2 high
    of the catalog ranges). ``override_w``: a given server power per accelerator (accelerator
    and host together, counted as accelerator) in place of the catalog's."""
    acc = catalog.accelerator(accelerator)
    prof = it_load_profile(catalog, acc)
    idle = catalog.get("it_load", "accelerator-power").q("idle_fraction").range[end]
    if override_w is not None:
        return ServerPower(
            accelerator=accelerator,
            accelerator_w=float(override_w),
            host_w=0.0,
            host_idle_fraction=float(prof.q("overhead_idle_fraction").range[end]),
            accelerator_idle_fraction=float(idle),
            storage_fraction=float(prof.q("storage_fraction").range[end]),
            source="given server power per accelerator",
        )
    tdp = _tdp_w(acc, end)
    try:
        server = server_for(accelerator, catalog)
    except CatalogError:
        server = None
    sp = server.get("server_power") if server is not None else None
    if server is not None and sp is not None and sp.known:
        per_acc = float(sp.range[end]) / float(server.q("gpus_per_server").get())
        host = max(per_acc - tdp, 0.0)
        source = f"servers.yaml {server.id}.server_power"
    else:
        default = catalog.get("it_load", "default")
        host = float(default.q("server_overhead_fraction").range[end]) * tdp
        source = "it_load.yaml default.server_overhead_fraction"
    return ServerPower(
        accelerator=accelerator,
        accelerator_w=tdp,
        host_w=host,
        host_idle_fraction=float(prof.q("overhead_idle_fraction").range[end]),
        accelerator_idle_fraction=float(idle),
        storage_fraction=float(prof.q("storage_fraction").range[end]),
        source=source,
    )


def switch_power_w(catalog: Catalog, end: int = LIKELY) -> float:
    """Power of one scale-out switch with its optics (fleet_assumptions.yaml)."""
    return float(catalog.get("fleet_assumptions", "fabric").q("switch_power").range[end])


def power_shares(
    server: ServerPower, switches_per_accelerator: ArrayLike, switch_w: float
) -> PowerShares:
    """Design IT power shares per accelerator given its share of the fabric's switches."""
    network = np.asarray(switches_per_accelerator, dtype=float) * switch_w
    compute = server.accelerator_w + server.host_w + network
    ones = np.ones_like(network)
    return PowerShares(
        accelerator_w=server.accelerator_w * ones,
        host_w=server.host_w * ones,
        network_w=network,
        storage_w=np.asarray(server.storage_fraction * compute, dtype=float),
    )


def accelerator_power_w(
    tdp_w: ArrayLike, utilisation: ArrayLike, idle_fraction: float, power_cap: ArrayLike = 1.0
) -> FloatArray:
    """Average accelerator power: ``min(TDP (idle + (1 - idle) u), cap TDP)`` (POLCA 2024)."""
    tdp = np.asarray(tdp_w, dtype=float)
    u = np.asarray(utilisation, dtype=float)
    busy = tdp * (idle_fraction + (1.0 - idle_fraction) * u)
    return np.asarray(np.minimum(busy, np.asarray(power_cap, dtype=float) * tdp), dtype=float)


def average_shares(
    server: ServerPower, design: PowerShares, utilisation: ArrayLike, power_cap: ArrayLike = 1.0
) -> PowerShares:
    """Average IT power shares per accelerator at a utilisation (0..1) and power cap."""
    tdp, idle = server.accelerator_w, server.accelerator_idle_fraction
    acc = accelerator_power_w(tdp, utilisation, idle, power_cap)
    acc_peak = accelerator_power_w(tdp, 1.0, idle, power_cap)
    busy = (acc - tdp * idle) / np.maximum(acc_peak - tdp * idle, 1e-9)
    h_idle = server.host_idle_fraction
    host = server.host_w * (h_idle + (1.0 - h_idle) * busy)
    compute = acc + host + design.network_w
    return PowerShares(
        accelerator_w=np.asarray(acc, dtype=float),
        host_w=np.asarray(host, dtype=float),
        network_w=design.network_w,
        storage_w=np.asarray(server.storage_fraction * compute, dtype=float),
    )
