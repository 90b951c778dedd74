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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from numbers import Real
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs
from plotly.subplots import make_subplots

from gigawatt.catalog import Catalog, Entry, Quantity, load_catalog
from gigawatt.plan import Plan
from gigawatt.training_plan import SECONDS_PER_DAY

YEAR_S = 365.25 * SECONDS_PER_DAY

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


def headline_cards(plan: Plan, src: Sources) -> list[Card]:
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
    supply_refs = [
        *src.of_kind("bom"),
        *src.of_kind("dram_products"),
        *src.of_kind("fab"),
        *src.of_kind("capacity"),
    ]
    if h.get("dram_wafers_per_month_peak"):
        value, spread = _r(h["dram_wafers_per_month_peak"], lambda x: f"{x:,.0f}")
        ratio, rspread = _r(h.get("dram_wafers_claim_ratio"), lambda x: f"{x:.3g}")
        claim = h.get("dram_wafers_claim_wafers_per_month") or 0
        quarter = f" in {plan.claim.peak_quarter}" if plan.claim else ""
        cards.append(
            Card(
                "DRAM wafer starts at peak",
                f"{value} wafers/month",
                spread,
                f"{ratio} [{rspread}] × the {claim:,.0f} wafers/month claim{quarter}",
                supply_refs,
            )
        )
    if h.get("largest_utilisation_constraint"):
        util = float(h.get("binding_utilisation") or 0.0)
        short = int(h.get("supply_shortfall_quarters") or 0)
        binds = bool(h.get("binding_constraint"))
        cards.append(
            Card(
                "Binding supply constraint" if binds else "Supply: no constraint binds",
                str(h["largest_utilisation_constraint"]),
                note=f"{h.get('binding_summary')}; {short} quarter(s) short of capacity",
                refs=src.of_kind("capacity"),
                alert=short > 0 or util >= 1.0,
            )
        )
    site_refs = [*src.of_kind("sites"), *src.of_kind("cooling")]
    no_sites = "" if "sites" in plan.tables else "not modelled: the scenario has no sites; "
    if h.get("it_power_w"):
        placed = float(h.get("it_power_placed_on_modelled_sites_w") or 0.0)
        cards += [
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
                f"{h.get('water_m3_per_year', 0) / 1e6:,.1f} Mm³/year" if not no_sites else "–",
                note=no_sites + "evaporation and blow-down; seawater cooling consumes none",
                refs=site_refs,
            ),
            Card(
                "CO₂",
                f"{h.get('co2_t_per_year', 0) / 1e6:,.2f} Mt/year" if not no_sites else "–",
                note=no_sites + "grid carbon intensity and on-site generation",
                refs=[*src.of_kind("sites"), *src.of_kind("power_sources")],
            ),
        ]
    price_refs = src.of_kind("prices")
    if h.get("capex_usd"):
        value, spread = _r(h["capex_usd"], _usd)
        code = h.get("display_currency")
        local = h.get(f"capex_{code.lower()}") if code else None
        note = "the whole build-out"
        if local:
            note += (
                f"; {code} {local['likely'] / 1e12:,.3f} T [{local['low'] / 1e12:,.3f}–"
                f"{local['high'] / 1e12:,.3f} T] at the catalog's dated rate"
            )
        cards.append(Card("Capex", value, spread, note, [*price_refs, *src.of_kind("currencies")]))
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
                refs=price_refs,
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


