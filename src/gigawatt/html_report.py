"""A self-contained HTML report of a Plan: headline figures, charts and the sources behind them.

One file, no network: plotly.js is written inline once (``plotly.offline.get_plotlyjs``, the
bundle ``include_plotlyjs=True`` embeds) and every chart is a ``<div>`` drawn by it. The
report answers the questions a planner asks first:

* what the programme takes (headline figures with their ranges and units);
* how demand turns into hardware, memory wafers, megawatts and money (a Sankey);
* whether the supply chain keeps up, quarter by quarter, and which constraint binds first;
* what each site draws in power and water, month by month;
* where the money goes (a cost waterfall with ranges);
* how long each training run takes, and what fleet the workloads need.

Every figure carries footnote markers ``[n]`` that point to the "Sources" section, which
lists the catalog entries the plan used (accelerators, bills of materials, models, capacity,
sites, cooling, power sources, prices, failure rates...) with each quantity's value, range
and source string, so that any number can be traced to the publication it came from.
"""

from __future__ import annotations

import html
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from numbers import Real
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs
from plotly.subplots import make_subplots

from gigawatt.catalog import Catalog, Entry, Quantity, load_catalog
from gigawatt.plan import Plan
from gigawatt.training_plan import SECONDS_PER_DAY
from gigawatt.units import UNITS

if TYPE_CHECKING:
    from gigawatt.validate import FamilySummary, Figures, Located, ValidationRun

# Order and titles of the catalog kinds in the "Sources" section.
KIND_TITLES: dict[str, str] = {
    "accelerators": "Accelerators",
    "efficiency": "Achievable efficiency by architecture",
    "memory": "Memory",
    "networks": "Networks",
    "models": "Models",
    "servers": "Servers and racks",
    "fleet_assumptions": "Fleet assumptions",
    "it_load": "IT load",
    "serving_software": "Serving software",
    "bom": "Bills of materials",
    "dram_products": "DRAM products",
    "fab": "Fabrication (wafers, nodes, packaging, lead times)",
    "capacity": "Industry capacity",
    "sites": "Sites",
    "cooling": "Cooling",
    "power_sources": "Power sources",
    "buildout": "Build-out modules",
    "prices": "Prices and financial parameters",
    "currencies": "Currencies",
    "failures": "Failure rates",
}

# String fields that name another catalog entry: followed to list what an entry draws on.
# Keys that classify rather than refer (kind, category, ...) are not followed.
_NOT_REFERENCES = frozenset({"kind", "category", "asset_class", "type", "per", "blast", "match"})

PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)

PLOT_CONFIG: dict[str, Any] = {"displaylogo": False, "responsive": True}

# Colours of the report by what they draw (Tableau / Vega palettes, as PALETTE).
BLUE = "#4c78a8"
LIGHT_BLUE = "#9ecae9"
DARK_BLUE = "#1f4e79"
TEAL = "#72b7b2"
GREEN = "#54a24b"
ORANGE = "#f58518"
PURPLE = "#b279a2"
RED = "#e45756"
ALERT_RED = "#d62728"
GREY = "#bbbbbb"
SANKEY_LINK_COLOR = "rgba(120,120,120,0.25)"
BAND_ALPHA = 0.15  # opacity of the P5-P95 demand bands
SHORTFALL_ALPHA = 0.4  # opacity of the bands marking quarters short of capacity
UTIL_PALETTE_OFFSET = 4  # utilisation lines take colours after the four wafer series

# Display scales: values inside are SI.
MILLION = 1e6
BILLION = 1e9
TRILLION = 1e12
W_PER_MW = UNITS["MW"][0]

# Layout, in pixels.
SANKEY_PLOT_H_PX = 560
SANKEY_TITLES_PX = 70  # room above the nodes for the column titles
SANKEY_NODE_PAD_PX = 14  # gap between nodes of a column
SANKEY_LABEL_PX = 15  # height of a node label
SANKEY_NODE_THICKNESS_PX = 16
SUPPLY_HEIGHT_PX = 860
SITES_HEIGHT_PX = 430
WATERFALL_HEIGHT_PX = 460
VALIDATION_HEIGHT_PX = 520

# The log wafer axis starts at a third of the smallest positive demand and spans at least a
# decade, with headroom above the highest capacity.
LOG_FLOOR_DIVISOR = 3.0
LOG_AXIS_DECADE = 10.0
LOG_AXIS_HEADROOM = 1.5

CAPEX_COLUMNS = ("capex_usd_low", "capex_usd", "capex_usd_high")
SANKEY_COLUMNS = (
    "tokens",
    "accelerators",
    "HBM stacks",
    "DRAM wafers",
    "facility power",
    "USD (capex)",
)
Section = tuple[str, str, str]  # (anchor, title, body HTML)


# ---- formatting -------------------------------------------------------------------------------
def _esc(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _finite(x: Any) -> bool:
    return isinstance(x, Real) and math.isfinite(x)


def _count(x: float) -> str:
    """A count, with a k/M/B/T suffix from 100,000 up: 5.5 M, 44 M, 1,024."""
    a = abs(x)
    if a < 1e5:
        return f"{x:,.0f}" if a >= 10 or x == int(x) else f"{x:.3g}"
    for div, suffix in ((1e12, " T"), (1e9, " B"), (1e6, " M"), (1e3, " k")):
        if a >= div:
            return f"{x / div:,.3g}{suffix}"
    return f"{x:,.0f}" if a >= 10 or x == int(x) else f"{x:.3g}"


def _power(w: float) -> str:
    return f"{w / 1e9:,.2f} GW" if abs(w) >= 1e8 else f"{w / 1e6:,.1f} MW"


def _usd(x: float) -> str:
    a = abs(x)
    if a >= 1e9:
        return f"USD {x / 1e9:,.1f} B"
    if a >= 1e6:
        return f"USD {x / 1e6:,.1f} M"
    if a >= 1e3:
        return f"USD {x / 1e3:,.1f} k"
    return f"USD {x:,.2f}"


def _r(value: Any, fmt: Any) -> tuple[str, str]:
    """(likely, 'low–high') of a low/likely/high dict or a point value ('' for no range)."""
    if isinstance(value, Mapping):
        lo, mid, hi = (float(value[k]) for k in ("low", "likely", "high"))
        spread = "" if lo == hi else f"{fmt(lo)} – {fmt(hi)}"
        return str(fmt(mid)), spread
    if value is None:
        return "–", ""
    return str(fmt(value)), ""


def _likely(value: Any) -> float:
    return float(value["likely"]) if isinstance(value, Mapping) else float(value)


# ---- sources ----------------------------------------------------------------------------------
def _nested_sources(fields: Mapping[str, Any], out: dict[str, None]) -> None:
    """Sources of quantities nested deeper than Entry.sources() looks (climate tables, dies)."""
    for value in fields.values():
        if isinstance(value, Quantity):
            out[value.source] = None
        elif isinstance(value, Mapping):
            src = value.get("source")
            if isinstance(src, str) and src.strip():
                out[src] = None
            _nested_sources(value, out)


def entry_sources(entry: Entry) -> list[str]:
    """Every distinct source an entry cites, at any depth, in order of first use."""
    seen: dict[str, None] = dict.fromkeys(entry.sources())
    _nested_sources(entry.fields, seen)
    return list(seen)


def _quantity_rows(fields: Mapping[str, Any], prefix: str = "") -> Iterable[tuple[str, str, str]]:
    """(field path, value with range and unit, source) for every quantity of an entry."""
    for key, value in fields.items():
        path = f"{prefix}{key}"
        if isinstance(value, Quantity):
            if not value.known:
                shown = "unknown (not published)"
            else:
                shown = value.display() if value.unit else str(value)
            if value.note:
                shown += f" ({value.note})"
            yield path, shown, value.source
        elif isinstance(value, Mapping):
            src = value.get("source")
            if isinstance(src, str) and "monthly" in value:
                months = ", ".join(f"{x:g}" for x in value.get("monthly", []))
                yield path, f"{months} {value.get('unit', '')} (Jan–Dec)", src
            else:
                yield from _quantity_rows(value, f"{path}.")


@dataclass
class Sources:
    """The catalog entries a plan used, numbered for footnotes ``[n]``."""

    catalog: Catalog
    entries: list[Entry] = field(default_factory=list)
    number: dict[tuple[str, str], int] = field(default_factory=dict)

    def refs(self, kind: str, ids: Iterable[Any]) -> list[int]:
        found = {self.number.get((kind, str(i))) for i in ids}
        return sorted(n for n in found if n is not None)

    def of_kind(self, kind: str) -> list[int]:
        return sorted(n for (k, _), n in self.number.items() if k == kind)

    def marks(self, numbers: Iterable[int]) -> str:
        """HTML footnote markers linking into the Sources section."""
        runs = _runs(numbers)
        if not runs:
            return ""
        links = ",".join(
            f'<a href="#src-{a}">{a}</a>'
            if a == b
            else f'<a href="#src-{a}">{a}</a>–<a href="#src-{b}">{b}</a>'
            for a, b in runs
        )
        return f'<sup class="fn">[{links}]</sup>'

    @staticmethod
    def text(numbers: Iterable[int]) -> str:
        """Plain footnote markers for hover text: 'sources [3–5, 9]'."""
        runs = _runs(numbers)
        shown = ", ".join(str(a) if a == b else f"{a}–{b}" for a, b in runs)
        return f"sources [{shown}]" if runs else ""


def _runs(numbers: Iterable[int]) -> list[tuple[int, int]]:
    """Sorted distinct numbers as runs of consecutive ones: 1,2,3,7 -> (1,3),(7,7)."""
    runs: list[tuple[int, int]] = []
    for n in sorted(set(numbers)):
        if runs and n == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], n)
        else:
            runs.append((n, n))
    return runs


