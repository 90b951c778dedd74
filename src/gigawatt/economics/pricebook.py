"""The price book: priced items, financial assumptions and currencies from the catalog.

Every price comes from ``catalog/prices.yaml`` (sourced, dated, with a low / likely / high
range); currency rates from ``catalog/currencies.yaml``. Also the range conventions shared by
the package (``CASES``, ``SUFFIX``) and currency conversion at the catalog's dated rates.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from gigawatt.catalog import Catalog, Entry, Quantity, load_catalog
from gigawatt.errors import CatalogError, InputError, Problem
from gigawatt.schema.economics import (
    PriceOverride as PriceOverride,
)
from gigawatt.units import UNITS, YEAR_S

if TYPE_CHECKING:
    import pandas as pd

FloatArray = npt.NDArray[np.float64]
ArrayLike = float | int | Sequence[float] | npt.NDArray[Any]
Range = tuple[float, float, float]
Case = Literal["low", "likely", "high"]

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
                        f"(scenario economics.prices.{self.id})",
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
