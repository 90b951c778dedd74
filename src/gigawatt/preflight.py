"""Pre-flight: what ``gigawatt run`` would reject, found before planning, with file and line.

``load_scenario`` calls ``preflight`` after the schema and catalog references pass, so
``gigawatt check`` and ``gigawatt run`` accept exactly the same files: a currency the catalog
does not know, a price override that does not fit its item, an accelerator whose servers,
power or price the plan cannot find, and a training run at a fixed GPU count that no parallel
plan fits, a service whose SLO no serving configuration meets — each names the field and
line that causes it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from gigawatt.catalog import Catalog
from gigawatt.errors import GigawattError, Problem
from gigawatt.yamlio import field_path, line_of

if TYPE_CHECKING:
    from gigawatt.demand import ServiceDemand
    from gigawatt.economics import PriceBook
    from gigawatt.perf.system import System
    from gigawatt.scenario import Scenario
    from gigawatt.workload import TransformerModel

Loc = tuple[str | int, ...]
Lines = dict[Loc, int]
# the service field a serving-search problem points at (others: the model)
SERVICE_FIELD_OF = {
    "slo": "ttft_p99_s",
    "disaggregation": "disaggregation",
    "prefix_cache_hit_rate": "prefix_cache_hit_rate",
}


def _problems(exc: GigawattError, file: str, loc: Loc, lines: Lines) -> list[Problem]:
    return [Problem(file, field_path(loc), p.message, line_of(lines, loc)) for p in exc.problems]


def _accelerator_uses(scenario: Scenario) -> Iterator[tuple[Loc, str]]:
    for i, run in enumerate(scenario.training):
        yield ("training", i, "accelerator"), run.accelerator
    if scenario.serving is not None:
        for i, svc in enumerate(scenario.serving.services):
            yield ("serving", "services", i, "accelerator"), svc.accelerator
    if scenario.supply is not None:
        for i, dep in enumerate(scenario.supply.schedule):
            yield ("supply", "schedule", i, "accelerator"), dep.accelerator


def _price_book(
    scenario: Scenario, catalog: Catalog, file: str, lines: Lines, problems: list[Problem]
) -> PriceBook | None:
    """The scenario's price book (currency and overrides checked), or None if they fail."""
    from gigawatt.economics import load_price_book

    book = load_price_book(catalog)
    econ = scenario.economics
    if econ is None:
        return book
    try:
        book.currency(econ.currency)
    except GigawattError as exc:
        problems += _problems(exc, file, ("economics", "currency"), lines)
    if econ.budget is not None:
        try:
            book.currency(econ.budget.currency)
        except GigawattError as exc:
            problems += _problems(exc, file, ("economics", "budget", "currency"), lines)
    try:
        return book.with_overrides(econ.prices, econ.wacc)
    except GigawattError as exc:
        for p in exc.problems:
            item = p.field.split(".")[0]
            loc: Loc = ("economics", "prices", item) if item in econ.prices else ("economics",)
            problems.append(Problem(file, field_path(loc), p.message, line_of(lines, loc)))
        return None


def _check_accelerators(
    scenario: Scenario,
    catalog: Catalog,
    book: PriceBook | None,
    file: str,
    lines: Lines,
) -> list[Problem]:
    """Each accelerator must have a server, an IT power and (for economics) a price."""
    from gigawatt.bom import build_line

    problems: list[Problem] = []
    for loc, acc in _accelerator_uses(scenario):
        try:
            build_line(acc, acc, 1.0, catalog)
            if book is not None:
                book.compute_item(acc, where="accelerator").unit_price()
        except GigawattError as exc:
            problems += _problems(exc, file, loc, lines)
    return problems


def _check_deadline(
    scenario: Scenario, i: int, catalog: Catalog, file: str, lines: Lines
) -> list[Problem]:
    """A run with a deadline must have a cluster that meets it. Failures only lengthen a run,
    so a deadline no cluster meets without failures is missed by ``run`` too (the converse,
    a deadline met only without failures, is left to ``run``: it needs the reliability model
    at every cluster size)."""
    from gigawatt.perf.system import get_system
    from gigawatt.training_plan import plan_training_run

    run = scenario.training[i]
    try:
        model = scenario.resolve_model(run, catalog)
        system = get_system(run.accelerator, catalog, oversubscription=run.oversubscription)
        plan_training_run(run, model, system, catalog)
    except GigawattError as exc:
        loc: Loc = ("training", i, "deadline_days")
        return [
            Problem(file, field_path(loc), p.message, line_of(lines, loc)) for p in exc.problems
        ]
    return []