def sankey_figure(plan: Plan, src: Sources) -> go.Figure | None:
    build = plan.tables.get("build_out")
    if build is None or build.empty:
        return None
    built = build.groupby("accelerator")["count"].sum()
    flow = _Flow()
    cat = src.catalog

    # column 2: accelerators by type (the build-out)
    for i, (acc, n) in enumerate(built.items()):
        refs = Sources.text(src.refs("accelerators", [acc]))
        flow.node(
            f"acc:{acc}",
            f"{acc}: {_count(float(n))} accelerators",
            f"{acc}: {float(n):,.0f} accelerators in the build-out<br>{refs}",
            PALETTE[i % len(PALETTE)],
            1,
        )

    # column 1: workloads (tokens) -> accelerators
    fleet = plan.tables.get("fleet")
    services = plan.tables.get("services")
    tokens_day = (
        {str(r.workload): float(r.tokens_per_day) for r in services.itertuples()}
        if services is not None
        else {}
    )
    tokens_run = {t.name: t.tokens for t in plan.training}
    used: dict[str, float] = {}
    if fleet is not None and not fleet.empty:
        for r in fleet[fleet["workload"] != "TOTAL"].itertuples():
            name, acc, n = str(r.workload), str(r.accelerator), float(r.accelerators)
            if name in tokens_day:
                amount = f"{_count(tokens_day[name])} tokens/day"
            else:
                amount = f"{_count(tokens_run.get(name, 0.0))} tokens (training)"
            model_ref = Sources.text(src.refs("models", [str(r.model)]))
            flow.node(
                f"wl:{name}",
                f"{name}: {amount}",
                f"{name} ({r.kind}): {amount}<br>needs {n:,.0f} × {acc} {model_ref}",
                "#4c78a8",
                0,
            )
            if acc not in built.index:
                refs = Sources.text(src.refs("accelerators", [acc]))
                flow.node(
                    f"acc:{acc}",
                    f"{acc}: outside the build-out",
                    f"{acc}: needed by the workloads but not bought in the build-out "
                    f"(an existing fleet); {refs}",
                    "#bbbbbb",
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
            "#9ecae9",
            0,
        )
        for acc, v in beyond.items():
            flow.link("wl:beyond", f"acc:{acc}", v, f"beyond workloads → {acc}: {v:,.0f}")

    # column 3: HBM stacks by product
    bom = plan.tables.get("supply_bom")
    hbm_of: dict[str, str] = {}
    if bom is not None and not bom.empty:
        hbm_of = {str(r.accelerator): str(r.hbm_product) for r in bom.itertuples()}
    stacks: dict[str, float] = {}
    for acc, n in built.items():
        if str(acc) in hbm_of:
            per = cat.accelerator(str(acc)).value("hbm_stacks") or 0.0
            stacks[hbm_of[str(acc)]] = stacks.get(hbm_of[str(acc)], 0.0) + float(n) * per
    claim = plan.claim
    if claim is None:
        stacks = {}  # no supply stage: accelerators link straight to the sites
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
            "#72b7b2",
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

    # column 4: DRAM wafer starts (peak month)
    dram_key = ""
    if claim is not None and stacks:
        peak = claim.peak_dram_wafers_per_month
        ratio = peak.likely / claim.claim_wafers_per_month
        refs = Sources.text(
            src.of_kind("dram_products") + src.of_kind("fab") + src.of_kind("capacity")
        )
        dram_key = "dram"
        flow.node(
            dram_key,
            f"DRAM: {_count(peak.likely)} wafers/month",
            f"peak DRAM wafer starts {peak.likely:,.0f} [{peak.low:,.0f}–{peak.high:,.0f}] "
            f"wafers/month in {claim.peak_quarter} (HBM and host memory), {ratio:.1%} of the "
            f"claimed {claim.claim_wafers_per_month:,.0f}<br>"
            f"claim {claim.claim_wafers_per_month:,.0f}: {claim.claim_source}<br>{refs}",
            "#e45756",
            3,
        )
        for product in stacks:
            n = sum(float(v) for a, v in built.items() if hbm_of.get(str(a)) == product)
            flow.link(f"hbm:{product}", dram_key, n, f"{product} → DRAM: {n:,.0f} accelerators")

    # column 5: MW by site
    alloc = plan.tables.get("allocation")
    sites = plan.tables.get("sites")
    site_acc: dict[str, float] = {}
    if alloc is not None and not alloc.empty:
        pue = {str(r.site): float(r.pue) for r in sites.itertuples()} if sites is not None else {}
        first_pue = next(iter(pue.values()), float(plan.headline.get("pue") or 1.0))
        site_it = alloc.groupby("site")["it_w"].sum()
        site_acc = {
            str(k): float(v) for k, v in alloc.groupby("site")["accelerators"].sum().items()
        }
        for site, it_w in site_it.items():
            p = pue.get(str(site), first_pue)
            refs = Sources.text(src.refs("sites", [site]) + src.of_kind("cooling"))
            where = "" if str(site) in pue else " (at the first site's PUE)"
            flow.node(
                f"site:{site}",
                f"{site}: {_power(float(it_w) * p)}",
                f"{site}: {_power(float(it_w))} IT, {_power(float(it_w) * p)} facility, "
                f"PUE {p:.3f}{where}<br>{refs}",
                "#54a24b",
                4 if dram_key else 2,
            )
        by_type = alloc.groupby(["accelerator", "site"])["accelerators"].sum()
        for (acc, site), n in by_type.items():
            origin = dram_key or f"acc:{acc}"
            flow.link(origin, f"site:{site}", float(n), f"→ {site}: {float(n):,.0f} accelerators")

    # column 6: capex by category
    capex = plan.tables.get("capex")
    if capex is not None and not capex.empty and site_acc:
        cat_total = capex.groupby("category")[
            ["capex_usd_low", "capex_usd", "capex_usd_high"]
        ].sum()
        for c, row in cat_total.iterrows():
            items = capex.loc[capex["category"] == c, "item"].unique()
            refs = Sources.text(src.refs("prices", items))
            flow.node(
                f"usd:{c}",
                f"{c}: {_usd(float(row['capex_usd']))}",
                f"capex {c}: {_usd(float(row['capex_usd']))} "
                f"[{_usd(float(row['capex_usd_low']))}–{_usd(float(row['capex_usd_high']))}]"
                f"<br>{refs}",
                "#b279a2",
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

    columns = [
        "tokens",
        "accelerators",
        "HBM stacks",
        "DRAM wafers",
        "facility power",
        "USD (capex)",
    ]
    if not dram_key:
        columns = [c for c in columns if c not in ("HBM stacks", "DRAM wafers")]
    columns = columns[: max(flow.columns, default=0) + 1]
    plot_h = 560.0
    xs, ys = flow.positions(pad=14 / plot_h, label=15 / plot_h)
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
                "pad": 14,
                "thickness": 16,
            },
            link={
                "source": flow.source,
                "target": flow.target,
                "value": flow.value,
                "customdata": flow.link_hover,
                "hovertemplate": "%{customdata}<br>width %{value}<extra></extra>",
                "color": "rgba(120,120,120,0.25)",
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
        height=int(plot_h) + 70, margin={"l": 10, "r": 10, "t": 60, "b": 10}, font={"size": 11}
    )
    return fig


