"""`gigawatt validate`: predict published measurements from their configuration alone.

Reads CSV files in the formats of the shared reference README (each recognised by its
columns), predicts each row with its kind's validator, and reports predicted vs measured
with the signed relative error. A row that cannot be predicted carries its own error; the
other rows of the file are still validated. Several files and directories are validated in
one run (:func:`validate_paths`), with one summary per family.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gigawatt.catalog import Catalog, load_catalog
from gigawatt.errors import GigawattError, InputError, Problem
from gigawatt.validate.core import Row, RowResult, ValidationReport
from gigawatt.validate.csvio import read_csv
from gigawatt.validate.registry import REGISTRY, Validator, detect, expected_formats
from gigawatt.validate.summary import FamilySummary, predicted, summarise


def _measured(row: Row) -> float:
    """The row's measured value for the report of a row that failed (NaN if unusable)."""
    try:
        value = float(row.raw("value"))
    except ValueError:
        return math.nan
    return value if math.isfinite(value) and value != 0 else math.nan


def _in_row(problem: Problem, row: Row) -> Problem:
    """A model's problem (e.g. the search's "no feasible plan") placed at the row's line."""
    if problem.file == row.file:
        return problem
    return Problem(
        row.file, f"row {row.id}: {problem.file}: {problem.field}", problem.message, row.line
    )


def validate_row(row: Row, validator: Validator, catalog: Catalog) -> RowResult:
    """One row's prediction, or a result carrying the error that stopped it; either way with
    the row's source and note, which the summaries and the report group and show."""
    source, note = row.raw("source"), row.raw("note")
    try:
        result = validator.row(row, catalog)
    except GigawattError as exc:
        return RowResult(
            id=row.id,
            metric=row.raw("metric"),
            measured=_measured(row),
            predicted=None,
            tolerance=None,
            error="; ".join(str(_in_row(p, row)) for p in exc.problems),
            source=source,
            note=note,
        )
    tolerance = validator.tolerance if result.tolerance is None else result.tolerance
    return dataclasses.replace(result, tolerance=tolerance, source=source, note=note)


def validate_file(
    path: str | Path,
    catalog: Catalog | None = None,
    registry: Mapping[str, Validator] = REGISTRY,
) -> ValidationReport:
    """Validate every row of ``path``; a row that cannot be predicted carries its error.

    Raises InputError (naming the file and what is expected) when the file is not a readable
    CSV file of a known format.
    """
    name = str(path)
    expected = expected_formats(registry)
    table = read_csv(path, expected)
    validator = detect(table.columns, registry)
    if validator is None:
        found = ", ".join(table.columns) or "none"
        raise InputError(
            [
                Problem(
                    name,
                    "columns",
                    f"not a known format (its columns: {found}); expected {expected}",
                )
            ]
        )
    cat = catalog or load_catalog()
    rows = [
        validate_row(Row(name, rec.line, rec.data, validator.ranges), validator, cat)
        for rec in table.records
    ]
    return ValidationReport(name, validator.kind, rows)


@dataclass(frozen=True)
class Skipped:
    """A file that was not validated, and why (not a known format, not readable...)."""

    file: str
    reason: str


@dataclass
class ValidationRun:
    """Every file of one ``validate`` call: the reports of the files that validated, the files
    skipped, and a summary per family."""

    reports: list[ValidationReport]
    skipped: list[Skipped]
    registry: Mapping[str, Validator] = dataclasses.field(default_factory=lambda: REGISTRY)

    def families(self) -> dict[str, FamilySummary]:
        """One summary per family that has files, in the registry's order."""
        kinds = [k for k in self.registry if any(r.kind == k for r in self.reports)]
        kinds += sorted({r.kind for r in self.reports} - set(kinds))
        return {k: summarise(k, self.reports) for k in kinds}

    @property
    def rows(self) -> list[RowResult]:
        return [row for rep in self.reports for row in rep.rows]

    @property
    def all_predicted(self) -> bool:
        return all(predicted(r) for r in self.rows)

    @property
    def all_within(self) -> bool:
        return all(r.within for r in self.rows)

    def to_dict(self) -> dict[str, Any]:
        return {
            "families": {k: s.to_dict() for k, s in self.families().items()},
            "files": [r.to_dict() for r in self.reports],
            "skipped": [{"file": s.file, "reason": s.reason} for s in self.skipped],
        }


def _is_csv(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() == ".csv"


def measurement_files(paths: Iterable[str | Path]) -> list[Path]:
    """The files ``paths`` name: a file itself, a directory every ``*.csv`` in it (sorted,
    not recursive); each file once. Raises InputError naming every path that does not exist."""
    given = [Path(p) for p in paths]
    missing = [
        Problem(str(p), "path", "file or directory not found") for p in given if not p.exists()
    ]
    if missing:
        raise InputError(missing)
    files: list[Path] = []
    seen: set[Path] = set()
    for p in given:
        for f in sorted(x for x in p.iterdir() if _is_csv(x)) if p.is_dir() else [p]:
            if f.resolve() not in seen:
                seen.add(f.resolve())
                files.append(f)
    return files


def validate_paths(
    paths: Iterable[str | Path],
    catalog: Catalog | None = None,
    registry: Mapping[str, Validator] = REGISTRY,
) -> ValidationRun:
    """Validate every measurements file of ``paths`` (files and directories).

    A file that is not of a known format, or not readable, is skipped with its reason; the run
    fails (InputError with every file's problem) only when no file validates at all.
    """
    given = list(paths)
    files = measurement_files(given)
    cat = catalog or load_catalog()
    reports: list[ValidationReport] = []
    skipped: list[Skipped] = []
    problems: list[Problem] = []
    for f in files:
        try:
            reports.append(validate_file(f, cat, registry))
        except InputError as exc:
            skipped.append(Skipped(str(f), "; ".join(p.message for p in exc.problems)))
            problems += exc.problems
    if not reports:
        where = ", ".join(str(p) for p in given) or "(none)"
        none = Problem(
            where,
            "files",
            f"no measurements file to validate; expected {expected_formats(registry)}",
        )
        raise InputError(problems or [none])
    return ValidationRun(reports, skipped, registry)
