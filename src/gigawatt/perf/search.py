"""Parallel-plan search: enumerate every valid execution plan, predict all of them at once
(vectorised), and rank the ones that fit in memory by step time.

Validity rules follow Megatron-LM (Narayanan 2021; Korthikanti 2022; Megatron-Core docs):
n_gpus = tp * pp * dp * cp; tp within one scale-up domain and dividing the attention heads;
the global batch divides into dp * micro_batch; interleaving (vpp > 1) needs the number of
micro-batches to be a multiple of pp and vpp to divide the layers per stage; cp splits the
sequence into 2 * cp chunks (load-balanced causal attention); ep divides the experts and the
data-parallel ranks. Layers may be uneven across stages (the last stage carries the
remainder, as Llama 3 did with 126 layers on 16 stages).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gigawatt.errors import InputError, Problem
from gigawatt.perf.execution import ATTENTION_CODES, PLANNED_RECOMPUTES, RECOMPUTE_CODES, Plans
from gigawatt.perf.system import System
from gigawatt.perf.training import (
    TrainingBatch,
    TrainingEstimate,
    estimate_at,
    predict_training_batch,
)
from gigawatt.workload import TransformerModel

MAX_MICRO_BATCH = 16
MAX_CP = 32
SEARCH_FIELDS = (
    "tp",
    "pp",
    "dp",
    "cp",
    "ep",
    "vpp",
    "micro_batch",
    "recompute",
    "sequence_parallel",
    "zero",
    "attention",
)


def _divisors(n: int) -> list[int]:
    small = [i for i in range(1, int(n**0.5) + 1) if n % i == 0]
    return sorted(set(small + [n // i for i in small]))


def _pow2_upto(n: int) -> list[int]:
    out, x = [], 1
    while x <= n:
        out.append(x)
        x *= 2
    return out


@dataclass
class SearchResult:
    """Ranked feasible plans plus why the others lost."""

    model: TransformerModel
    system: System
    n_gpus: int
    global_batch: int
    seq_len: int
    batch: TrainingBatch | None
    order: np.ndarray  # indices of feasible plans, fastest first
    rejected: Counter[str] = field(default_factory=Counter)
    evaluated: int = 0
    wall_s: float = 0.0

    @property
    def feasible(self) -> int:
        return int(self.order.size)

    def best(self) -> TrainingEstimate:
        if self.batch is None or self.order.size == 0:
            reasons = "; ".join(f"{k}: {v}" for k, v in self.rejected.most_common()) or "none"
            raise InputError(
                [
                    Problem(
                        "search",
                        f"{self.model.name} on {self.n_gpus} x {self.system.accelerator}",
                        f"no feasible plan (rejected: {reasons})",
                    )
                ]
            )
        return estimate_at(self.batch, int(self.order[0]), self.model, self.system)

    def top(self, k: int = 5) -> list[TrainingEstimate]:
        if self.batch is None:
            return []
        return [estimate_at(self.batch, int(i), self.model, self.system) for i in self.order[:k]]

    def summary(self) -> dict[str, Any]:
        return {
            "model": self.model.name,
            "gpu": self.system.accelerator,
            "n_gpus": self.n_gpus,
            "global_batch": self.global_batch,
            "seq_len": self.seq_len,
            "evaluated": self.evaluated,
            "feasible": self.feasible,
            "rejected": dict(self.rejected),
            "wall_s": self.wall_s,
            "plans_per_s": self.evaluated / self.wall_s if self.wall_s > 0 else None,
        }


def _structural(
    model: TransformerModel,
    system: System,
    n_gpus: int,
    global_batch: int,
    seq_len: int,
    fixed: Mapping[str, Any],
    rejected: Counter[str],
) -> list[tuple[int, int, int, int, int, int, int]]:
    """(tp, pp, dp, cp, ep, vpp, micro_batch) tuples that satisfy the divisibility rules."""
    L = model.n_layers

    def choices(name: str, default: list[int]) -> list[int]:
        return [int(fixed[name])] if fixed.get(name) is not None else default

    tps = choices("tp", _pow2_upto(min(system.scale_up_domain, model.n_heads)))
    cps = choices("cp", _pow2_upto(MAX_CP))
    out: list[tuple[int, int, int, int, int, int, int]] = []
    for tp in tps:
        if model.n_heads % tp:
            rejected["tp does not divide the attention heads"] += 1
            continue
        if tp > system.scale_up_domain:
            rejected["tp larger than the scale-up domain"] += 1
            continue
        for cp in cps:
            if seq_len % (2 * cp) and cp > 1:
                rejected["cp does not divide the sequence into 2*cp chunks"] += 1
                continue
            if n_gpus % (tp * cp):
                rejected["tp*cp does not divide n_gpus"] += 1
                continue
            rest = n_gpus // (tp * cp)
            pps = choices("pp", [x for x in _divisors(rest) if x <= L])
            for pp in pps:
                if pp > L or rest % pp:
                    rejected["pp does not divide n_gpus/(tp*cp) or exceeds the layers"] += 1
                    continue
                dp = rest // pp
                if fixed.get("dp") is not None and int(fixed["dp"]) != dp:
                    rejected["dp implied by n_gpus differs from the fixed dp"] += 1
                    continue
                if global_batch % dp:
                    rejected["global batch not divisible by dp"] += 1
                    continue
                per_dp = global_batch // dp
                eps = [1]
                # MoE parallel folding (Megatron-Core expert_tensor_parallel_size 1; Liu et
                # al., arXiv:2504.14960, 2025): the expert layers regroup the attention's
                # tp x cp x dp ranks, so ep divides that product, not dp x cp alone
                folded = dp * cp * tp
                if model.is_moe:
                    eps = [x for x in _divisors(model.moe_experts) if folded % x == 0]
                eps = choices("ep", eps)
                stage_layers = -(-L // pp)
                # the search tries even chunks; a published vpp may give chunks of uneven
                # depth (Megatron-Core pipeline layouts), at least one layer each
                vpps = [1] if pp == 1 else _divisors(stage_layers)
                vpps = choices("vpp", vpps)
                mbs = choices("micro_batch", [x for x in _divisors(per_dp) if x <= MAX_MICRO_BATCH])
                for ep in eps:
                    if model.is_moe and (model.moe_experts % ep or folded % ep):
                        rejected["ep does not divide the experts and tp*cp*dp"] += 1
                        continue
                    for mb in mbs:
                        if per_dp % mb:
                            rejected["micro batch does not divide global_batch/dp"] += 1
                            continue
                        m = per_dp // mb
                        for vpp in vpps:
                            if vpp > 1 and m % pp:
                                rejected["interleaving needs microbatches % pp == 0"] += 1
                                continue
                            if vpp > stage_layers:
                                rejected["more virtual stages than layers per stage"] += 1
                                continue
                            out.append((tp, pp, dp, cp, ep, vpp, mb))
    return out


def enumerate_plans(
    model: TransformerModel,
    system: System,
    n_gpus: int,
    global_batch: int,
    seq_len: int | None = None,
    precision: str = "bf16",
    fixed: Mapping[str, Any] | None = None,
    rejected: Counter[str] | None = None,
) -> Plans | None:
    """Every valid plan as a vectorised batch (None if there is none)."""
    fixed = dict(fixed or {})
    rejected = rejected if rejected is not None else Counter()
    s = int(seq_len or model.seq_len)
    structs = _structural(model, system, n_gpus, global_batch, s, fixed, rejected)
    if not structs:
        return None
    base = np.array(structs, dtype=np.int64)  # (n, 7)

    rec = fixed.get("recompute")
    names = [str(rec)] if rec is not None else PLANNED_RECOMPUTES
    recs = [RECOMPUTE_CODES[n] for n in names]
    sp_fixed = fixed.get("sequence_parallel")
    sps = [int(bool(sp_fixed))] if sp_fixed is not None else [0, 1]
    zeros = [int(fixed["zero"])] if fixed.get("zero") is not None else [0, 1, 2, 3]
    attn = fixed.get("attention") or system.efficiency.attention_kernel
    grid = np.array(np.meshgrid(recs, sps, zeros, indexing="ij")).reshape(3, -1).T
    n_b, n_g = base.shape[0], grid.shape[0]
    rows = np.repeat(base, n_g, axis=0)
    opts = np.tile(grid, (n_b, 1))
    tp = rows[:, 0]
    keep = np.ones(rows.shape[0], dtype=bool)
    if sp_fixed is None:
        # sequence parallelism only exists with tp > 1; keep one copy when tp == 1
        dup_sp = (tp == 1) & (opts[:, 1] == 1)
        keep &= ~dup_sp
    if fixed.get("zero") is None:
        # with dp == 1 every ZeRO stage is the same plan
        dup_zero = (rows[:, 2] == 1) & (opts[:, 2] > 0)
        keep &= ~dup_zero
    rows, opts = rows[keep], opts[keep]
    n = rows.shape[0]
    return Plans(
        tp=rows[:, 0],
        pp=rows[:, 1],
        dp=rows[:, 2],
        cp=rows[:, 3],
        ep=rows[:, 4],
        vpp=rows[:, 5],
        micro_batch=rows[:, 6],
        global_batch=np.full(n, global_batch, dtype=np.int64),
        recompute=opts[:, 0].astype(np.int64),
        sequence_parallel=opts[:, 1].astype(np.int64),
        zero=opts[:, 2].astype(np.int64),
        attention=np.full(n, ATTENTION_CODES[str(attn)], dtype=np.int64),
        precision=precision,
    )


def fixed_attention(fixed: Mapping[str, Any] | None, system: System) -> str | None:
    """The attention kernel a search must keep: the one fixed, or None when the family's
    baseline is unfused and the search may fall back to FlashAttention."""
    attn = (fixed or {}).get("attention")
    if attn is not None:
        return str(attn)
    base = system.efficiency.attention_kernel
    return None if base != "flash" else base


def search(
    model: TransformerModel,
    system: System,
    n_gpus: int,
    global_batch: int,
    seq_len: int | None = None,
    precision: str = "bf16",
    fixed: Mapping[str, Any] | None = None,
) -> SearchResult:
    """Search all plans for ``model`` on ``n_gpus`` of ``system``; fixed fields are kept."""
    if n_gpus < 1 or global_batch < 1:
        raise InputError([Problem("search", "n_gpus/global_batch", "must be integers >= 1")])
    start = time.perf_counter()
    rejected: Counter[str] = Counter()
    s = int(seq_len or model.seq_len)
    plans = enumerate_plans(model, system, n_gpus, global_batch, s, precision, fixed, rejected)
    if plans is None:
        return SearchResult(
            model,
            system,
            n_gpus,
            global_batch,
            s,
            None,
            np.zeros(0, np.int64),
            rejected,
            0,
            time.perf_counter() - start,
        )
    batch = predict_training_batch(model, system, plans, s)
    if not batch.fits.any() and fixed_attention(fixed, system) is None:
        # the family's baseline kernel (unfused on Ampere) leaves nothing that fits: such a
        # run used fused attention, available on every family since 2022 (Dao et al. 2022)
        rejected["out of memory with the family's attention kernel"] += len(plans)
        fixed = {**(fixed or {}), "attention": "flash"}
        plans = enumerate_plans(model, system, n_gpus, global_batch, s, precision, fixed)
        assert plans is not None  # the same structural plans as above
        batch = predict_training_batch(model, system, plans, s)
    oom = ~batch.fits
    if oom.any():
        rejected["out of memory"] += int(oom.sum())
    idx = np.flatnonzero(batch.fits)
    order = idx[np.argsort(batch.step_time_s[idx], kind="stable")]
    return SearchResult(
        model,
        system,
        n_gpus,
        global_batch,
        s,
        batch,
        order,
        rejected,
        len(plans),
        time.perf_counter() - start,
    )
