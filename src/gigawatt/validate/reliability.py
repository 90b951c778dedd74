"""Reliability rows (reliability.csv): interruptions of a large training job or its MTTF."""

from __future__ import annotations

from gigawatt.catalog import Catalog
from gigawatt.reliability import SITE_TYPES, Conditions, failure_model
from gigawatt.units import UNITS
from gigawatt.validate.core import COMMON_RANGES, Range, Row, RowResult

SECONDS_PER_DAY = UNITS["day"][0]
SECONDS_PER_HOUR = UNITS["h"][0]

COLUMNS = frozenset({"gpu", "n_gpus", "days", "metric"})
METRICS = ("unexpected_interruptions", "job_mttf_h")

# Allowed conditions: fleet age and temperature as the failure model's conditions accept them
# (reliability.Conditions); jobs up to 2^24 GPUs (8x the largest cluster the sweeps span) and
# ten years long (the longest published runs last months).
RANGES: dict[str, Range] = {
    **COMMON_RANGES,
    "n_gpus": Range(1, 2**24, integer=True),
    "days": Range(0.0, 3652.5, low_inclusive=False),
    "fleet_age_years": Range(0.0, 30.0),
    "temperature_c": Range(-40.0, 150.0),
}


def validate_reliability_row(row: Row, catalog: Catalog) -> RowResult:
    """Predict one reliability.csv row (unexpected interruptions or job MTTF) from component
    rates x device counts of the row's GPU type and job size; optional columns ``site``,
    ``fleet_age_years`` and ``temperature_c`` change the conditions, and ``category`` (gpu,
    host, network, software, facility) restricts the count to causes of that category. The
    accelerator's generation multiplier (catalog ``type: generation``) always applies."""
    metric = row.raw("metric")
    if metric not in METRICS:
        raise row.fail("metric", f"{metric!r} not supported (allowed: {', '.join(METRICS)})")
    measured = row.req_float("value")
    tolerance = row.float_("tolerance", required=False)
    gpu = row.raw("gpu")
    if gpu not in catalog.kind("accelerators"):
        known = ", ".join(sorted(catalog.kind("accelerators")))
        raise row.fail("gpu", f"{gpu!r} is not in the catalog (allowed: {known})")
    n = row.req_int("n_gpus")
    days = row.float_("days", required=metric == "unexpected_interruptions") or 1.0
    site = row.choice("site", SITE_TYPES, "land") or "land"
    age = row.float_("fleet_age_years", required=False)
    temp = row.float_("temperature_c", required=False)
    fm = failure_model(gpu, catalog, Conditions(site=site, fleet_age_years=age, temperature_c=temp))
    categories = sorted({c.category for c in fm.causes})
    category = row.choice("category", tuple(categories))
    horizon = days * SECONDS_PER_DAY
    rates = fm.rates_by_cause(n, horizon)
    if category:  # a study that counts only one kind of failure (e.g. BLOOM: GPU failures)
        rates = {c.id: rates[c.id] for c in fm.causes if c.category == category}
    lam = float(sum(rates.values()))
    mttf_h = 1.0 / lam / SECONDS_PER_HOUR
    predicted = lam * horizon if metric == "unexpected_interruptions" else mttf_h
    top = sorted(rates.items(), key=lambda kv: -float(kv[1]))[:6]
    return RowResult(
        id=row.id,
        metric=metric,
        measured=measured,
        predicted=predicted,
        tolerance=tolerance,
        chosen={
            "topology": fm.topology.id,
            "site": site,
            "generation_factor": fm.generation_multiplier,
            "category": category or "all",
        },
        detail={
            "interruptions_by_cause": {k: float(v) * horizon for k, v in top},
            "job_mttf_h": mttf_h,
            "devices": {k: float(v) for k, v in fm.topology.counts(n).items()},
        },
    )
