"""Fuzzing campaign: mutated scenarios and command-line flags never crash, hang or exhaust
gigawatt, and ``check`` accepts only what ``run`` can plan.

    python bench/fuzz.py [--scenarios 10000] [--runs 200] [--cli 1000] [--seed 0]
                         [--workers 1] [--case PHASE:I ...] [--out bench/results/fuzz.json]

Each generated scenario is a shipped one (scenarios/*.yaml) with one to three mutations: a
key deleted, renamed or retyped, a number made extreme, a value nested deeply, text made of
random unicode, a YAML alias bomb, a tag, a duplicate key, bytes that are not UTF-8. Every
file must either load (``check``) or give a clean error: a GigawattError whose problems name
the file and a field (a line too, where the file parses). A sample of the accepted files is
then planned (what ``run`` does): it must plan, since check accepted it. Command-line
invocations draw a command and one numeric flag with a value from a hostile mix (NaN, inf,
1e308, negative, huge integers, in range); each must finish with exit status 0 or 2 and no
traceback. Every case runs under a CPU-time and a wall-clock alarm (a hang is a case over
either bound), and each process's peak memory is recorded (Linux ru_maxrss). Every failing
case is recorded with its phase and number, its seconds, its exit status or error and its
mutation (the lines that differ from the shipped scenario) or command line, with the slowest
cases; each case draws from its own seeded generator, so ``--case check:12`` replays one.

The mutators take a :class:`Chooser`, so the test suite drives them with hypothesis
(tests/test_fuzz.py, a fast slice) and this campaign with a seeded ``random.Random``.
Targets (issue "Hardening"): >= 10,000 scenarios and >= 1,000 CLI invocations, zero
tracebacks, zero hangs over 30 s, peak memory < 1 GB, zero files check accepts but run rejects.
"""

from __future__ import annotations

import argparse
import copy
import random
import resource
import signal
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any, Protocol, TypeVar

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT / "src"))

T = TypeVar("T")
Loc = tuple[str | int, ...]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
HANG_S = 30.0  # a case taking more CPU seconds than this is a hang
HANG_WALL_S = 120.0  # ... or more wall seconds than this (a busy machine slows every case)
EXTREME_NUMBERS: tuple[Any, ...] = (
    0,
    -1,
    -1e308,
    1e308,
    1e-308,
    2**63,
    10**20,
    -(10**20),
    1e20,
    0.5,
    1,
    3,
    1.5e9,
    "1e400",
)
ODD_TEXT = ("", " ", "🚀" * 40, "\u202e\u0000x", "é" * 5000, "yes", "no", "null", "~", "0x1F")
TAGS = ("!!python/object/apply:os.system ['true']", "!!binary aGVsbG8=", "!custom x", "!!set {a}")


class Chooser(Protocol):
    """Where a mutator's choices come from (hypothesis ``data.draw`` or ``random``)."""

    def choice(self, options: Sequence[T]) -> T: ...

    def integer(self, low: int, high: int) -> int: ...


