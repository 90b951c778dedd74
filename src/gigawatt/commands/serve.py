"""`gigawatt serve`: best serving configurations of a model on one or more accelerators at an
SLO, ranked by throughput per GPU or by cost per token, and the accelerators a demand needs."""

from __future__ import annotations

import math

import pandas as pd
import typer
from rich.table import Table

from gigawatt.console import emit_json, friendly, out
from gigawatt.errors import CatalogError, InputError, Problem


def _range_text(r: dict[str, object]) -> str:
    lo, mid, hi = (float(r[f"usd_per_million_tokens{s}"]) for s in ("_low", "", "_high"))  # type: ignore[arg-type]
    if not math.isfinite(mid):
        return "unpriced"
    return f"{mid:.3g} [{lo:.2g}–{hi:.2g}]"


def register(app: typer.Typer) -> None:
    @app.command("serve")
    @friendly
    def serve(
        model: str = typer.Option(..., "--model", help="catalog model id, e.g. llama3-70b"),
        gpu: str = typer.Option(
            "h200", "--gpu", help="catalog accelerator id(s), comma-separated to compare"
        ),
        ttft_ms: float = typer.Option(2000.0, "--ttft-ms", help="p99 time to first token"),
        tpot_ms: float = typer.Option(50.0, "--tpot-ms", help="p50 time per output token"),
        input_len: float = typer.Option(1000.0, "--input-len", help="mean prompt tokens"),
        output_len: float = typer.Option(300.0, "--output-len", help="mean output tokens"),
        weights: str = typer.Option("bf16,fp8,int4", "--weights", help="precisions to try"),
        rank: str = typer.Option(
            "throughput",
            "--rank",
            help="throughput (output tokens/s per GPU) or cost (USD per million output tokens)",
        ),
        users: float | None = typer.Option(None, "--users", help="daily active users"),
        requests_per_user: float = typer.Option(10.0, "--requests-per-user", help="per day"),
        peak_to_mean: float = typer.Option(1.5, "--peak-to-mean", help="diurnal peak / mean"),
        headroom: float = typer.Option(0.2, "--headroom", help="spare capacity share"),
        top: int = typer.Option(8, "--top", help="configurations to show"),
        as_json: bool = typer.Option(False, "--json", help="print one JSON object"),
    ) -> None:
        """Best (TP, PP, EP, precision, concurrency) that meet the SLO, by output tokens/s per
        GPU or by USD per million output tokens (all-in $/GPU-hour from the economics stage:
        annualised capex plus energy and other opex at the catalog's default prices)."""
        from gigawatt.catalog import load_catalog
        from gigawatt.demand import SECONDS_PER_DAY
        from gigawatt.economics import (
            add_cost_columns,
            usd_per_gpu_hour_range,
            usd_per_million_tokens,
        )
        from gigawatt.fleet import RANKS, rank_configs, serving_configs
        from gigawatt.perf.system import get_system
        from gigawatt.workload import get_model

        checks = [
            ("--ttft-ms", ttft_ms, "> 0"),
            ("--tpot-ms", tpot_ms, "> 0"),
            ("--input-len", input_len, ">= 1"),
            ("--output-len", output_len, ">= 1"),
            ("--requests-per-user", requests_per_user, "> 0"),
        ]
        problems = [
            Problem("serve", name, f"{value:g} out of range (allowed: {rule})")
            for name, value, rule in checks
            if not math.isfinite(value) or value <= 0 or (rule == ">= 1" and value < 1)
        ]
        if users is not None and (not math.isfinite(users) or users <= 0):
            problems.append(Problem("serve", "--users", f"{users:g} out of range (allowed: > 0)"))
        if peak_to_mean < 1:
            problems.append(Problem("serve", "--peak-to-mean", "must be >= 1"))
        if headroom < 0:
            problems.append(Problem("serve", "--headroom", "must be >= 0"))
        if rank not in RANKS:
            problems.append(
                Problem("serve", "--rank", f"{rank!r} not allowed (allowed: {', '.join(RANKS)})")
            )
        if top < 1:
            problems.append(Problem("serve", "--top", f"{top} out of range (allowed: >= 1)"))
        precisions = [w.strip().lower() for w in weights.split(",") if w.strip()]
        bad = [w for w in precisions if w not in ("bf16", "fp16", "fp8", "int8", "int4")]
        if bad or not precisions:
            problems.append(
                Problem("serve", "--weights", f"{bad} not allowed (bf16, fp16, fp8, int8, int4)")
            )
        gpus = [g.strip() for g in gpu.split(",") if g.strip()]
        if not gpus:
            problems.append(Problem("serve", "--gpu", "give at least one accelerator id"))
        if problems:
            raise InputError(problems)
        cat = load_catalog()
        try:
            m = get_model(model, cat)
        except CatalogError as exc:
            raise InputError([Problem("serve", "--model", exc.problems[0].message)]) from None
        tables = []
        names = []
        cost_of: dict[str, tuple[float, float, float] | None] = {}
        for g in gpus:
            try:
                system = get_system(g, cat)
            except CatalogError as exc:
                raise InputError(
                    [Problem("serve", "--gpu", f"{g}: {exc.problems[0].message}")]
                ) from None
            names.append(system.name)
            configs = serving_configs(
                m,
                system,
                input_len,
                output_len,
                ttft_ms / 1e3,
                tpot_ms / 1e3,
                tuple(precisions),
                where="serve",
            )
            cost_of[g] = usd_per_gpu_hour_range(g, cat)
            tables.append(add_cost_columns(configs, cost_of[g]))
        df = rank_configs(pd.concat(tables, ignore_index=True), rank, "--rank")
        best = df.head(top)
        top_row = df.iloc[0]
        demand: dict[str, float | str] = {}
        if users is not None:
            peak = users * requests_per_user / SECONDS_PER_DAY * peak_to_mean
            replicas = math.ceil(
                math.ceil(peak / float(top_row["requests_per_s"])) * (1 + headroom)
            )
            n_acc = replicas * int(top_row["gpus_per_replica"])
            demand = {
                "accelerator": str(top_row["accelerator"]),
                "daily_active_users": users,
                "peak_requests_per_s": peak,
                "replicas": replicas,
                "accelerators": n_acc,
            }
            gph = cost_of[str(top_row["accelerator"])]
            if gph is not None:
                mean_tps = peak / peak_to_mean * output_len
                for suffix, i in (("_low", 0), ("", 1), ("_high", 2)):
                    demand[f"fleet_usd_per_million_tokens{suffix}"] = float(
                        usd_per_million_tokens(mean_tps, n_acc, gph[i])
                    )
        if as_json:
            emit_json(
                {
                    "model": model,
                    "gpu": gpus[0] if len(gpus) == 1 else gpus,
                    "rank": rank,
                    "ttft_p99_s": ttft_ms / 1e3,
                    "tpot_p50_s": tpot_ms / 1e3,
                    "usd_per_gpu_hour": {
                        g: None if c is None else {"low": c[0], "likely": c[1], "high": c[2]}
                        for g, c in cost_of.items()
                    },
                    "configurations": best.to_dict("records"),
                    "demand": demand or None,
                }
            )
            return
        table = Table(
            title=f"{m.name} on {', '.join(names)}: p99 TTFT <= {ttft_ms:g} ms, "
            f"p50 TPOT <= {tpot_ms:g} ms ({input_len:g} -> {output_len:g} tokens), "
            f"ranked by {rank}"
        )
        cols = ["GPU"] if len(gpus) > 1 else []
        cols += [
            "TP",
            "PP",
            "EP",
            "GPUs",
            "weights",
            "KV",
            "concurrency",
            "tok/s/GPU",
            "tok/s",
            "TTFT p99 ms",
            "TPOT p50 ms",
            "USD/M tok (range)",
        ]
        for col in cols:
            table.add_column(col, justify="right")
        for r in best.to_dict("records"):
            cells = [str(r["accelerator"])] if len(gpus) > 1 else []
            cells += [
                str(r["tp"]),
                str(r["pp"]),
                str(r["ep"]),
                str(r["gpus_per_replica"]),
                r["weights"],
                r["kv_cache"],
                str(r["concurrency"]),
                f"{r['tokens_per_s_per_gpu']:,.0f}",
                f"{r['tokens_per_s']:,.0f}",
                f"{r['ttft_p99_s'] * 1e3:,.0f}",
                f"{r['tpot_p50_s'] * 1e3:.1f}",
                _range_text(r),
            ]
            table.add_row(*cells)
        out.print(table)
        out.print(
            "USD per million output tokens at sustained load: all-in USD/GPU-hour (annualised "
            "capex + energy and opex at catalog default prices, "
            f"{COST_NOTE}) / output tokens per GPU-hour."
        )
        if demand:
            line = (
                f"{users:,.0f} daily users x {requests_per_user:g} requests: peak "
                f"{demand['peak_requests_per_s']:,.0f} req/s -> {demand['replicas']:,} "
                f"replicas = {demand['accelerators']:,} x {demand['accelerator']} "
                f"(headroom {headroom:.0%})"
            )
            if "fleet_usd_per_million_tokens" in demand:
                lo, mid, hi = (
                    float(demand[f"fleet_usd_per_million_tokens{s}"]) for s in ("_low", "", "_high")
                )
                line += (
                    f"; fleet average USD {mid:.3g} per million output tokens [{lo:.2g}–{hi:.2g}]"
                )
            out.print(line)


COST_NOTE = "a 1,024-GPU reference cluster over 4 years"
