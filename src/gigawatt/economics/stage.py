"""Economics: capex, opex, depreciation, financing, TCO, unit costs, currencies and budgets.

Every price comes from ``catalog/prices.yaml`` (sourced, dated, with a low / likely / high
range); currency rates from ``catalog/currencies.yaml``. The functions here are pure and
vectorised. They take what the other stages produce as plain numbers — counts bought per year
per price item, facility energy in J, water in m3, IT power in W, energy and water prices per
site — and return pandas DataFrames with units in the column names (``capex_usd``, ``year``).

Ranges: each money column comes in three versions, ``*_low``, the likely value (no suffix) and
``*_high``. The low case takes every price, rate and life at its cheap end together (low
prices, low maintenance, long lives, low WACC), the high case at its dear end: the envelope of
fully correlated uncertainties, wider than a Monte Carlo interval, never narrower.

Method (standard engineering economics, e.g. Brealey, Myers & Allen, *Principles of Corporate
Finance*, ch. 6; Barroso, Hölzle & Ranganathan, *The Datacenter as a Computer*, 3rd ed. 2019,
ch. 6 "Modeling costs"):

* capex is bought in the year of purchase (no construction interest);
* straight-line depreciation over the asset class's useful life, from the year of purchase;
* the capital charge of an asset in service is capex x CRF(WACC, life), the capital recovery
  factor, so that capital charge + opex is the rental-equivalent cost of running the fleet;
  $/GPU-hour = that annual cost / GPU-hours in service;
* opex = energy (site price x facility energy) + water + staff (FTE per MW of IT) +
  maintenance (% of the capex in service) + insurance (% of capex in service) + leases.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from gigawatt.bom import BomLine, build_line
from gigawatt.bom.cluster import MAX_ACCELERATORS
from gigawatt.catalog import Catalog, Entry, Quantity, load_catalog
from gigawatt.errors import CatalogError, InputError, Problem
from gigawatt.units import HOURS_PER_YEAR, UNITS, YEAR_S

FloatArray = npt.NDArray[np.float64]
ArrayLike = float | int | Sequence[float] | npt.NDArray[Any]
Range = tuple[float, float, float]
Case = Literal["low", "likely", "high"]

# The planning horizon when a scenario gives none: the span of the Stargate programme as
# announced (OpenAI, 2025-01-21: USD 500 B over four years), used by every entry point.
DEFAULT_HORIZON_YEARS = 4
CASES: tuple[Case, Case, Case] = ("low", "likely", "high")
SUFFIX = {"low": "_low", "likely": "", "high": "_high"}

ASSET_CLASSES = (
    "compute",
    "network",
    "storage",
    "building",
    "electrical_mechanical",
    "power_plant",
    "floating",
    "land",
)
CATEGORIES = ("compute", "network", "storage", "facility", "floating", "power", "lease")
OPEX_COMPONENTS = ("energy", "water", "staff", "maintenance", "insurance", "leases")
BASES = {"accelerators": "USD", "units": "USD", "bytes": "USD/B", "watts": "USD/W"}
_FILE = "prices.yaml"


def _cols(name: str) -> list[str]:
    """The three range columns of a money column: ``[name_low, name, name_high]``."""
    return [f"{name}{SUFFIX[c]}" for c in CASES]


# ---- the price book -------------------------------------------------------------------------
@dataclass(frozen=True)
class PriceItem:
    """One thing a plan can buy or lease, with its unit price per ``basis`` quantity in SI.

    ``price`` is USD per accelerator (basis ``accelerators``: the catalog's system price
    divided by ``accelerators_per_unit``), per device (``units``), per byte (``bytes``), per
    watt (``watts``) or, for leases, USD per watt-second (USD per W per year / YEAR_S).
    ``price`` is None when the figure is not published; using the item then raises a
    CatalogError asking for a price override.
    """

    id: str
    name: str
    category: str
    asset_class: str
    basis: str
    price: Range | None
    source: str
    note: str = ""
    accelerator: str | None = None
    default: bool = False
    accelerators_per_unit: float = 1.0
    ports: int | None = None

    @property
    def is_lease(self) -> bool:
        return self.category == "lease"

    def unit_price(self) -> Range:
        """(low, likely, high) price per basis quantity; CatalogError if unpublished."""
        if self.price is None:
            raise CatalogError(
                [
                    Problem(
                        _FILE,
                        f"{self.id}.price",
                        f"price not published ({self.source}); give a price override "
                        f"(scenario economics.prices.{self.id}, or --price {self.id}=VALUE)",
                    )
                ]
            )
        return self.price

    def __str__(self) -> str:
        if self.price is None:
            text = "price unknown"
        else:
            lo, mid, hi = self.price
            per = {"accelerators": "accelerator", "units": "unit", "bytes": "B", "watts": "W"}
            unit = f"USD/{per[self.basis]}" + ("/s" if self.is_lease else "")
            text = f"{mid:.4g} {unit} [{lo:.4g}–{hi:.4g}]"
        return f"{self.id} ({self.category}, {self.asset_class}): {text} — {self.source}"


@dataclass(frozen=True)
class Financials:
    """Operating and financial parameters (all SI, each a (low, likely, high) range)."""

    life_s: Mapping[str, Range]
    maintenance_per_year: Mapping[str, Range]
    insurance_per_year: Range
    staff_fte_per_w: Range
    staff_usd_per_fte_s: Range
    wacc_per_year: Range
    it_load: Range
    storage_bytes_per_accelerator: Range
    pue: Range
    energy_price_usd_per_j: Range
    water_price_usd_per_m3: Range
    wue_m3_per_j: Range

    def life_years(self, asset_class: str) -> Range:
        lo, mid, hi = self.life_s[asset_class]
        return (lo / YEAR_S, mid / YEAR_S, hi / YEAR_S)


@dataclass(frozen=True)
class Currency:
    """A currency and how many of its units one US dollar buys, with the dated range."""

    code: str
    name: str
    per_usd: Range
    as_of: str
    source: str

    def __str__(self) -> str:
        lo, mid, hi = self.per_usd
        return f"{self.code} ({self.name}): {mid:,.4g} per USD [{lo:,.4g}–{hi:,.4g}], {self.as_of}"


@dataclass(frozen=True)
class PriceBook:
    """Prices, financial parameters and currency rates for one plan (catalog + overrides)."""

    items: Mapping[str, PriceItem]
    finance: Financials
    currencies: Mapping[str, Currency]
    overridden: tuple[str, ...] = ()

    def item(self, item_id: str, where: str = "item") -> PriceItem:
        if item_id not in self.items:
            allowed = ", ".join(sorted(self.items))
            raise InputError(
                [Problem(_FILE, where, f"unknown price item {item_id!r}; known: {allowed}")]
            )
        return self.items[item_id]

    def compute_item(self, gpu: str, where: str = "accelerator") -> PriceItem:
        """The compute item for an accelerator id (its default system) or a compute item id."""
        if gpu in self.items and self.items[gpu].category == "compute":
            return self.items[gpu]
        matches = [
            i for i in self.items.values() if i.accelerator == gpu and i.category == "compute"
        ]
        matches.sort(key=lambda i: not i.default)
        if matches:
            return matches[0]
        accs = sorted({i.accelerator for i in self.items.values() if i.accelerator})
        comp = sorted(i.id for i in self.items.values() if i.category == "compute")
        raise InputError(
            [
                Problem(
                    where,
                    "gpu",
                    f"no price for {gpu!r}; priced accelerators: {', '.join(accs)}; "
                    f"systems: {', '.join(comp)}",
                )
            ]
        )

    def currency(self, code: str, where: str = "currency") -> Currency:
        key = code.strip().lower()
        if key not in self.currencies:
            allowed = ", ".join(c.code for c in self.currencies.values())
            raise InputError(
                [Problem(where, "currency", f"unknown currency {code!r}; allowed: {allowed}")]
            )
        return self.currencies[key]

    def with_overrides(
        self,
        prices: Mapping[str, PriceOverride] | None = None,
        wacc: float | None = None,
        where: str = "economics.prices",
    ) -> PriceBook:
        """A copy with scenario price overrides (in the catalog item's own unit) and WACC."""
        items = dict(self.items)
        problems: list[Problem] = []
        for item_id, raw in (prices or {}).items():
            ov = raw if isinstance(raw, PriceOverride) else PriceOverride.model_validate(raw)
            if item_id not in items:
                problems.append(
                    Problem(
                        where, item_id, f"unknown price item; known: {', '.join(sorted(items))}"
                    )
                )
                continue
            item = items[item_id]
            if ov.unit not in UNITS:
                problems.append(Problem(where, f"{item_id}.unit", f"unknown unit {ov.unit!r}"))
                continue
            factor, dim = UNITS[ov.unit]
            want = "USD/J" if item.is_lease else BASES[item.basis]
            if dim != want:
                problems.append(
                    Problem(
                        where, f"{item_id}.unit", f"{ov.unit!r} is {dim}; this item needs {want}"
                    )
                )
                continue
            per = item.accelerators_per_unit if item.basis == "accelerators" else 1.0
            lo = ov.low if ov.low is not None else ov.value
            hi = ov.high if ov.high is not None else ov.value
            if not lo <= ov.value <= hi:
                problems.append(
                    Problem(
                        where, item_id, f"need low <= value <= high, got {lo}, {ov.value}, {hi}"
                    )
                )
                continue
            price = (lo * factor / per, ov.value * factor / per, hi * factor / per)
            items[item_id] = replace(item, price=price, source=ov.source, note="scenario override")
        if problems:
            raise InputError(problems)
        finance = self.finance
        if wacc is not None:
            if not 0.0 <= wacc < 1.0:
                raise InputError([Problem("economics", "wacc", f"must be in [0, 1), got {wacc}")])
            finance = replace(finance, wacc_per_year=(wacc, wacc, wacc))
        done = tuple(sorted(set(self.overridden) | set(prices or {})))
        return PriceBook(items, finance, self.currencies, done)

    def __str__(self) -> str:
        lines = [f"PriceBook: {len(self.items)} items, currencies {', '.join(self.currencies)}"]
        lines += [f"  {item}" for item in self.items.values()]
        return "\n".join(lines)


class PriceOverride(BaseModel):
    """A price from the scenario, in a unit of the item's dimension (e.g. USD per rack for a
    rack, USD/MW for a facility item, USD/kW/year for a lease), with its source."""

    model_config = ConfigDict(extra="forbid")
    value: float = Field(ge=0)
    unit: str
    source: str = Field(min_length=1)
    low: float | None = Field(default=None, ge=0)
    high: float | None = Field(default=None, ge=0)


def _range(q: Quantity) -> Range:
    lo, mid, hi = q.range
    return (float(lo), float(mid), float(hi))


def _quantity(entry: Entry, key: str, dim: str, problems: list[Problem]) -> Range:
    value = entry.get(key)
    if not isinstance(value, Quantity) or not value.known:
        problems.append(Problem(entry.file, f"{entry.id}.{key}", f"missing quantity ({dim})"))
        return (0.0, 0.0, 0.0)
    if value.dim != dim:
        problems.append(
            Problem(entry.file, f"{entry.id}.{key}", f"needs a {dim} unit, got {value.unit!r}")
        )
        return (0.0, 0.0, 0.0)
    return _range(value)


def _parse_item(entry: Entry, problems: list[Problem]) -> PriceItem | None:
    where = entry.id
    category = str(entry.get("category", ""))
    if category not in CATEGORIES and category != "reference":
        problems.append(
            Problem(
                entry.file, f"{where}.category", f"{category!r}; allowed: {', '.join(CATEGORIES)}"
            )
        )
        return None
    asset_class = str(entry.get("asset_class", ""))
    if asset_class not in ASSET_CLASSES:
        problems.append(
            Problem(
                entry.file,
                f"{where}.asset_class",
                f"{asset_class!r}; allowed: {', '.join(ASSET_CLASSES)}",
            )
        )
        return None
    basis = str(entry.get("basis", ""))
    if basis not in BASES:
        problems.append(
            Problem(entry.file, f"{where}.basis", f"{basis!r}; allowed: {', '.join(BASES)}")
        )
        return None
    q = entry.get("price")
    if not isinstance(q, Quantity):
        problems.append(Problem(entry.file, f"{where}.price", "missing price quantity"))
        return None
    want = "USD/J" if category == "lease" else BASES[basis]
    if q.known and q.dim != want:
        problems.append(
            Problem(entry.file, f"{where}.price", f"needs a {want} unit, got {q.unit!r}")
        )
        return None
    per = 1.0
    if basis == "accelerators":
        per = _quantity(entry, "accelerators_per_unit", "1", problems)[1] or 1.0
    price = None if not q.known else tuple(x / per for x in _range(q))
    ports = entry.get("ports")
    return PriceItem(
        id=entry.id,
        name=entry.name,
        category=category,
        asset_class=asset_class,
        basis=basis,
        price=price,  # type: ignore[arg-type]
        source=q.source,
        note=q.note,
        accelerator=entry.get("accelerator"),
        default=bool(entry.get("default", False)),
        accelerators_per_unit=per,
        ports=int(ports.get()) if isinstance(ports, Quantity) else None,
    )


def load_price_book(catalog: Catalog | None = None) -> PriceBook:
    """Read prices, financial parameters and currencies from the catalog, checking units."""
    cat = catalog or load_catalog()
    problems: list[Problem] = []
    items: dict[str, PriceItem] = {}
    params: dict[str, Entry] = {}
    for entry in cat.kind("prices").values():
        if entry.get("category") == "parameter" or "price" not in entry.fields:
            params[entry.id] = entry
            continue
        item = _parse_item(entry, problems)
        if item is not None:
            items[item.id] = item
    accs = set(cat.kind("accelerators"))
    for item in items.values():
        if item.accelerator is not None and item.accelerator not in accs:
            problems.append(
                Problem(
                    _FILE, f"{item.id}.accelerator", f"unknown accelerator {item.accelerator!r}"
                )
            )

    def param(entry_id: str, key: str, dim: str) -> Range:
        if entry_id not in params:
            problems.append(Problem(_FILE, entry_id, "required parameter entry is missing"))
            return (0.0, 0.0, 0.0)
        return _quantity(params[entry_id], key, dim, problems)

    lives = {c: param("depreciation-lives", c, "s") for c in ASSET_CLASSES if c != "land"}
    lives["land"] = (math.inf, math.inf, math.inf)
    maintenance = {c: param("maintenance-rates", c, "1") for c in ASSET_CLASSES}
    finance = Financials(
        life_s=lives,
        maintenance_per_year=maintenance,
        insurance_per_year=param("insurance", "rate", "1"),
        staff_fte_per_w=param("staff", "fte_per_mw", "1/W"),
        staff_usd_per_fte_s=param("staff", "cost_per_fte", "USD/s"),
        wacc_per_year=param("wacc", "rate", "1"),
        it_load=param("cluster-defaults", "it_load", "1"),
        storage_bytes_per_accelerator=param("cluster-defaults", "storage_per_accelerator", "B"),
        pue=param("cluster-defaults", "pue", "1"),
        energy_price_usd_per_j=param("cluster-defaults", "energy_price", "USD/J"),
        water_price_usd_per_m3=param("cluster-defaults", "water_price", "USD/m3"),
        wue_m3_per_j=param("cluster-defaults", "wue", "m3/J"),
    )
    currencies: dict[str, Currency] = {}
    for entry in cat.kind("currencies").values():
        rate = _quantity(entry, "per_usd", "1", problems)
        if rate[0] <= 0:
            problems.append(Problem(entry.file, f"{entry.id}.per_usd", "must be > 0"))
        currencies[entry.id] = Currency(
            code=str(entry.get("code", entry.id.upper())),
            name=entry.name,
            per_usd=rate,
            as_of=str(entry.get("as_of", "")),
            source=entry.q("per_usd").source if isinstance(entry.get("per_usd"), Quantity) else "",
        )
    if "usd" not in currencies:
        problems.append(Problem("currencies.yaml", "usd", "the base currency USD is missing"))
    if problems:
        raise CatalogError(problems)
    return PriceBook(items, finance, currencies)


# ---- financing ------------------------------------------------------------------------------
def capital_recovery_factor(rate: ArrayLike, years: ArrayLike) -> FloatArray:
    """Annual payment per unit of present value over ``years`` at ``rate`` per year.

    CRF = r (1+r)^n / ((1+r)^n - 1); 1/n at r = 0; r for an infinite life (land). The annuity
    of a loan or the level capital charge of an asset (Brealey, Myers & Allen, ch. 2/6).
    """
    r = np.asarray(rate, dtype=float)
    n = np.asarray(years, dtype=float)
    if np.any(r < 0) or np.any(n <= 0):
        raise InputError([Problem("economics", "rate/years", "need rate >= 0 and years > 0")])
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        finite_n = np.where(np.isfinite(n), n, 1.0)
        # r / (1 - (1+r)^-n), written with expm1/log1p so tiny rates tend smoothly to 1/n
        exact = r / -np.expm1(-finite_n * np.log1p(r))
        # below 1e-6 the exact form loses precision (denormal rates); its first-order series
        # 1/n + r (n + 1) / (2n) is exact to ~1e-12 there
        series = 1.0 / finite_n + r * (finite_n + 1.0) / (2.0 * finite_n)
        crf = np.where(r > 1e-6, exact, series)
    return np.asarray(np.where(np.isfinite(n), crf, r), dtype=float)


def annuity_payment_usd(principal_usd: ArrayLike, rate: ArrayLike, years: ArrayLike) -> FloatArray:
    """Level annual payment that repays ``principal_usd`` over ``years`` at ``rate``."""
    return np.asarray(principal_usd, dtype=float) * capital_recovery_factor(rate, years)


def present_value_usd(
    cash_usd: ArrayLike, rate: ArrayLike, years_from_now: ArrayLike
) -> FloatArray:
    """Discount cash flows at the end of ``years_from_now`` back to today at ``rate``."""
    r = np.asarray(rate, dtype=float)
    t = np.asarray(years_from_now, dtype=float)
    return np.asarray(np.asarray(cash_usd, dtype=float) / np.power(1.0 + r, t), dtype=float)


def in_service_fraction(
    start_year: ArrayLike, life_years: ArrayLike, years: ArrayLike
) -> FloatArray:
    """Fraction of each calendar year (columns) each asset (rows) is in service.

    An asset bought in year ``s`` with life ``L`` serves [s, s + L): full years, and a partial
    last year for a fractional life; an infinite life (land) serves for ever.
    """
    s = np.asarray(start_year, dtype=float).reshape(-1, 1)
    life = np.asarray(life_years, dtype=float).reshape(-1, 1)
    y = np.asarray(years, dtype=float).reshape(1, -1)
    end = s + life
    return np.asarray(np.clip(np.minimum(y + 1.0, end) - np.maximum(y, s), 0.0, 1.0), dtype=float)


def straight_line_depreciation(
    capex_usd: ArrayLike, start_year: ArrayLike, life_years: ArrayLike, years: ArrayLike
) -> FloatArray:
    """Depreciation per asset (rows) per year (columns): capex / life while in service.

    Over all the years an asset serves, the charges add up to its capex exactly; an infinite
    life (land) is never depreciated.
    """
    capex = np.asarray(capex_usd, dtype=float).reshape(-1, 1)
    life = np.asarray(life_years, dtype=float).reshape(-1, 1)
    if np.any(life <= 0):
        raise InputError([Problem("economics", "life_years", "depreciation lives must be > 0")])
    frac = in_service_fraction(start_year, life, years)
    with np.errstate(divide="ignore"):
        per_year = np.where(np.isfinite(life), capex / life, 0.0)
    return np.asarray(per_year * frac, dtype=float)


# ---- unit costs -----------------------------------------------------------------------------
def usd_per_gpu_hour(
    annual_cost_usd: ArrayLike, accelerators: ArrayLike, utilisation: ArrayLike = 1.0
) -> FloatArray:
    """Cost of one accelerator-hour: annual cost / (accelerators x hours per year x utilisation)."""
    n = np.asarray(accelerators, dtype=float)
    u = np.asarray(utilisation, dtype=float)
    if np.any(n <= 0) or np.any(u <= 0) or np.any(u > 1):
        raise InputError(
            [
                Problem(
                    "economics",
                    "accelerators/utilisation",
                    "need accelerators > 0, 0 < utilisation <= 1",
                )
            ]
        )
    return np.asarray(
        np.asarray(annual_cost_usd, dtype=float) / (n * HOURS_PER_YEAR * u), dtype=float
    )


def usd_per_training_run(
    accelerators: ArrayLike, days: ArrayLike, gpu_hour_usd: ArrayLike
) -> FloatArray:
    """Cost of a run on ``accelerators`` for ``days`` wall-clock days at a $/GPU-hour."""
    n, d = np.asarray(accelerators, dtype=float), np.asarray(days, dtype=float)
    if np.any(n < 0) or np.any(d < 0):
        raise InputError(
            [Problem("economics", "training run", "accelerators and days must be >= 0")]
        )
    return np.asarray(n * d * 24.0 * np.asarray(gpu_hour_usd, dtype=float), dtype=float)


def usd_per_million_tokens(
    tokens_per_s: ArrayLike, accelerators: ArrayLike, gpu_hour_usd: ArrayLike
) -> FloatArray:
    """Serving cost: accelerators x $/GPU-hour / tokens per hour, per 10^6 tokens.

    ``tokens_per_s`` is the sustained throughput of the whole group of ``accelerators``.
    """
    tps = np.asarray(tokens_per_s, dtype=float)
    n = np.asarray(accelerators, dtype=float)
    if np.any(tps <= 0) or np.any(n < 0):
        raise InputError(
            [Problem("economics", "service", "need tokens_per_s > 0 and accelerators >= 0")]
        )
    return np.asarray(n * np.asarray(gpu_hour_usd, dtype=float) / (tps * 3600.0) * 1e6, dtype=float)


# ---- currencies -----------------------------------------------------------------------------
def convert(
    amount: ArrayLike,
    from_code: str,
    to_code: str,
    book: PriceBook | None = None,
    case: Case = "likely",
) -> FloatArray:
    """Convert an amount between currencies at the catalog's dated rate (``case`` picks the
    rate of the range: ``low`` / ``high`` = fewest / most units of each currency per USD)."""
    b = book or load_price_book()
    i = CASES.index(case)
    src, dst = b.currency(from_code), b.currency(to_code)
    return np.asarray(
        np.asarray(amount, dtype=float) / src.per_usd[i] * dst.per_usd[i], dtype=float
    )


def convert_range(
    amount: float, from_code: str, to_code: str, book: PriceBook | None = None
) -> Range:
    """(low, likely, high) of an amount converted over the rates' dated ranges."""
    b = book or load_price_book()
    src, dst = b.currency(from_code), b.currency(to_code)
    values = [amount / s * d for s in src.per_usd for d in dst.per_usd]
    mid = amount / src.per_usd[1] * dst.per_usd[1]
    return (min(values), mid, max(values))


def in_currency(df: pd.DataFrame, code: str, book: PriceBook | None = None) -> pd.DataFrame:
    """A copy of a table with every ``*_usd*`` column converted to ``code`` (renamed)."""
    b = book or load_price_book()
    cur = b.currency(code)
    if cur.code == "USD":
        return df.copy()
    rate = cur.per_usd[1]
    out = df.copy()
    tag = cur.code.lower()
    renames = {}
    for col in df.columns:
        if isinstance(col, str) and "usd" in col.split("_"):
            out[col] = df[col] * rate
            renames[col] = "_".join(tag if p == "usd" else p for p in col.split("_"))
    return out.rename(columns=renames)


# ---- inputs ---------------------------------------------------------------------------------
class Purchase(BaseModel):
    """Something bought (or leased) in a year: ``quantity`` in the item's basis — accelerators
    for compute systems, devices for switches and optics, bytes for storage, watts for
    facility and power items (IT W for facility / floating items, W of capacity for plants)."""

    model_config = ConfigDict(extra="forbid")
    year: int
    item: str
    quantity: float = Field(ge=0)
    site: str = ""
    tranche: str | None = None  # budget tranche (default: the year)
    term_years: float | None = Field(default=None, gt=0)  # leases; default: asset-class life


class SiteOperation(BaseModel):
    """One site in one year, from the facility stage: IT capacity in service, facility energy
    and water used, and the site's prices (a number, or [low, likely, high])."""

    model_config = ConfigDict(extra="forbid")
    year: int
    site: str = ""
    it_power_w: float = Field(ge=0)
    facility_energy_j: float = Field(ge=0)
    water_m3: float = Field(default=0.0, ge=0)
    energy_price_usd_per_j: float | tuple[float, float, float] = 0.0
    water_price_usd_per_m3: float | tuple[float, float, float] = 0.0


class RunUse(BaseModel):
    """A training run as economics sees it: accelerators held for some days."""

    model_config = ConfigDict(extra="forbid")
    name: str
    accelerators: float = Field(ge=0)
    days: float = Field(ge=0)


class ServiceUse(BaseModel):
    """A service as economics sees it: accelerators held, tokens served per second."""

    model_config = ConfigDict(extra="forbid")
    name: str
    accelerators: float = Field(ge=0)
    tokens_per_s: float = Field(gt=0)


class BudgetSection(BaseModel):
    """A programme budget: amount in ``currency``, spread over ``years`` from ``start_year``."""

    model_config = ConfigDict(extra="forbid")
    amount: float = Field(gt=0)
    currency: str = "USD"
    years: float | None = Field(default=None, gt=0)
    start_year: int | None = None
    include_opex: bool = False
    cut_priority: list[str] = Field(default_factory=list)  # tranches, most important first
    source: str = ""


class EconomicsSection(BaseModel):
    """The scenario's ``economics:`` section (see scenarios/sections/economics.yaml)."""

    model_config = ConfigDict(extra="forbid")
    currency: str = "USD"
    wacc: float | None = Field(default=None, ge=0, lt=1)
    utilisation: float = Field(default=1.0, gt=0, le=1)
    horizon_years: int | None = Field(default=None, gt=0)
    prices: dict[str, PriceOverride] = Field(default_factory=dict)
    budget: BudgetSection | None = None


class EconomicsInputs(BaseModel):
    """Everything the economics stage needs, as plain numbers from the other stages."""

    model_config = ConfigDict(extra="forbid")
    purchases: list[Purchase] = Field(default_factory=list)
    operations: list[SiteOperation] = Field(default_factory=list)
    training_runs: list[RunUse] = Field(default_factory=list)
    services: list[ServiceUse] = Field(default_factory=list)
    section: EconomicsSection = Field(default_factory=EconomicsSection)

    def __str__(self) -> str:
        years = sorted({p.year for p in self.purchases} | {o.year for o in self.operations})
        span = f"{years[0]}–{years[-1]}" if years else "no years"
        return (
            f"EconomicsInputs: {len(self.purchases)} purchases, {len(self.operations)} "
            f"site-years ({span}), {len(self.training_runs)} training runs, "
            f"{len(self.services)} services; currency {self.section.currency}"
        )


# ---- capex ----------------------------------------------------------------------------------
def capex_table(purchases: Sequence[Purchase], book: PriceBook) -> pd.DataFrame:
    """One row per purchase: unit price and capex (low / likely / high). Leases carry no capex."""
    rows = [p for p in purchases]
    problems: list[Problem] = []
    items: list[PriceItem] = []
    for i, p in enumerate(rows):
        if p.item not in book.items:
            problems.append(
                Problem(
                    "economics",
                    f"purchases[{i}].item",
                    f"unknown price item {p.item!r}; known: {', '.join(sorted(book.items))}",
                )
            )
            continue
        item = book.items[p.item]
        if item.category == "reference":
            problems.append(
                Problem(
                    "economics",
                    f"purchases[{i}].item",
                    f"{p.item!r} is an all-in reference, not something to buy",
                )
            )
            continue
        items.append(item)
    if problems:
        raise InputError(problems)
    prices = np.array([it.unit_price() for it in items], dtype=float).reshape(-1, 3)
    qty = np.array([p.quantity for p in rows], dtype=float)
    lease = np.array([it.is_lease for it in items], dtype=bool)
    capex = np.where(lease[:, None], 0.0, qty[:, None] * prices)
    df = pd.DataFrame(
        {
            "year": np.array([p.year for p in rows], dtype=int),
            "site": [p.site for p in rows],
            "tranche": [p.tranche if p.tranche is not None else str(p.year) for p in rows],
            "item": [it.id for it in items],
            "category": [it.category for it in items],
            "asset_class": [it.asset_class for it in items],
            "basis": [it.basis for it in items],
            "quantity": qty,
            "term_years": [p.term_years if p.term_years is not None else np.nan for p in rows],
        }
    )
    for j, col in enumerate(_cols("unit_price_usd")):
        df[col] = prices[:, j]
    for j, col in enumerate(_cols("capex_usd")):
        df[col] = capex[:, j]
    return df


def capex_by(capex: pd.DataFrame, by: Sequence[str] = ("year", "category")) -> pd.DataFrame:
    """Capex summed by the given columns (``year``, ``category``, ``asset_class``, ``site``)."""
    cols = _cols("capex_usd")
    keep = capex[capex["category"] != "lease"]
    return keep.groupby(list(by), as_index=False)[cols].sum()


def _lives(df: pd.DataFrame, book: PriceBook, case: Case) -> FloatArray:
    i = CASES.index(case)
    return np.array([book.finance.life_years(c)[i] for c in df["asset_class"]], dtype=float)


def _years_axis(
    capex: pd.DataFrame, operations: Sequence[SiteOperation], horizon: int | None, book: PriceBook
) -> FloatArray:
    first = [int(capex["year"].min())] if len(capex) else []
    first += [o.year for o in operations]
    if not first:
        return np.zeros(0)
    y0 = min(first)
    if horizon is not None:
        return np.arange(y0, y0 + horizon, dtype=float)
    last = max([o.year for o in operations] + [y0])
    if len(capex):
        compute = capex[capex["category"].isin(["compute", "network", "storage"])]
        if len(compute):
            life = book.finance.life_years("compute")[1]
            last = max(last, int(compute["year"].max() + math.ceil(life) - 1))
        last = max(last, int(capex["year"].max()))
    return np.arange(y0, last + 1, dtype=float)


def depreciation_schedule(
    capex: pd.DataFrame, book: PriceBook, years: ArrayLike | None = None
) -> pd.DataFrame:
    """Straight-line depreciation and closing book value by year and asset class.

    Without ``years`` the schedule runs until the longest-lived asset is written off (land
    excluded), so depreciation sums to the depreciable capex.
    """
    assets = capex[capex["category"] != "lease"]
    lives = _lives(assets, book, "likely")
    if years is None:
        if not len(assets):
            return pd.DataFrame(
                columns=[
                    "year",
                    "asset_class",
                    *_cols("depreciation_usd"),
                    *_cols("book_value_usd"),
                ]
            )
        finite = np.where(np.isfinite(lives), lives, 0.0)
        end = int(np.ceil((assets["year"].to_numpy() + finite).max()))
        years = np.arange(int(assets["year"].min()), max(end, int(assets["year"].max()) + 1))
    y = np.asarray(years, dtype=float)
    start = assets["year"].to_numpy(dtype=float)
    frames = []
    for case in CASES:
        cap = assets[f"capex_usd{SUFFIX[case]}"].to_numpy(dtype=float)
        dep = straight_line_depreciation(cap, start, lives, y)
        acquired = (start[:, None] <= y[None, :]).astype(float) * cap[:, None]
        book_value = acquired - np.cumsum(dep, axis=1)
        frames.append((dep, book_value))
    out = []
    classes = assets["asset_class"].to_numpy()
    for cls in ASSET_CLASSES:
        mask = classes == cls
        if not mask.any():
            continue
        block = pd.DataFrame({"year": y.astype(int), "asset_class": cls})
        for case, (dep, bv) in zip(CASES, frames, strict=True):
            block[f"depreciation_usd{SUFFIX[case]}"] = dep[mask].sum(axis=0)
            block[f"book_value_usd{SUFFIX[case]}"] = bv[mask].sum(axis=0)
        out.append(block)
    cols = ["year", "asset_class", *_cols("depreciation_usd"), *_cols("book_value_usd")]
    if not out:
        return pd.DataFrame(columns=cols)
    return pd.concat(out, ignore_index=True)[cols].sort_values(
        ["year", "asset_class"], ignore_index=True
    )


# ---- opex -----------------------------------------------------------------------------------
def _price3(value: float | tuple[float, float, float]) -> FloatArray:
    if isinstance(value, tuple):
        return np.array(value, dtype=float)
    return np.full(3, float(value))


def opex_table(
    capex: pd.DataFrame,
    operations: Sequence[SiteOperation],
    book: PriceBook,
    years: ArrayLike,
) -> pd.DataFrame:
    """Operating cost by year and component (energy, water, staff, maintenance, insurance,
    leases), low / likely / high. Maintenance and insurance apply to the capex of assets in
    service that year; leases to leased capacity in service; staff to the IT power in service
    at each site (FTE per W x loaded cost per FTE)."""
    y = np.asarray(years, dtype=float)
    n_years = len(y)
    fin = book.finance
    comp = {c: np.zeros((3, n_years)) for c in OPEX_COMPONENTS}
    index = {int(v): k for k, v in enumerate(y)}
    for op in operations:
        k = index.get(op.year)
        if k is None:
            continue
        for i in range(3):
            comp["energy"][i, k] += op.facility_energy_j * _price3(op.energy_price_usd_per_j)[i]
            comp["water"][i, k] += op.water_m3 * _price3(op.water_price_usd_per_m3)[i]
            comp["staff"][i, k] += (
                op.it_power_w * fin.staff_fte_per_w[i] * fin.staff_usd_per_fte_s[i] * YEAR_S
            )
    assets = capex[capex["category"] != "lease"]
    if len(assets):
        start = assets["year"].to_numpy(dtype=float)
        frac = in_service_fraction(start, _lives(assets, book, "likely"), y)
        classes = assets["asset_class"].to_numpy()
        for i, case in enumerate(CASES):
            cap = assets[f"capex_usd{SUFFIX[case]}"].to_numpy(dtype=float)
            rate = np.array([fin.maintenance_per_year[c][i] for c in classes])
            comp["maintenance"][i] += (cap * rate) @ frac
            insured = np.where(classes == "land", 0.0, cap)
            comp["insurance"][i] += fin.insurance_per_year[i] * (insured @ frac)
    leases = capex[capex["category"] == "lease"]
    if len(leases):
        term = leases["term_years"].to_numpy(dtype=float)
        default = _lives(leases, book, "likely")
        term = np.where(np.isnan(term), default, term)
        frac = in_service_fraction(leases["year"].to_numpy(dtype=float), term, y)
        for i, case in enumerate(CASES):
            annual = (
                leases["quantity"].to_numpy()
                * leases[f"unit_price_usd{SUFFIX[case]}"].to_numpy()
                * YEAR_S
            )
            comp["leases"][i] += annual @ frac
    rows = []
    for c in OPEX_COMPONENTS:
        block = pd.DataFrame({"year": y.astype(int), "component": c})
        for i, case in enumerate(CASES):
            block[f"opex_usd{SUFFIX[case]}"] = comp[c][i]
        rows.append(block)
    cols = ["year", "component", *_cols("opex_usd")]
    if not rows or not n_years:
        return pd.DataFrame(columns=cols)
    return pd.concat(rows, ignore_index=True)[cols].sort_values(
        ["year", "component"], ignore_index=True
    )


def capital_charge(capex: pd.DataFrame, book: PriceBook, years: ArrayLike) -> FloatArray:
    """Annual capital charge (capex x CRF(WACC, life)) of assets in service, shape (3, years).

    Low case: low capex, low WACC, long life; high case: high capex, high WACC, short life.
    """
    y = np.asarray(years, dtype=float)
    assets = capex[capex["category"] != "lease"]
    out = np.zeros((3, len(y)))
    if not len(assets):
        return out
    start = assets["year"].to_numpy(dtype=float)
    likely_life = _lives(assets, book, "likely")
    frac = in_service_fraction(start, likely_life, y)
    for i, case in enumerate(CASES):
        flip: dict[str, Case] = {"low": "high", "likely": "likely", "high": "low"}
        life = _lives(assets, book, flip[case])
        crf = capital_recovery_factor(book.finance.wacc_per_year[i], life)
        cap = assets[f"capex_usd{SUFFIX[case]}"].to_numpy(dtype=float)
        out[i] = (cap * crf) @ frac
    return out


def accelerators_in_service(capex: pd.DataFrame, book: PriceBook, years: ArrayLike) -> FloatArray:
    """Accelerators in service per year (compute purchases within their depreciation life)."""
    y = np.asarray(years, dtype=float)
    comp = capex[(capex["category"] == "compute") & (capex["basis"] == "accelerators")]
    if not len(comp):
        return np.zeros(len(y))
    frac = in_service_fraction(comp["year"].to_numpy(dtype=float), _lives(comp, book, "likely"), y)
    return np.asarray(comp["quantity"].to_numpy(dtype=float) @ frac, dtype=float)


# ---- budget ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class BudgetResult:
    """Does a programme fit its budget; if not, what is cut (lowest priority first) and how
    many years the budget's annual rate would need to pay for everything."""

    budget_usd: float
    cost_usd: Range
    within_budget: bool
    within_budget_by_case: Mapping[str, bool]
    shortfall_usd: Range
    years_needed: Range | None
    tranches: pd.DataFrame
    cut_order: tuple[str, ...]
    by_year: pd.DataFrame = field(default_factory=pd.DataFrame)

    def to_dict(self) -> dict[str, Any]:
        def rng(r: Range | None) -> dict[str, float] | None:
            return None if r is None else {"low": r[0], "likely": r[1], "high": r[2]}

        return {
            "budget_usd": self.budget_usd,
            "cost_usd": rng(self.cost_usd),
            "within_budget": self.within_budget,
            "within_budget_by_case": dict(self.within_budget_by_case),
            "shortfall_usd": rng(self.shortfall_usd),
            "years_needed": rng(self.years_needed),
            "cut_order": list(self.cut_order),
            "tranches": self.tranches.to_dict(orient="records"),
        }

    def __str__(self) -> str:
        lo, mid, hi = self.cost_usd
        verdict = (
            "fits" if self.within_budget else f"short by USD {self.shortfall_usd[1] / 1e9:,.1f} B"
        )
        text = (
            f"Budget USD {self.budget_usd / 1e9:,.1f} B vs cost USD {mid / 1e9:,.1f} B "
            f"[{lo / 1e9:,.1f}–{hi / 1e9:,.1f}]: {verdict}"
        )
        if self.years_needed is not None:
            text += f"; at the budget's annual rate it takes {self.years_needed[1]:.1f} years"
        if self.cut_order:
            text += f"; cut first: {', '.join(self.cut_order)}"
        return text


def budget_check(
    costs: pd.DataFrame,
    budget_usd: float,
    years: float | None = None,
    priority: Sequence[str] = (),
    start_year: int | None = None,
) -> BudgetResult:
    """Check a programme against its budget.

    ``costs`` has a ``tranche`` column (a site, a phase, a year...), optionally ``year``, and
    the cost columns ``cost_usd_low``, ``cost_usd``, ``cost_usd_high``. Tranches are funded in
    ``priority`` order (most important first; unlisted tranches follow in order of their first
    year), so what does not fit is cut from the end of that order: the last tranche funded may
    be funded in part. With ``years`` (the budget's period), the budget is spent at
    ``budget_usd / years`` per year and ``years_needed`` says how long the whole programme
    would take at that rate; ``by_year`` compares cumulative spend with the cumulative budget.
    """
    if budget_usd <= 0 or not math.isfinite(budget_usd):
        raise InputError(
            [Problem("economics", "budget", f"must be a finite amount > 0, got {budget_usd}")]
        )
    cols = _cols("cost_usd")
    missing = [c for c in ("tranche", *cols) if c not in costs.columns]
    if missing:
        raise InputError([Problem("economics", "budget costs", f"missing columns {missing}")])
    if (costs[cols].to_numpy() < 0).any():
        raise InputError([Problem("economics", "budget costs", "costs must be >= 0")])
    order_key = "year" if "year" in costs.columns else None
    agg = costs.groupby("tranche", as_index=False, sort=False).agg(
        {**{c: "sum" for c in cols}, **({order_key: "min"} if order_key else {})}
    )
    unknown = [t for t in priority if t not in set(agg["tranche"])]
    if unknown:
        raise InputError(
            [
                Problem(
                    "economics",
                    "budget.cut_priority",
                    f"unknown tranche(s) {unknown}; known: {list(agg['tranche'])}",
                )
            ]
        )
    rank = {t: i for i, t in enumerate(priority)}
    agg["_listed"] = agg["tranche"].map(lambda t: rank.get(t, len(rank)))
    sort_cols = ["_listed"] + ([order_key] if order_key else [])
    agg = agg.sort_values(sort_cols, kind="stable", ignore_index=True).drop(columns="_listed")
    cost = agg["cost_usd"].to_numpy(dtype=float)
    cum_before = np.concatenate([[0.0], np.cumsum(cost)[:-1]])
    funded = np.clip(budget_usd - cum_before, 0.0, cost)
    with np.errstate(divide="ignore", invalid="ignore"):
        fraction = np.where(cost > 0, funded / cost, 1.0)
    agg.insert(1, "priority", np.arange(1, len(agg) + 1))
    agg["funded_usd"] = funded
    agg["funded_fraction"] = fraction
    agg["status"] = np.where(fraction >= 1.0, "funded", np.where(fraction > 0, "partly cut", "cut"))
    totals = tuple(float(agg[c].sum()) for c in cols)
    total: Range = (totals[0], totals[1], totals[2])
    by_case: dict[str, bool] = {
        case: total[i] <= budget_usd * (1 + 1e-12) for i, case in enumerate(CASES)
    }
    shortfall: Range = (
        max(0.0, total[0] - budget_usd),
        max(0.0, total[1] - budget_usd),
        max(0.0, total[2] - budget_usd),
    )
    years_needed: Range | None = None
    by_year = pd.DataFrame()
    if years is not None:
        if years <= 0:
            raise InputError([Problem("economics", "budget.years", f"must be > 0, got {years}")])
        rate = budget_usd / years
        years_needed = (total[0] / rate, total[1] / rate, total[2] / rate)
        if "year" in costs.columns and len(costs):
            spend = costs.groupby("year", as_index=False)[cols].sum().sort_values("year")
            y0 = start_year if start_year is not None else int(spend["year"].min())
            elapsed = np.clip(spend["year"].to_numpy(dtype=float) - y0 + 1.0, 0.0, years)
            spend["budget_cumulative_usd"] = rate * elapsed
            for c in cols:
                spend[c.replace("cost", "spend_cumulative")] = spend[c].cumsum()
            spend["within_budget"] = spend["spend_cumulative_usd"] <= spend[
                "budget_cumulative_usd"
            ] * (1 + 1e-12)
            by_year = spend.reset_index(drop=True)
    cut = tuple(str(t) for t in reversed(agg.loc[agg["status"] != "funded", "tranche"].tolist()))
    return BudgetResult(
        budget_usd=float(budget_usd),
        cost_usd=total,
        within_budget=by_case["likely"],
        within_budget_by_case=by_case,
        shortfall_usd=shortfall,
        years_needed=years_needed,
        tranches=agg,
        cut_order=cut,
        by_year=by_year,
    )


# ---- the stage ------------------------------------------------------------------------------
def _range_dict(values: Iterable[float]) -> dict[str, float]:
    lo, mid, hi = (float(v) for v in values)
    return {"low": lo, "likely": mid, "high": hi}


def plan_economics(
    inputs: EconomicsInputs, book: PriceBook | None = None
) -> dict[str, pd.DataFrame]:
    """The economics stage: capex, opex, depreciation, cash flow, unit costs and budget.

    Returns DataFrames (money in USD, columns ``*_low`` / likely / ``*_high``):

    * ``capex``: one row per purchase; ``capex_by_year``: by year and category;
    * ``opex_by_year``: by year and component; ``depreciation``: by year and asset class;
    * ``cashflow``: per year capex spent, opex, capital charge, cost (= charge + opex),
      accelerators in service, $/GPU-hour and the present value at the WACC;
    * ``summary``: one row per headline metric (``metric``, ``unit``, ``low``, ``likely``,
      ``high``); ``workloads``: $ per training run and $ per million tokens;
    * ``budget`` and ``budget_by_year`` when the section has a budget.
    """
    sec = inputs.section
    base = book or load_price_book()
    b = base.with_overrides(sec.prices, sec.wacc)
    b.currency(sec.currency, where="economics.currency")
    capex = capex_table(inputs.purchases, b)
    years = _years_axis(capex, inputs.operations, sec.horizon_years, b)
    opex = opex_table(capex, inputs.operations, b, years)
    charge = capital_charge(capex, b, years)
    n_acc = accelerators_in_service(capex, b, years)
    spent = np.zeros((3, len(years)))
    index = {int(v): k for k, v in enumerate(years)}
    assets = capex[capex["category"] != "lease"]
    for i, case in enumerate(CASES):
        col = f"capex_usd{SUFFIX[case]}"
        for yr, val in assets.groupby("year")[col].sum().items():
            k = index.get(int(yr))
            if k is not None:
                spent[i, k] += float(val)
    op = np.zeros((3, len(years)))
    if len(opex):
        for i, col in enumerate(_cols("opex_usd")):
            op[i] = (
                opex.groupby("year")[col]
                .sum()
                .reindex(years.astype(int), fill_value=0.0)
                .to_numpy()
            )
    cost = charge + op
    hours = n_acc * HOURS_PER_YEAR * sec.utilisation
    with np.errstate(divide="ignore", invalid="ignore"):
        gpu_hour = np.where(hours > 0, cost / np.where(hours > 0, hours, 1.0), np.nan)
    wacc = np.array(b.finance.wacc_per_year)
    t = years - (years[0] if len(years) else 0.0)
    disc = 1.0 / np.power(1.0 + wacc[:, None], t[None, :])
    cash = pd.DataFrame({"year": years.astype(int)})
    for name, arr in (
        ("capex_usd", spent),
        ("opex_usd", op),
        ("capital_charge_usd", charge),
        ("cost_usd", cost),
        ("present_value_usd", (spent + op) * disc),
        ("usd_per_gpu_hour", gpu_hour),
    ):
        for i, col in enumerate(_cols(name)):
            cash[col] = arr[i]
    cash["accelerators_in_service"] = n_acc
    cash["gpu_hours"] = hours

    total_capex = spent.sum(axis=1)
    operating = n_acc > 0
    mean_opex = (
        op[:, operating].mean(axis=1)
        if operating.any()
        else op.mean(axis=1)
        if len(years)
        else np.zeros(3)
    )
    tot_hours = hours.sum()
    level_gpu_hour = cost.sum(axis=1) / tot_hours if tot_hours > 0 else np.full(3, np.nan)
    summary_rows = [
        ("capex_usd", "USD", total_capex),
        ("opex_usd_per_year", "USD/year", mean_opex),
        ("tco_usd", "USD", total_capex + op.sum(axis=1)),
        ("npv_cost_usd", "USD", ((spent + op) * disc).sum(axis=1)),
        (
            "annual_cost_usd_per_year",
            "USD/year",
            cost[:, operating].mean(axis=1) if operating.any() else np.zeros(3),
        ),
        ("usd_per_gpu_hour", "USD/h", level_gpu_hour),
        ("accelerators_peak", "1", np.full(3, n_acc.max() if len(n_acc) else 0.0)),
        ("wacc", "1/year", wacc),
        ("horizon_years", "year", np.full(3, float(len(years)))),
    ]
    summary = pd.DataFrame(
        [
            {"metric": m, "unit": u, "low": v[0], "likely": v[1], "high": v[2]}
            for m, u, v in summary_rows
        ]
    )
    work = []
    for run in inputs.training_runs:
        vals = usd_per_training_run(run.accelerators, run.days, level_gpu_hour)
        work.append(
            {
                "workload": run.name,
                "kind": "training",
                "metric": "usd_per_run",
                "low": vals[0],
                "likely": vals[1],
                "high": vals[2],
            }
        )
    for svc in inputs.services:
        vals = usd_per_million_tokens(svc.tokens_per_s, svc.accelerators, level_gpu_hour)
        work.append(
            {
                "workload": svc.name,
                "kind": "serving",
                "metric": "usd_per_million_tokens",
                "low": vals[0],
                "likely": vals[1],
                "high": vals[2],
            }
        )
    result: dict[str, pd.DataFrame] = {
        "capex": capex,
        "capex_by_year": capex_by(capex, ("year", "category")),
        "opex_by_year": opex,
        "depreciation": depreciation_schedule(capex, b),
        "cashflow": cash,
        "summary": summary,
        "workloads": pd.DataFrame(
            work, columns=["workload", "kind", "metric", "low", "likely", "high"]
        ),
    }
    if sec.budget is not None:
        bud = sec.budget
        amount_usd = (
            float(convert(bud.amount, bud.currency, "USD", b))
            if bud.currency.upper() != "USD"
            else bud.amount
        )
        if bud.currency.upper() != "USD":
            b.currency(bud.currency, where="economics.budget.currency")
        costs = capex[capex["category"] != "lease"].rename(
            columns=dict(zip(_cols("capex_usd"), _cols("cost_usd"), strict=True))
        )
        costs = costs[["tranche", "year", *_cols("cost_usd")]]
        if bud.include_opex and len(opex):
            o = opex.groupby("year", as_index=False)[_cols("opex_usd")].sum()
            o = o.rename(columns=dict(zip(_cols("opex_usd"), _cols("cost_usd"), strict=True)))
            o["tranche"] = "operations"
            costs = pd.concat(
                [costs, o[["tranche", "year", *_cols("cost_usd")]]], ignore_index=True
            )
        res = budget_check(costs, amount_usd, bud.years, bud.cut_priority, bud.start_year)
        tr = res.tranches.copy()
        tr["within_budget"] = res.within_budget
        result["budget"] = tr
        result["budget_by_year"] = res.by_year
        extra = pd.DataFrame(
            [
                {
                    "metric": "budget_usd",
                    "unit": "USD",
                    "low": amount_usd,
                    "likely": amount_usd,
                    "high": amount_usd,
                },
                {"metric": "budget_shortfall_usd", "unit": "USD", **_range_dict(res.shortfall_usd)},
                {
                    "metric": "within_budget",
                    "unit": "1",
                    **_range_dict(float(res.within_budget_by_case[k]) for k in CASES),
                },
            ]
            + (
                [{"metric": "budget_years_needed", "unit": "year", **_range_dict(res.years_needed)}]
                if res.years_needed is not None
                else []
            )
        )
        result["summary"] = pd.concat([summary, extra], ignore_index=True)
    return result


def summary_dict(tables: Mapping[str, pd.DataFrame]) -> dict[str, dict[str, float]]:
    """The ``summary`` table as ``{metric: {"low", "likely", "high"}}`` for JSON output."""
    s = tables["summary"]
    return {str(r.metric): _range_dict((r.low, r.likely, r.high)) for r in s.itertuples()}


# ---- clusters sized from a GPU count (cost and budget commands) ---------------------------
# Scale-out fabric names the cost command accepts -> bom.yaml switch entries.
NETWORKS = {
    "ib-ndr": "quantum2-qm9700",
    "ib-xdr": "quantum-x800-q3400",
    "eth-400g": "tomahawk5-51t",
}
POWER_SOURCES = (
    "grid-connection",
    "gas-turbine",
    "gas-ccgt",
    "solar-storage",
    "floating-nuclear",
    "powership-lease",
)
WHERE = "cluster"


@dataclass(frozen=True)
class Cluster:
    """A cluster sized from an accelerator count: what the cost and budget commands plan.

    ``network``: a name of ``NETWORKS`` (default: the accelerator's own scale-out switch in
    bom.yaml); ``server_power_per_accelerator_w`` overrides the catalog's server power per
    accelerator (for accelerators whose power is unpublished)."""

    gpu: str
    accelerators: int
    years: int = DEFAULT_HORIZON_YEARS
    year: int = 2026
    network: str | None = None
    power: str = "grid-connection"
    floating: bool = False
    pue: float | None = None
    energy_price_usd_per_j: float | None = None
    water_price_usd_per_m3: float | None = None
    storage_bytes_per_accelerator: float | None = None
    server_power_per_accelerator_w: float | None = None
    site: str = "site"

    def check(self) -> None:
        problems = []
        if self.accelerators < 0 or self.accelerators > MAX_ACCELERATORS:
            problems.append(
                Problem(
                    WHERE,
                    "accelerators",
                    f"must be in 0..{MAX_ACCELERATORS:.0e}, got {self.accelerators}",
                )
            )
        if self.years < 1:
            problems.append(Problem(WHERE, "years", f"must be >= 1, got {self.years}"))
        if self.network is not None and self.network not in NETWORKS:
            problems.append(
                Problem(WHERE, "network", f"{self.network!r}; allowed: {', '.join(NETWORKS)}")
            )
        if self.power not in POWER_SOURCES:
            problems.append(
                Problem(WHERE, "power", f"{self.power!r}; allowed: {', '.join(POWER_SOURCES)}")
            )
        if self.pue is not None and not (1.0 <= self.pue <= 3.0):
            problems.append(Problem(WHERE, "pue", f"must be in [1, 3], got {self.pue}"))
        for name, v in (
            ("energy_price_usd_per_j", self.energy_price_usd_per_j),
            ("water_price_usd_per_m3", self.water_price_usd_per_m3),
            ("storage_bytes_per_accelerator", self.storage_bytes_per_accelerator),
            ("server_power_per_accelerator_w", self.server_power_per_accelerator_w),
        ):
            if v is not None and (v < 0 or not math.isfinite(v)):
                problems.append(Problem(WHERE, name, f"must be a finite number >= 0, got {v}"))
        if problems:
            raise InputError(problems)


def cluster_line(cluster: Cluster, book: PriceBook, catalog: Catalog | None = None) -> BomLine:
    """The bill of materials of a cluster (gigawatt.bom), with its storage."""
    cat = catalog or load_catalog()
    storage = (
        cluster.storage_bytes_per_accelerator
        if cluster.storage_bytes_per_accelerator is not None
        else book.finance.storage_bytes_per_accelerator[1]
    )
    accelerator = book.compute_item(cluster.gpu, where=WHERE).accelerator or cluster.gpu
    n = float(cluster.accelerators)
    return build_line(
        cluster.site,
        accelerator,
        n,
        cat,
        switch=NETWORKS[cluster.network] if cluster.network else None,
        storage_bytes=n * storage,
        server_power_w=cluster.server_power_per_accelerator_w,
    )


def bom_purchases(
    line: BomLine, compute_item: str, year: int, site: str, catalog: Catalog
) -> list[Purchase]:
    """What a BOM line buys: compute systems, its fabric's switches, transceivers and fibres,
    storage, and the facility (MEP) sized by its IT power."""
    buy = [Purchase(year=year, item=compute_item, quantity=line.accelerators, site=site)]
    if line.switch and line.switches:
        sw = catalog.get("bom", line.switch)
        buy += [
            Purchase(year=year, item=str(sw.get("price_item")), quantity=line.switches, site=site),
            Purchase(
                year=year, item=str(sw.get("transceiver_item")), quantity=line.optics, site=site
            ),
            Purchase(year=year, item="fibre-link", quantity=line.links, site=site),
        ]
    buy += [
        Purchase(year=year, item="storage-all-flash", quantity=line.storage_bytes, site=site),
        Purchase(year=year, item="dc-mep", quantity=line.it_power_w, site=site),
    ]
    return buy


def site_purchases(
    it_w: float, facility_w: float, floating: bool, power: str, year: int, site: str
) -> list[Purchase]:
    """The building (or hull and mooring), land and power supply for ``it_w`` of IT."""
    shell = ("floating-hull", "floating-mooring") if floating else ("dc-shell", "land")
    buy = [Purchase(year=year, item=item, quantity=it_w, site=site) for item in shell]
    buy.append(Purchase(year=year, item=power, quantity=facility_w, site=site))
    return buy


def site_operations(
    it_w: float,
    pue: float,
    year: int,
    years: int,
    site: str,
    energy_price: float | tuple[float, float, float],
    water_price: float | tuple[float, float, float],
    water_m3_per_j_it: float,
    fin: Financials,
) -> list[SiteOperation]:
    """``years`` of operation of ``it_w`` of IT from ``year``: energy at the average IT load
    (prices.yaml cluster-defaults ``it_load``: average draw / design power) times the PUE."""
    it_energy = it_w * fin.it_load[1] * YEAR_S
    return [
        SiteOperation(
            year=year + k,
            site=site,
            it_power_w=it_w,
            facility_energy_j=it_energy * pue,
            water_m3=it_energy * water_m3_per_j_it,
            energy_price_usd_per_j=energy_price,
            water_price_usd_per_m3=water_price,
        )
        for k in range(years)
    ]


def cluster_inputs(
    cluster: Cluster,
    book: PriceBook,
    section: EconomicsSection | None = None,
    catalog: Catalog | None = None,
) -> EconomicsInputs:
    """Purchases and site operations of a cluster: its bill of materials (gigawatt.bom:
    compute, fabric, storage, IT power), a facility of that IT power at the PUE, its power
    supply, and ``years`` of operation at the given (or default) prices."""
    cluster.check()
    cat = catalog or load_catalog()
    fin = book.finance
    comp = book.compute_item(cluster.gpu, where=WHERE)
    comp.unit_price()  # unpublished prices fail first, with what to do
    line = cluster_line(cluster, book, cat)
    pue = cluster.pue if cluster.pue is not None else fin.pue[1]
    it_w = line.it_power_w
    y = cluster.year
    buy = bom_purchases(line, comp.id, y, cluster.site, cat)
    buy += site_purchases(it_w, it_w * pue, cluster.floating, cluster.power, y, cluster.site)
    energy_price: float | tuple[float, float, float] = (
        cluster.energy_price_usd_per_j
        if cluster.energy_price_usd_per_j is not None
        else fin.energy_price_usd_per_j
    )
    water_price: float | tuple[float, float, float] = (
        cluster.water_price_usd_per_m3
        if cluster.water_price_usd_per_m3 is not None
        else fin.water_price_usd_per_m3
    )
    ops = site_operations(
        it_w,
        pue,
        y,
        cluster.years,
        cluster.site,
        energy_price,
        water_price,
        fin.wue_m3_per_j[1],
        fin,
    )
    sec = section or EconomicsSection()
    sec = sec.model_copy(update={"horizon_years": cluster.years})
    return EconomicsInputs(purchases=buy, operations=ops, section=sec)


@dataclass(frozen=True)
class ClusterCost:
    """The economics of one cluster: its tables plus the bill of materials that produced them."""

    cluster: Cluster
    compute_item: str
    line: BomLine
    pue: float
    tables: Mapping[str, pd.DataFrame]

    @property
    def it_power_w(self) -> float:
        return self.line.it_power_w

    @property
    def facility_power_w(self) -> float:
        return self.line.it_power_w * self.pue

    @property
    def network_tiers(self) -> int:
        return int(self.line.fabric_tiers)

    def metric(self, name: str) -> Range:
        row = self.tables["summary"].set_index("metric").loc[name]
        return (float(row["low"]), float(row["likely"]), float(row["high"]))

    def to_dict(self) -> dict[str, Any]:
        cap = capex_by(self.tables["capex"], ("category",))
        return {
            "gpu": self.cluster.gpu,
            "compute_item": self.compute_item,
            "accelerators": self.cluster.accelerators,
            "years": self.cluster.years,
            "it_power_w": self.it_power_w,
            "facility_power_w": self.facility_power_w,
            "network_tiers": self.network_tiers,
            "bom": self.line.as_dict(),
            "capex_by_category_usd": {
                str(r["category"]): _range_dict(
                    (r["capex_usd_low"], r["capex_usd"], r["capex_usd_high"])
                )
                for _, r in cap.iterrows()
            },
            **summary_dict(self.tables),
        }

    def __str__(self) -> str:
        lo, mid, hi = self.metric("capex_usd")
        gh = self.metric("usd_per_gpu_hour")
        return (
            f"{self.cluster.accelerators:,} x {self.compute_item}: "
            f"IT {self.it_power_w / 1e6:,.1f} MW, "
            f"facility {self.facility_power_w / 1e6:,.1f} MW; capex USD {mid / 1e9:,.2f} B "
            f"[{lo / 1e9:,.2f}–{hi / 1e9:,.2f}], USD {gh[1]:.2f}/GPU-hour [{gh[0]:.2f}–{gh[2]:.2f}]"
        )


def cluster_cost(
    cluster: Cluster,
    book: PriceBook | None = None,
    section: EconomicsSection | None = None,
    catalog: Catalog | None = None,
) -> ClusterCost:
    """Plan the economics of a cluster sized from its accelerator count."""
    cat = catalog or load_catalog()
    b = book or load_price_book(cat)
    sec = section or EconomicsSection()
    b2 = b.with_overrides(sec.prices, sec.wacc)
    inputs = cluster_inputs(cluster, b2, sec.model_copy(update={"prices": {}, "wacc": None}), cat)
    tables = plan_economics(inputs, b2)
    return ClusterCost(
        cluster=cluster,
        compute_item=b2.compute_item(cluster.gpu, where=WHERE).id,
        line=cluster_line(cluster, b2, cat),
        pue=cluster.pue if cluster.pue is not None else b2.finance.pue[1],
        tables=tables,
    )


@dataclass(frozen=True)
class BudgetBuys:
    """What a budget buys and runs: accelerators, power, and for how long."""

    amount: float
    currency: str
    budget_usd: float
    run_years: int
    cost: ClusterCost | None
    rows: pd.DataFrame  # one row per years of operation paid from the budget (0..run_years)

    def to_dict(self) -> dict[str, Any]:
        return {
            "amount": self.amount,
            "currency": self.currency,
            "budget_usd": self.budget_usd,
            "run_years": self.run_years,
            "options": self.rows.to_dict(orient="records"),
            "plan": None if self.cost is None else self.cost.to_dict(),
        }

    def __str__(self) -> str:
        r = self.rows.iloc[-1]
        return (
            f"{self.currency} {self.amount:,.4g} (USD {self.budget_usd / 1e9:,.2f} B) buys "
            f"{int(r['accelerators']):,} accelerators ({r['it_power_w'] / 1e6:,.1f} MW IT) "
            "and runs "
            f"them {self.run_years} year(s)"
        )


def _total_cost(cluster: Cluster, book: PriceBook, run_years: int, case: int) -> float:
    if cluster.accelerators == 0:
        return 0.0
    c = replace(cluster, years=max(run_years, 1))
    tables = plan_economics(cluster_inputs(c, book), book)
    s = tables["summary"].set_index("metric")
    col = CASES[case]
    capex = float(s.loc["capex_usd", col])
    opex = float(tables["opex_by_year"][_cols("opex_usd")[case]].sum()) if run_years else 0.0
    return capex + opex


def max_accelerators(
    budget_usd: float, cluster: Cluster, book: PriceBook, run_years: int, case: int = 1
) -> int:
    """Largest accelerator count whose capex plus ``run_years`` of opex fits the budget.

    Cost rises monotonically with the count (network tiers step up), so bisection finds it.
    """
    if budget_usd <= 0:
        raise InputError([Problem(WHERE, "amount", f"must be > 0, got {budget_usd}")])
    lo, hi = 0, 1
    while _total_cost(replace(cluster, accelerators=hi), book, run_years, case) <= budget_usd:
        lo, hi = hi, hi * 2
        if hi > 10**9:
            break
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _total_cost(replace(cluster, accelerators=mid), book, run_years, case) <= budget_usd:
            lo = mid
        else:
            hi = mid
    return lo


def what_budget_buys(
    amount: float,
    currency: str,
    cluster: Cluster,
    run_years: int = 4,
    book: PriceBook | None = None,
) -> BudgetBuys:
    """How many accelerators (with network, storage, facility and power) a budget buys if it
    must also pay 0, 1, ... ``run_years`` years of operation, with MW and yearly opex."""
    b = book or load_price_book()
    if not math.isfinite(amount) or amount <= 0:
        raise InputError([Problem(WHERE, "amount", f"must be a finite amount > 0, got {amount}")])
    if run_years < 0:
        raise InputError([Problem(WHERE, "years", f"must be >= 0, got {run_years}")])
    cur = b.currency(currency)
    budget_usd = float(convert(amount, cur.code, "USD", b))
    cluster.check()
    b.compute_item(cluster.gpu).unit_price()
    rows = []
    for years in range(run_years + 1):
        n = max_accelerators(budget_usd, cluster, b, years)
        cc = cluster_cost(replace(cluster, accelerators=max(n, 1), years=max(years, 1)), b)
        opex_year = cc.metric("opex_usd_per_year")[1] if n else 0.0
        rows.append(
            {
                "run_years": years,
                "accelerators": n,
                "it_power_w": cc.it_power_w if n else 0.0,
                "facility_power_w": cc.facility_power_w if n else 0.0,
                "capex_usd": cc.metric("capex_usd")[1] if n else 0.0,
                "opex_usd_per_year": opex_year,
                "usd_per_gpu_hour": cc.metric("usd_per_gpu_hour")[1] if n else float("nan"),
            }
        )
    df = pd.DataFrame(rows)
    n_final = int(df["accelerators"].iloc[-1])
    final = (
        cluster_cost(replace(cluster, accelerators=n_final, years=max(run_years, 1)), b)
        if n_final
        else None
    )
    return BudgetBuys(amount, cur.code, budget_usd, run_years, final, df)


# ---- $ per token of serving configurations (the serve command) -----------------------------
COST_REFERENCE_GPUS = 1024  # cluster the $/GPU-hour is priced for (network tiers, facility)


def usd_per_gpu_hour_range(
    accelerator: str, catalog: Catalog | None = None, reference_gpus: int = COST_REFERENCE_GPUS
) -> tuple[float, float, float] | None:
    """All-in (low, likely, high) USD per accelerator-hour from the economics stage, or None
    where the accelerator has no published price (TPU, Trainium).

    ``economics.cluster_cost`` on a ``reference_gpus`` cluster: capex (servers, scale-out
    network, storage, facility, power connection; catalog/prices.yaml) annualised by the
    capital recovery factor at the WACC over each asset's life, plus opex (energy at the
    catalog's default price and PUE, water, staff, maintenance, insurance), divided by the
    GPU-hours in service. Low / high take every price at its cheap / dear end together.
    """
    cat = catalog or load_catalog()
    book = load_price_book(cat)
    try:
        book.compute_item(accelerator).unit_price()
    except (InputError, CatalogError):
        return None
    cost = cluster_cost(Cluster(gpu=accelerator, accelerators=reference_gpus), book, catalog=cat)
    return cost.metric("usd_per_gpu_hour")


def add_cost_columns(
    df: pd.DataFrame, gpu_hour_usd: tuple[float, float, float] | None
) -> pd.DataFrame:
    """Copy of a ``serving_configs`` table with USD per GPU-hour and USD per million output
    tokens (``economics.usd_per_million_tokens`` at each configuration's tokens/s per GPU,
    at sustained load) as low / likely / high columns; NaN where unpriced."""
    out = df.copy()
    for suffix, i in (("_low", 0), ("", 1), ("_high", 2)):
        if gpu_hour_usd is None or out.empty:
            out[f"usd_per_gpu_hour{suffix}"] = float("nan")
            out[f"usd_per_million_tokens{suffix}"] = float("nan")
            continue
        out[f"usd_per_gpu_hour{suffix}"] = gpu_hour_usd[i]
        out[f"usd_per_million_tokens{suffix}"] = usd_per_million_tokens(
            out["tokens_per_s_per_gpu"].to_numpy(dtype=float), 1.0, gpu_hour_usd[i]
        )
    return out
