"""Fast slice of the fuzzing campaign (bench/fuzz.py): mutated shipped scenarios and hostile
flag values give a plan or a clean error naming file and field, within a time bound; strict
outputs (no NaN or Infinity in JSON, no infinite cells, nothing negative that cannot be)."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from gigawatt.console import strict_json
from gigawatt.report import finite_tables

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH))

import fuzz  # noqa: E402

T = TypeVar("T")
SLICE_S = 10.0  # one case of the fast slice; the campaign allows 30 s
runner = CliRunner()


class DrawChooser:
    """The mutators' choices drawn by hypothesis (so failures shrink)."""

    def __init__(self, data: st.DataObject) -> None:
        self.data = data

    def choice(self, options: Any) -> Any:
        return self.data.draw(st.sampled_from(list(options)))

    def integer(self, low: int, high: int) -> int:
        return self.data.draw(st.integers(low, high))


def _check(tmp_path: Path, content: bytes) -> str:
    path = tmp_path / "mutant.yaml"
    path.write_bytes(content)
    with fuzz.bounded(SLICE_S):
        outcome, detail = fuzz.check_file(path)
    assert outcome != "traceback", detail
    return outcome


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.data())
def test_mutated_scenarios_load_or_fail_cleanly(tmp_path: Path, data: st.DataObject) -> None:
    _check(tmp_path, fuzz.mutant(DrawChooser(data)))


@pytest.mark.parametrize(
    "content",
    [
        fuzz.alias_bomb(9, 9).encode(),
        b"name: x\nname: y\n",
        b"name: !!python/object/apply:os.system ['true']\n",
        b"name: caf\xe9\n",
        b"name: " + b"[" * 5000 + b"]" * 5000 + b"\n",
        b"\xff\xfe\x00\x00",
        b"",
        b"- just\n- a list\n",
        b"name: x\nsupply:\n  samples: yes\n",
    ],
    ids=["bomb", "duplicate", "tag", "latin1", "deep", "utf32", "empty", "list", "bool"],
)
def test_hostile_yaml_is_a_clean_error(tmp_path: Path, content: bytes) -> None:
    assert _check(tmp_path, content) == "rejected"


HOSTILE = ("nan", "inf", "-inf", "1e308", "-1e308", str(10**30), "abc")


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_hostile_flag_values_are_refused_cleanly(data: st.DataObject) -> None:
    flags = _flags()
    command = data.draw(st.sampled_from(sorted(fuzz.CLI_BASE)))
    flag = data.draw(st.sampled_from(flags[command]))
    value = data.draw(st.sampled_from(HOSTILE))
    with fuzz.bounded(SLICE_S):
        result = runner.invoke(app_(), [command, *fuzz.CLI_BASE[command], f"{flag}={value}"])
    assert result.exit_code == 2, (command, flag, value, result.output)
    assert "Traceback" not in result.output


_FLAGS: dict[str, list[str]] = {}


def _flags() -> dict[str, list[str]]:
    if not _FLAGS:
        _FLAGS.update(fuzz.numeric_flags())
    return _FLAGS


def app_() -> Any:
    from gigawatt.cli import app

    return app


# ---- strict outputs ---------------------------------------------------------------------------
json_values = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=20,
)


@given(st.dictionaries(st.text(max_size=4), json_values))
def test_strict_json_is_valid_json_and_names_every_null_it_made(data: dict[str, Any]) -> None:
    text = strict_json(data)
    parsed = json.loads(text, parse_constant=lambda token: pytest.fail(f"{token} in JSON"))
    made = sum(1 for v in _leaves(data) if isinstance(v, float) and not math.isfinite(v))
    assert len(parsed.get("nulls", {})) == made or "nulls" in data


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [x for v in value.values() for x in _leaves(v)]
    if isinstance(value, list):
        return [x for v in value for x in _leaves(v)]
    return [value]


@given(st.lists(st.floats(allow_nan=True, allow_infinity=True, width=64), min_size=1, max_size=20))
def test_tables_are_written_without_infinities_and_say_why(values: list[float]) -> None:
    tables, nulls = finite_tables({"t": pd.DataFrame({"x_usd": values, "k": "a"})})
    column = tables["t"]["x_usd"].to_numpy(dtype=float)
    assert not np.isinf(column).any()
    bad = sum(1 for v in values if not math.isfinite(v))
    assert ("t.x_usd" in nulls) == (bad > 0)


# Quantities that cannot be negative, by column name (counts, energy, money other than flows).
NON_NEGATIVE = (
    "accelerators",
    "servers",
    "racks",
    "switches",
    "optics",
    "replicas",
    "gpus",
    "quantity",
    "book_value_usd",
    "capex_usd",
    "depreciation_usd",
    "it_power_w",
    "water_m3",
)


@pytest.fixture(scope="module")
def lab_plan() -> Any:
    from gigawatt.plan import plan
    from gigawatt.scenario import load_scenario

    return plan(load_scenario(Path(__file__).resolve().parents[1] / "scenarios/lab-1024.yaml"))


def test_a_plan_has_no_negative_counts_book_values_or_capex(lab_plan: Any) -> None:
    text = strict_json(lab_plan.to_dict())
    assert "NaN" not in text and "Infinity" not in text
    for name, df in lab_plan.tables.items():
        for col in df.select_dtypes(include="number").columns:
            if any(col.startswith(q) or col.endswith(q) for q in NON_NEGATIVE):
                assert (df[col].dropna() >= 0).all(), (name, col, df[col].min())