def _referenced(entry: Entry, catalog: Catalog) -> Iterable[tuple[str, str]]:
    """(kind, id) of the catalog entries an entry names in its fields (bom -> fab nodes...)."""
    kinds_of: dict[str, list[str]] = {}
    for kind in catalog.kinds:
        for entry_id in catalog.kind(kind):
            kinds_of.setdefault(entry_id, []).append(kind)

    def walk(fields: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
        for key, value in fields.items():
            if key in _NOT_REFERENCES or isinstance(value, Quantity):
                continue
            values = value if isinstance(value, list) else [value]
            for v in values:
                if isinstance(v, str) and len(kinds_of.get(v, [])) == 1:
                    yield kinds_of[v][0], v
            if isinstance(value, Mapping):
                yield from walk(value)

    yield from walk(entry.fields)


def _nonempty(plan: Plan, table: str) -> pd.DataFrame | None:
    """The plan's table, or None where the plan has none or it has no rows."""
    df = plan.tables.get(table)
    return None if df is None or df.empty else df


def _column(plan: Plan, table: str, column: str) -> list[str]:
    df = plan.tables.get(table)
    if df is None or df.empty or column not in df.columns:
        return []
    return [str(v) for v in df[column].dropna().unique() if str(v) not in ("", "-", "nan")]


def collect_sources(plan: Plan, catalog: Catalog | None = None) -> Sources:
    """The catalog entries behind the plan's numbers, and the entries those refer to."""
    cat = catalog or load_catalog()
    used: dict[tuple[str, str], None] = {}

    def add(kind: str, ids: Iterable[str]) -> None:
        if kind not in cat.kinds:
            return
        items = cat.kind(kind)
        for i in ids:
            if i in items:
                used[(kind, i)] = None

    accs = _column(plan, "build_out", "accelerator") + _column(plan, "fleet", "accelerator")
    accs += [t.accelerator for t in plan.training]
    add("accelerators", accs)
    by_name = {e.name: e.id for e in cat.kind("models").values()}
    add("models", [by_name.get(t.model, t.model) for t in plan.training])
    add("models", _column(plan, "fleet", "model"))
    add("servers", _column(plan, "fleet", "server"))
    if "fleet" in plan.tables:
        add("fleet_assumptions", ["fabric", "storage"])
    add("bom", _column(plan, "supply_bom", "bom"))
    quarterly = plan.tables.get("supply_quarterly")
    if quarterly is not None:
        constraints = {c[len("util_") :] for c in quarterly.columns if c.startswith("util_")}
        for e in cat.kind("capacity").values():
            kind = str(e.get("constraint"))
            key = {"hbm_tsv": f"hbm_tsv:{e.get('vendor')}", "logic": f"logic:{e.get('node')}"}
            if key.get(kind, kind) in constraints:
                add("capacity", [e.id])
        add("fab", ["wafer-300mm", "lead-times"])
    add("sites", _column(plan, "sites", "site"))
    add("cooling", _column(plan, "sites", "cooling"))
    add("power_sources", _column(plan, "power_sources", "source"))
    add("buildout", _column(plan, "site_buildout", "kind"))
    add("prices", _column(plan, "capex", "item"))
    if "economics_summary" in plan.tables:
        add("prices", ["cluster-defaults", "depreciation-lives", "maintenance-rates"])
        add("prices", ["insurance", "staff", "wacc"])
        add("currencies", ["usd"])
    if any(t.reliability is not None for t in plan.training):
        add("failures", list(cat.kind("failures")))

    # follow references (bom -> dram products -> fab nodes, accelerators -> networks...)
    todo = list(used)
    while todo:
        kind, entry_id = todo.pop()
        for ref in _referenced(cat.get(kind, entry_id), cat):
            if ref not in used:
                used[ref] = None
                todo.append(ref)

    order = {k: i for i, k in enumerate(KIND_TITLES)}
    first = {key: i for i, key in enumerate(used)}
    ranked = sorted(used, key=lambda key: (order.get(key[0], len(order)), first[key]))
    src = Sources(cat)
    for n, (kind, entry_id) in enumerate(ranked, start=1):
        src.entries.append(cat.get(kind, entry_id))
        src.number[(kind, entry_id)] = n
    return src


# ---- headline ---------------------------------------------------------------------------------
@dataclass
class Card:
    label: str
    value: str
    spread: str = ""  # "low – high"
    note: str = ""
    refs: Sequence[int] = ()
    alert: bool = False


def _supply_refs(src: Sources) -> list[int]:
    """Footnotes of the supply chain: BOMs, DRAM products, fab nodes and capacity."""
    return [
        *src.of_kind("bom"),
        *src.of_kind("dram_products"),
        *src.of_kind("fab"),
        *src.of_kind("capacity"),
    ]


def _accelerator_cards(plan: Plan, src: Sources) -> list[Card]:
    """Accelerators of the build-out, HBM stacks and the peak DRAM wafer starts vs the claim."""
    h = plan.headline
    cards: list[Card] = []
    acc = h.get("accelerators") or {}
    by_type = acc.get("by_type") or {}
    acc_refs = src.refs("accelerators", by_type)
    if acc:
        cards.append(
            Card(
                "Accelerators (build-out)",
                f"{acc.get('total', 0):,.0f}",
                note=", ".join(f"{n:,.0f} {a}" for a, n in by_type.items()),
                refs=acc_refs,
            )
        )
    if h.get("hbm_stacks"):
        cards.append(
            Card("HBM stacks", f"{h['hbm_stacks']:,.0f}", note="stacks mounted", refs=acc_refs)
        )
    if h.get("dram_wafers_per_month_peak"):
        value, spread = _r(h["dram_wafers_per_month_peak"], lambda x: f"{x:,.0f}")
        claim = h.get("dram_wafers_claim_wafers_per_month")
        quarter = f" in {plan.claim.peak_quarter}" if plan.claim else ""
        note = f"peak{quarter}"
        if claim and h.get("dram_wafers_claim_ratio"):
            ratio, rspread = _r(h["dram_wafers_claim_ratio"], lambda x: f"{x:.3g}")
            note = f"{ratio} [{rspread}] × the {claim:,.0f} wafers/month claim{quarter}"
        cards.append(
            Card(
                "DRAM wafer starts at peak",
                f"{value} wafers/month",
                spread,
                note,
                _supply_refs(src),
            )
        )
    return cards


def _binding_cards(h: Mapping[str, Any], src: Sources) -> list[Card]:
    """The supply constraint nearest its capacity: "binding" only at or near capacity."""
    if not h.get("largest_utilisation_constraint"):
        return []
    util = float(h.get("binding_utilisation") or 0.0)
    short = int(h.get("supply_shortfall_quarters") or 0)
    binds = bool(h.get("binding_constraint"))
    return [
        Card(
            "Binding supply constraint" if binds else "Supply: no constraint binds",
            str(h["largest_utilisation_constraint"]),
            note=f"{h.get('binding_summary')}; {short} quarter(s) short of capacity",
            refs=src.of_kind("capacity"),
            alert=short > 0 or util >= 1.0,
        )
    ]


def _power_cards(plan: Plan, src: Sources) -> list[Card]:
    """IT and facility power, PUE, water and CO₂ ('–' where the scenario has no sites)."""
    h = plan.headline
    if not h.get("it_power_w"):
        return []
    acc_refs = src.refs("accelerators", (h.get("accelerators") or {}).get("by_type") or {})
    site_refs = [*src.of_kind("sites"), *src.of_kind("cooling")]
    no_sites = "" if "sites" in plan.tables else "not modelled: the scenario has no sites; "
    placed = float(h.get("it_power_placed_on_modelled_sites_w") or 0.0)
    return [
        Card(
            "IT power",
            _power(h["it_power_w"]),
            note=f"{_power(placed)} on modelled sites; the rest at the first site's conditions",
            refs=[*acc_refs, *src.refs("prices", ["cluster-defaults"])],
        ),
        Card(
            "Facility power",
            _power(h["facility_power_w"]),
            note="IT power × PUE of each site",
            refs=site_refs,
        ),
        Card("PUE", f"{h['pue']:.3f}", note="facility ÷ IT power, annual", refs=site_refs),
        Card(
            "Water consumed",
            f"{h.get('water_m3_per_year', 0) / MILLION:,.1f} Mm³/year" if not no_sites else "–",
            note=no_sites + "evaporation and blow-down; seawater cooling consumes none",
            refs=site_refs,
        ),
        Card(
            "CO₂",
            f"{h.get('co2_t_per_year', 0) / MILLION:,.2f} Mt/year" if not no_sites else "–",
            note=no_sites + "grid carbon intensity and on-site generation",
            refs=[*src.of_kind("sites"), *src.of_kind("power_sources")],
        ),
    ]


def _capex_note(h: Mapping[str, Any]) -> str:
    """'the whole build-out', with the capex in the display currency where there is one."""
    code = h.get("display_currency")
    local = h.get(f"capex_{code.lower()}") if code else None
    note = "the whole build-out"
    if local:
        note += (
            f"; {code} {local['likely'] / TRILLION:,.3f} T [{local['low'] / TRILLION:,.3f}–"
            f"{local['high'] / TRILLION:,.3f} T] at the catalog's dated rate"
        )
    return note


def _cost_cards(h: Mapping[str, Any], src: Sources) -> list[Card]:
    """Capex, opex, cost per GPU-hour and per million tokens."""
    cards: list[Card] = []
    price_refs = src.of_kind("prices")
    if h.get("capex_usd"):
        value, spread = _r(h["capex_usd"], _usd)
        cards.append(
            Card(
                "Capex",
                value,
                spread,
                _capex_note(h),
                [*price_refs, *src.of_kind("currencies")],
            )
        )
        value, spread = _r(h.get("opex_usd_per_year"), _usd)
        cards.append(Card("Opex", f"{value} / year", spread, "at full build-out", price_refs))
        value, spread = _r(h.get("usd_per_gpu_hour"), lambda x: f"{x:.2f}")
        cards.append(
            Card("Cost per GPU-hour", f"USD {value}", spread, "capital charge + opex", price_refs)
        )
    if h.get("usd_per_million_tokens"):
        value, spread = _r(h["usd_per_million_tokens"], lambda x: f"{x:.3f}")
        cards.append(
            Card(
                "Cost per million tokens",
                f"USD {value}",
                spread,
                "mean over the services",
                [*price_refs, *src.of_kind("models")],
            )
        )
    return cards


def _budget_and_reliability_cards(h: Mapping[str, Any], src: Sources) -> list[Card]:
    """Whether the budget covers the plan, and the largest training run's ETTR."""
    cards: list[Card] = []
    if h.get("budget_usd"):
        value, _ = _r(h["budget_usd"], _usd)
        fits = bool(h.get("within_budget"))
        years = h.get("budget_years_needed")
        note = ""
        if years:
            y, ys = _r(years, lambda x: f"{x:.1f}")
            note = f"needs {y} [{ys}] years of this budget"
        cards.append(
            Card(
                "Budget",
                f"{value}: {'within budget' if fits else 'OVER budget'}",
                note=note,
                refs=src.of_kind("prices"),
                alert=not fits,
            )
        )
    if h.get("ettr") is not None:
        cards.append(
            Card(
                "Effective training time ratio",
                f"{h['ettr']:.2f}",
                note=f"largest run {h.get('largest_training_run')}: "
                f"{h.get('unexpected_interruptions_per_day', 0):.1f} interruptions/day",
                refs=src.of_kind("failures"),
            )
        )
    return cards


def headline_cards(plan: Plan, src: Sources) -> list[Card]:
    """The headline figures, each with its range and footnotes, in the order a planner reads."""
    h = plan.headline
    return [
        *_accelerator_cards(plan, src),
        *_binding_cards(h, src),
        *_power_cards(plan, src),
        *_cost_cards(h, src),
        *_budget_and_reliability_cards(h, src),
    ]


def _cards_html(cards: Sequence[Card], src: Sources) -> str:
    parts = []
    for c in cards:
        cls = "card alert" if c.alert else "card"
        spread = f'<div class="range">range {_esc(c.spread)}</div>' if c.spread else ""
        note = f'<div class="note">{_esc(c.note)}</div>' if c.note else ""
        parts.append(
            f'<div class="{cls}"><div class="label">{_esc(c.label)}{src.marks(c.refs)}</div>'
            f'<div class="value">{_esc(c.value)}</div>{spread}{note}</div>'
        )
    return '<div class="cards">' + "".join(parts) + "</div>"


# ---- Sankey -----------------------------------------------------------------------------------
@dataclass
class _Flow:
    labels: list[str] = field(default_factory=list)
    hovers: list[str] = field(default_factory=list)
    colors: list[str] = field(default_factory=list)
    index: dict[str, int] = field(default_factory=dict)
    source: list[int] = field(default_factory=list)
    target: list[int] = field(default_factory=list)
    value: list[float] = field(default_factory=list)
    link_hover: list[str] = field(default_factory=list)
    columns: list[int] = field(default_factory=list)

    def node(self, key: str, label: str, hover: str, color: str, column: int) -> int:
        if key not in self.index:
            self.index[key] = len(self.labels)
            self.labels.append(label)
            self.hovers.append(hover)
            self.colors.append(color)
            self.columns.append(column)
        return self.index[key]

    def positions(self, pad: float, label: float) -> tuple[list[float], list[float]]:
        """Node centres (x by column, y stacked largest first) in [0, 1], so that a node
        without links onward stays in its own column and small nodes keep room for a label.
        ``pad`` and ``label`` are the node gap and a label's height as fractions of the plot
        height. Plotly scales node heights by one factor for all columns (the fullest column
        fills the height); the same factor is used here."""
        n = len(self.labels)
        size = [0.0] * n
        inflow = [0.0] * n
        for a, b, v in zip(self.source, self.target, self.value, strict=True):
            size[a] += v
            inflow[b] += v
        size = [max(s, i) for s, i in zip(size, inflow, strict=True)]
        cols = sorted(set(self.columns))
        last = max(cols) if cols else 1
        members = {c: [i for i in range(n) if self.columns[i] == c] for c in cols}
        scale = min(
            (1.0 - (len(m) - 1) * pad) / max(sum(size[i] for i in m), 1e-300)
            for m in members.values()
        )
        xs, ys = [0.0] * n, [0.0] * n
        for c, m in members.items():
            top = 0.0
            placed = []
            for i in sorted(m, key=lambda i: -size[i]):
                h = size[i] * scale
                ys[i] = top + h / 2
                placed.append(i)
                top += max(h, label) + pad
            over = top - pad
            if over > 1.0:  # labels of small nodes pushed the column past the bottom
                for i in placed:
                    ys[i] /= over
            for i in m:
                xs[i] = min(max(c / max(last, 1), 0.001), 0.999)
                ys[i] = min(max(ys[i], 0.001), 0.999)
        return xs, ys

    def link(self, a: str, b: str, value: float, hover: str) -> None:
        if value > 0 and a in self.index and b in self.index:
            self.source.append(self.index[a])
            self.target.append(self.index[b])
            self.value.append(float(value))
            self.link_hover.append(hover)


SANKEY_CAPTION = (
    "Link widths are in <b>accelerators of the build-out</b>, the one quantity every stage "
    "can be attributed to; the stages' own quantities differ in unit, so each node's label "
    "gives its own value and unit (tokens, accelerators, HBM stacks, DRAM wafer starts per "
    "month, watts, US dollars). From left to right: the workloads and the build-out beyond "
    "them (link width = accelerators each workload needs, from the fleet table); accelerators "
    "by type; HBM stacks by product (width = accelerators carrying them); the programme's "
    "peak DRAM wafer starts; facility power by site (width = accelerators placed there; "
    "hover for IT power and PUE); capex by category (each site's accelerators split in "
    "proportion to that site's capex mix). Workloads that run on accelerators outside the "
    "build-out end at their accelerator node. Hover a node for its range and sources."
)


def _sankey_accelerators(flow: _Flow, built: pd.Series, src: Sources) -> None:
    """Column 2: accelerators of the build-out by type."""
    for i, (acc, n) in enumerate(built.items()):
        refs = Sources.text(src.refs("accelerators", [acc]))
        flow.node(
            f"acc:{acc}",
            f"{acc}: {_count(float(n))} accelerators",
            f"{acc}: {float(n):,.0f} accelerators in the build-out<br>{refs}",
            PALETTE[i % len(PALETTE)],
            1,
        )


def _tokens_by_workload(plan: Plan) -> dict[str, str]:
    """Each workload's amount of tokens as label text: per day (services) or per run."""
    services = plan.tables.get("services")
    tokens_day = (
        {str(r.workload): float(r.tokens_per_day) for r in services.itertuples()}
        if services is not None
        else {}
    )
    out = {t.name: f"{_count(t.tokens)} tokens (training)" for t in plan.training}
    out.update({name: f"{_count(n)} tokens/day" for name, n in tokens_day.items()})
    return out


def _sankey_workloads(flow: _Flow, plan: Plan, built: pd.Series, src: Sources) -> None:
    """Column 1: workloads (tokens) -> accelerators, and the build-out beyond them."""
    fleet = plan.tables.get("fleet")
    amounts = _tokens_by_workload(plan)
    used: dict[str, float] = {}
    if fleet is not None and not fleet.empty:
        for r in fleet[fleet["workload"] != "TOTAL"].itertuples():
            name, acc, n = str(r.workload), str(r.accelerator), float(r.accelerators)
            amount = amounts.get(name, f"{_count(0.0)} tokens (training)")
            model_ref = Sources.text(src.refs("models", [str(r.model)]))
            flow.node(
                f"wl:{name}",
                f"{name}: {amount}",
                f"{name} ({r.kind}): {amount}<br>needs {n:,.0f} × {acc} {model_ref}",
                BLUE,
                0,
            )
            if acc not in built.index:
                refs = Sources.text(src.refs("accelerators", [acc]))
                flow.node(
                    f"acc:{acc}",
                    f"{acc}: outside the build-out",
                    f"{acc}: needed by the workloads but not bought in the build-out "
                    f"(an existing fleet); {refs}",
                    GREY,
                    1,
                )
            flow.link(f"wl:{name}", f"acc:{acc}", n, f"{name} → {acc}: {n:,.0f} accelerators")
            used[acc] = used.get(acc, 0.0) + n
    beyond = {acc: float(n) - used.get(acc, 0.0) for acc, n in built.items()}
    if any(v > 0 for v in beyond.values()):
        total = sum(v for v in beyond.values() if v > 0)
        flow.node(
            "wl:beyond",
            f"beyond listed workloads: {_count(total)}",
            "build-out not claimed by a listed training run or service "
            "(growth, further models, other customers)",
            LIGHT_BLUE,
            0,
        )
        for acc, v in beyond.items():
            flow.link("wl:beyond", f"acc:{acc}", v, f"beyond workloads → {acc}: {v:,.0f}")


def _hbm_products(plan: Plan) -> dict[str, str]:
    """HBM product of each accelerator type of the supply stage's bill of materials."""
    bom = plan.tables.get("supply_bom")
    if bom is None or bom.empty:
        return {}
    return {str(r.accelerator): str(r.hbm_product) for r in bom.itertuples()}


def _hbm_stacks(
    plan: Plan, built: pd.Series, hbm_of: Mapping[str, str], cat: Catalog
) -> dict[str, float]:
    """HBM stacks mounted on the build-out by product ({} without a supply stage)."""
    stacks: dict[str, float] = {}
    if plan.claim is None:
        return stacks  # no supply stage: accelerators link straight to the sites
    for acc, n in built.items():
        if str(acc) in hbm_of:
            per = cat.accelerator(str(acc)).value("hbm_stacks") or 0.0
            stacks[hbm_of[str(acc)]] = stacks.get(hbm_of[str(acc)], 0.0) + float(n) * per
    return stacks


def _sankey_hbm(
    flow: _Flow, plan: Plan, built: pd.Series, stacks: Mapping[str, float], src: Sources
) -> None:
    """Column 3: HBM stacks by product (width = accelerators carrying them)."""
    bom = plan.tables.get("supply_bom")
    hbm_of = _hbm_products(plan)
    for product, n in stacks.items():
        boms = [] if bom is None else bom.loc[bom["hbm_product"] == product, "bom"]
        refs = Sources.text(
            src.refs("dram_products", [f"{product}-mfg"])
            + src.refs("memory", [product])
            + src.refs("bom", boms)
        )
        flow.node(
            f"hbm:{product}",
            f"{product.upper()}: {_count(n)} stacks",
            f"{product.upper()}: {n:,.0f} HBM stacks mounted on the build-out<br>{refs}",
            TEAL,
            2,
        )
    for acc, n in built.items():
        if str(acc) in hbm_of:
            flow.link(
                f"acc:{acc}",
                f"hbm:{hbm_of[str(acc)]}",
                float(n),
                f"{acc} → {hbm_of[str(acc)]}: {float(n):,.0f} accelerators",
            )


def _sankey_dram(
    flow: _Flow, plan: Plan, built: pd.Series, stacks: Mapping[str, float], src: Sources
) -> str:
    """Column 4: the peak DRAM wafer starts; returns its node key ('' when not shown)."""
    claim = plan.claim
    if claim is None or not stacks:
        return ""
    peak = claim.peak_dram_wafers_per_month
    refs = Sources.text(src.of_kind("dram_products") + src.of_kind("fab") + src.of_kind("capacity"))
    stated = claim.claim_wafers_per_month
    against = (
        f", {peak.likely / stated:.1%} of the claimed {stated:,.0f}<br>"
        f"claim {stated:,.0f}: {claim.claim_source}"
        if stated
        else ""
    )
    flow.node(
        "dram",
        f"DRAM: {_count(peak.likely)} wafers/month",
        f"peak DRAM wafer starts {peak.likely:,.0f} [{peak.low:,.0f}–{peak.high:,.0f}] "
        f"wafers/month in {claim.peak_quarter} (HBM and host memory){against}<br>{refs}",
        RED,
        3,
    )
    hbm_of = _hbm_products(plan)
    for product in stacks:
        n = sum(float(v) for a, v in built.items() if hbm_of.get(str(a)) == product)
        flow.link(f"hbm:{product}", "dram", n, f"{product} → DRAM: {n:,.0f} accelerators")
    return "dram"


def _sankey_sites(flow: _Flow, plan: Plan, src: Sources, dram_key: str) -> dict[str, float]:
    """Column 5: facility power by site (width = accelerators placed there); returns the
    accelerators per site."""
    alloc = plan.tables.get("allocation")
    if alloc is None or alloc.empty:
        return {}
    sites = plan.tables.get("sites")
    pue = {str(r.site): float(r.pue) for r in sites.itertuples()} if sites is not None else {}
    first_pue = next(iter(pue.values()), float(plan.headline.get("pue") or 1.0))
    for site, it_w in alloc.groupby("site")["it_w"].sum().items():
        p = pue.get(str(site), first_pue)
        refs = Sources.text(src.refs("sites", [site]) + src.of_kind("cooling"))
        where = "" if str(site) in pue else " (at the first site's PUE)"
        flow.node(
            f"site:{site}",
            f"{site}: {_power(float(it_w) * p)}",
            f"{site}: {_power(float(it_w))} IT, {_power(float(it_w) * p)} facility, "
            f"PUE {p:.3f}{where}<br>{refs}",
            GREEN,
            4 if dram_key else 2,
        )
    by_type = alloc.groupby(["accelerator", "site"])["accelerators"].sum()
    for (acc, site), n in by_type.items():
        origin = dram_key or f"acc:{acc}"
        flow.link(origin, f"site:{site}", float(n), f"→ {site}: {float(n):,.0f} accelerators")
    return {str(k): float(v) for k, v in alloc.groupby("site")["accelerators"].sum().items()}


def _sankey_capex(
    flow: _Flow, plan: Plan, src: Sources, site_acc: Mapping[str, float], dram_key: str
) -> None:
    """Column 6: capex by category; each site's accelerators split by its capex mix."""
    capex = plan.tables.get("capex")
    if capex is None or capex.empty or not site_acc:
        return
    cat_total = capex.groupby("category")[list(CAPEX_COLUMNS)].sum()
    for c, row in cat_total.iterrows():
        refs = Sources.text(src.refs("prices", capex.loc[capex["category"] == c, "item"].unique()))
        flow.node(
            f"usd:{c}",
            f"{c}: {_usd(float(row['capex_usd']))}",
            f"capex {c}: {_usd_range(row, 'capex_usd')}<br>{refs}",
            PURPLE,
            5 if dram_key else 3,
        )
    per_site = capex.groupby(["site", "category"])["capex_usd"].sum()
    for site, n_acc in site_acc.items():
        if site not in per_site.index.get_level_values(0):
            continue
        mix = per_site.loc[site]
        total = float(mix.sum())
        for c, usd in mix.items():
            share = float(usd) / total if total > 0 else 0.0
            flow.link(
                f"site:{site}",
                f"usd:{c}",
                n_acc * share,
                f"{site} → {c}: {_usd(float(usd))} ({share:.0%} of the site's capex)",
            )


def _sankey_column_titles(flow: _Flow, dram_key: str) -> list[str]:
    """Titles of the columns the flow fills, left to right."""
    columns = list(SANKEY_COLUMNS)
    if not dram_key:
        columns = [c for c in columns if c not in ("HBM stacks", "DRAM wafers")]
    return columns[: max(flow.columns, default=0) + 1]


def _sankey_plot(flow: _Flow, columns: Sequence[str]) -> go.Figure:
    """Plotly styling of the flow: nodes at fixed positions, titled columns."""
    xs, ys = flow.positions(
        pad=SANKEY_NODE_PAD_PX / SANKEY_PLOT_H_PX, label=SANKEY_LABEL_PX / SANKEY_PLOT_H_PX
    )
    fig = go.Figure(
        go.Sankey(
            arrangement="snap",
            valueformat=",.0f",
            valuesuffix=" accelerators",
            node={
                "label": flow.labels,
                "x": xs,
                "y": ys,
                "customdata": flow.hovers,
                "hovertemplate": "%{customdata}<extra></extra>",
                "color": flow.colors,
                "pad": SANKEY_NODE_PAD_PX,
                "thickness": SANKEY_NODE_THICKNESS_PX,
            },
            link={
                "source": flow.source,
                "target": flow.target,
                "value": flow.value,
                "customdata": flow.link_hover,
                "hovertemplate": "%{customdata}<br>width %{value}<extra></extra>",
                "color": SANKEY_LINK_COLOR,
            },
        )
    )
    for i, name in enumerate(columns):
        anchor = "left" if i == 0 else "right" if i == len(columns) - 1 else "center"
        fig.add_annotation(
            x=i / max(len(columns) - 1, 1),
            xanchor=anchor,
            y=1.0,
            yanchor="bottom",
            xref="paper",
            yref="paper",
            text=f"<b>{name}</b>",
            showarrow=False,
        )
    fig.update_layout(
        height=SANKEY_PLOT_H_PX + SANKEY_TITLES_PX,
        margin=_margin(left=10, top=60, bottom=10),
        font={"size": 11},
    )
    return fig


def sankey_figure(plan: Plan, src: Sources) -> go.Figure | None:
    """Tokens -> accelerators -> HBM stacks -> DRAM wafers -> facility power -> capex, with
    link widths in accelerators of the build-out (SANKEY_CAPTION)."""
    build = _nonempty(plan, "build_out")
    if build is None:
        return None
    built = build.groupby("accelerator")["count"].sum()
    flow = _Flow()
    _sankey_accelerators(flow, built, src)
    _sankey_workloads(flow, plan, built, src)
    stacks = _hbm_stacks(plan, built, _hbm_products(plan), src.catalog)
    _sankey_hbm(flow, plan, built, stacks, src)
    dram_key = _sankey_dram(flow, plan, built, stacks, src)
    site_acc = _sankey_sites(flow, plan, src, dram_key)
    _sankey_capex(flow, plan, src, site_acc, dram_key)
    return _sankey_plot(flow, _sankey_column_titles(flow, dram_key))


# ---- supply -----------------------------------------------------------------------------------
SUPPLY_SERIES = (
    ("hbm_dram", "HBM DRAM (TSV lines)"),
    ("dram", "all DRAM"),
    ("cowos", "CoWoS interposers"),
    ("logic", "logic (advanced nodes)"),
)


def _hover(text: str, refs: str) -> str:
    """A hover template: text, then the footnotes on a line of their own, no trace name box."""
    return f"{text}<br>{refs}<extra></extra>"


def _asymmetric_error(high: Any, low: Any, **style: Any) -> dict[str, Any]:
    """Whiskers ``high`` above and ``low`` below each point (plotly ``error_y``)."""
    return {"type": "data", "symmetric": False, "array": high, "arrayminus": low, **style}


def _margin(left: int = 60, right: int = 10, top: int = 40, bottom: int = 40) -> dict[str, int]:
    return {"l": left, "r": right, "t": top, "b": bottom}


def _accelerator_traces(fig: go.Figure, plan: Plan, q: pd.DataFrame, src: Sources) -> None:
    """Row 1: accelerators requested per quarter (bars) and deliverable (line, P5-P95)."""
    acc_refs = Sources.text(src.of_kind("accelerators") + src.of_kind("bom"))
    bar = go.Bar(
        x=[str(v) for v in q["quarter"]],
        y=q["accelerators_requested"],
        name="requested",
        marker_color=LIGHT_BLUE,
        hovertemplate=_hover("%{x}: %{y:,.0f} requested", acc_refs),
        legendgroup="acc",
    )
    fig.add_trace(bar, row=1, col=1)
    d = plan.tables.get("supply_deliveries")
    if d is None or d.empty:
        return
    mid = d["accelerators_deliverable"]
    line = go.Scatter(
        x=[str(v) for v in d["quarter"]],
        y=mid,
        name="deliverable",
        mode="lines+markers",
        line={"color": DARK_BLUE},
        error_y=_asymmetric_error(
            d["accelerators_deliverable_high"] - mid,
            mid - d["accelerators_deliverable_low"],
            thickness=1,
        ),
        customdata=d[["accelerators_deliverable_low", "accelerators_deliverable_high"]],
        hovertemplate="%{x}: %{y:,.0f} deliverable [%{customdata[0]:,.0f}–"
        "%{customdata[1]:,.0f}]<extra></extra>",
        legendgroup="acc",
    )
    fig.add_trace(line, row=1, col=1)


def _log_floor(q: pd.DataFrame) -> float:
    """Bottom of the log wafer axis: a third of the smallest positive demand (log cannot
    reach zero), at least one wafer per month."""
    positive = [
        float(v)
        for key, _ in SUPPLY_SERIES
        if f"{key}_wafers_per_month" in q.columns
        for v in q[f"{key}_wafers_per_month"]
        if v > 0
    ]
    return max(min(positive, default=1.0) / LOG_FLOOR_DIVISOR, 1.0)


def _wafer_series_traces(
    q: pd.DataFrame, key: str, label: str, color: str, floor: float, src: Sources
) -> list[go.Scatter]:
    """One group of wafers: the P5-P95 demand band, the P50 demand and, if bounded, capacity."""
    x = [str(v) for v in q["quarter"]]
    col = f"{key}_wafers_per_month"
    dem_refs = Sources.text(src.of_kind("bom") + src.of_kind("dram_products") + src.of_kind("fab"))
    traces = [
        go.Scatter(
            x=x + x[::-1],
            y=[max(float(v), floor) for v in q[f"{col}_high"]]
            + [max(float(v), floor) for v in q[f"{col}_low"]][::-1],
            fill="toself",
            mode="lines",  # plotly adds markers to short traces by default
            fillcolor=_rgba(color, BAND_ALPHA),
            line={"width": 0},
            hoverinfo="skip",
            showlegend=False,
            legendgroup=key,
        ),
        go.Scatter(
            x=x,
            y=[float(v) if v > 0 else None for v in q[col]],  # gaps, not log(0)
            name=f"{label}: demand",
            mode="lines",
            line={"color": color},
            customdata=q[[f"{col}_low", f"{col}_high"]],
            hovertemplate=_hover(
                f"{label} demand %{{x}}: %{{y:,.0f}} wafers/month "
                "[%{customdata[0]:,.0f}–%{customdata[1]:,.0f}]",
                dem_refs,
            ),
            legendgroup=key,
        ),
    ]
    if f"{key}_capacity" in q.columns:
        traces.append(
            go.Scatter(
                x=x,
                y=q[f"{key}_capacity"],
                name=f"{label}: capacity",
                mode="lines",
                line={"color": color, "dash": "dash"},
                hovertemplate=_hover(
                    f"{label} capacity %{{x}}: %{{y:,.0f}} wafers/month",
                    Sources.text(src.of_kind("capacity")),
                ),
                legendgroup=key,
            )
        )
    return traces


def _utilisation_traces(q: pd.DataFrame, src: Sources) -> list[go.Scatter]:
    """Row 3: each constraint's utilisation, and the binding one of each quarter (★)."""
    x = [str(v) for v in q["quarter"]]
    util_cols = [c for c in q.columns if c.startswith("util_")]
    traces = [
        go.Scatter(
            x=x,
            y=q[c],
            name=f"utilisation {c[len('util_') :]}",
            mode="lines",
            line={"color": PALETTE[(i + UTIL_PALETTE_OFFSET) % len(PALETTE)], "width": 1.5},
            hovertemplate=f"{c[len('util_') :]} %{{x}}: %{{y:.1%}} of capacity<extra></extra>",
        )
        for i, c in enumerate(util_cols)
    ]
    traces.append(
        go.Scatter(
            x=x,
            y=q["binding_utilisation"],
            name="binding constraint",
            mode="markers",
            marker={"symbol": "star", "size": 10, "color": ALERT_RED},
            customdata=q[["binding_constraint", "binding_probability"]],
            hovertemplate=_hover(
                "%{x}: binding %{customdata[0]} at %{y:.1%} "
                "(binds in %{customdata[1]:.0%} of draws)",
                Sources.text(src.of_kind("capacity")),
            ),
        )
    )
    return traces


def _binding_marks(fig: go.Figure, q: pd.DataFrame, h: Mapping[str, Any]) -> None:
    """Full capacity (dotted), quarters short of capacity (red bands), the busiest quarter."""
    fig.add_hline(y=1.0, line={"color": ALERT_RED, "dash": "dot"}, row=3, col=1)
    for quarter in q[q["shortfall_wafers_per_month"] > 0]["quarter"]:
        fig.add_vrect(
            x0=str(quarter),
            x1=str(quarter),
            line={"color": _rgba(ALERT_RED, SHORTFALL_ALPHA), "width": 8},
        )
    if h.get("largest_utilisation_quarter"):
        util = float(h.get("binding_utilisation") or 0.0)
        label = "binding" if h.get("binding_constraint") else "largest utilisation"
        fig.add_annotation(
            x=str(h["largest_utilisation_quarter"]),
            y=util,
            xref="x3",
            yref="y3",
            text=f"{label}: {h['largest_utilisation_constraint']} ({util:.0%})",
            showarrow=True,
            arrowhead=2,
            ax=40,
            ay=-30,
            font={"color": ALERT_RED},
        )


def _supply_axes(fig: go.Figure, q: pd.DataFrame, floor: float) -> None:
    """Axis titles, the log wafer axis from ``floor`` to above the highest capacity, layout."""
    fig.update_yaxes(title_text="accelerators", row=1, col=1)
    top = max(
        [float(q[c].max()) for c in q.columns if c.endswith("_capacity")]
        + [floor * LOG_AXIS_DECADE]
    )
    fig.update_yaxes(
        title_text="wafers/month",
        type="log",
        range=[math.log10(floor), math.log10(top * LOG_AXIS_HEADROOM)],
        row=2,
        col=1,
    )
    fig.update_yaxes(title_text="share of capacity", tickformat=".0%", row=3, col=1)
    fig.update_layout(
        height=SUPPLY_HEIGHT_PX,
        barmode="overlay",
        margin=_margin(),
        legend={"font": {"size": 10}},
        hovermode="closest",
    )


# Rows of the supply figure: accelerators, wafer starts, utilisation.
SUPPLY_GRID: Mapping[str, Any] = MappingProxyType(
    {
        "rows": 3,
        "cols": 1,
        "shared_xaxes": True,
        "vertical_spacing": 0.07,
        "row_heights": [0.3, 0.4, 0.3],
        "subplot_titles": (
            "Accelerators per quarter: requested by the build-out vs deliverable by supply",
            "Wafer starts per month: demand (band = 5th–95th percentile) vs capacity (dashed)",
            "Utilisation of each constraint (binding constraint marked ★)",
        ),
    }
)


def supply_figure(plan: Plan, src: Sources) -> go.Figure | None:
    """Accelerators requested vs deliverable, wafer starts vs capacity, and utilisation."""
    q = _nonempty(plan, "supply_quarterly")
    if q is None:
        return None
    fig = make_subplots(**SUPPLY_GRID)
    _accelerator_traces(fig, plan, q, src)
    floor = _log_floor(q)
    for i, (key, label) in enumerate(SUPPLY_SERIES):
        if f"{key}_wafers_per_month" in q.columns:
            for trace in _wafer_series_traces(q, key, label, PALETTE[i], floor, src):
                fig.add_trace(trace, row=2, col=1)
    for trace in _utilisation_traces(q, src):
        fig.add_trace(trace, row=3, col=1)
    _binding_marks(fig, q, plan.headline)
    _supply_axes(fig, q, floor)
    return fig


def _rgba(hex_color: str, alpha: float) -> str:
    r, g, b = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


# ---- sites ------------------------------------------------------------------------------------
def _climate(row: Mapping[str, Any]) -> str:
    """One month's climate as hover text: only the temperatures the site has."""
    parts = [
        f"{label} {float(row[key]):.1f} °C"
        for key, label in (
            ("dry_bulb_c", "dry bulb"),
            ("wet_bulb_c", "wet bulb"),
            ("water_c", "water"),
        )
        if _finite(row.get(key))
    ]
    if _finite(row.get("wue_l_per_kwh")):
        parts.append(f"WUE {float(row['wue_l_per_kwh']):.2f} L/kWh")
    return ", ".join(parts)


def _bar(x: Sequence[str], y: Any, name: str, color: str, hover: str, **more: Any) -> go.Bar:
    """A bar trace of one quantity per site (hover without a trace name box)."""
    return go.Bar(
        x=x, y=y, name=name, marker_color=color, hovertemplate=hover + "<extra></extra>", **more
    )


def _pue_traces(plan: Plan, sites: pd.DataFrame, src: Sources) -> list[go.Scatter]:
    """Monthly PUE of each site, with that month's climate in the hover."""
    monthly = plan.tables.get("sites_monthly")
    if monthly is None or monthly.empty:
        return []
    traces = []
    for i, r in enumerate(sites.itertuples()):
        site = str(r.site)
        refs = Sources.text(src.refs("sites", [site]) + src.refs("cooling", [str(r.cooling)]))
        m = monthly[monthly["site"] == site]
        traces.append(
            go.Scatter(
                x=[str(v) for v in m["month"]],
                y=m["pue"],
                name=f"{site} ({r.cooling})",
                mode="lines+markers",
                line={"color": PALETTE[i % len(PALETTE)]},
                customdata=[_climate(row) for row in m.to_dict("records")],
                hovertemplate=_hover(f"{site} %{{x}}: PUE %{{y:.3f}}<br>%{{customdata}}", refs),
                legendgroup=site,
            )
        )
    return traces


def _site_power_bars(sites: pd.DataFrame) -> list[go.Bar]:
    """IT power and mean facility power per site (whisker up to the worst month's peak)."""
    names = [str(s) for s in sites["site"]]
    return [
        _bar(names, sites["it_w"] / W_PER_MW, "IT power (MW)", BLUE, "%{x}: %{y:,.1f} MW IT"),
        _bar(
            names,
            sites["facility_w_mean"] / W_PER_MW,
            "facility power, mean (MW)",
            ORANGE,
            "%{x}: %{y:,.1f} MW facility mean, %{customdata[0]:,.1f} MW peak "
            "(whisker)<br>PUE %{customdata[1]:.3f}; %{customdata[2]:,.0f} MW of power "
            "installed",
            error_y=_asymmetric_error(
                (sites["facility_w_peak"] - sites["facility_w_mean"]) / W_PER_MW,
                [0.0] * len(sites),
            ),
            customdata=sites[["facility_w_peak", "pue", "supply_installed_w"]]
            / [W_PER_MW, 1, W_PER_MW],
        ),
    ]


def _site_water_bars(sites: pd.DataFrame) -> list[go.Bar]:
    """Water consumed (evaporated) and withdrawn (taken in and returned warmer) per site."""
    names = [str(s) for s in sites["site"]]
    return [
        _bar(
            names,
            sites["water_consumed_m3"],
            "water consumed (m³/yr)",
            GREEN,
            "%{x}: %{y:,.0f} m³/yr consumed, WUE %{customdata[0]:.2f} L/kWh",
            customdata=sites[["wue_l_per_kwh"]],
        ),
        _bar(
            names,
            sites["water_withdrawn_m3"],
            "water withdrawn and returned (m³/yr)",
            TEAL,
            "%{x}: %{y:,.0f} m³/yr withdrawn (returned %{customdata[0]:.1f} K warmer at most)",
            customdata=sites[["discharge_rise_k_max"]],
        ),
    ]


# Columns of the sites figure: PUE, power, water.
SITES_GRID: Mapping[str, Any] = MappingProxyType(
    {
        "rows": 1,
        "cols": 3,
        "horizontal_spacing": 0.08,
        "subplot_titles": ("PUE by month", "IT and facility power", "Water per year"),
    }
)


def sites_figure(plan: Plan, src: Sources) -> go.Figure | None:
    """Monthly PUE, IT and facility power, and water per site."""
    sites = _nonempty(plan, "sites")
    if sites is None:
        return None
    fig = make_subplots(**SITES_GRID)
    for col, traces in enumerate(
        (_pue_traces(plan, sites, src), _site_power_bars(sites), _site_water_bars(sites)),
        start=1,
    ):
        for trace in traces:
            fig.add_trace(trace, row=1, col=col)
    fig.update_yaxes(title_text="PUE", row=1, col=1)
    fig.update_yaxes(title_text="MW", row=1, col=2)
    fig.update_yaxes(title_text="m³/year (log)", type="log", row=1, col=3)
    fig.update_layout(
        height=SITES_HEIGHT_PX,
        barmode="group",
        margin=_margin(),
        legend={"orientation": "h", "y": -0.15, "font": {"size": 10}},
    )
    return fig


# ---- money ------------------------------------------------------------------------------------
def _usd_span(low: float, likely: float, high: float) -> str:
    """'USD 1.2 B [USD 1.0 B–USD 1.5 B]': a likely value in USD with its range."""
    return f"{_usd(likely)} [{_usd(low)}–{_usd(high)}]"


def _usd_range(row: Any, key: str) -> str:
    """:func:`_usd_span` of the ``key``, ``key_low`` and ``key_high`` fields of a table row."""
    return _usd_span(float(row[f"{key}_low"]), float(row[key]), float(row[f"{key}_high"]))


@dataclass
class _Steps:
    """Steps of the cost waterfall (amounts in USD) and the totals that carry a range."""

    x: list[str] = field(default_factory=list)
    y: list[float] = field(default_factory=list)
    measure: list[str] = field(default_factory=list)
    hover: list[str] = field(default_factory=list)
    totals: list[tuple[str, tuple[float, float, float]]] = field(default_factory=list)

    def add(self, x: str, y: float, hover: str, total: bool = False) -> None:
        self.x.append(x)
        self.y.append(y)
        self.measure.append("total" if total else "relative")
        self.hover.append(hover)

    def shown(self) -> list[float]:
        """The value each bar is labelled with: its own amount, or the running sum at a total."""
        running = 0.0
        out: list[float] = []
        for m, y in zip(self.measure, self.y, strict=True):
            running = running if m == "total" else running + y
            out.append(running if m == "total" else y)
        return out


def _metrics(plan: Plan) -> dict[str, tuple[float, float, float]]:
    """(low, likely, high) of each metric of the economics summary."""
    summary = plan.tables.get("economics_summary")
    if summary is None:
        return {}
    return {
        str(r.metric): (float(r.low), float(r.likely), float(r.high)) for r in summary.itertuples()
    }


def _capex_steps(plan: Plan, src: Sources, by_cat: pd.DataFrame, steps: _Steps) -> None:
    """Capex by category, then the capex total with its range."""
    items = plan.tables.get("capex")
    for c, r in by_cat.iterrows():
        refs = ""
        if items is not None:
            refs = Sources.text(src.refs("prices", items.loc[items["category"] == c, "item"]))
        steps.add(
            f"capex: {c}",
            float(r["capex_usd"]),
            f"capex {c}: {_usd_range(r, 'capex_usd')}<br>{refs}",
        )
    sums = [float(by_cat[c].sum()) for c in CAPEX_COLUMNS]
    capex_range = _metrics(plan).get("capex_usd", (sums[0], sums[1], sums[2]))
    price_refs = Sources.text(src.of_kind("prices"))
    steps.add("capex", 0.0, f"capex {_usd_span(*capex_range)}<br>{price_refs}", total=True)
    steps.totals.append(("capex", capex_range))


def _opex_steps(plan: Plan, src: Sources, by_cat: pd.DataFrame, steps: _Steps) -> None:
    """Opex by component over the horizon, then the TCO total with its range."""
    opex = plan.tables.get("opex_by_year")
    if opex is None or opex.empty:
        return
    years = int(opex["year"].nunique())
    ocols = ["opex_usd_low", "opex_usd", "opex_usd_high"]
    by_comp = opex.groupby("component")[ocols].sum().sort_values("opex_usd", ascending=False)
    price_refs = Sources.text(src.of_kind("prices"))
    for comp, r in by_comp.iterrows():
        if float(r["opex_usd_high"]) <= 0:
            continue
        hover = f"opex {comp} over {years} years: {_usd_range(r, 'opex_usd')}<br>{price_refs}"
        steps.add(f"opex: {comp}", float(r["opex_usd"]), hover)
    tco = _metrics(plan).get("tco_usd")
    if tco is None:
        s = float(by_cat["capex_usd"].sum() + by_comp["opex_usd"].sum())
        tco = (s, s, s)
    label = f"TCO ({years} years)"
    steps.add(label, 0.0, f"capex + opex over {years} years: {_usd_span(*tco)}", total=True)
    steps.totals.append((label, tco))


def _waterfall_plot(steps: _Steps, budget: Any) -> go.Figure:
    """Plotly styling: the waterfall in USD billion, red whiskers on the totals, the budget."""
    fig = go.Figure(
        go.Waterfall(
            x=steps.x,
            y=[y / BILLION for y in steps.y],
            measure=steps.measure,
            text=[f"{v / BILLION:,.1f}" for v in steps.shown()],
            textposition=["inside" if m == "total" else "outside" for m in steps.measure],
            customdata=steps.hover,
            hovertemplate="%{customdata}<extra></extra>",
            connector={"line": {"color": "#999", "width": 1}},
            increasing={"marker": {"color": BLUE}},
            totals={"marker": {"color": DARK_BLUE}},
            name="cost",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[t[0] for t in steps.totals],
            y=[t[1][1] / BILLION for t in steps.totals],
            mode="markers",
            marker={"color": ALERT_RED, "size": 6},
            error_y=_asymmetric_error(
                [(t[1][2] - t[1][1]) / BILLION for t in steps.totals],
                [(t[1][1] - t[1][0]) / BILLION for t in steps.totals],
                color=ALERT_RED,
                thickness=2,
                width=8,
            ),
            name="range (low–high)",
            hoverinfo="skip",
        )
    )
    if budget:
        fig.add_hline(
            y=_likely(budget) / BILLION,
            line={"color": RED, "dash": "dash"},
            annotation_text=f"budget {_usd(_likely(budget))}",
            annotation_position="top left",
        )
    fig.update_yaxes(title_text="USD billion")
    fig.update_xaxes(tickangle=-25)
    fig.update_layout(
        height=WATERFALL_HEIGHT_PX,
        margin=_margin(top=30, bottom=80),
        showlegend=True,
        legend={"orientation": "h", "y": 1.08},
    )
    return fig


def waterfall_figure(plan: Plan, src: Sources) -> go.Figure | None:
    """Capex by category, opex by component over the horizon, and their totals with ranges."""
    capex = _nonempty(plan, "capex_by_year")
    if capex is None:
        return None
    by_cat = capex.groupby("category")[list(CAPEX_COLUMNS)].sum()
    by_cat = by_cat.sort_values("capex_usd", ascending=False)
    steps = _Steps()
    _capex_steps(plan, src, by_cat, steps)
    _opex_steps(plan, src, by_cat, steps)
    return _waterfall_plot(steps, plan.headline.get("budget_usd"))


# ---- tables -----------------------------------------------------------------------------------
def _table(headers: Sequence[str], rows: Iterable[Sequence[str]], numeric_from: int = 1) -> str:
    head = "".join(
        f'<th class="{"num" if i >= numeric_from else ""}">{_esc(h)}</th>'
        for i, h in enumerate(headers)
    )
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="{"num" if i >= numeric_from else ""}">{c}</td>' for i, c in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def training_html(plan: Plan, src: Sources) -> str:
    if not plan.training:
        return ""
    by_name = {e.name: e.id for e in src.catalog.kind("models").values()}
    rows = []
    for t in plan.training:
        e = t.estimate
        lo, mid, hi = (x / SECONDS_PER_DAY for x in t.time_to_train_range_s)
        s_lo, s_mid, s_hi = t.step_time_range_s
        deadline = ""
        if t.meets_deadline is not None:
            deadline = (
                f" ≤ {t.deadline_days:g} d deadline"
                if t.meets_deadline
                else f' <b class="bad">misses {t.deadline_days:g} d deadline</b>'
            )
        refs = src.refs("models", [by_name.get(t.model, t.model)])
        rel = t.reliability
        rows.append(
            (
                _esc(t.name),
                _esc(t.model) + src.marks(refs),
                f"{t.n_gpus:,} × {_esc(t.accelerator)}"
                + src.marks(src.refs("accelerators", [t.accelerator])),
                f"<code>{_esc(e.plan)}</code>",
                f"{_count(t.tokens)}",
                f"{s_mid:.2f} s [{s_lo:.2f}–{s_hi:.2f}]",
                f"{e.mfu:.1%}",
                f"{e.memory_total_bytes / 1e9:.0f} / {e.memory_capacity_bytes / 1e9:.0f} GB",
                "–" if rel is None else f"{rel.ettr:.3f}" + src.marks(src.of_kind("failures")),
                "–" if rel is None else f"{rel.unexpected_interruptions_per_day:.1f}",
                f"{mid:.1f} [{lo:.1f}–{hi:.1f}]{deadline}",
            )
        )
    return _table(
        (
            "run",
            "model",
            "accelerators",
            "parallel plan",
            "tokens",
            "step time",
            "MFU",
            "memory / GPU",
            "ETTR",
            "interruptions / day",
            "days to train",
        ),
        rows,
        numeric_from=4,
    )


def fleet_html(plan: Plan, src: Sources) -> str:
    fleet = plan.tables.get("fleet")
    if fleet is None or fleet.empty:
        return ""
    rows = []
    for r in fleet.to_dict("records"):
        acc = str(r.get("accelerator", ""))
        model = str(r.get("model", "") or "")
        server = str(r.get("server", "") or "")

        def num(key: str, rec: Mapping[str, Any] = r) -> str:
            v = rec.get(key)
            return f"{float(v):,.0f}" if isinstance(v, Real) and math.isfinite(v) else "–"

        rows.append(
            (
                _esc(r.get("workload", "")),
                _esc(r.get("kind", "")),
                _esc(model) + src.marks(src.refs("models", [model])),
                _esc(acc) + src.marks(src.refs("accelerators", [acc])),
                _esc(server) + src.marks(src.refs("servers", [server])),
                num("accelerators"),
                num("servers"),
                num("racks"),
                num("switches"),
                num("optics"),
                _power(float(r["it_power_w"])) if _finite(r.get("it_power_w")) else "–",
            )
        )
    return _table(
        (
            "workload",
            "kind",
            "model",
            "accelerator",
            "server",
            "accelerators",
            "servers",
            "racks",
            "switches",
            "optics",
            "IT power",
        ),
        rows,
        numeric_from=5,
    )


def budget_html(plan: Plan) -> str:
    budget = plan.tables.get("budget")
    if budget is None or budget.empty:
        return ""
    rows = []
    for r in budget.itertuples():
        rows.append(
            (
                _esc(r.tranche),
                f"{int(r.priority)}",
                f"{int(r.year)}",
                f"{_usd(float(r.cost_usd))} [{_usd(float(r.cost_usd_low))}–"
                f"{_usd(float(r.cost_usd_high))}]",
                _usd(float(r.funded_usd)),
                f"{float(r.funded_fraction):.0%}",
                _esc(r.status),
            )
        )
    return _table(
        ("tranche", "priority", "year", "cost", "funded", "funded share", "status"),
        rows,
        numeric_from=1,
    )


def claim_html(plan: Plan) -> str:
    claim = plan.claim
    if claim is None or claim.ratio is None:
        return ""
    items = "".join(f"<li>{_esc(a)}</li>" for a in claim.assumptions_to_close_gap)
    return (
        f"<p><b>Memory claim check.</b> {_esc(str(claim))} "
        f"<span class='muted'>(claim: {_esc(claim.claim_source)})</span></p>"
        f"<ul>{items}</ul>"
    )


def sources_html(src: Sources) -> str:
    parts = []
    current = ""
    for entry in src.entries:
        if entry.kind != current:
            if current:
                parts.append("</ol>")
            current = entry.kind
            first = src.number[(entry.kind, entry.id)]
            title = KIND_TITLES.get(entry.kind, entry.kind)
            parts.append(
                f"<h3>{_esc(title)} <span class='muted'>({_esc(entry.file)})</span></h3>"
                f'<ol start="{first}" class="sources">'
            )
        n = src.number[(entry.kind, entry.id)]
        cited = "".join(f"<li>{_esc(s)}</li>" for s in entry_sources(entry))
        fields = "".join(
            f"<tr><td><code>{_esc(f)}</code></td><td>{_esc(v)}</td><td>{_esc(s)}</td></tr>"
            for f, v, s in _quantity_rows(entry.fields)
        )
        detail = (
            f"<details><summary>values</summary><table class='fields'><thead><tr><th>field</th>"
            f"<th>value [low–high]</th><th>source</th></tr></thead><tbody>{fields}</tbody>"
            f"</table></details>"
            if fields
            else ""
        )
        parts.append(
            f'<li id="src-{n}"><b>{_esc(entry.id)}</b> — {_esc(entry.name)}'
            f"<ul class='cited'>{cited}</ul>{detail}</li>"
        )
    if current:
        parts.append("</ol>")
    return "".join(parts)


# ---- validation -------------------------------------------------------------------------------
VALIDATION_PAGE = "validation.html"  # beside the plan's report.html
VALIDATION_CAPTION = (
    "Each point is one published row: measured (x) against predicted (y), both in the row's "
    "SI unit, on log scales (rows of different metrics share the chart: only their ratio "
    "matters). The line is y = x; the shaded band is ±{tol}, the tolerance most rows of this "
    "family are judged at (each row is judged at its own, in the table below). Rows that could "
    "not be predicted are not drawn; the table lists them with why."
)


def _pct(x: float | None, signed: bool = False) -> str:
    if x is None or not math.isfinite(x):
        return "–"
    return f"{x:+.1%}" if signed else f"{x:.1%}"


def _plotted(fam: FamilySummary) -> dict[str, list[Located]]:
    """Predicted rows with positive values (log axes), by source in the summary's order."""
    from gigawatt.validate import source_key

    groups: dict[str, list[Located]] = {k: [] for k in fam.by_source}
    for r in fam.rows:
        p, m = r.row.predicted, r.row.measured
        if r.row.error is None and p is not None and p > 0 and math.isfinite(m) and m > 0:
            groups[source_key(r.row.source)].append(r)
    return {k: v for k, v in groups.items() if v}


def family_tolerance(fam: FamilySummary) -> float | None:
    """The tolerance most of the family's rows are judged at (the band of its chart)."""
    counts = Counter(r.row.tolerance for r in fam.rows if r.row.tolerance is not None)
    return counts.most_common(1)[0][0] if counts else None


def _identity_traces(low: float, high: float, tol: float | None) -> list[go.Scatter]:
    """The tolerance band (two lines, the upper filled down to the lower) and y = x."""
    xs = [low, high]
    traces = []
    if tol is not None:
        band = {"color": GREY, "width": 0}
        traces += [
            go.Scatter(
                x=xs,
                y=[x * (1 - tol) for x in xs],
                mode="lines",
                line=band,
                hoverinfo="skip",
                showlegend=False,
            ),
            go.Scatter(
                x=xs,
                y=[x * (1 + tol) for x in xs],
                mode="lines",
                line=band,
                fill="tonexty",
                fillcolor=_rgba(GREY, 2 * BAND_ALPHA),
                name=f"±{tol:.0%}",
                hoverinfo="skip",
            ),
        ]
    traces.append(
        go.Scatter(
            x=xs,
            y=xs,
            mode="lines",
            line={"color": "#555", "width": 1},
            name="y = x",
            hoverinfo="skip",
        )
    )
    return traces


def _row_hover(r: Located) -> str:
    row = r.row
    return (
        f"<b>{_esc(row.id)}</b> ({_esc(row.metric)})<br>measured {row.measured:.4g}, "
        f"predicted {row.predicted:.4g}<br>error {_pct(row.signed_error, True)}"
    )


def validation_figure(fam: FamilySummary) -> go.Figure | None:
    """Predicted vs measured for one family, one colour per source; None without points."""
    groups = _plotted(fam)
    if not groups:
        return None
    tol = family_tolerance(fam)
    values = [
        v for rows in groups.values() for r in rows for v in (r.row.measured, r.row.predicted)
    ]
    widen = 1 + (tol or 0.0)
    low = min(v for v in values if v is not None) / widen
    high = max(v for v in values if v is not None) * widen
    fig = go.Figure(_identity_traces(low, high, tol))
    for i, (source, rows) in enumerate(groups.items()):
        fig.add_trace(
            go.Scatter(
                x=[r.row.measured for r in rows],
                y=[r.row.predicted for r in rows],
                mode="markers",
                marker={"color": PALETTE[i % len(PALETTE)], "size": 8, "opacity": 0.85},
                name=source,
                customdata=[_row_hover(r) for r in rows],
                hovertemplate="%{customdata}<extra></extra>",
            )
        )
    fig.update_xaxes(type="log", title_text="measured (SI unit of each row's metric)")
    fig.update_yaxes(type="log", title_text="predicted", scaleanchor="x")
    fig.update_layout(
        height=VALIDATION_HEIGHT_PX,
        margin=_margin(top=30),
        legend={"font": {"size": 11}},
    )
    return fig


_FIGURE_HEADERS = ("rows", "predicted", "not predicted", "median |error|", "within tolerance")


def _figure_cells(f: Figures) -> list[str]:
    worst = (
        "–" if f.worst is None else f"{_pct(f.worst.row.signed_error, True)} {_esc(f.worst.row.id)}"
    )
    return [
        f"{f.rows:,}",
        f"{f.predicted:,}",
        f"{f.rows - f.predicted:,}",
        _pct(f.median_abs_error),
        f"{f.within:,} ({_pct(f.within_share)})",
        worst,
    ]


def validation_summary_html(families: Mapping[str, FamilySummary], href: str = "") -> str:
    """One line per family: files and its figures (``href``: the page with each family)."""
    rows = []
    for name, fam in families.items():
        title = f'<a href="{_esc(href)}#validation-{_esc(name)}">{_esc(name)}</a>'
        rows.append([title, f"{len(fam.files):,}", *_figure_cells(fam.overall)])
    return _table(("family", "files", *_FIGURE_HEADERS, "worst"), rows)


def _sources_table(fam: FamilySummary) -> str:
    rows = [[_esc(k), *_figure_cells(f)] for k, f in fam.by_source.items()]
    return _table(("source", *_FIGURE_HEADERS, "worst"), rows)


def _rows_table(fam: FamilySummary) -> str:
    """Every row: where it comes from, its note (or why it was not predicted), its numbers."""
    rows = []
    for r in fam.rows:
        row = r.row
        within = "" if row.within is None else ("yes" if row.within else '<b class="bad">no</b>')
        why = "" if row.error is None else f'<b class="bad">not predicted:</b> {_esc(row.error)}'
        rows.append(
            [
                f"<code>{_esc(row.id)}</code><br><span class='muted'>{_esc(r.file)}</span>",
                f"<span class='muted'>{_esc(row.source)}</span>",
                " ".join(x for x in (why, _esc(row.note)) if x),
                _esc(row.metric),
                f"{row.measured:.4g}",
                "–" if row.predicted is None else f"{row.predicted:.4g}",
                _pct(row.signed_error, True),
                "–" if row.tolerance is None else f"{row.tolerance:.0%}",
                within,
            ]
        )
    headers = ("row", "source", "note", "metric", "measured", "predicted", "error")
    return _table((*headers, "tolerance", "within"), rows, numeric_from=4)


def validation_sections(run: ValidationRun) -> list[Section]:
    """The summary (with the files skipped and why), then per family its chart, its figures
    per source and every row with its error and note."""
    families = run.families()
    skipped = "".join(
        f"<li><code>{_esc(s.file)}</code>: {_esc(s.reason)}</li>" for s in run.skipped
    )
    summary = (
        validation_summary_html(families)
        + (f"<h3>Files skipped</h3><ul>{skipped}</ul>" if skipped else "")
        + (
            "<p class='caption'>Median over the rows predicted; a row not predicted counts as "
            "outside its tolerance.</p>"
        )
    )
    sections: list[Section] = [("validation-summary", "Summary by family", summary)]
    for name, fam in families.items():
        fig = validation_figure(fam)
        tol = family_tolerance(fam)
        chart = (
            ""
            if fig is None
            else _figure_div(fig, f"chart-validation-{name}")
            + (f'<p class="caption">{_esc(VALIDATION_CAPTION.format(tol=_pct(tol)))}</p>')
        )
        files = ", ".join(f"<code>{_esc(f)}</code>" for f in fam.files)
        body = (
            f"<p class='caption'>Files: {files}</p>{chart}<h3>By source</h3>"
            f"{_sources_table(fam)}<h3>Every row</h3>{_rows_table(fam)}"
        )
        sections.append((f"validation-{name}", f"{name}: predicted vs measured", body))
    return sections


def _validation_link_section(run: ValidationRun) -> Section:
    """The plan report's section on validation: the summaries, linking to the full page."""
    body = validation_summary_html(run.families(), href=VALIDATION_PAGE) + (
        f"<p class='caption'>How the models behind this plan predict published measurements "
        f"they were given only the configuration of. The <a href='{VALIDATION_PAGE}'>"
        "validation page</a> shows each family's predicted vs measured chart, its figures per "
        "source and every row with its error and note. Median over the rows predicted; a row "
        "not predicted counts as outside its tolerance.</p>"
    )
    return ("validation", "Validation against published measurements", body)


def validation_html(run: ValidationRun) -> str:
    """The validation page as one self-contained HTML string."""
    return _document(
        "gigawatt validation: predicted vs measured",
        "Each published row predicted from its configuration alone; signed error = predicted "
        "/ measured − 1. SI units.",
        validation_sections(run),
        [],
    )


def write_validation_html(run: ValidationRun, path: Path) -> Path:
    """Write the validation page of ``run`` to ``path``; returns ``path``."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(validation_html(run), encoding="utf-8")
    return out


# ---- page -------------------------------------------------------------------------------------
CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;
 margin:0;color:#1d2433;background:#f6f7f9;line-height:1.4}
header{background:#1f2a44;color:#fff;padding:18px 32px}
header h1{margin:0;font-size:24px} header p{margin:4px 0 0;color:#c9d1e3;font-size:13px}
main{max-width:1280px;margin:0 auto;padding:8px 24px 48px}
section{background:#fff;border:1px solid #e1e4ea;border-radius:8px;margin:18px 0;padding:14px 20px}
h2{font-size:18px;margin:4px 0 8px} h3{font-size:15px;margin:14px 0 4px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(230px,1fr));gap:10px}
.card{border:1px solid #e1e4ea;border-left:4px solid #4c78a8;border-radius:6px;padding:8px 10px}
.card.alert{border-left-color:#d62728}
.card .label{font-size:12px;color:#5b6579;text-transform:uppercase;letter-spacing:.03em}
.card .value{font-size:20px;font-weight:600;margin-top:2px}
.card .range{font-size:12px;color:#334} .card .note{font-size:12px;color:#5b6579}
.caption{font-size:13px;color:#4a5468;margin:6px 0 0}
table{border-collapse:collapse;font-size:12.5px;width:100%;margin:6px 0}
th,td{border-bottom:1px solid #e6e8ee;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#f0f2f6} td.num,th.num{text-align:right}
code{font-size:11.5px} .bad{color:#d62728} .muted{color:#7a8396;font-weight:normal}
sup.fn{font-size:10px;margin-left:2px} sup.fn a{color:#4c78a8;text-decoration:none}
ol.sources{font-size:13px;padding-left:36px} ol.sources li{margin:4px 0}
ol.sources li:target{background:#fff6d5}
ul.cited{margin:2px 0;padding-left:18px;color:#4a5468;font-size:12px}
details summary{cursor:pointer;color:#4c78a8;font-size:12px}
table.fields{font-size:11.5px}
nav{font-size:13px;margin:10px 0} nav a{margin-right:14px;color:#1f4e79}
"""


def _figure_div(fig: go.Figure, div_id: str) -> str:
    return str(
        pio.to_html(
            fig,
            full_html=False,
            include_plotlyjs=False,
            div_id=div_id,
            config=PLOT_CONFIG,
            validate=False,
        )
    )


def _chart(anchor: str, title: str, fig: go.Figure | None, caption: str) -> list[Section]:
    """A section holding one chart and its caption (none without a figure)."""
    if fig is None:
        return []
    body = _figure_div(fig, f"chart-{anchor}") + f'<p class="caption">{caption}</p>'
    return [(anchor, title, body)]


def _supply_caption(src: Sources) -> str:
    return (
        "Top: accelerators the build-out requests per quarter and what the supply chain can "
        "deliver (whiskers: 5th–95th percentile of the Monte Carlo draws). Middle: wafer starts "
        "per month the build-out needs, started ahead of delivery by the catalog lead times, "
        "against industry capacity" + src.marks(src.of_kind("capacity")) + " (log scale). "
        "Bottom: each constraint's share of capacity; ★ marks the binding constraint of each "
        "quarter, the arrow the busiest quarter; red bands mark quarters short of capacity."
    )


def _sites_caption(src: Sources) -> str:
    return (
        "Monthly PUE from each site's climate and cooling model"
        + src.marks(src.of_kind("sites") + src.of_kind("cooling"))
        + "; IT and mean facility power (whisker: the worst month's peak); water consumed "
        "(evaporated) and withdrawn (seawater taken in and returned warmer), log scale. IT "
        "load beyond the modelled sites is planned at the first site's conditions and is not "
        "shown here."
    )


def _money_caption(plan: Plan, src: Sources) -> str:
    econ = plan.tables.get("economics_summary")
    horizon = ""
    if econ is not None and "horizon_years" in set(econ["metric"]):
        years = float(econ.set_index("metric").loc["horizon_years", "likely"])
        horizon = f" over the {years:.0f}-year horizon"
    return (
        "Capex by category, then opex by component summed" + horizon + ", in USD billion "
        "(likely values; hover for each step's low–high range; red whiskers: the totals "
        "with every price at the low or the high end of its catalog range). Prices"
        + src.marks(src.of_kind("prices"))
        + "; the dashed line is the budget."
    )


def _chart_sections(plan: Plan, src: Sources) -> list[Section]:
    """The charts, in the order a planner reads them: flow, supply, sites, money."""
    return [
        *_chart("flow", "From tokens to dollars", sankey_figure(plan, src), SANKEY_CAPTION),
        *_chart(
            "supply",
            "Build-out vs supply capacity",
            supply_figure(plan, src),
            _supply_caption(src),
        ),
        *_chart(
            "sites", "Sites: power, PUE and water", sites_figure(plan, src), _sites_caption(src)
        ),
        *_chart(
            "money",
            "Where the money goes",
            waterfall_figure(plan, src),
            _money_caption(plan, src),
        ),
    ]


def _table_sections(plan: Plan, src: Sources) -> list[Section]:
    """Budget, training runs, fleet and the claim check, where the plan has them."""
    caption = "<p class='caption'>{}</p>".format
    parts = [
        (
            "budget",
            "Budget: what is funded and what is cut first",
            budget_html(plan),
            caption(
                "Tranches in priority order; what does not fit the budget is cut from the "
                "lowest priority up."
            ),
        ),
        (
            "training",
            "Training runs",
            training_html(plan, src),
            caption(
                "Best parallel plan found by the search; ranges from the catalog's efficiency "
                "ranges; ETTR = effective training time ratio after failures, restarts and "
                "checkpoints."
            ),
        ),
        ("fleet", "Fleet the workloads need", fleet_html(plan, src), ""),
        ("claim", "Memory claim check", claim_html(plan), ""),
    ]
    return [(anchor, title, body + after) for anchor, title, body, after in parts if body]


def _document(title: str, intro: str, sections: Sequence[Section], notes: Sequence[str]) -> str:
    """A self-contained page: header, navigation, the sections and notes (plotly.js inline)."""
    nav = "".join(f'<a href="#{a}">{_esc(t)}</a>' for a, t, _ in sections)
    body = "".join(
        f'<section id="{a}"><h2>{_esc(t)}</h2>{content}</section>' for a, t, content in sections
    )
    items = "".join(f"<li>{_esc(n)}</li>" for n in notes)
    notes_html = f"<section><h2>Notes</h2><ul>{items}</ul></section>" if items else ""
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{_esc(title)}</title>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<style>{CSS}</style>"
        f'<script type="text/javascript">{get_plotlyjs()}</script>'
        "</head><body>"
        f"<header><h1>{_esc(title)}</h1><p>{intro}</p></header>"
        f"<main><nav>{nav}</nav>{body}{notes_html}</main></body></html>\n"
    )


