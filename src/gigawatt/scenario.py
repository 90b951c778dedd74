"""Scenario files: what to plan (workloads, hardware, horizon), validated by pydantic.

A bad file gets one message per problem naming the file, line, field and what is allowed.
Units at this edge: tokens as plain numbers (``15.6e12``), durations in days.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator
from pydantic.fields import FieldInfo

from gigawatt.catalog import Catalog, load_catalog
from gigawatt.demand import ServingSection
from gigawatt.economics import EconomicsSection
from gigawatt.errors import CatalogError, Problem, ScenarioError
from gigawatt.facility.plan import FacilitySection
from gigawatt.limits import (
    MAX_ACCELERATORS,
    MAX_DAYS,
    MAX_GLOBAL_BATCH,
    MAX_LAYERS,
    MAX_SEQ_LEN,
    MAX_TOKENS,
    MAX_WIDTH,
    MAX_YEAR,
    MIN_YEAR,
)
from gigawatt.perf.execution import PlannedRecompute
from gigawatt.reliability import ReliabilitySection
from gigawatt.schema import Strict
from gigawatt.supply.schedule import SupplySection
from gigawatt.workload import TransformerModel, get_model, model_from_mapping
from gigawatt.yamlio import field_path, line_of, load_yaml_with_lines

Width = Annotated[int, Field(ge=1, le=MAX_WIDTH)]
Gpus = Annotated[int, Field(ge=1, le=MAX_ACCELERATORS)]
# names a report may call the programme by ("Stargate-Projekt", "National AI Computing Center")
MAX_ALIASES = 20
Alias = Annotated[str, Field(min_length=2, max_length=80)]


class InlineModel(Strict):
    """A model architecture given in the scenario instead of a catalog id."""

    name: str = "inline"
    n_layers: Annotated[int, Field(ge=1, le=MAX_LAYERS)]
    d_model: Width
    n_heads: Width
    n_kv_heads: Width | None = None
    d_ff: Width | None = None
    ffn: Literal["gelu", "swiglu"] = "swiglu"
    vocab_size: Width
    seq_len: Annotated[int, Field(ge=1, le=MAX_SEQ_LEN)] = 4096
    tied_embeddings: bool = False
    moe: dict[str, Annotated[int, Field(ge=0, le=MAX_WIDTH)] | None] | None = None
    source: str = "scenario file"


class FixedPlan(Strict):
    """Parallel-plan fields to keep fixed; the search chooses the others."""

    tp: Gpus | None = None
    pp: Gpus | None = None
    dp: Gpus | None = None
    cp: Gpus | None = None
    ep: Gpus | None = None
    vpp: Annotated[int, Field(ge=1, le=MAX_LAYERS)] | None = None
    micro_batch: Annotated[int, Field(ge=1, le=MAX_GLOBAL_BATCH)] | None = None
    recompute: PlannedRecompute | None = None
    sequence_parallel: bool | None = None
    zero: Annotated[int, Field(ge=0, le=3)] | None = None

    def as_fixed(self) -> dict[str, Any]:
        return {k: v for k, v in self.model_dump().items() if v is not None}


class TrainingRun(Strict):
    """One training run: a model, its token budget, the accelerator, and a GPU count or a
    deadline (then the smallest cluster that meets it is found)."""

    name: str
    model: str | InlineModel
    tokens: Annotated[float, Field(gt=0, le=MAX_TOKENS, description="tokens to train")]
    accelerator: str
    gpus: Gpus | None = None
    deadline_days: Annotated[float, Field(gt=0, le=MAX_DAYS)] | None = None
    global_batch: Annotated[int, Field(ge=1, le=MAX_GLOBAL_BATCH)] | None = Field(
        None, description="sequences per step; default: about 4M tokens"
    )
    seq_len: Annotated[int, Field(ge=1, le=MAX_SEQ_LEN)] | None = None
    precision: Literal["bf16", "fp16", "fp8"] = "bf16"
    oversubscription: Annotated[float, Field(ge=1.0, le=16.0)] = Field(
        1.0, description="scale-out fabric oversubscription (1 = non-blocking)"
    )
    plan: FixedPlan | None = None
    source: str | None = None

    @model_validator(mode="after")
    def _gpus_or_deadline(self) -> TrainingRun:
        if self.gpus is None and self.deadline_days is None:
            raise ValueError("give either gpus (cluster size) or deadline_days")
        return self


class Partner(Strict):
    """A party of the programme and its reported role."""

    name: str
    role: str
    source: str = ""


class Scenario(Strict):
    """A planning scenario. Later stages (serving, sites, prices) add sections."""

    name: str
    description: str = ""
    aliases: list[Alias] = Field(
        default_factory=list,
        max_length=MAX_ALIASES,
        description="other names of the programme in reports (2-80 characters each, at most 20)",
    )
    sources: list[str] = Field(default_factory=list)
    partners: list[Partner] = Field(default_factory=list)
    training: list[TrainingRun] = Field(default_factory=list)
    start_quarter: str = Field("2026Q1", pattern=r"^\d{4}Q[1-4]$", description="first quarter")
    reliability: ReliabilitySection | None = Field(
        None, description="how the fleet is run: failures, checkpoints, restarts, spares"
    )
    serving: ServingSection | None = Field(None, description="services and their demand")
    supply: SupplySection | None = Field(None, description="build-out schedule, capacity")
    facility: FacilitySection | None = Field(None, description="sites, cooling, power")
    economics: EconomicsSection | None = Field(None, description="prices, WACC, budget")

    @field_validator("start_quarter")
    @classmethod
    def _start_year(cls, v: str) -> str:
        if not MIN_YEAR <= int(v[:4]) <= MAX_YEAR:
            raise ValueError(f"the year must be in {MIN_YEAR}..{MAX_YEAR}, got {v}")
        return v

    def resolve_model(self, run: TrainingRun, catalog: Catalog | None = None) -> TransformerModel:
        if isinstance(run.model, InlineModel):
            return model_from_mapping(run.model.model_dump(), run.name)
        return get_model(run.model, catalog)


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside an annotation (``X | None``, ``list[X]``, ...), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _section(loc: tuple[str | int, ...]) -> type[BaseModel] | None:
    """The schema class that owns the field at ``loc`` (for listing allowed fields)."""
    owner: type[BaseModel] | None = Scenario
    for name in loc[:-1]:
        if isinstance(name, int) or owner is None:
            continue
        field = owner.model_fields.get(name)
        owner = _model_in(field.annotation) if field is not None else None
    return owner


def _allowed(err: dict[str, Any], loc: tuple[str | int, ...]) -> str:
    """Say what is wrong and what is allowed, in words, for a pydantic error."""
    kind = err.get("type", "")
    if kind == "extra_forbidden":
        owner = _section(loc)
        fields = ", ".join(owner.model_fields) if owner else "see the schema"
        return f"unknown field (allowed fields: {fields})"
    if kind == "missing":
        return "required field is missing"
    if kind in _BOUND_KINDS:
        bound = ", ".join(_BOUND_WORDS[k].format(f"{v:g}") for k, v in err.get("ctx", {}).items())
        given = err.get("input")
        return (
            f"{err.get('msg', 'out of range')}; got {given!r}; allowed: {_range_of(loc) or bound}"
        )
    given = err.get("input")
    if kind.endswith("_parsing") and isinstance(given, str) and given.lower() in _YAML11_BOOLS:
        return f"{err.get('msg', 'invalid')}; got {given!r}, which is text, not a number"
    return str(err.get("msg", "invalid"))


_YAML11_BOOLS = frozenset({"yes", "no", "on", "off", "y", "n"})
_BOUND_KINDS = frozenset({"greater_than", "greater_than_equal", "less_than", "less_than_equal"})
_BOUND_WORDS = {"gt": "{} < x", "ge": "{} <= x", "lt": "x < {}", "le": "x <= {}"}


def _constraints(annotation: Any, metadata: list[Any]) -> dict[str, str]:
    """The bounds (``ge: "1 <= x"``) in a field's metadata and in ``Annotated`` in a union."""
    found = {
        name: _BOUND_WORDS[name].format(f"{getattr(m, name):g}")
        for m in metadata
        for name in _BOUND_WORDS
        if getattr(m, name, None) is not None
    }
    for m in metadata:
        if isinstance(m, FieldInfo):
            found |= _constraints(None, list(m.metadata))
    for arg in get_args(annotation):
        found |= _constraints(arg, list(getattr(arg, "__metadata__", ())))
    return found