# ---- supply -----------------------------------------------------------------------------------
SUPPLY_SERIES = (
    ("hbm_dram", "HBM DRAM (TSV lines)"),
    ("dram", "all DRAM"),
    ("cowos", "CoWoS interposers"),
    ("logic", "logic (advanced nodes)"),
)


def supply_figure(plan: Plan, src: Sources) -> go.Figure | None:
    q = plan.tables.get("supply_quarterly")
    if q is None or q.empty:
        return None
    deliveries = plan.tables.get("supply_deliveries")
    x = [str(v) for v in q["quarter"]]
    fig = make_subplots(
        rows=3,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.07,
        row_heights=[0.3, 0.4, 0.3],
        subplot_titles=(
            "Accelerators per quarter: requested by the build-out vs deliverable by supply",
            "Wafer starts per month: demand (band = 5th–95th percentile) vs capacity (dashed)",
            "Utilisation of each constraint (binding constraint marked ★)",
        ),
    )
    acc_refs = Sources.text(src.of_kind("accelerators") + src.of_kind("bom"))
    fig.add_trace(
        go.Bar(
            x=x,
            y=q["accelerators_requested"],
            name="requested",
            marker_color="#9ecae9",
            hovertemplate="%{x}: %{y:,.0f} requested<br>" + acc_refs + "<extra></extra>",
            legendgroup="acc",
        ),
        row=1,
        col=1,
    )
    if deliveries is not None and not deliveries.empty:
        d = deliveries
        fig.add_trace(
            go.Scatter(
                x=[str(v) for v in d["quarter"]],
                y=d["accelerators_deliverable"],
                name="deliverable",
                mode="lines+markers",
                line={"color": "#1f4e79"},
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": d["accelerators_deliverable_high"] - d["accelerators_deliverable"],
                    "arrayminus": d["accelerators_deliverable"] - d["accelerators_deliverable_low"],
                    "thickness": 1,
                },
                customdata=d[["accelerators_deliverable_low", "accelerators_deliverable_high"]],
                hovertemplate="%{x}: %{y:,.0f} deliverable [%{customdata[0]:,.0f}–"
                "%{customdata[1]:,.0f}]<extra></extra>",
                legendgroup="acc",
            ),
            row=1,
            col=1,
        )
    cap_refs = Sources.text(src.of_kind("capacity"))
    dem_refs = Sources.text(src.of_kind("bom") + src.of_kind("dram_products") + src.of_kind("fab"))
    positive = [
        float(v)
        for key, _ in SUPPLY_SERIES
        if f"{key}_wafers_per_month" in q.columns
        for v in q[f"{key}_wafers_per_month"]
        if v > 0
    ]
    floor = max(min(positive, default=1.0) / 3.0, 1.0)  # a log axis cannot reach zero
    for i, (key, label) in enumerate(SUPPLY_SERIES):
        col = f"{key}_wafers_per_month"
        if col not in q.columns:
            continue
        color = PALETTE[i]
        fig.add_trace(
            go.Scatter(
                x=x + x[::-1],
                y=[max(float(v), floor) for v in q[f"{col}_high"]]
                + [max(float(v), floor) for v in q[f"{col}_low"]][::-1],
                fill="toself",
                mode="lines",  # plotly adds markers to short traces by default
                fillcolor=_rgba(color, 0.15),
                line={"width": 0},
                hoverinfo="skip",
                showlegend=False,
                legendgroup=key,
            ),
            row=2,
            col=1,
        )
        fig.add_trace(
            go.Scatter(
                x=x,
                y=[float(v) if v > 0 else None for v in q[col]],  # gaps, not log(0)
                name=f"{label}: demand",
                mode="lines",
                line={"color": color},
                customdata=q[[f"{col}_low", f"{col}_high"]],
                hovertemplate=f"{label} demand %{{x}}: %{{y:,.0f}} wafers/month "
                "[%{customdata[0]:,.0f}–%{customdata[1]:,.0f}]<br>" + dem_refs + "<extra></extra>",
                legendgroup=key,
            ),
            row=2,
            col=1,
        )
        cap = f"{key}_capacity"
        if cap in q.columns:
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=q[cap],
                    name=f"{label}: capacity",
                    mode="lines",
                    line={"color": color, "dash": "dash"},
                    hovertemplate=f"{label} capacity %{{x}}: %{{y:,.0f}} wafers/month<br>"
                    + cap_refs
                    + "<extra></extra>",
                    legendgroup=key,
                ),
                row=2,
                col=1,
            )
    util_cols = [c for c in q.columns if c.startswith("util_")]
    for i, c in enumerate(util_cols):
        name = c[len("util_") :]
        fig.add_trace(
            go.Scatter(
                x=x,
                y=q[c],
                name=f"utilisation {name}",
                mode="lines",
                line={"color": PALETTE[(i + 4) % len(PALETTE)], "width": 1.5},
                hovertemplate=f"{name} %{{x}}: %{{y:.1%}} of capacity<extra></extra>",
            ),
            row=3,
            col=1,
        )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=q["binding_utilisation"],
            name="binding constraint",
            mode="markers",
            marker={"symbol": "star", "size": 10, "color": "#d62728"},
            customdata=q[["binding_constraint", "binding_probability"]],
            hovertemplate="%{x}: binding %{customdata[0]} at %{y:.1%} "
            "(binds in %{customdata[1]:.0%} of draws)<br>" + cap_refs + "<extra></extra>",
        ),
        row=3,
        col=1,
    )
    fig.add_hline(y=1.0, line={"color": "#d62728", "dash": "dot"}, row=3, col=1)
    short = q[q["shortfall_wafers_per_month"] > 0]
    for quarter in short["quarter"]:
        fig.add_vrect(
            x0=str(quarter),
            x1=str(quarter),
            line={"color": "rgba(214,39,40,0.4)", "width": 8},
        )
    h = plan.headline
    if h.get("largest_utilisation_quarter"):
        label = "binding" if h.get("binding_constraint") else "largest utilisation"
        fig.add_annotation(
            x=str(h["largest_utilisation_quarter"]),
            y=float(h.get("binding_utilisation") or 0.0),
            xref="x3",
            yref="y3",
            text=f"{label}: {h['largest_utilisation_constraint']} "
            f"({float(h.get('binding_utilisation') or 0):.0%})",
            showarrow=True,
            arrowhead=2,
            ax=40,
            ay=-30,
            font={"color": "#d62728"},
        )
    fig.update_yaxes(title_text="accelerators", row=1, col=1)
    top = max([float(q[c].max()) for c in q.columns if c.endswith("_capacity")] + [floor * 10])
    fig.update_yaxes(
        title_text="wafers/month",
        type="log",
        range=[math.log10(floor), math.log10(top * 1.5)],
        row=2,
        col=1,
    )
    fig.update_yaxes(title_text="share of capacity", tickformat=".0%", row=3, col=1)
    fig.update_layout(
        height=860,
        barmode="overlay",
        margin={"l": 60, "r": 10, "t": 40, "b": 40},
        legend={"font": {"size": 10}},
        hovermode="closest",
    )
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


