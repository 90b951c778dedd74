"""Linking claims to model quantities and checking them against the scenario's plan.

A plain registry (:data:`LINKS`) maps a claim's kind, unit, counted item and the words of its
sentence to the model quantity it speaks of and an evaluator. Evaluators read the figures
of one plan of the scenario (planned once, by :meth:`Desk.of`) and the catalog; they never
recompute what a stage owns. Each returns a :class:`Verdict`: consistent / implausible /
cannot check / no model quantity, the model's low / likely / high, the ratio claim / model,
what would have to be true, and the figures and sources used.

A claim whose scope the report leaves open is read against several scopes (the scenario's
programme, the buyer's announced deals, a stated ambition; catalog/claims.yaml) and the
verdict names the reading it fits best.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from gigawatt.catalog import Catalog, Entry, Quantity, load_catalog
from gigawatt.claims.scope import Context, Tie, contexts, find_tie, name_pattern, scenario_names
from gigawatt.units import MONTH_S, YEAR_S, to_si

if TYPE_CHECKING:
    from gigawatt.claims.extract import Claim
    from gigawatt.economics.pricebook import PriceBook
    from gigawatt.plan import Plan
    from gigawatt.scenario import Scenario

CONSISTENT = "consistent"
IMPLAUSIBLE = "implausible"
CANNOT_CHECK = "cannot check"
NO_MODEL = "no model quantity"
VERDICTS = (CONSISTENT, IMPLAUSIBLE, CANNOT_CHECK, NO_MODEL)
WORDS_FILE = Path(__file__).with_name("link.yaml")
W_PER_GW = 1e9  # display only
# a four-digit calendar year in a sentence ("im Jahr 2023"): the year a share speaks of
_YEAR = re.compile(r"\b(19\d\d|20\d\d)\b")


@dataclass(frozen=True)
class Figure:
    """A model figure behind a verdict: low / likely / high in SI (or USD) and its source."""

    name: str
    low: float
    likely: float
    high: float
    unit: str
    source: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "low": _finite(self.low),
            "likely": _finite(self.likely),
            "high": _finite(self.high),
            "unit": self.unit,
            "source": self.source,
        }


@dataclass(frozen=True)
class Reading:
    """A claim read against one scope: the model figure there, the ratio and the verdict."""

    scope: str
    model: Figure
    ratio: float
    verdict: str
    difference: float | None = None  # dates: claim minus model, in years (ratio is NaN)

    def to_dict(self) -> dict[str, Any]:
        return {
            "scope": self.scope,
            "model": self.model.to_dict(),
            "ratio": _finite(self.ratio),
            "verdict": self.verdict,
            "difference": None if self.difference is None else _finite(self.difference),
        }

    @property
    def how(self) -> str:
        """How far the claim is from the model: a ratio, or for dates a difference in years."""
        if self.difference is not None:
            return f"{self.difference:+.1f} years"
        return f"{self.ratio:.2g}x"


@dataclass(frozen=True)
class Verdict:
    """The check of one claim against the model."""

    verdict: str
    model_quantity: str | None = None
    model: Figure | None = None
    ratio: float | None = None
    why: str = ""
    fits: str | None = None
    readings: tuple[Reading, ...] = ()
    figures: tuple[Figure, ...] = ()  # what the claim implies, beyond ``model``
    scenario: str | None = None  # the scenario whose plan the claim was read against
    tied_by: str | None = None  # the words of its context that tied it to that scenario
    difference: float | None = None  # dates: claim minus model, in years

    @property
    def sources(self) -> list[str]:
        """Every distinct source of the figures used, in order of first use."""
        figs = [self.model] if self.model else []
        figs += [r.model for r in self.readings] + list(self.figures)
        return list(dict.fromkeys(f.source for f in figs))

    def to_dict(self) -> dict[str, Any]:
        m = self.model
        return {
            "verdict": self.verdict,
            "model_quantity": self.model_quantity,
            "model": None if m is None else m.to_dict(),
            "ratio": None if self.ratio is None else _finite(self.ratio),
            "why": self.why,
            "fits": self.fits,
            "readings": [r.to_dict() for r in self.readings],
            "figures": [f.to_dict() for f in self.figures],
            "sources": self.sources,
            "scenario": self.scenario,
            "tied_by": self.tied_by,
            "difference": None if self.difference is None else _finite(self.difference),
        }


def _finite(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


# --- what the desk reads: one plan of the scenario and the catalog -----------------------------
@dataclass(frozen=True)
class Desk:
    """The figures of one planned scenario that claims are checked against."""

    scenario: str
    plan: Plan
    catalog: Catalog
    book: PriceBook
    words: Mapping[str, re.Pattern[str]] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()

    @classmethod
    def of(cls, scenario: Scenario, catalog: Catalog | None = None) -> Desk:
        """Plan ``scenario`` once and read claims against that plan (and its prices)."""
        from gigawatt.plan import plan

        cat = catalog or load_catalog()
        return cls.from_plan(plan(scenario, catalog=cat), cat, scenario)

    @classmethod
    def from_plan(
        cls, plan: Plan, catalog: Catalog | None = None, scenario: Scenario | None = None
    ) -> Desk:
        """A desk on an existing plan; the scenario's price overrides apply where given."""
        from gigawatt.economics.pricebook import load_price_book

        cat = catalog or load_catalog()
        book = load_price_book(cat)
        econ = None if scenario is None else scenario.economics
        if econ is not None:
            book = book.with_overrides(econ.prices)
        aliases = () if scenario is None else tuple(scenario.aliases)
        return cls(plan.scenario, plan, cat, book, load_words(), aliases)

    # figures of the plan (None where the scenario has no such stage)
    def headline(self, key: str) -> tuple[float, float, float] | None:
        v = self.plan.headline.get(key)
        if v is None:
            return None
        if isinstance(v, Mapping):
            return float(v["low"]), float(v["likely"]), float(v["high"])
        return float(v), float(v), float(v)

    @property
    def accelerators(self) -> Mapping[str, float]:
        acc = self.plan.headline.get("accelerators") or {}
        return {str(k): float(n) for k, n in (acc.get("by_type") or {}).items()}

    def wafers_per_w(self) -> float | None:
        """DRAM wafers (HBM + host memory) per W of IT at the build-out's accelerator mix,
        from the supply stage's per-unit bill of materials."""
        bom, build = self.plan.tables.get("supply_bom"), self.plan.tables.get("build_out")
        if bom is None or build is None or bom.empty or build.empty:
            return None
        n = build.groupby("accelerator")["count"].sum()
        b = bom.set_index("accelerator")
        wafers = (b["hbm_dram_wafers_per_unit"] + b["host_dram_wafers_per_unit"]) * n
        watts = float((b["it_power_w"] * n).sum())
        return float(wafers.sum()) / watts if watts > 0 else None

    def build_span_s(self) -> float | None:
        """Time from the first to the end of the last quarter of the build-out."""
        from gigawatt.supply.schedule import quarter_index

        build = self.plan.tables.get("build_out")
        if build is None or build.empty:
            return None
        q = [quarter_index(str(x)) for x in build["quarter"]]
        return (max(q) - min(q) + 1) * YEAR_S / 4.0

    def tie(self, context: Context) -> Tie | None:
        """How ``context`` names the scenario (its name or an alias), nearest part first."""
        return find_tie(self.scenario, _names(self.scenario, self.aliases), context)

    def names(self, sentence: str) -> bool:
        """Whether ``sentence`` names the scenario by its name or an alias."""
        return self.tie(Context.of_sentence(sentence)) is not None

    def sites_named(self, context: Context) -> list[tuple[Mapping[str, Any], Tie]]:
        """The scenario's sites that ``context`` names (a site id's first word, "abilene"),
        each with its tie, nearest first."""
        sites = self.plan.tables.get("sites")
        if sites is None or sites.empty:
            return []
        found = []
        for row in sites.to_dict("records"):
            site = str(row["site"])
            tie = find_tie(site, name_pattern([site.split("-")[0]]), context)
            if tie is not None:
                found.append((row, tie))
        return sorted(found, key=lambda x: x[1].rank)

    def scope(self, entry_id: str) -> Entry:
        return self.catalog.get("claims", entry_id)

    @property
    def tolerance(self) -> Quantity:
        return self.scope("claim-tolerance").q("factor")


