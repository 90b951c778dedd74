"""`gigawatt serve`: best serving configurations of a model on one or more accelerators at an
SLO, ranked by throughput per GPU or by cost per token, and the accelerators a demand needs."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

import typer

from gigawatt.commands._shared import (
    ACCELERATOR,
    JSON_HELP,
    OLD_ACCELERATOR,
    accepting,
    flags_for_fields,
    looked_up,
)
from gigawatt.console import emit_json, friendly, out
from gigawatt.errors import InputError, Problem
from gigawatt.units import UNITS

if TYPE_CHECKING:
    import pandas as pd
    from rich.table import Table

    from gigawatt.catalog import Catalog

COST_NOTE = "a 1,024-GPU reference cluster over 4 years"
PRECISIONS = ("bf16", "fp16", "fp8", "int8", "int4")
_MS = UNITS["ms"][0]
_DAY_S = UNITS["day"][0]
LOW_LIKELY_HIGH = (("_low", 0), ("", 1), ("_high", 2))

# flag -> (lowest value, whether the lowest value itself is allowed)
LOWEST = {
    "--ttft-ms": (0.0, False),
    "--tpot-ms": (0.0, False),
    "--input-tokens": (1.0, True),
    "--output-tokens": (1.0, True),
    "--requests-per-user-per-day": (0.0, False),
    "--users": (0.0, False),
    "--peak-to-mean": (1.0, True),
    "--headroom": (0.0, True),
}
SERVE_FLAGS = {"model": "--model", "rank": "--rank", "slo": "--ttft-ms/--tpot-ms"}
SERVE_ALIASES = {
    **OLD_ACCELERATOR,
    "--input-len": "--input-tokens",
    "--output-len": "--output-tokens",
    "--weights": "--precision",
    "--requests-per-user": "--requests-per-user-per-day",
}


@dataclass(frozen=True)
class Query:
    """What ``gigawatt serve`` was asked: the model, the accelerators to compare, the SLO,
    the request lengths, the weight precisions to try and how to rank."""

    model: str
    accelerators: list[str]
    ttft_ms: float
    tpot_ms: float
    input_tokens: float
    output_tokens: float
    precisions: list[str]
    rank: str
    top: int

    def slo_s(self) -> tuple[float, float]:
        return self.ttft_ms * _MS, self.tpot_ms * _MS


@dataclass(frozen=True)
class Demand:
    """The service a fleet is sized for: daily users, requests each, diurnal peak, spare."""

    users: float
    requests_per_user_per_day: float
    peak_to_mean: float
    headroom: float

    def peak_requests_per_s(self) -> float:
        return self.users * self.requests_per_user_per_day / _DAY_S * self.peak_to_mean


def _range_text(r: dict[str, Any]) -> str:
    lo, mid, hi = (float(r[f"usd_per_million_tokens{s}"]) for s, _ in LOW_LIKELY_HIGH)
    if not math.isfinite(mid):
        return "unpriced"
    return f"{mid:.3g} [{lo:.2g}–{hi:.2g}]"


def _split(text: str) -> list[str]:
    return [w.strip() for w in text.split(",") if w.strip()]


def _problems(q: Query, demand: Demand | None, precision: str) -> list[Problem]:
    """Range checks of the numeric options and of the choices, one problem per flag."""
    from gigawatt.fleet import RANKS

    values = {
        "--ttft-ms": q.ttft_ms,
        "--tpot-ms": q.tpot_ms,
        "--input-tokens": q.input_tokens,
        "--output-tokens": q.output_tokens,
    }
    if demand is not None:
        values |= {
            "--users": demand.users,
            "--requests-per-user-per-day": demand.requests_per_user_per_day,
            "--peak-to-mean": demand.peak_to_mean,
            "--headroom": demand.headroom,
        }
    problems = []
    for flag, value in values.items():
        low, low_allowed = LOWEST[flag]
        if not math.isfinite(value) or value < low or (value == low and not low_allowed):
            rule = f"{'>=' if low_allowed else '>'} {low:g}"
            problems.append(Problem("serve", flag, f"{value:g} out of range (allowed: {rule})"))
    if q.rank not in RANKS:
        allowed = ", ".join(RANKS)
        problems.append(Problem("serve", "--rank", f"{q.rank!r} not allowed (allowed: {allowed})"))
    if q.top < 1:
        problems.append(Problem("serve", "--top", f"{q.top} out of range (allowed: >= 1)"))
    bad_precisions = [w for w in q.precisions if w not in PRECISIONS]
    if bad_precisions or not q.precisions:
        allowed = ", ".join(PRECISIONS)
        message = f"{precision!r}: {bad_precisions} not allowed ({allowed})"
        problems.append(Problem("serve", "--precision", message))
    if not q.accelerators:
        problems.append(Problem("serve", "--accelerator", "give at least one accelerator id"))
    return problems


def _configurations(
    q: Query, cat: Catalog
) -> tuple[str, pd.DataFrame, dict[str, tuple[float, float, float] | None]]:
    """The model's name, every configuration meeting the SLO on every accelerator (with cost
    columns), and each accelerator's all-in USD per GPU-hour range."""
    import pandas as pd

    from gigawatt.economics import add_cost_columns, usd_per_gpu_hour_range
    from gigawatt.fleet import serving_configs
    from gigawatt.perf.system import get_system
    from gigawatt.workload import get_model

    m = looked_up("serve", "--model", q.model, lambda i: get_model(i, cat))
    lengths = (q.input_tokens, q.output_tokens)
    tables = []
    cost_of: dict[str, tuple[float, float, float] | None] = {}
    for acc in q.accelerators:
        system = looked_up("serve", "--accelerator", acc, lambda i: get_system(i, cat))
        configs = serving_configs(
            m, system, *lengths, *q.slo_s(), tuple(q.precisions), where="serve"
        )
        cost_of[acc] = usd_per_gpu_hour_range(acc, cat)
        tables.append(add_cost_columns(configs, cost_of[acc]))
    return m.name, pd.concat(tables, ignore_index=True), cost_of


