"""The economics stage: capex and opex tables, depreciation, capital charge, cash flow,
headline metrics, workload unit costs and the budget check of a plan.

Method in the package docstring (gigawatt.economics): capex in the year of purchase,
straight-line depreciation, capital charge = capex x CRF(WACC, life), opex = energy + water +
staff + maintenance + insurance + leases; each money column as low / likely / high.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from gigawatt.economics.budget import budget_check
from gigawatt.economics.finance import (
    capital_recovery_factor,
    in_service_fraction,
    straight_line_depreciation,
    usd_per_million_tokens,
    usd_per_training_run,
)
from gigawatt.economics.pricebook import (
    ASSET_CLASSES,
    CASES,
    OPEX_COMPONENTS,
    SUFFIX,
    ArrayLike,
    Case,
    FloatArray,
    PriceBook,
    PriceItem,
    _cols,
    convert,
    load_price_book,
)
from gigawatt.economics.schema import BudgetSection, EconomicsInputs, Purchase, SiteOperation
from gigawatt.errors import InputError, Problem
from gigawatt.schema.economics import OPERATIONS_TRANCHE
from gigawatt.units import HOURS_PER_YEAR, YEAR_S

if TYPE_CHECKING:
    import pandas as pd


# ---- capex ----------------------------------------------------------------------------------
def capex_table(purchases: Sequence[Purchase], book: PriceBook) -> pd.DataFrame:
    """One row per purchase: unit price and capex (low / likely / high). Leases carry no capex."""
    import pandas as pd

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
    import pandas as pd

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
        # written down to zero, never below (rounding of the cumulative sum leaves ~-1e-10)
        book_value = np.maximum(acquired - np.cumsum(dep, axis=1), 0.0)
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
    import pandas as pd

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


# ---- the stage ------------------------------------------------------------------------------
def _range_dict(values: Iterable[float]) -> dict[str, float]:
    lo, mid, hi = (float(v) for v in values)
    return {"low": lo, "likely": mid, "high": hi}


@dataclass(frozen=True)
class _Flows:
    """Yearly money flows of a plan: arrays of shape (3 cases, years), except the counts."""

    years: FloatArray
    spent: FloatArray  # capex paid in each year (assets only; leases are opex)
    opex: FloatArray
    charge: FloatArray  # capital charge of the assets in service
    accelerators: FloatArray  # accelerators in service per year
    hours: FloatArray  # GPU-hours used per year
    wacc: FloatArray  # per case
    discount: FloatArray  # present-value factor per case and year

    @property
    def cost(self) -> FloatArray:
        """Rental-equivalent cost per year: capital charge + opex."""
        return self.charge + self.opex


def _yearly(table: pd.DataFrame, column: str, years: FloatArray) -> FloatArray:
    """Sum of ``column`` per year of ``years`` (0 where a year has none; other years dropped)."""
    if not len(table):
        return np.zeros(len(years))
    per_year = table.groupby("year")[column].sum()
    out = np.zeros(len(years))
    index = {int(v): k for k, v in enumerate(years)}
    for yr, val in per_year.items():
        k = index.get(int(yr))
        if k is not None:
            out[k] += float(val)
    return out


def _flows(
    capex: pd.DataFrame, opex: pd.DataFrame, years: FloatArray, book: PriceBook, utilisation: float
) -> _Flows:
    """Capex spent, opex, capital charge, accelerators and GPU-hours in service per year."""
    assets = capex[capex["category"] != "lease"]
    spent = np.array([_yearly(assets, c, years) for c in _cols("capex_usd")])
    op = np.array([_yearly(opex, c, years) for c in _cols("opex_usd")])
    n_acc = accelerators_in_service(capex, book, years)
    wacc = np.array(book.finance.wacc_per_year)
    t = years - (years[0] if len(years) else 0.0)
    return _Flows(
        years=years,
        spent=spent.reshape(3, len(years)),
        opex=op.reshape(3, len(years)),
        charge=capital_charge(capex, book, years),
        accelerators=n_acc,
        hours=n_acc * HOURS_PER_YEAR * utilisation,
        wacc=wacc,
        discount=1.0 / np.power(1.0 + wacc[:, None], t[None, :]),
    )


def _cashflow_table(f: _Flows) -> pd.DataFrame:
    """One row per year: capex, opex, capital charge, cost, present value, $/GPU-hour."""
    import pandas as pd

    cost = f.cost
    with np.errstate(divide="ignore", invalid="ignore"):
        gpu_hour = np.where(f.hours > 0, cost / np.where(f.hours > 0, f.hours, 1.0), np.nan)
    cash = pd.DataFrame({"year": f.years.astype(int)})
    for name, arr in (
        ("capex_usd", f.spent),
        ("opex_usd", f.opex),
        ("capital_charge_usd", f.charge),
        ("cost_usd", cost),
        ("present_value_usd", (f.spent + f.opex) * f.discount),
        ("usd_per_gpu_hour", gpu_hour),
    ):
        for i, col in enumerate(_cols(name)):
            cash[col] = arr[i]
    cash["accelerators_in_service"] = f.accelerators
    cash["gpu_hours"] = f.hours
    return cash


def _level_gpu_hour(f: _Flows) -> FloatArray:
    """Levelised $/GPU-hour over the horizon: total cost / total GPU-hours (NaN if none)."""
    tot_hours = f.hours.sum()
    return f.cost.sum(axis=1) / tot_hours if tot_hours > 0 else np.full(3, np.nan)


def _summary_table(f: _Flows) -> pd.DataFrame:
    """Headline metrics, one row each (``metric``, ``unit``, ``low``, ``likely``, ``high``)."""
    import pandas as pd

    operating = f.accelerators > 0
    if operating.any():
        mean_opex = f.opex[:, operating].mean(axis=1)
    else:
        mean_opex = f.opex.mean(axis=1) if len(f.years) else np.zeros(3)
    annual = f.cost[:, operating].mean(axis=1) if operating.any() else np.zeros(3)
    peak = f.accelerators.max() if len(f.accelerators) else 0.0
    total_capex = f.spent.sum(axis=1)
    rows = [
        ("capex_usd", "USD", total_capex),
        ("opex_usd_per_year", "USD/year", mean_opex),
        ("tco_usd", "USD", total_capex + f.opex.sum(axis=1)),
        ("npv_cost_usd", "USD", ((f.spent + f.opex) * f.discount).sum(axis=1)),
        ("annual_cost_usd_per_year", "USD/year", annual),
        ("usd_per_gpu_hour", "USD/h", _level_gpu_hour(f)),
        ("accelerators_peak", "1", np.full(3, peak)),
        ("wacc", "1/year", f.wacc),
        ("horizon_years", "year", np.full(3, float(len(f.years)))),
    ]
    return pd.DataFrame(
        [{"metric": m, "unit": u, **_range_dict(v)} for m, u, v in rows],
        columns=["metric", "unit", "low", "likely", "high"],
    )


def _workloads_table(inputs: EconomicsInputs, gpu_hour_usd: FloatArray) -> pd.DataFrame:
    """$ per training run and $ per million tokens served at the levelised $/GPU-hour."""
    import pandas as pd

    work = [
        {
            "workload": run.name,
            "kind": "training",
            "metric": "usd_per_run",
            **_range_dict(usd_per_training_run(run.accelerators, run.days, gpu_hour_usd)),
        }
        for run in inputs.training_runs
    ] + [
        {
            "workload": svc.name,
            "kind": "serving",
            "metric": "usd_per_million_tokens",
            **_range_dict(usd_per_million_tokens(svc.tokens_per_s, svc.accelerators, gpu_hour_usd)),
        }
        for svc in inputs.services
    ]
    return pd.DataFrame(work, columns=["workload", "kind", "metric", "low", "likely", "high"])


def _budget_costs(capex: pd.DataFrame, opex: pd.DataFrame, include_opex: bool) -> pd.DataFrame:
    """Costs by tranche and year for the budget check: capex (leases excluded) and, if asked,
    all opex as an ``operations`` tranche."""
    import pandas as pd

    to_cost = dict(zip(_cols("capex_usd"), _cols("cost_usd"), strict=True))
    costs = capex[capex["category"] != "lease"].rename(columns=to_cost)
    costs = costs[["tranche", "year", *_cols("cost_usd")]]
    if include_opex and len(opex):
        o = opex.groupby("year", as_index=False)[_cols("opex_usd")].sum()
        o = o.rename(columns=dict(zip(_cols("opex_usd"), _cols("cost_usd"), strict=True)))
        o["tranche"] = OPERATIONS_TRANCHE
        costs = pd.concat([costs, o[["tranche", "year", *_cols("cost_usd")]]], ignore_index=True)
    return costs


def _budget_tables(
    bud: BudgetSection,
    capex: pd.DataFrame,
    opex: pd.DataFrame,
    book: PriceBook,
    tranche_names: Sequence[str] = (),
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The budget check of a plan: (tranches, cumulative spend by year, summary rows)."""
    import pandas as pd

    amount_usd = bud.amount
    if bud.currency.upper() != "USD":
        amount_usd = float(convert(bud.amount, bud.currency, "USD", book))
        book.currency(bud.currency, where="economics.budget.currency")
    costs = _budget_costs(capex, opex, bud.include_opex)
    res = budget_check(
        costs, amount_usd, bud.years, bud.cut_priority, bud.start_year, known=tranche_names
    )
    tranches = res.tranches.copy()
    tranches["within_budget"] = res.within_budget
    rows = [
        {"metric": "budget_usd", "unit": "USD", **_range_dict([amount_usd] * 3)},
        {"metric": "budget_shortfall_usd", "unit": "USD", **_range_dict(res.shortfall_usd)},
        {
            "metric": "within_budget",
            "unit": "1",
            **_range_dict(float(res.within_budget_by_case[k]) for k in CASES),
        },
    ]
    if res.years_needed is not None:
        rows.append(
            {"metric": "budget_years_needed", "unit": "year", **_range_dict(res.years_needed)}
        )
    return tranches, res.by_year, pd.DataFrame(rows)


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
    import pandas as pd

    sec = inputs.section
    base = book or load_price_book()
    b = base.with_overrides(sec.prices, sec.wacc)
    b.currency(sec.currency, where="economics.currency")
    capex = capex_table(inputs.purchases, b)
    years = _years_axis(capex, inputs.operations, sec.horizon_years, b)
    opex = opex_table(capex, inputs.operations, b, years)
    flows = _flows(capex, opex, years, b, sec.utilisation)
    result: dict[str, pd.DataFrame] = {
        "capex": capex,
        "capex_by_year": capex_by(capex, ("year", "category")),
        "opex_by_year": opex,
        "depreciation": depreciation_schedule(capex, b),
        "cashflow": _cashflow_table(flows),
        "summary": _summary_table(flows),
        "workloads": _workloads_table(inputs, _level_gpu_hour(flows)),
    }
    if sec.budget is not None:
        tranches, by_year, extra = _budget_tables(sec.budget, capex, opex, b, inputs.tranche_names)
        result["budget"] = tranches
        result["budget_by_year"] = by_year
        result["summary"] = pd.concat([result["summary"], extra], ignore_index=True)
    return result


def summary_dict(tables: Mapping[str, pd.DataFrame]) -> dict[str, dict[str, float]]:
    """The ``summary`` table as ``{metric: {"low", "likely", "high"}}`` for JSON output."""
    s = tables["summary"]
    return {str(r.metric): _range_dict((r.low, r.likely, r.high)) for r in s.itertuples()}