def sites_figure(plan: Plan, src: Sources) -> go.Figure | None:
    sites = plan.tables.get("sites")
    if sites is None or sites.empty:
        return None
    monthly = plan.tables.get("sites_monthly")
    fig = make_subplots(
        rows=1,
        cols=3,
        horizontal_spacing=0.08,
        subplot_titles=("PUE by month", "IT and facility power", "Water per year"),
    )
    for i, r in enumerate(sites.itertuples()):
        site = str(r.site)
        color = PALETTE[i % len(PALETTE)]
        refs = Sources.text(src.refs("sites", [site]) + src.refs("cooling", [str(r.cooling)]))
        if monthly is not None and not monthly.empty:
            m = monthly[monthly["site"] == site]
            fig.add_trace(
                go.Scatter(
                    x=[str(v) for v in m["month"]],
                    y=m["pue"],
                    name=f"{site} ({r.cooling})",
                    mode="lines+markers",
                    line={"color": color},
                    customdata=[_climate(row) for row in m.to_dict("records")],
                    hovertemplate=f"{site} %{{x}}: PUE %{{y:.3f}}<br>%{{customdata}}<br>"
                    + refs
                    + "<extra></extra>",
                    legendgroup=site,
                ),
                row=1,
                col=1,
            )
    names = [str(s) for s in sites["site"]]
    fig.add_trace(
        go.Bar(
            x=names,
            y=sites["it_w"] / 1e6,
            name="IT power (MW)",
            marker_color="#4c78a8",
            hovertemplate="%{x}: %{y:,.1f} MW IT<extra></extra>",
        ),
        row=1,
        col=2,
    )
    fig.add_trace(
        go.Bar(
            x=names,
            y=sites["facility_w_mean"] / 1e6,
            name="facility power, mean (MW)",
            marker_color="#f58518",
            error_y={
                "type": "data",
                "symmetric": False,
                "array": (sites["facility_w_peak"] - sites["facility_w_mean"]) / 1e6,
                "arrayminus": [0.0] * len(sites),
            },
            customdata=sites[["facility_w_peak", "pue", "supply_installed_w"]] / [1e6, 1, 1e6],
            hovertemplate="%{x}: %{y:,.1f} MW facility mean, %{customdata[0]:,.1f} MW peak "
            "(whisker)<br>PUE %{customdata[1]:.3f}; %{customdata[2]:,.0f} MW of power "
            "installed<extra></extra>",
        ),
        row=1,
        col=2,
    )
    fig.add_trace(
        go.Bar(
            x=names,
            y=sites["water_consumed_m3"],
            name="water consumed (m³/yr)",
            marker_color="#54a24b",
            customdata=sites[["wue_l_per_kwh"]],
            hovertemplate="%{x}: %{y:,.0f} m³/yr consumed, WUE %{customdata[0]:.2f} L/kWh"
            "<extra></extra>",
        ),
        row=1,
        col=3,
    )
    fig.add_trace(
        go.Bar(
            x=names,
            y=sites["water_withdrawn_m3"],
            name="water withdrawn and returned (m³/yr)",
            marker_color="#72b7b2",
            customdata=sites[["discharge_rise_k_max"]],
            hovertemplate="%{x}: %{y:,.0f} m³/yr withdrawn (returned %{customdata[0]:.1f} K "
            "warmer at most)<extra></extra>",
        ),
        row=1,
        col=3,
    )
    fig.update_yaxes(title_text="PUE", row=1, col=1)
    fig.update_yaxes(title_text="MW", row=1, col=2)
    fig.update_yaxes(title_text="m³/year (log)", type="log", row=1, col=3)
    fig.update_layout(
        height=430,
        barmode="group",
        margin={"l": 60, "r": 10, "t": 40, "b": 40},
        legend={"orientation": "h", "y": -0.15, "font": {"size": 10}},
    )
    return fig


