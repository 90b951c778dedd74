"""Supply over time: a deployment schedule -> wafer starts per quarter by product and vendor,
against industry capacity; binding constraint, shortfall, the schedule capacity allows, and
the check of a "DRAM wafers per month" claim.

Timing. An accelerator deployed at time ``t`` started its wafers at ``t - L``, with ``L`` the
lead time of the stream (fab.yaml ``lead-times``):

    HBM (core and DRAM base dies)  dram_front_end + hbm_back_end + cowos + system_integration
    HBM base dies on logic nodes   logic_front_end + hbm_back_end + cowos + system_integration
    host DRAM (DDR5 / LPDDR5X)     dram_front_end + ddr_back_end + system_integration
    logic dies                     logic_front_end + cowos + system_integration
    CoWoS interposers              cowos + system_integration
    NIC / switch ASICs             logic_front_end + system_integration

Deployments are spread evenly over their quarter, so wafer starts in quarter ``[a, b)`` are
``C(b + L) - C(a + L)`` with ``C`` the cumulative deployment curve (piecewise linear, exact
for any fractional lead; one matrix product for all Monte Carlo samples, see
``_lead_matrix``).

Capacity (capacity.yaml) is end-of-year wafer starts per month, interpolated linearly and held
after the last year (times ``(1 + growth)^years`` from the scenario). Utilisation is starts
over ``share x capacity`` per constraint; the binding constraint of a quarter is the one with
the highest utilisation. The capacity-allowed schedule delivers, quarter by quarter, the
largest fraction of (backlog + requested) accelerators that every constraint's capacity at
that quarter minus its lead time can supply; unused capacity is not carried over.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field, field_validator

from gigawatt.catalog import Catalog, load_catalog
from gigawatt.errors import InputError, Problem
from gigawatt.supply.estimate import Range, row_percentiles
from gigawatt.supply.needs import UnitNeeds, bom_for, unit_needs
from gigawatt.supply.sampling import Sampler

if TYPE_CHECKING:
    pass

FloatArray = NDArray[np.float64]
MONTH_S = 365.25 * 86400.0 / 12.0
_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$")
CONSTRAINT_KINDS = ("dram", "hbm_tsv", "cowos", "logic")
PRODUCT_TABLE_SAMPLES = 4000


# --- scenario section ----------------------------------------------------------------------------
class Deployment(BaseModel):
    """Accelerators deployed (installed and powered) in one quarter."""

    model_config = ConfigDict(extra="forbid")
    quarter: str = Field(description="calendar quarter, e.g. 2026Q3")
    accelerator: str
    count: float = Field(ge=0)
    source: str = ""

    @field_validator("quarter")
    @classmethod
    def _quarter(cls, v: str) -> str:
        if not _QUARTER.match(v.strip()):
            raise ValueError("quarter must look like 2026Q3")
        return v.strip().replace("-", "")


class SupplySection(BaseModel):
    """Scenario section ``supply:`` (see scenarios/sections/supply.yaml)."""

    model_config = ConfigDict(extra="forbid")
    schedule: list[Deployment] = Field(default_factory=list)
    claim_wafers_per_month: float = Field(900_000.0, ge=0)
    claim_source: str = "Samsung / SK hynix LOIs with OpenAI (2025-10-01)"
    samples: int = Field(20_000, ge=0, le=2_000_000)
    seed: int = 0
    yield_model: Literal["poisson", "murphy", "negative_binomial", "bose_einstein"] = (
        "negative_binomial"
    )
    capacity_share: dict[str, float] = Field(
        default_factory=lambda: {"dram": 1.0, "hbm_tsv": 1.0, "cowos": 1.0, "logic": 1.0}
    )
    capacity_growth_per_year: float = Field(0.0, ge=-0.5, le=1.0)

    @field_validator("capacity_share")
    @classmethod
    def _shares(cls, v: dict[str, float]) -> dict[str, float]:
        for k, x in v.items():
            if k not in CONSTRAINT_KINDS:
                raise ValueError(
                    f"unknown constraint {k!r}; allowed: {', '.join(CONSTRAINT_KINDS)}"
                )
            if not 0.0 < x <= 1.0:
                raise ValueError(f"share of {k} must be in (0, 1], got {x}")
        return {**{k: 1.0 for k in CONSTRAINT_KINDS}, **v}


# --- schedule parsing --------------------------------------------------------------------------
def quarter_index(label: str) -> int:
    """'2026Q3' -> 2026 * 4 + 2."""
    m = _QUARTER.match(str(label).strip())
    if not m:
        raise InputError([Problem("schedule", "quarter", f"{label!r} must look like 2026Q3")])
    return int(m.group(1)) * 4 + int(m.group(2)) - 1


def quarter_label(index: int) -> str:
    return f"{index // 4}Q{index % 4 + 1}"


def _rows(schedule: Any) -> list[tuple[int, str, float]]:
    import pandas as pd

    if isinstance(schedule, pd.DataFrame):
        missing = {"quarter", "accelerator", "count"} - set(schedule.columns)
        if missing:
            raise InputError([Problem("schedule", ", ".join(sorted(missing)), "missing column(s)")])
        records: Iterable[Any] = schedule.to_dict("records")
    else:
        records = schedule
    rows: list[tuple[int, str, float]] = []
    for i, r in enumerate(records):
        d = r.model_dump() if isinstance(r, BaseModel) else dict(r)
        count = float(d.get("count", float("nan")))
        if not np.isfinite(count) or count < 0:
            raise InputError(
                [
                    Problem(
                        "schedule", f"[{i}].count", f"must be a number >= 0, got {d.get('count')}"
                    )
                ]
            )
        rows.append((quarter_index(str(d.get("quarter"))), str(d.get("accelerator")), count))
    if not rows:
        raise InputError([Problem("schedule", "-", "empty deployment schedule")])
    return rows


# --- results -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ClaimCheck:
    """The programme's peak DRAM wafer starts per month against a claimed figure."""

    claim_wafers_per_month: float
    claim_source: str
    peak_dram_wafers_per_month: Range
    peak_quarter: str
    peak_hbm_wafers_per_month: Range
    ratio: Range  # claim / estimate
    assumptions_to_close_gap: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "claim_wafers_per_month": self.claim_wafers_per_month,
            "claim_source": self.claim_source,
            "peak_dram_wafers_per_month": self.peak_dram_wafers_per_month.to_dict(),
            "peak_quarter": self.peak_quarter,
            "peak_hbm_wafers_per_month": self.peak_hbm_wafers_per_month.to_dict(),
            "ratio_claim_to_estimate": self.ratio.to_dict(),
            "assumptions_to_close_gap": self.assumptions_to_close_gap,
            "text": self.text(),
        }

    def text(self) -> str:
        """A short paragraph for the report: estimate, claim, ratio and what would close it."""
        p, h, r = self.peak_dram_wafers_per_month, self.peak_hbm_wafers_per_month, self.ratio
        who = self.claim_source.split(": ")[0]
        out = (
            f"This schedule's DRAM wafer starts peak at {_round_sig(p.likely)} wafers/month "
            f"({_round_sig(p.low)}-{_round_sig(p.high)}, P5-P95) in {self.peak_quarter}, "
            f"{_round_sig(h.likely)} of them for HBM. The claim of "
            f"{self.claim_wafers_per_month:,.0f} wafers/month ({who}) is "
            f"{r.likely:.1f}x that estimate ({r.low:.1f}-{r.high:.1f}x)."
        )
        if r.low > 1.0 and len(self.assumptions_to_close_gap) > 1:
            out += " To need the claimed volume, " + self.assumptions_to_close_gap[1] + "."
        elif r.high < 1.0:
            out += " The schedule needs more than the claimed volume."
        return out

    def __str__(self) -> str:
        return (
            f"peak DRAM wafer starts {self.peak_dram_wafers_per_month} /month ({self.peak_quarter})"
            f" vs claim {self.claim_wafers_per_month:,.0f}: claim is {self.ratio.likely:.1f}x"
        )


