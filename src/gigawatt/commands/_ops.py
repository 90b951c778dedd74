"""The heavy half of `gigawatt ops`: the fleet to simulate (sites and jobs of a scenario) and
the control-centre view. Imported only when the command runs, so that start-up and help stay
fast (it pulls in pandas and the simulation)."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import yaml
from rich.console import Group
from rich.live import Live
from rich.table import Table

from gigawatt.catalog import Catalog, load_catalog
from gigawatt.commands.reliability import DEFAULT_SECTION
from gigawatt.console import out
from gigawatt.errors import InputError, Problem
from gigawatt.ops import OpsResult, SimJob, SimSite, simulate
from gigawatt.reliability import ReliabilitySection

if TYPE_CHECKING:
    from gigawatt.scenario import Scenario, TrainingRun


def run(
    sites: list[SimSite], jobs: list[SimJob], days: float, seed: int, step_s: float, live: bool
) -> OpsResult:
    """Simulate the fleet; with ``live``, redraw the control-centre view as it runs."""
    if not live:
        return simulate(sites, jobs, days, seed=seed, step_s=step_s)
    frames: list[pd.DataFrame] = []
    state: dict[str, Any] = {"jobs": [], "t": 0.0}

    def render() -> Group:
        return dashboard(frames[-1] if frames else None, state["jobs"], state["t"], days)

    with Live(render(), console=out, refresh_per_second=8, transient=False) as view:

        def on_step(frame: pd.DataFrame, summaries: list[dict[str, Any]]) -> None:
            frames.append(frame)
            state["jobs"], state["t"] = summaries, float(frame["time_h"].iloc[0])
            if len(frames) % 6 == 0:
                view.update(render())

        result = simulate(sites, jobs, days, seed=seed, step_s=step_s, on_step=on_step)
        state["jobs"], state["t"] = result.jobs, days * 24
        view.update(render())
    return result


def final_view(result: OpsResult, n_sites: int, days: float) -> Group:
    """The control-centre view at the end of a simulation run without the live view."""
    return dashboard(result.timeseries.tail(n_sites), result.jobs, days * 24, days)


def dashboard(
    frame: pd.DataFrame | None, jobs: list[dict[str, Any]], t_h: float, days: float
) -> Group:
    sites = Table(title=f"control centre: day {t_h / 24:.1f} of {days:g}")
    for col in ("site", "healthy GPUs", "down", "repair queue", "goodput", "facility MW", "incid."):
        sites.add_column(col, justify="left" if col == "site" else "right")
    if frame is not None:
        for r in frame.itertuples():
            sites.add_row(
                str(r.site),
                f"{r.healthy_gpus:,}",
                f"{r.down_gpus:,}",
                f"{r.repair_queue}",
                f"{r.goodput:.1%}",
                f"{r.facility_power_w / 1e6:,.1f}",
                f"{r.incidents}",
            )
    table = Table(title="jobs")
    for col in ("job", "site", "GPUs", "state", "interruptions", "ETTR / availability"):
        table.add_column(col, justify="left" if col in ("job", "site", "state") else "right")
    for j in jobs:
        if j["kind"] == "training":
            metric = f"{j['ettr']:.3f}"
            n = str(j["interruptions"])
        else:
            metric = f"{j['availability']:.4f}"
            n = "-"
        table.add_row(j["name"], j["site"], f"{j['gpus']:,}", j["state"], n, metric)
    return Group(sites, table)


def _load_section(path: Path) -> ReliabilitySection:
    if not path.is_file():
        raise InputError([Problem(str(path), "-", "file not found")])
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise InputError([Problem(str(path), "-", f"not valid YAML: {exc}")]) from None
    data = raw.get("reliability", raw) if isinstance(raw, dict) else raw
    from pydantic import ValidationError

    try:
        return ReliabilitySection.model_validate(data)
    except ValidationError as exc:
        raise InputError(
            [Problem(str(path), ".".join(str(x) for x in e["loc"]), e["msg"]) for e in exc.errors()]
        ) from None


# a site given too few accelerators for its jobs is grown to hold them with this margin
SITE_HEADROOM = 1.02


def _what_if_section(scenario: Scenario, section_path: Path | None) -> ReliabilitySection:
    """An explicit section wins; then the scenario's own section; then the shipped default."""
    if section_path is not None:
        return _load_section(section_path)
    if scenario.reliability is not None:
        return scenario.reliability
    return _load_section(DEFAULT_SECTION)


