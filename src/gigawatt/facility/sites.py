"""Sites: monthly climatology from the catalog, and hourly weather derived from it.

Diurnal model (documented here because every hourly figure depends on it):

* Dry bulb follows a cosine between the monthly mean daily minimum (at 05:00 local solar
  time) and maximum (at 15:00), the standard two-point sinusoid of crop and building-energy
  models (Parton & Logan, Agricultural Meteorology 23 (1981) 205-216, simplified to one
  cosine; ASHRAE Handbook Fundamentals 2017 ch. 14 uses the same shape for design days).
  Between months the daily maximum and minimum are interpolated linearly between mid-month
  days (periodic over the year), so there are no steps at month boundaries.
* Humidity: the humidity ratio is held constant over the day at the monthly mean (dew point
  barely changes diurnally; ASHRAE Fundamentals 2017 ch. 14 design days do the same) and
  limited to saturation, so at night the air can reach but not exceed 100 % RH. Where a
  source gives mean relative humidity instead of dew point, the vapour pressure is
  RH x saturation pressure at the monthly mean temperature.
* Water temperature (sea, river) has no diurnal cycle (thermal inertia), interpolated
  between mid-month values.

It is climatology, not a weather year: no fronts, heat waves or cold snaps, so peak-hour
figures are milder than a design-day analysis would give (ASHRAE 0.4 % design conditions).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from gigawatt.catalog import Catalog, Quantity, load_catalog
from gigawatt.errors import InputError, Problem
from gigawatt.units import WEATHER_HOURS_PER_YEAR

from . import properties as props

F64 = NDArray[np.float64]
FILE = "sites.yaml"
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
DAYS_IN_MONTH = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
HOURS_PER_YEAR = WEATHER_HOURS_PER_YEAR
T_MAX_HOUR = 15.0
T_MIN_HOUR = 5.0
AIR_RANGE_C = (-60.0, 60.0)
WATER_RANGE_C = (-2.0, 40.0)


@dataclass(frozen=True)
class MonthlySeries:
    """Twelve monthly values (SI: degC or fraction) with their source."""

    values: tuple[float, ...]
    unit: str
    source: str
    uncertainty: float = 0.0  # +- per month, SI (K or fraction), from `uncertainty:`
    verified: bool = True  # False where the values were not checked against the cited table
    note: str = ""

    def array(self) -> F64:
        return np.array(self.values, dtype=float)


@dataclass(frozen=True)
class Weather:
    """Weather at the points of a simulation (any shape): SI, temperatures in degC."""

    dry_bulb_c: F64
    humidity_ratio: F64
    wet_bulb_c: F64
    pressure_pa: float | F64  # scalar, or broadcastable to the points (one per site)
    water_c: F64 | None = None
    month: NDArray[np.int64] | None = None  # 0..11 for each point, when known

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.dry_bulb_c.shape)


@dataclass(frozen=True)
class Site:
    """A data-centre site: where it is, its climate, its grid and water."""

    id: str
    name: str
    kind: str  # land | floating
    country: str
    elevation_m: float
    t_max: MonthlySeries
    t_min: MonthlySeries
    dew_point: MonthlySeries | None
    relative_humidity: MonthlySeries | None
    water: MonthlySeries | None
    quantities: Mapping[str, Quantity] = field(default_factory=dict)

    @property
    def floating(self) -> bool:
        return self.kind == "floating"

    @property
    def pressure_pa(self) -> float:
        return props.standard_pressure_pa(self.elevation_m)

    def value(self, key: str) -> float | None:
        q = self.quantities.get(key)
        return q.value if q is not None else None

    def require(self, key: str) -> float:
        q = self.quantities.get(key)
        if q is None or q.value is None:
            raise InputError([Problem(FILE, f"{self.id}.{key}", "figure missing or unknown")])
        return q.value

    @property
    def carbon_kg_per_j(self) -> float:
        return self.require("grid_carbon_intensity")

    @property
    def price_usd_per_j(self) -> float:
        return self.require("electricity_price")

    def monthly_mean_c(self) -> F64:
        return 0.5 * (self.t_max.array() + self.t_min.array())

    def monthly_humidity_ratio(self) -> F64:
        p = self.pressure_pa
        if self.dew_point is not None:
            pw = props.saturation_pressure_pa(self.dew_point.array())
        else:
            assert self.relative_humidity is not None
            pw = self.relative_humidity.array() * props.saturation_pressure_pa(
                self.monthly_mean_c()
            )
        return props.humidity_ratio(pw, p)

    def weather_from_temperatures(
        self, t_db: F64, w: F64, water: F64 | None, month: NDArray[np.int64] | None
    ) -> Weather:
        p = self.pressure_pa
        w = np.minimum(w, props.saturation_humidity_ratio(t_db, p))
        return Weather(t_db, w, props.wet_bulb_c(t_db, w, p), p, water, month)

    def typical_days(self) -> Weather:
        """24 hours of each month's typical day, shape (12, 24): the monthly tables use this."""
        hours = np.arange(24, dtype=float) + 0.5
        shape = diurnal_shape(hours)
        t_max, t_min = self.t_max.array()[:, None], self.t_min.array()[:, None]
        t_db = t_min + (t_max - t_min) * shape[None, :]
        w = np.repeat(self.monthly_humidity_ratio()[:, None], 24, axis=1)
        water = None if self.water is None else np.repeat(self.water.array()[:, None], 24, axis=1)
        month = np.repeat(np.arange(12)[:, None], 24, axis=1)
        return self.weather_from_temperatures(t_db, w, water, month)

    def hourly(self) -> Weather:
        """8,760 hours of a typical year (diurnal model in the module docstring)."""
        return hourly_weather([self])

    def __str__(self) -> str:
        t = self.monthly_mean_c()
        extra = ""
        if self.water is not None:
            extra = f", water {min(self.water.values):.1f}-{max(self.water.values):.1f} degC"
        return (
            f"{self.name} [{self.id}, {self.kind}]: air {t.min():.1f}-{t.max():.1f} degC "
            f"(monthly means){extra}"
        )


