"""Result records and typed, range-checked access to one row of a measurements file.

Every numeric column is read against a table of allowed ranges (a ``Range`` per column, kept
as data in each validator's module), so a bad cell becomes an error of that row naming the
file, line, field and what is allowed — and an absurd value (``global_batch=1e308``) is
refused before it reaches a model or the plan search.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gigawatt.catalog import Catalog
from gigawatt.errors import InputError, Problem


def _number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


@dataclass(frozen=True)
class Range:
    """The values a numeric column allows: finite, within [low, high] (or (low, high])."""

    low: float
    high: float = math.inf
    integer: bool = False
    low_inclusive: bool = True

    def __contains__(self, value: object) -> bool:
        if not isinstance(value, (int, float)) or not math.isfinite(value):
            return False
        if self.integer and not float(value).is_integer():
            return False
        above = value >= self.low if self.low_inclusive else value > self.low
        return above and value <= self.high

    def __str__(self) -> str:
        kind = "integer" if self.integer else "finite number"
        low = f"{'>=' if self.low_inclusive else '>'} {_number(self.low)}"
        high = "" if math.isinf(self.high) else f" and <= {_number(self.high)}"
        return f"{kind} {low}{high}"


# Columns every format shares: the measured value (SI, > 0) and the relative error a row is
# judged at; a tolerance above 1000 % would judge nothing.
COMMON_RANGES: dict[str, Range] = {
    "value": Range(0.0, low_inclusive=False),
    "tolerance": Range(0.0, 10.0, low_inclusive=False),
}


@dataclass
class RowResult:
    """One validated row."""

    id: str
    metric: str
    measured: float
    predicted: float | None
    tolerance: float | None
    chosen: dict[str, Any] = field(default_factory=dict)
    detail: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    source: str = ""  # the row's ``source`` cell: where the measurement was published
    note: str = ""  # the row's ``note`` cell: how the published number was converted

    @property
    def signed_error(self) -> float | None:
        if self.predicted is None or self.measured == 0:
            return None
        return self.predicted / self.measured - 1.0

    @property
    def within(self) -> bool | None:
        err = self.signed_error
        if err is None or self.tolerance is None:
            return None
        return abs(err) <= self.tolerance

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "metric": self.metric,
            "measured": self.measured,
            "predicted": self.predicted,
            "signed_error": self.signed_error,
            "abs_error": None if self.signed_error is None else abs(self.signed_error),
            "tolerance": self.tolerance,
            "within_tolerance": self.within,
            "chosen": self.chosen,
            "detail": self.detail,
            "error": self.error,
            "source": self.source,
            "note": self.note,
        }


@dataclass
class ValidationReport:
    """Every row of one file, predicted or with the error that stopped it."""

    file: str
    kind: str
    rows: list[RowResult]

    def abs_errors(self) -> list[float]:
        return [abs(e) for r in self.rows if (e := r.signed_error) is not None]

    @property
    def median_abs_error(self) -> float | None:
        errs = self.abs_errors()
        return float(np.median(errs)) if errs else None

    @property
    def max_abs_error(self) -> float | None:
        errs = self.abs_errors()
        return max(errs) if errs else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "kind": self.kind,
            "rows": [r.to_dict() for r in self.rows],
            "median_abs_error": self.median_abs_error,
            "max_abs_error": self.max_abs_error,
        }


class Row:
    """Typed access to one CSV row; every number is checked against ``ranges`` (column ->
    Range) and errors name the file, line, row id and field."""

    def __init__(
        self,
        file: str,
        line: int,
        data: Mapping[str, str | None],
        ranges: Mapping[str, Range] | None = None,
    ) -> None:
        self.file, self.line, self.data = file, line, data
        self.ranges: Mapping[str, Range] = ranges if ranges is not None else {}
        self.id = (data.get("id") or f"line {line}").strip()

    def fail(self, name: str, message: str) -> InputError:
        return InputError([Problem(self.file, f"row {self.id}: {name}", message, self.line)])

    def raw(self, name: str) -> str:
        return (self.data.get(name) or "").strip()

    def _range(self, name: str) -> Range:
        found = self.ranges.get(name)
        if found is None:  # a validator reads a column its table does not bound
            raise KeyError(f"no allowed range for column {name!r}")
        return found

    def _checked(self, name: str, text: str) -> float:
        allowed = self._range(name)
        try:
            value = float(text)
        except ValueError:
            raise self.fail(name, f"not a number: {text!r} (allowed: {allowed})") from None
        if value not in allowed:
            raise self.fail(name, f"{text!r} out of range (allowed: {allowed})")
        return value

    def int_(self, name: str, default: int | None = None) -> int | None:
        """An integer column within its range; ``default`` when blank."""
        text = self.raw(name)
        return default if not text else int(self._checked(name, text))

    def req_int(self, name: str) -> int:
        value = self.int_(name)
        if value is None:
            raise self.fail(name, f"required ({self._range(name)})")
        return value

    def float_(self, name: str, required: bool = True) -> float | None:
        """A numeric column within its range; None when blank and not ``required``."""
        text = self.raw(name)
        if not text:
            if required:
                raise self.fail(name, f"required ({self._range(name)})")
            return None
        return self._checked(name, text)

    def req_float(self, name: str) -> float:
        value = self.float_(name)
        assert value is not None  # float_ raises when a required column is blank
        return value

    def choice(self, name: str, allowed: tuple[str, ...], default: str | None = None) -> str | None:
        text = self.raw(name).lower()
        if not text:
            return default
        if text not in allowed:
            raise self.fail(name, f"{text!r} not allowed (allowed: {', '.join(allowed)})")
        return text

    def bool_(self, name: str) -> bool | None:
        text = self.raw(name).lower()
        if not text:
            return None
        if text in ("true", "1", "yes"):
            return True
        if text in ("false", "0", "no"):
            return False
        raise self.fail(name, f"{text!r} not allowed (allowed: true, false)")


RowValidator = Callable[[Row, Catalog], RowResult]

# Where a ``source`` cell's leading words end: the first comma, colon, semicolon or opening
# parenthesis ("Kokolis et al. (arXiv:...)" and "Kokolis et al., Revisiting ..." are one source).
_SOURCE_END = re.compile(r"[,:;(]")
NO_SOURCE = "(no source)"


def source_key(source: str) -> str:
    """The publication a row comes from, as the leading words of its ``source`` cell, so that
    the rows of one table, paper or release are judged together."""
    lead = _SOURCE_END.split(source, maxsplit=1)[0]
    return " ".join(lead.split()) or NO_SOURCE
