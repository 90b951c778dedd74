"""Start-up time of the command line (one command; figures written to a JSON file).

    python bench/startup.py --out bench/results/startup.json [--runs 5] [--target-s 1.5]

Runs ``gigawatt --help``, ``gigawatt run --help`` and ``gigawatt check
scenarios/stargate.yaml`` as fresh processes, ``--runs`` times each after one untimed
warm-up (so Python's bytecode cache is written, as after installation or a first run), and
records the median, min and max wall seconds of each, with the git commit and the machine.
Exits with status 1 when a median misses the target (1.5 s: a command should answer before
a user wonders; each took 7-11 s while every command imported CoolProp, pandas, SciPy,
plotly and DuckDB at start-up).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = {
    "help": ["--help"],
    "run_help": ["run", "--help"],
    "check": ["check", "scenarios/stargate.yaml"],
}


def gigawatt_command() -> list[str]:
    """The installed ``gigawatt`` script next to this Python, else ``python -m gigawatt.cli``."""
    script = Path(sys.executable).parent / "gigawatt"
    if script.is_file():
        return [str(script)]
    found = shutil.which("gigawatt")
    return [found] if found else [sys.executable, "-m", "gigawatt.cli"]


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_command(
    argv: list[str], runs: int, env: dict[str, str]
) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds of ``runs`` fresh processes of ``argv`` (after one untimed
    warm-up). CPU seconds tell what the wall time would be on an idle machine when others
    share this one."""
    walls, cpus = [], []
    for i in range(runs + 1):
        t0, c0 = time.perf_counter(), _children_cpu_s()
        done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True)
        wall, cpu = time.perf_counter() - t0, _children_cpu_s() - c0
        if done.returncode != 0:
            sys.exit(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stderr}")
        if i > 0:
            walls.append(wall)
            cpus.append(cpu)
    return walls, cpus


def git_commit() -> dict[str, object]:
    def git(*args: str) -> str:
        result = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return result.stdout.strip() if result.returncode == 0 else ""

    return {"commit": git("rev-parse", "HEAD") or None, "dirty": bool(git("status", "--porcelain"))}


def machine() -> dict[str, object]:
    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "load_average_1min": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "startup.json"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--target-s", type=float, default=1.5)
    args = parser.parse_args()

    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    base = gigawatt_command()
    results: dict[str, dict[str, object]] = {}
    missed = []
    for name, words in COMMANDS.items():
        times, cpus = time_command([*base, *words], args.runs, env)
        median = statistics.median(times)
        results[name] = {
            "command": " ".join(["gigawatt", *words]),
            "median_s": median,
            "min_s": min(times),
            "max_s": max(times),
            "runs_s": times,
            "cpu_median_s": statistics.median(cpus),
            "target_s": args.target_s,
            "ok": median < args.target_s,
        }
        if median >= args.target_s:
            missed.append(name)
        print(
            f"{results[name]['command']:<40} median {median:.3f} s "
            f"(min {min(times):.3f}, max {max(times):.3f}; CPU {statistics.median(cpus):.3f} s)"
        )
    report = {
        "benchmark": "command-line start-up, wall seconds per fresh process",
        "runs": args.runs,
        "launcher": [Path(part).name for part in base],  # names only: no paths of the machine
        "commands": results,
        "git": git_commit(),
        "machine": machine(),
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    if missed:
        print(f"target {args.target_s} s missed by: {', '.join(missed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
