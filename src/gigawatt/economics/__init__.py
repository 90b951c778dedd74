"""Economics: capex, opex, depreciation, financing, TCO, unit costs, currencies and budgets.

Every price comes from ``catalog/prices.yaml`` (sourced, dated, with a low / likely / high
range); currency rates from ``catalog/currencies.yaml``. The functions here are pure and
vectorised. They take what the other stages produce as plain numbers — counts bought per year
per price item, facility energy in J, water in m3, IT power in W, energy and water prices per
site — and return pandas DataFrames with units in the column names (``capex_usd``, ``year``).

Ranges: each money column comes in three versions, ``*_low``, the likely value (no suffix) and
``*_high``. The low case takes every price, rate and life at its cheap end together (low
prices, low maintenance, long lives, low WACC), the high case at its dear end: the envelope of
fully correlated uncertainties, wider than a Monte Carlo interval, never narrower.

Method (standard engineering economics, e.g. Brealey, Myers & Allen, *Principles of Corporate
Finance*, ch. 6; Barroso, Hölzle & Ranganathan, *The Datacenter as a Computer*, 3rd ed. 2019,
ch. 6 "Modeling costs"):

* capex is bought in the year of purchase (no construction interest);
* straight-line depreciation over the asset class's useful life, from the year of purchase;
* the capital charge of an asset in service is capex x CRF(WACC, life), the capital recovery
  factor, so that capital charge + opex is the rental-equivalent cost of running the fleet;
  $/GPU-hour = that annual cost / GPU-hours in service;
* opex = energy (site price x facility energy) + water + staff (FTE per MW of IT) +
  maintenance (% of the capex in service) + insurance (% of capex in service) + leases.

Modules, in dependency order (each imports only earlier ones): ``pricebook`` (priced items,
currencies), ``finance`` (pure finance and unit-cost functions), ``schema`` (the inputs),
``budget`` (the budget check), ``stage`` (capex / opex tables, the economics stage),
``cluster`` (clusters sized from a GPU count), ``buys`` (what a budget buys), ``serving``
($ per token of serving configurations).
"""

from gigawatt.economics.budget import (
    BudgetResult,
    budget_check,
)
from gigawatt.economics.buys import (
    BudgetBuys,
    max_accelerators,
    what_budget_buys,
)
from gigawatt.economics.cluster import (
    GRID_ITEM,
    NETWORKS,
    POWER_SOURCES,
    WHERE,
    Cluster,
    ClusterCost,
    bom_purchases,
    cluster_cost,
    cluster_inputs,
    cluster_line,
    site_operations,
    site_purchases,
)
from gigawatt.economics.finance import (
    annuity_payment_usd,
    capital_recovery_factor,
    in_service_fraction,
    present_value_usd,
    straight_line_depreciation,
    usd_per_gpu_hour,
    usd_per_million_tokens,
    usd_per_training_run,
)
from gigawatt.economics.pricebook import (
    ASSET_CLASSES,
    BASES,
    CASES,
    CATEGORIES,
    OPEX_COMPONENTS,
    SUFFIX,
    ArrayLike,
    Case,
    Currency,
    Financials,
    FloatArray,
    PriceBook,
    PriceItem,
    PriceOverride,
    Range,
    convert,
    convert_range,
    in_currency,
    load_price_book,
)
from gigawatt.economics.schema import (
    BudgetSection,
    EconomicsInputs,
    EconomicsSection,
    Purchase,
    RunUse,
    ServiceUse,
    SiteOperation,
)
from gigawatt.economics.serving import (
    COST_REFERENCE_GPUS,
    add_cost_columns,
    usd_per_gpu_hour_range,
)
from gigawatt.economics.stage import (
    accelerators_in_service,
    capex_by,
    capex_table,
    capital_charge,
    depreciation_schedule,
    opex_table,
    plan_economics,
    summary_dict,
)
from gigawatt.units import DEFAULT_HORIZON_YEARS, YEAR_S

__all__ = [
    "ASSET_CLASSES",
    "BASES",
    "CASES",
    "CATEGORIES",
    "COST_REFERENCE_GPUS",
    "DEFAULT_HORIZON_YEARS",
    "GRID_ITEM",
    "NETWORKS",
    "OPEX_COMPONENTS",
    "POWER_SOURCES",
    "SUFFIX",
    "WHERE",
    "YEAR_S",
    "ArrayLike",
    "BudgetBuys",
    "BudgetResult",
    "BudgetSection",
    "Case",
    "Cluster",
    "ClusterCost",
    "Currency",
    "EconomicsInputs",
    "EconomicsSection",
    "Financials",
    "FloatArray",
    "PriceBook",
    "PriceItem",
    "PriceOverride",
    "Purchase",
    "Range",
    "RunUse",
    "ServiceUse",
    "SiteOperation",
    "accelerators_in_service",
    "add_cost_columns",
    "annuity_payment_usd",
    "bom_purchases",
    "budget_check",
    "capex_by",
    "capex_table",
    "capital_charge",
    "capital_recovery_factor",
    "cluster_cost",
    "cluster_inputs",
    "cluster_line",
    "convert",
    "convert_range",
    "depreciation_schedule",
    "in_currency",
    "in_service_fraction",
    "load_price_book",
    "max_accelerators",
    "opex_table",
    "plan_economics",
    "present_value_usd",
    "site_operations",
    "site_purchases",
    "straight_line_depreciation",
    "summary_dict",
    "usd_per_gpu_hour",
    "usd_per_gpu_hour_range",
    "usd_per_million_tokens",
    "usd_per_training_run",
    "what_budget_buys",
]
