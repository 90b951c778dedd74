"""What a budget buys: the largest cluster whose capex plus years of opex fit an amount."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from gigawatt.economics.cluster import WHERE, Cluster, ClusterCost, cluster_cost, cluster_inputs
from gigawatt.economics.pricebook import CASES, PriceBook, _cols, convert, load_price_book
from gigawatt.economics.stage import plan_economics
from gigawatt.errors import InputError, Problem
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