@lru_cache(maxsize=64)
def _names(name: str, aliases: tuple[str, ...]) -> re.Pattern[str] | None:
    return name_pattern(scenario_names(name, aliases))


@lru_cache(maxsize=1)
def load_words(path: Path = WORDS_FILE) -> Mapping[str, re.Pattern[str]]:
    """The sentence-word patterns of link.yaml, one compiled pattern per name."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))["words"]
    return {
        name: re.compile(r"\b(?:" + "|".join(words) + r")\b", re.IGNORECASE)
        for name, words in raw.items()
    }


# --- judging a claim against a figure ----------------------------------------------------------
def claim_values(c: Claim) -> tuple[float, float, float] | None:
    """(low, value, high) of a claim in model units: USD for money, SI otherwise."""
    scale = 1.0
    if c.quantity == "money":
        if c.value_usd is None or c.value == 0:
            return None
        scale = c.value_usd / c.value
    lo = c.low if c.low is not None else c.value
    hi = c.high if c.high is not None else c.value
    return lo * scale, c.value * scale, hi * scale


def judge(
    values: tuple[float, float, float], qualifier: str | None, fig: Figure, tol: float
) -> str:
    """Consistent when the claim meets the figure's range widened by ``tol`` either way; a
    floor ("more than") only needs to lie below its top, a ceiling ("less than") above its
    bottom. "Up to" is read as the figure meant: a stated need or plan."""
    lo, _, hi = values
    bottom, top = fig.low / tol, fig.high * tol
    if qualifier in ("more_than", "at_least"):
        ok = lo <= top
    elif qualifier == "less_than":
        ok = hi >= bottom
    else:
        ok = lo <= top and hi >= bottom
    return CONSISTENT if ok else IMPLAUSIBLE


def _ratio(value: float, fig: Figure) -> float:
    return value / fig.likely if fig.likely > 0 else math.inf


def read_scopes(c: Claim, desk: Desk, scopes: Sequence[tuple[str, Figure]]) -> list[Reading]:
    """The claim read against each (scope, figure)."""
    values = claim_values(c)
    if values is None:
        return []
    tol = desk.tolerance.get()
    return [
        Reading(s, f, _ratio(values[1], f), judge(values, c.qualifier, f, tol)) for s, f in scopes
    ]


def _distance(r: Reading) -> float:
    if r.difference is not None:
        return abs(r.difference)
    return abs(math.log(r.ratio)) if 0 < r.ratio < math.inf else math.inf


def best(readings: Sequence[Reading]) -> Reading:
    """The reading the claim fits best: consistent first, then the smallest |log ratio| (for
    dates, the smallest difference in years)."""
    return min(readings, key=lambda r: (r.verdict != CONSISTENT, _distance(r)))


def _verdict_of(
    quantity: str, readings: Sequence[Reading], why: str, figures: Iterable[Figure] = ()
) -> Verdict:
    b = best(readings)
    others = "; ".join(f"{r.scope}: {r.how} ({r.verdict})" for r in readings if r is not b)
    fits = b.scope if b.verdict == CONSISTENT else None
    what = "claim minus model" if b.difference is not None else "claim/model"
    lead = (
        f"Fits {b.scope} ({what} {b.how})."
        if fits
        else f"Fits no scope; closest is {b.scope} at {b.how}."
    )
    text = " ".join(x for x in (lead, f"Other readings: {others}." if others else "", why) if x)
    ratio = None if b.difference is not None else b.ratio
    return Verdict(
        b.verdict, quantity, b.model, ratio, text, fits, tuple(readings), tuple(figures),
        difference=b.difference,
    )  # fmt: skip


def _scaled(name: str, base: Figure, factors: tuple[float, float, float], source: str) -> Figure:
    lo, mid, hi = factors
    return Figure(name, base.low * lo, base.likely * mid, base.high * hi, base.unit, source)


def _range(q: Quantity) -> tuple[float, float, float]:
    return q.range


def _plan_source(desk: Desk, what: str) -> str:
    return f"plan of scenario {desk.scenario!r} (gigawatt {what})"


# --- evaluators --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    """A claim as an evaluator sees it: the other claims of its sentence, its context and how
    that context ties it to the desk's scenario (None: the context names no scenario)."""

    claim: Claim
    mates: tuple[Claim, ...] = ()
    context: Context | None = None
    tie: Tie | None = None

    @property
    def around(self) -> Context:
        return self.context or Context.of_sentence(self.claim.sentence)


