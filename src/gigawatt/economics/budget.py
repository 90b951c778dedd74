"""Budgets: does a programme fit, what is cut first (lowest priority), how long it takes at
the budget's annual rate (``budget_check``)."""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from gigawatt.economics.pricebook import CASES, Range, _cols
from gigawatt.errors import InputError, Problem

if TYPE_CHECKING:
    import pandas as pd


def _empty_frame() -> pd.DataFrame:
    """An empty table, built on demand so that importing economics does not import pandas."""
    import pandas as pd

    return pd.DataFrame()


# Relative slack when comparing sums of floats with a budget, so that a cost equal to the
# budget up to rounding counts as within it.
_TOLERANCE = 1e-12


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
    by_year: pd.DataFrame = field(default_factory=_empty_frame)

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


def _check_costs(costs: pd.DataFrame, budget_usd: float) -> None:
    """InputError unless the budget is a finite amount > 0 and the costs table is complete."""
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


def _funding_order(
    costs: pd.DataFrame, priority: Sequence[str], known: Collection[str] = ()
) -> pd.DataFrame:
    """One row per tranche with its summed costs, in funding order: ``priority`` first, then
    the unlisted tranches by their first year (or as given when there is no ``year``).

    A listed name that is ``known`` (a site of the scenario) but has no costs (nothing was
    placed there) is simply not funded; any other unknown name is an error."""
    cols = _cols("cost_usd")
    order_key = "year" if "year" in costs.columns else None
    agg = costs.groupby("tranche", as_index=False, sort=False).agg(
        {**{c: "sum" for c in cols}, **({order_key: "min"} if order_key else {})}
    )
    unknown = [t for t in priority if t not in set(agg["tranche"]) and t not in set(known)]
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
    return agg.sort_values(sort_cols, kind="stable", ignore_index=True).drop(columns="_listed")


def _fund(agg: pd.DataFrame, budget_usd: float) -> pd.DataFrame:
    """The tranches funded in order until the budget runs out (the last one perhaps in part):
    adds ``priority``, ``funded_usd``, ``funded_fraction`` and ``status``."""
    cost = agg["cost_usd"].to_numpy(dtype=float)
    cum_before = np.concatenate([[0.0], np.cumsum(cost)[:-1]])
    funded = np.clip(budget_usd - cum_before, 0.0, cost)
    with np.errstate(divide="ignore", invalid="ignore"):
        fraction = np.where(cost > 0, funded / cost, 1.0)
    out = agg.copy()
    out.insert(1, "priority", np.arange(1, len(out) + 1))
    out["funded_usd"] = funded
    out["funded_fraction"] = fraction
    out["status"] = np.where(fraction >= 1.0, "funded", np.where(fraction > 0, "partly cut", "cut"))
    return out


def _spend_by_year(
    costs: pd.DataFrame, rate_usd_per_year: float, years: float, start_year: int | None
) -> pd.DataFrame:
    """Cumulative spend per year against the cumulative budget spent at its annual rate."""
    import pandas as pd

    cols = _cols("cost_usd")
    if "year" not in costs.columns or not len(costs):
        return pd.DataFrame()
    spend = costs.groupby("year", as_index=False)[cols].sum().sort_values("year")
    y0 = start_year if start_year is not None else int(spend["year"].min())
    elapsed = np.clip(spend["year"].to_numpy(dtype=float) - y0 + 1.0, 0.0, years)
    spend["budget_cumulative_usd"] = rate_usd_per_year * elapsed
    for c in cols:
        spend[c.replace("cost", "spend_cumulative")] = spend[c].cumsum()
    spend["within_budget"] = spend["spend_cumulative_usd"] <= spend["budget_cumulative_usd"] * (
        1 + _TOLERANCE
    )
    return spend.reset_index(drop=True)


def budget_check(
    costs: pd.DataFrame,
    budget_usd: float,
    years: float | None = None,
    priority: Sequence[str] = (),
    start_year: int | None = None,
    known: Collection[str] = (),
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
    import pandas as pd

    _check_costs(costs, budget_usd)
    agg = _fund(_funding_order(costs, priority, known), budget_usd)
    lo, mid, hi = (float(agg[c].sum()) for c in _cols("cost_usd"))
    total: Range = (lo, mid, hi)
    by_case: dict[str, bool] = {
        case: total[i] <= budget_usd * (1 + _TOLERANCE) for i, case in enumerate(CASES)
    }
    shortfall: Range = (
        max(0.0, lo - budget_usd),
        max(0.0, mid - budget_usd),
        max(0.0, hi - budget_usd),
    )
    years_needed: Range | None = None
    by_year = pd.DataFrame()
    if years is not None:
        if years <= 0:
            raise InputError([Problem("economics", "budget.years", f"must be > 0, got {years}")])
        rate = budget_usd / years
        years_needed = (lo / rate, mid / rate, hi / rate)
        by_year = _spend_by_year(costs, rate, years, start_year)
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
