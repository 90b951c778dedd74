"""The fuzzing campaign's bookkeeping: every failing case is recorded with its seconds and
can be replayed alone, and a hang cannot be swallowed by the code under test."""

from __future__ import annotations

import sys
from contextlib import suppress
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH))

import fuzz  # noqa: E402


def test_a_case_replays_alone() -> None:
    first = fuzz.mutant(fuzz.case_chooser(7, "scenario", 3))
    fuzz.mutant(fuzz.case_chooser(7, "scenario", 2))  # other cases drawn in between
    assert fuzz.mutant(fuzz.case_chooser(7, "scenario", 3)) == first
    assert fuzz._only(["check:3", "run:5", "cli:2"]) == {("check", 3), ("check", 5), ("cli", 2)}


def test_a_hang_escapes_except_exception() -> None:
    def stubborn() -> None:
        while True:
            with suppress(Exception):  # what code under test might do
                sum(range(10_000))

    with pytest.raises(fuzz.Hang), fuzz.bounded(0.2):
        stubborn()


def test_failures_are_recorded_with_seconds_and_rejections_of_check_are_not() -> None:
    rec = fuzz.Record()
    rec.case("check", 1, "rejected", 0.1, 0.1)
    rec.case("run", 2, "rejected", 3.0, 2.5, detail="no", mutation="- a | + b")
    rec.case("cli", 3, "hang", 31.0, 30.1, argv=["budget"], exit=None, detail="")
    assert [(f["phase"], f["case"]) for f in rec.failures] == [("run", 2), ("cli", 3)]
    assert all("wall_s" in f and "cpu_s" in f for f in rec.failures)
    assert rec.slowest[0]["case"] == 3 and "mutation" not in rec.slowest[1]
    assert rec.counts["check_rejected"] == 1


def test_a_replayed_shard_counts_only_its_cases() -> None:
    part = fuzz.shard(0, 50, 0, 0, only=frozenset({("check", 4), ("check", 9)}))
    checked = sum(v for k, v in part["counts"].items() if k.startswith("check_"))
    assert checked == 2 and part["runs"] == 0
