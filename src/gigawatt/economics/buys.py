"""What a budget buys: the largest cluster whose capex plus years of opex fit an amount."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from gigawatt.economics.cluster import WHERE, Cluster, ClusterCost, cluster_cost, cluster_inputs
from gigawatt.economics.pricebook import CASES, PriceBook, _cols, convert, load_price_book
from gigawatt.economics.stage import plan_economics
from gigawatt.errors import InputError, Problem
from gigawatt.limits import MAX_ACCELERATORS
from gigawatt.units import DEFAULT_HORIZON_YEARS

if TYPE_CHECKING:
    import pandas as pd


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
    budget_usd: float,
    cluster: Cluster,
    book: PriceBook,
    run_years: int,
    case: int = 1,
    start: int = 1,
) -> int:
    """Largest accelerator count whose capex plus ``run_years`` of opex fits the budget.

    Cost rises monotonically with the count (network tiers step up), so a bracket [feasible,
    infeasible] narrowed to width one finds it. Cost is nearly linear in the count, so each
    step tries the count where the line through the bracket's ends meets the budget
    (regula falsi with the Illinois weighting, so a kept end does not stall it; halving
    after four kept in a row, at a network tier's step): a few cost evaluations instead of
    two per bit of the count. ``start`` (e.g. the count for fewer years of opex) is where
    the bracket is sought first; the answer does not depend on it. A budget that buys more
    than MAX_ACCELERATORS is an InputError on ``amount``.
    """
    if budget_usd <= 0:
        raise InputError([Problem(WHERE, "amount", f"must be > 0, got {budget_usd}")])

    def cost(n: int) -> float:
        return _total_cost(replace(cluster, accelerators=n), book, run_years, case)

    lo, g_lo = 0, -budget_usd  # g: cost minus budget (<= 0 fits)
    hi = min(max(start, 1), MAX_ACCELERATORS)
    g_hi = cost(hi) - budget_usd
    while g_hi <= 0:  # grow the bracket (by the cost's slope so far) until its top misfits
        if hi >= MAX_ACCELERATORS:
            raise InputError(
                [
                    Problem(
                        WHERE,
                        "amount",
                        f"buys more than {MAX_ACCELERATORS:,} accelerators, the most a plan "
                        f"may hold (USD {budget_usd:,.4g}; allowed: an amount that buys fewer)",
                    )
                ]
            )
        step = max(2 * hi, int(hi * budget_usd / (g_hi + budget_usd)) + 1)
        lo, g_lo, hi = hi, g_hi, min(step, MAX_ACCELERATORS)
        g_hi = cost(hi) - budget_usd
    kept = 0  # +k: the top kept k times in a row, -k: the bottom (Illinois weighting)
    while hi - lo > 1:
        w_lo = g_lo / 2 if kept >= 2 else g_lo
        w_hi = g_hi / 2 if kept <= -2 else g_hi
        mid = lo + int(-w_lo / (w_hi - w_lo) * (hi - lo)) if w_hi > w_lo else (lo + hi) // 2
        if abs(kept) >= 4:  # the interpolation stalls on a step: halve
            mid, kept = (lo + hi) // 2, 0
        mid = min(max(mid, lo + 1), hi - 1)
        g_mid = cost(mid) - budget_usd
        if g_mid <= 0:
            lo, g_lo, kept = mid, g_mid, max(kept, 0) + 1
        else:
            hi, g_hi, kept = mid, g_mid, min(kept, 0) - 1
    return lo


def what_budget_buys(
    amount: float,
    currency: str,
    cluster: Cluster,
    run_years: int = DEFAULT_HORIZON_YEARS,
    book: PriceBook | None = None,
) -> BudgetBuys:
    """How many accelerators (with network, storage, facility and power) a budget buys if it
    must also pay 0, 1, ... ``run_years`` years of operation, with MW and yearly opex."""
    import pandas as pd

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
    n = 1
    for years in range(run_years + 1):  # more years of opex never buy more: start from n
        n = max_accelerators(budget_usd, cluster, b, years, start=max(n, 1))
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