def _range_of(loc: tuple[str | int, ...]) -> str:
    """Both bounds of the numeric field at ``loc`` (``0 < x <= 100``), or '' if unknown."""
    owner = _section(loc)
    name = loc[-1] if loc else None
    field = owner.model_fields.get(name) if owner and isinstance(name, str) else None
    if field is None:
        return ""
    found = _constraints(field.annotation, list(field.metadata))
    low = found.get("gt") or found.get("ge")
    high = found.get("lt") or found.get("le")
    if low and high:
        return low + high[1:]  # "0 <= x" + " <= 1e+08"
    return low or high or ""


def _bools_as_numbers(
    data: Any, validated: Any, loc: tuple[str | int, ...] = ()
) -> list[tuple[str | int, ...]]:
    """Where a YAML ``true``/``false`` became a number (pydantic reads True as 1 where a
    number is expected): the locations, by walking the input beside its validated dump."""
    if isinstance(data, bool):
        is_number = isinstance(validated, (int, float)) and not isinstance(validated, bool)
        return [loc] if is_number else []
    found: list[tuple[str | int, ...]] = []
    if isinstance(data, dict) and isinstance(validated, dict):
        for key, value in data.items():
            if key in validated:
                found += _bools_as_numbers(value, validated[key], (*loc, key))
    elif isinstance(data, list) and isinstance(validated, list) and len(data) == len(validated):
        for i, (value, out) in enumerate(zip(data, validated, strict=True)):
            found += _bools_as_numbers(value, out, (*loc, i))
    return found