def _check_training(scenario: Scenario, catalog: Catalog, file: str, lines: Lines) -> list[Problem]:
    """A run at a fixed GPU count must have a feasible parallel plan (the search is cheap)."""
    from gigawatt.perf.search import search
    from gigawatt.perf.system import get_system
    from gigawatt.training_plan import default_global_batch

    problems: list[Problem] = []
    for i, run in enumerate(scenario.training):
        if run.gpus is None:
            problems += _check_deadline(scenario, i, catalog, file, lines)
            continue
        try:
            model = scenario.resolve_model(run, catalog)
            seq = run.seq_len or model.seq_len
            system = get_system(run.accelerator, catalog, oversubscription=run.oversubscription)
            # memory never grows with full recompute and one sequence per micro-batch, so if
            # no plan fits with them none fits at all: the pre-flight searches only those
            frugal = {"recompute": "full", "micro_batch": 1}
            fixed = {**frugal, **(run.plan.as_fixed() if run.plan else {})}
            gbs = run.global_batch or default_global_batch(seq)
            search(
                model.with_(seq_len=seq), system, run.gpus, gbs, seq, run.precision, fixed
            ).best()
        except GigawattError as exc:
            problems += _problems(exc, file, ("training", i, "gpus"), lines)
    return problems


def _reachable_at_one(
    model: TransformerModel, system: System, svc: ServiceDemand, weights: tuple[str, ...]
) -> bool:
    """Whether one of the search's own options (``fleet.serving_candidates``: layouts,
    precisions, co-located and/or disaggregated as the service allows, its prefix hit rate),
    serving one request at a time per replica or unit, fits and meets the SLO: ~1/30 of
    the serving search (``fleet.slo_reachable``: the same test, without a table)."""
    from gigawatt.fleet import service_options, slo_reachable

    return slo_reachable(
        model,
        system,
        svc.input_tokens_mean,
        svc.output_tokens_mean,
        weights,
        svc.ttft_p99_s,
        svc.tpot_p50_s,
        concurrencies=(1.0,),
        **service_options(svc),
    )


def serving_problems(
    scenario: Scenario, catalog: Catalog, file: str, lines: Lines
) -> list[Problem]:
    """Each service's model must fit its accelerator and its SLO be reachable.

    The serving model's tail latencies need SciPy: it is imported here, only for a scenario
    with services (``check`` of one without pays nothing); the quick test reads the
    search's candidates without pandas, which only the full search below needs.

    The full serving search (every layout, precision and concurrency) takes seconds for a
    large MoE model. The search's grid includes concurrency 1 and the quick test draws its
    options from the same function (co-located and disaggregated alike), so a configuration
    at concurrency 1 that fits and meets the SLO proves the search finds one (a sufficient
    test, cheap); only when there is none is the full search run, so ``check`` rejects
    exactly what ``run`` rejects, with the search's own message."""
    services = scenario.serving.services if scenario.serving is not None else []
    if not services:
        return []
    from gigawatt.fleet import service_options, serving_configs
    from gigawatt.perf.system import get_system
    from gigawatt.workload import get_model

    problems: list[Problem] = []
    for i, svc in enumerate(services):
        loc: Loc = ("serving", "services", i)
        weights = svc.precisions
        try:
            model = get_model(svc.model, catalog)
            system = get_system(svc.accelerator, catalog)
            if _reachable_at_one(model, system, svc, weights):
                continue
            serving_configs(
                model,
                system,
                svc.input_tokens_mean,
                svc.output_tokens_mean,
                svc.ttft_p99_s,
                svc.tpot_p50_s,
                weights,
                **service_options(svc),
            )
        except GigawattError as exc:
            for p in exc.problems:
                at: Loc = (*loc, SERVICE_FIELD_OF.get(p.field, "model"))
                problems.append(Problem(file, field_path(at), p.message, line_of(lines, at)))
    return problems


def _check_budget(scenario: Scenario, file: str, lines: Lines) -> list[Problem]:
    """``budget.cut_priority`` may name only the tranches a plan funds: its sites, the
    unsited build-out and the operations."""
    from gigawatt.schema.economics import budget_tranche_names, scenario_site_ids

    budget = scenario.economics.budget if scenario.economics is not None else None
    if budget is None:
        return []
    known = budget_tranche_names(scenario_site_ids(scenario))
    problems: list[Problem] = []
    for i, name in enumerate(budget.cut_priority):
        if name not in known:
            loc: Loc = ("economics", "budget", "cut_priority", i)
            message = f"unknown tranche {name!r}; allowed: one of {known}"
            problems.append(Problem(file, field_path(loc), message, line_of(lines, loc)))
    return problems


def preflight(scenario: Scenario, catalog: Catalog, file: str, lines: Lines) -> list[Problem]:
    """Every problem ``run`` would meet before it plans, each with its field and line."""
    problems: list[Problem] = []
    book = _price_book(scenario, catalog, file, lines, problems)
    problems += _check_accelerators(scenario, catalog, book, file, lines)
    problems += _check_training(scenario, catalog, file, lines)
    problems += _check_budget(scenario, file, lines)
    problems += serving_problems(scenario, catalog, file, lines)
    return problems
