"""The results store: every planned scenario's tables in one DuckDB file.

Append-only: a run adds rows tagged with its ``run_id``; nothing stored is ever updated or
dropped. A table that gains columns in a later version of gigawatt gets them added (older
runs read NULL there), so old results stay readable. Each run is written in one transaction:
a failure (or a killed process) leaves the store as it was; DuckDB's write-ahead log makes a
committed run durable.

The store is shared and on disk, so it is guarded: a writer waits for another (DuckDB allows
one writing process per file) for a bounded time, then fails naming the holder; the file is
checked to be a DuckDB database before DuckDB opens it, and DuckDB never loads or downloads an
extension (it would, to read a SQLite file); every block is read before a run is appended
(DuckDB checksums each block), so a damaged store is refused rather than appended to; run ids
are random and checked unique inside the writing transaction.
"""

from __future__ import annotations

import json
import random
import re
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pandas as pd

from gigawatt import __version__
from gigawatt.errors import Problem, StoreBusyError, StoreError

if TYPE_CHECKING:
    from gigawatt.plan import Plan

RUNS_TABLE = "runs"
LOCK_WAIT_S = 30.0  # appending a run takes about a second; this lets a queue of writers pass
_RETRY_FIRST_S = 0.02  # first pause before trying a locked store again; doubles up to ...
_RETRY_MAX_S = 0.5  # ... this, with random jitter so waiting writers do not retry in step
_RUN_ID_BYTES = 6  # run ids are 12 hex digits (48 random bits)
_DUCKDB_MAGIC = (8, b"DUCK")  # a DuckDB file: an 8-byte checksum, then "DUCK"
_SQLITE_MAGIC = b"SQLite format 3\x00"
_CONFIG: dict[str, str | bool | int | float | list[str]] = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
}
_DAMAGED = ("corrupt", "checksum", "could not read enough bytes", "internal error")
_LOCKS_GUARD = threading.Lock()
_LOCKS: dict[str, threading.Lock] = {}  # one writer or reader per store within a process


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


def _check_file(path: Path) -> None:
    """Refuse what is not a DuckDB database before DuckDB sees it (it would guess a format)."""
    file = str(path)
    if path.is_dir():
        raise StoreError([Problem(file, "store", "is a folder; a results store is a file")])
    if not path.exists():
        return
    if not path.is_file():
        raise StoreError([Problem(file, "store", "not a regular file; a store is a DuckDB file")])
    try:
        with path.open("rb") as fh:
            head = fh.read(len(_SQLITE_MAGIC))
    except OSError as exc:
        raise StoreError([Problem(file, "store", f"cannot read: {exc.strerror}")]) from None
    offset, magic = _DUCKDB_MAGIC
    if head[offset : offset + len(magic)] == magic:
        return
    what = (
        "an empty file"
        if not head
        else "a SQLite database"
        if head.startswith(_SQLITE_MAGIC)
        else "not a DuckDB database"
    )
    raise StoreError(
        [
            Problem(
                file, "store", f"{what}, not a results store (allowed: a DuckDB file or a new path)"
            )
        ]
    )


def check_store(path: str | Path) -> None:
    """StoreError unless ``path`` is a DuckDB file or a new path (a cheap check of the header,
    so a command can refuse a wrong store before it does any work)."""
    _check_file(Path(path))


def _problem(path: Path, exc: duckdb.Error) -> StoreError:
    """Turn a DuckDB error into one line the user can act on."""
    text = str(exc)
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    if any(word in text.lower() for word in _DAMAGED):
        message = f"the store is damaged and was not changed ({first})"
    elif "not a valid DuckDB database" in text:
        message = "not a DuckDB database, not a results store"
    else:
        message = f"cannot use the store: {first}"
    return StoreError([Problem(str(path), "store", message)])


def _is_locked(exc: duckdb.Error) -> bool:
    return "Could not set lock" in str(exc) or "Conflicting lock" in str(exc)


def _busy(path: Path, exc: duckdb.Error | None, wait_s: float) -> StoreBusyError:
    holder = re.search(r"PID (\d+)", str(exc)) if exc is not None else None
    who = f"process {holder.group(1)}" if holder else "another writer"
    return StoreBusyError(
        [
            Problem(
                str(path),
                "store",
                f"in use by {who} for longer than the allowed wait of {wait_s:g} s; "
                "nothing was written to it",
            )
        ]
    )


def _connect(path: Path, read_only: bool, wait_s: float) -> duckdb.DuckDBPyConnection:
    """Open the store, waiting (bounded) while another process holds its lock."""
    deadline = time.monotonic() + wait_s
    pause = _RETRY_FIRST_S
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only, config=_CONFIG)
        except duckdb.Error as exc:
            if not _is_locked(exc):
                raise _problem(path, exc) from None
            if time.monotonic() + pause > deadline:
                raise _busy(path, exc, wait_s) from None
        time.sleep(pause * random.uniform(0.5, 1.5))
        pause = min(2 * pause, _RETRY_MAX_S)