class RandomChooser:
    """Choices from a seeded ``random.Random``."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def choice(self, options: Sequence[T]) -> T:
        return options[self.rng.randrange(len(options))]

    def integer(self, low: int, high: int) -> int:
        return self.rng.randint(low, high)


def _paths(data: Any, loc: Loc = ()) -> Iterator[Loc]:
    """Every location in a parsed scenario (mappings' keys and lists' items)."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield (*loc, key)
            yield from _paths(value, (*loc, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield (*loc, i)
            yield from _paths(value, (*loc, i))


def _parent(data: Any, loc: Loc) -> Any:
    for key in loc[:-1]:
        data = data[key]
    return data


def _nest(value: Any, depth: int) -> Any:
    for _ in range(depth):
        value = [value]
    return value


# ---- data mutations: parsed scenario -> parsed scenario ------------------------------------
def mutate_data(data: dict[str, Any], c: Chooser) -> dict[str, Any]:
    """One structural mutation of a parsed scenario at a location the chooser picks."""
    data = copy.deepcopy(data)
    loc = c.choice(list(_paths(data)))
    parent, key = _parent(data, loc), loc[-1]
    kind = c.choice(("delete", "rename", "retype", "extreme", "extreme", "nest", "text", "grow"))
    if kind == "delete":
        del parent[key]
    elif kind == "rename" and isinstance(key, str):
        parent[key + c.choice(("_x", "s", "Ü"))] = parent.pop(key)
    elif kind == "retype":
        parent[key] = c.choice((None, True, "text", [], {}, [1, 2], {"a": 1}, 7, -3.5))
    elif kind == "extreme":
        parent[key] = c.choice(EXTREME_NUMBERS)
    elif kind == "nest":
        parent[key] = _nest(parent[key], c.integer(1, 200))
    elif kind == "text":
        parent[key] = c.choice(ODD_TEXT)
    elif kind == "grow" and isinstance(parent[key], list) and parent[key]:
        parent[key] = parent[key] * c.integer(2, 50)
    return data


# ---- text mutations: YAML text -> bytes ------------------------------------------------------
def alias_bomb(levels: int, width: int) -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]")
    return "\n".join(lines) + "\n"


def mutate_text(text: str, c: Chooser) -> bytes:
    """One textual mutation YAML-level tools would produce: tags, aliases, duplicate keys,
    bad encodings, truncation, a huge line."""
    lines = text.splitlines()
    i = c.integer(0, max(len(lines) - 1, 0))
    kind = c.choice(("tag", "bomb", "duplicate", "latin1", "truncate", "indent", "long", "bom"))
    if kind == "tag" and ":" in lines[i]:
        head, _, _ = lines[i].partition(":")
        lines[i] = f"{head}: {c.choice(TAGS)}"
    elif kind == "bomb":
        lines.insert(0, alias_bomb(c.integer(2, 10), c.integer(2, 9)))
    elif kind == "duplicate":
        lines.insert(i, lines[i])
    elif kind == "latin1":
        return text.encode("utf-8") + b"\n# caf\xe9\n"  # a latin-1 byte: not UTF-8
    elif kind == "truncate":
        return text[: c.integer(0, len(text))].encode("utf-8")
    elif kind == "indent":
        lines[i] = " " * c.integer(1, 7) + lines[i]
    elif kind == "long":
        lines.append("description: " + "x" * c.integer(10, 6_000_000))
    elif kind == "bom":
        return ("\ufeff" + text).encode("utf-8")
    return ("\n".join(lines) + "\n").encode("utf-8")


def mutant(c: Chooser) -> bytes:
    """A mutated shipped scenario: one to three data mutations, sometimes a text one."""
    import yaml

    source = c.choice(SCENARIOS)
    text = source.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    for _ in range(c.integer(0, 3)):
        data = mutate_data(data, c)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 20_000))  # the dumper recurses once per nesting level
    try:
        out = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    finally:
        sys.setrecursionlimit(limit)
    if c.integer(0, 3) == 0:
        return mutate_text(out if c.integer(0, 1) else text, c)
    return out.encode("utf-8")


# ---- checking one case -----------------------------------------------------------------------
class Hang(BaseException):
    """A case ran past its bound (a BaseException, so no ``except Exception`` in the code
    under test, nor the CLI test runner, can swallow it)."""


@contextmanager
def bounded(seconds: float, wall_s: float | None = None) -> Iterator[None]:
    """Raise :class:`Hang` in this (main) thread after ``seconds`` of this process's CPU time
    (what a case costs, whatever else shares the machine) or ``wall_s`` of wall time
    (default: the same; a case waiting on something uses no CPU)."""

    def alarm(_signum: int, _frame: Any) -> None:
        raise Hang(f"over {seconds:g} s")

    old = {sig: signal.signal(sig, alarm) for sig in (signal.SIGALRM, signal.SIGPROF)}
    signal.setitimer(signal.ITIMER_PROF, seconds)
    signal.setitimer(signal.ITIMER_REAL, seconds if wall_s is None else wall_s)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.setitimer(signal.ITIMER_PROF, 0)
        for sig, handler in old.items():
            signal.signal(sig, handler)


def clean_problems(exc: Exception, file: str) -> str | None:
    """Why an error is not clean (None when it is): each problem names the file and a field."""
    from gigawatt.errors import GigawattError

    if not isinstance(exc, GigawattError):
        return f"{type(exc).__name__}: {exc}"[:300]
    for p in exc.problems:
        if p.file != file or not p.field:
            return f"problem without file or field: {p}"[:300]
    return None


def check_file(path: Path) -> tuple[str, Any]:
    """``("accepted", scenario)``, ``("rejected", None)`` or ``("traceback", text)``."""
    from gigawatt.scenario import load_scenario

    try:
        return "accepted", load_scenario(path)
    except Hang:
        raise
    except Exception as exc:
        why = clean_problems(exc, str(path))
        return ("rejected", None) if why is None else ("traceback", why)


