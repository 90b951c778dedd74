"""Shared terminal helpers for command modules: consoles, JSON output, friendly errors."""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import typer
from rich.console import Console

from gigawatt.errors import GigawattError, Problem

out = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])


# The library names fields; the command line speaks of the flag that sets each field of a
# cluster (economics.Cluster) so the user sees what to change.
CLUSTER_FLAGS = {
    "accelerators": "--gpus",
    "accelerator": "--gpu",
    "years": "--years",
    "network": "--network",
    "power": "--power",
    "pue": "--pue",
    "energy_price_usd_per_j": "--site-price-usd-per-mwh",
    "water_price_usd_per_m3": "--water-price-usd-per-m3",
    "storage_bytes_per_accelerator": "--storage-tb-per-gpu",
    "server_power_per_accelerator_w": "--power-per-gpu-kw",
    "amount": "--amount",
    "currency": "--currency",
}


def _as_flag(problem: Problem) -> Problem:
    if problem.file == "cluster" and problem.field in CLUSTER_FLAGS:
        return Problem(CLUSTER_FLAGS[problem.field], problem.field, problem.message)
    return problem


def print_problems(exc: GigawattError) -> None:
    """One line per problem on stderr: ``error file:line: field: message``."""
    for problem in exc.problems:
        err.print(f"[bold red]error[/] {_as_flag(problem)}", highlight=False, soft_wrap=True)


def friendly(fn: F) -> F:
    """Turn input errors into one line per problem (file:line: field: message), exit 2."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except GigawattError as exc:
            print_problems(exc)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def _reason(value: float) -> str:
    return "undefined (NaN, e.g. 0/0)" if math.isnan(value) else f"unbounded ({value})"


def finite(value: Any, where: str = "", nulls: dict[str, str] | None = None) -> Any:
    """``value`` with every NaN or infinity (JSON has neither) replaced by null; when
    ``nulls`` is given, the path of each null and why it is null are recorded in it."""
    if isinstance(value, float) or getattr(value, "ndim", None) == 0:  # numpy scalars too
        number = value.item() if hasattr(value, "item") else value
        if isinstance(number, float) and not math.isfinite(number):
            if nulls is not None:
                nulls[where or "."] = _reason(number)
            return None
        return number
    if isinstance(value, dict):
        return {k: finite(v, f"{where}.{k}" if where else str(k), nulls) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v, f"{where}[{i}]", nulls) for i, v in enumerate(value)]
    return value


def strict_json(data: Any, indent: int | None = 2) -> str:
    """Strict JSON text of ``data`` (no NaN or Infinity tokens). A mapping with values that
    were not finite gets a ``nulls`` entry naming each such field and why it is null."""
    nulls: dict[str, str] = {}
    clean = finite(data, "", nulls)
    if nulls and isinstance(clean, dict) and "nulls" not in clean:
        clean["nulls"] = nulls
    return json.dumps(clean, indent=indent, default=str, allow_nan=False)


def emit_json(data: Any) -> None:
    """Print exactly one strict JSON object on stdout (numbers in SI units)."""
    sys.stdout.write(strict_json(data) + "\n")
