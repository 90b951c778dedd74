"""Benchmark of the parallel-plan search (one command; figures written to a JSON file).

    python bench/search.py --out bench/results/search.json [--calculon PATH]

Problems: a 1T-parameter dense GPT (Megatron 1T shape, 4,096-token sequences) on 16,384 H100
with a global batch of 2,048 sequences, and GPT-3 175B on 1,024 A100 (batch 1,536). Runs on
one core (BLAS threads pinned to 1). With ``--calculon`` (a checkout of NVIDIA Calculon),
Calculon's own exhaustive search runs on the same problems in the same process tree, and the
ratio of plans evaluated per second is reported: both numbers come from this run, on this
machine.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from gigawatt.perf import get_system  # noqa: E402
from gigawatt.perf.search import search  # noqa: E402
from gigawatt.workload import get_model  # noqa: E402

HERE = Path(__file__).resolve().parent
PROBLEMS: list[dict[str, Any]] = [
    {
        "name": "dense-1t-16384xh100",
        "model": "megatron-1t",
        "seq_len": 4096,
        "gpu": "h100-sxm",
        "n_gpus": 16384,
        "global_batch": 2048,
        "calculon_problem": "gpt-1t-h100",
    },
    {
        "name": "gpt3-175b-1024xa100",
        "model": "gpt3-175b",
        "seq_len": 2048,
        "gpu": "a100-sxm-80gb",
        "n_gpus": 1024,
        "global_batch": 1536,
        "calculon_problem": "gpt3-175b-a100",
    },
]


def run_ours(problem: dict[str, Any], repeat: int) -> dict[str, Any]:
    model = get_model(problem["model"]).with_(seq_len=problem["seq_len"])
    system = get_system(problem["gpu"])
    walls = []
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = search(model, system, problem["n_gpus"], problem["global_batch"])
        walls.append(time.perf_counter() - start)
    assert result is not None
    best = result.best()
    wall = statistics.median(walls)
    return {
        "wall_s": wall,
        "wall_s_all": walls,
        "plans_evaluated": result.evaluated,
        "plans_feasible": result.feasible,
        "plans_per_s": result.evaluated / wall,
        "rejected": dict(result.rejected),
        "best_plan": str(best.plan),
        "best_step_time_s": best.step_time_s,
        "best_mfu": best.mfu,
    }


def run_calculon(problem: dict[str, Any], path: str, seconds: float) -> dict[str, Any]:
    """Calculon's own search on the same problem (sampled for ``seconds``, extrapolated)."""
    sys.path.insert(0, str(HERE))
    from calculon_peer import CALCULON_PROBLEMS, run_calculon_search

    spec = CALCULON_PROBLEMS[problem["calculon_problem"]]
    return dict(
        run_calculon_search(
            path,
            spec.model,
            spec.system,
            spec.num_procs,
            spec.global_batch,
            max_seconds=seconds,
            seq_size=spec.seq_size,
        )
    )


def our_accuracy(reference: Path) -> dict[str, Any] | None:
    """Our error on the training reference file (the accuracy side of the comparison)."""
    if not reference.is_file():
        return None
    from gigawatt.validate import validate_file

    report = validate_file(reference)
    return {
        "file": reference.name,
        "rows": len(report.rows),
        "median_abs_error": report.median_abs_error,
        "max_abs_error": report.max_abs_error,
        "mean_abs_error": statistics.mean(report.abs_errors()),
        "by_row": {r.id: r.signed_error for r in report.rows},
    }


def calculon_accuracy(path: str, python: str) -> dict[str, Any] | None:
    """Calculon's own validation against Korthikanti 2022 Table 5 (its `llm-validation`)."""
    import subprocess

    script = Path(path) / "bin" / "calculon"
    if not script.is_file():
        return None
    env = {**os.environ, "PYTHONPATH": path}
    proc = subprocess.run(
        [python, str(script), "llm-validation", "-b", path],
        capture_output=True,
        text=True,
        cwd=path,
        env=env,
        timeout=600,
        check=False,
    )
    errors: dict[str, float] = {}
    lines = proc.stdout.splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if line.startswith("End-to-end"))
    except StopIteration:
        tail = (proc.stderr or proc.stdout).strip().splitlines()
        return {"error": tail[-1] if tail else f"exit status {proc.returncode}"}
    for line in lines[start + 2 :]:
        cells = line.split(",")
        if not cells or cells[0] in ("Ave", "Max", ""):
            break
        # model,|,profile,calc,delta,GiB,|,profile,calc,delta,GiB
        for mode, offset in (("full", 2), ("sel", 7)):
            measured, predicted = float(cells[offset]), float(cells[offset + 1])
            errors[f"{cells[0]}-{mode}"] = predicted / measured - 1.0
    values = [abs(v) for v in errors.values()]
    return {
        "rows": len(values),
        "median_abs_error": statistics.median(values),
        "max_abs_error": max(values),
        "mean_abs_error": statistics.mean(values),
        "by_row": errors,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE / "results" / "search.json")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--calculon", type=str, default=None, help="path to a Calculon checkout")
    parser.add_argument("--calculon-seconds", type=float, default=60.0)
    parser.add_argument(
        "--calculon-python",
        default=sys.executable,
        help="interpreter with Calculon's requirements (numpy, pandas, psutil)",
    )
    parser.add_argument(
        "--reference",
        type=Path,
        default=HERE.parent.parent / "shared" / "reference" / "training.csv",
        help="training reference file for the accuracy comparison",
    )
    args = parser.parse_args(argv)

    figures: dict[str, Any] = {
        "machine": {
            "python": platform.python_version(),
            "processor": platform.processor(),
            "threads": 1,
        },
        "target": "whole 1T search under 10 s on one core; >= 10x Calculon's plans/s",
        "problems": {},
    }
    for problem in PROBLEMS:
        entry: dict[str, Any] = {"problem": problem, "gigawatt": run_ours(problem, args.repeat)}
        if args.calculon:
            calc = run_calculon(problem, args.calculon, args.calculon_seconds)
            entry["calculon"] = calc
            rate = calc.get("plans_per_s")
            if rate:
                entry["speedup_plans_per_s"] = entry["gigawatt"]["plans_per_s"] / rate
                total = calc.get("plans_total_estimate")
                if total:
                    entry["calculon_full_search_estimate_s"] = total / rate
                    entry["speedup_full_search"] = (total / rate) / entry["gigawatt"]["wall_s"]
        figures["problems"][problem["name"]] = entry
        g = entry["gigawatt"]
        print(
            f"{problem['name']}: {g['plans_evaluated']:,} plans in {g['wall_s']:.3f} s "
            f"({g['plans_per_s']:,.0f}/s); best {g['best_plan']} {g['best_step_time_s']:.2f} s"
            + (
                f"; {entry['speedup_plans_per_s']:.0f}x Calculon's plans/s"
                if "speedup_plans_per_s" in entry
                else ""
            )
        )
    figures["accuracy"] = {"gigawatt": our_accuracy(args.reference)}
    if args.calculon:
        figures["accuracy"]["calculon"] = calculon_accuracy(args.calculon, args.calculon_python)
    for who, acc in figures["accuracy"].items():
        if acc and "median_abs_error" in acc:
            print(
                f"accuracy {who}: median |error| {acc['median_abs_error']:.1%}, "
                f"worst {acc['max_abs_error']:.1%} over {acc['rows']} rows"
            )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(f"figures written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