def _section_sites(sec: ReliabilitySection) -> dict[str, SimSite]:
    return {
        s.name: SimSite(
            s.name,
            s.accelerator,
            s.gpus,
            s.type,
            s.pue,
            s.technicians,
            s.temperature_c,
            s.fleet_age_years,
        )
        for s in sec.sites
    }


def _run_gpus(scenario: Scenario, run: TrainingRun, cat: Catalog) -> int:
    """A run's GPU count: as given, or the smallest cluster the plan finds for its deadline."""
    if run.gpus is not None:
        return run.gpus
    from gigawatt.perf.system import get_system
    from gigawatt.training_plan import plan_training_run

    model = scenario.resolve_model(run, cat)
    if run.seq_len:
        model = model.with_(seq_len=run.seq_len)
    system = get_system(run.accelerator, cat, oversubscription=run.oversubscription)
    return plan_training_run(run, model, system, cat).n_gpus


def _training_jobs(
    scenario: Scenario, sec: ReliabilitySection, sites: dict[str, SimSite], cat: Catalog
) -> list[SimJob]:
    """Each training run on the first site of its accelerator (or a site of its own)."""
    from gigawatt.ops import training_job
    from gigawatt.reliability import plan_reliability

    jobs = []
    for run in scenario.training:
        n = _run_gpus(scenario, run, cat)
        model = scenario.resolve_model(run, cat)
        rel = plan_reliability(run.name, model, run.accelerator, n, sec, cat).job
        site_name = next((s.name for s in sites.values() if s.accelerator == run.accelerator), None)
        if site_name is None:
            site_name = f"{run.name}-site"
            sites[site_name] = SimSite(
                site_name,
                run.accelerator,
                n + math.ceil(n * max(sec.spare_fraction, 0.0)),
                sec.site,
                temperature_c=sec.temperature_c,
                fleet_age_years=sec.fleet_age_years,
            )
        jobs.append(training_job(run.name, site_name, n, rel))
    return jobs


def _service_jobs(sec: ReliabilitySection, sites: dict[str, SimSite]) -> list[SimJob]:
    jobs = []
    for svc in sec.services:
        if svc.site not in sites:
            raise InputError(
                [
                    Problem(
                        "reliability section", f"services.{svc.name}.site", f"{svc.site!r} unknown"
                    )
                ]
            )
        jobs.append(SimJob(svc.name, svc.site, svc.gpus, "serving", failover_s=svc.failover_s))
    return jobs


def _holding(sites: dict[str, SimSite], jobs: list[SimJob]) -> list[SimSite]:
    """The sites, each grown where needed to hold the accelerators of its jobs."""
    held = []
    for name, site in sites.items():
        need = sum(j.gpus for j in jobs if j.site == name)
        grown = math.ceil(need * SITE_HEADROOM)
        held.append(site if site.gpus >= need else dataclasses.replace(site, gpus=grown))
    return held


def ops_inputs(file: Path, section_path: Path | None) -> tuple[list[SimSite], list[SimJob]]:
    """Sites and jobs of the ops simulation: the plan's own fleet (its sites, training runs
    and services) when the scenario plans one; otherwise, or with an explicit what-if
    section, training runs of the scenario (sized by their ``gpus``, or by the plan when they
    give a deadline) plus the section's sites/services."""
    from gigawatt.ops import ops_inputs_from_plan
    from gigawatt.plan import plan
    from gigawatt.scenario import load_scenario

    cat = load_catalog()
    scenario = load_scenario(file, cat)
    if section_path is None:
        planned = plan(scenario, cat)
        alloc = planned.tables.get("allocation")
        if alloc is not None and not alloc.empty:
            return ops_inputs_from_plan(planned, cat)
    sec = _what_if_section(scenario, section_path)
    sites = _section_sites(sec)
    jobs = _training_jobs(scenario, sec, sites, cat)
    jobs += _service_jobs(sec, sites)
    return _holding(sites, jobs), jobs
