"""Benchmark of the parallel-plan search (one command; figures written to a JSON file).

    python bench/search.py [--out FILE] [--calculon CHECKOUT --calculon-python PYTHON]

Problems: a 1T-parameter dense GPT (Megatron 1T shape, 4,096-token sequences) on 16,384 H100
with a global batch of 2,048 sequences, and GPT-3 175B on 1,024 A100 (batch 1,536). Runs on
one core (BLAS threads pinned to 1). Given a checkout of NVIDIA Calculon and an interpreter with
its requirements, Calculon's own exhaustive search runs on the same problems in that interpreter
(a subprocess running bench/calculon_driver.py, which times it there), and ours vs Calculon is
reported as ratios: both sides come from this run, on this machine. Without a checkout the file
says the comparison was not run.
"""

from __future__ import annotations

import benchkit

benchkit.pin_one_thread()

import argparse  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from calculon_peer import CALCULON_PROBLEMS, run_calculon_search  # noqa: E402
from gigawatt.perf import get_system  # noqa: E402
from gigawatt.perf.execution import ExecutionPlan  # noqa: E402
from gigawatt.perf.search import search  # noqa: E402
from gigawatt.perf.training import predict_training  # noqa: E402
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

# Side-by-side problems: one plan that Calculon's search picked, our memory terms and step time
# for that same plan next to Calculon's figure. Calculon (Isaev et al. 2023, SC'23) keeps weight
# gradients in the training datatype (2 B/param); Megatron-LM keeps an FP32 main-gradient
# buffer for BF16 runs (4 B/param, arguments.py: "bfloat16 requires gradient accumulation and
# all-reduce to be performed in fp32"), unsharded with the distributed optimizer (ZeRO-1) --
# that term alone is 10.3 GiB of the 18 GiB gap on GPT-3 175B, TP8 PP4. The rest: activations
# of the interleaved first stage (ours 31.9 GiB with 1 + (p - 1) / (p v) extra in-flight
# micro-batches, Korthikanti 2022 sec. 4.2.3, vs ~28 GiB) and our allocator/runtime reserve
# (3.7 GiB, efficiency.yaml memory_reserved), which Calculon leaves out. Sharding the gradients
# too (ZeRO-2) is printed alongside.
SIDE_BY_SIDE: list[dict[str, Any]] = [
    {
        "name": "gpt3-175b-64xa100-calculon-best",
        "model": "gpt3-175b",
        "gpu": "a100-sxm-80gb",
        "plan": {
            "tp": 8,
            "pp": 4,
            "vpp": 3,
            "dp": 2,
            "micro_batch": 4,
            "global_batch": 64,
            "recompute": "selective",
            "sequence_parallel": True,
            "zero": 1,
        },
        "calculon_memory_gib": 79.6,
        "calculon_memory_source": "Calculon's best plan for GPT-3 175B on 64 A100 80GB at "
        "global batch 64 (its A100 system file, optimizer sharding on)",
    },
]


def side_by_side() -> dict[str, Any]:
    """Our memory terms and step time for each SIDE_BY_SIDE plan, next to Calculon's figure,
    and the same plan with gradients sharded (ZeRO-2)."""
    out: dict[str, Any] = {}
    for prob in SIDE_BY_SIDE:
        model, system = get_model(prob["model"]), get_system(prob["gpu"])
        rows = {}
        for zero in (prob["plan"]["zero"], 2):
            plan = ExecutionPlan(**{**prob["plan"], "zero": zero})
            est = predict_training(model, system, plan)
            terms = {k: v / 2**30 for k, v in est.memory_bytes.items()}
            rows[f"zero{zero}"] = {
                "step_time_s": est.step_time_s,
                "memory_gib": est.memory_total_bytes / 2**30,
                "fits": est.fits,
                "memory_terms_gib": terms,
            }
            print(
                f"{prob['name']} ZeRO{zero}: ours {est.memory_total_bytes / 2**30:.1f} GiB "
                f"(Calculon {prob['calculon_memory_gib']} GiB), step {est.step_time_s:.2f} s; "
                + ", ".join(f"{k} {v:.1f}" for k, v in terms.items())
            )
        out[prob["name"]] = {"calculon_memory_gib": prob["calculon_memory_gib"], **rows}
    return out