def _missing_size(
    data: dict[str, Any], file: str, lines: dict[tuple[str | int, ...], int]
) -> list[Problem]:
    """Runs with neither gpus nor deadline_days (pydantic skips this check when a run has
    other errors, so it is repeated on the raw data)."""
    problems = []
    runs = data.get("training")
    for i, run in enumerate(runs if isinstance(runs, list) else []):
        if isinstance(run, dict) and run.get("gpus") is None and run.get("deadline_days") is None:
            problems.append(
                Problem(
                    file,
                    f"training[{i}]",
                    "give either gpus (cluster size) or deadline_days",
                    line_of(lines, ("training", i)),
                )
            )
    return problems


def _check_references(
    scenario: Scenario, catalog: Catalog, file: str, lines: dict[tuple[str | int, ...], int]
) -> list[Problem]:
    problems: list[Problem] = []
    accelerators = catalog.kind("accelerators")
    models = catalog.kind("models")
    for i, run in enumerate(scenario.training):
        loc: tuple[str | int, ...] = ("training", i)
        if run.accelerator not in accelerators:
            problems.append(
                Problem(
                    file,
                    f"training[{i}].accelerator",
                    f"{run.accelerator!r} is not in the catalog "
                    f"(allowed: {', '.join(sorted(accelerators))})",
                    line_of(lines, (*loc, "accelerator")),
                )
            )
        if isinstance(run.model, str) and run.model not in models:
            problems.append(
                Problem(
                    file,
                    f"training[{i}].model",
                    f"{run.model!r} is not in the catalog (allowed: {', '.join(sorted(models))}, "
                    "or an inline mapping)",
                    line_of(lines, (*loc, "model")),
                )
            )
        elif isinstance(run.model, InlineModel):
            try:
                model_from_mapping(run.model.model_dump(), run.name)
            except CatalogError as exc:
                for p in exc.problems:
                    problems.append(
                        Problem(
                            file,
                            f"training[{i}].model.{p.field}",
                            p.message,
                            line_of(lines, (*loc, "model", p.field)),
                        )
                    )
    problems += _check_section_references(scenario, catalog, file, lines)
    return problems


