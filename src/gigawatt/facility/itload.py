"""IT load: accelerators and their servers, network and storage -> IT power, and its swing.

Power of one accelerator at average utilisation ``u`` (0..1, the fraction of the busy-minus-
idle power drawn on average) is ``TDP (idle + (1 - idle) u)``, clipped by a power cap (a
fraction of TDP, as ``nvidia-smi -pl`` sets); the linear idle-to-TDP model is the one POLCA
(Patel et al., ASPLOS 2024) fits to H100/A100 inference and training traces. The design
(full-load) power and its shares — accelerator, host, network, storage — are the bill of
materials' (gigawatt.bom); this module averages them over utilisation: host power falls to
``overhead_idle_fraction`` of it when idle, network and storage stay flat.

A synchronous training job stalls all accelerators together (checkpoints, collective waits,
restarts), so the whole job's busy power drops and returns within seconds: the Llama 3 paper
(arXiv:2407.21783 §3.3.4) reports tens of MW of swing at 16k H100. ``swing_w`` is that
step: count x (busy - idle) x ``training_sync_drop`` for accelerators and their hosts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from gigawatt.bom import BomLine, accelerator_power_w, average_it_power_w, build_line
from gigawatt.catalog import Catalog, load_catalog
from gigawatt.errors import InputError, Problem

F64 = NDArray[np.float64]
__all__ = ["ItItem", "ItLoad", "accelerator_power_w", "it_load", "training_power_profile"]


@dataclass(frozen=True)
class ItItem:
    """A group of identical accelerators: catalog id, count, average utilisation, power cap."""

    accelerator: str
    count: int
    utilisation: float = 0.8
    power_cap: float = 1.0  # fraction of TDP


@dataclass(frozen=True)
class ItLoad:
    """IT power of a fleet, by component (W), averaged, at peak, and its synchronous swing."""

    accelerators_w: float
    servers_w: float
    network_w: float
    storage_w: float
    peak_w: float
    swing_w: float
    rows: tuple[dict[str, float | str], ...] = ()

    @property
    def total_w(self) -> float:
        return self.accelerators_w + self.servers_w + self.network_w + self.storage_w

    def __str__(self) -> str:
        return (
            f"IT {self.total_w / 1e6:,.1f} MW average (accelerators "
            f"{self.accelerators_w / 1e6:,.1f}, hosts {self.servers_w / 1e6:,.1f}, network "
            f"{self.network_w / 1e6:,.1f}, storage {self.storage_w / 1e6:,.1f}); peak "
            f"{self.peak_w / 1e6:,.1f} MW; synchronous swing {self.swing_w / 1e6:,.1f} MW"
        )


def _check(item: ItItem, where: str) -> list[Problem]:
    problems = []
    if item.count < 0:
        problems.append(Problem(where, "count", f"must be >= 0, got {item.count}"))
    if not 0.0 <= item.utilisation <= 1.0:
        problems.append(Problem(where, "utilisation", f"must be 0..1, got {item.utilisation}"))
    if not 0.1 <= item.power_cap <= 1.0:
        problems.append(Problem(where, "power_cap", f"must be 0.1..1 of TDP, got {item.power_cap}"))
    return problems


def _parse(items: Iterable[ItItem | tuple[str, int, float]], cat: Catalog) -> list[ItItem]:
    parsed: list[ItItem] = [i if isinstance(i, ItItem) else ItItem(*i) for i in items]
    problems: list[Problem] = []
    for k, item in enumerate(parsed):
        problems += _check(item, f"it_load[{k}] ({item.accelerator})")
        if item.accelerator not in cat.kind("accelerators"):
            known = ", ".join(sorted(cat.kind("accelerators")))
            problems.append(
                Problem(
                    f"it_load[{k}]", "accelerator", f"unknown {item.accelerator!r}; known: {known}"
                )
            )
    if problems:
        raise InputError(problems)
    return parsed


def item_load(item: ItItem, line: BomLine, cat: Catalog) -> dict[str, float | str]:
    """Average, peak and swing IT power of one group, from its bill-of-materials line."""
    drop = cat.get("it_load", "accelerator-power").q("training_sync_drop").get()
    avg = average_it_power_w(line, cat, item.utilisation, item.power_cap)
    idle = average_it_power_w(line, cat, 0.0, item.power_cap)
    peak = average_it_power_w(line, cat, 1.0, item.power_cap)
    # a synchronous stall drops accelerators and hosts from their busy to their idle draw
    busy_minus_idle = float(avg.accelerator_w - idle.accelerator_w + avg.host_w - idle.host_w)
    return {
        "accelerator": item.accelerator,
        "count": float(item.count),
        "tdp_w": float(line.accelerator_w / max(line.accelerators, 1.0)),
        "accelerator_w": float(avg.accelerator_w),
        "host_w": float(avg.host_w),
        "network_w": float(avg.network_w),
        "storage_w": float(avg.storage_w),
        "it_w": float(avg.it_power_w),
        "peak_w": float(peak.it_power_w),
        "design_w": line.it_power_w,
        "swing_w": drop * busy_minus_idle,
    }


def it_load(
    items: Iterable[ItItem | tuple[str, int, float]], catalog: Catalog | None = None
) -> ItLoad:
    """IT power of a fleet given as (accelerator id, count, utilisation[, cap]) groups; each
    group's design power and shares come from its bill of materials (gigawatt.bom)."""
    cat = catalog or load_catalog()
    rows: list[dict[str, float | str]] = []
    for item in _parse(items, cat):
        line = build_line(item.accelerator, item.accelerator, float(item.count), cat)
        rows.append(item_load(item, line, cat))

    def total(key: str) -> float:
        return float(sum(float(r[key]) for r in rows))

    return ItLoad(
        accelerators_w=total("accelerator_w"),
        servers_w=total("host_w"),
        network_w=total("network_w"),
        storage_w=total("storage_w"),
        peak_w=total("peak_w"),
        swing_w=total("swing_w"),
        rows=tuple(rows),
    )


def training_power_profile(
    load: ItLoad, seconds: Sequence[float] | F64, stall_every_s: float, stall_s: float
) -> F64:
    """IT power over time for a synchronous job that stalls ``stall_s`` every ``stall_every_s``
    (e.g. checkpoints): the square wave behind the Llama 3 grid-swing remark."""
    t = np.asarray(seconds, dtype=float)
    if stall_every_s <= 0 or not 0 <= stall_s < stall_every_s:
        raise InputError([Problem("<input>", "stall", "need 0 <= stall_s < stall_every_s")])
    stalled = np.mod(t, stall_every_s) < stall_s
    return np.asarray(np.where(stalled, load.total_w - load.swing_w, load.total_w), dtype=float)
