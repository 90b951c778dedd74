"""The results store: every planned scenario's tables in one DuckDB file.

Append-only: a run adds rows tagged with its ``run_id``; nothing stored is ever updated or
dropped. A table that gains columns in a later version of gigawatt gets them added (older
runs read NULL there), so old results stay readable. Each run is written in one transaction:
a failure leaves the store as it was.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from gigawatt import __version__
from gigawatt.errors import InputError, Problem
from gigawatt.plan import Plan

RUNS_TABLE = "runs"


@dataclass(frozen=True)
class StoredRun:
    run_id: str
    scenario: str
    created_utc: str
    gigawatt_version: str
    tables: list[str]

    def __str__(self) -> str:
        return f"{self.run_id}  {self.created_utc}  {self.scenario}  ({len(self.tables)} tables)"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _run_id(plan: Plan, created: str) -> str:
    digest = hashlib.sha256(
        (created + json.dumps(plan.headline, sort_keys=True, default=str)).encode()
    )
    return digest.hexdigest()[:12]


def _run(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[Any]:
    """Execute and drain: a connection must finish one result before the next statement."""
    return list(con.execute(sql, params or []).fetchall())


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    rows = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ?",
        [table],
    ).fetchall()
    return {str(r[0]): str(r[1]) for r in rows}


def _append(con: duckdb.DuckDBPyConnection, table: str, df: pd.DataFrame) -> None:
    """Append ``df`` to ``table``, creating it or adding new columns (never dropping any)."""
    con.register("incoming", df)
    try:
        existing = _columns(con, table)
        if not existing:
            _run(con, f"CREATE TABLE {_quote(table)} AS SELECT * FROM incoming")
            return
        incoming = _columns_of(con)
        for col, kind in incoming.items():
            if col not in existing:
                _run(con, f"ALTER TABLE {_quote(table)} ADD COLUMN {_quote(col)} {kind}")
        cols = ", ".join(_quote(c) for c in incoming)
        _run(con, f"INSERT INTO {_quote(table)} ({cols}) SELECT {cols} FROM incoming")
    finally:
        con.unregister("incoming")


def _columns_of(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    rows = con.execute("DESCRIBE incoming").fetchall()
    return {str(r[0]): str(r[1]) for r in rows}


def _clean(df: pd.DataFrame) -> pd.DataFrame:
    """Columns DuckDB can store: object columns holding mixed values become text."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object:
            out[col] = out[col].map(lambda v: None if v is None else str(v))
    return out


def save_plan(plan: Plan, path: str | Path) -> str:
    """Store every table of ``plan`` in the DuckDB file ``path``; return the run id."""
    created = datetime.now(UTC).isoformat(timespec="seconds")
    run_id = _run_id(plan, created)
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(p))
    except duckdb.Error as exc:
        raise InputError([Problem(str(path), "store", f"cannot open the store: {exc}")]) from None
    try:
        _run(con, "BEGIN TRANSACTION")
        seq = 0
        if _columns(con, RUNS_TABLE):
            found = _run(con, f"SELECT coalesce(max(seq), 0) FROM {RUNS_TABLE}")
            seq = int(found[0][0]) if found else 0
        runs = pd.DataFrame(
            [
                {
                    "seq": seq + 1,
                    "run_id": run_id,
                    "scenario": plan.scenario,
                    "created_utc": created,
                    "gigawatt_version": __version__,
                    "tables": json.dumps(sorted(plan.tables)),
                    "headline_json": json.dumps(plan.headline, default=str),
                }
            ]
        )
        _append(con, RUNS_TABLE, runs)
        for name, df in sorted(plan.tables.items()):
            tagged = _clean(df)
            tagged.insert(0, "run_id", run_id)
            _append(con, f"t_{name}", tagged)
        _run(con, "COMMIT")
    except Exception:
        _run(con, "ROLLBACK")
        raise
    finally:
        con.close()
    return run_id


def _open_existing(path: str | Path) -> duckdb.DuckDBPyConnection:
    if not Path(path).is_file():
        raise InputError([Problem(str(path), "store", "no results store here (run with --store)")])
    return duckdb.connect(str(path), read_only=True)


def list_runs(path: str | Path) -> list[StoredRun]:
    """Every stored run, oldest first."""
    con = _open_existing(path)
    try:
        rows = con.execute(
            f"SELECT run_id, scenario, created_utc, gigawatt_version, tables FROM {RUNS_TABLE} "
            "ORDER BY seq"
        ).fetchall()
    finally:
        con.close()
    return [StoredRun(str(r[0]), str(r[1]), str(r[2]), str(r[3]), json.loads(r[4])) for r in rows]


def load_table(path: str | Path, run_id: str, name: str) -> pd.DataFrame:
    """One table of one stored run (without the run_id column)."""
    runs = {r.run_id: r for r in list_runs(path)}
    if run_id not in runs:
        raise InputError(
            [Problem(str(path), "run_id", f"{run_id!r} not stored; known: {', '.join(runs)}")]
        )
    if name not in runs[run_id].tables:
        known = ", ".join(runs[run_id].tables)
        raise InputError([Problem(str(path), "table", f"{name!r} not in run; known: {known}")])
    con = _open_existing(path)
    try:
        df: pd.DataFrame = con.execute(
            f"SELECT * FROM {_quote('t_' + name)} WHERE run_id = ?", [run_id]
        ).df()
    finally:
        con.close()
    return df.drop(columns=["run_id"])


def load_headline(path: str | Path, run_id: str) -> dict[str, Any]:
    con = _open_existing(path)
    try:
        rows = _run(con, f"SELECT headline_json FROM {RUNS_TABLE} WHERE run_id = ?", [run_id])
        row = rows[0] if rows else None
    finally:
        con.close()
    if row is None:
        raise InputError([Problem(str(path), "run_id", f"{run_id!r} not stored")])
    result: dict[str, Any] = json.loads(row[0])
    return result
