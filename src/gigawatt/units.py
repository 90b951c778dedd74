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
    "year": (365.25 * 86400.0, "s"),
    "month": (365.25 * 86400.0 / 12.0, "s"),
    "quarter": (365.25 * 86400.0 / 4.0, "s"),
    "GW": (1e9, "W"),
    "J": (1.0, "J"),
    "kWh": (3.6e6, "J"),
    "MWh": (3.6e9, "J"),
    "GWh": (3.6e12, "J"),
    "m": (1.0, "m"),
    "km": (1e3, "m"),
    "mm": (1e-3, "m"),
    "um": (1e-6, "m"),
    "m2": (1.0, "m2"),
    "cm2": (1e-4, "m2"),
    "m3": (1.0, "m3"),
    "L": (1e-3, "m3"),
    "m3/s": (1.0, "m3/s"),
    "L/kWh": (1e-3 / 3.6e6, "m3/J"),
    "kg": (1.0, "kg"),
    "t": (1e3, "kg"),
    "kgCO2/kWh": (1.0 / 3.6e6, "kg/J"),
    "gCO2/kWh": (1e-3 / 3.6e6, "kg/J"),
    "Pa": (1.0, "Pa"),
    "kPa": (1e3, "Pa"),
    "bar": (1e5, "Pa"),
    "degC": (1.0, "degC"),  # temperatures stay in Celsius (affine: no factor to kelvin)
    "K": (1.0, "K"),  # temperature differences
    "m/s": (1.0, "m/s"),
    "USD": (1.0, "USD"),
    "USD/W": (1.0, "USD/W"),
    "USD/kW": (1e-3, "USD/W"),
    "USD/MW": (1e-6, "USD/W"),
    "USD/kWh": (1.0 / 3.6e6, "USD/J"),
    "USD/MWh": (1.0 / 3.6e9, "USD/J"),
    "USD/m3": (1.0, "USD/m3"),
    "USD/h": (1.0 / 3600.0, "USD/s"),
    "USD/year": (1.0 / (365.25 * 86400.0), "USD/s"),
    "USD/GB": (1e-9, "USD/B"),
    "USD/wafer": (1.0, "USD"),
    "1/h": (1.0 / 3600.0, "1/s"),
    "1/year": (1.0 / (365.25 * 86400.0), "1/s"),
    "1/month": (12.0 / (365.25 * 86400.0), "1/s"),
    "FIT": (1e-9 / 3600.0, "1/s"),  # failures per 10^9 device-hours
    "wafers/month": (12.0 / (365.25 * 86400.0), "1/s"),
    "defects/cm2": (1e4, "1/m2"),
    "1/MW": (1e-6, "1/W"),  # e.g. staff (FTE) per MW of IT capacity
    "USD/kW/year": (1e-3 / (365.25 * 86400.0), "USD/J"),  # capacity charges (leases)
    "Gbit/mm2": (1e9 / 8 / 1e-6, "B/m2"),
}

# Interface-width style quantities are counted in bits, not converted to bytes.
BIT_COUNT_UNITS = {"bit"}

# Calendar arithmetic of quarterly plans (quarters and years counted in months).
MONTHS_PER_QUARTER = 3.0
MONTHS_PER_YEAR = 12.0
QUARTERS_PER_YEAR = 4


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


# ---- time constants: the one definition of each (SI seconds) -------------------------------
MINUTE_S = 60.0
HOUR_S = 3600.0
DAY_S = 86400.0
YEAR_S = 365.25 * DAY_S  # Julian year: annualised energies, rates and money use this one
MONTH_S = YEAR_S / 12.0
QUARTER_S = YEAR_S / 4.0
HOURS_PER_YEAR = YEAR_S / HOUR_S  # 8,766 h
# The planning horizon when a scenario or command gives none, used by every entry point: the
# span of the Stargate programme as announced (OpenAI, 2025-01-21: USD 500 B over four years).
DEFAULT_HORIZON_YEARS = 4
# A typical meteorological year of hourly weather has 365 x 24 samples (no leap day); annual
# totals from it are its mean power times YEAR_S, so both notions of a year agree.
WEATHER_HOURS_PER_YEAR = 8760


# ---- physical constants (SI) ----------------------------------------------------------------
STANDARD_GRAVITY_M_PER_S2 = 9.80665  # CGPM (1901)
P_ATM_PA = 101_325.0  # standard atmosphere
KELVIN = 273.15  # 0 degC in kelvin
R_DA_J_PER_KG_K = 287.042  # dry-air gas constant (ASHRAE Fundamentals 2017 ch. 1)
CP_DA_J_PER_KG_K = 1006.0  # dry-air heat capacity (ASHRAE Fundamentals 2017 ch. 1 eq. 32)
CP_VAPOUR_J_PER_KG_K = 1860.0  # water-vapour heat capacity (ASHRAE Fundamentals 2017 ch. 1)
H_FG0_J_PER_KG = 2.501e6  # latent heat of vaporisation at 0 degC (ASHRAE Fundamentals 2017)
WATER_MOLAR_RATIO = 0.621945  # molar mass of water / dry air (ASHRAE Fundamentals 2017 ch. 1)
