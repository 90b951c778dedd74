"""The registry of validators: one entry per kind of measurements file.

A file's kind is recognised by its columns: the validator whose identifying columns the
header contains (the most specific one when several match). Adding a kind is one module with
its row function and its table of allowed ranges, and one entry here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from gigawatt.validate import reliability, serving, training
from gigawatt.validate.core import Range, RowValidator


@dataclass(frozen=True)
class Validator:
    """How to validate one kind of file."""

    kind: str
    columns: frozenset[str]  # a header containing all of these is of this kind
    row: RowValidator  # predicts one row; raises GigawattError naming the row's field
    tolerance: float  # relative error a row is judged at when its tolerance is blank
    ranges: Mapping[str, Range]  # allowed values of the numeric columns


# Default tolerances are those the shared reference rows of each kind are judged at.
REGISTRY: dict[str, Validator] = {
    "training": Validator(
        "training", training.COLUMNS, training.validate_training_row, 0.12, training.RANGES
    ),
    "serving": Validator(
        "serving", serving.COLUMNS, serving.validate_serving_row, 0.25, serving.RANGES
    ),
    "reliability": Validator(
        "reliability",
        reliability.COLUMNS,
        reliability.validate_reliability_row,
        0.25,
        reliability.RANGES,
    ),
}


def detect(
    columns: Iterable[str], registry: Mapping[str, Validator] = REGISTRY
) -> Validator | None:
    """The validator of a file with these columns: the most specific match, ties by order."""
    have = set(columns)
    matches = [v for v in registry.values() if v.columns <= have]
    return max(matches, key=lambda v: len(v.columns), default=None)


def detect_kind(columns: Iterable[str]) -> str:
    """The kind of a file with these columns, or "unknown"."""
    found = detect(columns)
    return found.kind if found is not None else "unknown"


def expected_formats(registry: Mapping[str, Validator] = REGISTRY) -> str:
    """What a measurements file must look like, for error messages."""
    kinds = "; ".join(f"{v.kind} needs {', '.join(sorted(v.columns))}" for v in registry.values())
    return f"a UTF-8 CSV file whose header names the columns of a known format ({kinds})"
