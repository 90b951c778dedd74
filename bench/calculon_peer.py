"""Run NVIDIA Calculon's exhaustive execution search as a measured peer for ``bench/search.py``.

Calculon (https://github.com/calculon-ai/calculon) is *not* vendored: the caller passes the path of
a checkout at run time and this module only imports that checkout in a child process.  Nothing of
Calculon's code or data is copied here.

Why a driver instead of ``calculon llm-optimal-execution``:

* The CLI evaluates every candidate inside ``multiprocessing.Pool.starmap`` and only reports at the
  very end, so a time-limited run would return nothing.  A full search of our benchmark problems
  takes hours on one core (millions of candidates), far beyond any benchmark budget.
* We want plans/s on exactly one core, a progress count that survives a timeout, and a faithful
  estimate of the total candidate count so that the full search time can be extrapolated.

So the search runs in a child process, ``PYTHON calculon_driver.py CONFIG`` (the small driver
script beside this file), in the interpreter the caller names: Calculon's own environment, with its
real requirements, timed there.  The driver walks the same candidate set, in the same nesting
order, as Calculon's optimal-execution search, using Calculon's own public API for everything
that decides validity or cost: ``Llm.get_all_tensor_parallelisms``,
``get_all_pipeline_parallelisms``, ``get_valid_pipeline_interleavings``,
``get_valid_microbatch_sizes``, ``can_redo_ag`` to enumerate, and ``Llm.compile`` + ``Llm.run`` +
``Llm.get_stats_json`` to evaluate one candidate.  A candidate that raises ``Llm.Error`` is a
rejected ("bad") plan, as in Calculon; the best plan is the one with the highest
``sample_rate``, as in Calculon.

Two evaluation orders are offered:

* ``"calculon"``: Calculon's own loop order.  Faithful, but a time-limited prefix only covers the
  first few (tp, pp) shapes, so its plans/s and best plan are biased.
* ``"random"`` (default): the same candidate set visited in a seeded pseudo-random permutation, so
  a time-limited run is a uniform sample: its plans/s extrapolates to the whole search and its best
  plan is a fair "best found in the budget".  If the budget suffices, both orders visit everything
  and return the same best plan.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

# The child-side script, run in the interpreter given for Calculon.
DRIVER = Path(__file__).resolve().with_name("calculon_driver.py")


@dataclass(frozen=True)
class CalculonProblem:
    """One benchmark problem expressed with Calculon's own model/system JSON names.

    ``seq_size`` overrides the model JSON's sequence length when the JSON differs from the problem
    (Calculon's ``megatron-1T`` is the 1T dense GPT with 128 blocks, hidden 25600, 160 heads and a
    4x feed-forward, but it ships with ``seq_size`` 2048 whereas our problem uses 4096).
    """

    model: str
    system: str
    num_procs: int
    global_batch: int
    seq_size: int | None = None


# The two problems of ``bench/search.py``, mapped to the closest files in Calculon's checkout.
CALCULON_PROBLEMS: dict[str, CalculonProblem] = {
    # 1T dense GPT, seq 4096, batch 2048 on 16,384 H100 (NVLink-8 nodes + 400 Gb/s per GPU IB).
    "gpt-1t-h100": CalculonProblem("megatron-1T", "h100_80g_nvl8", 16384, 2048, seq_size=4096),
    # GPT-3 175B, seq 2048, batch 1536 on 1,024 A100-80GB (the JSON already has seq 2048).
    "gpt3-175b-a100": CalculonProblem("gpt3-175B", "a100_80g", 1024, 1536),
}


# --------------------------------------------------------------------------------------------
# Parent side: launches the driver in a subprocess and enforces the time limit.
# --------------------------------------------------------------------------------------------


def _resolve_json(checkout: Path, folder: str, name: str) -> Path:
    """Accept either a bare Calculon name (``megatron-1T``) or a path to a JSON file."""
    candidate = Path(name)
    if candidate.suffix == ".json" and candidate.is_file():
        return candidate.resolve()
    path = checkout / folder / f"{name}.json"
    if not path.is_file():
        raise FileNotFoundError(f"no {folder}/{name}.json in Calculon checkout {checkout}")
    return path


def _checkout_revision(checkout: Path) -> str | None:
    """Best-effort commit id of the checkout, so measurements can be tied to a Calculon version."""
    if not (checkout / ".git").exists():
        return None
    try:
        out = subprocess.run(
            ["git", "-C", str(checkout), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def _empty_result(error: str) -> dict[str, Any]:
    return {
        "completed": False,
        "wall_s": 0.0,
        "plans_evaluated": 0,
        "plans_per_s": 0.0,
        "plans_total_estimate": None,
        "best": None,
        "error": error,
    }


def run_calculon_search(
    calculon_path: str,
    model: str,
    system: str,
    num_procs: int,
    global_batch: int,
    max_seconds: float,
    datatype: str = "bfloat16",
    python: str | None = None,
    *,
    seq_size: int | None = None,
    order: str = "random",
    seed: int = 0,
    mbs_break: bool = False,
    strict_batch: bool = False,
    verify_enumeration: bool = False,
    setup_grace_s: float = 120.0,
) -> dict[str, Any]:
    """Run Calculon's own exhaustive execution search (its code, from the checkout at
    ``calculon_path``) on one core for up to ``max_seconds`` and measure it.

    Returns a dict with at least ``completed`` (whole candidate set evaluated), ``wall_s``
    (evaluation wall time, excluding interpreter start-up and enumeration), ``plans_evaluated``,
    ``plans_per_s``, ``plans_total_estimate`` (exact size of Calculon's candidate set; an upper
    bound when ``mbs_break``), ``best`` (Calculon's execution JSON plus key stats of the highest
    ``sample_rate`` plan seen, ``step_time_s`` = Calculon's ``total_time``) and ``error``.  Extra
    keys document the run (``est_full_search_s``, good/bad counts, datatype actually used, ...).

    Args:
        calculon_path: Root of a Calculon checkout (contains ``calculon/``, ``models/``,
            ``systems/``).  It is put on ``PYTHONPATH`` of the child process.
        model: Calculon model JSON name (``models/<model>.json``) or a path to a JSON file.
        system: Calculon system JSON name (``systems/<system>.json``) or a path to a JSON file.
        num_procs: Number of accelerators.
        global_batch: Passed as Calculon's ``max_batch_size``: per data-parallel degree Calculon
            uses the largest multiple of dp not above it (so the batch can shrink; see
            ``strict_batch``).
        max_seconds: Budget for evaluating candidates; the child stops itself when it is spent
            and is killed ``setup_grace_s`` later if it does not.
        datatype: Training datatype.  Calculon's shipped systems only list ``float16``/``float8``
            throughputs; ``bfloat16`` (same size and tensor-core rate on A100/H100) is mapped to
            ``float16`` when the system lacks it, and ``datatype_used`` says so.
        python: Interpreter (Python >= 3.10) to run Calculon with; it must have Calculon's
            requirements (numpy, pandas, psutil). Defaults to this interpreter.
        seq_size: Override of the model JSON's ``seq_size``.
        order: ``"random"`` (uniform sample of the candidate set, good for extrapolation) or
            ``"calculon"`` (Calculon's loop order).
        seed: Seed of the ``"random"`` permutation.
        mbs_break: Calculon's ``-m`` heuristic (stop growing the microbatch once a size yields no
            valid plan); only with ``order="calculon"``.
        strict_batch: Drop (tp, pp) shapes whose Calculon batch differs from ``global_batch``
            (Calculon itself keeps them with a smaller batch).
        verify_enumeration: Also count the candidate set with Calculon's own ``search`` in debug
            mode (loops without evaluating; a few seconds, outside the budget) and report it as
            ``calculon_debug_count``, to catch drift between this driver and the checkout.
        setup_grace_s: Extra seconds allowed for interpreter start-up, imports and enumeration.
    """
    checkout = Path(calculon_path).expanduser().resolve()
    if not (checkout / "calculon" / "llm" / "llm.py").is_file():
        return _empty_result(f"not a Calculon checkout: {checkout}")
    if order not in ("random", "calculon"):
        return _empty_result(f"unknown order {order!r}")
    if mbs_break and order != "calculon":
        return _empty_result("mbs_break needs order='calculon' (it depends on visit order)")
    try:
        model_path = _resolve_json(checkout, "models", model)
        system_path = _resolve_json(checkout, "systems", system)
    except FileNotFoundError as exc:
        return _empty_result(str(exc))

    config: dict[str, Any] = {
        "model_path": str(model_path),
        "system_path": str(system_path),
        "num_procs": num_procs,
        "global_batch": global_batch,
        "max_seconds": max_seconds,
        "datatype": datatype,
        "seq_size": seq_size,
        "order": order,
        "seed": seed,
        "mbs_break": mbs_break,
        "strict_batch": strict_batch,
        "verify_enumeration": verify_enumeration,
    }
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(checkout), env.get("PYTHONPATH", "")) if p)
    # One core, as documented: keep BLAS/OpenMP pools inside numpy from spreading out.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = "1"

    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="calculon-peer-") as tmp:
        tmp_dir = Path(tmp)
        config["status_path"] = str(tmp_dir / "status.json")
        config_path = tmp_dir / "config.json"
        config_path.write_text(json.dumps(config))
        cmd = [python or sys.executable, str(DRIVER), str(config_path)]
        with open(tmp_dir / "stderr.txt", "w+") as err:
            proc = subprocess.Popen(
                cmd,
                cwd=tmp,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=err,
                start_new_session=True,  # so a hard kill reaches only this child's group
            )
            killed = False
            try:
                proc.wait(timeout=max_seconds + setup_grace_s)
            except subprocess.TimeoutExpired:
                killed = True
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            err.seek(0)
            stderr_tail = err.read()[-2000:]
        status_path = Path(config["status_path"])
        status = json.loads(status_path.read_text()) if status_path.is_file() else None
    process_wall_s = time.perf_counter() - start

    if status is None:
        result = _empty_result(
            f"driver exited with code {proc.returncode} before reporting: {stderr_tail.strip()}"
        )
        result["process_wall_s"] = process_wall_s
        return result
    result = dict(status)
    result["process_wall_s"] = process_wall_s
    result["calculon_revision"] = _checkout_revision(checkout)
    if killed:
        result["completed"] = False
        result["error"] = result.get("error") or (
            f"killed after {max_seconds + setup_grace_s:.0f}s (max_seconds + setup_grace_s)"
        )
    elif proc.returncode != 0 and not result.get("error"):
        result["error"] = f"driver exited with code {proc.returncode}: {stderr_tail.strip()}"
    return result


# --------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------


def _main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Measure Calculon's exhaustive LLM execution search on one core.",
    )
    parser.add_argument("calculon_path", help="root of a Calculon checkout")
    parser.add_argument(
        "--problem",
        choices=sorted(CALCULON_PROBLEMS),
        help="benchmark preset (sets model, system, num-procs, global-batch, seq-size)",
    )
    parser.add_argument("--model", help="Calculon model JSON name or path")
    parser.add_argument("--system", help="Calculon system JSON name or path")
    parser.add_argument("--num-procs", type=int)
    parser.add_argument("--global-batch", type=int)
    parser.add_argument("--seq-size", type=int, help="override the model's seq_size")
    parser.add_argument("--max-seconds", type=float, default=60.0)
    parser.add_argument("--datatype", default="bfloat16")
    parser.add_argument("--python", help="interpreter that can import the checkout")
    parser.add_argument("--order", choices=("random", "calculon"), default="random")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--mbs-break", action="store_true", help="Calculon's -m heuristic")
    parser.add_argument("--strict-batch", action="store_true")
    parser.add_argument("--verify-enumeration", action="store_true")
    parser.add_argument("--full", action="store_true", help="print model config and all stats")
    args = parser.parse_args(argv)

    preset = CALCULON_PROBLEMS[args.problem] if args.problem else None
    fields = asdict(preset) if preset else {}
    for key in ("model", "system", "num_procs", "global_batch", "seq_size"):
        value = getattr(args, key)
        if value is not None:
            fields[key] = value
    missing = [k for k in ("model", "system", "num_procs", "global_batch") if k not in fields]
    if missing:
        parser.error(f"missing {', '.join(missing)} (or use --problem)")

    result = run_calculon_search(
        args.calculon_path,
        fields["model"],
        fields["system"],
        fields["num_procs"],
        fields["global_batch"],
        args.max_seconds,
        datatype=args.datatype,
        python=args.python,
        seq_size=fields.get("seq_size"),
        order=args.order,
        seed=args.seed,
        mbs_break=args.mbs_break,
        strict_batch=args.strict_batch,
        verify_enumeration=args.verify_enumeration,
    )
    if not args.full:
        result.pop("model_config", None)
    print(json.dumps(result, indent=2, default=str))
    return 0 if result.get("error") is None else 1


if __name__ == "__main__":
    sys.exit(_main())
