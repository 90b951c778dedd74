"""The DuckDB results store: append-only, schema grows, nothing stored is lost."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from gigawatt.errors import InputError
from gigawatt.plan import Plan
from gigawatt.store import list_runs, load_headline, load_table, save_plan


def _plan(name: str, extra: bool = False) -> Plan:
    df = pd.DataFrame({"site": ["a", "b"], "it_w": [1.0e6, 2.0e6]})
    if extra:
        df["pue"] = [1.1, 1.2]
    return Plan(scenario=name, tables={"sites": df}, headline={"scenario": name, "it_w": 3e6})


def test_runs_append_and_read_back(tmp_path: Path) -> None:
    store = tmp_path / "r.duckdb"
    first = save_plan(_plan("one"), store)
    second = save_plan(_plan("two", extra=True), store)  # a newer schema adds a column
    runs = list_runs(store)
    assert [r.run_id for r in runs] == [first, second]
    old = load_table(store, first, "sites")
    assert list(old["site"]) == ["a", "b"] and old["it_w"].tolist() == [1.0e6, 2.0e6]
    assert old["pue"].isna().all()  # older runs read NULL in columns added later
    new = load_table(store, second, "sites")
    assert new["pue"].tolist() == [1.1, 1.2]
    assert load_headline(store, first)["scenario"] == "one"


def test_failed_write_leaves_the_store_as_it_was(tmp_path: Path) -> None:
    store = tmp_path / "r.duckdb"
    save_plan(_plan("one"), store)
    bad = _plan("bad")
    bad.tables["sites"] = pd.DataFrame({"it_w": ["not a number", "x"], "site": ["a", "b"]})
    with pytest.raises(Exception):  # noqa: B017 - any database error
        save_plan(bad, store)
    assert [r.scenario for r in list_runs(store)] == ["one"]
    assert len(load_table(store, list_runs(store)[0].run_id, "sites")) == 2


def test_missing_store_run_and_table_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no results store"):
        list_runs(tmp_path / "none.duckdb")
    store = tmp_path / "r.duckdb"
    run = save_plan(_plan("one"), store)
    with pytest.raises(InputError, match="not stored"):
        load_table(store, "nope", "sites")
    with pytest.raises(InputError, match="not in run"):
        load_table(store, run, "fleet")
