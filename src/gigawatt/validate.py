"""`gigawatt validate`: predict published measurements from their configuration alone.

Reads CSV files in the formats of the shared reference README (chosen by their columns),
predicts each row, and reports predicted vs measured with the signed relative error. Blank
execution fields are chosen by the plan search, and the choice is reported.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from gigawatt.catalog import Catalog, load_catalog
from gigawatt.errors import CatalogError, GigawattError, InputError, Problem
from gigawatt.perf.search import search
from gigawatt.perf.system import get_system
from gigawatt.workload import TransformerModel

TRAINING_COLUMNS = {"n_layers", "d_model", "n_heads", "gpu", "n_gpus", "global_batch", "metric"}
SERVING_COLUMNS = {"input_len", "output_len", "gpu", "metric"}
RELIABILITY_COLUMNS = {"gpu", "n_gpus", "days", "metric"}


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
        }


@dataclass
class ValidationReport:
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
    """Typed access to one CSV row with errors that name file, line, row id and field."""

    def __init__(self, file: str, line: int, data: Mapping[str, str | None]) -> None:
        self.file, self.line, self.data = file, line, data
        self.id = (data.get("id") or f"line {line}").strip()

    def fail(self, name: str, message: str) -> InputError:
        return InputError([Problem(self.file, f"row {self.id}: {name}", message, self.line)])

    def raw(self, name: str) -> str:
        return (self.data.get(name) or "").strip()

    def int_(self, name: str, default: int | None = None, low: int = 1) -> int | None:
        text = self.raw(name)
        if not text:
            return default
        try:
            value = float(text)
        except ValueError:
            raise self.fail(name, f"not a number: {text!r} (allowed: integer >= {low})") from None
        if not value.is_integer() or value < low:
            raise self.fail(name, f"{text!r} out of range (allowed: integer >= {low})")
        return int(value)

    def req_int(self, name: str, low: int = 1) -> int:
        value = self.int_(name, low=low)
        if value is None:
            raise self.fail(name, f"required (integer >= {low})")
        return value

    def float_(self, name: str, required: bool = True, positive: bool = True) -> float | None:
        text = self.raw(name)
        if not text:
            if required:
                raise self.fail(name, "required (a number > 0)")
            return None
        try:
            value = float(text)
        except ValueError:
            raise self.fail(name, f"not a number: {text!r}") from None
        if not math.isfinite(value) or (positive and value <= 0):
            raise self.fail(name, f"{text!r} out of range (allowed: finite number > 0)")
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


def model_from_row(row: Row, seq_len: int | None = None) -> TransformerModel:
    """The model of a reference row (training, serving); shape errors name the row and field.

    ``seq_len`` overrides the row's ``seq_len`` column (serving rows give input/output lengths).
    """
    try:
        return TransformerModel(
            name=row.raw("model") or row.id,
            n_layers=row.req_int("n_layers"),
            d_model=row.req_int("d_model"),
            n_heads=row.req_int("n_heads"),
            n_kv_heads=row.int_("n_kv_heads"),
            d_ff=row.int_("d_ff"),
            ffn=row.choice("ffn", ("gelu", "swiglu"), "gelu"),  # type: ignore[arg-type]
            vocab_size=row.req_int("vocab_size"),
            seq_len=seq_len if seq_len is not None else row.req_int("seq_len"),
            moe_experts=row.int_("moe_experts", 0, low=0) or 0,
            moe_top_k=row.int_("moe_top_k", 0, low=0) or 0,
        )
    except CatalogError as exc:  # shape checks of TransformerModel name only the field
        raise InputError(
            [
                Problem(row.file, f"row {row.id}: {p.field}", p.message, row.line)
                for p in exc.problems
            ]
        ) from None


def validate_training_row(row: Row, catalog: Catalog) -> RowResult:
    """Predict the step time of one training.csv row; blanks chosen by the search."""
    metric = row.raw("metric")
    measured = row.float_("value")
    assert measured is not None
    tolerance = row.float_("tolerance", required=False)
    if metric != "step_time_s":
        raise row.fail("metric", f"{metric!r} not supported (allowed: step_time_s)")
    model = model_from_row(row)
    gpu = row.raw("gpu")
    if gpu not in catalog.kind("accelerators"):
        known = ", ".join(sorted(catalog.kind("accelerators")))
        raise row.fail("gpu", f"{gpu!r} is not in the catalog (allowed: {known})")
    system = get_system(gpu, catalog)
    n_gpus = row.req_int("n_gpus")
    global_batch = row.req_int("global_batch")
    precision = row.choice("precision", ("bf16", "fp16", "fp8"), "bf16") or "bf16"
    fixed: dict[str, Any] = {}
    for name in ("tp", "pp", "dp", "cp", "ep", "vpp", "micro_batch"):
        value = row.int_(name)
        if value is not None:
            fixed[name] = value
    rec = row.choice("recompute", ("none", "selective", "full"))
    if rec is not None:
        fixed["recompute"] = rec
    sp = row.bool_("sequence_parallel")
    if sp is not None:
        fixed["sequence_parallel"] = sp
    product = 1
    for name in ("tp", "pp", "dp", "cp"):
        product *= int(fixed.get(name, 1))
    if all(k in fixed for k in ("tp", "pp", "dp")) and product != n_gpus:
        raise row.fail("n_gpus", f"{n_gpus} != tp*pp*dp*cp = {product}")
    result = search(model, system, n_gpus, global_batch, model.seq_len, precision, fixed)
    best = result.best()
    chosen_keys = [
        k
        for k in (
            "vpp",
            "micro_batch",
            "recompute",
            "sequence_parallel",
            "zero",
            "tp",
            "pp",
            "dp",
            "cp",
            "ep",
        )
        if k not in fixed
    ]
    plan = best.plan.to_dict()
    return RowResult(
        id=row.id,
        metric=metric,
        measured=measured,
        predicted=best.step_time_s,
        tolerance=tolerance,
        chosen={k: plan[k] for k in chosen_keys},
        detail={
            "plan": str(best.plan),
            "mfu": best.mfu,
            "memory_gb": best.memory_total_bytes / 1e9,
            "feasible_plans": result.feasible,
        },
    )


def detect_kind(columns: set[str]) -> str:
    if columns >= TRAINING_COLUMNS:
        return "training"
    if columns >= SERVING_COLUMNS:
        return "serving"
    if columns >= RELIABILITY_COLUMNS:
        return "reliability"
    return "unknown"


Validator = Callable[[Row, Catalog], RowResult]
VALIDATORS: dict[str, Validator] = {"training": validate_training_row}
# Stages that live in their own modules: kind -> (module, function(row, catalog) -> RowResult).
PLUGGED_VALIDATORS: dict[str, tuple[str, str]] = {
    "serving": ("gigawatt.perf.serving", "validate_serving_row"),
    "reliability": ("gigawatt.reliability", "validate_reliability_row"),
}


def validator_for(kind: str) -> Validator | None:
    """The row validator of ``kind``, or None when that stage is not built yet."""
    if kind in VALIDATORS:
        return VALIDATORS[kind]
    if kind in PLUGGED_VALIDATORS:
        import importlib

        module_name, func = PLUGGED_VALIDATORS[kind]
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError:
            return None
        found = getattr(module, func, None)
        return found if callable(found) else None
    return None


def validate_file(path: str | Path, catalog: Catalog | None = None) -> ValidationReport:
    """Validate every row of ``path``; a row that cannot be predicted carries its error."""
    p = Path(path)
    if not p.is_file():
        raise InputError([Problem(str(path), "-", "file not found")])
    cat = catalog or load_catalog()
    with p.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        columns = set(reader.fieldnames or [])
        kind = detect_kind(columns)
        if kind == "unknown":
            raise InputError(
                [
                    Problem(
                        str(path),
                        "columns",
                        "not a known format: training needs "
                        f"{sorted(TRAINING_COLUMNS)}, serving {sorted(SERVING_COLUMNS)}, "
                        f"reliability {sorted(RELIABILITY_COLUMNS)}",
                    )
                ]
            )
        validator = validator_for(kind)
        rows: list[RowResult] = []
        for line_no, data in enumerate(reader, start=2):
            row = Row(str(path), line_no, data)
            try:
                if validator is None:
                    raise InputError(
                        [Problem(str(path), f"row {row.id}", f"the {kind} model is not built yet")]
                    )
                rows.append(validator(row, cat))
            except GigawattError as exc:
                measured = (
                    row.float_("value", required=False, positive=False)
                    if row.raw("value")
                    else None
                )
                rows.append(
                    RowResult(
                        id=row.id,
                        metric=row.raw("metric"),
                        measured=measured or float("nan"),
                        predicted=None,
                        tolerance=None,
                        error="; ".join(str(pr) for pr in exc.problems),
                    )
                )
    return ValidationReport(str(path), kind, rows)
