"""`gigawatt validate`: predict published measurements from their configuration alone.

Reads a CSV file in one of the formats of the shared reference README (recognised by its
columns), predicts each row with its kind's validator, and reports predicted vs measured
with the signed relative error. A row that cannot be predicted carries its own error; the
other rows of the file are still validated.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from pathlib import Path

from gigawatt.catalog import Catalog, load_catalog
from gigawatt.errors import GigawattError, InputError, Problem
from gigawatt.validate.core import Row, RowResult, ValidationReport
from gigawatt.validate.csvio import read_csv
from gigawatt.validate.registry import REGISTRY, Validator, detect, expected_formats


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
    """One row's prediction, or a result carrying the error that stopped it."""
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
        )
    if result.tolerance is None:
        result = dataclasses.replace(result, tolerance=validator.tolerance)
    return result


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
