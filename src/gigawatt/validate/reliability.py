"""Reliability rows (reliability.csv): interruptions of a large training job or its MTTF."""

from __future__ import annotations

from gigawatt.catalog import Catalog
from gigawatt.reliability import COUNTS, SITE_TYPES, Conditions, failure_model, job_mixes
from gigawatt.units import UNITS
from gigawatt.validate.core import COMMON_RANGES, Range, Row, RowResult

SECONDS_PER_DAY = UNITS["day"][0]
SECONDS_PER_HOUR = UNITS["h"][0]

COLUMNS = frozenset({"gpu", "n_gpus", "days", "metric"})
METRICS = ("unexpected_interruptions", "job_mttf_h")

# What each metric describes when a row does not say (columns ``job_mix`` and ``counts``):
#   unexpected_interruptions  one training run's record over ``days`` (Llama 3 Table 5): a
#                             dedicated production run, every failure that stopped it;
#   job_mttf_h                the mean time to failure of jobs of ``n_gpus`` in a cluster's job
#                             log, every job failure counted: the published MTTF-by-job-size
#                             figures are research clusters' (Kokolis et al., arXiv:2410.21680).
# A single run's MTTF (a logbook) says ``job_mix`` explicitly; a hardware-attributed rate says
# ``counts=hardware``.
DEFAULT_JOB_MIX = {"unexpected_interruptions": "production", "job_mttf_h": "research"}

# Allowed conditions: fleet age and temperature as the failure model's conditions accept them
# (reliability.Conditions); jobs up to 2^24 GPUs (8x the largest cluster the sweeps span) and
# ten years long (the longest published runs last months).
RANGES: dict[str, Range] = {
    **COMMON_RANGES,
    "n_gpus": Range(1, 2**24, integer=True),
    "days": Range(0.0, 3652.5, low_inclusive=False),
    "fleet_age_years": Range(0.0, 30.0),
    "temperature_c": Range(-40.0, 150.0),
    "low": Range(0.0),
    "high": Range(0.0, low_inclusive=False),
}


def stated_tolerance(measured: float, predicted: float, low: float, high: float) -> float:
    """The relative error a row is judged at when the study states an interval [low, high]
    for its figure (a Poisson interval of a small count, a stated range): the distance from
    the measured value to the interval's end on the prediction's side, so an asymmetric
    interval (4 events: 1.1 to 10.2) judges an over- and an under-prediction each by its own
    end rather than by one symmetric figure."""
    return high / measured - 1.0 if predicted >= measured else 1.0 - low / measured


def failure_scope(counts: str, category: str | None) -> str:
    """What the row's figure counts, in words, as the validation table prints it."""
    what = "hardware-attributed failures" if counts == "hardware" else "every job failure"
    return f"{what}, {category} causes only" if category else what


def validate_reliability_row(row: Row, catalog: Catalog) -> RowResult:
    """Predict one reliability.csv row (unexpected interruptions or job MTTF) from component
    rates x device counts of the row's GPU type and job size.

    Optional columns: ``counts`` (``all`` failures, the default, or ``hardware``-attributed
    only), ``job_mix`` (``production`` or ``research``; default by metric, DEFAULT_JOB_MIX),
    ``site``, ``fleet_age_years`` and ``temperature_c`` (conditions), ``category`` (gpu,
    host, network, software, facility: only causes of that category) and ``low``/``high``
    (the study's stated interval of its figure; the row is then judged against it,
    ``stated_tolerance``, instead of ``tolerance``). The accelerator's generation multiplier
    (catalog ``type: generation``) always applies; ``chosen["scope"]`` says in words what the
    figure counts."""
    metric = row.raw("metric")
    if metric not in METRICS:
        raise row.fail("metric", f"{metric!r} not supported (allowed: {', '.join(METRICS)})")
    measured = row.req_float("value")
    tolerance = row.float_("tolerance", required=False)
    low = row.float_("low", required=False)
    high = row.float_("high", required=False)
    if (low is None) != (high is None):
        raise row.fail("low" if low is None else "high", "give both low and high, or neither")
    if low is not None and high is not None and not low <= measured <= high:
        raise row.fail("low", f"the interval [{low:g}, {high:g}] must contain value {measured:g}")
    gpu = row.raw("gpu")
    if gpu not in catalog.kind("accelerators"):
        known = ", ".join(sorted(catalog.kind("accelerators")))
        raise row.fail("gpu", f"{gpu!r} is not in the catalog (allowed: {known})")
    n = row.req_int("n_gpus")
    days = row.float_("days", required=metric == "unexpected_interruptions") or 1.0
    site = row.choice("site", SITE_TYPES, "land") or "land"
    counts = row.choice("counts", COUNTS, "all") or "all"
    mix = row.choice("job_mix", job_mixes(catalog)) or DEFAULT_JOB_MIX[metric]
    age = row.float_("fleet_age_years", required=False)
    temp = row.float_("temperature_c", required=False)
    cond = Conditions(site=site, fleet_age_years=age, temperature_c=temp, job_mix=mix)
    fm = failure_model(gpu, catalog, cond)
    categories = sorted({c.category for c in fm.causes})
    category = row.choice("category", tuple(categories))
    horizon = days * SECONDS_PER_DAY
    rates = fm.rates_by_cause(n, horizon, counts)
    if category:  # a study that counts only one kind of failure (e.g. BLOOM: GPU failures)
        rates = {c.id: rates[c.id] for c in fm.causes if c.category == category and c.id in rates}
    lam = float(sum(rates.values()))
    mttf_h = 1.0 / lam / SECONDS_PER_HOUR
    predicted = lam * horizon if metric == "unexpected_interruptions" else mttf_h
    top = sorted(rates.items(), key=lambda kv: -float(kv[1]))[:6]
    if low is not None and high is not None:
        tolerance = stated_tolerance(measured, predicted, low, high)
    return RowResult(
        id=row.id,
        metric=metric,
        measured=measured,
        predicted=predicted,
        tolerance=tolerance,
        chosen={
            "scope": failure_scope(counts, category),
            "counts": counts,
            "category": category or "all",
            "job_mix": mix,
            "job_mix_factor": fm.software_multiplier,
            "generation_factor": fm.generation_multiplier,
            "topology": fm.topology.id,
            "site": site,
        },
        detail={
            "stated_interval": None if low is None else [low, high],
            "interruptions_by_cause": {k: float(v) * horizon for k, v in top},
            "job_mttf_h": mttf_h,
            "devices": {k: float(v) for k, v in fm.topology.counts(n).items()},
        },
    )
