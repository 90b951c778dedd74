"""What every benchmark in bench/ shares: run metadata, targets, and writing the result file.

A benchmark file must say where its numbers came from (commit, dirty tree, date, machine) and
whether they meet the benchmark's stated targets, so a stale or flattering file is detectable.
Each script builds its figures, then calls :func:`finish`, which stamps the metadata, checks the
targets, writes the JSON file afresh and returns the exit status (non-zero when a target is
missed). Standard library only, so the scripts and the tests can import it cheaply.

Speed targets are stated in CPU seconds of the benchmark process, which runs on one thread:
that is "seconds on one core", and it is not inflated when other work shares the machine (wall
seconds are recorded beside it, with the load average, to show how busy the machine was).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import operator
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

# BLAS/OpenMP pools that would otherwise spread a "one core" benchmark over every core.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")

COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def pin_one_thread() -> None:
    """Run numerical libraries on one thread; call before numpy is imported."""
    for var in THREAD_VARIABLES:
        os.environ[var] = "1"


@dataclass
class Stopwatch:
    """Elapsed wall and CPU (this process, all threads) seconds of one timed block."""

    wall_s: float = 0.0
    cpu_s: float = 0.0


@contextmanager
def stopwatch() -> Iterator[Stopwatch]:
    """Time the ``with`` block: ``with stopwatch() as sw: ...; sw.cpu_s``."""
    sw = Stopwatch()
    wall0, cpu0 = time.perf_counter(), time.process_time()
    try:
        yield sw
    finally:
        sw.wall_s = time.perf_counter() - wall0
        sw.cpu_s = time.process_time() - cpu0


@dataclass(frozen=True)
class Target:
    """One stated goal of a benchmark: ``value(metric) <comparison> threshold``, and why.

    ``metric`` is a dotted path into the benchmark's figures. A target that is not ``required``
    (e.g. a ratio to a peer that was not run) is reported as not measured instead of missed when
    its metric is absent.
    """

    metric: str
    comparison: str
    threshold: float
    why: str
    required: bool = True

    def __post_init__(self) -> None:
        if self.comparison not in COMPARISONS:
            raise ValueError(
                f"target {self.metric}: comparison must be one of {sorted(COMPARISONS)}, "
                f"got {self.comparison!r}"
            )


def lookup(figures: Mapping[str, Any], metric: str) -> float | None:
    """The number at dotted path ``metric`` in ``figures``; None when absent or not a number."""
    node: Any = figures
    for key in metric.split("."):
        if not isinstance(node, Mapping) or key not in node:
            return None
        node = node[key]
    if isinstance(node, bool) or not isinstance(node, int | float):
        return None
    return float(node)


def check_targets(targets: Sequence[Target], figures: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each target with its measured value and status: "met", "missed" or "not measured"."""
    rows = []
    for t in targets:
        value = lookup(figures, t.metric)
        if value is None or math.isnan(value):
            status = "missed" if t.required else "not measured"
        else:
            status = "met" if COMPARISONS[t.comparison](value, t.threshold) else "missed"
        rows.append(
            {
                "metric": t.metric,
                "comparison": t.comparison,
                "threshold": t.threshold,
                "why": t.why,
                "value": value,
                "status": status,
            }
        )
    return rows


def override_targets(targets: Sequence[Target], overrides: Sequence[str]) -> list[Target]:
    """Targets with thresholds replaced by ``METRIC=THRESHOLD`` strings (same comparison; every
    target on that metric, e.g. both bounds of a range, takes the new threshold)."""
    found = list(targets)
    metrics = {t.metric for t in found}
    for item in overrides:
        metric, sep, value = item.partition("=")
        if not sep or metric not in metrics:
            raise ValueError(
                f"target override {item!r}: expected METRIC=THRESHOLD with METRIC one of "
                f"{sorted(metrics)}"
            )
        threshold = float(value)
        found = [replace(t, threshold=threshold) if t.metric == metric else t for t in found]
    return found


def add_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    """The options every benchmark takes: where to write, and target thresholds to change."""
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / f"{name}.json")
    parser.add_argument(
        "--target",
        action="append",
        default=[],
        metavar="METRIC=THRESHOLD",
        help="change one target's threshold (to try a stricter goal, or to test the check)",
    )


RESULTS_EXCLUDED = ":(exclude)bench/results"