Evaluator = Callable[[Case, Desk], Verdict]


def _wafers(case: Case, desk: Desk) -> Verdict:
    """DRAM wafers per month against the supply stage's peak, read as the scenario's
    programme, as all the buyer's announced deals and as an ambition of GW per week."""
    c = case.claim
    claim = desk.plan.claim
    wpw, it = desk.wafers_per_w(), desk.headline("it_power_w")
    if claim is None or wpw is None or it is None or it[1] <= 0:
        return Verdict(
            CANNOT_CHECK, "dram_wafers_per_month", why="the scenario has no supply stage"
        )
    p = claim.peak_dram_wafers_per_month
    src = _plan_source(desk, "supply: peak DRAM wafer starts, P5-P95")
    per_s = (p.low / MONTH_S, p.likely / MONTH_S, p.high / MONTH_S)  # wafers/month -> 1/s
    prog = Figure("peak DRAM wafer starts of the scenario", *per_s, "1/s", src)
    deals = desk.scope("scope-announced-deals")
    d_lo, d_mid, d_hi = _range(deals.q("power"))
    deal_fig = _scaled(
        f"the scenario's peak scaled to {d_lo / W_PER_GW:.0f}-{d_hi / W_PER_GW:.0f} GW",
        prog,
        (d_lo / it[1], d_mid / it[1], d_hi / it[1]),
        deals.q("power").source,
    )
    amb = desk.scope("scope-gigawatt-a-week")
    rate_w_per_s = amb.q("power").get() / amb.q("period").get()
    spread = (p.low / p.likely, 1.0, p.high / p.likely) if p.likely > 0 else (1.0, 1.0, 1.0)
    lo, mid, hi = (wpw * rate_w_per_s * s for s in spread)
    amb_fig = Figure(
        "DRAM wafers/month to equip the ambition at the scenario's memory per W",
        lo, mid, hi, "1/s", amb.q("power").source,
    )  # fmt: skip
    scopes = [
        (f"the scenario's programme ({it[1] / W_PER_GW:.1f} GW IT)", prog),
        (str(deals.name), deal_fig),
        (str(amb.name), amb_fig),
    ]
    values = claim_values(c)
    assert values is not None
    added_w_per_week = values[1] / wpw * amb.q("period").get()
    why = (
        f"What would have to be true: {values[1] * MONTH_S:,.0f} wafers/month equip "
        f"{added_w_per_week / W_PER_GW:.2g} GW of IT a week "
        f"({added_w_per_week / amb.q('period').get() * YEAR_S / W_PER_GW:.3g} GW a year) at the "
        f"scenario's {wpw * W_PER_GW:,.0f} DRAM wafers per GW of IT (HBM and host memory)."
    )
    if _fab_output(c, desk):
        year = added_w_per_week / amb.q("period").get() * YEAR_S
        fig = Figure("GW of IT a year these wafers equip", year, year, year, "W", src)
        lead = "A maker's output (its sentence speaks of a fab's production, not of a need)."
        return Verdict(CANNOT_CHECK, "dram_wafers_per_month", why=f"{lead} {why}", figures=(fig,))
    return _verdict_of("dram_wafers_per_month", read_scopes(c, desk, scopes), why)


def _fab_output(c: Claim, desk: Desk) -> bool:
    """Whether a wafer rate is a fab's output rather than a buyer's need: its sentence speaks
    of production and not of demand (a need is what the scopes of :func:`_wafers` read)."""
    words = desk.words or load_words()
    return bool(words["fab_output"].search(c.sentence)) and not words["demand"].search(c.sentence)


def _hbm_vendors(desk: Desk) -> dict[str, list[Entry]]:
    out: dict[str, list[Entry]] = {}
    for e in desk.catalog.kind("capacity").values():
        if e.get("constraint") == "hbm_tsv":
            out.setdefault(str(e.get("vendor")), []).append(e)
    return out


def _year_key(wpm: Mapping[str, Any], year: int | None) -> str:
    years = sorted(int(k[1:]) for k in wpm)
    pick = years[-1] if year is None else min(years, key=lambda y: abs(y - year))
    return f"y{pick}"


def _clause(c: Claim, mates: Sequence[Claim]) -> str:
    """The words of the claim's sentence that lead to it: from the end of the claim before
    it in the sentence (or the sentence's start) to the claim ("SK hynix hält rund 57
    Prozent, Samsung etwa 27 Prozent": "Samsung" leads to the second)."""
    at = c.sentence.find(c.text)
    if at < 0:
        return c.sentence
    ends = [
        i + len(m.text)
        for m in mates
        if m.start < c.start
        and (i := c.sentence.rfind(m.text, 0, at)) >= 0
        and i + len(m.text) <= at
    ]
    return c.sentence[max(ends, default=0) : at]


def _makers_named(text: str, vendors: Iterable[str]) -> list[str]:
    said = text.lower()
    return [v for v in vendors if re.search(rf"\b{re.escape(v.split('-')[0])}\b", said)]


def _hbm_share(case: Case, desk: Desk) -> Verdict:
    """A market share of HBM against the named makers' share of HBM (TSV) wafer capacity;
    the makers are those named in the words leading to the share where any are (each of
    several shares in one sentence belongs to its own maker), else those of its sentence."""
    c = case.claim
    vendors = _hbm_vendors(desk)
    named = _makers_named(_clause(c, case.mates), vendors) or _makers_named(c.sentence, vendors)
    if not named:
        # a percentage about HBM that no maker holds is a price or growth rate ("HBM-Preise
        # um 35 Prozent gestiegen") or the whole market: nothing a maker's capacity checks
        why = "the sentence names no HBM maker, so the percentage is no maker's market share"
        return Verdict(NO_MODEL, "hbm_market_share", why=why)
    found = _YEAR.search(c.sentence)
    year = int(found.group(1)) if found else None
    caps: dict[str, tuple[float, float, float]] = {}
    srcs: list[str] = []
    for v, entries in vendors.items():
        wpm = entries[0]["wpm"]
        q = wpm[_year_key(wpm, year)]
        caps[v] = q.range
        srcs.append(f"{entries[0].name}: {q.source}")
    key = _year_key(vendors[named[0]][0]["wpm"], year)
    ours = [caps[v] for v in named]
    rest = [caps[v] for v in caps if v not in named]

    def share(i: int, j: int) -> float:
        a, b = sum(x[i] for x in ours), sum(x[j] for x in rest)
        return a / (a + b) if a + b > 0 else 0.0

    fig = Figure(
        f"share of {' + '.join(named)} in HBM TSV wafer capacity (end of {key[1:]})",
        share(0, 2),
        share(1, 1),
        share(2, 0),
        "1",
        "; ".join(srcs),
    )
    when = "" if year is None or str(year) == key[1:] else f" (no figure for {year}; nearest year)"
    why = f"Read against vendor HBM capacity in the catalog at the end of {key[1:]}{when}."
    return _verdict_of("hbm_market_share", read_scopes(c, desk, [("HBM makers", fig)]), why)


