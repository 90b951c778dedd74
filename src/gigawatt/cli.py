"""Command line: thin wrappers that parse arguments, call the library and print.

Errors caused by input print one line per problem (file:line: field: what is allowed) and
exit with status 2; they never show a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from gigawatt.catalog import Entry, Quantity, catalog_kinds, load_catalog
from gigawatt.commands._shared import (
    ACCELERATOR,
    COUNT,
    JSON_HELP,
    OLD_ACCELERATOR,
    OLD_COUNT,
    accepting,
    flags_for_fields,
    looked_up,
    table,
)
from gigawatt.console import emit_json, err, friendly, out
from gigawatt.errors import InputError, Problem, StoreError
from gigawatt.units import UNITS

if TYPE_CHECKING:
    from gigawatt.perf.search import SearchResult
    from gigawatt.perf.training import TrainingEstimate
    from gigawatt.plan import Plan
    from gigawatt.scenario import Scenario

app = typer.Typer(
    help="gigawatt: plan gigawatt-scale AI infrastructure, from models to megawatts.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
catalog_app = typer.Typer(help="Browse the sourced catalog.", no_args_is_help=True)
app.add_typer(catalog_app, name="catalog")


# ---- catalog --------------------------------------------------------------------------------
def _headline(entry: Entry) -> str:
    keys = {
        "accelerators": ("memory_capacity", "memory_bandwidth", "bf16_dense", "tdp"),
        "memory": ("die_density", "pin_speed", "bandwidth_per_stack"),
        "networks": ("bandwidth_per_gpu", "latency"),
        "efficiency": ("gemm_peak_fraction", "memory_fraction", "scale_up_fraction"),
    }.get(entry.kind, ())
    if entry.kind == "models":
        q = entry.get("params_reported")
        p = q.display() if isinstance(q, Quantity) else "?"
        return f"{p} params, {entry.get('n_layers')} layers, d_model {entry.get('d_model')}"
    parts = []
    for k in keys:
        q = entry.get(k)
        if isinstance(q, Quantity):
            parts.append(f"{k}={q.display()}")
    return ", ".join(parts)


@catalog_app.command("list")
@friendly
def catalog_list(
    kind: Annotated[
        str | None, typer.Argument(help=f"one of: {', '.join(catalog_kinds())}")
    ] = None,
) -> None:
    """List catalog entries (all kinds, or one)."""
    from rich.table import Table

    cat = load_catalog()
    kinds = [kind] if kind else list(cat.kinds)
    for k in kinds:
        entries = cat.kind(k)
        table = Table(title=k, title_justify="left")
        table.add_column("id", style="bold")
        table.add_column("name")
        table.add_column("key figures")
        table.add_column("sources", overflow="fold")
        for e in entries.values():
            srcs = e.sources()
            table.add_row(e.id, e.name, _headline(e), f"{len(srcs)}: {srcs[0] if srcs else ''}")
        out.print(table)


@catalog_app.command("show")
@friendly
def catalog_show(
    entry_id: Annotated[str, typer.Argument(help="catalog id, e.g. h100-sxm")],
) -> None:
    """Show one entry with every figure, its range and its source."""
    from rich.table import Table

    entry = load_catalog().find(entry_id)
    table = Table(
        title=f"{entry.id} — {entry.name} ({entry.kind}, {entry.file})", title_justify="left"
    )
    table.add_column("field", style="bold")
    table.add_column("value")
    table.add_column("source / note", overflow="fold")

    def add(prefix: str, fields: Any) -> None:
        for key, value in fields.items():
            name = f"{prefix}{key}"
            if isinstance(value, Quantity):
                note = f" — {value.note}" if value.note else ""
                table.add_row(name, value.display(), f"{value.source}{note}")
            elif isinstance(value, dict):
                add(f"{name}.", value)
            else:
                table.add_row(name, str(value), "")

    add("", entry.fields)
    out.print(table)


# ---- scenarios ---------------------------------------------------------------------------------
@app.command()
@friendly
def check(file: Annotated[Path, typer.Argument(help="scenario YAML")]) -> None:
    """Validate a scenario file without planning it."""
    from gigawatt.scenario import load_scenario

    scenario = load_scenario(file)
    out.print(
        f"[green]ok[/] {file}: scenario {scenario.name!r}, {len(scenario.training)} training run(s)"
    )


@app.command()
@friendly
def run(
    files: Annotated[
        list[Path] | None, typer.Argument(help="scenario YAML file(s)", show_default=False)
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="write tables, JSON and the HTML report here "
            "(default: out/<scenario name>-<hash of the name>/)",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
    store: Annotated[
        Path | None, typer.Option(help="also append the plan to this DuckDB results store")
    ] = None,
    validate: Annotated[
        list[Path] | None,
        typer.Option(
            "--validate",
            help="measurements files or directories to validate; the report links the "
            "validation page (repeatable)",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Plan scenarios: print the summary, write the tables and the report.

    Without FILE, plans scenarios/stargate.yaml. With several files and --json, prints one
    object ``{"plans": [...]}``.
    """
    from gigawatt.outdir import output_folders, prepare_folder
    from gigawatt.report import print_plan, write_report
    from gigawatt.scenario import load_scenario

    paths = files or [Path("scenarios/stargate.yaml")]
    scenarios = [load_scenario(p) for p in paths]  # every file is checked before planning
    targets = output_folders(
        [(str(p), s.name) for p, s in zip(paths, scenarios, strict=True)], out_dir
    )
    for folder in targets:  # so are the output folders and the store
        prepare_folder(folder)
    if store is not None:
        from gigawatt.store import check_store

        check_store(store)
    checked = {}  # measurements are validated once, for every scenario's report
    if validate:
        from gigawatt.validate import validate_paths

        checked = {"validation": validate_paths(validate)}
    objects = []
    for scenario, target in zip(scenarios, targets, strict=True):
        result = _plan_with_progress(scenario, quiet=as_json)
        try:
            written = write_report(result, target, **checked)
        except OSError as exc:
            raise InputError([Problem(str(target), "out", f"cannot write: {exc}")]) from None
        if store is not None:
            from gigawatt.store import save_plan

            try:
                run_id = save_plan(result, store)
            except StoreError as exc:  # the run is not lost: say where it was written
                kept = Problem(
                    str(target), "tables", "this run was not stored; its tables are here"
                )
                raise StoreError([*exc.problems, kept]) from None
            if not as_json:
                out.print(f"stored as run {run_id} in {store}")
        if as_json:
            objects.append(result.to_dict())
            continue
        print_plan(result, out)
        out.print(f"report and tables: {target}/ ({len(written)} files)")
    if as_json:
        emit_json(objects[0] if len(objects) == 1 else {"plans": objects})