def _round_sig(x: float, digits: int = 3) -> str:
    """``83,536 -> '83,500'``: figures with a P5-P95 spread of +-20 % deserve no more."""
    if not np.isfinite(x) or x == 0:
        return f"{x:,.0f}"
    k = digits - 1 - int(np.floor(np.log10(abs(x))))
    return f"{round(x, k):,.0f}" if k <= 0 else f"{x:,.{k}f}"


def claim_summary(plan_tables: Mapping[str, Any]) -> dict[str, Any]:
    """The claim check as plain floats, dicts and text, for the report and the results store.

    ``plan_tables`` is what ``plan_supply`` returns (or a Plan's tables holding its
    ``claim`` / ``supply_claim`` ClaimCheck). Without a ClaimCheck, the peak is taken from
    ``supply_quarterly`` (peak of the P5 / P50 / P95 series) against a claim of 900,000.

    Returns ``{"claim_wafers_per_month", "claim_source", "dram_wafers_per_month_peak":
    {low, likely, high}, "hbm_wafers_per_month_peak": {...}, "dram_wafers_claim_ratio":
    {low, likely, high} (claim / estimate), "peak_quarter", "text",
    "assumptions_to_close_gap"}``.
    """
    import pandas as pd

    check = plan_tables.get("claim", plan_tables.get("supply_claim"))
    if not isinstance(check, ClaimCheck):
        q = plan_tables.get("supply_quarterly")
        if not isinstance(q, pd.DataFrame) or "dram_wafers_per_month" not in q:
            raise InputError(
                [Problem("plan", "supply", "no supply claim check or supply_quarterly table")]
            )
        col = "dram_wafers_per_month"
        i = int(np.argmax(q[col].to_numpy()))
        peak = Range(
            float(q[f"{col}_low"].max()), float(q[col].iloc[i]), float(q[f"{col}_high"].max())
        )
        hcol = "hbm_dram_wafers_per_month"
        hbm = (
            Range(
                float(q[f"{hcol}_low"].max()),
                float(q[hcol].iloc[i]),
                float(q[f"{hcol}_high"].max()),
            )
            if hcol in q
            else Range(0.0, 0.0, 0.0)
        )
        claim = SupplySection().claim_wafers_per_month
        ratio = _ratio(claim, peak)
        check = ClaimCheck(
            claim, SupplySection().claim_source, peak, str(q["quarter"].iloc[i]), hbm, ratio
        )
    return {
        "claim_wafers_per_month": float(check.claim_wafers_per_month),
        "claim_source": check.claim_source,
        "dram_wafers_per_month_peak": check.peak_dram_wafers_per_month.to_dict(),
        "hbm_wafers_per_month_peak": check.peak_hbm_wafers_per_month.to_dict(),
        "dram_wafers_claim_ratio": check.ratio.to_dict(),
        "peak_quarter": check.peak_quarter,
        "text": check.text(),
        "assumptions_to_close_gap": list(check.assumptions_to_close_gap),
    }