def _named_accelerator(sentence: str, desk: Desk) -> str | None:
    for acc in desk.catalog.kind("accelerators"):
        if re.search(rf"(?<![\w-]){re.escape(acc)}(?![\w])", sentence, re.IGNORECASE):
            return acc
    return None


def _main_accelerator(desk: Desk) -> str | None:
    acc = desk.accelerators
    return max(acc, key=lambda a: acc[a]) if acc else None


def _units_bought(usd: float, acc: str, desk: Desk) -> Figure | None:
    from gigawatt.errors import CatalogError, InputError

    try:
        item = desk.book.compute_item(acc)
        lo, mid, hi = item.unit_price()
    except (CatalogError, InputError):
        return None
    return Figure(
        f"{acc} accelerators bought at catalog prices", usd / hi, usd / mid, usd / lo, "1",
        f"{item.name}: {item.source}",
    )  # fmt: skip


def _counts(mates: Sequence[Claim]) -> list[Claim]:
    return [m for m in mates if m.quantity == "count" and m.item in ACCELERATOR_ITEMS]


def _deal(case: Case, desk: Desk) -> Verdict:
    """A chip deal's value: the units it buys at catalog prices, and against a count of
    units stated in the same sentence."""
    c, mates = case.claim, case.mates
    values = claim_values(c)
    named = _named_accelerator(c.sentence, desk)
    acc = named or _main_accelerator(desk)
    if values is None or acc is None:
        return Verdict(CANNOT_CHECK, "chip_deal_units", why="no USD value or no priced accelerator")
    units = _units_bought(values[1], acc, desk)
    if units is None:
        return Verdict(CANNOT_CHECK, "chip_deal_units", why=f"{acc} has no catalog price")
    note = "" if named else f" (the sentence names no catalog accelerator; read at {acc} prices)"
    what = f"At catalog prices the deal buys {units.likely:,.0f} {acc} accelerators{note}."
    counts = _counts(mates)
    if not counts:
        return Verdict(CANNOT_CHECK, "chip_deal_units", why=what, figures=(units,))
    n = counts[0].value
    value = Figure(
        f"{n:,.0f} {acc} at catalog prices",
        n * values[0] / units.high,
        n * values[1] / units.likely,
        n * values[2] / units.low,
        "USD",
        units.source,
    )
    return _verdict_of("chip_deal_units", read_scopes(c, desk, [("the units stated", value)]), what)


def _budget_figures(usd: float, desk: Desk) -> list[Figure]:
    """What ``usd`` builds: GW at the catalog's all-in capex per W, and accelerators at the
    scenario's own capex per accelerator."""
    item = desk.book.item("stargate-all-in")
    lo, mid, hi = item.unit_price()
    figs = [
        Figure("facility power at all-in capex per W", usd / hi, usd / mid, usd / lo, "W",
               f"{item.name}: {item.source}"),
    ]  # fmt: skip
    capex, total = desk.headline("capex_usd"), sum(desk.accelerators.values())
    if capex is not None and total > 0 and capex[1] > 0:
        figs.append(
            Figure(
                "accelerators at the scenario's capex per accelerator",
                usd * total / capex[2],
                usd * total / capex[1],
                usd * total / capex[0],
                "1",
                _plan_source(desk, "economics: capex and build-out"),
            )
        )
    span = desk.build_span_s()
    if capex is not None and span and capex[1] > 0:
        per_s = tuple(x / span for x in capex)  # the scenario's capex per s of its build-out
        figs.append(
            Figure(
                "time the budget pays at the scenario's capex per year of build-out",
                usd / per_s[2], usd / per_s[1], usd / per_s[0], "s",
                _plan_source(desk, "economics and build-out schedule"),
            )
        )  # fmt: skip
    return figs


def _year_of(iso: str | None) -> int | None:
    found = re.match(r"(\d{4})", iso or "")
    return int(found.group(1)) if found else None


def _spent_through(desk: Desk, year: int) -> Figure | None:
    """The scenario's capex and opex from its first year through ``year`` (cash-flow table)."""
    cash = desk.plan.tables.get("cashflow")
    if cash is None or cash.empty:
        return None
    rows = cash[cash["year"].astype(int) <= year]
    lo, mid, hi = (
        float(rows[f"capex_usd{k}"].sum() + rows[f"opex_usd{k}"].sum())
        for k in ("_low", "", "_high")
    )
    first = int(cash["year"].min())
    name = f"capex and opex of the scenario {first}-{year}"
    return Figure(name, lo, mid, hi, "USD", _plan_source(desk, "economics: cash flow"))


def _budget(case: Case, desk: Desk) -> Verdict:
    """A budget: what it buys (GW, accelerators, years of operation); against the scenario's
    capex where the sentence names the scenario, and against the all-in capex of a power
    stated in the same sentence."""
    c, mates = case.claim, case.mates
    values = claim_values(c)
    if values is None:
        return Verdict(CANNOT_CHECK, "budget", why=f"no USD rate for {c.unit} in the catalog")
    usd = values[1]
    figs = _budget_figures(usd, desk)
    what = (
        f"It builds {figs[0].low / W_PER_GW:.2g}-{figs[0].high / W_PER_GW:.2g} GW (facility) "
        "at the catalog's all-in capex per W"
    )
    accs = [f for f in figs if f.unit == "1"]
    what += f" or {accs[0].likely:,.0f} accelerators at the scenario's mix." if accs else "."
    years = [f for f in figs if f.unit == "s"]
    if years:
        what += f" It pays {years[0].likely / YEAR_S:.2g} years of the scenario's build-out."
    scopes: list[tuple[str, Figure]] = []
    capex, opex = desk.headline("capex_usd"), desk.headline("opex_usd_per_year")
    if capex is not None and case.tie is not None:
        fig = Figure("capex of the scenario", *capex, "USD", _plan_source(desk, "economics"))
        scopes.append((f"the scenario {desk.scenario!r}", fig))
        if opex is not None and usd > capex[1] and opex[1] > 0:
            what += f" Beyond the capex it pays {(usd - capex[1]) / opex[1]:.1f} years of opex."
        year = _year_of(c.when_date)
        spent = None if year is None else _spent_through(desk, year)
        if spent is not None and spent.likely > 0:
            scopes.append((f"the scenario's spending through {year} ({c.when})", spent))
        elif spent is not None:
            what += f" The scenario spends nothing through {year} ({c.when})."
    powers = [m for m in mates if m.quantity == "power" and m.value > 0]
    if powers:
        item = desk.book.item("stargate-all-in")
        lo, mid, hi = item.unit_price()
        w, text = powers[0].value, powers[0].text
        cost = Figure(f"all-in capex of {text}", w * lo, w * mid, w * hi, "USD",
                      f"{item.name}: {item.source}")  # fmt: skip
        scopes.append((f"the {text} stated", cost))
    if not scopes:
        return Verdict(CANNOT_CHECK, "budget", why=what, figures=tuple(figs))
    return _verdict_of("budget", read_scopes(c, desk, scopes), what, figs)


