"""Service demand: who asks how much of a served model, when, and at which latency target.

A :class:`ServiceDemand` is one product (e.g. ChatGPT on a given model): daily active users,
requests per user per day, prompt and answer lengths (lognormal: mean and coefficient of
variation, as measured for chat traffic by Wang et al. 2024, "BurstGPT", arXiv:2401.17644),
a diurnal peak-to-mean ratio, the SLOs (p99 TTFT, p50 TPOT) and growth per quarter. The
scenario section for services (scenarios/sections/serving.yaml) is a list of these.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from gigawatt.errors import InputError, Problem
from gigawatt.schema.serving import (
    FleetRun as FleetRun,
)
from gigawatt.schema.serving import (
    ServiceDemand as ServiceDemand,
)
from gigawatt.schema.serving import (
    ServingSection as ServingSection,
)
from gigawatt.units import DAY_S

SECONDS_PER_DAY = DAY_S








def parse_serving_section(data: Any, file: str = "<serving>") -> ServingSection:
    """Validate a ``serving:`` mapping; errors name the file and field and what is allowed."""
    try:
        return ServingSection.model_validate(data)
    except ValidationError as exc:
        problems = [
            Problem(file, ".".join(str(x) for x in err["loc"]) or "-", err["msg"])
            for err in exc.errors()
        ]
        raise InputError(problems) from None


def load_serving_section(path: str) -> ServingSection:
    """Read a YAML file holding a ``serving:`` section (e.g. scenarios/sections/serving.yaml)."""
    import yaml

    try:
        with open(path, encoding="utf-8") as fh:
            raw = yaml.safe_load(fh)
    except OSError as exc:
        raise InputError([Problem(path, "-", f"cannot read: {exc.strerror}")]) from None
    if not isinstance(raw, dict) or "serving" not in raw:
        raise InputError([Problem(path, "serving", "missing top-level `serving:` mapping")])
    return parse_serving_section(raw["serving"], path)
