"""IT load: accelerators and their servers, network and storage -> IT power, and its swing.

Power of one accelerator at average utilisation ``u`` (0..1, the fraction of the busy-minus-
idle power drawn on average) is ``TDP (idle + (1 - idle) u)``, clipped by a power cap (a
fraction of TDP, as ``nvidia-smi -pl`` sets); the linear idle-to-TDP model is the one POLCA
(Patel et al., ASPLOS 2024) fits to H100/A100 inference and training traces. Host overhead
(CPUs, DRAM, NICs, fans, NVSwitch) is counted per accelerator at full load and falls to
``overhead_idle_fraction`` of it when idle; scale-out network (switches + optics) is flat;
storage is a share of compute power (catalog ``it_load.yaml``).

A synchronous training job stalls all accelerators together (checkpoints, collective waits,
restarts), so the whole job's busy power drops and returns within seconds: the Llama 3 paper
(arXiv:2407.21783 §3.3.4) reports tens of MW of swing at 16k H100. ``swing_w`` is that
step: count x (busy - idle) x ``training_sync_drop`` for accelerators and their hosts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from gigawatt.catalog import Catalog, Entry, load_catalog
from gigawatt.errors import InputError, Problem

F64 = NDArray[np.float64]
FILE = "it_load.yaml"


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


def accelerator_power_w(
    tdp_w: ArrayLike, utilisation: ArrayLike, idle_fraction: float, power_cap: ArrayLike = 1.0
) -> F64:
    """Average accelerator power: ``min(TDP (idle + (1 - idle) u), cap TDP)`` (POLCA 2024)."""
    tdp = np.asarray(tdp_w, dtype=float)
    u = np.asarray(utilisation, dtype=float)
    busy = tdp * (idle_fraction + (1.0 - idle_fraction) * u)
    return np.asarray(np.minimum(busy, np.asarray(power_cap, dtype=float) * tdp), dtype=float)


def _profile(catalog: Catalog, acc: Entry) -> Entry:
    items = catalog.kind("it_load")
    for entry in items.values():
        if acc.id in (entry.get("accelerators") or []):
            return entry
    for entry in items.values():
        if acc.get("family") in (entry.get("families") or []):
            return entry
    return items["default"]


def _check(item: ItItem, where: str) -> list[Problem]:
    problems = []
    if item.count < 0:
        problems.append(Problem(where, "count", f"must be >= 0, got {item.count}"))
    if not 0.0 <= item.utilisation <= 1.0:
        problems.append(Problem(where, "utilisation", f"must be 0..1, got {item.utilisation}"))
    if not 0.1 <= item.power_cap <= 1.0:
        problems.append(Problem(where, "power_cap", f"must be 0.1..1 of TDP, got {item.power_cap}"))
    return problems


def it_load(
    items: Iterable[ItItem | tuple[str, int, float]], catalog: Catalog | None = None
) -> ItLoad:
    """IT power of a fleet given as (accelerator id, count, utilisation[, cap]) groups."""
    cat = catalog or load_catalog()
    power = cat.get("it_load", "accelerator-power")
    idle = power.q("idle_fraction").get()
    drop = power.q("training_sync_drop").get()
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
    acc_w, srv_w, net_w, sto_w, peak_w, swing_w = 0.0, 0.0, 0.0, 0.0, 0.0, 0.0
    rows: list[dict[str, float | str]] = []
    for item in parsed:
        acc = cat.accelerator(item.accelerator)
        tdp = acc.q("tdp").get()
        prof = _profile(cat, acc)
        if prof.value("server_overhead") is not None:
            host_full = prof.q("server_overhead").get()
        else:
            host_full = prof.q("server_overhead_fraction").get() * tdp
        host_idle = prof.q("overhead_idle_fraction").get()
        a = float(accelerator_power_w(tdp, item.utilisation, idle, item.power_cap))
        a_peak = float(accelerator_power_w(tdp, 1.0, idle, item.power_cap))
        a_idle = tdp * idle
        busy_share = (a - a_idle) / max(a_peak - a_idle, 1e-9)
        host = host_full * (host_idle + (1.0 - host_idle) * busy_share)
        net = prof.q("network").get()
        storage_frac = prof.q("storage_fraction").get()
        n: float = float(item.count)
        compute = n * (a + host + net)
        acc_w += n * a
        srv_w += n * host
        net_w += n * net
        sto_w += storage_frac * compute
        peak_w += n * (a_peak + host_full + net) * (1.0 + storage_frac)
        host_drop = host_full * (1.0 - host_idle) * busy_share
        swing = n * drop * ((a - a_idle) + host_drop)
        swing_w += swing
        rows.append(
            {
                "accelerator": item.accelerator,
                "count": n,
                "tdp_w": tdp,
                "accelerator_w": a,
                "host_w": host,
                "network_w": net,
                "it_w": compute * (1.0 + storage_frac),
                "swing_w": swing,
            }
        )
    return ItLoad(acc_w, srv_w, net_w, sto_w, peak_w, swing_w, tuple(rows))


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
