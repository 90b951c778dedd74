"""Scale-out fabric: the one sizing of a non-blocking, rail-optimised fat tree.

Tier rule (Al-Fares, Loukissas & Vahdat, "A scalable, commodity data center network
architecture", SIGCOMM 2008, generalised to L levels): a folded Clos of radix-k switches with
L levels serves up to ``2 (k/2)^L`` endpoints (one switch, L = 1, serves k). Every level
carries one link per endpoint, so for ``n`` endpoints (compute NIC ports):

    level 1 (leaf)            ceil(n / (k/2))    half the ports down, half up
    levels 2 .. L-1           ceil(n / (k/2))    each
    level L (top / core)      ceil(n / k)        all ports face down

which gives NVIDIA's DGX SuperPOD layout at two levels (1,024 GPUs on 64-port switches:
32 leaf + 16 spine) and Al-Fares' 5k^2/4 switches at three. Links are ``n L`` (NIC-leaf,
leaf-spine, ...) and optical transceivers ``transceivers_per_link x n L``. Rail-optimised
wiring (GPU i of every server on leaf rail i) changes which leaf a NIC meets, not the counts.

Vectorised: ``endpoints`` may be an array (a sweep or a Monte Carlo draw is one call).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from numpy.typing import ArrayLike

from gigawatt.errors import InputError, Problem

FloatArray = npt.NDArray[np.float64]
MAX_TIERS = 8  # 2 (k/2)^8 exceeds any fleet for k >= 8: a guard, not a design choice


@dataclass(frozen=True)
class Fabric:
    """Switch, link and transceiver counts of a fat tree (arrays, or 0-d for one cluster)."""

    endpoints: FloatArray
    radix: int
    tiers: FloatArray
    leaf_switches: FloatArray
    spine_switches: FloatArray  # the top level of 2, or every intermediate level of 3+
    core_switches: FloatArray  # the top level of 3+
    links: FloatArray
    transceivers: FloatArray

    @property
    def switches(self) -> FloatArray:
        return np.asarray(self.leaf_switches + self.spine_switches + self.core_switches)

    def __str__(self) -> str:
        return (
            f"{float(self.endpoints):,.0f} endpoints, radix {self.radix}: "
            f"{float(self.tiers):.0f} tier(s), {float(self.leaf_switches):,.0f} leaf + "
            f"{float(self.spine_switches):,.0f} spine + {float(self.core_switches):,.0f} core "
            f"switches, {float(self.transceivers):,.0f} transceivers"
        )


def _check(n: FloatArray, radix: int, transceivers_per_link: float) -> None:
    problems = []
    if radix < 2:
        problems.append(Problem("fabric", "radix", f"switch radix must be >= 2, got {radix}"))
    if np.any(~np.isfinite(n)) or np.any(n < 0):
        problems.append(Problem("fabric", "endpoints", "must be finite and >= 0"))
    if not 0 <= transceivers_per_link <= 2:
        problems.append(
            Problem(
                "fabric",
                "transceivers_per_link",
                f"must be 0..2 (an optic at each end at most), got {transceivers_per_link}",
            )
        )
    if problems:
        raise InputError(problems)


def fabric_tiers(endpoints: ArrayLike, radix: int) -> FloatArray:
    """Levels of a non-blocking fat tree for ``endpoints``: 0 for none, 1 up to ``radix``,
    else the least L with ``2 (radix/2)^L >= endpoints`` (module docstring)."""
    n = np.asarray(endpoints, dtype=float)
    _check(n, radix, 0)
    capacity = 2.0 * (radix / 2.0) ** np.arange(1, MAX_TIERS + 1)
    levels = np.searchsorted(capacity, n, side="left") + 1.0
    return np.asarray(np.where(n <= 0, 0.0, np.where(n <= radix, 1.0, levels)), dtype=float)


def size_fabric(endpoints: ArrayLike, radix: int, transceivers_per_link: float = 2.0) -> Fabric:
    """Switches per level, links and transceivers of a non-blocking fat tree."""
    n = np.asarray(endpoints, dtype=float)
    _check(n, radix, transceivers_per_link)
    tiers = fabric_tiers(n, radix)
    half = radix / 2.0
    per_level = np.ceil(n / half)
    leaf = np.where(tiers == 1, 1.0, np.where(tiers >= 2, per_level, 0.0))
    top = np.ceil(n / radix)
    spine = np.where(tiers == 2, top, np.maximum(tiers - 2.0, 0.0) * per_level)
    core = np.where(tiers >= 3, top, 0.0)
    links = n * tiers
    return Fabric(
        endpoints=n,
        radix=int(radix),
        tiers=tiers,
        leaf_switches=np.asarray(leaf, dtype=float),
        spine_switches=np.asarray(spine, dtype=float),
        core_switches=np.asarray(core, dtype=float),
        links=np.asarray(links, dtype=float),
        transceivers=np.asarray(transceivers_per_link * links, dtype=float),
    )