# ---- money ------------------------------------------------------------------------------------
def waterfall_figure(plan: Plan, src: Sources) -> go.Figure | None:
    capex = plan.tables.get("capex_by_year")
    if capex is None or capex.empty:
        return None
    cols = ["capex_usd_low", "capex_usd", "capex_usd_high"]
    by_cat = capex.groupby("category")[cols].sum().sort_values("capex_usd", ascending=False)
    items = plan.tables.get("capex")
    xs: list[str] = []
    ys: list[float] = []
    measure: list[str] = []
    hover: list[str] = []
    for c, r in by_cat.iterrows():
        refs = ""
        if items is not None:
            refs = Sources.text(src.refs("prices", items.loc[items["category"] == c, "item"]))
        xs.append(f"capex: {c}")
        ys.append(float(r["capex_usd"]))
        measure.append("relative")
        hover.append(
            f"capex {c}: {_usd(r['capex_usd'])} [{_usd(r['capex_usd_low'])}–"
            f"{_usd(r['capex_usd_high'])}]<br>{refs}"
        )
    summary = plan.tables.get("economics_summary")
    metric = (
        {
            str(r.metric): (float(r.low), float(r.likely), float(r.high))
            for r in summary.itertuples()
        }
        if summary is not None
        else {}
    )
    sums = [float(by_cat[c].sum()) for c in cols]
    capex_range = metric.get("capex_usd", (sums[0], sums[1], sums[2]))
    price_refs = Sources.text(src.of_kind("prices"))
    xs.append("capex")
    ys.append(0.0)
    measure.append("total")
    hover.append(
        f"capex {_usd(capex_range[1])} [{_usd(capex_range[0])}–{_usd(capex_range[2])}]"
        f"<br>{price_refs}"
    )
    totals: list[tuple[str, tuple[float, float, float]]] = [("capex", capex_range)]
    opex = plan.tables.get("opex_by_year")
    years = 0
    if opex is not None and not opex.empty:
        years = int(opex["year"].nunique())
        ocols = ["opex_usd_low", "opex_usd", "opex_usd_high"]
        by_comp = opex.groupby("component")[ocols].sum().sort_values("opex_usd", ascending=False)
        for comp, r in by_comp.iterrows():
            if float(r["opex_usd_high"]) <= 0:
                continue
            xs.append(f"opex: {comp}")
            ys.append(float(r["opex_usd"]))
            measure.append("relative")
            hover.append(
                f"opex {comp} over {years} years: {_usd(r['opex_usd'])} "
                f"[{_usd(r['opex_usd_low'])}–{_usd(r['opex_usd_high'])}]<br>{price_refs}"
            )
        tco = metric.get("tco_usd")
        xs.append(f"TCO ({years} years)")
        ys.append(0.0)
        measure.append("total")
        if tco is None:
            s = float(by_cat["capex_usd"].sum() + by_comp["opex_usd"].sum())
            tco = (s, s, s)
        hover.append(
            f"capex + opex over {years} years: {_usd(tco[1])} [{_usd(tco[0])}–{_usd(tco[2])}]"
        )
        totals.append((xs[-1], tco))
    running = 0.0
    shown: list[float] = []
    for m, y in zip(measure, ys, strict=True):
        running = running if m == "total" else running + y
        shown.append(running if m == "total" else y)
    fig = go.Figure(
        go.Waterfall(
            x=xs,
            y=[y / 1e9 for y in ys],
            measure=measure,
            text=[f"{v / 1e9:,.1f}" for v in shown],
            textposition=["inside" if m == "total" else "outside" for m in measure],
            customdata=hover,
            hovertemplate="%{customdata}<extra></extra>",
            connector={"line": {"color": "#999", "width": 1}},
            increasing={"marker": {"color": "#4c78a8"}},
            totals={"marker": {"color": "#1f4e79"}},
            name="cost",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[t[0] for t in totals],
            y=[t[1][1] / 1e9 for t in totals],
            mode="markers",
            marker={"color": "#d62728", "size": 6},
            error_y={
                "type": "data",
                "symmetric": False,
                "array": [(t[1][2] - t[1][1]) / 1e9 for t in totals],
                "arrayminus": [(t[1][1] - t[1][0]) / 1e9 for t in totals],
                "color": "#d62728",
                "thickness": 2,
                "width": 8,
            },
            name="range (low–high)",
            hoverinfo="skip",
        )
    )
    budget = plan.headline.get("budget_usd")
    if budget:
        fig.add_hline(
            y=_likely(budget) / 1e9,
            line={"color": "#e45756", "dash": "dash"},
            annotation_text=f"budget {_usd(_likely(budget))}",
            annotation_position="top left",
        )
    fig.update_yaxes(title_text="USD billion")
    fig.update_xaxes(tickangle=-25)
    fig.update_layout(
        height=460,
        margin={"l": 60, "r": 10, "t": 30, "b": 80},
        showlegend=True,
        legend={"orientation": "h", "y": 1.08},
    )
    return fig


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
    if claim is None:
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