def _power_scopes(case: Case, desk: Desk) -> list[tuple[str, Figure]]:
    """The scopes a power claim's context names: the scenario, its sites, the buyer."""
    scopes: list[tuple[str, Figure]] = []
    it, fac = desk.headline("it_power_w"), desk.headline("facility_power_w")
    if it is not None and case.tie is not None:
        top = fac[1] if fac is not None else it[1]
        src = _plan_source(desk, "bom and facility: IT and facility power")
        fig = Figure("IT to facility power", it[1], it[1], top, "W", src)
        scopes.append((f"the scenario {desk.scenario!r}", fig))
    for row, tie in desk.sites_named(case.around):
        site = str(row["site"])
        fig = Figure(
            f"IT to peak facility power of {site}",
            float(row["it_w"]), float(row["it_w"]), float(row["facility_w_peak"]), "W",
            _plan_source(desk, "facility: sites"),
        )  # fmt: skip
        scopes.append((f"the site {site} ({tie.why})", fig))
    deals = desk.scope("scope-announced-deals")
    buyer = find_tie(str(deals.name), name_pattern([str(deals.get("buyer"))]), case.around)
    if buyer is not None and buyer.rank == 0:  # the buyer is named everywhere: its sentence only
        q = deals.q("power")
        scopes.append((str(deals.name), Figure("power of the deals", *q.range, "W", q.source)))
    return scopes


def _power(case: Case, desk: Desk) -> Verdict:
    """A power: against the scenario, a named site or the buyer's deals; what it implies in
    accelerators and DRAM wafers at the scenario's mix."""
    c = case.claim
    figs: list[Figure] = []
    it, total = desk.headline("it_power_w"), sum(desk.accelerators.values())
    if it is not None and it[1] > 0 and total > 0:
        n = c.value * total / it[1]
        src = _plan_source(desk, "bom: IT power per accelerator")
        figs.append(
            Figure("accelerators at the scenario's IT W per accelerator", n, n, n, "1", src)
        )
    wpw = desk.wafers_per_w()
    what = (
        f"As IT power it holds {figs[0].likely:,.0f} accelerators at the scenario's mix"
        if figs
        else ""
    )
    if wpw is not None and what:
        what += f", whose memory takes {c.value * wpw:,.0f} DRAM wafers"
    what = what + "." if what else ""
    scopes = _power_scopes(case, desk)
    if not scopes:
        return Verdict(CANNOT_CHECK, "power", why=what, figures=tuple(figs))
    return _verdict_of("power", read_scopes(c, desk, scopes), what, figs)


def _power_rate(case: Case, desk: Desk) -> Verdict:
    """Power added per second ("1 GW a week") against the stated ambition and the
    scenario's average build rate."""
    c = case.claim
    amb = desk.scope("scope-gigawatt-a-week")
    rate = amb.q("power").get() / amb.q("period").get()
    scopes = [
        (str(amb.name), Figure("the ambition", rate, rate, rate, "W/s", amb.q("power").source))
    ]
    it, span = desk.headline("it_power_w"), desk.build_span_s()
    if it is not None and span and case.tie is not None:
        r = it[1] / span
        src = _plan_source(desk, "build-out schedule")
        scopes.insert(
            0,
            ("the scenario's average build rate", Figure("IT W added per s", r, r, r, "W/s", src)),
        )
    week = amb.q("period").get()
    why = f"The claim adds {c.value * week / W_PER_GW:.3g} GW a week."
    v = _verdict_of("power_added_per_s", read_scopes(c, desk, scopes), why)
    if case.tie is None and v.verdict != CONSISTENT:
        # a build rate of a programme the context leaves unnamed may be another's: the
        # buyer's ambition can confirm it, not refute it
        note = "Its context names no programme, so a scope it misses does not refute it."
        return replace(v, verdict=CANNOT_CHECK, why=f"{v.why} {note}")
    return v


def _fleet(case: Case, desk: Desk) -> Verdict:
    """A count of accelerators in a sentence naming the scenario against its fleet (of the
    accelerator named, if any); otherwise the IT power it implies."""
    c = case.claim
    acc = desk.accelerators
    named = _named_accelerator(c.sentence, desk)
    it = desk.headline("it_power_w")
    total = sum(acc.values())
    figs: list[Figure] = []
    if it is not None and total > 0:
        w = c.value * it[1] / total
        figs.append(Figure("IT power at the scenario's W per accelerator", w, w, w, "W",
                           _plan_source(desk, "bom: IT power")))  # fmt: skip
    what = f"At the scenario's mix they draw {figs[0].likely / 1e6:,.0f} MW of IT." if figs else ""
    src = _plan_source(desk, "build-out")
    scopes: list[tuple[str, Figure]] = []
    if not case.tie is not None:
        return Verdict(CANNOT_CHECK, "fleet_accelerators", why=what, figures=tuple(figs))
    if named in acc:
        n = acc[str(named)]
        scopes.append(
            (
                f"the scenario's {named} fleet",
                Figure(f"{named} in the build-out", n, n, n, "1", src),
            )
        )
    elif total > 0:
        scopes.append(
            (
                "the scenario's fleet",
                Figure("accelerators in the build-out", total, total, total, "1", src),
            )
        )
    if not scopes:
        return Verdict(CANNOT_CHECK, "fleet_accelerators", why=what, figures=tuple(figs))
    return _verdict_of("fleet_accelerators", read_scopes(c, desk, scopes), what, figs)


