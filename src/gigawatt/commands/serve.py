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


def _problems(values: dict[str, float], rank: str, top: int, precision: str) -> list[Problem]:
    """Range checks of the numeric options (``values``: flag -> value) and of the choices."""
    from gigawatt.fleet import RANKS

    problems = []
    for flag, value in values.items():
        low, low_allowed = LOWEST[flag]
        if not math.isfinite(value) or value < low or (value == low and not low_allowed):
            rule = f"{'>=' if low_allowed else '>'} {low:g}"
            problems.append(Problem("serve", flag, f"{value:g} out of range (allowed: {rule})"))
    if rank not in RANKS:
        allowed = ", ".join(RANKS)
        problems.append(Problem("serve", "--rank", f"{rank!r} not allowed (allowed: {allowed})"))
    if top < 1:
        problems.append(Problem("serve", "--top", f"{top} out of range (allowed: >= 1)"))
    bad_precisions = [w for w in _split(precision.lower()) if w not in PRECISIONS]
    if bad_precisions or not _split(precision):
        allowed = ", ".join(PRECISIONS)
        problems.append(
            Problem("serve", "--precision", f"{bad_precisions} not allowed ({allowed})")
        )
    return problems


def _configurations(
    model: str,
    accelerators: list[str],
    lengths: tuple[float, float],
    slo_s: tuple[float, float],
    precisions: list[str],
    cat: Catalog,
) -> tuple[str, pd.DataFrame, dict[str, tuple[float, float, float] | None]]:
    """The model's name, every configuration meeting the SLO on every accelerator (with cost
    columns), and each accelerator's all-in USD per GPU-hour range."""
    import pandas as pd

    from gigawatt.fleet import add_cost_columns, serving_configs, usd_per_gpu_hour_range
    from gigawatt.perf.system import get_system
    from gigawatt.workload import get_model

    m = looked_up("serve", "--model", model, lambda i: get_model(i, cat))
    tables = []
    cost_of: dict[str, tuple[float, float, float] | None] = {}
    for acc in accelerators:
        system = looked_up("serve", "--accelerator", acc, lambda i: get_system(i, cat))
        configs = serving_configs(m, system, *lengths, *slo_s, tuple(precisions), where="serve")
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

    values = {
        "--ttft-ms": ttft_ms,
        "--tpot-ms": tpot_ms,
        "--input-tokens": input_tokens,
        "--output-tokens": output_tokens,
        "--requests-per-user-per-day": requests_per_user_per_day,
        "--peak-to-mean": peak_to_mean,
        "--headroom": headroom,
        **({} if users is None else {"--users": users}),
    }
    problems = _problems(values, rank, top, precision)
    accelerators = _split(accelerator)
    if not accelerators:
        problems.append(Problem("serve", "--accelerator", "give at least one accelerator id"))
    if problems:
        raise InputError(problems)
    cat = load_catalog()
    precisions = _split(precision.lower())
    slo_s = (ttft_ms * _MS, tpot_ms * _MS)
    name, configs, cost_of = _configurations(
        model, accelerators, (input_tokens, output_tokens), slo_s, precisions, cat
    )
    df = rank_configs(configs, rank, "serve")
    best = df.head(top)
    fleet: dict[str, float | str] = {}
    if users is not None:
        demand = Demand(users, requests_per_user_per_day, peak_to_mean, headroom)
        top_row = df.iloc[0].to_dict()
        fleet = _fleet(top_row, demand, output_tokens, cost_of[str(top_row["accelerator"])])
    if as_json:
        emit_json(
            {
                "model": model,
                "gpu": accelerators[0] if len(accelerators) == 1 else accelerators,
                "rank": rank,
                "ttft_p99_s": slo_s[0],
                "tpot_p50_s": slo_s[1],
                "usd_per_gpu_hour": {
                    g: None if c is None else {"low": c[0], "likely": c[1], "high": c[2]}
                    for g, c in cost_of.items()
                },
                "configurations": best.to_dict("records"),
                "demand": fleet or None,
            }
        )
        return
    title = (
        f"{name} on {', '.join(accelerators)}: p99 TTFT <= {ttft_ms:g} ms, p50 TPOT <= "
        f"{tpot_ms:g} ms ({input_tokens:g} -> {output_tokens:g} tokens), ranked by {rank}"
    )
    out.print(_configs_table(title, best.to_dict("records"), len(accelerators) > 1))
    out.print(
        "USD per million output tokens at sustained load: all-in USD/GPU-hour (annualised "
        f"capex + energy and opex at catalog default prices, {COST_NOTE}) / output tokens "
        "per GPU-hour."
    )
    if fleet:
        out.print(_fleet_line(fleet, requests_per_user_per_day, headroom))


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


def _fleet_line(fleet: dict[str, float | str], requests: float, headroom: float) -> str:
    line = (
        f"{float(fleet['daily_active_users']):,.0f} daily users x {requests:g} requests: peak "
        f"{float(fleet['peak_requests_per_s']):,.0f} req/s -> {fleet['replicas']:,} "
        f"replicas = {fleet['accelerators']:,} x {fleet['accelerator']} "
        f"(headroom {headroom:.0%})"
    )
    if "fleet_usd_per_million_tokens" in fleet:
        lo, mid, hi = (float(fleet[f"fleet_usd_per_million_tokens{s}"]) for s, _ in LOW_LIKELY_HIGH)
        line += f"; fleet average USD {mid:.3g} per million output tokens [{lo:.2g}–{hi:.2g}]"
    return line


def register(app: typer.Typer) -> None:
    app.command("serve", cls=accepting(SERVE_ALIASES))(serve)
