"""Collective-communication time over a two-level fabric (scale-up domain, scale-out network).

Ring algorithms (Patarasuk & Yuan 2009, "Bandwidth optimal all-reduce algorithms for
clusters of workstations"): an all-reduce of S bytes over n ranks moves 2(n-1)/n * S per
rank, an all-gather or reduce-scatter (n-1)/n * S, plus (n-1) latency hops each phase.
Groups that span several scale-up domains use the hierarchical (2-D) form NCCL uses: the
part inside a domain runs on the scale-up links, the part across domains runs on each
member's own NIC (rail-optimised fabric, Jeaugey 2019, NCCL "rings and trees"), its
bandwidth divided by the fabric's oversubscription. All functions take NumPy arrays.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from gigawatt.perf.system import System

Collective = Literal["all_reduce", "all_gather", "reduce_scatter", "all_to_all", "p2p"]
FloatArray = NDArray[np.float64]

_PHASES = {"all_reduce": 2.0, "all_gather": 1.0, "reduce_scatter": 1.0, "all_to_all": 1.0}


def collective_time(
    kind: Collective,
    size_bytes: ArrayLike,
    n: ArrayLike,
    stride: ArrayLike,
    system: System,
    inter_scale: ArrayLike = 1.0,
) -> FloatArray:
    """Seconds for one collective of ``size_bytes`` (the full, un-sharded buffer) over ``n``
    ranks whose ids are ``stride`` apart (tensor parallel: 1; data parallel: tp * cp).
    ``inter_scale`` scales the bytes an all-to-all sends across domains (a dispatcher that
    sends a token once per remote domain and forwards it inside, see ``moe_ffn_time``)."""
    size = np.asarray(size_bytes, dtype=np.float64)
    ranks = np.asarray(n, dtype=np.float64)
    step = np.asarray(stride, dtype=np.float64)
    eff = system.efficiency
    up_bw = system.scale_up_bandwidth_bps * eff.scale_up_fraction
    out_bw = system.scale_out_bandwidth_bps * eff.scale_out_fraction / system.oversubscription
    domain = float(system.scale_up_domain)

    if kind == "p2p":
        inside = step < domain
        bw = np.where(inside, up_bw, out_bw)
        lat = np.where(inside, system.scale_up_latency_s, system.scale_out_latency_s)
        return np.asarray(size / bw + lat, dtype=np.float64)

    phases = _PHASES[kind]
    # members of the group that share one scale-up domain, and the number of domains spanned
    k = np.clip(np.floor(domain / np.maximum(step, 1.0)), 1.0, ranks)
    nodes = np.maximum(ranks / k, 1.0)
    intra = phases * (k - 1.0) / k * size / up_bw + phases * (k - 1.0) * system.scale_up_latency_s
    inter_bytes = phases * (nodes - 1.0) / nodes * size / k
    if kind == "all_to_all":
        # every rank exchanges with every other: the share that leaves the domain crosses NICs
        inter_bytes = (ranks - k) / ranks * size * np.asarray(inter_scale, dtype=np.float64)
        intra = (k - 1.0) / ranks * size / up_bw + (k - 1.0) * system.scale_up_latency_s
    inter = inter_bytes / out_bw + phases * (nodes - 1.0) * system.scale_out_latency_s
    t = intra + inter
    return np.asarray(np.where(ranks > 1.0, t, 0.0), dtype=np.float64)
