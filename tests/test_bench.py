"""The benchmarks' shared helper: provenance metadata, targets, and failing loudly on a miss.

No timing is asserted here; speed targets are checked by the benchmarks themselves.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import platform
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH))

import benchkit  # noqa: E402


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def test_git_state_names_the_commit_and_sees_a_dirty_tree(tmp_path: Path) -> None:
    _git(tmp_path, "init", "-q")
    (tmp_path / "a.txt").write_text("one\n")
    _git(tmp_path, "add", "a.txt")
    _git(tmp_path, "commit", "-q", "-m", "first")
    head = _git(tmp_path, "rev-parse", "HEAD")
    assert benchkit.git_state(tmp_path) == {"commit": head, "dirty": False}
    (tmp_path / "a.txt").write_text("two\n")
    assert benchkit.git_state(tmp_path) == {"commit": head, "dirty": True}
    _git(tmp_path, "checkout", "-q", "a.txt")
    (tmp_path / "bench" / "results").mkdir(parents=True)
    (tmp_path / "bench" / "results" / "x.json").write_text("{}\n")
    assert benchkit.git_state(tmp_path)["dirty"] is False  # results are output, not change
    (tmp_path / "new.txt").write_text("untracked\n")
    assert benchkit.git_state(tmp_path)["dirty"] is True


def test_git_state_outside_a_repository_says_so(tmp_path: Path) -> None:
    state = benchkit.git_state(tmp_path / "nowhere")
    assert state["commit"] is None and state["dirty"] is None and state["error"]


def test_metadata_records_date_commit_and_machine() -> None:
    meta = benchkit.metadata("demo")
    assert meta["benchmark"] == "demo"
    when = dt.datetime.fromisoformat(meta["date"])
    assert when.tzinfo is not None
    assert abs((dt.datetime.now(dt.UTC) - when).total_seconds()) < 3600
    assert set(meta["git"]) >= {"commit", "dirty"}
    m = meta["machine"]
    assert m["python"] == platform.python_version()
    assert m["numpy"] == np.__version__
    assert m["cores"] >= 1 and 1 <= m["cores_usable"] <= m["cores"]
    assert m["memory_bytes"] is None or m["memory_bytes"] > 0
    assert m["platform"] and m["processor"]
    assert m["reference_loop_cpu_s"] > 0
    json.dumps(meta)  # plain JSON, nothing exotic


def test_pinning_sets_every_thread_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in benchkit.THREAD_VARIABLES:
        monkeypatch.setenv(var, "8")
    benchkit.pin_one_thread()
    assert all(os.environ[v] == "1" for v in benchkit.THREAD_VARIABLES)
    assert benchkit.machine()["threads_pinned_to_one"] is True


FIGURES = {"speed": {"wall_s": 2.0, "rate": float("nan")}, "label": "x", "flag": True}


def test_check_targets_reports_met_missed_and_not_measured() -> None:
    targets = [
        benchkit.Target("speed.wall_s", "<", 3.0, "fast enough"),
        benchkit.Target("speed.wall_s", "<", 1.0, "too strict"),
        benchkit.Target("peer.ratio", ">=", 10.0, "peer optional", required=False),
        benchkit.Target("peer.ratio", ">=", 10.0, "peer required"),
        benchkit.Target("speed.rate", ">", 0.0, "NaN is no measurement"),
        benchkit.Target("label", ">", 0.0, "text is no number"),
        benchkit.Target("flag", ">", 0.0, "a bool is no number"),
    ]
    rows = benchkit.check_targets(targets, FIGURES)
    assert [r["status"] for r in rows] == [
        "met",
        "missed",
        "not measured",
        "missed",
        "missed",
        "missed",
        "missed",
    ]
    assert rows[0]["value"] == 2.0 and rows[0]["why"] == "fast enough"


def test_unknown_comparison_is_refused() -> None:
    with pytest.raises(ValueError, match="comparison"):
        benchkit.Target("x", "==", 1.0, "no")


@given(
    value=st.floats(allow_nan=False, allow_infinity=False),
    threshold=st.floats(allow_nan=False, allow_infinity=False),
)
def test_a_bound_and_its_complement_are_never_both_met(value: float, threshold: float) -> None:
    figures = {"m": value}
    for lo, hi in (("<", ">="), (">", "<=")):
        rows = benchkit.check_targets(
            [benchkit.Target("m", lo, threshold, ""), benchkit.Target("m", hi, threshold, "")],
            figures,
        )
        assert sorted(r["status"] for r in rows) == ["met", "missed"]


def test_override_changes_thresholds_of_that_metric_only() -> None:
    targets = [
        benchkit.Target("a", ">", 0.5, "lower bound"),
        benchkit.Target("a", "<", 2.0, "upper bound"),
        benchkit.Target("b", "<", 1.0, "other"),
    ]
    changed = benchkit.override_targets(targets, ["a=7"])
    assert [(t.metric, t.comparison, t.threshold) for t in changed] == [
        ("a", ">", 7.0),
        ("a", "<", 7.0),
        ("b", "<", 1.0),
    ]
    with pytest.raises(ValueError, match="METRIC=THRESHOLD"):
        benchkit.override_targets(targets, ["c=1"])
    with pytest.raises(ValueError, match="METRIC=THRESHOLD"):
        benchkit.override_targets(targets, ["a"])


def test_finish_writes_the_file_and_fails_on_a_miss(tmp_path: Path) -> None:
    targets = [benchkit.Target("speed.wall_s", "<", 3.0, "fast enough")]
    out = tmp_path / "r" / "demo.json"
    assert benchkit.finish("demo", FIGURES, targets, out) == 0
    doc = json.loads(out.read_text())
    assert doc["benchmark"] == "demo" and doc["targets_met"] is True
    assert doc["speed"]["rate"] is None  # strict JSON: NaN written as null
    assert {"date", "git", "machine"} <= set(doc)

    out.write_text("stale")
    assert benchkit.finish("demo", FIGURES, targets, out, ["speed.wall_s=1"]) == 1
    doc = json.loads(out.read_text())  # rewritten even when a target is missed
    assert doc["targets_met"] is False
    assert doc["targets"][0]["status"] == "missed" and doc["targets"][0]["threshold"] == 1.0


def test_json_safe_turns_numpy_and_non_finite_values_into_plain_json() -> None:
    value = {1: np.float64(2.5), "a": np.arange(3), "b": (math.inf, np.int64(4))}
    assert benchkit.json_safe(value) == {"1": 2.5, "a": [0, 1, 2], "b": [None, 4]}


def test_a_benchmark_exits_non_zero_and_names_the_missed_target(tmp_path: Path) -> None:
    """Run a real (short) benchmark with an impossible speed target."""
    out = tmp_path / "facility.json"
    env = {**os.environ, "PYTHONPATH": str(BENCH.parent / "src")}
    proc = subprocess.run(
        [
            sys.executable,
            str(BENCH / "facility.py"),
            "--repeat",
            "1",
            "--out",
            str(out),
            "--target",
            "cpu_seconds_median=0",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    assert "cpu_seconds_median" in proc.stderr
    doc = json.loads(out.read_text())
    missed = [t["metric"] for t in doc["targets"] if t["status"] == "missed"]
    assert missed == ["cpu_seconds_median"]
