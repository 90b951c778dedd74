"""The heavy half of `gigawatt ops`: the fleet to simulate (sites and jobs of a scenario) and
the control-centre view. Imported only when the command runs, so that start-up and help stay
fast (it pulls in pandas and the simulation)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from rich.console import Group
from rich.live import Live
from rich.table import Table

from gigawatt.catalog import load_catalog
from gigawatt.commands.reliability import DEFAULT_SECTION
from gigawatt.console import out
from gigawatt.errors import InputError, Problem
from gigawatt.ops import OpsResult, SimJob, SimSite, simulate
from gigawatt.reliability import SECONDS_PER_DAY, ReliabilitySection


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
    # an explicit section wins; then the scenario's own section; then the shipped default
    if section_path is not None:
        sec = _load_section(section_path)
    elif scenario.reliability is not None:
        sec = scenario.reliability
    else:
        sec = _load_section(DEFAULT_SECTION)
    sites: dict[str, SimSite] = {
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
    jobs: list[SimJob] = []
    from gigawatt.reliability import plan_reliability

    for run in scenario.training:
        n = run.gpus
        if n is None:
            from gigawatt.perf.system import get_system
            from gigawatt.training_plan import plan_training_run

            model = scenario.resolve_model(run, cat)
            if run.seq_len:
                model = model.with_(seq_len=run.seq_len)
            system = get_system(run.accelerator, cat, oversubscription=run.oversubscription)
            n = plan_training_run(run, model, system, cat).n_gpus
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
        jobs.append(
            SimJob(
                run.name,
                site_name,
                n,
                "training",
                interval_s=max(rel.interval_s, 60.0),
                checkpoint_s=rel.checkpoint_blocking_s,
                lag_s=rel.checkpoint_lag_s,
                restart_s=rel.restart_s,
                planned_per_day=rel.planned_per_day,
            )
        )
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
    # sites must hold their jobs
    for name, site in list(sites.items()):
        need = sum(j.gpus for j in jobs if j.site == name)
        if site.gpus < need:
            sites[name] = SimSite(
                site.name,
                site.accelerator,
                math.ceil(need * 1.02),
                site.type,
                site.pue,
                site.technicians,
                site.temperature_c,
                site.fleet_age_years,
            )
    _ = SECONDS_PER_DAY
    return list(sites.values()), jobs
