"""The results store under abuse: ``gigawatt run --store`` processes killed with SIGKILL at
random points, and several writers at once; every run a process reported stored must be in
the store, complete, and the store must still open.

    python bench/store_trials.py [--kills 30] [--writers 2 4] [--seed 0]
                                 [--out bench/results/store.json]

A small scenario (one training run) is planned into a fresh store once without a kill: its
wall time ``T`` and its tables' row counts are the reference. Each kill trial starts the same
command on the shared store and sends SIGKILL after a random delay drawn from the whole run
or, in half the trials, within 1.5 s of the moment the store file or its write-ahead log
changes (the write), then checks the store: it opens (a file a writer killed before its
first commit left without tables counts as an empty store: a writer appends to it), each
run any process printed "stored as run ID" for is listed, and every listed run has every
table it names with the reference's row count (a run is all or nothing).
Then 2 (and 4) processes write to one store at once: all must exit 0 and each run be stored
complete. Targets (issue "Hardening"): >= 30 kill trials, 2 concurrent writers, no reported
run lost or incomplete, the store always opens.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT / "src"))

SCENARIO = """name: store-trial
training:
  - name: t
    model: llama3-8b
    tokens: 1.0e+11
    accelerator: h100-sxm
    gpus: 64
"""
STORED = re.compile(r"stored as run ([0-9a-f]+)")
RUN_TIMEOUT_S = 600.0  # one plan of the small scenario takes seconds; this is a hang
LATE_SHARE = 0.5  # share of kill trials aimed at the store write
WRITE_WINDOW_S = 1.5  # such a kill comes within this many seconds of the write's start
POLL_S = 0.005  # how often the store file is watched for the write's start


def _command(scenario: Path, store: Path, out: Path) -> list[str]:
    return [
        sys.executable, "-m", "gigawatt.cli", "run", str(scenario),
        "--store", str(store), "--out", str(out),
    ]  # fmt: skip


def _env() -> dict[str, str]:
    src = str(ROOT / "src")
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": src if not path else f"{src}{os.pathsep}{path}"}


def _start(scenario: Path, store: Path, out: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        _command(scenario, store, out),
        cwd=ROOT,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _stamp(store: Path) -> tuple[float, int, bool]:
    """The store's modification time and size, and whether DuckDB's write-ahead log exists:
    a change means a writer has begun."""
    wal = store.with_name(store.name + ".wal")
    if not store.exists():
        return (0.0, 0, wal.exists())
    st = store.stat()
    return (st.st_mtime, st.st_size, wal.exists())


def _reported(stdout: str) -> list[str]:
    return STORED.findall(stdout)


def _has_no_tables(store: Path) -> bool:
    """Whether ``store`` is a DuckDB file that opens and holds no table."""
    import duckdb

    try:
        con = duckdb.connect(str(store), read_only=True)
    except duckdb.Error:
        return False
    try:
        return not con.execute("SELECT count(*) FROM duckdb_tables()").fetchall()[0][0]
    finally:
        con.close()


def inspect(store: Path, reference: dict[str, int]) -> dict[str, Any]:
    """Whether the store opens, its run ids, and the runs missing a table or rows."""
    from gigawatt.errors import GigawattError
    from gigawatt.store import list_runs, load_table

    if not store.exists():
        return {"opens": True, "runs": [], "incomplete": []}
    if _has_no_tables(store):  # a writer killed before its first commit: an empty store
        return {"opens": True, "runs": [], "incomplete": []}
    try:
        runs = list_runs(store)
        incomplete = []
        for run in runs:
            rows = {name: len(load_table(store, run.run_id, name)) for name in run.tables}
            if rows != reference:
                incomplete.append(run.run_id)
    except GigawattError as exc:
        return {"opens": False, "error": str(exc)[:300], "runs": [], "incomplete": []}
    return {"opens": True, "runs": [r.run_id for r in runs], "incomplete": incomplete}


def reference_run(folder: Path, scenario: Path) -> tuple[float, dict[str, int]]:
    """Wall seconds of one unkilled run and the row count of each table it stores."""
    from gigawatt.store import list_runs, load_table

    store = folder / "reference.duckdb"
    t0 = time.perf_counter()
    done = subprocess.run(
        _command(scenario, store, folder / "out-ref"),
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
    )
    wall = time.perf_counter() - t0
    if done.returncode != 0 or not _reported(done.stdout):
        raise SystemExit(f"reference run failed ({done.returncode}): {done.stderr[-600:]}")
    run = list_runs(store)[0]
    return wall, {name: len(load_table(store, run.run_id, name)) for name in run.tables}


def kill_trials(
    folder: Path, scenario: Path, n: int, wall_s: float, reference: dict[str, int], seed: int
) -> dict[str, Any]:
    """``n`` runs on one store, each SIGKILLed after a random delay; the store checked after
    each."""
    rng = random.Random(seed)
    store = folder / "killed.duckdb"
    reported: list[str] = []
    trials = []
    lost: set[str] = set()
    incomplete: set[str] = set()
    open_failures = 0
    for i in range(n):
        late = rng.random() < LATE_SHARE
        before = _stamp(store)
        t0 = time.perf_counter()
        proc = _start(scenario, store, folder / f"out-kill{i}")
        if late:  # wait for the write to begin, then kill within the next WRITE_WINDOW_S
            while proc.poll() is None and _stamp(store) == before:
                time.sleep(POLL_S)
            deadline = rng.uniform(0.0, WRITE_WINDOW_S)
        else:
            deadline = rng.uniform(0.0, wall_s)
        try:
            proc.wait(timeout=deadline)
            killed = False
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            killed = True
        delay = time.perf_counter() - t0
        stdout, _ = proc.communicate(timeout=RUN_TIMEOUT_S)
        reported += _reported(stdout)
        state = inspect(store, reference)
        open_failures += not state["opens"]
        lost |= set(reported) - set(state["runs"])
        incomplete |= set(state["incomplete"])
        trials.append(
            {
                "at_write": late,
                "delay_s": round(delay, 3),
                "killed": killed,
                "exit": proc.returncode,
                "reported_stored": len(_reported(stdout)),
                "runs_in_store": len(state["runs"]),
                "opens": state["opens"],
                **({"error": state["error"]} if "error" in state else {}),
            }
        )
    final = inspect(store, reference)
    return {
        "trials": n,
        "killed": sum(t["killed"] for t in trials),
        "reported_stored": len(reported),
        "stored_at_end": len(final["runs"]),
        "lost": sorted(lost),
        "incomplete": sorted(incomplete),
        "open_failures": open_failures,
        "log": trials,
    }


def concurrent_writers(
    folder: Path, scenario: Path, writers: int, reference: dict[str, int]
) -> dict[str, Any]:
    """``writers`` processes started together on one new store: each must store its run."""
    store = folder / f"concurrent{writers}.duckdb"
    t0 = time.perf_counter()
    procs = [_start(scenario, store, folder / f"out-c{writers}-{k}") for k in range(writers)]
    outs = [p.communicate(timeout=RUN_TIMEOUT_S) for p in procs]
    wall = time.perf_counter() - t0
    reported = [rid for out, _ in outs for rid in _reported(out)]
    state = inspect(store, reference)
    failed = [
        {"exit": p.returncode, "stderr": err[-300:]}
        for p, (out, err) in zip(procs, outs, strict=True)
        if p.returncode != 0 or not _reported(out)
    ]
    return {
        "writers": writers,
        "wall_s": wall,
        "reported_stored": len(reported),
        "stored": len(state["runs"]),
        "lost": sorted(set(reported) - set(state["runs"])),
        "incomplete": state["incomplete"],
        "opens": state["opens"],
        "failed": failed,
    }


def trials(n_kills: int, writers: list[int], seed: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        scenario = folder / "store-trial.yaml"
        scenario.write_text(SCENARIO, encoding="utf-8")
        t0 = time.perf_counter()
        wall_s, reference = reference_run(folder, scenario)
        kills = kill_trials(folder, scenario, n_kills, wall_s, reference, seed)
        together = [concurrent_writers(folder, scenario, w, reference) for w in writers]
    return {
        "reference_run_wall_s": wall_s,
        "reference_tables": len(reference),
        "kill_trials": kills["trials"],
        "killed": kills["killed"],
        "kill": kills,
        "concurrent": together,
        "lost_runs": len(kills["lost"]) + sum(len(c["lost"]) for c in together),
        "incomplete_runs": len(kills["incomplete"]) + sum(len(c["incomplete"]) for c in together),
        "store_open_failures": kills["open_failures"] + sum(not c["opens"] for c in together),
        "writers_failed": sum(len(c["failed"]) for c in together),
        "max_concurrent_writers": max(
            (c["writers"] for c in together if not c["failed"] and not c["lost"]), default=0
        ),
        "wall_s": time.perf_counter() - t0,
        "seed": seed,
    }


def main(argv: list[str] | None = None) -> int:
    import benchkit

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=30)
    parser.add_argument("--writers", type=int, nargs="*", default=[2, 4])
    parser.add_argument("--seed", type=int, default=0)
    benchkit.add_arguments(parser, "store")
    args = parser.parse_args(argv)
    figures = trials(args.kills, args.writers, args.seed)
    targets = [
        benchkit.Target("kill_trials", ">=", 30, "kill -9 trials"),
        benchkit.Target("max_concurrent_writers", ">=", 2, "concurrent writers all stored"),
        benchkit.Target("lost_runs", "<=", 0, "every run reported stored is in the store"),
        benchkit.Target("incomplete_runs", "<=", 0, "a run is stored whole or not at all"),
        benchkit.Target("store_open_failures", "<=", 0, "the store always opens"),
        benchkit.Target("writers_failed", "<=", 0, "no concurrent writer fails"),
    ]
    return benchkit.finish("store", figures, targets, args.out, args.target)


if __name__ == "__main__":
    sys.exit(main())
