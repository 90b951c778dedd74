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
    JobReliability,
    failure_model,
    operations_defaults,
)
from gigawatt.schema.economics import UNSITED_TRANCHE

if TYPE_CHECKING:
    from gigawatt.plan import Plan

JobKind = Literal["training", "serving"]
_HOST_POPS = {"host", "nic", "cpu", "dimm", "ssd", "psu"}
UNSITED = UNSITED_TRANCHE  # the plan's name for accelerators on no modelled site
# shortest checkpoint interval simulated: the closed form's optimum can be seconds, far below
# what a job commits in practice; interruptions, not checkpoint cadence, drive the simulation
MIN_INTERVAL_S = 60.0
_DEV = 10**12  # packs (cause, device) into one repair-queue key: cause * _DEV + device


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
    index: int = 0  # position in the job list (the owner id of its hosts)
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


def training_job(name: str, site: str, n_gpus: int, rel: JobReliability | None) -> SimJob:
    """A training job with the checkpoint interval, blocking time, lag, restart and planned
    stops of its reliability plan (the simulation's defaults without one)."""
    if rel is None:
        return SimJob(name, site, n_gpus, "training")
    return SimJob(
        name,
        site,
        n_gpus,
        "training",
        interval_s=max(rel.interval_s, MIN_INTERVAL_S),
        checkpoint_s=rel.checkpoint_blocking_s,
        lag_s=rel.checkpoint_lag_s,
        restart_s=rel.restart_s,
        planned_per_day=rel.planned_per_day,
    )


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
        jobs.append(training_job(run.name, _key(pool), run.n_gpus, rel))
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


def _build_sites(sites: Sequence[SimSite], cat: Catalog) -> list[_Site]:
    """Hosts of each site and its repair crews (default: twice the mean number of concurrent
    repairs, so the queue stays stable)."""
    out = []
    for spec in sites:
        fm = failure_model(
            spec.accelerator, cat, Conditions(spec.type, spec.temperature_c, spec.fleet_age_years)
        )
        gph = fm.topology.gpus_per_host
        n_hosts = math.ceil(spec.gpus / gph)
        busy = float(fm.job_failure_rate(spec.gpus)) * float(fm.hardware_fraction(spec.gpus))
        busy *= fm.mean_repair_time_s(spec.gpus)
        techs = spec.technicians or max(4, math.ceil(2.0 * busy))
        owner = np.full(n_hosts, -1, dtype=np.int64)
        out.append(_Site(spec, fm, n_hosts, gph, owner, np.zeros(n_hosts, dtype=np.int64), techs))
    return out


