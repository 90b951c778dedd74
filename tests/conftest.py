"""Shared fixtures. Reference measurements are read from ../shared/reference (never copied)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT.parent / "shared" / "reference"


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    if not REFERENCE.is_dir():
        pytest.fail(f"reference measurements not found at {REFERENCE} (shared/ beside the repo)")
    return REFERENCE


@pytest.fixture(scope="session")
def catalog():  # type: ignore[no-untyped-def]
    from gigawatt.catalog import load_catalog

    return load_catalog()
