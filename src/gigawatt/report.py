"""Human-readable output: rich tables for the terminal and a Markdown/JSON report on disk."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from gigawatt.plan import SECONDS_PER_DAY, Plan, TrainingPlan
from gigawatt.validate import ValidationReport


def training_table(plan: Plan) -> Table:
    table = Table(title=f"{plan.scenario}: training runs", title_justify="left")
    for col in (
        "run",
        "model",
        "GPUs",
        "best plan",
        "step",
        "MFU",
        "memory/GPU",
        "ETTR",
        "time to train",
    ):
        table.add_column(
            col, justify="right" if col not in ("run", "model", "best plan") else "left"
        )
    for t in plan.training:
        e = t.estimate
        deadline = ""
        if t.meets_deadline is not None:
            deadline = " (meets deadline)" if t.meets_deadline else " (MISSES deadline)"
        table.add_row(
            t.name,
            t.model,
            f"{t.n_gpus:,} x {t.accelerator}",
            str(e.plan),
            f"{e.step_time_s:.2f} s",
            f"{e.mfu:.1%}",
            f"{e.memory_total_bytes / 1e9:.0f}/{e.memory_capacity_bytes / 1e9:.0f} GB",
            "-" if t.reliability is None else f"{t.reliability.ettr:.2f}",
            _days_range(t) + deadline,
        )
    return table


def _days_range(t: TrainingPlan) -> str:
    lo, mid, hi = (x / SECONDS_PER_DAY for x in t.time_to_train_range_s)
    return f"{mid:.1f} days [{lo:.1f}–{hi:.1f}]"


def print_plan(plan: Plan, console: Console | None = None) -> None:
    (console or Console()).print(training_table(plan))


def markdown_report(plan: Plan) -> str:
    lines = [f"# gigawatt plan: {plan.scenario}", "", "## Training runs", ""]
    lines.append("| run | model | GPUs | plan | step (s) | MFU | memory/GPU (GB) | days |")
    lines.append("|---|---|---|---|---|---|---|---|")
    for t in plan.training:
        e = t.estimate
        lines.append(
            f"| {t.name} | {t.model} | {t.n_gpus:,} x {t.accelerator} | {e.plan} | "
            f"{e.step_time_s:.2f} | {e.mfu:.1%} | {e.memory_total_bytes / 1e9:.0f} | "
            f"{_days_range(t)} |"
        )
    lines += ["", "### Time breakdown per step (s)", ""]
    for t in plan.training:
        parts = ", ".join(f"{k} {v:.3g}" for k, v in t.estimate.breakdown_s.items())
        lines.append(f"- **{t.name}**: {parts}")
    lines += ["", "Figures: gigawatt performance model; constants and sources in the catalog."]
    return "\n".join(lines) + "\n"


def write_report(plan: Plan, path: str | Path) -> list[Path]:
    """Write ``path`` (JSON) and a Markdown twin beside it; return the paths written."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(json.dumps(plan.to_dict(), indent=2) + "\n", encoding="utf-8")
    md = p.with_suffix(".md")
    md.write_text(markdown_report(plan), encoding="utf-8")
    return [p, md]


def validation_table(report: ValidationReport) -> Table:
    table = Table(title=f"validate {report.file} ({report.kind})", title_justify="left")
    for col in ("id", "metric", "predicted", "measured", "error", "tol", "ok", "chosen by search"):
        table.add_column(
            col, justify="left" if col in ("id", "metric", "chosen by search") else "right"
        )
    for r in report.rows:
        err = r.signed_error
        ok: Any = "" if r.within is None else ("yes" if r.within else "NO")
        chosen = ", ".join(f"{k}={v}" for k, v in r.chosen.items()) if r.error is None else r.error
        table.add_row(
            r.id,
            r.metric,
            "-" if r.predicted is None else f"{r.predicted:.4g}",
            f"{r.measured:.4g}",
            "-" if err is None else f"{err:+.1%}",
            "-" if r.tolerance is None else f"{r.tolerance:.0%}",
            ok,
            chosen,
        )
    return table