def diurnal_shape(hour: F64) -> F64:
    """Fraction of the daily range above the minimum at local solar ``hour`` (0..1).

    Cosine through the minimum at 05:00 and the maximum at 15:00, rising over 10 h and
    falling over 14 h (Parton & Logan 1981 shape, simplified)."""
    h = np.mod(hour, 24.0)
    rising = (h >= T_MIN_HOUR) & (h < T_MAX_HOUR)
    phase_rise = (h - T_MIN_HOUR) / (T_MAX_HOUR - T_MIN_HOUR)
    phase_fall = np.mod(h - T_MAX_HOUR, 24.0) / (24.0 - (T_MAX_HOUR - T_MIN_HOUR))
    up = 0.5 - 0.5 * np.cos(np.pi * phase_rise)
    down = 0.5 + 0.5 * np.cos(np.pi * phase_fall)
    return np.asarray(np.where(rising, up, down), dtype=float)


def _mid_month_interp(monthly: F64, day_of_year: F64) -> F64:
    """Periodic linear interpolation of (..., 12) monthly values to days of the year."""
    mids = np.cumsum(DAYS_IN_MONTH) - DAYS_IN_MONTH / 2.0
    x = np.concatenate([[mids[-1] - 365.0], mids, [mids[0] + 365.0]])
    out = np.empty((*monthly.shape[:-1], day_of_year.size))
    flat = monthly.reshape(-1, 12)
    res = out.reshape(-1, day_of_year.size)
    for i, row in enumerate(flat):
        y = np.concatenate([[row[-1]], row, [row[0]]])
        res[i] = np.interp(day_of_year, x, y)
    return out


def hour_of_year_month() -> NDArray[np.int64]:
    """Month index (0..11) of each of the 8,760 hours."""
    return np.repeat(np.arange(12), DAYS_IN_MONTH * 24).astype(np.int64)


def hourly_weather(sites: list[Site]) -> Weather:
    """Hourly weather, shape (len(sites), 8760), for sites that share nothing but the clock.

    Vectorised over sites; pressure is taken per site (weather of different elevations is
    evaluated at each site's pressure by broadcasting)."""
    hours = np.arange(HOURS_PER_YEAR, dtype=float) + 0.5
    day = hours / 24.0
    shape = diurnal_shape(hours)
    t_max = _mid_month_interp(np.array([s.t_max.values for s in sites]), day)
    t_min = _mid_month_interp(np.array([s.t_min.values for s in sites]), day)
    t_db = t_min + (t_max - t_min) * shape[None, :]
    w = _mid_month_interp(np.array([s.monthly_humidity_ratio() for s in sites]), day)
    p = np.array([s.pressure_pa for s in sites])[:, None]
    w = np.minimum(w, props.saturation_humidity_ratio(t_db, p))
    water: F64 | None = None
    if all(s.water is not None for s in sites):
        water = _mid_month_interp(
            np.array([s.water.values for s in sites if s.water is not None]), day
        )
    wb = props.wet_bulb_c(t_db, w, p)
    month = np.broadcast_to(hour_of_year_month(), t_db.shape)
    return Weather(t_db, w, wb, p, water, np.asarray(month))