def run_scenario(scenario: Any) -> tuple[str, str]:
    """``("planned", "")``, ``("rejected", why)`` (check accepted it!) or ``("traceback", why)``."""
    from gigawatt.errors import GigawattError
    from gigawatt.plan import plan
    from gigawatt.report import finite_tables

    try:
        result = plan(scenario)
        finite_tables(result.tables)
        return "planned", ""
    except Hang:
        raise
    except GigawattError as exc:
        return "rejected", str(exc)[:300]
    except Exception:
        return "traceback", traceback.format_exc()[-600:]


# ---- command-line flags --------------------------------------------------------------------
CLI_BASE = {
    "cost": ["-a", "h100-sxm", "-n", "64", "--json"],
    "budget": ["-a", "h100-sxm", "--amount", "1e7", "--json"],
    "reliability": ["-a", "h100-sxm", "--json"],
    "wafers": ["-a", "gb200", "-n", "100", "--samples", "0", "--json"],
    "facility": ["--site", "ashburn", "--it-mw", "10", "--cooling", "air-economiser", "--json"],
    "serve": ["--model", "llama3-8b", "-a", "h100-sxm", "--json"],
    "train": ["--model", "llama3-8b", "-a", "h100-sxm", "-n", "64", "--global-batch", "64"],
    "ops": [str(ROOT / "scenarios" / "lab-1024.yaml"), "--no-live", "--json"],
}
FLAG_VALUES = (
    "nan",
    "inf",
    "-inf",
    "1e308",
    "-1e308",
    "1e-308",
    "-1",
    "0",
    "1",
    "2",
    "0.5",
    "3",
    str(10**30),
    "1.5",
    "-0",
    "abc",
    "",
    "100",
    "1e6",
)


def numeric_flags() -> dict[str, list[str]]:
    """Each command's numeric flags, from the command tree."""
    import typer

    from gigawatt.cli import app

    root: Any = typer.main.get_command(app)
    found: dict[str, list[str]] = {}
    for name in CLI_BASE:
        cmd = root.commands[name]
        found[name] = [
            p.opts[0]
            for p in cmd.params
            if getattr(getattr(p, "type_descriptor", None), "annotation", None) in (int, float)
            and p.opts[0].startswith("--")
        ]
    return found


def cli_case(c: Chooser, flags: dict[str, list[str]]) -> list[str]:
    command = c.choice(sorted(CLI_BASE))
    flag = c.choice(flags[command])
    return [command, *CLI_BASE[command], f"{flag}={c.choice(FLAG_VALUES)}"]


def invoke(argv: list[str], out_dir: Path) -> tuple[str, str, int]:
    """``("ok"|"refused", "", exit)`` or ``("traceback", why, exit)`` for one invocation."""
    from typer.testing import CliRunner

    from gigawatt.cli import app

    if argv[0] == "ops":
        argv = [*argv, "--out", str(out_dir / "ops.csv")]
    result = CliRunner().invoke(app, argv)
    if result.exit_code in (0, 2) and (result.exception is None or result.exit_code == 2):
        return ("ok" if result.exit_code == 0 else "refused"), "", result.exit_code
    why = f"exit {result.exit_code}: {result.exception!r}"[:400]
    return "traceback", why, result.exit_code


# ---- campaign --------------------------------------------------------------------------------
PROGRESS_EVERY = 500  # a line on stderr every this many check cases (a tenth for CLI cases)
SLOW_KEPT = 10  # the slowest cases of each worker are listed with their seconds


def peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: kB


def _timed(fn: Callable[[], T]) -> tuple[T | None, float, float]:
    """(result or None for a hang, wall seconds, CPU seconds) of one bounded case."""
    t0, c0 = time.perf_counter(), time.process_time()
    try:
        with bounded(HANG_S, HANG_WALL_S):
            got: T | None = fn()
    except Hang:
        got = None
    return got, time.perf_counter() - t0, time.process_time() - c0


def _diff(path: Path) -> str:
    """The lines of a mutant that differ from the shipped scenario it most resembles."""
    import difflib

    text = path.read_text(encoding="utf-8", errors="replace").splitlines()
    best: list[str] = []
    for source in SCENARIOS:
        lines = source.read_text(encoding="utf-8").splitlines()
        diff = [d for d in difflib.unified_diff(lines, text, n=0, lineterm="") if d[:1] in "+-"]
        if not best or len(diff) < len(best):
            best = diff
    return " | ".join(best[2:14])[:700]


def _slo_only_in_run(scenario: Any, path: Path) -> bool:
    """Whether a service's SLO is unreachable (what run's serving stage finds)."""
    from gigawatt.catalog import load_catalog
    from gigawatt.preflight import serving_problems

    return bool(serving_problems(scenario, load_catalog(), str(path), {}))