# --- dates, spans, capex per W, energy and sites ---------------------------------------------
def _quarter_years(q: str) -> tuple[float, float]:
    """(start, end) of a quarter ("2028Q4") in calendar years."""
    year, n = int(q[:4]), int(q[-1])
    return year + (n - 1) / 4.0, year + n / 4.0


def _schedule(desk: Desk) -> list[tuple[str, Figure]]:
    """The scenario's schedule as (scope, start / completion / completion in years): its
    sites ready, its accelerator deliveries and its capex spent."""
    out: list[tuple[str, Figure]] = []
    mods = desk.plan.tables.get("site_buildout")
    if mods is not None and not mods.empty and "ready_year" in mods:
        r = mods["ready_year"].astype(float)
        out.append(("the scenario's sites ready", Figure(
            "first and last building ready", float(r.min()), float(r.max()), float(r.max()),
            "year", _plan_source(desk, "facility: site build-out"),
        )))  # fmt: skip
    build = desk.plan.tables.get("build_out")
    if build is not None and not build.empty:
        spans = [_quarter_years(str(q)) for q in build["quarter"]]
        a, b = min(x[0] for x in spans), max(x[1] for x in spans)
        out.append(("the scenario's accelerator deliveries", Figure(
            "first to last delivery quarter", a, b, b, "year",
            _plan_source(desk, "supply: build-out schedule"),
        )))  # fmt: skip
    capex = desk.plan.tables.get("capex_by_year")
    if capex is not None and not capex.empty:
        years = capex.loc[capex["capex_usd"] > 0, "year"].astype(int)
        if not years.empty:
            a, b = float(years.min()), float(years.max() + 1)
            out.append(("the scenario's capex spent", Figure(
                "first to last year of capex", a, b, b, "year",
                _plan_source(desk, "economics: capex by year"),
            )))  # fmt: skip
    return out


DEADLINE = ("by", "before", "end")
START = ("from", "since", "after", "start")


def _date_span(c: Claim) -> tuple[float, float]:
    """(start, end) in years of a date claim: a year or span of years runs to its end."""
    lo = c.low if c.low is not None else c.value
    hi = c.high if c.high is not None else c.value
    whole_years = bool(re.fullmatch(r"\d{4}(/\d{4})?", c.date or ""))
    return lo, hi + 1.0 if whole_years or c.date is None else hi


def judge_date(
    span: tuple[float, float], qualifier: str | None, fig: Figure, tol: float
) -> Reading:
    """A date against a schedule (years), widened by ``tol`` years: a deadline ("bis 2027")
    is met when the model completes by it; a start ("ab", "seit") when the model starts near
    it; any other date when it overlaps the model's start-completion window."""
    a, b = span
    if qualifier in DEADLINE:
        diff = b - fig.likely
        ok = diff >= -tol
    elif qualifier in START:
        diff = a - fig.low
        ok = abs(diff) <= tol
    else:
        diff = b - fig.low if b < fig.low else a - fig.high if a > fig.high else 0.0
        ok = abs(diff) <= tol
    return Reading("", fig, math.nan, CONSISTENT if ok else IMPLAUSIBLE, diff)


def _date(case: Case, desk: Desk) -> Verdict:
    """A date or year in a context naming the scenario against its schedule."""
    c = case.claim
    tol = desk.scope("date-tolerance").q("tolerance").get() / YEAR_S
    span = _date_span(c)
    readings = [replace(judge_date(span, c.qualifier, f, tol), scope=s) for s, f in _schedule(desk)]
    if not readings:
        return Verdict(CANNOT_CHECK, "schedule", why="the scenario has no schedule")
    kind = "a date"
    if c.qualifier in DEADLINE or c.qualifier in START:
        kind = "a deadline" if c.qualifier in DEADLINE else "a start"
    said = f"by {span[1]:g}" if kind == "a deadline" else f"{span[0]:g}-{span[1]:g}"
    why = f"Read as {kind} ({said}, in years) with {tol:g} years of tolerance."
    return _verdict_of("schedule", readings, why)


def _span(case: Case, desk: Desk) -> Verdict:
    """A horizon ("in den nächsten Jahren") or duration in a context naming the scenario
    against the time its build-out and its capex take."""
    c = case.claim
    if c.value <= 0:
        return Verdict(NO_MODEL, why="a time in the past has no model quantity")
    scopes: list[tuple[str, Figure]] = []
    span = desk.build_span_s()
    if span:
        src = _plan_source(desk, "supply: build-out schedule")
        fig = Figure("first to last delivery", span, span, span, "s", src)
        scopes.append(("the scenario's build-out", fig))
    capex = [f for s, f in _schedule(desk) if s == "the scenario's capex spent"]
    if capex:
        t = (capex[0].high - capex[0].low) * YEAR_S
        fig = Figure("years with capex", t, t, t, "s", capex[0].source)
        scopes.append(("the scenario's capex years", fig))
    if not scopes:
        return Verdict(CANNOT_CHECK, "schedule_span", why="the scenario has no schedule")
    why = f"The claim spans {c.value / YEAR_S:.2g} years."
    return _verdict_of("schedule_span", read_scopes(c, desk, scopes), why)


def _per_w(c: Claim, book: PriceBook) -> tuple[float, float, float] | None:
    """(low, value, high) of a cost per W in USD/W."""
    lo = c.low if c.low is not None else c.value
    hi = c.high if c.high is not None else c.value
    if c.value_usd is not None and c.value:
        k = c.value_usd / c.value
    else:
        from gigawatt.economics.pricebook import convert
        from gigawatt.errors import CatalogError, InputError

        try:
            k = float(convert(1.0, c.unit.split("/")[0], "USD", book))
        except (CatalogError, InputError):
            return None
    return lo * k, c.value * k, hi * k


