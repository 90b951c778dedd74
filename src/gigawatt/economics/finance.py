"""Pure, vectorised finance: capital recovery, annuities, present value, depreciation and
unit costs ($/GPU-hour, $/training run, $/million tokens).

Standard engineering economics (Brealey, Myers & Allen, *Principles of Corporate Finance*,
ch. 6; Barroso, Hölzle & Ranganathan, *The Datacenter as a Computer*, 3rd ed. 2019, ch. 6).
"""

from __future__ import annotations

import numpy as np

from gigawatt.economics.pricebook import ArrayLike, FloatArray
from gigawatt.errors import InputError, Problem
from gigawatt.units import HOUR_S, HOURS_PER_YEAR


# ---- financing ------------------------------------------------------------------------------
def capital_recovery_factor(rate: ArrayLike, years: ArrayLike) -> FloatArray:
    """Annual payment per unit of present value over ``years`` at ``rate`` per year.

    CRF = r (1+r)^n / ((1+r)^n - 1); 1/n at r = 0; r for an infinite life (land). The annuity
    of a loan or the level capital charge of an asset (Brealey, Myers & Allen, ch. 2/6).
    """
    r = np.asarray(rate, dtype=float)
    n = np.asarray(years, dtype=float)
    if np.any(r < 0) or np.any(n <= 0):
        raise InputError([Problem("economics", "rate/years", "need rate >= 0 and years > 0")])
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        finite_n = np.where(np.isfinite(n), n, 1.0)
        # r / (1 - (1+r)^-n), written with expm1/log1p so tiny rates tend smoothly to 1/n
        exact = r / -np.expm1(-finite_n * np.log1p(r))
        # below 1e-6 the exact form loses precision (denormal rates); its first-order series
        # 1/n + r (n + 1) / (2n) is exact to ~1e-12 there
        series = 1.0 / finite_n + r * (finite_n + 1.0) / (2.0 * finite_n)
        crf = np.where(r > 1e-6, exact, series)
    return np.asarray(np.where(np.isfinite(n), crf, r), dtype=float)


def annuity_payment_usd(principal_usd: ArrayLike, rate: ArrayLike, years: ArrayLike) -> FloatArray:
    """Level annual payment that repays ``principal_usd`` over ``years`` at ``rate``."""
    return np.asarray(principal_usd, dtype=float) * capital_recovery_factor(rate, years)


def present_value_usd(
    cash_usd: ArrayLike, rate: ArrayLike, years_from_now: ArrayLike
) -> FloatArray:
    """Discount cash flows at the end of ``years_from_now`` back to today at ``rate``."""
    r = np.asarray(rate, dtype=float)
    t = np.asarray(years_from_now, dtype=float)
    return np.asarray(np.asarray(cash_usd, dtype=float) / np.power(1.0 + r, t), dtype=float)


def in_service_fraction(
    start_year: ArrayLike, life_years: ArrayLike, years: ArrayLike
) -> FloatArray:
    """Fraction of each calendar year (columns) each asset (rows) is in service.

    An asset bought in year ``s`` with life ``L`` serves [s, s + L): full years, and a partial
    last year for a fractional life; an infinite life (land) serves for ever.
    """
    s = np.asarray(start_year, dtype=float).reshape(-1, 1)
    life = np.asarray(life_years, dtype=float).reshape(-1, 1)
    y = np.asarray(years, dtype=float).reshape(1, -1)
    end = s + life
    return np.asarray(np.clip(np.minimum(y + 1.0, end) - np.maximum(y, s), 0.0, 1.0), dtype=float)


def straight_line_depreciation(
    capex_usd: ArrayLike, start_year: ArrayLike, life_years: ArrayLike, years: ArrayLike
) -> FloatArray:
    """Depreciation per asset (rows) per year (columns): capex / life while in service.

    Over all the years an asset serves, the charges add up to its capex exactly; an infinite
    life (land) is never depreciated.
    """
    capex = np.asarray(capex_usd, dtype=float).reshape(-1, 1)
    life = np.asarray(life_years, dtype=float).reshape(-1, 1)
    if np.any(life <= 0):
        raise InputError([Problem("economics", "life_years", "depreciation lives must be > 0")])
    frac = in_service_fraction(start_year, life, years)
    with np.errstate(divide="ignore"):
        per_year = np.where(np.isfinite(life), capex / life, 0.0)
    return np.asarray(per_year * frac, dtype=float)


# ---- unit costs -----------------------------------------------------------------------------
def usd_per_gpu_hour(
    annual_cost_usd: ArrayLike, accelerators: ArrayLike, utilisation: ArrayLike = 1.0
) -> FloatArray:
    """Cost of one accelerator-hour: annual cost / (accelerators x hours per year x utilisation)."""
    n = np.asarray(accelerators, dtype=float)
    u = np.asarray(utilisation, dtype=float)
    if np.any(n <= 0) or np.any(u <= 0) or np.any(u > 1):
        raise InputError(
            [
                Problem(
                    "economics",
                    "accelerators/utilisation",
                    "need accelerators > 0, 0 < utilisation <= 1",
                )
            ]
        )
    return np.asarray(
        np.asarray(annual_cost_usd, dtype=float) / (n * HOURS_PER_YEAR * u), dtype=float
    )


def usd_per_training_run(
    accelerators: ArrayLike, days: ArrayLike, gpu_hour_usd: ArrayLike
) -> FloatArray:
    """Cost of a run on ``accelerators`` for ``days`` wall-clock days at a $/GPU-hour."""
    n, d = np.asarray(accelerators, dtype=float), np.asarray(days, dtype=float)
    if np.any(n < 0) or np.any(d < 0):
        raise InputError(
            [Problem("economics", "training run", "accelerators and days must be >= 0")]
        )
    return np.asarray(n * d * 24.0 * np.asarray(gpu_hour_usd, dtype=float), dtype=float)


def usd_per_million_tokens(
    tokens_per_s: ArrayLike, accelerators: ArrayLike, gpu_hour_usd: ArrayLike
) -> FloatArray:
    """Serving cost: accelerators x $/GPU-hour / tokens per hour, per 10^6 tokens.

    ``tokens_per_s`` is the sustained throughput of the whole group of ``accelerators``.
    """
    tps = np.asarray(tokens_per_s, dtype=float)
    n = np.asarray(accelerators, dtype=float)
    if np.any(tps <= 0) or np.any(n < 0):
        raise InputError(
            [Problem("economics", "service", "need tokens_per_s > 0 and accelerators >= 0")]
        )
    return np.asarray(n * np.asarray(gpu_hour_usd, dtype=float) / (tps * HOUR_S) * 1e6, dtype=float)