def _fleet(
    top_row: dict[str, Any],
    demand: Demand,
    output_tokens: float,
    gpu_hour_usd: tuple[float, float, float] | None,
) -> dict[str, float | str]:
    """Replicas and accelerators the best configuration needs for the demand, and what the
    fleet costs per million output tokens at its diurnal mean load."""
    from gigawatt.economics import usd_per_million_tokens

    peak = demand.peak_requests_per_s()
    replicas = math.ceil(math.ceil(peak / float(top_row["requests_per_s"])) * (1 + demand.headroom))
    n_acc = replicas * int(top_row["gpus_per_replica"])
    fleet: dict[str, float | str] = {
        "accelerator": str(top_row["accelerator"]),
        "daily_active_users": demand.users,
        "peak_requests_per_s": peak,
        "replicas": replicas,
        "accelerators": n_acc,
    }
    if gpu_hour_usd is not None:
        mean_tps = peak / demand.peak_to_mean * output_tokens
        for suffix, i in LOW_LIKELY_HIGH:
            fleet[f"fleet_usd_per_million_tokens{suffix}"] = float(
                usd_per_million_tokens(mean_tps, n_acc, gpu_hour_usd[i])
            )
    return fleet


@friendly
@flags_for_fields("serve", SERVE_FLAGS)
def serve(
    model: Annotated[str, typer.Option(help="catalog model id, e.g. llama3-70b")],
    accelerator: Annotated[
        str, typer.Option(*ACCELERATOR, help="accelerator id(s), comma-separated to compare")
    ] = "h200",
    ttft_ms: Annotated[float, typer.Option(help="p99 time to first token")] = 2000.0,
    tpot_ms: Annotated[float, typer.Option(help="p50 time per output token")] = 50.0,
    input_tokens: Annotated[float, typer.Option(help="mean prompt length")] = 1000.0,
    output_tokens: Annotated[float, typer.Option(help="mean output length")] = 300.0,
    precision: Annotated[
        str, typer.Option(help="weight precisions to try, comma-separated")
    ] = "bf16,fp8,int4",
    rank: Annotated[
        str, typer.Option(help="throughput (tokens/s per GPU) or cost (USD per M tokens)")
    ] = "throughput",
    users: Annotated[float | None, typer.Option(help="daily active users")] = None,
    requests_per_user_per_day: Annotated[float, typer.Option(help="requests a user sends")] = 10.0,
    peak_to_mean: Annotated[float, typer.Option(help="diurnal peak / mean load")] = 1.5,
    headroom: Annotated[float, typer.Option(help="spare capacity share")] = 0.2,
    top: Annotated[int, typer.Option(help="configurations to show")] = 8,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """Best serving configurations of a model that meet the SLO.

    A configuration is (TP, PP, EP, precision, concurrency); ranked by output tokens/s per
    GPU or by USD per million output tokens (all-in USD/GPU-hour from the economics stage:
    annualised capex plus energy and other opex at the catalog's default prices)."""
    from gigawatt.catalog import load_catalog
    from gigawatt.fleet import rank_configs

    accelerators, precisions = _split(accelerator), _split(precision.lower())
    q = Query(
        model, accelerators, ttft_ms, tpot_ms, input_tokens, output_tokens, precisions, rank, top
    )
    demand = None
    if users is not None:
        demand = Demand(users, requests_per_user_per_day, peak_to_mean, headroom)
    problems = _problems(q, demand, precision)
    if problems:
        raise InputError(problems)
    name, configs, cost_of = _configurations(q, load_catalog())
    ranked = rank_configs(configs, rank, "serve")
    best = ranked.head(top).to_dict("records")
    fleet: dict[str, float | str] = {}
    if demand is not None:
        top_row = ranked.iloc[0].to_dict()
        fleet = _fleet(top_row, demand, output_tokens, cost_of[str(top_row["accelerator"])])
    if as_json:
        emit_json(_serving_dict(q, cost_of, best, fleet))
        return
    _print_serving(q, name, best, fleet, demand)


def _serving_dict(
    q: Query,
    cost_of: dict[str, tuple[float, float, float] | None],
    best: list[dict[str, Any]],
    fleet: dict[str, float | str],
) -> dict[str, Any]:
    return {
        "model": q.model,
        "gpu": q.accelerators[0] if len(q.accelerators) == 1 else q.accelerators,
        "rank": q.rank,
        "ttft_p99_s": q.slo_s()[0],
        "tpot_p50_s": q.slo_s()[1],
        "usd_per_gpu_hour": {
            g: None if c is None else {"low": c[0], "likely": c[1], "high": c[2]}
            for g, c in cost_of.items()
        },
        "configurations": best,
        "demand": fleet or None,
    }


def _print_serving(
    q: Query,
    name: str,
    best: list[dict[str, Any]],
    fleet: dict[str, float | str],
    demand: Demand | None,
) -> None:
    title = (
        f"{name} on {', '.join(q.accelerators)}: p99 TTFT <= {q.ttft_ms:g} ms, p50 TPOT <= "
        f"{q.tpot_ms:g} ms ({q.input_tokens:g} -> {q.output_tokens:g} tokens), "
        f"ranked by {q.rank}"
    )
    out.print(_configs_table(title, best, len(q.accelerators) > 1))
    out.print(
        "USD per million output tokens at sustained load: all-in USD/GPU-hour (annualised "
        f"capex + energy and opex at catalog default prices, {COST_NOTE}) / output tokens "
        "per GPU-hour."
    )
    if fleet and demand is not None:
        out.print(_fleet_line(fleet, demand))


def _configs_table(title: str, rows: list[dict[str, Any]], with_accelerator: bool) -> Table:
    from rich.table import Table

    cols = ["GPU"] if with_accelerator else []
    cols += ["TP", "PP", "EP", "GPUs", "weights", "KV", "concurrency", "tok/s/GPU", "tok/s"]
    cols += ["TTFT p99 ms", "TPOT p50 ms", "USD/M tok (range)"]
    t = Table(title=title)
    for col in cols:
        t.add_column(col, justify="right")
    for r in rows:
        cells = [str(r["accelerator"])] if with_accelerator else []
        cells += [str(r[k]) for k in ("tp", "pp", "ep", "gpus_per_replica")]
        cells += [r["weights"], r["kv_cache"], str(r["concurrency"])]
        cells += [f"{r['tokens_per_s_per_gpu']:,.0f}", f"{r['tokens_per_s']:,.0f}"]
        cells += [f"{r['ttft_p99_s'] / _MS:,.0f}", f"{r['tpot_p50_s'] / _MS:.1f}"]
        t.add_row(*cells, _range_text(r))
    return t


def _fleet_line(fleet: dict[str, float | str], demand: Demand) -> str:
    line = (
        f"{demand.users:,.0f} daily users x {demand.requests_per_user_per_day:g} requests: "
        f"peak {float(fleet['peak_requests_per_s']):,.0f} req/s -> {fleet['replicas']:,} "
        f"replicas = {fleet['accelerators']:,} x {fleet['accelerator']} "
        f"(headroom {demand.headroom:.0%})"
    )
    if "fleet_usd_per_million_tokens" in fleet:
        lo, mid, hi = (float(fleet[f"fleet_usd_per_million_tokens{s}"]) for s, _ in LOW_LIKELY_HIGH)
        line += f"; fleet average USD {mid:.3g} per million output tokens [{lo:.2g}–{hi:.2g}]"
    return line


def register(app: typer.Typer) -> None:
    app.command("serve", cls=accepting(SERVE_ALIASES))(serve)
