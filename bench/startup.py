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


def time_command(argv: list[str], runs: int, env: dict[str, str]) -> list[float]:
    """Wall seconds of ``runs`` fresh processes of ``argv`` (after one untimed warm-up)."""
    times = []
    for i in range(runs + 1):
        t0 = time.perf_counter()
        done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True)
        elapsed = time.perf_counter() - t0
        if done.returncode != 0:
            sys.exit(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stderr}")
        if i > 0:
            times.append(elapsed)
    return times


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
        times = time_command([*base, *words], args.runs, env)
        median = statistics.median(times)
        results[name] = {
            "command": " ".join(["gigawatt", *words]),
            "median_s": median,
            "min_s": min(times),
            "max_s": max(times),
            "runs_s": times,
            "target_s": args.target_s,
            "ok": median < args.target_s,
        }
        if median >= args.target_s:
            missed.append(name)
        print(
            f"{results[name]['command']:<40} median {median:.3f} s "
            f"(min {min(times):.3f}, max {max(times):.3f})"
        )
    report = {
        "benchmark": "command-line start-up, wall seconds per fresh process",
        "runs": args.runs,
        "launcher": base,
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