def run_ours(problem: dict[str, Any], repeat: int) -> dict[str, Any]:
    model = get_model(problem["model"]).with_(seq_len=problem["seq_len"])
    system = get_system(problem["gpu"])
    walls, cpus = [], []
    result = None
    for _ in range(repeat):
        with benchkit.stopwatch() as sw:
            result = search(model, system, problem["n_gpus"], problem["global_batch"])
        walls.append(sw.wall_s)
        cpus.append(sw.cpu_s)
    assert result is not None
    best = result.best()
    wall, cpu = statistics.median(walls), statistics.median(cpus)
    return {
        "wall_s": wall,
        "wall_s_all": walls,
        "cpu_s": cpu,
        "cpu_s_all": cpus,
        "plans_evaluated": result.evaluated,
        "plans_feasible": result.feasible,
        "plans_per_s": result.evaluated / wall,
        "plans_per_cpu_s": result.evaluated / cpu,
        "rejected": dict(result.rejected),
        "best_plan": str(best.plan),
        "best_step_time_s": best.step_time_s,
        "best_mfu": best.mfu,
    }


def run_calculon(problem: dict[str, Any], path: str, python: str, seconds: float) -> dict[str, Any]:
    """Calculon's own search on the same problem, run and timed in ``python`` (a subprocess
    driving the checkout at ``path``), sampled for ``seconds`` and extrapolated."""
    spec = CALCULON_PROBLEMS[problem["calculon_problem"]]
    return dict(
        run_calculon_search(
            path,
            spec.model,
            spec.system,
            spec.num_procs,
            spec.global_batch,
            max_seconds=seconds,
            python=python,
            seq_size=spec.seq_size,
        )
    )


def ratios(ours: dict[str, Any], peer: dict[str, Any]) -> dict[str, Any]:
    """Ours vs the peer on one problem, from the same run. Speed-ups (> 1: ours faster) use
    plans per CPU second on both sides (one core each, whatever else the machine runs);
    ``best_step_time_ratio`` is our best plan's predicted step time over that of the best plan
    Calculon found in its budget, each by its own model."""
    out: dict[str, Any] = {}
    rate = peer.get("plans_per_cpu_s")
    if rate:
        out["speedup_plans_per_cpu_s"] = ours["plans_per_cpu_s"] / rate
        total = peer.get("plans_total_estimate")
        if total:
            out["calculon_full_search_estimate_cpu_s"] = total / rate
            out["speedup_full_search"] = (total / rate) / ours["cpu_s"]
    best = peer.get("best") or {}
    if best.get("step_time_s"):
        out["best_step_time_ratio"] = ours["best_step_time_s"] / best["step_time_s"]
    return out


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


def calculon_accuracy(path: str, python: str) -> dict[str, Any]:
    """Calculon's own validation against Korthikanti 2022 Table 5 (its `llm-validation`), run
    in ``python``."""
    script = Path(path) / "bin" / "calculon"
    if not script.is_file():
        return {"error": "the Calculon checkout has no bin/calculon"}
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


