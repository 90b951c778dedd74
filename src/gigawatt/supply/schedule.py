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

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel

from gigawatt.catalog import Catalog, load_catalog
from gigawatt.errors import InputError, Problem
from gigawatt.schema.supply import (
    _QUARTER as _QUARTER,
)
from gigawatt.schema.supply import (
    CONSTRAINT_KINDS as CONSTRAINT_KINDS,
)
from gigawatt.schema.supply import (
    Deployment as Deployment,
)
from gigawatt.schema.supply import (
    SupplySection as SupplySection,
)
from gigawatt.supply.estimate import Range, row_percentiles
from gigawatt.supply.needs import BITS_PER_BYTE, UnitNeeds, bom_for, unit_needs
from gigawatt.supply.sampling import Sampler
from gigawatt.units import MONTHS_PER_QUARTER, MONTHS_PER_YEAR, QUARTERS_PER_YEAR, UNITS

if TYPE_CHECKING:
    import pandas as pd

FloatArray = NDArray[np.float64]
MONTH_S = UNITS["month"][0]
BITS_PER_GB = BITS_PER_BYTE * UNITS["GB"][0]
W_PER_GW = UNITS["GW"][0]
# Floor of a denominator that may be 0 (no DRAM starts): the share is then 0, not NaN.
_TINY = 1e-30
PRODUCT_TABLE_SAMPLES = 4000


# --- schedule parsing --------------------------------------------------------------------------
def quarter_index(label: str) -> int:
    """'2026Q3' -> 2026 * 4 + 2."""
    m = _QUARTER.match(str(label).strip())
    if not m:
        raise InputError([Problem("schedule", "quarter", f"{label!r} must look like 2026Q3")])
    return int(m.group(1)) * QUARTERS_PER_YEAR + int(m.group(2)) - 1


