"""Accuracy figures of a family of files (training, serving, reliability) and of each source.

The figures are those accuracy targets are stated in: how many rows were predicted, the
median absolute relative error, the share of rows within their tolerance and the worst row.
A row that could not be predicted has no error, so it does not enter the median; it counts
as *outside* its tolerance, so that a model cannot look better by refusing rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from gigawatt.validate.core import RowResult, ValidationReport, source_key


@dataclass(frozen=True)
class Located:
    """A row's result and the file it came from."""

    file: str
    row: RowResult


def predicted(row: RowResult) -> bool:
    """Whether the model predicted the row (a row that failed carries its error instead)."""
    return row.error is None and row.predicted is not None


@dataclass(frozen=True)
class Figures:
    """Accuracy over a set of rows."""

    rows: int
    predicted: int
    within: int  # rows predicted within their tolerance
    median_abs_error: float | None  # over predicted rows
    worst: Located | None  # the predicted row with the largest absolute error

    @property
    def within_share(self) -> float | None:
        """Rows within tolerance over all rows (a row not predicted is not within)."""
        return self.within / self.rows if self.rows else None

    @classmethod
    def of(cls, rows: Sequence[Located]) -> Figures:
        errors = [(abs(e), r) for r in rows if (e := r.row.signed_error) is not None]
        worst = max(errors, key=lambda pair: pair[0], default=None)
        return cls(
            rows=len(rows),
            predicted=sum(predicted(r.row) for r in rows),
            within=sum(bool(r.row.within) for r in rows),
            median_abs_error=float(np.median([e for e, _ in errors])) if errors else None,
            worst=None if worst is None else worst[1],
        )

    def to_dict(self) -> dict[str, Any]:
        w = self.worst
        return {
            "rows": self.rows,
            "predicted": self.predicted,
            "not_predicted": self.rows - self.predicted,
            "median_abs_error": self.median_abs_error,
            "within_tolerance": self.within,
            "within_share": self.within_share,
            "worst": None
            if w is None
            else {"file": w.file, "id": w.row.id, "signed_error": w.row.signed_error},
        }


@dataclass(frozen=True)
class FamilySummary:
    """One family's figures over all its files, and per source (leading words of ``source``)."""

    family: str
    files: tuple[str, ...]
    overall: Figures
    by_source: dict[str, Figures]
    rows: tuple[Located, ...]  # every row of the family's files, in file order
    not_predicted: tuple[Located, ...]  # each with its row's error: why it was not predicted

    def to_dict(self) -> dict[str, Any]:
        return {
            "family": self.family,
            "files": list(self.files),
            **self.overall.to_dict(),
            "by_source": {k: f.to_dict() for k, f in self.by_source.items()},
            "not_predicted_rows": [
                {"file": r.file, "id": r.row.id, "why": r.row.error} for r in self.not_predicted
            ],
        }


def summarise(family: str, reports: Iterable[ValidationReport]) -> FamilySummary:
    """The summary of ``reports`` (all of one family); sources in order of first appearance."""
    chosen = [r for r in reports if r.kind == family]
    rows = [Located(rep.file, row) for rep in chosen for row in rep.rows]
    groups: dict[str, list[Located]] = {}
    for r in rows:
        groups.setdefault(source_key(r.row.source), []).append(r)
    return FamilySummary(
        family=family,
        files=tuple(rep.file for rep in chosen),
        overall=Figures.of(rows),
        by_source={k: Figures.of(v) for k, v in groups.items()},
        rows=tuple(rows),
        not_predicted=tuple(r for r in rows if not predicted(r.row)),
    )
