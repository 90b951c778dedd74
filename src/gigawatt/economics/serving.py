"""USD per GPU-hour and per million tokens of serving configurations (the serve command)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gigawatt.catalog import Catalog, load_catalog
from gigawatt.economics.cluster import Cluster, cluster_cost
from gigawatt.economics.finance import usd_per_million_tokens
from gigawatt.economics.pricebook import load_price_book
from gigawatt.errors import CatalogError, InputError

if TYPE_CHECKING:
    import pandas as pd

# ---- $ per token of serving configurations (the serve command) -----------------------------
COST_REFERENCE_GPUS = 1024  # cluster the $/GPU-hour is priced for (network tiers, facility)


def usd_per_gpu_hour_range(
    accelerator: str, catalog: Catalog | None = None, reference_gpus: int = COST_REFERENCE_GPUS
) -> tuple[float, float, float] | None:
    """All-in (low, likely, high) USD per accelerator-hour from the economics stage, or None
    where the accelerator has no published price (TPU, Trainium).

    ``economics.cluster_cost`` on a ``reference_gpus`` cluster: capex (servers, scale-out
    network, storage, facility, power connection; catalog/prices.yaml) annualised by the
    capital recovery factor at the WACC over each asset's life, plus opex (energy at the
    catalog's default price and PUE, water, staff, maintenance, insurance), divided by the
    GPU-hours in service. Low / high take every price at its cheap / dear end together.
    """
    cat = catalog or load_catalog()
    book = load_price_book(cat)
    try:
        book.compute_item(accelerator).unit_price()
    except (InputError, CatalogError):
        return None
    cost = cluster_cost(Cluster(gpu=accelerator, accelerators=reference_gpus), book, catalog=cat)
    return cost.metric("usd_per_gpu_hour")


def add_cost_columns(
    df: pd.DataFrame, gpu_hour_usd: tuple[float, float, float] | None
) -> pd.DataFrame:
    """Copy of a ``serving_configs`` table with USD per GPU-hour and USD per million output
    tokens (``economics.usd_per_million_tokens`` at each configuration's tokens/s per GPU,
    at sustained load) as low / likely / high columns; NaN where unpriced."""
    out = df.copy()
    for suffix, i in (("_low", 0), ("", 1), ("_high", 2)):
        if gpu_hour_usd is None or out.empty:
            out[f"usd_per_gpu_hour{suffix}"] = float("nan")
            out[f"usd_per_million_tokens{suffix}"] = float("nan")
            continue
        out[f"usd_per_gpu_hour{suffix}"] = gpu_hour_usd[i]
        out[f"usd_per_million_tokens{suffix}"] = usd_per_million_tokens(
            out["tokens_per_s_per_gpu"].to_numpy(dtype=float), 1.0, gpu_hour_usd[i]
        )
    return out
