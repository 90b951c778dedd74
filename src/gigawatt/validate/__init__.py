"""Validation against published measurements: one registry of validators, one per kind of
file (training, serving, reliability), each predicting a row from its configuration alone;
runs over many files and directories summarised per family and per source."""

from __future__ import annotations

from gigawatt.validate.core import (
    COMMON_RANGES,
    NO_SOURCE,
    Range,
    Row,
    RowResult,
    RowValidator,
    ValidationReport,
    source_key,
)
from gigawatt.validate.csvio import CsvTable, Record, read_csv
from gigawatt.validate.model import MODEL_RANGES, model_from_row
from gigawatt.validate.registry import REGISTRY, Validator, detect, detect_kind, expected_formats
from gigawatt.validate.reliability import validate_reliability_row
from gigawatt.validate.runner import (
    Skipped,
    ValidationRun,
    measurement_files,
    validate_file,
    validate_paths,
    validate_row,
)
from gigawatt.validate.serving import validate_serving_row
from gigawatt.validate.summary import FamilySummary, Figures, Located, summarise
from gigawatt.validate.training import validate_training_row

__all__ = [
    "COMMON_RANGES",
    "MODEL_RANGES",
    "NO_SOURCE",
    "REGISTRY",
    "CsvTable",
    "FamilySummary",
    "Figures",
    "Located",
    "Range",
    "Record",
    "Row",
    "RowResult",
    "RowValidator",
    "Skipped",
    "ValidationReport",
    "ValidationRun",
    "Validator",
    "detect",
    "detect_kind",
    "expected_formats",
    "measurement_files",
    "model_from_row",
    "read_csv",
    "source_key",
    "summarise",
    "validate_file",
    "validate_paths",
    "validate_reliability_row",
    "validate_row",
    "validate_serving_row",
    "validate_training_row",
]
