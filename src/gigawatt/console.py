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


def friendly(fn: F) -> F:
    """Turn input errors into one line per problem (file:line: field: message), exit 2."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except GigawattError as exc:
            for problem in exc.problems:
                err.print(
                    f"[bold red]error[/] {_as_flag(problem)}", highlight=False, soft_wrap=True
                )
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def _finite(value: Any) -> Any:
    """JSON has no NaN or infinity: an undefined number is written as null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def emit_json(data: Any) -> None:
    """Print exactly one strict JSON object on stdout (numbers in SI units)."""
    text = json.dumps(_finite(data), indent=2, default=str, allow_nan=False)
    sys.stdout.write(text + "\n")
