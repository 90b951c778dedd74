"""Numeric flags: finite numbers in a stated range only, refused with one clean error that
names the flag and the range in the user's units, before any work is done."""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest
import typer
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.core import TyperCommand, TyperGroup
from typer.testing import CliRunner

from gigawatt.cli import app
from gigawatt.commands._shared import AliasedCommand, FlagRange, flag_range

runner = CliRunner()

# The least each command needs besides the flag under test (required options).
REQUIRED = {
    "train": ["--model", "llama3-8b", "-a", "h100-sxm", "-n", "8", "--global-batch", "8"],
    "cost": ["-a", "h100-sxm", "-n", "8"],
    "budget": ["-a", "h100-sxm", "--amount", "1e6"],
    "facility": ["--site", "ashburn", "--it-mw", "1", "--cooling", "air-economiser"],
    "reliability": [],
    "ops": ["missing.yaml"],
    "serve": ["--model", "llama3-8b"],
    "wafers": [],
}


def _numeric_flags() -> Iterator[tuple[str, TyperCommand, str, str, type]]:
    root = typer.main.get_command(app)
    assert isinstance(root, TyperGroup)
    for name, cmd in root.commands.items():
        if isinstance(cmd, TyperGroup) or not isinstance(cmd, TyperCommand):
            continue
        for param in cmd.params:
            kind = getattr(getattr(param, "type_descriptor", None), "annotation", None)
            if kind in (int, float) and param.opts[0].startswith("--"):
                yield name, cmd, param.name or "", param.opts[0], kind


FLAGS = list(_numeric_flags())


def test_every_numeric_flag_has_a_range_and_is_checked() -> None:
    assert FLAGS
    for command, cmd, name, _, _ in FLAGS:
        assert flag_range(command, name) is not None, (command, name)
        assert isinstance(cmd, AliasedCommand), command


def _flat(text: str) -> str:
    """Terminal output with the error box and its line wrapping removed."""
    return " ".join(text.replace("│", " ").split())


def _outside(allowed: FlagRange, kind: type) -> list[str]:
    """Values the flag must refuse: not finite (floats), and just past each bound."""
    values = ["nan", "inf", "-inf", "1e308"] if kind is float else [str(10**30)]
    if math.isfinite(allowed.high):
        values.append(str(int(allowed.high) + 1) if kind is int else repr(allowed.high * 2 + 1))
    if math.isfinite(allowed.low):
        values.append(str(int(allowed.low) - 1) if kind is int else repr(allowed.low - 1))
    return values


@pytest.mark.parametrize(
    ("command", "name", "flag", "kind"),
    [(c, n, f, k) for c, _, n, f, k in FLAGS],
    ids=[f"{c} {f}" for c, _, _, f, _ in FLAGS],
)
def test_out_of_range_flags_give_one_clean_error(
    command: str, name: str, flag: str, kind: type
) -> None:
    allowed = flag_range(command, name)
    assert allowed is not None
    for value in _outside(allowed, kind):
        result = runner.invoke(app, [command, *REQUIRED[command], f"{flag}={value}"])
        text = _flat(result.output)
        assert result.exit_code == 2, (value, text)
        assert flag in text, (value, text)
        assert any(w in text for w in ("must be in", "range", "than")), (value, text)


@settings(max_examples=40, deadline=None)
@given(st.floats(allow_nan=True, allow_infinity=True))
def test_any_float_for_step_h_is_refused_or_in_range(value: float) -> None:
    """``ops --step-h``: a value out of its range (hours, not seconds) is refused by the flag."""
    allowed = flag_range("ops", "step_h")
    assert allowed is not None
    result = runner.invoke(app, ["ops", "missing.yaml", f"--step-h={value!r}"])
    if allowed.allows(value):
        # then the missing file is the problem, or the step and the default --days together
        # ask for more samples than the command draws (a check on both flags at once)
        text = _flat(result.output)
        assert "--step-h" not in text or "time-series samples" in text, text
    else:
        assert result.exit_code == 2 and "(hours)" in _flat(result.output)


def test_price_errors_are_in_the_users_units() -> None:
    result = runner.invoke(
        app, ["cost", "-a", "h100-sxm", "-n", "8", "--site-price-usd-per-mwh=-1"]
    )
    assert result.exit_code == 2
    text = _flat(result.output)
    assert "USD/MWh" in text and "-1" in text and "e-10" not in text
