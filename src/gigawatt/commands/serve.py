"""`gigawatt serve`: best serving configurations of a model on an accelerator at an SLO, and
the accelerators a demand needs."""

from __future__ import annotations

import math

import typer
from rich.table import Table

from gigawatt.console import emit_json, friendly, out
from gigawatt.errors import CatalogError, InputError, Problem


def register(app: typer.Typer) -> None:
    @app.command("serve")
    @friendly
    def serve(
        model: str = typer.Option(..., "--model", help="catalog model id, e.g. llama3-70b"),
        gpu: str = typer.Option("h200", "--gpu", help="catalog accelerator id"),
        ttft_ms: float = typer.Option(2000.0, "--ttft-ms", help="p99 time to first token"),
        tpot_ms: float = typer.Option(50.0, "--tpot-ms", help="p50 time per output token"),
        input_len: float = typer.Option(1000.0, "--input-len", help="mean prompt tokens"),
        output_len: float = typer.Option(300.0, "--output-len", help="mean output tokens"),
        weights: str = typer.Option("bf16,fp8,int4", "--weights", help="precisions to try"),
        users: float | None = typer.Option(None, "--users", help="daily active users"),
        requests_per_user: float = typer.Option(10.0, "--requests-per-user", help="per day"),
        peak_to_mean: float = typer.Option(1.5, "--peak-to-mean", help="diurnal peak / mean"),
        headroom: float = typer.Option(0.2, "--headroom", help="spare capacity share"),
        top: int = typer.Option(8, "--top", help="configurations to show"),
        as_json: bool = typer.Option(False, "--json", help="print one JSON object"),
    ) -> None:
        """Best (TP, precision, concurrency) by output tokens/s per GPU that meet the SLO."""
        from gigawatt.catalog import load_catalog
        from gigawatt.demand import SECONDS_PER_DAY
        from gigawatt.fleet import serving_configs
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
        precisions = [w.strip().lower() for w in weights.split(",") if w.strip()]
        bad = [w for w in precisions if w not in ("bf16", "fp16", "fp8", "int8", "int4")]
        if bad or not precisions:
            problems.append(
                Problem("serve", "--weights", f"{bad} not allowed (bf16, fp16, fp8, int8, int4)")
            )
        if problems:
            raise InputError(problems)
        cat = load_catalog()
        try:
            m = get_model(model, cat)
        except CatalogError as exc:
            raise InputError([Problem("serve", "--model", exc.problems[0].message)]) from None
        try:
            system = get_system(gpu, cat)
        except CatalogError as exc:
            raise InputError([Problem("serve", "--gpu", exc.problems[0].message)]) from None
        df = serving_configs(
            m,
            system,
            input_len,
            output_len,
            ttft_ms / 1e3,
            tpot_ms / 1e3,
            tuple(precisions),
            where="serve",
        )
        best = df.head(top)
        demand: dict[str, float] = {}
        if users is not None:
            peak = users * requests_per_user / SECONDS_PER_DAY * peak_to_mean
            replicas = math.ceil(
                math.ceil(peak / float(df.iloc[0]["requests_per_s"])) * (1 + headroom)
            )
            demand = {
                "daily_active_users": users,
                "peak_requests_per_s": peak,
                "replicas": replicas,
                "accelerators": replicas * int(df.iloc[0]["tp"]) * int(df.iloc[0]["pp"]),
            }
        if as_json:
            emit_json(
                {
                    "model": model,
                    "gpu": gpu,
                    "ttft_p99_s": ttft_ms / 1e3,
                    "tpot_p50_s": tpot_ms / 1e3,
                    "configurations": best.to_dict("records"),
                    "demand": demand or None,
                }
            )
            return
        table = Table(
            title=f"{m.name} on {system.name}: p99 TTFT <= {ttft_ms:g} ms, "
            f"p50 TPOT <= {tpot_ms:g} ms ({input_len:g} -> {output_len:g} tokens)"
        )
        for col in (
            "TP",
            "weights",
            "KV",
            "concurrency",
            "tok/s/GPU",
            "tok/s",
            "TTFT p99 ms",
            "TPOT p50 ms",
        ):
            table.add_column(col, justify="right")
        for r in best.to_dict("records"):
            table.add_row(
                str(r["tp"]),
                r["weights"],
                r["kv_cache"],
                str(r["concurrency"]),
                f"{r['tokens_per_s_per_gpu']:,.0f}",
                f"{r['tokens_per_s']:,.0f}",
                f"{r['ttft_p99_s'] * 1e3:,.0f}",
                f"{r['tpot_p50_s'] * 1e3:.1f}",
            )
        out.print(table)
        if demand:
            out.print(
                f"{users:,.0f} daily users x {requests_per_user:g} requests: peak "
                f"{demand['peak_requests_per_s']:,.0f} req/s -> {demand['replicas']:,.0f} "
                f"replicas = {demand['accelerators']:,.0f} x {gpu} (headroom {headroom:.0%})"
            )
