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
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from gigawatt.bom import average_it_power_w, build_line
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

if TYPE_CHECKING:
    from gigawatt.plan import Plan

JobKind = Literal["training", "serving"]
_HOST_POPS = {"host", "nic", "cpu", "dimm", "ssd", "psu"}
UNSITED = "unsited"  # the plan's name for accelerators on no modelled site
# shortest checkpoint interval simulated: the closed form's optimum can be seconds, far below
# what a job commits in practice; interruptions, not checkpoint cadence, drive the simulation
MIN_INTERVAL_S = 60.0


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
    it_power_w: float | None = None  # design IT at full load (the plan's); None: from the BOM
    plan_site: str | None = None  # the plan's site this stands for (one per accelerator type)


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


@dataclass
class _Pool:
    """Accelerators of one type the plan places on one site, and how many jobs took."""

    site: str
    accelerator: str
    accelerators: float
    kind: str
    pue: float
    free: float
    it_power_w: float


def _pools(plan: Plan) -> list[_Pool]:
    """One pool per (site, accelerator type) of the allocation (all quarters: the fleet the
    plan builds), in the sites' listed order, ``unsited`` last."""
    alloc = plan.tables["allocation"]
    sites = plan.tables.get("sites", pd.DataFrame(columns=["site", "kind", "pue"]))
    order = [str(s) for s in sites["site"]]
    info = {str(r.site): (str(r.kind), float(r.pue)) for r in sites.itertuples()}
    unsited = plan.headline.get("unsited") or {}
    unsited_pue = (
        float(unsited["facility_power_w"]) / float(unsited["it_power_w"])
        if unsited.get("it_power_w")
        else float(plan.headline.get("pue") or 1.0)
    )
    placed = alloc.groupby(["site", "accelerator"], sort=False)[["accelerators", "it_w"]].sum()
    rank = {name: i for i, name in enumerate(order)}
    keys = sorted(placed.index, key=lambda k: rank.get(str(k[0]), len(rank)))
    out = []
    for site, acc in keys:
        n, it_w = (float(v) for v in placed.loc[(site, acc)])
        if n < 1:
            continue
        kind, pue = info.get(str(site), ("land", unsited_pue))
        out.append(_Pool(str(site), str(acc), n, kind, pue, n, it_w))
    return out


def _place(pools: list[_Pool], name: str, accelerator: str, gpus: int) -> _Pool:
    """The first pool of the job's type with enough free accelerators; else the largest
    free one of that type (the plan's BOM holds every workload, so this is rounding)."""
    same = [p for p in pools if p.accelerator == accelerator]
    if not same:
        raise InputError(
            [Problem(f"plan job {name}", "accelerator", f"{accelerator!r} is in no site's fleet")]
        )
    pool = next((p for p in same if p.free + 0.5 >= gpus), max(same, key=lambda p: p.free))
    pool.free -= gpus
    return pool


def ops_inputs_from_plan(plan: Plan, catalog: Catalog) -> tuple[list[SimSite], list[SimJob]]:
    """Sites and jobs of the plan's own fleet.

    Sites: one per (site, accelerator type) of the plan's allocation, named as the plan's site
    (``site accelerator`` where a site holds several types), with its kind, PUE and the IT
    power the plan places there. Jobs: every training run (its reliability figures:
    checkpoint interval, blocking part, lag, restart, planned stops) and every service, in
    that order, each placed on the first site (in the plan's listed order, ``unsited`` last)
    with enough accelerators of its type still free. Modelled sites are simulated whole (idle
    capacity fails and is repaired too); the ``unsited`` accelerators (on no modelled site,
    no failure conditions known) are simulated only as far as jobs run on them: such a site
    holds just those jobs' accelerators, at the plan's unsited PUE, so a multi-million
    programme costs only its sited fleet.
    """
    pools = _pools(plan)
    jobs: list[SimJob] = []
    for run in plan.training:
        pool = _place(pools, run.name, run.accelerator, run.n_gpus)
        rel = run.reliability.job if run.reliability is not None else None
        jobs.append(
            SimJob(run.name, _key(pool), run.n_gpus, "training")
            if rel is None
            else SimJob(
                run.name,
                _key(pool),
                run.n_gpus,
                "training",
                interval_s=max(rel.interval_s, MIN_INTERVAL_S),
                checkpoint_s=rel.checkpoint_blocking_s,
                lag_s=rel.checkpoint_lag_s,
                restart_s=rel.restart_s,
                planned_per_day=rel.planned_per_day,
            )
        )
    services = plan.tables.get("services")
    for r in services.itertuples() if services is not None else []:
        n = math.ceil(float(r.accelerators))
        pool = _place(pools, str(r.workload), str(r.accelerator), n)
        jobs.append(SimJob(str(r.workload), _key(pool), n, "serving"))
    for p in pools:
        catalog.accelerator(p.accelerator)  # a plan made with another catalog fails here
    return _sites_of(pools, jobs)


