"""Benchmark of the serving models (one command; figures written to a JSON file).

    python bench/serving.py --out bench/results/serving.json

1. Discrete-event simulation: 10^6 requests (Llama 3.1 70B, FP8, TP4 on H200; prompt and
   output lengths drawn uniformly; bursty gamma arrivals, cv^2 = 4) on one core.
2. Analytic sweep: 10^4 (model, GPU, TP, precision, batch) points, static batches and the
   closed loop.
3. The same closed-loop grid as prefill/decode disaggregated units (1:1 and 1:2 pools).
Runs on one core (BLAS threads pinned to 1); targets in TARGETS (CPU seconds).
"""

from __future__ import annotations

import benchkit

benchkit.pin_one_thread()

import argparse  # noqa: E402
import itertools  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

from gigawatt.perf import get_system  # noqa: E402
from gigawatt.perf.serving import get_software, predict_serving  # noqa: E402
from gigawatt.perf.serving_disagg import predict_disaggregated  # noqa: E402
from gigawatt.perf.serving_sim import simulate  # noqa: E402
from gigawatt.workload import get_model  # noqa: E402

MODELS = ("llama3-8b", "llama3-70b", "llama3-405b")
GPUS = ("h100-sxm", "h200", "b200", "gb200")
TPS = (1, 2, 4, 8)
PRECISIONS = ("bf16", "fp8", "int8", "int4")


def bench_sim(n: int) -> dict[str, Any]:
    model, system = get_model("llama3-70b"), get_system("h200")
    rng = np.random.default_rng(0)
    s_in = rng.integers(100, 2000, n)
    s_out = rng.integers(20, 600, n)
    with benchkit.stopwatch() as sw:
        res = simulate(
            model,
            system,
            s_in,
            s_out,
            n,
            tp=4,
            weights="fp8",
            arrivals="bursty",
            rate_per_s=8.0,
            burst_cv2=4.0,
        )
    return {
        "requests": n,
        "wall_s": sw.wall_s,
        "cpu_s": sw.cpu_s,
        "result": res.summary(),
    }


def bench_sweep(mode: str) -> dict[str, Any]:
    software = get_software()
    with benchkit.stopwatch() as sw:
        points = _sweep(mode, software)
    return {
        "mode": mode,
        "points": points,
        "wall_s": sw.wall_s,
        "cpu_s": sw.cpu_s,
        "points_per_cpu_s": points / sw.cpu_s,
    }


def _sweep(mode: str, software: Any) -> int:
    """Predict every grid point, one vectorised call per (model, GPU); the number of points."""
    points = 0
    batches = np.unique(np.geomspace(1, 512, 80).astype(int)).astype(float)
    for model_id, gpu in itertools.product(MODELS, GPUS):
        model, system = get_model(model_id), get_system(gpu)
        tp, prec, b = np.meshgrid(
            np.array(TPS, float), np.array(PRECISIONS, dtype=object), batches, indexing="ij"
        )
        load = {"batch": b.ravel()} if mode == "static" else {"concurrency": b.ravel()}
        if mode == "disaggregated":
            for decode in (1, 2):
                res = predict_disaggregated(
                    model, system, 1024, 256, tp.ravel(), 1, prec.ravel(), None, 1, decode,
                    software=software, **load,
                )  # fmt: skip
                points += res.tokens_per_s.size
            continue
        res = predict_serving(
            model, system, 1024, 256, tp.ravel(), 1, prec.ravel(), software=software, **load
        )
        points += res.tokens_per_s.size
    return points


TARGETS = [
    benchkit.Target(
        "simulation.cpu_s",
        "<",
        30.0,
        "a day-scale request trace per service must simulate within a plan run",
    ),
    benchkit.Target(
        "analytic_static.cpu_s",
        "<",
        1.0,
        "fleet sizing sweeps every (model, GPU, TP, precision, batch) point interactively",
    ),
    benchkit.Target(
        "analytic_closed_loop.cpu_s",
        "<",
        1.0,
        "the closed-loop SLO search runs over the same grid as the static one",
    ),
    benchkit.Target(
        "analytic_disaggregated.cpu_s",
        "<",
        4.0,
        "the search tries disaggregated units beside co-located replicas (two pool ratios here)",
    ),
]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    benchkit.add_arguments(ap, "serving")
    ap.add_argument("--requests", type=int, default=10**6)
    args = ap.parse_args(argv)
    bench_sweep("static")  # warm caches (catalog, imports)
    figures = {
        "simulation": bench_sim(args.requests),
        "analytic_static": bench_sweep("static"),
        "analytic_closed_loop": bench_sweep("closed"),
        "analytic_disaggregated": bench_sweep("disaggregated"),
    }
    return benchkit.finish("serving", figures, TARGETS, args.out, args.target)


if __name__ == "__main__":
    raise SystemExit(main())