def git_state(root: Path = ROOT) -> dict[str, Any]:
    """Commit of the checkout at ``root`` and whether its tracked or new files (other than
    bench/results) differ from it."""

    def git(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["git", "-C", str(root), *args],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )

    try:
        head = git("rev-parse", "HEAD")
        # The result files are this run's output, not a change to what is measured.
        status = git(
            "status", "--porcelain", "--untracked-files=normal", "--", ".", RESULTS_EXCLUDED
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return {"commit": None, "dirty": None, "error": f"{type(exc).__name__}: {exc}"}
    if head.returncode != 0:
        return {"commit": None, "dirty": None, "error": head.stderr.strip() or "not a git tree"}
    return {"commit": head.stdout.strip(), "dirty": bool(status.stdout.strip())}


def _processor_name() -> str:
    """CPU model name; ``platform.processor()`` is empty on most Linux systems."""
    name = platform.processor()
    cpuinfo = Path("/proc/cpuinfo")
    if not name and cpuinfo.is_file():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    return name or platform.machine()


def _memory_bytes() -> int | None:
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return None


def machine() -> dict[str, Any]:
    """The machine and interpreter the numbers were measured on."""
    usable: int | None
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not on every platform
        usable = os.cpu_count()
    try:
        import numpy

        numpy_version: str | None = numpy.__version__
    except ImportError:
        numpy_version = None
    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": _processor_name(),
        "cores": os.cpu_count(),
        "cores_usable": usable,
        "memory_bytes": _memory_bytes(),
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "numpy": numpy_version,
        "threads_pinned_to_one": all(os.environ.get(v) == "1" for v in THREAD_VARIABLES),
        # Other work on the machine slows a timing; a load above the core count is a warning.
        "load_average_1min_at_end": _load_average(),
        "reference_loop_cpu_s": reference_loop_cpu_s(),
    }


# Iterations of the reference loop: a few hundredths of a CPU second on an unshared core.
REFERENCE_LOOP_ITERATIONS = 1_000_000


def reference_loop_cpu_s() -> float:
    """CPU seconds of a fixed pure-Python loop, timed with the results: a yardstick of how fast
    this core was at the time (shared or throttled cores run it, and the benchmarks, slower)."""
    total = 0
    with stopwatch() as sw:
        for i in range(REFERENCE_LOOP_ITERATIONS):
            total += i
    return sw.cpu_s


def _load_average() -> float | None:
    try:
        return os.getloadavg()[0]
    except (OSError, AttributeError):
        return None


def metadata(name: str, root: Path = ROOT) -> dict[str, Any]:
    """Provenance of one benchmark run: name, UTC date, git commit and dirtiness, machine."""
    return {
        "benchmark": name,
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "git": git_state(root),
        "machine": machine(),
    }


def json_safe(value: Any) -> Any:
    """``value`` with NumPy scalars and arrays as Python numbers and lists, and every
    non-finite float as None (strict JSON has no NaN or infinity)."""
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if hasattr(value, "tolist"):  # NumPy scalar or array
        return json_safe(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def report_targets(rows: Sequence[Mapping[str, Any]]) -> str:
    """One line per target, misses first, for the console."""
    order = {"missed": 0, "not measured": 1, "met": 2}
    lines = []
    for r in sorted(rows, key=lambda r: order[r["status"]]):
        value = "absent" if r["value"] is None else f"{r['value']:.6g}"
        lines.append(
            f"  {r['status'].upper():>12}  {r['metric']} = {value} "
            f"(target {r['comparison']} {r['threshold']:g}: {r['why']})"
        )
    return "\n".join(lines)


def finish(
    name: str,
    figures: Mapping[str, Any],
    targets: Sequence[Target],
    out: Path,
    overrides: Sequence[str] = (),
) -> int:
    """Stamp, check and write one benchmark's result file; the process exit status.

    The file is rewritten on every run, whether or not the targets are met, so it never holds
    numbers older than its own metadata. Returns 1 when any target is missed, else 0.
    """
    checked = check_targets(override_targets(targets, overrides), figures)
    missed = [r for r in checked if r["status"] == "missed"]
    document = {
        **metadata(name),
        "targets_met": not missed,
        "targets": checked,
        **figures,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(json_safe(document), indent=2, allow_nan=False) + "\n")
    print(f"{name}: targets\n{report_targets(checked)}")
    print(f"{name}: figures written to {out}")
    if missed:
        print(
            f"{name}: {len(missed)} target(s) missed: " + ", ".join(r["metric"] for r in missed),
            file=sys.stderr,
        )
        return 1
    return 0
