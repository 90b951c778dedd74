"""Unit conversion at the edges (YAML, CLI, reports). Inside, everything is SI.

Each unit string maps to (factor to SI, SI dimension). Bandwidths are bytes per second per
direction; compute is FLOP per second; counts are dimensionless ("1").
"""

from __future__ import annotations

UNITS: dict[str, tuple[float, str]] = {
    "1": (1.0, "1"),
    "%": (0.01, "1"),
    "bit": (0.125, "B"),
    "Gbit": (1e9 / 8, "B"),
    "B": (1.0, "B"),
    "KB": (1e3, "B"),
    "MB": (1e6, "B"),
    "GB": (1e9, "B"),
    "TB": (1e12, "B"),
    "GiB": (2.0**30, "B"),
    "B/s": (1.0, "B/s"),
    "GB/s": (1e9, "B/s"),
    "TB/s": (1e12, "B/s"),
    "Gbit/s": (1e9 / 8, "B/s"),
    "FLOP/s": (1.0, "FLOP/s"),
    "TFLOP/s": (1e12, "FLOP/s"),
    "PFLOP/s": (1e15, "FLOP/s"),
    "FLOP": (1.0, "FLOP"),
    "W": (1.0, "W"),
    "kW": (1e3, "W"),
    "MW": (1e6, "W"),
    "s": (1.0, "s"),
    "ms": (1e-3, "s"),
    "us": (1e-6, "s"),
    "ns": (1e-9, "s"),
    "h": (3600.0, "s"),
    "day": (86400.0, "s"),
    "mm2": (1e-6, "m2"),
    "nm": (1e-9, "m"),
    "Hz": (1.0, "Hz"),
    "GHz": (1e9, "Hz"),
}

# Interface-width style quantities are counted in bits, not converted to bytes.
BIT_COUNT_UNITS = {"bit"}


def to_si(value: float, unit: str) -> tuple[float, str]:
    """Convert ``value`` in ``unit`` to SI; return (value_si, si_dimension)."""
    factor, dim = UNITS[unit]
    return value * factor, dim


def fmt_si(value: float, dim: str) -> str:
    """Format an SI value with a readable prefix for reports and tables."""
    if dim == "1":
        if value != 0 and (abs(value) >= 1e6 or abs(value) < 1e-3):
            return f"{value:.4g}"
        return f"{value:,.6g}"
    prefixes = [(1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"), (1.0, "")]
    if dim == "s":
        if abs(value) >= 1.0 or value == 0:
            return f"{value:.4g} s"
        for factor, name in [(1e-3, "ms"), (1e-6, "us"), (1e-9, "ns")]:
            if abs(value) >= factor:
                return f"{value / factor:.4g} {name}"
        return f"{value:.3g} s"
    for factor, name in prefixes:
        if abs(value) >= factor:
            return f"{value / factor:.4g} {name}{dim}"
    return f"{value:.4g} {dim}"