@contextmanager
def _opened(path: Path, read_only: bool, wait_s: float) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to a checked store; DuckDB errors become StoreError. Threads of one
    process take turns (they would share one DuckDB instance, where the file lock is no
    guard)."""
    key = str(path.resolve())
    with _LOCKS_GUARD:
        lock = _LOCKS.setdefault(key, threading.Lock())
    if not lock.acquire(timeout=wait_s):
        raise _busy(path, None, wait_s)
    try:
        _check_file(path)
        con = _connect(path, read_only, wait_s)
        try:
            yield con
        except duckdb.Error as exc:
            raise _problem(path, exc) from None
        finally:
            con.close()
    finally:
        lock.release()


def _verify(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Read every value of every table (DuckDB checks each block's checksum as it reads), and
    refuse a DuckDB file that holds other tables but not ours."""
    tables = [
        str(r[0])
        for r in _run(con, "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'")
    ]
    if tables and RUNS_TABLE not in tables:
        raise StoreError(
            [
                Problem(
                    str(path),
                    "store",
                    f"a DuckDB database without a {RUNS_TABLE!r} table, "
                    "not a results store (allowed: a results store or a new path)",
                )
            ]
        )
    for table in tables:
        _run(con, f"SELECT bit_xor(hash(COLUMNS(*))) FROM {_quote(table)}")


def _new_run_id(con: duckdb.DuckDBPyConnection) -> str:
    """A random id no stored run has (checked under the write lock)."""
    while True:
        run_id = secrets.token_hex(_RUN_ID_BYTES)
        if not _columns(con, RUNS_TABLE):
            return run_id
        if not _run(con, f"SELECT 1 FROM {RUNS_TABLE} WHERE run_id = ?", [run_id]):
            return run_id


def _append_run(con: duckdb.DuckDBPyConnection, plan: Plan, created: str) -> str:
    """Append one run in one transaction; on any failure roll back and re-raise."""
    _run(con, "BEGIN TRANSACTION")
    try:
        run_id = _new_run_id(con)
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
    except BaseException:
        with suppress(duckdb.Error):  # the transaction is already gone: nothing committed
            _run(con, "ROLLBACK")
        raise
    return run_id


def save_plan(plan: Plan, path: str | Path, wait_s: float | None = None) -> str:
    """Store every table of ``plan`` in the DuckDB file ``path``; return the run id.

    Waits up to ``wait_s`` (default LOCK_WAIT_S) for another writer (StoreBusyError after
    that); refuses a file that is not a results store or is damaged (StoreError). Either way
    the store is unchanged.
    """
    created = datetime.now(UTC).isoformat(timespec="seconds")
    p = Path(path)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError([Problem(str(path), "store", f"cannot create: {exc.strerror}")]) from None
    with _opened(p, read_only=False, wait_s=LOCK_WAIT_S if wait_s is None else wait_s) as con:
        _verify(con, p)
        return _append_run(con, plan, created)


@contextmanager
def _reading(path: str | Path, wait_s: float | None) -> Iterator[duckdb.DuckDBPyConnection]:
    p = Path(path)
    if not p.exists():
        raise StoreError([Problem(str(path), "store", "no results store here (nothing saved yet)")])
    with _opened(p, read_only=True, wait_s=LOCK_WAIT_S if wait_s is None else wait_s) as con:
        if not _columns(con, RUNS_TABLE):
            raise StoreError(
                [
                    Problem(
                        str(path),
                        "store",
                        f"a DuckDB file without the {RUNS_TABLE!r} table: "
                        "not a results store, or nothing saved yet",
                    )
                ]
            )
        yield con


def _runs(con: duckdb.DuckDBPyConnection) -> list[StoredRun]:
    rows = _run(
        con,
        f"SELECT run_id, scenario, created_utc, gigawatt_version, tables FROM {RUNS_TABLE} "
        "ORDER BY seq",
    )
    return [StoredRun(str(r[0]), str(r[1]), str(r[2]), str(r[3]), json.loads(r[4])) for r in rows]


def list_runs(path: str | Path, wait_s: float | None = None) -> list[StoredRun]:
    """Every stored run, oldest first."""
    with _reading(path, wait_s) as con:
        return _runs(con)


def load_table(
    path: str | Path, run_id: str, name: str, wait_s: float | None = None
) -> pd.DataFrame:
    """One table of one stored run (without the run_id column)."""
    with _reading(path, wait_s) as con:
        runs = {r.run_id: r for r in _runs(con)}
        if run_id not in runs:
            raise StoreError(
                [Problem(str(path), "run_id", f"{run_id!r} not stored; known: {', '.join(runs)}")]
            )
        if name not in runs[run_id].tables:
            known = ", ".join(runs[run_id].tables)
            raise StoreError([Problem(str(path), "table", f"{name!r} not in run; known: {known}")])
        if not _columns(con, f"t_{name}"):
            raise StoreError(
                [Problem(str(path), "table", f"the store is damaged: table t_{name} is missing")]
            )
        df: pd.DataFrame = con.execute(
            f"SELECT * FROM {_quote('t_' + name)} WHERE run_id = ?", [run_id]
        ).df()
    return df.drop(columns=["run_id"])


def load_headline(path: str | Path, run_id: str, wait_s: float | None = None) -> dict[str, Any]:
    """The headline figures of one stored run."""
    with _reading(path, wait_s) as con:
        rows = _run(con, f"SELECT headline_json FROM {RUNS_TABLE} WHERE run_id = ?", [run_id])
    if not rows:
        raise StoreError([Problem(str(path), "run_id", f"{run_id!r} not stored")])
    result: dict[str, Any] = json.loads(rows[0][0])
    return result
