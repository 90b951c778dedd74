"""The bill of materials: how a cluster is built, and the one IT power of gigawatt.

Nothing outside this package sizes a fabric or derives IT watts (see DESIGN.md, "bom").
"""

from gigawatt.bom.cluster import (
    BomLine,
    ClusterBOM,
    average_it_power_w,
    bom_entry,
    build_line,
    cluster_bom,
    combine_lines,
    scale_line,
)
from gigawatt.bom.fabric import Fabric, fabric_tiers, size_fabric
from gigawatt.bom.power import (
    PowerShares,
    ServerPower,
    accelerator_power_w,
    it_load_profile,
    server_for,
    server_power,
)

__all__ = [
    "BomLine",
    "ClusterBOM",
    "Fabric",
    "PowerShares",
    "ServerPower",
    "accelerator_power_w",
    "average_it_power_w",
    "bom_entry",
    "build_line",
    "cluster_bom",
    "combine_lines",
    "fabric_tiers",
    "it_load_profile",
    "scale_line",
    "server_for",
    "server_power",
    "size_fabric",
]
