"""Network part of the bill of materials: NICs, switches by fabric tier, NVLink switch chips
and optics per accelerator, and the switch / NIC ASICs they take from logic fabs.

Scale-out fabric: the non-blocking rail-optimised fat tree of ``gigawatt.fleet`` (the same
tier rule, reused: 1 tier up to ``radix`` endpoints, 2 up to ``radix^2 / 2``, 3 beyond; Al-Fares,
Loukissas and Vahdat, "A scalable, commodity data center network architecture", SIGCOMM 2008).
Each tier carries one link per endpoint, so with ``n`` endpoints (compute NICs):

    1 tier    one switch (n <= radix)
    2 tiers   leaf  n / (radix/2)   spine  n / radix
    3 tiers   leaf  n / (radix/2)   spine  n / (radix/2)   core  n / radix

and ``transceivers_per_link x n x tiers`` optical transceivers (fleet_assumptions.yaml
``fabric``). The 2-tier spine count is that of NVIDIA's DGX SuperPOD reference architecture
(2023): 1,024 GPUs on 64-port QM9700 switches take 32 leaf and 16 spine switches.
``gigawatt.fleet.plan_fleet`` counts 2 x leaf switches for a 2-tier fabric (spines as many as
leaves); tiers, the 3-tier count and optics agree (tests/test_supply_network.py).

Scale-up: NVLink switch chips per accelerator from bom.yaml (``scale_up_switch_chips``:
HGX NVSwitch chips, or NVL72 switch trays x 2 chips / 72 GPUs). Optics are counts, not
wafers; switch and NIC ASICs are logic dies (bom.yaml ``asic`` of the switch / NIC entry).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from gigawatt.catalog import Catalog, Entry
from gigawatt.errors import InputError, Problem


@dataclass(frozen=True)
class FatTree:
    """Switches and optics of a non-blocking fat tree for ``endpoints`` NIC ports."""

    endpoints: int
    radix: int
    tiers: int
    leaf: int
    spine: int
    core: int
    optics: int

    @property
    def switches(self) -> int:
        return self.leaf + self.spine + self.core

    def per_endpoint(self) -> dict[str, float]:
        n = max(self.endpoints, 1)
        return {
            "leaf_switches": self.leaf / n,
            "spine_switches": self.spine / n,
            "core_switches": self.core / n,
            "switches": self.switches / n,
            "optics": self.optics / n,
        }

    def __str__(self) -> str:
        return (
            f"{self.endpoints:,} endpoints, radix {self.radix}: {self.tiers} tier(s), "
            f"{self.leaf:,} leaf + {self.spine:,} spine + {self.core:,} core switches, "
            f"{self.optics:,} transceivers"
        )


def _tiers(endpoints: int, radix: int) -> int:
    """Levels of a non-blocking fat tree of radix-k switches: 1 up to k endpoints, 2 up to
    k^2/2, 3 up to k^3/4 (Al-Fares, Loukissas & Vahdat, SIGCOMM 2008)."""
    if endpoints <= radix:
        return 1
    if endpoints <= radix * radix // 2:
        return 2
    return 3


def fat_tree(endpoints: int, radix: int, transceivers_per_link: int = 2) -> FatTree:
    """Size a non-blocking fat tree (see module docstring)."""
    if endpoints < 0 or radix < 2 or transceivers_per_link < 0:
        raise InputError(
            [
                Problem(
                    "network",
                    "endpoints/radix",
                    f"need endpoints >= 0, radix >= 2, transceivers >= 0; got {endpoints}, "
                    f"{radix}, {transceivers_per_link}",
                )
            ]
        )
    n = int(endpoints)
    if n == 0:
        return FatTree(0, radix, 0, 0, 0, 0, 0)
    tiers = _tiers(n, radix)
    half = radix / 2
    if tiers == 1:
        leaf, spine, core = 1, 0, 0
    elif tiers == 2:
        leaf, spine, core = math.ceil(n / half), math.ceil(n / radix), 0
    else:
        leaf, spine, core = math.ceil(n / half), math.ceil(n / half), math.ceil(n / radix)
    return FatTree(n, radix, tiers, leaf, spine, core, transceivers_per_link * n * tiers)


@dataclass(frozen=True)
class NetworkParts:
    """Network parts per accelerator (per GPU / OAM) for a fabric of ``fabric_gpus``."""

    bom_id: str
    fabric_gpus: int
    scale_out_switch: str | None
    tree: FatTree | None
    nics: float  # all NICs / DPUs (compute + storage / front-end)
    compute_nics: float
    scale_up_switch_chips: float
    per_gpu: dict[str, float]

    def __str__(self) -> str:
        parts = ", ".join(f"{k} {v:.4g}" for k, v in self.per_gpu.items())
        return f"{self.bom_id} network per GPU ({self.fabric_gpus:,}-GPU fabric): {parts}"


def _count(bom: Entry, key: str) -> float:
    if key not in bom.fields:
        return 0.0
    q = bom.q(key)
    return float(q.get()) if q.known else 0.0


def network_parts(bom: Entry, catalog: Catalog, fabric_gpus: int = 100_000) -> NetworkParts:
    """NICs, switches by tier, NVLink switch chips and optics per accelerator of a BOM.

    ``fabric_gpus``: accelerators on one scale-out fabric (one compute NIC port each per
    ``compute_nics``); the fat tree uses the radix of the BOM's ``scale_out_switch`` and the
    transceivers per link of fleet_assumptions.yaml ``fabric``.
    """
    if fabric_gpus < 1:
        raise InputError([Problem("network", "fabric_gpus", f"must be >= 1, got {fabric_gpus}")])
    compute = _count(bom, "compute_nics")
    nics = _count(bom, "nics")
    scale_up = _count(bom, "scale_up_switch_chips")
    switch_id = bom.get("scale_out_switch")
    tree = None
    per: dict[str, float] = {
        "nics": nics,
        "compute_nics": compute,
        "scale_up_switch_chips": scale_up,
        "leaf_switches": 0.0,
        "spine_switches": 0.0,
        "core_switches": 0.0,
        "scale_out_switches": 0.0,
        "optics": 0.0,
    }
    if isinstance(switch_id, str) and compute > 0:
        switch = catalog.get("bom", switch_id)
        radix = int(switch.q("radix").get())
        links = int(catalog.get("fleet_assumptions", "fabric").q("transceivers_per_link").get())
        ports = max(1, round(fabric_gpus * compute))
        tree = fat_tree(ports, radix, links)
        for k, v in tree.per_endpoint().items():
            key = "scale_out_switches" if k == "switches" else k
            per[key] = v * compute
    return NetworkParts(
        bom_id=bom.id,
        fabric_gpus=int(fabric_gpus),
        scale_out_switch=switch_id if isinstance(switch_id, str) else None,
        tree=tree,
        nics=nics,
        compute_nics=compute,
        scale_up_switch_chips=scale_up,
        per_gpu=per,
    )
