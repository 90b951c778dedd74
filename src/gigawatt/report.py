"""Human-readable output: rich tables for the terminal and a Markdown/JSON report on disk."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

from gigawatt.console import strict_json
from gigawatt.plan import Plan
from gigawatt.training_plan import SECONDS_PER_DAY, TrainingPlan
from gigawatt.validate import FamilySummary, Figures, ValidationReport, ValidationRun

if TYPE_CHECKING:
    import pandas as pd


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
        "IT power (swing)",
        "time to train",
    ):
        table.add_column(
            col, justify="right" if col not in ("run", "model", "best plan") else "left"
        )
    runs = plan.tables.get("training")
    power = (
        {
            str(r.run): f"{_gw(float(r.it_power_w))} ({_gw(float(r.power_swing_w))})"
            for r in runs.itertuples()
        }
        if runs is not None and "power_swing_w" in runs
        else {}
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
            power.get(t.name, "-"),
            _days_range(t) + deadline,
        )
    return table


def _days_range(t: TrainingPlan) -> str:
    lo, mid, hi = (x / SECONDS_PER_DAY for x in t.time_to_train_range_s)
    return f"{mid:.1f} days [{lo:.1f}–{hi:.1f}]"


def _gw(w: float) -> str:
    return f"{w / 1e9:,.2f} GW" if abs(w) >= 1e8 else f"{w / 1e6:,.1f} MW"


def _usd(x: float) -> str:
    return f"USD {x / 1e9:,.1f} B" if abs(x) >= 1e8 else f"USD {x / 1e6:,.1f} M"


def _water(m3_per_year: float) -> str:
    if m3_per_year >= 1e5:
        return f"{m3_per_year / 1e6:,.1f} Mm3/year"
    return f"{m3_per_year:,.0f} m3/year"


def _r(value: Any, fmt: Any) -> str:
    """A low/likely/high dict as 'likely [low–high]'."""
    if isinstance(value, dict):
        return f"{fmt(value['likely'])} [{fmt(value['low'])}–{fmt(value['high'])}]"
    return "-" if value is None else str(fmt(value))


def _table(title: str, labels: tuple[str, ...], left: tuple[str, ...]) -> Table:
    """A table with text columns left-aligned and figures right-aligned."""
    table = Table(title=title, title_justify="left")
    for label in labels:
        table.add_column(label, justify="left" if label in left else "right")
    return table


def fleet_table(plan: Plan) -> Table | None:
    fleet = plan.tables.get("fleet")
    if fleet is None or fleet.empty:
        return None
    table = Table(title="fleet the workloads need", title_justify="left")
    cols = [
        ("workload", "workload"),
        ("kind", "kind"),
        ("accelerator", "accelerator"),
        ("accelerators", "accelerators"),
        ("servers", "servers"),
        ("racks", "racks"),
        ("switches", "switches"),
        ("optics", "optics"),
        ("it_power_w", "IT power"),
    ]
    for _, label in cols:
        table.add_column(
            label, justify="left" if label in ("workload", "kind", "accelerator") else "right"
        )
    for rec in fleet.to_dict("records"):
        cells = []
        for key, _ in cols:
            v = rec.get(key, "")
            if key == "it_power_w":
                cells.append(_gw(float(v)) if v == v and v != "" else "-")
            elif isinstance(v, float):
                cells.append(f"{v:,.0f}" if v == v else "-")
            elif isinstance(v, int):
                cells.append(f"{v:,}")
            else:
                cells.append(str(v))
        table.add_row(*cells)
    return table


def supply_table(plan: Plan) -> Table | None:
    q = plan.tables.get("supply_quarterly")
    if q is None or q.empty:
        return None
    table = _table(
        "supply per quarter (wafer starts per month, P50)",
        (
            "quarter",
            "accelerators",
            "HBM DRAM",
            "all DRAM",
            "CoWoS",
            "logic",
            "binding",
            "utilisation",
            "shortfall",
        ),
        left=("quarter", "binding"),
    )
    active = q[q["accelerators_requested"] > 0]
    for r in (active if not active.empty else q).itertuples():
        table.add_row(
            str(r.quarter),
            f"{r.accelerators_requested:,.0f}",
            f"{r.hbm_dram_wafers_per_month:,.0f}",
            f"{r.dram_wafers_per_month:,.0f}",
            f"{r.cowos_wafers_per_month:,.0f}",
            f"{r.logic_wafers_per_month:,.0f}",
            str(r.binding_constraint),
            f"{r.binding_utilisation:.0%}",
            f"{r.shortfall_wafers_per_month:,.0f}",
        )
    return table


def sites_table(plan: Plan) -> Table | None:
    sites = plan.tables.get("sites")
    if sites is None or sites.empty:
        return None
    table = _table(
        "sites (as built)",
        (
            "site",
            "kind",
            "cooling",
            "IT",
            "facility (mean)",
            "PUE",
            "WUE L/kWh",
            "water m3/yr",
            "CO2 t/yr",
            "power supply",
            "ready",
        ),
        left=("site", "kind", "cooling"),
    )
    for r in sites.itertuples():
        table.add_row(
            str(r.site),
            str(r.kind),
            str(r.cooling),
            _gw(float(r.it_w)),
            _gw(float(r.facility_w_mean)),
            f"{r.pue:.3f}",
            f"{r.wue_l_per_kwh:.2f}",
            f"{r.water_consumed_m3:,.0f}",
            f"{r.carbon_kg / 1e3:,.0f}",
            "ok" if bool(r.supply_ok) else "SHORT",
            f"{r.ready_year:.1f}",
        )
    return table


Rows = list[tuple[str, str]]


def _supply_rows(h: Mapping[str, Any]) -> Rows:
    """Accelerators, HBM, DRAM wafers against the claim, and what binds or breaks first."""
    acc = h.get("accelerators") or {}
    by_type = ", ".join(f"{n:,.0f} {a}" for a, n in (acc.get("by_type") or {}).items())
    rows: Rows = [
        ("accelerators", f"{acc.get('total', 0):,.0f} ({by_type})"),
        ("HBM stacks", f"{h.get('hbm_stacks', 0):,.0f}"),
    ]
    if h.get("dram_wafers_per_month_peak"):
        claim = h.get("dram_wafers_claim_wafers_per_month")
        rows.append(
            (
                "DRAM wafers/month at peak",
                _r(h["dram_wafers_per_month_peak"], lambda x: f"{x:,.0f}"),
            )
        )
        if claim and h.get("dram_wafers_claim_ratio"):
            rows.append(
                (f"… ratio to the {claim:,.0f} claim", _r(h["dram_wafers_claim_ratio"], _ratio))
            )
    if h.get("binding_summary"):
        rows.append(("supply constraints", str(h["binding_summary"])))
    first = h.get("first_constraint")
    if first:
        rows.append(("what breaks first", _first_constraint(first)))
    return rows


def _ratio(x: float) -> str:
    return f"{x:.3f}"


def _first_constraint(first: Mapping[str, Any]) -> str:
    """Where, from when, the first shortfall and the largest at the same place."""

    def amount(x: float) -> str:
        if first["kind"] == "facility":  # in MW, as the plan's readiness notes
            return f"{x / 1e6:,.0f} MW of IT unready"
        return f"{x:,.0f} wafers/month short"

    return (
        f"{first['kind']}: {first['where']} from {first['quarter']} "
        f"({amount(first['shortfall'])}; at most {amount(first['largest_shortfall'])}, "
        f"in {first['largest_quarter']})"
    )


def _power_rows(h: Mapping[str, Any]) -> Rows:
    """IT and facility power, water and CO2 (sited and unsited apart), unassigned build-out."""
    if not h.get("it_power_w"):
        return []
    unsited = bool(h.get("it_power_unsited_w"))
    co2 = h.get("co2_t_per_year")
    rows: Rows = [
        ("IT power", _gw(h["it_power_w"])),
        ("facility power", f"{_gw(h['facility_power_w'])} (PUE {h['pue']:.3f})"),
        ("… of which on modelled sites", _gw(h.get("it_power_placed_on_modelled_sites_w", 0))),
        ("… of which unsited", _gw(h.get("it_power_unsited_w", 0))),
        ("water", _water(h.get("water_m3_per_year") or 0.0)),
        ("… of which on modelled sites", _water(h.get("water_m3_per_year_on_sites") or 0.0)),
        (
            "CO2",
            "not estimated (no sites)"
            if co2 is None
            else f"{co2 / 1e6:,.2f} Mt/year" + (" (modelled sites only)" if unsited else ""),
        ),
    ]
    spare = h.get("unassigned_build_out") or {}
    if spare.get("accelerators"):
        rows.append(
            (
                "unassigned build-out",
                f"{spare['accelerators']:,.0f} accelerators, {_gw(spare['it_power_w'])} "
                "(serve no listed workload)",
            )
        )
    return rows


def _money_rows(h: Mapping[str, Any]) -> Rows:
    """Capex, opex, $/GPU-hour, the display currency, $/M tokens and the budget."""
    rows: Rows = []
    if h.get("capex_usd"):
        rows += [
            ("capex", _r(h["capex_usd"], _usd)),
        ]
        if h.get("capex_onsite_generation_usd"):
            rows.append(
                ("… of which on-site generation", _r(h["capex_onsite_generation_usd"], _usd))
            )
        rows += [
            ("opex", _r(h["opex_usd_per_year"], _usd) + " per year"),
            ("USD per GPU-hour", _r(h.get("usd_per_gpu_hour"), lambda x: f"{x:.2f}")),
        ]
    code = h.get("display_currency")
    if code:
        for key, label in (("capex", "capex"), ("opex", "opex per year"), ("budget", "budget")):
            figure = h.get(f"{key}_{code.lower()}" + ("_per_year" if key == "opex" else ""))
            if figure:
                rows.append((f"{label} ({code})", _r(figure, lambda x: f"{x / 1e12:,.3f} T")))
    if h.get("usd_per_million_tokens"):
        rows.append(("USD per million tokens", _r(h["usd_per_million_tokens"], _ratio)))
    if h.get("budget_usd"):
        rows += _budget_rows(h)
    return rows


def _budget_rows(h: Mapping[str, Any]) -> Rows:
    fits = "within budget" if h.get("within_budget") else "OVER budget"
    years = h.get("budget_years_needed")
    extra = f"; needs {_r(years, lambda x: f'{x:.1f}')} years of this budget" if years else ""
    rows: Rows = [("budget", f"{_r(h['budget_usd'], _usd)}: {fits}{extra}")]
    for cut in h.get("budget_cuts") or []:
        rows.append(
            (
                "… cut first",
                f"{cut['tranche']}: {cut['status']}, {cut['funded_fraction']:.0%} funded",
            )
        )
    return rows


def headline_table(plan: Plan) -> Table:
    """The headline as a two-column table: supply, power, money, the largest run."""
    h = plan.headline
    table = Table(title=f"{plan.scenario}: headline", title_justify="left", show_header=False)
    table.add_column("what", style="bold")
    table.add_column("value")
    rows = _supply_rows(h) + _power_rows(h) + _money_rows(h)
    if h.get("ettr") is not None:
        rows.append(
            (
                f"largest run ({h.get('largest_training_run')})",
                f"{h['unexpected_interruptions_per_day']:.1f} interruptions/day, "
                f"ETTR {h['ettr']:.2f}",
            )
        )
    for what, value in rows:
        table.add_row(what, value)
    return table


def print_plan(plan: Plan, console: Console | None = None) -> None:
    c = console or Console()
    c.print(headline_table(plan))
    if plan.training:
        c.print(training_table(plan))
    for make in (fleet_table, supply_table, sites_table):
        table = make(plan)
        if table is not None:
            c.print(table)
    for note in plan.notes:
        c.print(f"[yellow]note:[/] {note}")
    if plan.claim is not None and plan.claim.ratio is not None and plan.claim_is_scenarios:
        c.print(f"[bold]memory claim check:[/] {plan.claim}")
        for line in plan.claim.assumptions_to_close_gap:
            c.print(f"  - {line}")


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


def write_report(
    plan: Plan, directory: str | Path, validation: ValidationRun | None = None
) -> list[Path]:
    """Write the plan to ``directory``: plan.json (the ``--json`` object), summary.md, the
    self-contained HTML report (report.html) and every table as CSV and Parquet; with
    ``validation``, also validation.html (linked from the report) and validation.json.
    Returns the paths written."""
    from gigawatt.html_report import write_html  # plotly is imported only to write HTML

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    tables, nulls = finite_tables(plan.tables)
    written = replace(plan, tables=tables).export(out / "tables")
    why = out / "tables" / "nulls.json"  # which columns hold nulls, and why
    why.write_text(strict_json(nulls) + "\n", encoding="utf-8")
    js = out / "plan.json"
    js.write_text(strict_json(plan.to_dict()) + "\n", encoding="utf-8")
    md = out / "summary.md"
    md.write_text(markdown_report(plan), encoding="utf-8")
    page = write_html(plan, out / "report.html", validation)
    checked: list[Path] = []
    if validation is not None:
        from gigawatt.html_report import VALIDATION_PAGE

        checked = [out / VALIDATION_PAGE, out / "validation.json"]
        checked[1].write_text(strict_json(validation.to_dict()) + "\n", encoding="utf-8")
    return [js, md, page, *checked, *written, why]


def finite_tables(
    tables: dict[str, pd.DataFrame],
) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    """Tables with every infinite number made null (CSV and Parquet have no portable
    infinity), and ``{"table.column": reason}`` for each column that holds nulls that way or
    as NaN, so a reader knows the value is undefined rather than lost."""
    import numpy as np

    clean: dict[str, pd.DataFrame] = {}
    nulls: dict[str, str] = {}
    for name, df in tables.items():
        numeric = df.select_dtypes(include="number")
        infinite = np.isinf(numeric)
        undefined = numeric.isna()
        for col in numeric.columns:
            n_inf, n_nan = int(infinite[col].sum()), int(undefined[col].sum())
            if n_inf or n_nan:
                nulls[f"{name}.{col}"] = (
                    f"{n_inf} unbounded (infinite) and {n_nan} undefined (NaN) values, "
                    "written as null"
                )
        clean[name] = df.replace([np.inf, -np.inf], np.nan) if infinite.any().any() else df
    return clean, nulls


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


def _share(x: float | None, signed: bool = False) -> str:
    if x is None:
        return "-"
    return f"{x:+.1%}" if signed else f"{x:.1%}"


def _figures_cells(f: Figures) -> tuple[str, ...]:
    worst = "-" if f.worst is None else f"{_share(f.worst.row.signed_error, True)} {f.worst.row.id}"
    within = f"{f.within}/{f.rows} ({_share(f.within_share)})" if f.rows else "-"
    return (
        str(f.rows),
        str(f.predicted),
        str(f.rows - f.predicted),
        _share(f.median_abs_error),
        within,
        worst,
    )


def validation_summary_table(families: Mapping[str, FamilySummary]) -> Table:
    """One block per family: its figures over all its files, then one line per source (the
    leading words of the rows' ``source``). A row not predicted counts as outside tolerance."""
    table = Table(title="validation summary by family", title_justify="left")
    columns = ("family / source", "files", "rows", "predicted", "not predicted")
    for col in (*columns, "median |error|", "within tolerance", "worst"):
        table.add_column(col, justify="left" if col in ("family / source", "worst") else "right")
    for name, fam in families.items():
        table.add_row(f"[bold]{name}[/]", str(len(fam.files)), *_figures_cells(fam.overall))
        for source, figures in fam.by_source.items():
            table.add_row(f"  {source}", "", *_figures_cells(figures))
    return table


def print_validation(run: ValidationRun, c: Console, rows: bool = True) -> None:
    """Each file's rows (unless ``rows`` is False) with its median and worst error, the files
    skipped and why, then one summary per family and every row not predicted with why."""
    for report in run.reports if rows else []:
        c.print(validation_table(report))
        med, worst = report.median_abs_error, report.max_abs_error
        if med is not None and worst is not None:
            c.print(
                f"median |error| {med:.1%}, worst |error| {worst:.1%} over "
                f"{len(report.abs_errors())} row(s)"
            )
        failed = [r for r in report.rows if r.error]
        if failed:
            c.print(f"[yellow]{len(failed)} row(s) not predicted[/]")
    for skipped in run.skipped:
        c.print(f"[yellow]skipped[/] {skipped.file}: {skipped.reason}", soft_wrap=True)
    families = run.families()
    c.print(validation_summary_table(families))
    for fam in families.values():
        for r in fam.not_predicted:
            c.print(
                f"[yellow]not predicted[/] {fam.family} {r.row.id}: {r.row.error}", soft_wrap=True
            )
