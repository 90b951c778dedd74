"""`gigawatt validate`: predict published measurements and compare with what was measured.

Takes any number of files and directories (a directory: every ``*.csv`` in it). Prints each
file's rows, then one summary per family (training, serving, reliability) and per source.

Exit status: 2 when a path does not exist or no file validates (a file of no known format is
skipped with its reason when another file validates); otherwise 0, with rows that could not
be predicted or miss their tolerance reported, not failed. ``--strict`` makes such rows exit
with status 1, for checks that must hold.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from gigawatt.commands._shared import JSON_HELP
from gigawatt.console import emit_json, friendly, out
from gigawatt.errors import InputError, Problem

if TYPE_CHECKING:
    from gigawatt.validate import ValidationRun

STRICT_FAILURE = 1  # exit status of --strict when a row is not predicted or beyond tolerance


def _json(paths: list[Path], run: ValidationRun) -> dict[str, Any]:
    """One file given: its report (as before several files were accepted) with its family's
    summary; otherwise the summaries per family, every file's rows and the files skipped."""
    if len(paths) == 1 and not paths[0].is_dir() and len(run.reports) == 1:
        (report,) = run.reports
        return {**report.to_dict(), "summary": run.families()[report.kind].to_dict()}
    return run.to_dict()


def _write_pages(run: ValidationRun, folder: Path) -> list[Path]:
    from gigawatt.console import strict_json
    from gigawatt.html_report import write_validation_html  # plotly only to write HTML

    js = folder / "validation.json"
    try:
        js.write_text(strict_json(run.to_dict()) + "\n", encoding="utf-8")
        page = write_validation_html(run, folder / "validation.html")
    except OSError as exc:
        raise InputError([Problem(str(folder), "out", f"cannot write: {exc}")]) from None
    return [page, js]


@friendly
def validate(
    paths: Annotated[
        list[Path], typer.Argument(help="CSV files of published measurements, or directories")
    ],
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
    rows: Annotated[
        bool, typer.Option("--rows/--summary", help="print every file's rows, or summaries only")
    ] = True,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="write validation.html and validation.json to this folder"),
    ] = None,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict", help="exit 1 when a row is not predicted or is beyond its tolerance"
        ),
    ] = False,
) -> None:
    """Predict each row of published measurements and compare with what was measured."""
    from gigawatt.report import print_validation
    from gigawatt.validate import validate_paths

    if out_dir is not None:  # a bad output place is found before anything is validated
        from gigawatt.outdir import prepare_folder

        prepare_folder(out_dir)
    run = validate_paths(paths)
    written = _write_pages(run, out_dir) if out_dir is not None else []
    if as_json:
        emit_json(_json(paths, run))
    else:
        print_validation(run, out, rows=rows)
        for path in written:
            out.print(f"wrote {path}")
    if strict and not (run.all_predicted and run.all_within):
        raise typer.Exit(STRICT_FAILURE)


def register(app: typer.Typer) -> None:
    app.command("validate")(validate)