def _candidates(
    S: Sequence[_Site], horizon: float, rng: np.random.Generator, aging: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Candidate failures, time-sorted: a Poisson process per cause and population at the
    peak of its bathtub hazard, thinned at each candidate's time (Lewis & Shedler 1979).
    Each row of the second array: site, cause, device, peak factor, uniform draw."""
    cand_t: list[np.ndarray] = []
    cand_meta: list[np.ndarray] = []
    for si, site in enumerate(S):
        fm = site.model
        counts = fm.topology.counts(site.n_hosts * site.gph)
        age0 = (site.spec.fleet_age_years or 0.0) * SECONDS_PER_YEAR
        use_age = aging and site.spec.fleet_age_years is not None
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
    if not cand_t:
        return np.zeros(0), np.zeros((0, 5))
    times = np.concatenate(cand_t)
    order = np.argsort(times, kind="stable")
    return times[order], np.concatenate(cand_meta)[order]


def _hosts_hit(site: _Site, per: str, dev: int, correlated: bool) -> tuple[list[int], bool]:
    """Hosts a failure of device ``dev`` of population ``per`` takes down, and whether it
    stops every training job of the site (a spine/core switch)."""
    topo, gph = site.model.topology, site.gph
    n_gpus = site.n_hosts * gph
    global_stop = False
    if per in ("gpu", "gpu_die", "hbm_stack"):
        units = {"gpu": 1, "gpu_die": topo.gpu_dies, "hbm_stack": topo.hbm_stacks}
        hosts = [dev // units[per] // gph]
    elif per in _HOST_POPS:
        per_host = {
            "host": 1,
            "nic": topo.nics_per_host,
            "cpu": topo.cpus_per_host,
            "dimm": topo.dimms_per_host,
            "ssd": topo.ssds_per_host,
            "psu": topo.psus_per_host,
        }[per]
        hosts = [dev // max(per_host, 1)]
    elif per == "link":
        hosts = [(dev % n_gpus) // gph]
    elif per == "switch":
        below = topo.switch_radix // 2
        if dev < topo.leaf_switches(n_gpus):
            lo, hi = dev * below // gph, ((dev + 1) * below - 1) // gph
            hosts = list(range(lo, hi + 1)) if correlated else [lo]
        else:
            hosts, global_stop = [], correlated
    else:  # rack, nvswitch_tray
        rack = dev if per == "rack" else dev // max(topo.nvswitch_trays_per_rack, 1)
        hpr = max(topo.gpus_per_rack // gph, 1)
        hosts = list(range(rack * hpr, (rack + 1) * hpr)) if correlated else [rack * hpr]
    return [h for h in hosts if h < site.n_hosts], global_stop


Event = tuple[float, int, str, tuple[Any, ...]]


@dataclass
class _Sim:
    """State of one simulation; the event handlers below act on it."""

    S: list[_Site]
    J: list[_Job]
    rng: np.random.Generator
    levels: list[np.ndarray]  # IT W per accelerator training / serving / idle, per site
    correlated: bool
    on_step: Callable[[pd.DataFrame, list[dict[str, Any]]], None] | None
    heap: list[Event] = field(default_factory=list)
    seq: int = 0
    incidents: list[dict[str, Any]] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    serve_last: float = 0.0

    def push(self, t: float, kind: str, *args: Any) -> None:
        self.seq += 1
        heapq.heappush(self.heap, (t, self.seq, kind, args))

    def acquire(self, j: _Job, t: float) -> None:
        """Give a job the healthy free hosts it lacks: a training job (re)starts only once it
        has them all, else it waits; a serving job takes what there is and fails over."""
        site = self.S[j.site]
        missing = j.need - len(j.hosts)
        if missing > 0:
            free = np.flatnonzero((site.owner == -1) & (site.down == 0))
            if j.spec.kind == "training" and len(free) < missing:
                if j.state != "waiting":
                    j.state, j.wait_since = "waiting", t
                return
            take = free[:missing]
            site.owner[take] = j.index
            j.hosts.update(int(h) for h in take)
            if j.spec.kind == "serving":
                j.pending += len(take)
                self.push(t + j.spec.failover_s, "serve_ready", j.index, len(take))
                return
        if j.spec.kind == "training":
            if j.state == "waiting":
                j.waits_s += t - j.wait_since
            j.state = "restarting"
            j.version += 1
            self.push(t + j.spec.restart_s, "restart_done", j.index, j.version)

    def interrupt(self, j: _Job, t: float, cause: str, failed: Sequence[int]) -> None:
        """A training job loses its failed hosts and the work since its last checkpoint."""
        site = self.S[j.site]
        for h in failed:
            if site.down[h] > 0 and h in j.hosts:
                j.hosts.discard(h)
                site.owner[h] = -1
        if j.state == "running":
            j.progress_s += j.committed(t)
        if j.state in ("running", "restarting"):
            j.interruptions += 1
            j.by_cause[cause] = j.by_cause.get(cause, 0) + 1
            j.state = "recovering"
            self.acquire(j, t)

    def start_repair(self, si: int, t: float) -> None:
        site = self.S[si]
        while site.free_techs > 0 and site.queue:
            rt, hosts, _cause_id, dev = site.queue.popleft()
            site.free_techs -= 1
            done = t + float(self.rng.exponential(rt)) if rt > 0 else t
            self.push(done, "repair_done", si, hosts, dev)

    def fail(self, t: float, si: int, ci: int, dev: int) -> None:
        """One failure: hosts down (hardware: queued for repair), jobs on them hit."""
        site = self.S[si]
        cause = site.model.causes[ci]
        hosts, global_stop = _hosts_hit(site, cause.per, dev, self.correlated)
        hit = {int(site.owner[h]) for h in hosts if site.owner[h] >= 0}
        if global_stop:
            hit |= {k for k, j in enumerate(self.J) if j.site == si and j.spec.kind == "training"}
        if cause.hardware:
            for h in hosts:
                site.down[h] += 1
            site.queue.append((cause.repair_time_s, hosts, cause.id, ci * _DEV + dev))
            self.start_repair(si, t)
        site.incidents_since += 1
        for k in sorted(hit):
            j = self.J[k]
            if j.spec.kind == "serving":
                for h in [h for h in hosts if h in j.hosts]:
                    j.hosts.discard(h)
                    site.owner[h] = -1
                self.acquire(j, t)
            else:
                self.interrupt(j, t, cause.id, hosts)
        self.incidents.append(
            {
                "time_h": t / 3600.0,
                "site": site.spec.name,
                "cause": cause.id,
                "category": cause.category,
                "hosts_down": len(hosts) if cause.hardware else 0,
                "jobs_interrupted": len(hit),
            }
        )

    def rejected(self, t: float, meta: np.ndarray) -> bool:
        """Thinning: a candidate failure of an aging device is kept with probability
        hazard(age) / peak hazard (a replaced part is new again)."""
        si, ci, dev, hmax, u = meta
        if hmax <= 1.0:
            return False
        site = self.S[int(si)]
        since = site.replaced.get((int(ci), int(dev)))
        age0 = (site.spec.fleet_age_years or 0.0) * SECONDS_PER_YEAR
        age = t - since if since is not None else age0 + t
        return bool(u * hmax > float(site.model.aging.factor(age)))

    def accrue_serving(self, t: float) -> None:
        dt = t - self.serve_last
        for j in self.J:
            if j.spec.kind == "serving":
                j.progress_s += dt * (len(j.hosts) - j.pending)
        self.serve_last = t

    def site_row(self, t: float, si: int) -> dict[str, Any]:
        """One site at time t: GPUs by state, goodput, IT and facility power."""
        site = self.S[si]
        gph = site.gph
        mine = [j for j in self.J if j.site == si]
        running = [j for j in mine if j.spec.kind == "training" and j.state == "running"]
        train_run = sum(len(j.hosts) * gph for j in running)
        serve_active = sum(
            (len(j.hosts) - j.pending) * gph for j in mine if j.spec.kind == "serving"
        )
        healthy = int(np.count_nonzero(site.down == 0)) * gph
        idle = max(healthy - train_run - serve_active, 0)
        it_w = float(np.dot(self.levels[si], (train_run, serve_active, idle)))
        useful = sum(
            len(j.hosts) * gph * j.spec.interval_s / (j.spec.interval_s + j.spec.checkpoint_s)
            for j in running
        )
        total = site.n_hosts * gph
        return {
            "time_h": t / 3600.0,
            "site": site.spec.name,
            "healthy_gpus": healthy,
            "down_gpus": total - healthy,
            "training_gpus_running": train_run,
            "serving_gpus_active": serve_active,
            "running_jobs": sum(1 for j in mine if j.state == "running"),
            "waiting_jobs": sum(1 for j in mine if j.state == "waiting"),
            "repair_queue": len(site.queue),
            "goodput": (useful + serve_active) / total,
            "it_power_w": it_w,
            "facility_power_w": it_w * site.spec.pue,
            "incidents": site.incidents_since,
        }

    def summaries(self, t: float) -> list[dict[str, Any]]:
        return [_summary(j, t, self.S[j.site].gph) for j in self.J]


def _summary(j: _Job, t: float, gph: int) -> dict[str, Any]:
    """Per-job figures at time t: ETTR for training, availability for serving."""
    elapsed = max(t, 1e-9)
    head = {"name": j.spec.name, "kind": j.spec.kind, "site": j.spec.site, "gpus": j.spec.gpus}
    if j.spec.kind == "serving":
        return head | {
            "state": "serving",
            "active_gpus": (len(j.hosts) - j.pending) * gph,
            "availability": j.progress_s / elapsed / max(j.need, 1),
        }
    prog = j.progress_s + j.committed(t)
    return head | {
        "state": j.state,
        "interruptions": j.interruptions,
        "planned": j.planned,
        "by_cause": dict(sorted(j.by_cause.items(), key=lambda kv: -kv[1])),
        "ettr": prog / elapsed,
        "progress_h": prog / 3600.0,
        "wait_h": j.waits_s / 3600.0,
    }


# -- event handlers: one per kind, each (state, time, event arguments) ----------------------


def _on_sample(sim: _Sim, t: float, args: tuple[Any, ...]) -> None:
    batch = []
    for si, site in enumerate(sim.S):
        batch.append(sim.site_row(t, si))
        site.incidents_since = 0
    sim.rows.extend(batch)
    if sim.on_step is not None:
        sim.on_step(pd.DataFrame(batch), sim.summaries(t))


def _on_restart_done(sim: _Sim, t: float, args: tuple[Any, ...]) -> None:
    j = sim.J[args[0]]
    if j.version == args[1] and j.state == "restarting":
        j.state, j.run_start = "running", t


def _on_repair_done(sim: _Sim, t: float, args: tuple[Any, ...]) -> None:
    si, hosts, dev = args
    site = sim.S[si]
    for h in hosts:
        site.down[h] -= 1
    site.replaced[(dev // _DEV, dev % _DEV)] = t
    site.free_techs += 1
    sim.start_repair(si, t)
    for j in sim.J:
        if j.site == si and (j.state == "waiting" or j.spec.kind == "serving"):
            sim.acquire(j, t)


def _on_serve_ready(sim: _Sim, t: float, args: tuple[Any, ...]) -> None:
    j = sim.J[args[0]]
    j.pending = max(0, j.pending - int(args[1]))


def _on_planned(sim: _Sim, t: float, args: tuple[Any, ...]) -> None:
    """A planned stop: checkpoint everything, one restart; the next stop is drawn."""
    j = sim.J[args[0]]
    if j.state == "running":
        j.progress_s += j.computed(t)
        j.planned += 1
        j.state = "restarting"
        j.version += 1
        sim.push(t + j.spec.restart_s, "restart_done", args[0], j.version)
    gap = float(sim.rng.exponential(SECONDS_PER_DAY / j.spec.planned_per_day))
    sim.push(t + gap, "planned", args[0])


HANDLERS: dict[str, Callable[[_Sim, float, tuple[Any, ...]], None]] = {
    "sample": _on_sample,
    "restart_done": _on_restart_done,
    "repair_done": _on_repair_done,
    "serve_ready": _on_serve_ready,
    "planned": _on_planned,
}


def _start(sim: _Sim, horizon: float, step_s: float) -> None:
    """Initial placement, jobs in order (running at t=0, no fail-over), first planned stops
    and the sampling events."""
    for j in sim.J:
        sim.acquire(j, 0.0)
        if j.spec.kind == "training" and j.state == "restarting":
            j.state, j.run_start = "running", 0.0
            j.version += 1
        if j.spec.kind == "serving":
            j.pending = 0
        if j.spec.planned_per_day > 0:
            gap = float(sim.rng.exponential(SECONDS_PER_DAY / j.spec.planned_per_day))
            sim.push(gap, "planned", j.index)
    sim.heap = [e for e in sim.heap if e[2] != "serve_ready"]
    heapq.heapify(sim.heap)
    k = 1
    while k * step_s <= horizon + 1e-9:
        sim.push(k * step_s, "sample")
        k += 1


def _run(sim: _Sim, times: np.ndarray, metas: np.ndarray, horizon: float) -> None:
    """The event core: merge the sorted failure candidates with the event heap, in time
    order (a failure first on a tie), and dispatch each event to its handler."""
    fi, nf = 0, len(times)
    while True:
        next_fail = times[fi] if fi < nf else math.inf
        next_evt = sim.heap[0][0] if sim.heap else math.inf
        t = min(next_fail, next_evt)
        if t > horizon or t == math.inf:
            break
        sim.accrue_serving(t)
        if next_fail <= next_evt:
            meta = metas[fi]
            fi += 1
            if not sim.rejected(t, meta):
                sim.fail(t, int(meta[0]), int(meta[1]), int(meta[2]))
            continue
        _, _, kind, args = heapq.heappop(sim.heap)
        HANDLERS[kind](sim, t, args)
    sim.accrue_serving(horizon)


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
    rng = np.random.default_rng(seed)
    horizon = days * SECONDS_PER_DAY
    serve_util = float(operations_defaults(cat).q("serving_power_fraction").get())
    levels = [np.asarray(power_levels_w(spec, cat, serve_util)) for spec in sites]
    S = _build_sites(sites, cat)
    site_index = {s.spec.name: i for i, s in enumerate(S)}
    J = []
    for k, job_spec in enumerate(jobs):
        si = site_index[job_spec.site]
        J.append(_Job(job_spec, si, math.ceil(job_spec.gpus / S[si].gph), index=k))
    times, metas = _candidates(S, horizon, rng, aging)
    sim = _Sim(S, J, rng, levels, correlated, on_step)
    _start(sim, horizon, step_s)
    _run(sim, times, metas, horizon)
    inc = pd.DataFrame(
        sim.incidents,
        columns=["time_h", "site", "cause", "category", "hosts_down", "jobs_interrupted"],
    )
    return OpsResult(pd.DataFrame(sim.rows), inc, sim.summaries(horizon), days, seed)


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
