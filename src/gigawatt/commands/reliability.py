"""`gigawatt reliability` (closed form for one job) and `gigawatt ops` (fleet simulation with a
live control-centre view; its machinery is in :mod:`gigawatt.commands._ops`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from gigawatt.commands._shared import (
    ACCELERATOR,
    COUNT,
    JSON_HELP,
    OLD_ACCELERATOR,
    OLD_COUNT,
    accepting,
    flags_for_fields,
    looked_up,
)
from gigawatt.console import emit_json, friendly, out
from gigawatt.errors import InputError, Problem
from gigawatt.limits import MAX_OPS_SAMPLES
from gigawatt.units import DAY_S, UNITS

if TYPE_CHECKING:
    from gigawatt.reliability import JobReliability

DEFAULT_SECTION = Path("scenarios") / "sections" / "reliability.yaml"
DEFAULT_OUT = Path("out") / "ops-timeseries.csv"
_H = UNITS["h"][0]
_DAY = DAY_S
_MIN = 60.0  # seconds per minute, for display
_TB = UNITS["TB"][0]

RELIABILITY_FLAGS = {
    "gpu": "--accelerator",
    "gpus": "--count",
    "n_gpus": "--count",
    "days": "--days",
    "site": "--site-type",
    "temperature_c": "--temperature-c",
    "fleet_age_years": "--age-years",
    "spare_fraction": "--spare-fraction",
}
RELIABILITY_ALIASES = {**OLD_ACCELERATOR, **OLD_COUNT, "--site": "--site-type"}


@friendly
@flags_for_fields("reliability", RELIABILITY_FLAGS)
def reliability(
    accelerator: Annotated[
        str, typer.Option(*ACCELERATOR, help="accelerator id from the catalog")
    ] = "h100-sxm",
    count: Annotated[int, typer.Option(*COUNT, help="accelerators in the job")] = 16384,
    days: Annotated[float, typer.Option(help="job duration for expected counts")] = 54.0,
    model: Annotated[
        str | None, typer.Option(help="catalog model id: sizes the checkpoint")
    ] = None,
    site_type: Annotated[str, typer.Option(help="land, subsea or floating")] = "land",
    age_years: Annotated[float | None, typer.Option(help="fleet age")] = None,
    temperature_c: Annotated[float | None, typer.Option(help="die temperature")] = None,
    sync: Annotated[bool, typer.Option(help="synchronous (blocking) checkpoints")] = False,
    spare_fraction: Annotated[float, typer.Option(help="hot spare hosts")] = 0.02,
    min_interval_s: Annotated[
        float, typer.Option(help="shortest checkpoint interval (one training step)")
    ] = 0.0,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """Expected interruptions by cause, job MTTF and ETTR at the best checkpoint interval."""
    from gigawatt.catalog import load_catalog
    from gigawatt.reliability import Conditions, job_reliability
    from gigawatt.workload import get_model

    cat = load_catalog()
    m = looked_up("reliability", "--model", model, lambda i: get_model(i, cat)) if model else None
    job = job_reliability(
        accelerator,
        count,
        days,
        m,
        conditions=Conditions(site_type, temperature_c, age_years),
        catalog=cat,
        async_checkpoint=not sync,
        spare_fraction=spare_fraction,
        min_interval_s=min_interval_s,
    )
    if as_json:
        emit_json(job.to_dict())
        return
    _print_job(job, f"{count:,} x {accelerator}, {days:g} days ({job.topology}, {site_type})")


def _print_job(job: JobReliability, title: str) -> None:
    from rich.table import Table

    table = Table(title=title)
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
        f"job MTTF {job.mttf_s / _H:.2f} h ({job.interruptions_per_day:.2f}/day); "
        f"checkpoint {job.checkpoint_bytes / _TB:.2f} TB, write {job.checkpoint_write_s:.1f} s"
        f", blocking {job.checkpoint_blocking_s:.3g} s; restart {job.restart_s / _MIN:.1f} min"
        f" + spare wait {job.spare_wait_s / _MIN:.2f} min"
    )
    out.print(
        f"best checkpoint interval {job.interval_s / _MIN:.2f} min (Young "
        f"{job.young_interval_s / _MIN:.2f} min) -> ETTR {job.ettr:.3f} "
        f"(unplanned only {job.ettr_unplanned:.3f}); time to train x{job.time_factor:.3f}"
    )
    for note in job.notes:
        out.print(f"note: {note}")


@friendly
def ops(
    file: Annotated[Path, typer.Argument(help="scenario YAML (training runs become jobs)")],
    days: Annotated[float, typer.Option(help="simulated days")] = 30.0,
    section: Annotated[
        Path | None, typer.Option(help=f"ops assumptions ({DEFAULT_SECTION})")
    ] = None,
    out_csv: Annotated[Path, typer.Option("--out", help="time series CSV to write")] = DEFAULT_OUT,
    seed: Annotated[int, typer.Option(help="random seed of the simulation")] = 0,
    step_h: Annotated[float, typer.Option(help="sampling step")] = 1.0,
    live: Annotated[bool, typer.Option("--live/--no-live", help="live dashboard")] = True,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """Simulate a scenario's fleet with a live control-centre view.

    Failures, repairs, spares, jobs and power; writes the time series per site as CSV."""
    from gigawatt.commands import _ops

    samples = days * _DAY / (step_h * _H)
    if samples > MAX_OPS_SAMPLES:
        raise InputError(
            [
                Problem(
                    "ops",
                    "--days / --step-h",
                    f"{samples:.3g} time-series samples (days x 24 / step); allowed: at most "
                    f"{MAX_OPS_SAMPLES} (a longer --step-h or fewer --days)",
                )
            ]
        )
    sites, jobs = _ops.ops_inputs(file, section)
    result = _ops.run(sites, jobs, days, seed, step_h * _H, live and not as_json)
    out_csv.parent.mkdir(parents=True, exist_ok=True)
    result.timeseries.to_csv(out_csv, index=False)
    incidents_csv = out_csv.with_name(out_csv.stem + "-incidents.csv")
    result.incidents.to_csv(incidents_csv, index=False)
    if as_json:
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
        out.print(_ops.final_view(result, len(sites), days))
    out.print(f"wrote {out_csv} ({len(result.timeseries)} rows) and {incidents_csv}")


def register(app: typer.Typer) -> None:
    app.command("reliability", cls=accepting(RELIABILITY_ALIASES))(reliability)
    app.command("ops", cls=accepting())(ops)