def _ratio(claim: float, peak: Range) -> Range:
    if peak.low <= 0:
        return Range(float("inf"), float("inf"), float("inf"))
    return Range(claim / peak.high, claim / peak.likely, claim / peak.low)


def _pct(x: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """P5 / P50 / P95 over samples of an (S, Q) array, per quarter."""
    if x.shape[0] == 1:
        return x[0], x[0], x[0]
    # percentiles along the contiguous axis (samples last) are several times faster
    lo, mid, hi = row_percentiles(np.ascontiguousarray(x.T))
    return lo, mid, hi


def _pct_rows(x: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """P5 / P50 / P95 over samples of a (Q, S) array (samples already contiguous)."""
    if x.shape[1] == 1:
        return x[:, 0], x[:, 0], x[:, 0]
    lo, mid, hi = row_percentiles(x)
    return lo, mid, hi


def _median(x: FloatArray) -> FloatArray:
    """P50 over samples of an (S, Q) array, per quarter."""
    if x.shape[0] == 1:
        return np.asarray(x[0], dtype=float)
    mid: FloatArray = row_percentiles(np.ascontiguousarray(x.T), (50.0,))[0]
    return mid


def _leads(catalog: Catalog, s: Sampler) -> dict[str, FloatArray]:
    lt = catalog.get("fab", "lead-times")

    def g(k: str) -> FloatArray:
        return s.field(lt, k) / MONTH_S

    return {
        "hbm": g("dram_front_end") + g("hbm_back_end") + g("cowos") + g("system_integration"),
        "hbm_base_logic": g("logic_front_end")
        + g("hbm_back_end")
        + g("cowos")
        + g("system_integration"),
        "ddr": g("dram_front_end") + g("ddr_back_end") + g("system_integration"),
        "logic": g("logic_front_end") + g("cowos") + g("system_integration"),
        "cowos": g("cowos") + g("system_integration"),
        "network": g("logic_front_end") + g("system_integration"),
    }


def _capacity_entries(catalog: Catalog) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for e in catalog.kind("capacity").values():
        kind = str(e.get("constraint"))
        if kind == "hbm_tsv":
            key = f"hbm_tsv:{e.get('vendor')}"
        elif kind == "dram_vendor":
            key = f"dram:{e.get('vendor')}"
        elif kind == "logic":
            key = f"logic:{e.get('node')}"
        else:
            key = kind
        out.setdefault(key, []).append(e)
    return out


class _CapacityCurve:
    """Capacity of one constraint (wafers/month) over time, per Monte Carlo sample.

    Linear between year-end knots, held before the first and after the last, then grown at
    ``growth`` per year (``np.interp`` per sample, summed over the constraint's catalog
    entries), times the scenario's ``share``.
    """

    def __init__(self, entries: list[Any], s: Sampler, growth: float, share: float) -> None:
        self.parts: list[tuple[FloatArray, FloatArray]] = []
        for e in entries:
            years = sorted(int(k[1:]) for k in e["wpm"])
            knots = np.array([(y + 1) * 12.0 for y in years])
            vals = np.stack([s.field(e, "wpm", f"y{y}") * MONTH_S for y in years], axis=1)
            self.parts.append((knots, share * vals))  # vals: (S, Y)
        self.growth = growth
        self.size = s.size

    def _after(self, months: FloatArray, last: float) -> FloatArray | float:
        if not self.growth or float(np.max(months)) <= last:
            return 1.0
        return np.asarray((1.0 + self.growth) ** (np.maximum(months - last, 0.0) / 12.0))

    def on(self, months: FloatArray) -> FloatArray:
        """At the same absolute months (Q,) for every sample: (S, Q), one matrix product."""
        months = np.asarray(months, dtype=float)
        total: FloatArray | None = None
        for knots, vals in self.parts:
            basis = np.stack([np.interp(months, knots, row) for row in np.eye(len(knots))])
            part = vals @ (basis * self._after(months, float(knots[-1])))
            if total is None:
                total = part
            else:
                total += part
        return total if total is not None else np.zeros((self.size, months.shape[0]))

    def at(self, months: FloatArray) -> FloatArray:
        """At one absolute month per sample (S,): (S,)."""
        total = np.zeros(self.size)
        for knots, vals in self.parts:
            if len(knots) == 1:
                cap = vals[:, 0]
            else:
                y = len(knots)
                idx = np.searchsorted(knots, months, side="right") - 1
                np.clip(idx, 0, y - 2, out=idx)
                w = (months - knots[idx]) * (1.0 / np.diff(knots))[idx]
                np.clip(w, 0.0, 1.0, out=w)
                flat = vals.ravel()
                at = idx + np.arange(0, self.size * y, y)
                lo = flat.take(at)
                cap = lo + (flat.take(at + 1) - lo) * w
            total += cap * self._after(months, float(knots[-1]))
        return total


def _lead_matrix(lead_months: FloatArray, width: int) -> FloatArray:
    """(S, width) weights that shift a quarterly series by each sample's lead.

    With lead ``L = 3 (m + f)`` months (m whole quarters, 0 <= f < 1), accelerators whose
    wafers start in quarter j are ``(1 - f) req[j + m] + f req[j + m + 1]`` (zero past the
    end): the exact difference of the piecewise-linear cumulative deployment curve at
    ``3 j + L``. Row s holds ``1 - f`` at column m and ``f`` at m + 1, so
    ``_lead_matrix(L) @ _windows(req)`` gives every sample's starts in one product.
    """
    u = np.maximum(lead_months, 0.0) / 3.0
    m = np.floor(u).astype(np.int64)
    f = u - m
    out = np.zeros((lead_months.shape[0], width))
    rows = np.arange(lead_months.shape[0])
    out[rows, m] = 1.0 - f
    out[rows, m + 1] += f
    return out


def _windows(req: FloatArray, width: int) -> FloatArray:
    """(width, Q): row k is ``req`` advanced by k quarters (zeros past the end)."""
    nq = req.shape[0]
    pad = np.concatenate([req, np.zeros(width)])
    return np.stack([pad[k : k + nq] for k in range(width)])


def _constraint_kind(c: str) -> str:
    return c.split(":", 1)[0]


def plan_supply(
    schedule: Any,
    section: SupplySection | None = None,
    catalog: Catalog | None = None,
) -> dict[str, Any]:
    """Quarterly supply plan of a deployment schedule (DataFrame quarter/accelerator/count, or
    a list of dicts / Deployment records).

    Returns ``{"supply_quarterly": DataFrame, "supply_by_product": DataFrame,
    "supply_deliveries": DataFrame, "supply_bom": DataFrame, "claim": ClaimCheck}``; figures
    are P50 with ``_low``/``_high`` = P5/P95 columns, wafers per month unless named otherwise.
    """
    import pandas as pd

    sec = section or SupplySection()
    cat = catalog or load_catalog()
    rows = _rows(schedule if schedule is not None else sec.schedule)
    s = Sampler(sec.samples, sec.seed)
    types = sorted({a for _, a, _ in rows})
    needs: dict[str, UnitNeeds] = {
        a: unit_needs(bom_for(a, cat), cat, s, sec.yield_model) for a in types
    }
    leads = _leads(cat, s)
    max_lead = max(float(np.max(v)) for v in leads.values())
    q_first = min(q for q, _, _ in rows) - int(np.ceil(max_lead / 3.0))
    q_last = max(q for q, _, _ in rows)
    nq = q_last - q_first + 1
    quarters = [quarter_label(q_first + i) for i in range(nq)]
    req = np.zeros((len(types), nq))
    for q, a, n in rows:
        req[types.index(a), q - q_first] += n
    knots = np.arange(nq + 1) * 3.0  # months from the start of q_first

    # Wafers per accelerator summed by (type, lead, constraint) first (vectors over samples),
    # so each (S, Q) product below is done once per combination, not once per stream.
    per_lead: dict[tuple[str, str, str], FloatArray] = {}
    for a in types:
        for st in needs[a].streams:
            for c in st.constraints:
                k3 = (a, st.lead, c)
                per_lead[k3] = per_lead.get(k3, 0.0) + st.wafers_per_unit

    # Wafer starts per month by constraint, (S, Q): one matrix product per constraint of
    # [wafers per unit x lead weights] (S, K) by [advanced deployment series] (K, Q).
    width = int(max(np.max(v) for v in leads.values()) // 3.0) + 2
    shift = {lead: _lead_matrix(leads[lead], width) for lead in {k[1] for k in per_lead}}
    window = {a: _windows(req[ti], width) for ti, a in enumerate(types)}
    rate: dict[str, FloatArray] = {}
    for c in dict.fromkeys(k[2] for k in per_lead):
        combos = [(a, lead) for a, lead, c2 in per_lead if c2 == c]
        left = np.concatenate(
            [(per_lead[(a, lead, c)] / 3.0)[:, None] * shift[lead] for a, lead in combos], axis=1
        )
        rate[c] = left @ np.concatenate([window[a] for a, _ in combos], axis=0)
    by_prod: dict[tuple[str, str, str, str], FloatArray] = {}
    sub = slice(0, min(s.size, PRODUCT_TABLE_SAMPLES))  # ranges of the long table
    for a in types:
        for st in needs[a].streams:
            key = (st.category, st.product, st.vendor, st.node)
            w = st.wafers_per_unit[sub, None] * (shift[st.lead][sub] @ window[a])
            by_prod[key] = by_prod.get(key, 0.0) + w

    # Capacity per constraint at the start quarters (mid-quarter), wafers/month.
    abs_mid: FloatArray = np.asarray(q_first * 3.0 + knots[:-1] + 1.5, dtype=float)  # (Q,)
    cap_entries = _capacity_entries(cat)
    curves = {
        c: _CapacityCurve(
            cap_entries[c],
            s,
            sec.capacity_growth_per_year,
            sec.capacity_share[_constraint_kind(c)],
        )
        for c in rate
        if c in cap_entries
    }
    caps = {c: curve.on(abs_mid) for c, curve in curves.items()}

    # --- quarterly table ---
    table: dict[str, Any] = {"quarter": quarters, "accelerators_requested": req.sum(axis=0)}
    agg: dict[str, Callable[[str], bool]] = {
        "hbm_dram": lambda c: c.startswith("hbm_tsv:"),
        "dram": lambda c: c == "dram",
        "cowos": lambda c: c == "cowos",
        "logic": lambda c: c.startswith("logic:"),
    }
    for name, pred in agg.items():
        keys = [c for c in rate if pred(c)]
        if not keys:
            continue
        total = rate[keys[0]] if len(keys) == 1 else np.sum([rate[c] for c in keys], axis=0)
        lo, mid, hi = _pct(np.asarray(total))
        table[f"{name}_wafers_per_month"] = mid
        table[f"{name}_wafers_per_month_low"] = lo
        table[f"{name}_wafers_per_month_high"] = hi
        cap_keys = [c for c in keys if c in caps]
        if cap_keys:
            table[f"{name}_capacity"] = _median(np.asarray(sum(caps[c] for c in cap_keys)))
    names = sorted(caps)
    u_rows = []
    best = np.zeros((s.size, nq))
    arg = np.zeros(best.shape, dtype=np.int64)  # per sample, the most utilised constraint
    for i, c in enumerate(names):
        util = rate[c] / caps[c]
        u_rows.append(_median(util))
        arg[util > best] = i
        np.maximum(best, util, out=best)
        del util
    u_mid = np.stack(u_rows, axis=0)  # (C, Q)
    bind_idx = np.argmax(u_mid, axis=0)
    table["binding_constraint"] = [names[i] for i in bind_idx]
    table["binding_utilisation"] = u_mid[bind_idx, np.arange(nq)]
    table["binding_probability"] = (arg == bind_idx[None, :]).mean(axis=0)
    del best, arg
    shortfall = np.zeros(nq)
    for i in sorted(set(bind_idx.tolist())):
        c = names[i]
        short_c = _median(np.maximum(rate[c] - caps[c], 0.0))
        shortfall = np.where(bind_idx == i, short_c, shortfall)
    table["shortfall_wafers_per_month"] = shortfall
    for c in names:
        table[f"util_{c}"] = u_mid[names.index(c)]

    # --- capacity-allowed deliveries (delivery-quarter space) ---
    lead_of: dict[str, str] = {}
    for a in types:
        for st in needs[a].streams:
            for c in st.constraints:
                if c not in caps or _constraint_kind(c) == "dram":
                    continue
                if st.category in ("hbm_base", "network"):
                    lead_of.setdefault(c, st.lead)
                else:
                    lead_of[c] = st.lead
    lead_of = {c: lead_of.get(c, "hbm") for c in names}
    per_unit = {
        (a, c): needs[a].total(lambda st, c=c: c in st.constraints) for a in types for c in names
    }
    del caps
    backlog = np.zeros((len(types), s.size))
    delivered = np.zeros((nq, s.size))  # (Q, S): samples contiguous for the percentiles
    for qi in range(nq):
        demand = backlog + req[:, qi][:, None]
        frac = np.ones(s.size)
        for c in names:
            need = np.zeros(s.size)
            for ti, a in enumerate(types):
                if req[ti].any():
                    need += per_unit[(a, c)] * demand[ti]
            cap_q = 3.0 * curves[c].at(abs_mid[qi] - leads[lead_of[c]])
            with np.errstate(divide="ignore", invalid="ignore"):
                f = np.where(need > 0, cap_q / need, 1.0)
            np.minimum(frac, f, out=frac)
        frac = np.clip(frac, 0.0, 1.0)
        delivered[qi] = (frac[None, :] * demand).sum(axis=0)
        backlog = (1.0 - frac[None, :]) * demand
    lo, mid, hi = _pct_rows(delivered)
    cum_req = np.cumsum(req.sum(axis=0))
    cum_mid = _pct_rows(np.cumsum(delivered, axis=0))[1]
    deliveries = pd.DataFrame(
        {
            "quarter": quarters,
            "accelerators_requested": req.sum(axis=0),
            "accelerators_deliverable": mid,
            "accelerators_deliverable_low": lo,
            "accelerators_deliverable_high": hi,
            "cumulative_requested": cum_req,
            "cumulative_deliverable": cum_mid,
            "backlog": cum_req - cum_mid,
        }
    )
    table["accelerators_deliverable"] = mid

    # --- by product, vendor and generation ---
    prod_rows = []
    for (cat_, prod, vendor, node), w in sorted(by_prod.items()):
        lo, mid, hi = _pct(np.asarray(w) / 3.0)
        for qi, ql in enumerate(quarters):
            if mid[qi] <= 0 and hi[qi] <= 0:
                continue
            prod_rows.append(
                {
                    "quarter": ql,
                    "category": cat_,
                    "product": prod,
                    "vendor": vendor,
                    "node": node,
                    "wafers_per_month": mid[qi],
                    "wafers_per_month_low": lo[qi],
                    "wafers_per_month_high": hi[qi],
                }
            )

    # --- claim check ---
    dram = np.asarray(rate.get("dram", np.zeros((s.size, nq))))
    hbm = sum((rate[c] for c in rate if c.startswith("hbm_tsv:")), np.zeros((s.size, nq)))
    peak_q = int(np.argmax(_median(dram)))
    claim = _claim_check(sec, dram, np.asarray(hbm), quarters[peak_q], needs, req)

    bom_rows = []
    for a in types:
        un = needs[a]
        bom_rows.append(
            {
                "accelerator": a,
                "bom": un.bom_id,
                "hbm_product": un.hbm_product,
                "hbm_gb": float(np.median(un.hbm_bits)) / 8e9,
                "host_memory_product": un.host_product,
                "host_memory_gb": float(np.median(un.host_bits)) / 8e9,
                "hbm_dram_wafers_per_unit": float(np.median(un.hbm_dram_wafers)),
                "host_dram_wafers_per_unit": float(np.median(un.ddr_dram_wafers)),
                "logic_wafers_per_unit": float(np.median(un.logic_wafers)),
                "cowos_wafers_per_unit": float(np.median(un.cowos_wafers)),
                "network_logic_wafers_per_unit": float(np.median(un.network_wafers)),
                "optics_per_unit": float(un.notes.get("network_per_gpu", {}).get("optics", 0.0)),
                "switches_per_unit": float(
                    un.notes.get("network_per_gpu", {}).get("scale_out_switches", 0.0)
                ),
                "it_power_w": float(np.median(un.it_power_w)),
            }
        )
    return {
        "supply_quarterly": pd.DataFrame(table),
        "supply_by_product": pd.DataFrame(prod_rows),
        "supply_deliveries": deliveries,
        "supply_bom": pd.DataFrame(bom_rows),
        "claim": claim,
    }


def _claim_check(
    sec: SupplySection,
    dram: FloatArray,
    hbm: FloatArray,
    peak_quarter: str,
    needs: Mapping[str, UnitNeeds],
    req: FloatArray,
) -> ClaimCheck:
    peak = Range.of(dram.max(axis=1))
    peak_hbm = Range.of(hbm.max(axis=1))
    claim = sec.claim_wafers_per_month
    ratio = _ratio(claim, peak)
    k = ratio.likely
    total = req.sum()
    mix = req.sum(axis=1) / total if total > 0 else np.zeros(len(needs))
    names = list(needs)
    dram_per = sum(
        float(np.median(needs[a].hbm_dram_wafers + needs[a].ddr_dram_wafers)) * mix[i]
        for i, a in enumerate(names)
    )
    it_w = sum(float(np.median(needs[a].it_power_w)) * mix[i] for i, a in enumerate(names))
    hbm_gb = sum(float(np.median(needs[a].hbm_bits)) / 8e9 * mix[i] for i, a in enumerate(names))
    per_year = claim * 12.0 / dram_per if dram_per > 0 else float("inf")
    hbm_share = float(np.median(hbm.max(axis=1) / np.maximum(dram.max(axis=1), 1e-30)))
    notes = [
        f"at the schedule's mix one accelerator takes {dram_per:.3f} DRAM wafers (HBM + host); "
        f"{claim:,.0f} wafers/month would equip {per_year:,.3g} accelerators/year, "
        f"{per_year * it_w / 1e9:,.1f} GW of IT load added per year",
        f"deploy {k:.1f}x the schedule's peak rate (or its whole programme {k:.1f}x faster)",
        f"or {k * hbm_gb:,.0f} GB of HBM per accelerator instead of {hbm_gb:,.0f} GB "
        f"(if HBM alone grew; HBM is {hbm_share:.0%} of peak DRAM wafers)",
        f"even at the pessimistic end of yields and die sizes (P95) the peak is "
        f"{peak.high:,.0f} wafers/month, so the claim is still {ratio.low:.1f}x it",
        "or the claim counts wafer capacity committed to the partners' whole AI demand "
        "(other customers, inventory, DDR5/LPDDR for general servers), not this schedule",
    ]
    return ClaimCheck(claim, sec.claim_source, peak, peak_quarter, peak_hbm, ratio, notes)
