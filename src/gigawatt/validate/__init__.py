"""Validation against published measurements: one registry of validators, one per kind of
file (training, serving, reliability), each predicting a row from its configuration alone."""

from __future__ import annotations

from gigawatt.validate.core import (
    COMMON_RANGES,
    Range,
    Row,
    RowResult,
    RowValidator,
    ValidationReport,
)
from gigawatt.validate.csvio import CsvTable, Record, read_csv
from gigawatt.validate.model import MODEL_RANGES, model_from_row
from gigawatt.validate.registry import REGISTRY, Validator, detect, detect_kind, expected_formats
from gigawatt.validate.reliability import validate_reliability_row
from gigawatt.validate.runner import validate_file, validate_row
from gigawatt.validate.serving import validate_serving_row
from gigawatt.validate.training import validate_training_row

__all__ = [
    "COMMON_RANGES",
    "MODEL_RANGES",
    "REGISTRY",
    "CsvTable",
    "Range",
    "Record",
    "Row",
    "RowResult",
    "RowValidator",
    "ValidationReport",
    "Validator",
    "detect",
    "detect_kind",
    "expected_formats",
    "model_from_row",
    "read_csv",
    "validate_file",
    "validate_reliability_row",
    "validate_row",
    "validate_serving_row",
    "validate_training_row",
]
