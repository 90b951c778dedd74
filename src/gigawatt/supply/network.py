"""Network parts per accelerator for the supply chain: NICs, scale-out switches, NVLink switch
chips and optics, read from the bill of materials (``gigawatt.bom``) of a reference fabric.

Switch and NIC ASICs are logic dies (bom.yaml ``asic`` of the switch / NIC entry); optics are
counts, not wafers. The fabric is sized by ``gigawatt.bom.build_line`` — the same fat tree
the fleet, economics and facility stages read — for ``fabric_gpus`` accelerators.
"""

from __future__ import annotations

from dataclasses import dataclass

from gigawatt.bom import BomLine, build_line
from gigawatt.catalog import Catalog, Entry
from gigawatt.errors import InputError, Problem

REFERENCE_FABRIC_GPUS = 100_000  # a frontier-scale fabric: what supply sizes per accelerator


@dataclass(frozen=True)
class NetworkParts:
    """Network parts per accelerator (per GPU / OAM) for a fabric of ``fabric_gpus``."""

    bom_id: str
    fabric_gpus: int
    line: BomLine
    per_gpu: dict[str, float]

    def __str__(self) -> str:
        parts = ", ".join(f"{k} {v:.4g}" for k, v in self.per_gpu.items())
        return f"{self.bom_id} network per GPU ({self.fabric_gpus:,}-GPU fabric): {parts}"


def network_parts(
    bom: Entry, catalog: Catalog, fabric_gpus: int = REFERENCE_FABRIC_GPUS
) -> NetworkParts:
    """NICs, switches by tier, NVLink switch chips and optics per accelerator of a BOM entry."""
    if fabric_gpus < 1:
        raise InputError([Problem("network", "fabric_gpus", f"must be >= 1, got {fabric_gpus}")])
    line = build_line(bom.id, str(bom.get("accelerator")), float(fabric_gpus), catalog, bom=bom)
    n = line.accelerators
    keys = (
        "nics",
        "scale_up_switch_chips",
        "leaf_switches",
        "spine_switches",
        "core_switches",
        "optics",
    )
    per = {k: float(getattr(line, k)) / n for k in keys}
    per["scale_out_switches"] = line.switches / n
    return NetworkParts(bom_id=bom.id, fabric_gpus=int(fabric_gpus), line=line, per_gpu=per)
