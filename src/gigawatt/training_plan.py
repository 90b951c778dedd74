"""Training-run planning: the best parallel plan of each run, at its GPU count or sized by
its deadline, with the goodput loss to failures. The whole programme (all stages) is planned
by :func:`gigawatt.programme.plan`."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gigawatt.catalog import Catalog
from gigawatt.errors import InputError, Problem
from gigawatt.perf.search import SearchResult, search
from gigawatt.perf.system import System, get_system
from gigawatt.perf.training import TrainingEstimate, predict_training
from gigawatt.reliability import ReliabilityPlan, ReliabilitySection, plan_reliability
from gigawatt.scenario import TrainingRun
from gigawatt.units import DAY_S
from gigawatt.workload import TransformerModel

SECONDS_PER_DAY = DAY_S
DEFAULT_BATCH_TOKENS = 4 * 2**20  # ~4M tokens per step, typical of 2023-2025 LLM pre-training


@dataclass(frozen=True)
class TrainingPlan:
    """The plan of one training run: the best parallel configuration and time to train."""

    name: str
    model: str
    accelerator: str
    n_gpus: int
    tokens: float
    estimate: TrainingEstimate
    step_time_range_s: tuple[float, float, float]
    evaluated: int
    feasible: int
    deadline_days: float | None = None
    reliability: ReliabilityPlan | None = None

    @property
    def goodput_time_factor(self) -> float:
        """Wall time / failure-free time (1 / ETTR): failures, restarts, checkpoints."""
        return self.reliability.time_factor if self.reliability is not None else 1.0

    @property
    def failure_free_time_s(self) -> float:
        return self.tokens / self.estimate.tokens_per_s

    @property
    def time_to_train_s(self) -> float:
        """Wall-clock time to train, including the goodput loss to failures."""
        return self.failure_free_time_s * self.goodput_time_factor

    @property
    def time_to_train_range_s(self) -> tuple[float, float, float]:
        """(low, likely, high) from the efficiency ranges of the catalog, same plan."""
        steps = self.tokens / self.estimate.tokens_per_step * self.goodput_time_factor
        lo, mid, hi = self.step_time_range_s
        return (steps * lo, steps * mid, steps * hi)

    @property
    def meets_deadline(self) -> bool | None:
        if self.deadline_days is None:
            return None
        return self.time_to_train_s <= self.deadline_days * SECONDS_PER_DAY

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "model": self.model,
            "accelerator": self.accelerator,
            "n_gpus": self.n_gpus,
            "tokens": self.tokens,
            "time_to_train_s": self.time_to_train_s,
            "failure_free_time_s": self.failure_free_time_s,
            "time_to_train_days": self.time_to_train_s / SECONDS_PER_DAY,
            "time_to_train_days_range": [x / SECONDS_PER_DAY for x in self.time_to_train_range_s],
            "step_time_s_range": list(self.step_time_range_s),
            "deadline_days": self.deadline_days,
            "meets_deadline": self.meets_deadline,
            "unexpected_interruptions_per_day": (
                self.reliability.unexpected_interruptions_per_day if self.reliability else None
            ),
            "ettr": self.reliability.ettr if self.reliability else None,
            "reliability": self.reliability.to_dict() if self.reliability else None,
            "plans_evaluated": self.evaluated,
            "plans_feasible": self.feasible,
            **self.estimate.to_dict(),
        }


def default_global_batch(seq_len: int) -> int:
    return max(1, DEFAULT_BATCH_TOKENS // seq_len)


def _cluster_sizes(domain: int, limit: int = 2**21) -> list[int]:
    """Candidate cluster sizes: whole scale-up domains times 2^k and 1.5 * 2^k."""
    base = max(domain, 1)
    sizes = {base << k for k in range(40) if base << k <= limit}
    sizes |= {3 * (base << k) for k in range(40) if 3 * (base << k) <= limit}
    return sorted(sizes)


Goodput = Callable[[int, float, float], ReliabilityPlan]  # (n_gpus, days, step_s) -> plan


def plan_training_run(
    run: TrainingRun,
    model: TransformerModel,
    system: System,
    catalog: Catalog | None = None,
    goodput: Goodput | None = None,
) -> TrainingPlan:
    """Best plan for a run: at its GPU count, or the smallest cluster that meets the deadline
    (wall-clock, i.e. including the goodput loss to failures when ``goodput`` is given)."""
    seq = run.seq_len or model.seq_len
    gbs = run.global_batch or default_global_batch(seq)
    fixed = run.plan.as_fixed() if run.plan else {}

    def at(n: int) -> SearchResult:
        return search(model, system, n, gbs, seq, run.precision, fixed)

    result = at(run.gpus) if run.gpus is not None else None
    if result is None:
        deadline_s = (run.deadline_days or 0.0) * SECONDS_PER_DAY
        for n in _cluster_sizes(system.scale_up_domain):
            if n > gbs * seq:  # more GPUs than tokens per step cannot help
                break
            r = at(n)
            if not r.feasible:
                continue
            best_n = r.best()
            wall_s = run.tokens / best_n.tokens_per_s
            if goodput is not None:
                wall_s *= goodput(n, wall_s / SECONDS_PER_DAY, best_n.step_time_s).time_factor
            if wall_s <= deadline_s:
                result = r
                break
    if result is None:
        raise InputError(
            [
                Problem(
                    "scenario",
                    f"training {run.name}.deadline_days",
                    f"no cluster of {system.accelerator} up to 2M GPUs trains {run.tokens:.3g} "
                    f"tokens in {run.deadline_days} days at global batch {gbs}",
                )
            ]
        )
    best = result.best()
    seq_model = model.with_(seq_len=seq)
    low, high = (
        predict_training(
            seq_model,
            get_system(
                system.accelerator, catalog, bound, oversubscription=system.oversubscription
            ),
            best.plan,
        ).step_time_s
        for bound in ("optimistic", "pessimistic")
    )
    reliability = None
    if goodput is not None:
        free_days = run.tokens / best.tokens_per_s / SECONDS_PER_DAY
        reliability = goodput(result.n_gpus, free_days, best.step_time_s)
    return TrainingPlan(
        name=run.name,
        model=model.name,
        accelerator=system.accelerator,
        n_gpus=result.n_gpus,
        tokens=run.tokens,
        estimate=best,
        step_time_range_s=(low, best.step_time_s, high),
        evaluated=result.evaluated,
        feasible=result.feasible,
        deadline_days=run.deadline_days,
        reliability=reliability,
    )


def goodput_for(
    name: str,
    accelerator: str,
    model: TransformerModel,
    section: ReliabilitySection | None,
    catalog: Catalog,
) -> Goodput:
    """The reliability stage for one run (its section's assumptions, catalog defaults)."""

    def goodput(n_gpus: int, days: float, step_s: float) -> ReliabilityPlan:
        return plan_reliability(name, model, accelerator, n_gpus, section, catalog, days, step_s)

    return goodput


def days(seconds: float) -> float:
    return seconds / SECONDS_PER_DAY if math.isfinite(seconds) else math.inf
