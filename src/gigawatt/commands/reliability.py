"""`gigawatt reliability` (closed form for one job) and `gigawatt ops` (fleet simulation with a
live control-centre view)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
import yaml
from rich.console import Group
from rich.live import Live
from rich.table import Table

from gigawatt.catalog import load_catalog
from gigawatt.console import emit_json, friendly, out
from gigawatt.errors import InputError, Problem
from gigawatt.ops import SimJob, SimSite, simulate
from gigawatt.reliability import (
    SECONDS_PER_DAY,
    Conditions,
    ReliabilitySection,
    job_reliability,
)
from gigawatt.workload import get_model

DEFAULT_SECTION = Path("scenarios") / "sections" / "reliability.yaml"
DEFAULT_OUT = Path("out") / "ops-timeseries.csv"


def register(app: typer.Typer) -> None:
    @app.command("reliability")
    @friendly
    def reliability_cmd(
        gpu: str = typer.Option("h100-sxm", "--gpu", help="accelerator id from the catalog"),
        gpus: int = typer.Option(16384, "--gpus", help="GPUs in the job"),
        days: float = typer.Option(54.0, "--days", help="job duration for expected counts"),
        model: str | None = typer.Option(
            None, "--model", help="catalog model id: sizes the checkpoint"
        ),
        site: str = typer.Option("land", "--site", help="land, subsea or floating"),
        age_years: float | None = typer.Option(None, "--age-years", help="fleet age"),
        temperature_c: float | None = typer.Option(None, "--temperature-c", help="die degC"),
        sync: bool = typer.Option(False, "--sync", help="synchronous (blocking) checkpoints"),
        spare_fraction: float = typer.Option(0.02, "--spare-fraction", help="hot spare hosts"),
        min_interval_s: float = typer.Option(
            0.0, "--min-interval-s", help="shortest checkpoint interval (one training step)"
        ),
        json_out: bool = typer.Option(False, "--json", help="print one JSON object"),
    ) -> None:
        """Expected interruptions by cause, job MTTF and ETTR at the best checkpoint interval."""
        cat = load_catalog()
        m = get_model(model, cat) if model else None
        job = job_reliability(
            gpu,
            gpus,
            days,
            m,
            conditions=Conditions(site, temperature_c, age_years),
            catalog=cat,
            async_checkpoint=not sync,
            spare_fraction=spare_fraction,
            min_interval_s=min_interval_s,
        )
        if json_out:
            emit_json(job.to_dict())
            return
        table = Table(title=f"{gpus:,} x {gpu}, {days:g} days ({job.topology}, {site})")
        table.add_column("cause")
        table.add_column("expected", justify="right")
        table.add_column("share", justify="right")
        total = job.interruptions
        for cause, n in sorted(job.interruptions_by_cause.items(), key=lambda kv: -kv[1]):
            if n > 0:
                table.add_row(cause, f"{n:,.1f}", f"{n / total:.1%}")
        table.add_row("[bold]total[/]", f"[bold]{total:,.1f}[/]", "100%")
        out.print(table)
        out.print(
            f"job MTTF {job.mttf_s / 3600:.2f} h ({job.interruptions_per_day:.2f}/day); "
            f"checkpoint {job.checkpoint_bytes / 1e12:.2f} TB, write {job.checkpoint_write_s:.1f} s"
            f", blocking {job.checkpoint_blocking_s:.3g} s; restart {job.restart_s / 60:.1f} min"
            f" + spare wait {job.spare_wait_s / 60:.2f} min"
        )
        out.print(
            f"best checkpoint interval {job.interval_s / 60:.2f} min (Young "
            f"{job.young_interval_s / 60:.2f} min) -> ETTR {job.ettr:.3f} "
            f"(unplanned only {job.ettr_unplanned:.3f}); time to train x{job.time_factor:.3f}"
        )
        for note in job.notes:
            out.print(f"note: {note}")

    @app.command("ops")
    @friendly
    def ops_cmd(
        file: Annotated[Path, typer.Argument(help="scenario YAML (training runs become jobs)")],
        days: Annotated[float, typer.Option("--days", help="simulated days")] = 30.0,
        section: Annotated[
            Path | None, typer.Option("--section", help=f"ops assumptions ({DEFAULT_SECTION})")
        ] = None,
        out_csv: Annotated[
            Path, typer.Option("--out", help="time series CSV to write")
        ] = DEFAULT_OUT,
        seed: Annotated[int, typer.Option("--seed")] = 0,
        step_h: Annotated[float, typer.Option("--step-h", help="sampling step in hours")] = 1.0,
        live: Annotated[bool, typer.Option("--live/--no-live", help="live dashboard")] = True,
        json_out: Annotated[bool, typer.Option("--json", help="print one JSON summary")] = False,
    ) -> None:
        """Simulate the fleet of a scenario (failures, repairs, spares, jobs, power) with a
        live control-centre view; writes the time series per site as CSV."""
        if not (step_h > 0 and math.isfinite(step_h)):
            raise InputError([Problem("--step-h", "-", "must be > 0")])
        sites, jobs = ops_inputs(file, section)
        frames: list[pd.DataFrame] = []
        state: dict[str, Any] = {"jobs": [], "t": 0.0}

        def render() -> Group:
            return _dashboard(frames[-1] if frames else None, state["jobs"], state["t"], days)

        if live and not json_out:
            with Live(render(), console=out, refresh_per_second=8, transient=False) as view:

                def on_step(frame: pd.DataFrame, summaries: list[dict[str, Any]]) -> None:
                    frames.append(frame)
                    state["jobs"], state["t"] = summaries, float(frame["time_h"].iloc[0])
                    if len(frames) % 6 == 0:
                        view.update(render())

                result = simulate(
                    sites, jobs, days, seed=seed, step_s=step_h * 3600, on_step=on_step
                )
                state["jobs"], state["t"] = result.jobs, days * 24
                view.update(render())
        else:
            result = simulate(sites, jobs, days, seed=seed, step_s=step_h * 3600)
        out_csv.parent.mkdir(parents=True, exist_ok=True)
        result.timeseries.to_csv(out_csv, index=False)
        incidents_csv = out_csv.with_name(out_csv.stem + "-incidents.csv")
        result.incidents.to_csv(incidents_csv, index=False)
        if json_out:
            emit_json(
                {
                    "days": days,
                    "seed": seed,
                    "timeseries_csv": str(out_csv),
                    "incidents_csv": str(incidents_csv),
                    "incidents": len(result.incidents),
                    "jobs": result.jobs,
                    "sites": [s.__dict__ for s in sites],
                }
            )
            return
        if not live:
            out.print(_dashboard(result.timeseries.tail(len(sites)), result.jobs, days * 24, days))
        out.print(f"wrote {out_csv} ({len(result.timeseries)} rows) and {incidents_csv}")


def _dashboard(
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
