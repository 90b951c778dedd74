"""The results store never silently takes damage: concurrent writers queue, a killed writer
loses nothing committed, a damaged or foreign file is refused and left as it was."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

import gigawatt.store as store_module
from gigawatt.cli import app
from gigawatt.errors import StoreBusyError, StoreError
from gigawatt.plan import Plan
from gigawatt.store import list_runs, load_headline, load_table, save_plan

SRC = Path(__file__).resolve().parents[1] / "src"
ROWS = 2000
runner = CliRunner()

# A writer process: appends runs, printing each run id once save_plan has returned.
WRITER = """
import sys
from dataclasses import dataclass, field
import pandas as pd
from gigawatt.store import save_plan

@dataclass
class P:
    scenario: str
    tables: dict
    headline: dict = field(default_factory=dict)

store, name, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
for i in range(n):
    df = pd.DataFrame({"k": range(ROWS), "v": [float(i)] * ROWS, "who": [name] * ROWS})
    plan = P(f"{name}-{i}", {"rows": df, "few": df.head(3)}, {"i": i, "who": name})
    print(save_plan(plan, store, wait_s=60), flush=True)
""".replace("ROWS", str(ROWS))

HOLDER = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("holding", flush=True)
time.sleep(120)
"""


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(SRC)}


def _writer(store: Path, name: str, n: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(store), name, str(n)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )


@pytest.fixture
def held_store(tmp_path: Path) -> Iterator[Path]:
    """A store whose lock another process holds for the whole test."""
    store = tmp_path / "r.duckdb"
    save_plan(_plan("one"), store)
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(store)], stdout=subprocess.PIPE, text=True, env=_env()
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "holding"
        yield store
    finally:
        proc.kill()
        proc.wait()


def _plan(name: str) -> Plan:
    df = pd.DataFrame({"site": ["a", "b"], "it_w": [1.0e6, 2.0e6]})
    return Plan(scenario=name, tables={"sites": df}, headline={"scenario": name})


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _check_complete(store: Path, run_ids: list[str]) -> None:
    """Every run the writers saw committed is stored whole, with its own rows."""
    runs = {r.run_id: r for r in list_runs(store)}
    assert set(run_ids) <= set(runs)
    for run_id, run in runs.items():
        rows = load_table(store, run_id, "rows")
        who, i = run.scenario.rsplit("-", 1)
        assert len(rows) == ROWS and set(rows["v"]) == {float(i)} and set(rows["who"]) == {who}
        assert load_headline(store, run_id) == {"i": int(i), "who": who}


def test_two_concurrent_writers_both_land_every_run(tmp_path: Path) -> None:
    store = tmp_path / "r.duckdb"
    writers = [_writer(store, name, 4) for name in ("a", "b")]
    outputs = [w.communicate(timeout=300) for w in writers]
    assert [w.returncode for w in writers] == [0, 0], [err for _, err in outputs]
    ids = [line for out, _ in outputs for line in out.split()]
    assert len(ids) == 8 == len(set(ids))
    _check_complete(store, ids)
    assert sorted(r.scenario for r in list_runs(store)) == sorted(
        f"{w}-{i}" for w in "ab" for i in range(4)
    )


def test_a_writer_killed_mid_append_loses_nothing_committed(tmp_path: Path) -> None:
    store = tmp_path / "r.duckdb"
    rng = random.Random(7)
    seen: list[str] = []
    for trial in range(3):
        writer = _writer(store, f"w{trial}", 10_000)
        assert writer.stdout is not None
        seen.append(writer.stdout.readline().strip())  # one run committed in this trial
        time.sleep(rng.uniform(0.0, 0.4))  # then kill it at some point of a later append
        writer.send_signal(signal.SIGKILL)
        out, _ = writer.communicate()
        seen += out.split()
        _check_complete(store, seen)
    before = len(list_runs(store))
    save_plan(_plan("after"), store)
    assert len(list_runs(store)) == before + 1


def test_run_ids_are_unique_within_one_second(tmp_path: Path) -> None:
    store = tmp_path / "r.duckdb"
    ids = [save_plan(_plan("same"), store) for _ in range(15)]
    assert len(set(ids)) == 15 and all(len(i) == 12 for i in ids)
    assert [r.run_id for r in list_runs(store)] == ids