def _plan_with_progress(scenario: Scenario, quiet: bool) -> Plan:
    """Plan one scenario, showing the stage being planned on stderr unless ``quiet``."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from gigawatt.plan import STAGES, plan

    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True, disable=quiet) as bar:
        task = bar.add_task(f"planning {scenario.name}", total=len(STAGES))

        def step(stage: str) -> None:
            bar.update(
                task,
                completed=STAGES.index(stage) if stage in STAGES else 0,
                description=f"planning {scenario.name}: {stage}",
            )

        return plan(scenario, progress=step)


@app.command()
@friendly
def results(
    store: Annotated[Path, typer.Argument(help="DuckDB results store")],
    run_id: Annotated[str | None, typer.Option("--run", help="a stored run id")] = None,
    table: Annotated[str | None, typer.Option(help="print this table of the run")] = None,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """List stored runs, or show one run's headline or table."""
    from gigawatt.store import list_runs, load_headline, load_table

    if run_id is None:
        runs = list_runs(store)
        if as_json:
            emit_json([r.__dict__ for r in runs])
            return
        for r in runs:
            out.print(str(r))
        return
    if table is None:
        emit_json(load_headline(store, run_id))
        return
    df = load_table(store, run_id, table)
    if as_json:
        emit_json(df.to_dict(orient="records"))
    else:
        out.print(df.to_string(index=False))


# ---- training ----------------------------------------------------------------------------------
PRECISIONS = ("bf16", "fp16", "fp8")
TRAIN_FLAGS = {
    "n_gpus/global_batch": "--count/--global-batch",
    "precision": "--precision",
    "recompute": "--recompute",
}
TRAIN_ALIASES = {**OLD_ACCELERATOR, **OLD_COUNT, "--seq": "--seq-tokens"}
_GB = UNITS["GB"][0]