def _capex_per_power(case: Case, desk: Desk) -> Verdict:
    """Capex per W ("USD 50 B per GW") against the catalog's all-in cost per W and the
    scenario's capex per W of IT and of facility power."""
    c = case.claim
    values = _per_w(c, desk.book)
    if values is None:
        return Verdict(CANNOT_CHECK, "capex_per_w", why=f"no USD rate for {c.unit} in the catalog")
    item = desk.book.item("stargate-all-in")
    lo, mid, hi = item.unit_price()
    src = f"{item.name}: {item.source}"
    scopes = [
        ("the catalog's all-in cost per W", Figure("all-in capex per W", lo, mid, hi, "USD/W", src))
    ]
    capex = desk.headline("capex_usd")
    for key, what in (("it_power_w", "IT"), ("facility_power_w", "facility")):
        w = desk.headline(key)
        if capex is not None and w is not None and w[1] > 0:
            src = _plan_source(desk, f"economics and {what} power")
            a, b, c_ = (x / w[1] for x in capex)
            fig = Figure(f"capex per W of {what}", a, b, c_, "USD/W", src)
            scopes.append((f"the scenario's capex per W of {what}", fig))
    tol = desk.tolerance.get()
    readings = [
        Reading(s, f, _ratio(values[1], f), judge(values, c.qualifier, f, tol)) for s, f in scopes
    ]
    why = f"The claim is USD {values[1] * W_PER_GW / 1e9:.3g} B per GW."
    return _verdict_of("capex_per_w", readings, why)


def _annual_energy(desk: Desk) -> Figure | None:
    """A year's energy of the scenario at full build-out: IT energy at the power drawn, at
    the sites' mean PUE, and at the facility's peak power all year."""
    it, fac = desk.headline("it_power_w"), desk.headline("facility_power_w")
    sites = desk.plan.tables.get("sites")
    if it is None or fac is None or sites is None or sites.empty:
        return None
    it_j = float(sites["it_energy_j"].sum())
    pue = float(sites["facility_energy_j"].sum()) / it_j if it_j > 0 else 1.0
    drawn = float(sites["it_w_drawn"].sum()) / max(float(sites["it_w"].sum()), 1.0)
    low = it[1] * drawn * YEAR_S
    high = max(fac[1] * YEAR_S, low * pue)
    name = "a year's IT to facility energy at full build-out"
    return Figure(name, low, low * pue, high, "J", _plan_source(desk, "facility: sites"))


def _energy(case: Case, desk: Desk) -> Verdict:
    """Energy (TWh, read as a year's) or energy per time against the scenario's annual
    facility energy; what mean power it implies."""
    c = case.claim
    k = YEAR_S if c.quantity == "energy_rate" else 1.0  # J/s -> J per year
    mean_w = c.value * k / YEAR_S
    src = "a year of 365.25 days"
    implied = (Figure("mean power over a year", mean_w, mean_w, mean_w, "W", src),)
    what = f"As a year's energy it is {mean_w / W_PER_GW:.3g} GW on average."
    fig = _annual_energy(desk)
    if case.tie is None or fig is None:
        return Verdict(CANNOT_CHECK, "annual_energy", why=what, figures=implied)
    year = replace(c, value=c.value * k, low=None if c.low is None else c.low * k,
                   high=None if c.high is None else c.high * k)  # fmt: skip
    readings = read_scopes(year, desk, [(f"the scenario {desk.scenario!r}", fig)])
    return _verdict_of("annual_energy", readings, what, implied)


# a plan headline of a yearly amount, its SI unit per year and its factor to SI
YEARLY = {
    "annual_water": ("water_m3_per_year", "m3", 1.0, "water consumed"),
    "annual_co2": ("co2_t_per_year", "kg", to_si(1.0, "t")[0], "CO2 emitted"),
}


def _yearly(quantity: str) -> Evaluator:
    """An evaluator of a yearly amount (water "400.000 Kubikmeter im Jahr", CO2 "50.000
    Tonnen CO2 pro Jahr") in a context naming the scenario, against the plan's yearly total
    at full build-out."""

    def evaluate(case: Case, desk: Desk) -> Verdict:
        c = case.claim
        key, unit, factor, what = YEARLY[quantity]
        total = desk.headline(key)
        per_year = c.value * YEAR_S
        why = f"The claim is {per_year:,.3g} {unit} a year."
        if total is None:
            return Verdict(CANNOT_CHECK, quantity, why=f"{why} The scenario has no such figure.")
        lo, mid, hi = (x * factor / YEAR_S for x in total)
        fig = Figure(f"{what} per s at full build-out", lo, mid, hi, f"{unit}/s",
                     _plan_source(desk, f"facility: {key}"))  # fmt: skip
        readings = read_scopes(c, desk, [(f"the scenario {desk.scenario!r}", fig)])
        return _verdict_of(quantity, readings, why)

    return evaluate


def _sites(case: Case, desk: Desk) -> Verdict:
    """A count of data centres in a context naming the scenario against its sites (low,
    likely) and its buildings (high)."""
    c = case.claim
    sites, mods = desk.plan.tables.get("sites"), desk.plan.tables.get("site_buildout")
    if case.tie is None or sites is None or sites.empty:
        why = "its context names no scenario" if case.tie is None else "the scenario has no sites"
        return Verdict(CANNOT_CHECK, "sites", why=why)
    n = float(len(sites))
    m = float(len(mods)) if mods is not None and not mods.empty else n
    src = _plan_source(desk, "facility: sites")
    fig = Figure("sites (and buildings) of the scenario", n, n, max(n, m), "1", src)
    scope = f"the scenario {desk.scenario!r}"
    return _verdict_of("sites", read_scopes(c, desk, [(scope, fig)]), "")


# --- the registry ------------------------------------------------------------------------------
ACCELERATOR_ITEMS = ("gpu", "accelerator", "chip")


@dataclass(frozen=True)
class Link:
    """Claims of these kinds, units and items (empty: any), whose sentence matches ``words``
    (a name in link.yaml; None: any), speak of ``model_quantity``. With ``needs_tie`` only a
    claim whose context names a scenario does (a year or a horizon says nothing alone)."""

    model_quantity: str
    kinds: tuple[str, ...]
    evaluate: Evaluator
    units: tuple[str, ...] = ()
    items: tuple[str, ...] = ()
    words: str | None = None
    needs_tie: bool = False

    def matches(self, c: Claim, words: Mapping[str, re.Pattern[str]]) -> bool:
        return (
            c.quantity in self.kinds
            and (not self.units or c.unit in self.units)
            and (not self.items or c.item in self.items)
            and (self.words is None or bool(words[self.words].search(c.sentence)))
        )