def _series(raw: Any, where: str, problems: list[Problem]) -> MonthlySeries | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        problems.append(Problem(FILE, where, "must be {unit, source, monthly: [12 numbers]}"))
        return None
    source, unit, values = raw.get("source"), raw.get("unit"), raw.get("monthly")
    if not isinstance(source, str) or not source.strip():
        problems.append(Problem(FILE, where, "every monthly series needs a `source:`"))
        return None
    if not isinstance(values, list) or len(values) != 12:
        problems.append(Problem(FILE, f"{where}.monthly", "needs exactly 12 numbers (Jan..Dec)"))
        return None
    try:
        arr = np.array([float(v) for v in values])
    except (TypeError, ValueError):
        problems.append(Problem(FILE, f"{where}.monthly", f"not all numbers: {values!r}"))
        return None
    if unit == "degF":
        arr = (arr - 32.0) / 1.8
        unit = "degC"
    elif unit == "%":
        if np.any((arr < 0) | (arr > 100)):
            problems.append(Problem(FILE, f"{where}.monthly", "relative humidity must be 0-100 %"))
            return None
        arr = arr / 100.0
        unit = "1"
    elif unit != "degC":
        problems.append(Problem(FILE, f"{where}.unit", "allowed: degC, degF, %"))
        return None
    if unit == "degC":
        lo, hi = WATER_RANGE_C if "water" in where else AIR_RANGE_C
        if not np.all(np.isfinite(arr)) or arr.min() < lo or arr.max() > hi:
            problems.append(
                Problem(FILE, f"{where}.monthly", f"temperatures must lie in {lo}..{hi} degC")
            )
            return None
    unc_raw = raw.get("uncertainty", 0.0)
    try:
        unc = float(unc_raw)
    except (TypeError, ValueError):
        problems.append(Problem(FILE, f"{where}.uncertainty", f"not a number: {unc_raw!r}"))
        return None
    if not np.isfinite(unc) or unc < 0:
        problems.append(Problem(FILE, f"{where}.uncertainty", "must be a number >= 0"))
        return None
    if raw.get("unit") == "degF":
        unc = unc / 1.8
    elif raw.get("unit") == "%":
        unc = unc / 100.0
    verified = raw.get("verified", True)
    if not isinstance(verified, bool):
        problems.append(Problem(FILE, f"{where}.verified", "must be true or false"))
        return None
    if not verified and unc <= 0:
        problems.append(
            Problem(FILE, f"{where}.uncertainty", "an unverified series needs an uncertainty > 0")
        )
        return None
    return MonthlySeries(
        tuple(float(v) for v in arr), unit, source, unc, verified, str(raw.get("note", ""))
    )


def _site_from_entry(entry_id: str, fields: Mapping[str, Any]) -> Site:
    problems: list[Problem] = []
    climate = fields.get("climate")
    if not isinstance(climate, Mapping):
        raise InputError([Problem(FILE, f"{entry_id}.climate", "missing climate mapping")])
    where = f"{entry_id}.climate"
    t_max = _series(climate.get("dry_bulb_max"), f"{where}.dry_bulb_max", problems)
    t_min = _series(climate.get("dry_bulb_min"), f"{where}.dry_bulb_min", problems)
    dew = _series(climate.get("dew_point"), f"{where}.dew_point", problems)
    rh = _series(climate.get("relative_humidity"), f"{where}.relative_humidity", problems)
    water = _series(climate.get("water_temperature"), f"{where}.water_temperature", problems)
    kind = str(fields.get("kind", "land"))
    if kind not in ("land", "floating"):
        problems.append(Problem(FILE, f"{entry_id}.kind", "allowed: land, floating"))
    if t_max is None or t_min is None:
        problems.append(Problem(FILE, where, "dry_bulb_max and dry_bulb_min are required"))
    elif any(a < b for a, b in zip(t_max.values, t_min.values, strict=True)):
        problems.append(Problem(FILE, where, "dry_bulb_max below dry_bulb_min in some month"))
    if dew is None and rh is None:
        problems.append(Problem(FILE, where, "give dew_point or relative_humidity"))
    if kind == "floating" and water is None:
        problems.append(Problem(FILE, where, "a floating site needs water_temperature"))
    elev = fields.get("elevation")
    if not isinstance(elev, Quantity) or elev.value is None:
        problems.append(Problem(FILE, f"{entry_id}.elevation", "required (m)"))
    if problems:
        raise InputError(problems)
    assert t_max is not None and t_min is not None and isinstance(elev, Quantity)
    quantities = {k: v for k, v in fields.items() if isinstance(v, Quantity)}
    return Site(
        id=entry_id,
        name=str(fields.get("name", entry_id)),
        kind=kind,
        country=str(fields.get("country", "")),
        elevation_m=elev.get(),
        t_max=t_max,
        t_min=t_min,
        dew_point=dew,
        relative_humidity=rh,
        water=water,
        quantities=quantities,
    )


def site_ids(catalog: Catalog | None = None) -> list[str]:
    return sorted((catalog or load_catalog()).kind("sites"))


def get_site(site_id: str, catalog: Catalog | None = None) -> Site:
    """The catalog site ``site_id``; a clear error listing the known ids otherwise."""
    cat = catalog or load_catalog()
    items = cat.kind("sites")
    if site_id not in items:
        raise InputError(
            [Problem(FILE, "site", f"unknown site {site_id!r}; known: {', '.join(sorted(items))}")]
        )
    return _site_from_entry(site_id, items[site_id].fields)