def _key(pool: _Pool) -> str:
    return f"{pool.site}|{pool.accelerator}"


def _sites_of(pools: list[_Pool], jobs: list[SimJob]) -> tuple[list[SimSite], list[SimJob]]:
    """Name the pools (plan site, plus the type where a site holds several) and re-point the
    jobs at those names; unsited pools shrink to the jobs they carry (dropped if none)."""
    types: dict[str, int] = {}
    for p in pools:
        types[p.site] = types.get(p.site, 0) + 1
    sites: list[SimSite] = []
    names: dict[str, str] = {}
    for p in pools:
        key = _key(p)
        need = sum(j.gpus for j in jobs if j.site == key)
        n, it_w = p.accelerators, p.it_power_w
        if p.site == UNSITED:
            if need == 0:
                continue
            n, it_w = need, it_w * need / p.accelerators
        gpus = max(round(n), need, 1)
        it_w *= gpus / n if gpus > round(n) else 1.0  # the plan's IT, unless jobs overflow it
        name = p.site if types[p.site] == 1 else f"{p.site} {p.accelerator}"
        names[key] = name
        sites.append(
            SimSite(name, p.accelerator, gpus, p.kind, p.pue, it_power_w=it_w, plan_site=p.site)
        )
    return sites, [replace(j, site=names[j.site]) for j in jobs]


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
    serve_util = float(ops.q("serving_power_fraction").get())
    levels = [np.asarray(power_levels_w(spec, cat, serve_util)) for spec in sites]

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
            it_w = float(np.dot(levels[si], (train_run, serve_active, idle)))
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


def power_levels_w(
    site: SimSite, catalog: Catalog, serving_utilisation: float
) -> tuple[float, float, float]:
    """IT watts per accelerator of a site when training, serving and idle, from the bill of
    materials (the plan's one IT power): training draws the design (full-load) power, serving
    and idle the POLCA average at ``serving_utilisation`` and at zero utilisation; a site with
    the plan's ``it_power_w`` is scaled to it, so full load reproduces the plan exactly."""
    line = build_line(site.name, site.accelerator, float(site.gpus), catalog)
    design_w = line.it_power_per_accelerator_w
    full_w = site.it_power_w / site.gpus if site.it_power_w is not None else design_w
    scale = full_w / design_w if design_w > 0 else 0.0
    serve_w = float(average_it_power_w(line, catalog, serving_utilisation).it_power_w)
    idle_w = float(average_it_power_w(line, catalog, 0.0).it_power_w)
    n = max(line.accelerators, 1.0)
    return full_w, serve_w / n * scale, idle_w / n * scale


def site_it_power_w(
    site: SimSite,
    catalog: Catalog,
    training_gpus: float,
    serving_gpus: float = 0.0,
    idle_gpus: float = 0.0,
    serving_utilisation: float | None = None,
) -> float:
    """IT power of a site with so many accelerators training, serving and idle (down ones
    draw nothing): the figure each time step of :func:`simulate` reports."""
    util = serving_utilisation
    if util is None:
        util = float(operations_defaults(catalog).q("serving_power_fraction").get())
    full_w, serve_w, idle_w = power_levels_w(site, catalog, util)
    return full_w * training_gpus + serve_w * serving_gpus + idle_w * idle_gpus