@app.command(cls=accepting(TRAIN_ALIASES))
@friendly
@flags_for_fields("train", TRAIN_FLAGS)
def train(
    model: Annotated[str, typer.Option(help="catalog model id, e.g. llama3-405b")],
    accelerator: Annotated[str, typer.Option(*ACCELERATOR, help="accelerator id, e.g. h100-sxm")],
    count: Annotated[int, typer.Option(*COUNT, help="number of accelerators", min=1)],
    global_batch: Annotated[int, typer.Option(help="sequences per step", min=1)],
    seq_tokens: Annotated[
        int | None, typer.Option(help="sequence length (default: the model's)", min=1)
    ] = None,
    precision: Annotated[str, typer.Option(help="bf16, fp16 or fp8")] = "bf16",
    top: Annotated[int, typer.Option(help="plans to show", min=1)] = 10,
    tp: Annotated[int | None, typer.Option(help="fix tensor parallel", min=1)] = None,
    pp: Annotated[int | None, typer.Option(help="fix pipeline parallel", min=1)] = None,
    cp: Annotated[int | None, typer.Option(help="fix context parallel", min=1)] = None,
    ep: Annotated[int | None, typer.Option(help="fix expert parallel", min=1)] = None,
    vpp: Annotated[int | None, typer.Option(help="fix virtual pipeline stages", min=1)] = None,
    micro_batch: Annotated[int | None, typer.Option(help="fix micro-batch size", min=1)] = None,
    recompute: Annotated[
        str | None,
        typer.Option(help="fix recompute: none, selective, full, block (fewest layers that fit)"),
    ] = None,
    zero: Annotated[int | None, typer.Option(help="fix ZeRO stage 0-3", min=0, max=3)] = None,
    oversubscription: Annotated[
        float, typer.Option(help="scale-out oversubscription (1 = non-blocking)", min=1.0)
    ] = 1.0,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """Search every valid parallel plan and print the fastest that fit."""
    from gigawatt.perf.execution import PLANNED_RECOMPUTES
    from gigawatt.perf.search import search
    from gigawatt.perf.system import get_system
    from gigawatt.workload import get_model

    _check_choice("--precision", precision, PRECISIONS)
    if recompute is not None:
        _check_choice("--recompute", recompute, PLANNED_RECOMPUTES)
    given: dict[str, int | str | None] = {"tp": tp, "pp": pp, "cp": cp, "ep": ep, "vpp": vpp}
    given |= {"micro_batch": micro_batch, "recompute": recompute, "zero": zero}
    fixed = {k: v for k, v in given.items() if v is not None}
    m = looked_up("train", "--model", model, get_model)
    if seq_tokens:
        m = m.with_(seq_len=seq_tokens)
    system = looked_up(
        "train",
        "--accelerator",
        accelerator,
        lambda a: get_system(a, oversubscription=oversubscription),
    )
    result = search(m, system, count, global_batch, m.seq_len, precision, fixed)
    best = result.top(top)
    if as_json:
        emit_json({**result.summary(), "plans": [e.to_dict() for e in best]})
        if not best:
            raise typer.Exit(1)
        return
    if not best:
        result.best()  # raises with the reasons
    title = f"{m.name} on {count:,} x {accelerator}, batch {global_batch} x {m.seq_len} tokens"
    _print_search(result, best, title)


def _check_choice(flag: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        message = f"{value!r}: allowed {', '.join(allowed)}"
        raise InputError([Problem("train", flag, message)])


def _print_search(result: SearchResult, best: list[TrainingEstimate], title: str) -> None:
    """The best plans as a table, then how many were evaluated and why the others lost."""
    columns = ("#", "plan", "step (s)", "tokens/s", "MFU", "HFU", "memory (GB)", "bubble")
    t = table(title, (*columns, "exposed comm"), left=("plan",))
    for i, e in enumerate(best, 1):
        b = e.breakdown_s
        t.add_row(
            str(i),
            str(e.plan),
            f"{e.step_time_s:.3f}",
            f"{e.tokens_per_s:,.0f}",
            f"{e.mfu:.1%}",
            f"{e.hfu:.1%}",
            f"{e.memory_total_bytes / _GB:.1f}",
            f"{b['pipeline_bubble']:.3f}",
            f"{b['pipeline_p2p'] + b['dp_exposed']:.3f}",
        )
    out.print(t)
    s = result.summary()
    out.print(f"evaluated {s['evaluated']:,} plans in {s['wall_s']:.3f} s; {s['feasible']:,} fit")
    if result.rejected:
        out.print("why the others lost:")
        for reason, n in result.rejected.most_common():
            out.print(f"  {n:>9,}  {reason}")


def _register_command_modules() -> None:
    """Each module of ``gigawatt.commands`` adds its commands with ``register(app)``: stages
    plug their commands in without editing this file."""
    import importlib
    import pkgutil

    import gigawatt.commands as commands

    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):  # shared helpers, not commands
            continue
        module = importlib.import_module(f"gigawatt.commands.{info.name}")
        register = getattr(module, "register", None)
        if callable(register):
            register(app)


_register_command_modules()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