def test_a_busy_store_makes_a_writer_wait_then_fail_clearly(
    held_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _digest(held_store)
    with pytest.raises(StoreBusyError) as info:
        save_plan(_plan("two"), held_store, wait_s=0.3)
    text = str(info.value)
    assert "in use by process" in text and "0.3 s" in text and "nothing was written" in text
    assert _digest(held_store) == before
    with pytest.raises(StoreBusyError):
        list_runs(held_store, wait_s=0.2)
    monkeypatch.setattr(store_module, "LOCK_WAIT_S", 0.2)
    res = runner.invoke(app, ["results", str(held_store)])
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert res.output.count("error") == 1 and "in use by" in res.output


def test_a_writer_waits_for_the_lock_to_be_released(tmp_path: Path) -> None:
    store = tmp_path / "r.duckdb"
    save_plan(_plan("one"), store)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER.replace("120", "1.5"), str(store)],
        stdout=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
    try:
        save_plan(_plan("two"), store, wait_s=60)  # succeeds once the holder exits
    finally:
        holder.kill()
        holder.wait()
    assert [r.scenario for r in list_runs(store)] == ["one", "two"]


def _damage(path: Path, how: str) -> None:
    raw = bytearray(path.read_bytes())
    if how == "truncated":
        path.write_bytes(raw[: len(raw) // 2])
        return
    block = 262_144  # DuckDB's block size: flip bytes in the header, or in every block
    starts = [16] if how == "header" else range(12_288 + 64, len(raw), block)
    for start in starts:
        raw[start : start + 8] = bytes(b ^ 0x5A for b in raw[start : start + 8])
    path.write_bytes(bytes(raw))


@pytest.mark.parametrize("how", ["header", "blocks", "truncated"])
def test_a_damaged_store_is_refused_and_left_as_it_was(tmp_path: Path, how: str) -> None:
    store = tmp_path / "r.duckdb"
    big = pd.DataFrame({"k": range(100_000), "v": [0.5] * 100_000})
    for i in range(3):
        save_plan(Plan(scenario=f"s{i}", tables={"big": big}, headline={}), store)
    _damage(store, how)
    before = _digest(store)
    with pytest.raises(StoreError, match="damaged"):
        save_plan(_plan("more"), store)
    assert _digest(store) == before
    res = runner.invoke(app, ["results", str(store), "--run", "x", "--table", "big"])
    assert res.exit_code == 2 and "Traceback" not in res.output


def _sqlite(path: Path) -> None:
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE runs (run_id TEXT)")
    con.commit()
    con.close()


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (_sqlite, "a SQLite database"),
        (lambda p: p.write_text("run_id,scenario\n", encoding="utf-8"), "not a DuckDB database"),
        (lambda p: p.write_bytes(b""), "an empty file"),
        (lambda p: p.mkdir(), "is a folder"),
    ],
    ids=["sqlite", "text", "empty", "folder"],
)
def test_a_file_that_is_not_a_store_is_refused(tmp_path: Path, make: object, expected: str) -> None:
    path = tmp_path / "r.duckdb"
    make(path)  # type: ignore[operator]
    before = _digest(path) if path.is_file() else None
    for call in (lambda: save_plan(_plan("x"), path), lambda: list_runs(path)):
        with pytest.raises(StoreError, match=expected):
            call()
    assert (_digest(path) if path.is_file() else None) == before
    res = runner.invoke(app, ["results", str(path)])
    assert res.exit_code == 2 and res.output.count("error") == 1 and expected in res.output


def test_a_duckdb_file_without_our_tables(tmp_path: Path) -> None:
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    with pytest.raises(StoreError, match="without the 'runs' table"):
        list_runs(empty)
    res = runner.invoke(app, ["results", str(empty)])
    assert res.exit_code == 2 and res.output.count("error") == 1
    save_plan(_plan("first"), empty)  # an empty DuckDB database becomes a store
    other = tmp_path / "other.duckdb"
    con = duckdb.connect(str(other))
    con.execute("CREATE TABLE accounts (id INTEGER)")
    con.close()
    with pytest.raises(StoreError, match="not a results store"):
        save_plan(_plan("x"), other)