def case_chooser(seed: int, phase: str, i: int) -> RandomChooser:
    """Each case draws from its own generator, so ``--case PHASE:I`` replays one alone."""
    return RandomChooser(random.Random(f"{seed}/{phase}/{i}"))


def _shown(argv: list[str]) -> list[str]:
    """Arguments as recorded: paths inside the repository relative to it."""
    return [a.replace(str(ROOT) + "/", "") for a in argv]


class Record:
    """One worker's counts, failing cases (each with its seconds) and slowest cases."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.failures: list[dict[str, Any]] = []
        self.slowest: list[dict[str, Any]] = []

    def case(self, phase: str, i: int, outcome: str, wall: float, cpu: float, **info: Any) -> None:
        self.counts[f"{phase}_{outcome}"] += 1
        entry = {"phase": phase, "case": i, "outcome": outcome, "wall_s": wall, "cpu_s": cpu}
        entry.update(info)
        if outcome in ("traceback", "hang") or (phase, outcome) == ("run", "rejected"):
            self.failures.append(entry)
        self.slowest.append({k: v for k, v in entry.items() if k != "mutation"})
        self.slowest = sorted(self.slowest, key=lambda e: -e["cpu_s"])[:SLOW_KEPT]


def _scenario_phase(
    seed: int, cases: list[int], n_runs: int, folder: Path, rec: Record
) -> list[tuple[int, Path, Any]]:
    """Check each case's mutant; the accepted ones kept (up to ``n_runs``) to plan."""
    accepted: list[tuple[int, Path, Any]] = []
    for n, i in enumerate(cases):
        if n % PROGRESS_EVERY == 0:
            print(
                f"fuzz: check case {i} ({time.strftime('%H:%M:%S')})", file=sys.stderr, flush=True
            )
        path = folder / f"s{i % 64}.yaml"
        path.write_bytes(mutant(case_chooser(seed, "scenario", i)))
        got, wall, cpu = _timed(partial(check_file, path))
        outcome = got[0] if got else "hang"
        if outcome in ("traceback", "hang"):
            detail = got[1] if got else f"over {HANG_S:g} s"
            rec.case("check", i, outcome, wall, cpu, detail=detail, mutation=_diff(path))
        else:
            rec.case("check", i, outcome, wall, cpu)
        if got and got[0] == "accepted" and len(accepted) < n_runs:
            keep = folder / f"accepted{len(accepted)}.yaml"
            keep.write_bytes(path.read_bytes())
            accepted.append((i, keep, got[1]))
    return accepted


def _run_phase(accepted: list[tuple[int, Path, Any]], rec: Record) -> None:
    """Plan every accepted file: each must plan, since check accepted it."""
    for i, keep, scenario in accepted:
        ran, wall, cpu = _timed(partial(run_scenario, scenario))
        outcome = ran[0] if ran else "hang"
        if outcome == "planned":
            rec.case("run", i, outcome, wall, cpu)
            continue
        why = ran[1] if ran else f"over {HANG_S:g} s"
        rec.case("run", i, outcome, wall, cpu, detail=why, mutation=_diff(keep))
        if outcome == "rejected" and _slo_only_in_run(scenario, keep):
            rec.counts["run_rejected_slo_unreachable"] += 1