def _page(plan: Plan, sections: Sequence[Section]) -> str:
    """The plan's page: its sections and notes."""
    return _document(
        f"gigawatt plan: {plan.scenario}",
        "Planned by gigawatt. SI units inside; every figure carries its range (likely "
        "[low–high]) and footnotes [n] to its catalog sources.",
        sections,
        plan.notes,
    )


def render_html(
    plan: Plan, catalog: Catalog | None = None, validation: ValidationRun | None = None
) -> str:
    """The report as one HTML string (plotly.js inline, no network access needed); with
    ``validation``, a section of its summaries linking to the validation page beside it."""
    src = collect_sources(plan, catalog)
    cards = headline_cards(plan, src)
    sections: list[Section] = []
    if cards:
        sections.append(("headline", "Headline figures", _cards_html(cards, src)))
    sections += _chart_sections(plan, src)
    sections += _table_sections(plan, src)
    if validation is not None:
        sections.append(_validation_link_section(validation))
    sections.append(
        (
            "sources",
            "Sources",
            "<p class='caption'>The catalog entries this plan used, numbered as the footnote "
            "markers [n] in the figures and hover texts; each lists the publications it cites. "
            "Open <i>values</i> for every quantity with its range and source. Scenario "
            "assumptions (schedule, sites, budget) are documented in the scenario file.</p>"
            + sources_html(src),
        )
    )
    return _page(plan, sections)


def write_html(plan: Plan, path: Path, validation: ValidationRun | None = None) -> Path:
    """Write the self-contained HTML report of ``plan`` to ``path``; returns ``path``. With
    ``validation``, the validation page is written beside it (VALIDATION_PAGE) and linked."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    if validation is not None:
        write_validation_html(validation, out.parent / VALIDATION_PAGE)
    out.write_text(render_html(plan, validation=validation), encoding="utf-8")
    return out