def quarter_label(index: int) -> str:
    return f"{index // QUARTERS_PER_YEAR}Q{index % QUARTERS_PER_YEAR + 1}"


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
    """The programme's peak DRAM wafer starts per month, against a claimed figure where the
    scenario states one (``claim_wafers_per_month`` and ``ratio`` None otherwise)."""

    claim_wafers_per_month: float | None
    claim_source: str
    peak_dram_wafers_per_month: Range
    peak_quarter: str
    peak_hbm_wafers_per_month: Range
    ratio: Range | None  # claim / estimate
    assumptions_to_close_gap: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "claim_wafers_per_month": self.claim_wafers_per_month,
            "claim_source": self.claim_source,
            "peak_dram_wafers_per_month": self.peak_dram_wafers_per_month.to_dict(),
            "peak_quarter": self.peak_quarter,
            "peak_hbm_wafers_per_month": self.peak_hbm_wafers_per_month.to_dict(),
            "ratio_claim_to_estimate": None if self.ratio is None else self.ratio.to_dict(),
            "assumptions_to_close_gap": self.assumptions_to_close_gap,
            "text": self.text(),
        }

    def text(self) -> str:
        """A short paragraph for the report: estimate, claim, ratio and what would close it."""
        p, h, r = self.peak_dram_wafers_per_month, self.peak_hbm_wafers_per_month, self.ratio
        out = (
            f"This schedule's DRAM wafer starts peak at {_round_sig(p.likely)} wafers/month "
            f"({_round_sig(p.low)}-{_round_sig(p.high)}, P5-P95) in {self.peak_quarter}, "
            f"{_round_sig(h.likely)} of them for HBM."
        )
        if r is None or self.claim_wafers_per_month is None:
            return out
        who = self.claim_source.split(": ")[0]
        out += (
            f" The claim of {self.claim_wafers_per_month:,.0f} wafers/month ({who}) is "
            f"{r.likely:.1f}x that estimate ({r.low:.1f}-{r.high:.1f}x)."
        )
        if r.low > 1.0 and len(self.assumptions_to_close_gap) > 1:
            out += " To need the claimed volume, " + self.assumptions_to_close_gap[1] + "."
        elif r.high < 1.0:
            out += " The schedule needs more than the claimed volume."
        return out

    def __str__(self) -> str:
        out = (
            f"peak DRAM wafer starts {self.peak_dram_wafers_per_month} /month ({self.peak_quarter})"
        )
        if self.ratio is None or self.claim_wafers_per_month is None:
            return out
        return (
            f"{out} vs claim {self.claim_wafers_per_month:,.0f}: claim is {self.ratio.likely:.1f}x"
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
    ``supply_quarterly`` (peak of the P5 / P50 / P95 series) and no claim.

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
        check = ClaimCheck(None, "", peak, str(q["quarter"].iloc[i]), hbm, None)
    c, r = check.claim_wafers_per_month, check.ratio
    return {
        "claim_wafers_per_month": None if c is None else float(c),
        "claim_source": check.claim_source,
        "dram_wafers_per_month_peak": check.peak_dram_wafers_per_month.to_dict(),
        "hbm_wafers_per_month_peak": check.peak_hbm_wafers_per_month.to_dict(),
        "dram_wafers_claim_ratio": None if r is None else r.to_dict(),
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
            knots = np.array([(y + 1) * MONTHS_PER_YEAR for y in years])
            vals = np.stack([s.field(e, "wpm", f"y{y}") * MONTH_S for y in years], axis=1)
            self.parts.append((knots, share * vals))  # vals: (S, Y)
        self.growth = growth
        self.size = s.size

    def _after(self, months: FloatArray, last: float) -> FloatArray | float:
        if not self.growth or float(np.max(months)) <= last:
            return 1.0
        return np.asarray((1.0 + self.growth) ** (np.maximum(months - last, 0.0) / MONTHS_PER_YEAR))

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
    u = np.maximum(lead_months, 0.0) / MONTHS_PER_QUARTER
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


@dataclass(frozen=True)
class _Horizon:
    """The quarters of a plan: from the earliest wafer start to the last deployment."""

    types: list[str]  # accelerator types, sorted
    q_first: int  # quarter index of the first column
    quarters: list[str]
    req: FloatArray  # (T, Q) accelerators deployed per type and quarter
    abs_mid: FloatArray  # (Q,) months from year 0 to the middle of each quarter

    @property
    def nq(self) -> int:
        return len(self.quarters)


def _horizon(rows: list[tuple[int, str, float]], max_lead_months: float) -> _Horizon:
    """Requirements by quarter, starting early enough for the longest lead time."""
    types = sorted({a for _, a, _ in rows})
    q_first = min(q for q, _, _ in rows) - int(np.ceil(max_lead_months / MONTHS_PER_QUARTER))
    nq = max(q for q, _, _ in rows) - q_first + 1
    req = np.zeros((len(types), nq))
    for q, a, n in rows:
        req[types.index(a), q - q_first] += n
    knots = np.arange(nq + 1) * MONTHS_PER_QUARTER  # months from the start of q_first
    abs_mid = np.asarray(
        q_first * MONTHS_PER_QUARTER + knots[:-1] + MONTHS_PER_QUARTER / 2.0, dtype=float
    )
    quarters = [quarter_label(q_first + i) for i in range(nq)]
    return _Horizon(types, q_first, quarters, req, abs_mid)


def _wafers_by_lead(
    types: list[str], needs: Mapping[str, UnitNeeds]
) -> dict[tuple[str, str, str], FloatArray]:
    """Wafers per accelerator summed by (type, lead, constraint) (vectors over samples), so
    each (S, Q) product is done once per combination, not once per stream."""
    per_lead: dict[tuple[str, str, str], FloatArray] = {}
    for a in types:
        for st in needs[a].streams:
            for c in st.constraints:
                k3 = (a, st.lead, c)
                per_lead[k3] = per_lead.get(k3, 0.0) + st.wafers_per_unit
    return per_lead


def _start_rates(
    per_lead: Mapping[tuple[str, str, str], FloatArray],
    shift: Mapping[str, FloatArray],
    window: Mapping[str, FloatArray],
) -> dict[str, FloatArray]:
    """Wafer starts per month by constraint, (S, Q): one matrix product per constraint of
    [wafers per unit x lead weights] (S, K) by [advanced deployment series] (K, Q)."""
    rate: dict[str, FloatArray] = {}
    for c in dict.fromkeys(k[2] for k in per_lead):
        combos = [(a, lead) for a, lead, c2 in per_lead if c2 == c]
        left = np.concatenate(
            [
                (per_lead[(a, lead, c)] / MONTHS_PER_QUARTER)[:, None] * shift[lead]
                for a, lead in combos
            ],
            axis=1,
        )
        rate[c] = left @ np.concatenate([window[a] for a, _ in combos], axis=0)
    return rate


def _starts_by_product(
    types: list[str],
    needs: Mapping[str, UnitNeeds],
    shift: Mapping[str, FloatArray],
    window: Mapping[str, FloatArray],
    size: int,
) -> dict[tuple[str, str, str, str], FloatArray]:
    """Wafer starts per quarter by (category, product, vendor, node), over the first
    ``PRODUCT_TABLE_SAMPLES`` samples (enough for the ranges of the long table)."""
    by_prod: dict[tuple[str, str, str, str], FloatArray] = {}
    sub = slice(0, min(size, PRODUCT_TABLE_SAMPLES))
    for a in types:
        for st in needs[a].streams:
            key = (st.category, st.product, st.vendor, st.node)
            w = st.wafers_per_unit[sub, None] * (shift[st.lead][sub] @ window[a])
            by_prod[key] = by_prod.get(key, 0.0) + w
    return by_prod


def _capacity_curves(
    cat: Catalog, constraints: Iterable[str], s: Sampler, sec: SupplySection
) -> dict[str, _CapacityCurve]:
    """Capacity curve of every constraint the schedule draws on that the catalog bounds."""
    cap_entries = _capacity_entries(cat)
    return {
        c: _CapacityCurve(
            cap_entries[c],
            s,
            sec.capacity_growth_per_year,
            sec.capacity_share[_constraint_kind(c)],
        )
        for c in constraints
        if c in cap_entries
    }


# Columns of the quarterly table: constraints summed into each group of wafers.
_GROUPS: dict[str, Callable[[str], bool]] = {
    "hbm_dram": lambda c: c.startswith("hbm_tsv:"),
    "dram": lambda c: c == "dram",
    "cowos": lambda c: c == "cowos",
    "logic": lambda c: c.startswith("logic:"),
}


def _demand_columns(
    rate: Mapping[str, FloatArray], caps: Mapping[str, FloatArray]
) -> dict[str, Any]:
    """Wafer starts per month (P50, P5, P95) and median capacity by group of constraints."""
    table: dict[str, Any] = {}
    for name, pred in _GROUPS.items():
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
    return table


def _binding_columns(
    rate: Mapping[str, FloatArray], caps: Mapping[str, FloatArray], size: int, nq: int
) -> dict[str, Any]:
    """Per quarter: the binding constraint (highest median utilisation), its utilisation,
    the share of draws in which it binds, its shortfall and every constraint's utilisation."""
    names = sorted(caps)
    u_rows = []
    best = np.zeros((size, nq))
    arg = np.zeros(best.shape, dtype=np.int64)  # per sample, the most utilised constraint
    for i, c in enumerate(names):
        util = rate[c] / caps[c]
        u_rows.append(_median(util))
        arg[util > best] = i
        np.maximum(best, util, out=best)
        del util
    u_mid = np.stack(u_rows, axis=0)  # (C, Q)
    bind_idx = np.argmax(u_mid, axis=0)
    table: dict[str, Any] = {
        "binding_constraint": [names[i] for i in bind_idx],
        "binding_utilisation": u_mid[bind_idx, np.arange(nq)],
        "binding_probability": (arg == bind_idx[None, :]).mean(axis=0),
    }
    del best, arg
    shortfall = np.zeros(nq)
    for i in sorted(set(bind_idx.tolist())):
        c = names[i]
        short_c = _median(np.maximum(rate[c] - caps[c], 0.0))
        shortfall = np.where(bind_idx == i, short_c, shortfall)
    table["shortfall_wafers_per_month"] = shortfall
    for c in names:
        table[f"util_{c}"] = u_mid[names.index(c)]
    return table


def _delivery_leads(
    types: list[str], needs: Mapping[str, UnitNeeds], names: list[str]
) -> dict[str, str]:
    """The lead time that separates each capacity-bounded constraint from delivery: that of
    its main stream (HBM base dies and network ASICs only where nothing else uses it)."""
    lead_of: dict[str, str] = {}
    for a in types:
        for st in needs[a].streams:
            for c in st.constraints:
                if c not in names or _constraint_kind(c) == "dram":
                    continue
                if st.category in ("hbm_base", "network"):
                    lead_of.setdefault(c, st.lead)
                else:
                    lead_of[c] = st.lead
    return {c: lead_of.get(c, "hbm") for c in names}


def _deliverable(
    hz: _Horizon,
    needs: Mapping[str, UnitNeeds],
    curves: Mapping[str, _CapacityCurve],
    leads: Mapping[str, FloatArray],
    size: int,
) -> FloatArray:
    """Accelerators deliverable per quarter (Q, S) by the capacity-allowed schedule (module
    docstring): each quarter delivers the largest fraction of backlog + requested that every
    constraint's capacity one lead time earlier can supply."""
    names = sorted(curves)
    lead_of = _delivery_leads(hz.types, needs, names)
    per_unit = {
        (a, c): needs[a].total(lambda st, c=c: c in st.constraints) for a in hz.types for c in names
    }
    backlog = np.zeros((len(hz.types), size))
    delivered = np.zeros((hz.nq, size))  # (Q, S): samples contiguous for the percentiles
    for qi in range(hz.nq):
        demand = backlog + hz.req[:, qi][:, None]
        frac = np.ones(size)
        for c in names:
            need = np.zeros(size)
            for ti, a in enumerate(hz.types):
                if hz.req[ti].any():
                    need += per_unit[(a, c)] * demand[ti]
            cap_q = MONTHS_PER_QUARTER * curves[c].at(hz.abs_mid[qi] - leads[lead_of[c]])
            with np.errstate(divide="ignore", invalid="ignore"):
                f = np.where(need > 0, cap_q / need, 1.0)
            np.minimum(frac, f, out=frac)
        frac = np.clip(frac, 0.0, 1.0)
        delivered[qi] = (frac[None, :] * demand).sum(axis=0)
        backlog = (1.0 - frac[None, :]) * demand
    return delivered


def _deliveries_table(hz: _Horizon, delivered: FloatArray) -> pd.DataFrame:
    """Requested vs deliverable accelerators per quarter, and the cumulative backlog."""
    lo, mid, hi = _pct_rows(delivered)
    cum_req = np.cumsum(hz.req.sum(axis=0))
    cum_mid = _pct_rows(np.cumsum(delivered, axis=0))[1]
    import pandas as pd

    return pd.DataFrame(
        {
            "quarter": hz.quarters,
            "accelerators_requested": hz.req.sum(axis=0),
            "accelerators_deliverable": mid,
            "accelerators_deliverable_low": lo,
            "accelerators_deliverable_high": hi,
            "cumulative_requested": cum_req,
            "cumulative_deliverable": cum_mid,
            "backlog": cum_req - cum_mid,
        }
    )


def _product_rows(
    by_prod: Mapping[tuple[str, str, str, str], FloatArray], quarters: list[str]
) -> list[dict[str, Any]]:
    """Rows of the long table: wafers per month by quarter, product, vendor and node."""
    prod_rows = []
    for (cat_, prod, vendor, node), w in sorted(by_prod.items()):
        lo, mid, hi = _pct(np.asarray(w) / MONTHS_PER_QUARTER)
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
    return prod_rows


def _bom_row(a: str, un: UnitNeeds) -> dict[str, Any]:
    """One accelerator's memory, wafers, network parts and IT power per unit (medians)."""
    net = un.notes.get("network_per_gpu", {})
    return {
        "accelerator": a,
        "bom": un.bom_id,
        "hbm_product": un.hbm_product,
        "hbm_gb": float(np.median(un.hbm_bits)) / BITS_PER_GB,
        "host_memory_product": un.host_product,
        "host_memory_gb": float(np.median(un.host_bits)) / BITS_PER_GB,
        "hbm_dram_wafers_per_unit": float(np.median(un.hbm_dram_wafers)),
        "host_dram_wafers_per_unit": float(np.median(un.ddr_dram_wafers)),
        "logic_wafers_per_unit": float(np.median(un.logic_wafers)),
        "cowos_wafers_per_unit": float(np.median(un.cowos_wafers)),
        "network_logic_wafers_per_unit": float(np.median(un.network_wafers)),
        "optics_per_unit": float(net.get("optics", 0.0)),
        "switches_per_unit": float(net.get("scale_out_switches", 0.0)),
        "it_power_w": float(np.median(un.it_power_w)),
    }


def _claim_from_rates(
    sec: SupplySection,
    rate: Mapping[str, FloatArray],
    hz: _Horizon,
    needs: Mapping[str, UnitNeeds],
    size: int,
) -> ClaimCheck:
    """The claim check at the quarter of peak median DRAM wafer starts."""
    dram = np.asarray(rate.get("dram", np.zeros((size, hz.nq))))
    hbm = sum((rate[c] for c in rate if c.startswith("hbm_tsv:")), np.zeros((size, hz.nq)))
    peak_q = int(np.argmax(_median(dram)))
    return _claim_check(sec, dram, np.asarray(hbm), hz.quarters[peak_q], needs, hz.req)


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
    hz = _horizon(rows, max_lead)
    per_lead = _wafers_by_lead(types, needs)
    width = int(max_lead // MONTHS_PER_QUARTER) + 2  # whole quarters of lead, + its fraction
    shift = {lead: _lead_matrix(leads[lead], width) for lead in {k[1] for k in per_lead}}
    window = {a: _windows(hz.req[ti], width) for ti, a in enumerate(types)}
    rate = _start_rates(per_lead, shift, window)
    by_prod = _starts_by_product(types, needs, shift, window, s.size)
    curves = _capacity_curves(cat, rate, s, sec)
    caps = {c: curve.on(hz.abs_mid) for c, curve in curves.items()}
    table: dict[str, Any] = {"quarter": hz.quarters, "accelerators_requested": hz.req.sum(axis=0)}
    table.update(_demand_columns(rate, caps))
    table.update(_binding_columns(rate, caps, s.size, hz.nq))
    del caps
    deliveries = _deliveries_table(hz, _deliverable(hz, needs, curves, leads, s.size))
    table["accelerators_deliverable"] = deliveries["accelerators_deliverable"].to_numpy()
    return {
        "supply_quarterly": pd.DataFrame(table),
        "supply_by_product": pd.DataFrame(_product_rows(by_prod, hz.quarters)),
        "supply_deliveries": deliveries,
        "supply_bom": pd.DataFrame([_bom_row(a, needs[a]) for a in types]),
        "claim": _claim_from_rates(sec, rate, hz, needs, s.size),
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
    if claim is None:
        return ClaimCheck(None, sec.claim_source, peak, peak_quarter, peak_hbm, None)
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
    hbm_gb = sum(
        float(np.median(needs[a].hbm_bits)) / BITS_PER_GB * mix[i] for i, a in enumerate(names)
    )
    per_year = claim * MONTHS_PER_YEAR / dram_per if dram_per > 0 else float("inf")
    hbm_share = float(np.median(hbm.max(axis=1) / np.maximum(dram.max(axis=1), _TINY)))
    notes = [
        f"at the schedule's mix one accelerator takes {dram_per:.3f} DRAM wafers (HBM + host); "
        f"{claim:,.0f} wafers/month would equip {per_year:,.3g} accelerators/year, "
        f"{per_year * it_w / W_PER_GW:,.1f} GW of IT load added per year",
        f"deploy {k:.1f}x the schedule's peak rate (or its whole programme {k:.1f}x faster)",
        f"or {k * hbm_gb:,.0f} GB of HBM per accelerator instead of {hbm_gb:,.0f} GB "
        f"(if HBM alone grew; HBM is {hbm_share:.0%} of peak DRAM wafers)",
        f"even at the pessimistic end of yields and die sizes (P95) the peak is "
        f"{peak.high:,.0f} wafers/month, so the claim is still {ratio.low:.1f}x it",
        "or the claim counts wafer capacity committed to the partners' whole AI demand "
        "(other customers, inventory, DDR5/LPDDR for general servers), not this schedule",
    ]
    return ClaimCheck(claim, sec.claim_source, peak, peak_quarter, peak_hbm, ratio, notes)