def _cli_phase(seed: int, cases: list[int], folder: Path, rec: Record) -> None:
    flags = numeric_flags()
    for n, i in enumerate(cases):
        if n % (PROGRESS_EVERY // 10) == 0:
            print(f"fuzz: cli case {i} ({time.strftime('%H:%M:%S')})", file=sys.stderr, flush=True)
        argv = cli_case(case_chooser(seed, "cli", i), flags)
        res, wall, cpu = _timed(partial(invoke, argv, folder))
        outcome = res[0] if res else "hang"
        info: dict[str, Any] = {"argv": _shown(argv)}
        if res is None or res[0] == "traceback":
            info.update(exit=res[2] if res else None, detail=res[1] if res else "")
        rec.case("cli", i, outcome, wall, cpu, **info)


def shard(
    seed: int,
    n_scenarios: int,
    n_runs: int,
    n_cli: int,
    worker: int = 0,
    workers: int = 1,
    only: frozenset[tuple[str, int]] | None = None,
) -> dict[str, Any]:
    """One worker's part of the campaign: the cases ``i`` with ``i % workers == worker``
    (or only those named in ``only``)."""

    def mine(phase: str, n: int) -> list[int]:
        return [i for i in range(worker, n, workers) if only is None or (phase, i) in only]

    rec = Record()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        runs_here = n_runs // workers + (worker < n_runs % workers)
        accepted = _scenario_phase(seed, mine("check", n_scenarios), runs_here, folder, rec)
        _run_phase(accepted, rec)
        _cli_phase(seed, mine("cli", n_cli), folder, rec)
    return {
        "counts": dict(rec.counts),
        "failures": rec.failures,
        "slowest": rec.slowest,
        "runs": len(accepted),
        "peak_memory_bytes": peak_rss_bytes(),
    }


def campaign(
    n_scenarios: int,
    n_runs: int,
    n_cli: int,
    seed: int,
    workers: int = 1,
    only: frozenset[tuple[str, int]] | None = None,
) -> dict[str, Any]:
    """Run the three phases (split over ``workers`` processes); counts, every failing case
    and the slowest cases, each with its wall and CPU seconds."""
    t0 = time.perf_counter()
    args = [(seed, n_scenarios, n_runs, n_cli, w, workers, only) for w in range(workers)]
    if workers == 1:
        parts = [shard(*args[0])]
    else:
        from concurrent.futures import ProcessPoolExecutor
        from multiprocessing import get_context

        with ProcessPoolExecutor(workers, mp_context=get_context("fork")) as pool:
            parts = list(pool.map(shard, *zip(*args, strict=True)))
    counts: Counter[str] = Counter()
    for part in parts:
        counts.update(part["counts"])
    hangs = counts["check_hang"] + counts["run_hang"] + counts["cli_hang"]
    tracebacks = counts["check_traceback"] + counts["run_traceback"] + counts["cli_traceback"]
    slowest = sorted((e for p in parts for e in p["slowest"]), key=lambda e: -e["cpu_s"])
    return {
        "scenarios": n_scenarios if only is None else counts.total() - counts["run_planned"],
        "runs": sum(p["runs"] for p in parts),
        "cli_invocations": n_cli
        if only is None
        else sum(v for k, v in counts.items() if k.startswith("cli_")),
        "workers": workers,
        "counts": dict(sorted(counts.items())),
        "tracebacks": tracebacks,
        "hangs": hangs,
        "check_accepts_run_rejects": counts["run_rejected"],
        "of_which_slo_unreachable": counts["run_rejected_slo_unreachable"],
        "peak_memory_bytes": max(p["peak_memory_bytes"] for p in parts),
        "slowest_case_cpu_s": slowest[0]["cpu_s"] if slowest else 0.0,
        "slowest_case_wall_s": max((e["wall_s"] for e in slowest), default=0.0),
        "wall_s": time.perf_counter() - t0,
        "seed": seed,
        "failures": sorted(
            (f for p in parts for f in p["failures"]), key=lambda f: (f["phase"], f["case"])
        ),
        "slowest": slowest[:SLOW_KEPT],
    }


def _only(cases: list[str]) -> frozenset[tuple[str, int]] | None:
    """``check:12`` (also plans it if accepted) or ``cli:7``, as the failures list names them."""
    if not cases:
        return None
    named = set()
    for c in cases:
        phase, _, i = c.partition(":")
        phase = "check" if phase in ("check", "run", "scenario") else phase
        named.add((phase, int(i)))
    return frozenset(named)


def main(argv: list[str] | None = None) -> int:
    import benchkit

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenarios", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=200, help="accepted files to plan")
    parser.add_argument("--cli", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=1, help="processes (each < 1 GB)")
    parser.add_argument(
        "--case", action="append", default=[], help="replay one case, e.g. check:12 or cli:7"
    )
    benchkit.add_arguments(parser, "fuzz")
    args = parser.parse_args(argv)
    figures = campaign(
        args.scenarios, args.runs, args.cli, args.seed, args.workers, _only(args.case)
    )
    targets = [
        benchkit.Target("scenarios", ">=", 10_000, "generated scenario files"),
        benchkit.Target("cli_invocations", ">=", 1_000, "command-line invocations"),
        benchkit.Target("tracebacks", "<=", 0, "every failure is a clean error"),
        benchkit.Target(
            "hangs", "<=", 0, f"no case over {HANG_S:g} CPU s (or {HANG_WALL_S:g} wall s)"
        ),
        benchkit.Target("peak_memory_bytes", "<", 2**30, "peak memory under 1 GB"),
        benchkit.Target("check_accepts_run_rejects", "<=", 0, "check is a pre-flight"),
    ]
    return benchkit.finish("fuzz", figures, targets, args.out, args.target)


if __name__ == "__main__":
    sys.exit(main())