def targets(peer_run: bool) -> list[benchkit.Target]:
    """What this benchmark must show; the ratio targets count only when the peer was run."""
    one_t = "problems.dense-1t-16384xh100"
    found = [
        benchkit.Target(
            f"{one_t}.gigawatt.cpu_s",
            "<",
            10.0,
            "plan() searches per training workload x accelerator; the largest must be interactive",
        )
    ]
    for name in (p["name"] for p in PROBLEMS):
        found.append(
            benchkit.Target(
                f"problems.{name}.vs_calculon.speedup_plans_per_cpu_s",
                ">=",
                10.0,
                "an exhaustive search is only affordable per scenario if it is an order of "
                "magnitude faster per plan than the established peer",
                required=peer_run,
            )
        )
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    benchkit.add_arguments(parser, "search")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--calculon", type=str, default=None, help="path to a Calculon checkout")
    parser.add_argument("--calculon-seconds", type=float, default=60.0)
    parser.add_argument(
        "--calculon-python",
        default=sys.executable,
        help="interpreter with Calculon's requirements (numpy, pandas, psutil); default: this one",
    )
    parser.add_argument(
        "--reference",
        type=Path,
        default=HERE.parent.parent / "shared" / "reference" / "training.csv",
        help="training reference file for the accuracy comparison",
    )
    args = parser.parse_args(argv)

    peer_run = args.calculon is not None
    figures: dict[str, Any] = {
        "threads": 1,
        "calculon": {"run": peer_run}
        if peer_run
        else {"run": False, "reason": "no Calculon checkout given (--calculon)"},
        "problems": {},
    }
    for problem in PROBLEMS:
        entry: dict[str, Any] = {"problem": problem, "gigawatt": run_ours(problem, args.repeat)}
        if peer_run:
            calc = run_calculon(problem, args.calculon, args.calculon_python, args.calculon_seconds)
            entry["calculon"] = calc
            entry["vs_calculon"] = ratios(entry["gigawatt"], calc)
            if calc.get("error"):
                print(f"{problem['name']}: Calculon failed: {calc['error']}", file=sys.stderr)
        figures["problems"][problem["name"]] = entry
        g = entry["gigawatt"]
        speedup = entry.get("vs_calculon", {}).get("speedup_plans_per_cpu_s")
        print(
            f"{problem['name']}: {g['plans_evaluated']:,} plans in {g['cpu_s']:.3f} CPU s "
            f"({g['plans_per_cpu_s']:,.0f}/s); best {g['best_plan']} {g['best_step_time_s']:.2f} s"
            + (f"; {speedup:.0f}x Calculon's plans/s" if speedup else "")
        )
    if peer_run:
        first = next(iter(figures["problems"].values()))["calculon"]
        figures["calculon"].update(
            revision=first.get("calculon_revision"),
            interpreter=first.get("interpreter"),
            seconds_per_problem=args.calculon_seconds,
            method="seeded uniform sample of Calculon's candidates for seconds_per_problem (wall), "
            "plans per CPU second extrapolated to the whole set; best plan = best found in "
            "the budget",
        )
    figures["accuracy"] = accuracy(args, peer_run)
    figures["side_by_side"] = side_by_side()
    return benchkit.finish("search", figures, targets(peer_run), args.out, args.target)


def accuracy(args: argparse.Namespace, peer_run: bool) -> dict[str, Any]:
    """Median and worst error of ours (and Calculon's, when run) on published step times."""
    acc: dict[str, Any] = {"gigawatt": our_accuracy(args.reference)}
    if acc["gigawatt"] is None:
        acc["gigawatt"] = {"error": f"no reference file {args.reference.name}"}
    if peer_run:
        acc["calculon"] = calculon_accuracy(args.calculon, args.calculon_python)
    for who, a in acc.items():
        if "median_abs_error" in a:
            print(
                f"accuracy {who}: median |error| {a['median_abs_error']:.1%}, "
                f"worst {a['max_abs_error']:.1%} over {a['rows']} rows"
            )
    ours, peer = acc["gigawatt"], acc.get("calculon") or {}
    if "median_abs_error" in ours and peer.get("median_abs_error"):
        acc["median_abs_error_ratio"] = ours["median_abs_error"] / peer["median_abs_error"]
    return acc


if __name__ == "__main__":
    raise SystemExit(main())