LINKS: tuple[Link, ...] = (
    Link("dram_wafers_per_month", ("rate",), _wafers, ("1/s",), ("wafer",)),
    Link("hbm_market_share", ("share",), _hbm_share, ("1",), words="hbm"),
    Link("chip_deal_units", ("money",), _deal, words="deal"),
    Link("budget", ("money",), _budget),
    Link("capex_per_w", ("capex_per_power",), _capex_per_power),
    Link("power", ("power",), _power, ("W",)),
    Link("power_added_per_s", ("power_rate",), _power_rate, ("W/s",)),
    Link("annual_energy", ("energy", "energy_rate"), _energy, ("J", "J/s", "W")),
    Link("fleet_accelerators", ("count",), _fleet, ("1",), ACCELERATOR_ITEMS),
    Link(
        "annual_co2", ("mass_rate",), _yearly("annual_co2"), ("kg/s",), words="co2", needs_tie=True
    ),
    Link(
        "annual_water",
        ("volume_rate",),
        _yearly("annual_water"),
        ("m3/s",),
        words="water",
        needs_tie=True,
    ),
    Link("sites", ("count",), _sites, ("1",), ("data_center",), needs_tie=True),
    Link("schedule", ("date",), _date, ("year",), needs_tie=True),
    Link("schedule_span", ("horizon", "duration"), _span, ("s",), needs_tie=True),
)


def link(c: Claim, words: Mapping[str, re.Pattern[str]] | None = None) -> Link | None:
    """The first link of :data:`LINKS` that the claim matches, or None."""
    w = words or load_words()
    return next((x for x in LINKS if x.matches(c, w)), None)


def _untied(found: Link) -> Verdict:
    return Verdict(
        NO_MODEL,
        found.model_quantity,
        why=f"its context names no scenario, so this {found.model_quantity} has no model quantity",
    )


def _tied_why(v: Verdict, desk: Desk, tie: Tie | None) -> Verdict:
    """The verdict with the scenario it was read against and the words that tied it."""
    if tie is None:
        lead = f"Its context names no scenario (the plan of {desk.scenario!r} where one is needed)."
    else:
        lead = f"Read against {desk.scenario!r}: {tie.why}."
    why = f"{lead} {v.why}".strip()
    return replace(v, why=why, scenario=desk.scenario, tied_by=None if tie is None else tie.why)


def check_claim(
    c: Claim, desk: Desk, mates: Sequence[Claim] = (), context: Context | None = None
) -> Verdict:
    """The verdict on one claim read against ``desk``; ``mates`` are the other claims of
    its sentence and ``context`` the text around it (default: its sentence)."""
    found = link(c, desk.words)
    if found is None:
        return Verdict(NO_MODEL, why=f"no model quantity for a {c.quantity} in {c.unit}")
    ctx = context or Context.of_sentence(c.sentence)
    tie = desk.tie(ctx)
    if found.needs_tie and tie is None:
        return _untied(found)
    case = Case(c, tuple(m for m in mates if m is not c), ctx, tie)
    return _tied_why(found.evaluate(case, desk), desk, tie)


class Bench:
    """The scenarios a report's claims may be read against. A claim goes to the scenario its
    context names nearest (its sentence before the sentences before it, before its
    paragraph; on a tie the first given), or to the first scenario where its context names
    none. Each scenario is planned at most once, when the first claim that links to a
    model quantity goes to it."""

    def __init__(
        self,
        scenarios: Sequence[Scenario],
        catalog: Catalog | None = None,
        make_desk: Callable[[Scenario], Desk] | None = None,
    ) -> None:
        if not scenarios:
            raise ValueError("a bench needs at least one scenario")
        self.scenarios = list(scenarios)
        self._make = make_desk or (lambda s: Desk.of(s, catalog))
        self._desks: dict[int, Desk] = {}

    @classmethod
    def of_desk(cls, desk: Desk) -> Bench:
        """A bench of one desk that is already planned."""
        from gigawatt.scenario import Scenario

        bench = cls([Scenario(name=desk.scenario, aliases=list(desk.aliases))])
        bench._desks[0] = desk
        return bench

    @property
    def planned(self) -> list[str]:
        """The names of the scenarios planned so far, in order."""
        return [self.scenarios[i].name for i in sorted(self._desks)]

    def choose(self, context: Context) -> tuple[int, Tie | None]:
        """The scenario a claim with this context goes to, and the tie (None: untied)."""
        ties = [
            (i, find_tie(s.name, _names(s.name, tuple(s.aliases)), context))
            for i, s in enumerate(self.scenarios)
        ]
        found = [(t.rank, i, t) for i, t in ties if t is not None]
        if not found:
            return 0, None
        _, i, tie = min(found, key=lambda x: (x[0], x[1]))
        return i, tie

    def desk(self, i: int) -> Desk:
        if i not in self._desks:
            self._desks[i] = self._make(self.scenarios[i])
        return self._desks[i]


def check_all(
    claims: Sequence[Claim], bench: Bench, texts: Mapping[str, str] | None = None
) -> list[Verdict]:
    """A verdict for each claim, read against the scenario its context names (``texts``:
    each report's text by file, for the sentences and paragraph around a claim)."""
    w = load_words()
    by_sentence: dict[tuple[str, str], list[Claim]] = {}
    for c in claims:
        by_sentence.setdefault((c.file, c.sentence), []).append(c)
    out = []
    for c, ctx in zip(claims, contexts(claims, dict(texts or {})), strict=True):
        found = link(c, w)
        if found is None:
            out.append(Verdict(NO_MODEL, why=f"no model quantity for a {c.quantity} in {c.unit}"))
            continue
        i, tie = bench.choose(ctx)
        if found.needs_tie and tie is None:
            out.append(_untied(found))
            continue
        desk = bench.desk(i)
        mates = tuple(m for m in by_sentence[(c.file, c.sentence)] if m is not c)
        out.append(_tied_why(found.evaluate(Case(c, mates, ctx, tie), desk), desk, tie))
    return out


def check_claims(
    claims: Sequence[Claim], desk: Desk, texts: Mapping[str, str] | None = None
) -> list[Verdict]:
    """A verdict for each claim against one desk, each read with the other claims of its
    sentence and, where ``texts`` are given, the sentences and paragraph around it."""
    return check_all(claims, Bench.of_desk(desk), texts)


def needs_plan(claims: Iterable[Claim]) -> bool:
    """Whether any claim links to a model quantity (else planning can be skipped)."""
    w = load_words()
    return any(link(c, w) is not None for c in claims)
