"""Discrete-event simulation of a fleet: component failures, repairs, spares, jobs, power.

What the closed form of :mod:`gigawatt.reliability` cannot capture is simulated here, event
by event (one heap, no SimPy process overhead, so 54 days of a 100,000-GPU cluster take well
under a second per replica):

* every failure hits one device of one population (GPU i, HBM stack j, NIC k, leaf switch s,
  rack r...), sampled at component level by thinning a Poisson process with the bathtub
  hazard of that very device (a replaced part starts at age 0 and is "infant" again);
* correlated failures: a leaf switch takes down every host below it, a rack's power/cooling
  or NVLink tray all hosts of the rack; spine/core switch failures interrupt every training
  job of the site without taking hosts down;
* repairs wait in a queue for a limited number of technicians (M/M/c), and a job that lost
  hosts takes hot spares or waits (re-queue) until enough hosts are repaired;
* checkpoints: progress is kept only up to the last committed checkpoint (blocking part
  ``checkpoint_s``, asynchronous commit ``lag_s``), exactly as in the closed form, so the two
  agree where both apply (independent failures, ample spares);
* planned maintenance stops (checkpoint first, then one restart), serving deployments that
  lose capacity until fail-over, and IT / facility power per site.

Outputs are pandas DataFrames: a time series per site and an incident log.
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from gigawatt.catalog import Catalog, load_catalog
from gigawatt.errors import InputError, Problem
from gigawatt.reliability import (
    SECONDS_PER_DAY,
    SECONDS_PER_YEAR,
    Conditions,
    FailureModel,
    failure_model,
    operations_defaults,
)

JobKind = Literal["training", "serving"]
_HOST_POPS = {"host", "nic", "cpu", "dimm", "ssd", "psu"}


@dataclass(frozen=True)
class SimSite:
    """A site: GPUs deployed (job GPUs plus spares), site type and conditions, repair crews."""

    name: str
    accelerator: str
    gpus: int
    type: str = "land"
    pue: float = 1.2
    technicians: int | None = None
    temperature_c: float | None = None
    fleet_age_years: float | None = None


@dataclass(frozen=True)
class SimJob:
    """A training job (checkpoint / restart) or a serving deployment pinned to a site."""

    name: str
    site: str
    gpus: int
    kind: JobKind = "training"
    interval_s: float = 3600.0
    checkpoint_s: float = 0.0
    lag_s: float = 0.0
    restart_s: float = 600.0
    planned_per_day: float = 0.0
    failover_s: float = 120.0


@dataclass
class _Job:
    spec: SimJob
    site: int
    need: int
    hosts: set[int] = field(default_factory=set)
    state: str = "new"
    run_start: float = 0.0
    progress_s: float = 0.0
    version: int = 0
    interruptions: int = 0
    planned: int = 0
    waits_s: float = 0.0
    wait_since: float = 0.0
    pending: int = 0  # serving: hosts in fail-over
    by_cause: dict[str, int] = field(default_factory=dict)

    def committed(self, t: float) -> float:
        """Work kept if the job failed at t: whole cycles whose checkpoint has committed."""
        if self.state != "running":
            return 0.0
        s = self.spec
        cycle = s.interval_s + s.checkpoint_s
        elapsed = t - self.run_start - s.lag_s
        return s.interval_s * math.floor(elapsed / cycle) if elapsed >= 0 else 0.0

    def computed(self, t: float) -> float:
        """Work done since the restart (a planned stop checkpoints it all)."""
        s = self.spec
        cycle = s.interval_s + s.checkpoint_s
        elapsed = t - self.run_start
        return s.interval_s * math.floor(elapsed / cycle) + min(elapsed % cycle, s.interval_s)


@dataclass
class _Site:
    spec: SimSite
    model: FailureModel
    n_hosts: int
    gph: int
    owner: np.ndarray  # job index or -1
    down: np.ndarray  # outstanding failures per host
    free_techs: int
    queue: deque[tuple[float, list[int], str, int]] = field(default_factory=deque)
    replaced: dict[tuple[int, int], float] = field(default_factory=dict)
    incidents_since: int = 0


@dataclass
class OpsResult:
    """Time series per site, incident log and per-job summary of one simulation."""

    timeseries: pd.DataFrame
    incidents: pd.DataFrame
    jobs: list[dict[str, Any]]
    days: float
    seed: int

    def job(self, name: str) -> dict[str, Any]:
        for j in self.jobs:
            if j["name"] == name:
                return j
        raise KeyError(name)

    def __str__(self) -> str:
        lines = [f"ops simulation over {self.days:g} days (seed {self.seed}):"]
        for j in self.jobs:
            if j["kind"] == "training":
                lines.append(
                    f"  {j['name']}: {j['interruptions']} interruptions, ETTR {j['ettr']:.3f}"
                )
            else:
                lines.append(f"  {j['name']}: availability {j['availability']:.4f}")
        return "\n".join(lines)


def _check(sites: Sequence[SimSite], jobs: Sequence[SimJob], days: float) -> None:
    problems = []
    if not (days > 0 and math.isfinite(days)):
        problems.append(Problem("ops", "days", f"{days} (allowed: > 0)"))
    names = {s.name for s in sites}
    if len(names) != len(sites):
        problems.append(Problem("ops", "sites", "site names must be unique"))
    for s in sites:
        if s.gpus < 1:
            problems.append(Problem("ops", f"site {s.name}.gpus", "must be >= 1"))
    for j in jobs:
        if j.site not in names:
            problems.append(
                Problem("ops", f"job {j.name}.site", f"{j.site!r} unknown (sites: {sorted(names)})")
            )
        if j.gpus < 1 or j.interval_s <= 0 or j.checkpoint_s < 0 or j.restart_s < 0:
            problems.append(
                Problem("ops", f"job {j.name}", "gpus >= 1, interval > 0, costs >= 0 required")
            )
    if problems:
        raise InputError(problems)


def simulate(
    sites: Sequence[SimSite],
    jobs: Sequence[SimJob],
    days: float,
    *,
    seed: int = 0,
    step_s: float = 3600.0,
    catalog: Catalog | None = None,
    correlated: bool = True,
    aging: bool = True,
    on_step: Callable[[pd.DataFrame, list[dict[str, Any]]], None] | None = None,
) -> OpsResult:
    """Simulate ``days`` of the fleet. ``correlated=False`` treats switch and rack failures as
    single-host ones (the closed form's assumption); ``aging=False`` ignores the bathtub."""
    _check(sites, jobs, days)
    cat = catalog or load_catalog()
    ops = operations_defaults(cat)
    rng = np.random.default_rng(seed)
    horizon = days * SECONDS_PER_DAY
    host_pf = ops.q("host_power_factor").get()
    idle_pf = ops.q("idle_power_fraction").get()
    serve_pf = ops.q("serving_power_fraction").get()

    S: list[_Site] = []
    for spec in sites:
        fm = failure_model(
            spec.accelerator, cat, Conditions(spec.type, spec.temperature_c, spec.fleet_age_years)
        )
        gph = fm.topology.gpus_per_host
        n_hosts = math.ceil(spec.gpus / gph)
        # default crews: twice the mean number of concurrent repairs (queue stays stable)
        busy = float(fm.job_failure_rate(spec.gpus)) * float(fm.hardware_fraction(spec.gpus))
        busy *= fm.mean_repair_time_s(spec.gpus)
        techs = spec.technicians or max(4, math.ceil(2.0 * busy))
        S.append(
            _Site(
                spec,
                fm,
                n_hosts,
                gph,
                np.full(n_hosts, -1, dtype=np.int64),
                np.zeros(n_hosts, dtype=np.int64),
                techs,
            )
        )
    site_index = {s.spec.name: i for i, s in enumerate(S)}
    J: list[_Job] = []
    for job_spec in jobs:
        si = site_index[job_spec.site]
        J.append(_Job(job_spec, si, math.ceil(job_spec.gpus / S[si].gph)))

    # -- candidate failures: thinning of the bathtub hazard, component by component --------
    cand_t: list[np.ndarray] = []
    cand_meta: list[np.ndarray] = []
    causes_of: list[list[Any]] = []
    for si, site in enumerate(S):
        fm = site.model
        counts = fm.topology.counts(site.n_hosts * site.gph)
        age0 = (site.spec.fleet_age_years or 0.0) * SECONDS_PER_YEAR
        use_age = aging and site.spec.fleet_age_years is not None
        causes_of.append(list(fm.causes))
        for ci, cause in enumerate(fm.causes):
            pop = round(float(counts[cause.per]))
            if pop <= 0:
                continue
            rate = cause.rate_per_s * fm.cause_multiplier(cause)
            hmax = fm.aging.max_factor(age0, horizon) if use_age and cause.hardware else 1.0
            n = int(rng.poisson(rate * hmax * pop * horizon))
            if n == 0:
                continue
            cand_t.append(rng.uniform(0.0, horizon, n))
            meta = np.empty((n, 5), dtype=np.float64)
            meta[:, 0] = si
            meta[:, 1] = ci
            meta[:, 2] = rng.integers(0, pop, n)
            meta[:, 3] = hmax
            meta[:, 4] = rng.uniform(0.0, 1.0, n)
            cand_meta.append(meta)
    if cand_t:
        times = np.concatenate(cand_t)
        metas = np.concatenate(cand_meta)
        order = np.argsort(times, kind="stable")
        times, metas = times[order], metas[order]
    else:
        times, metas = np.zeros(0), np.zeros((0, 5))

    heap: list[tuple[float, int, str, tuple[Any, ...]]] = []
    seq = 0

    def push(t: float, kind: str, *args: Any) -> None:
        nonlocal seq
        seq += 1
        heapq.heappush(heap, (t, seq, kind, args))

    incidents: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    progress_lost = {"s": 0.0}

    def acquire(j: _Job, t: float) -> None:
        site = S[j.site]
        missing = j.need - len(j.hosts)
        if missing > 0:
            free = np.flatnonzero((site.owner == -1) & (site.down == 0))
            if j.spec.kind == "training" and len(free) < missing:
                if j.state != "waiting":
                    j.state, j.wait_since = "waiting", t
                return
            take = free[:missing]
            site.owner[take] = J.index(j)
            j.hosts.update(int(h) for h in take)
            if j.spec.kind == "serving":
                j.pending += len(take)
                push(t + j.spec.failover_s, "serve_ready", J.index(j), len(take))
                return
        if j.spec.kind == "training":
            if j.state == "waiting":
                j.waits_s += t - j.wait_since
            j.state = "restarting"
            j.version += 1
            push(t + j.spec.restart_s, "restart_done", J.index(j), j.version)

    def interrupt(j: _Job, t: float, cause: str, failed: Sequence[int]) -> None:
        if j.spec.kind == "serving":
            return
        site = S[j.site]
        for h in failed:
            if site.down[h] > 0 and h in j.hosts:
                j.hosts.discard(h)
                site.owner[h] = -1
        if j.state == "running":
            kept = j.committed(t)
            progress_lost["s"] += (t - j.run_start) - kept
            j.progress_s += kept
        if j.state in ("running", "restarting"):
            j.interruptions += 1
            j.by_cause[cause] = j.by_cause.get(cause, 0) + 1
            j.state = "recovering"
            acquire(j, t)

    def start_repair(si: int, t: float) -> None:
        site = S[si]
        while site.free_techs > 0 and site.queue:
            rt, hosts, _cause_id, dev = site.queue.popleft()
            site.free_techs -= 1
            push(t + float(rng.exponential(rt)) if rt > 0 else t, "repair_done", si, hosts, dev)

    def fail(t: float, si: int, ci: int, dev: int) -> None:
        site = S[si]
        cause = causes_of[si][ci]
        gph = site.gph
        per = cause.per
        fm = site.model
        n_gpus = site.n_hosts * gph
        global_stop = False
        if per in ("gpu", "gpu_die", "hbm_stack"):
            units = {"gpu": 1, "gpu_die": fm.topology.gpu_dies, "hbm_stack": fm.topology.hbm_stacks}
            hosts = [dev // units[per] // gph]
        elif per in _HOST_POPS:
            per_host = {
                "host": 1,
                "nic": fm.topology.nics_per_host,
                "cpu": fm.topology.cpus_per_host,
                "dimm": fm.topology.dimms_per_host,
                "ssd": fm.topology.ssds_per_host,
                "psu": fm.topology.psus_per_host,
            }[per]
            hosts = [dev // max(per_host, 1)]
        elif per == "link":
            hosts = [(dev % n_gpus) // gph]
        elif per == "switch":
            leaves = fm.topology.leaf_switches(n_gpus)
            below = fm.topology.switch_radix // 2
            if dev < leaves:
                lo, hi = dev * below // gph, ((dev + 1) * below - 1) // gph
                hosts = list(range(lo, hi + 1)) if correlated else [lo]
            else:
                hosts, global_stop = [], correlated
        else:  # rack, nvswitch_tray
            rack = dev if per == "rack" else dev // max(fm.topology.nvswitch_trays_per_rack, 1)
            hpr = max(fm.topology.gpus_per_rack // gph, 1)
            hosts = list(range(rack * hpr, (rack + 1) * hpr)) if correlated else [rack * hpr]
        hosts = [h for h in hosts if h < site.n_hosts]
        hit: set[int] = set()
        for h in hosts:
            o = int(site.owner[h])
            if o >= 0:
                hit.add(o)
        if global_stop:
            hit |= {k for k, j in enumerate(J) if j.site == si and j.spec.kind == "training"}
        if cause.hardware:
            for h in hosts:
                site.down[h] += 1
            site.queue.append((cause.repair_time_s, hosts, cause.id, ci * 10**12 + dev))
            start_repair(si, t)
        site.incidents_since += 1
        for k in sorted(hit):
            j = J[k]
            if j.spec.kind == "serving":
                lost = [h for h in hosts if h in j.hosts]
                for h in lost:
                    j.hosts.discard(h)
                    site.owner[h] = -1
                acquire(j, t)
            else:
                interrupt(j, t, cause.id, hosts)
        incidents.append(
            {
                "time_h": t / 3600.0,
                "site": site.spec.name,
                "cause": cause.id,
                "category": cause.category,
                "hosts_down": len(hosts) if cause.hardware else 0,
                "jobs_interrupted": len(hit),
            }
        )

    def snapshot(t: float) -> None:
        batch = []
        for si, site in enumerate(S):
            gph = site.gph
            healthy_hosts = int(np.count_nonzero(site.down == 0))
            train_run = sum(
                len(j.hosts) * gph
                for j in J
                if j.site == si and j.spec.kind == "training" and j.state == "running"
            )
            serve_active = sum(
                (len(j.hosts) - j.pending) * gph
                for j in J
                if j.site == si and j.spec.kind == "serving"
            )
            running_jobs = sum(1 for j in J if j.site == si and j.state == "running")
            waiting = sum(1 for j in J if j.site == si and j.state == "waiting")
            healthy = healthy_hosts * gph
            idle = max(healthy - train_run - serve_active, 0)
            tdp = _tdp(cat, site.spec.accelerator)
            it_w = tdp * host_pf * (train_run + serve_pf * serve_active + idle_pf * idle)
            useful = sum(
                len(j.hosts) * gph * j.spec.interval_s / (j.spec.interval_s + j.spec.checkpoint_s)
                for j in J
                if j.site == si and j.spec.kind == "training" and j.state == "running"
            )
            total = site.n_hosts * gph
            row = {
                "time_h": t / 3600.0,
                "site": site.spec.name,
                "healthy_gpus": healthy,
                "down_gpus": total - healthy,
                "training_gpus_running": train_run,
                "serving_gpus_active": serve_active,
                "running_jobs": running_jobs,
                "waiting_jobs": waiting,
                "repair_queue": len(site.queue),
                "goodput": (useful + serve_active) / total,
                "it_power_w": it_w,
                "facility_power_w": it_w * site.spec.pue,
                "incidents": site.incidents_since,
            }
            site.incidents_since = 0
            batch.append(row)
        rows.extend(batch)
        if on_step is not None:
            on_step(pd.DataFrame(batch), _summaries(t))

    def _summaries(t: float) -> list[dict[str, Any]]:
        out = []
        for j in J:
            elapsed = max(t, 1e-9)
            if j.spec.kind == "training":
                prog = j.progress_s + j.committed(t)
                out.append(
                    {
                        "name": j.spec.name,
                        "kind": "training",
                        "site": j.spec.site,
                        "gpus": j.spec.gpus,
                        "state": j.state,
                        "interruptions": j.interruptions,
                        "planned": j.planned,
                        "by_cause": dict(sorted(j.by_cause.items(), key=lambda kv: -kv[1])),
                        "ettr": prog / elapsed,
                        "progress_h": prog / 3600.0,
                        "wait_h": j.waits_s / 3600.0,
                    }
                )
            else:
                out.append(
                    {
                        "name": j.spec.name,
                        "kind": "serving",
                        "site": j.spec.site,
                        "gpus": j.spec.gpus,
                        "state": "serving",
                        "active_gpus": (len(j.hosts) - j.pending) * S[j.site].gph,
                        "availability": j.progress_s / elapsed / max(j.need, 1),
                    }
                )
        return out

    # -- initial placement: jobs in order, then sampling and planned stops ----------------
    for j in J:
        acquire(j, 0.0)
        if j.spec.kind == "training" and j.state == "restarting":
            j.state, j.run_start = "running", 0.0
            j.version += 1
        if j.spec.kind == "serving":
            j.pending = 0
        if j.spec.planned_per_day > 0:
            push(
                float(rng.exponential(SECONDS_PER_DAY / j.spec.planned_per_day)),
                "planned",
                J.index(j),
            )
    serve_last = 0.0
    heap = [e for e in heap if e[2] != "serve_ready"]
    heapq.heapify(heap)
    k = 1
    while k * step_s <= horizon + 1e-9:
        push(k * step_s, "sample")
        k += 1

    def serving_accrue(t: float) -> None:
        nonlocal serve_last
        dt = t - serve_last
        for j in J:
            if j.spec.kind == "serving":
                j.progress_s += dt * (len(j.hosts) - j.pending)
        serve_last = t

    fi = 0
    nf = len(times)
    while True:
        next_fail = times[fi] if fi < nf else math.inf
        next_evt = heap[0][0] if heap else math.inf
        t = min(next_fail, next_evt)
        if t > horizon or t == math.inf:
            break
        serving_accrue(t)
        if next_fail <= next_evt:
            si, ci, dev, hmax, u = metas[fi]
            fi += 1
            si_i, ci_i, dev_i = int(si), int(ci), int(dev)
            if hmax > 1.0:
                site = S[si_i]
                since = site.replaced.get((ci_i, dev_i))
                age = (
                    t - since
                    if since is not None
                    else (site.spec.fleet_age_years or 0.0) * SECONDS_PER_YEAR + t
                )
                if u * hmax > float(site.model.aging.factor(age)):
                    continue
            fail(t, si_i, ci_i, dev_i)
            continue
        _, _, kind, args = heapq.heappop(heap)
        if kind == "sample":
            snapshot(t)
        elif kind == "restart_done":
            j = J[args[0]]
            if j.version == args[1] and j.state == "restarting":
                j.state, j.run_start = "running", t
        elif kind == "repair_done":
            si, hosts, dev = args
            site = S[si]
            for h in hosts:
                site.down[h] -= 1
            site.replaced[(dev // 10**12, dev % 10**12)] = t
            site.free_techs += 1
            start_repair(si, t)
            for j in J:
                if j.site == si and (j.state == "waiting" or j.spec.kind == "serving"):
                    acquire(j, t)
        elif kind == "serve_ready":
            j = J[args[0]]
            j.pending = max(0, j.pending - int(args[1]))
        elif kind == "planned":
            j = J[args[0]]
            if j.state == "running":
                j.progress_s += j.computed(t)
                j.planned += 1
                j.state = "restarting"
                j.version += 1
                push(t + j.spec.restart_s, "restart_done", args[0], j.version)
            push(
                t + float(rng.exponential(SECONDS_PER_DAY / j.spec.planned_per_day)),
                "planned",
                args[0],
            )
    serving_accrue(horizon)
    summaries = _summaries(horizon)
    ts = pd.DataFrame(rows)
    inc = pd.DataFrame(
        incidents, columns=["time_h", "site", "cause", "category", "hosts_down", "jobs_interrupted"]
    )
    return OpsResult(ts, inc, summaries, days, seed)


def _tdp(catalog: Catalog, accelerator: str) -> float:
    value = catalog.accelerator(accelerator).value("tdp")
    return float(value) if value else 700.0