def _check_section_references(
    scenario: Scenario, catalog: Catalog, file: str, lines: dict[tuple[str | int, ...], int]
) -> list[Problem]:
    """Catalog ids used by the serving, supply and facility sections must exist."""
    checks: list[tuple[tuple[str | int, ...], str, str]] = []  # (loc, kind, id)
    if scenario.serving is not None:
        for i, svc in enumerate(scenario.serving.services):
            checks.append((("serving", "services", i, "model"), "models", svc.model))
            checks.append(
                (("serving", "services", i, "accelerator"), "accelerators", svc.accelerator)
            )
    if scenario.supply is not None:
        for i, dep in enumerate(scenario.supply.schedule):
            checks.append(
                (("supply", "schedule", i, "accelerator"), "accelerators", dep.accelerator)
            )
    if scenario.facility is not None:
        for i, site in enumerate(scenario.facility.sites):
            checks.append((("facility", "sites", i, "site"), "sites", site.site))
            checks.append((("facility", "sites", i, "cooling"), "cooling", site.cooling))
            for k, block in enumerate(site.power):
                checks.append(
                    (("facility", "sites", i, "power", k, "source"), "power_sources", block.source)
                )
    problems = []
    for loc, kind, ident in checks:
        known = catalog.kind(kind) if kind in catalog.kinds else {}
        if ident not in known:
            field = ".".join(f"[{x}]" if isinstance(x, int) else str(x) for x in loc)
            problems.append(
                Problem(
                    file,
                    field.replace(".[", "["),
                    f"{ident!r} is not in the catalog (allowed: {', '.join(sorted(known))})",
                    line_of(lines, loc),
                )
            )
    return problems


def load_scenario(path: str | Path, catalog: Catalog | None = None) -> Scenario:
    """Load and validate a scenario; ScenarioError lists every problem with its line."""
    file = str(path)
    data, lines = load_yaml_with_lines(path)
    if not isinstance(data, dict):
        raise ScenarioError(
            [Problem(file, "-", "a scenario is a mapping with name: and training:", 1)]
        )
    try:
        scenario = Scenario.model_validate(data)
    except RecursionError:
        raise ScenarioError([Problem(file, "-", "nested too deeply to validate", 1)]) from None
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            if err["type"] == "string_type" and isinstance(err.get("input"), dict):
                continue  # a mapping given where the union also allows a catalog id
            loc = tuple(
                x for x in err["loc"] if not (isinstance(x, str) and x in ("str", "InlineModel"))
            )
            field = ".".join(f"[{x}]" if isinstance(x, int) else str(x) for x in loc).replace(
                ".[", "["
            )
            problems.append(
                Problem(file, field or "-", _allowed(dict(err), loc), line_of(lines, loc))
            )
        problems += _missing_size(data, file, lines)
        raise ScenarioError(_dedupe(problems)) from None
    problems = [
        Problem(
            file,
            field_path(loc),
            f"{str(_at(data, loc)).lower()} is a boolean; a number is expected here",
            line_of(lines, loc),
        )
        for loc in _bools_as_numbers(data, scenario.model_dump())
    ]
    cat = catalog or load_catalog()
    problems += _check_references(scenario, cat, file, lines)
    if not problems:  # what run would reject, once the references resolve
        from gigawatt.preflight import preflight

        problems += preflight(scenario, cat, file, lines)
    if problems:
        raise ScenarioError(problems)
    return scenario


def _at(data: Any, loc: tuple[str | int, ...]) -> Any:
    for key in loc:
        data = data[key]
    return data


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen: dict[str, Problem] = {}
    for p in problems:
        seen.setdefault(f"{p.field}|{p.message}", p)
    return list(seen.values())