def render_html(plan: Plan, catalog: Catalog | None = None) -> str:
    """The report as one HTML string (plotly.js inline, no network access needed)."""
    src = collect_sources(plan, catalog)
    sections: list[tuple[str, str, str]] = []  # (anchor, title, body)
    cards = headline_cards(plan, src)
    if cards:
        sections.append(("headline", "Headline figures", _cards_html(cards, src)))

    def chart(anchor: str, title: str, fig: go.Figure | None, caption: str) -> None:
        if fig is not None:
            body = _figure_div(fig, f"chart-{anchor}") + f'<p class="caption">{caption}</p>'
            sections.append((anchor, title, body))

    chart(
        "flow",
        "From tokens to dollars",
        sankey_figure(plan, src),
        SANKEY_CAPTION,
    )
    cap_marks = src.marks(src.of_kind("capacity"))
    chart(
        "supply",
        "Build-out vs supply capacity",
        supply_figure(plan, src),
        "Top: accelerators the build-out requests per quarter and what the supply chain can "
        "deliver (whiskers: 5th–95th percentile of the Monte Carlo draws). Middle: wafer starts "
        "per month the build-out needs, started ahead of delivery by the catalog lead times, "
        "against industry capacity" + cap_marks + " (log scale). Bottom: each constraint's "
        "share of capacity; ★ marks the binding constraint of each quarter, the arrow the "
        "busiest quarter; red bands mark quarters short of capacity.",
    )
    chart(
        "sites",
        "Sites: power, PUE and water",
        sites_figure(plan, src),
        "Monthly PUE from each site's climate and cooling model"
        + src.marks(src.of_kind("sites") + src.of_kind("cooling"))
        + "; IT and mean facility power (whisker: the worst month's peak); water consumed "
        "(evaporated) and withdrawn (seawater taken in and returned warmer), log scale. IT "
        "load beyond the modelled sites is planned at the first site's conditions and is not "
        "shown here.",
    )
    econ = plan.tables.get("economics_summary")
    horizon = ""
    if econ is not None and "horizon_years" in set(econ["metric"]):
        years = float(econ.set_index("metric").loc["horizon_years", "likely"])
        horizon = f" over the {years:.0f}-year horizon"
    chart(
        "money",
        "Where the money goes",
        waterfall_figure(plan, src),
        "Capex by category, then opex by component summed" + horizon + ", in USD billion "
        "(likely values; hover for each step's low–high range; red whiskers: the totals "
        "with every price at the low or the high end of its catalog range). Prices"
        + src.marks(src.of_kind("prices"))
        + "; the dashed line is the budget.",
    )
    budget = budget_html(plan)
    if budget:
        sections.append(
            (
                "budget",
                "Budget: what is funded and what is cut first",
                budget + "<p class='caption'>Tranches in priority order; what does not fit "
                "the budget is cut from the lowest priority up.</p>",
            )
        )
    training = training_html(plan, src)
    if training:
        sections.append(
            (
                "training",
                "Training runs",
                training + "<p class='caption'>Best parallel plan found by the search; ranges "
                "from the catalog's efficiency ranges; ETTR = effective training time ratio "
                "after failures, restarts and checkpoints.</p>",
            )
        )
    fleet = fleet_html(plan, src)
    if fleet:
        sections.append(("fleet", "Fleet the workloads need", fleet))
    claim = claim_html(plan)
    if claim:
        sections.append(("claim", "Memory claim check", claim))
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
    nav = "".join(f'<a href="#{a}">{_esc(t)}</a>' for a, t, _ in sections)
    body = "".join(
        f'<section id="{a}"><h2>{_esc(t)}</h2>{content}</section>' for a, t, content in sections
    )
    notes = "".join(f"<li>{_esc(n)}</li>" for n in plan.notes)
    notes_html = f"<section><h2>Notes</h2><ul>{notes}</ul></section>" if notes else ""
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>gigawatt plan: {_esc(plan.scenario)}</title>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<style>{CSS}</style>"
        f'<script type="text/javascript">{get_plotlyjs()}</script>'
        "</head><body>"
        f"<header><h1>gigawatt plan: {_esc(plan.scenario)}</h1>"
        "<p>Planned by gigawatt. SI units inside; every "
        "figure carries its range (likely [low–high]) and footnotes [n] to its catalog "
        "sources.</p></header>"
        f"<main><nav>{nav}</nav>{body}{notes_html}</main></body></html>\n"
    )


def write_html(plan: Plan, path: Path) -> Path:
    """Write the self-contained HTML report of ``plan`` to ``path``; returns ``path``."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_html(plan), encoding="utf-8")
    return out
