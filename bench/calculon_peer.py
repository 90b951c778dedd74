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

So this file doubles as the child-process driver (``python calculon_peer.py _driver CONFIG``).  The
driver walks the same candidate set, in the same nesting order, as Calculon's optimal-execution
search, using Calculon's own public API for everything that decides validity or cost:
``Llm.get_all_tensor_parallelisms``, ``get_all_pipeline_parallelisms``,
``get_valid_pipeline_interleavings``, ``get_valid_microbatch_sizes``, ``can_redo_ag`` to enumerate,
and ``Llm.compile`` + ``Llm.run`` + ``Llm.get_stats_json`` to evaluate one candidate.  A candidate
that raises ``Llm.Error`` is a rejected ("bad") plan, as in Calculon; the best plan is the one with
the highest ``sample_rate``, as in Calculon.

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
import bisect
import hashlib
import importlib
import itertools
import json
import logging
import math
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import types
from collections.abc import Generator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

# Keys of Calculon's stats JSON that are worth keeping for the best plan (the rest is per-layer
# detail).  ``total_time`` is the time of one training step (one global batch), in seconds.
_BEST_STAT_KEYS = (
    "sample_rate",
    "total_time",
    "fw_time",
    "bw_time",
    "optim_step_time",
    "recompute_time",
    "bubble_time",
    "tp_comm_exposed_time",
    "pp_comm_exposed_time",
    "dp_comm_exposed_time",
    "fw_offload_exposed_time",
    "bw_offload_exposed_time",
    "proc_mem_tier1_cap_req",
    "proc_mem_tier2_cap_req",
    "compute_efficiency",
    "system_efficiency",
    "total_efficiency",
)

# How often the driver rewrites its status file, so a hard kill still leaves recent counts.
_STATUS_PERIOD_S = 0.5


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
        python: Interpreter (Python >= 3.10) to run Calculon with; it needs numpy, while
            pandas/psutil are stubbed if missing since the search path does not use them.
            Defaults to this interpreter.
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
        cmd = [python or sys.executable, str(Path(__file__).resolve()), "_driver", str(config_path)]
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
# Child side: runs inside the interpreter that imports the Calculon checkout.
# --------------------------------------------------------------------------------------------


def _stub_unused_imports() -> list[str]:
    """Stub modules that importing ``calculon`` pulls in but the search never calls.

    ``calculon.llm`` imports its CSV exporter (pandas) and CLI helpers (psutil for a default CPU
    count) at import time.  Stubbing them only when absent lets a bare interpreter with numpy run
    the search; a real installation is always preferred.
    """
    stubbed: list[str] = []
    for name in ("pandas", "psutil"):
        try:
            __import__(name)
        except ImportError:
            stub = types.ModuleType(name)
            if name == "psutil":
                stub.cpu_count = lambda logical=True: os.cpu_count()  # type: ignore[attr-defined]
            sys.modules[name] = stub
            stubbed.append(name)
    return stubbed


class _Permutation:
    """Seeded bijection of ``range(n)`` (4-round Feistel network with cycle walking).

    Lets the driver visit millions of candidates in pseudo-random order without materialising or
    shuffling an index list, and guarantees no candidate is visited twice.
    """

    def __init__(self, n: int, seed: int) -> None:
        self.n = n
        bits = max(2, (n - 1).bit_length())
        bits += bits % 2
        self.half = bits // 2
        self.mask = (1 << self.half) - 1
        rng = random.Random(seed)
        self.keys = [rng.getrandbits(64) for _ in range(4)]

    def _round(self, value: int, key: int) -> int:
        digest = hashlib.blake2b((value ^ key).to_bytes(16, "little"), digest_size=8).digest()
        return int.from_bytes(digest, "little") & self.mask

    def _encrypt(self, value: int) -> int:
        left, right = value >> self.half, value & self.mask
        for key in self.keys:
            left, right = right, left ^ self._round(right, key)
        return (left << self.half) | right

    def __getitem__(self, index: int) -> int:
        value = self._encrypt(index)
        while value >= self.n:
            value = self._encrypt(value)
        return value


@dataclass
class _Task:
    """One unit of Calculon's search (its per-process work item) and its inner loop axes."""

    tp: int
    pp: int
    dp: int
    ppint: int
    batch_size: int
    recompute: str
    optimizer_sharding: bool
    tp_comm: str
    axes: list[tuple[str, list[Any]]]

    @property
    def size(self) -> int:
        return math.prod(len(values) for _, values in self.axes)


def _enumerate_tasks(
    llm_cls: Any,
    batch_fn: Any,
    app: Any,
    num_procs: int,
    global_batch: int,
    num_nets: int,
    has_mem2: bool,
    strict_batch: bool,
) -> list[_Task]:
    """Calculon's candidate set as (outer work items x inner mixed-radix axes).

    The outer loops and the inner axes follow Calculon's optimal-execution search: tp, pp, pipeline
    interleaving, recompute, optimizer sharding, tp communication type outside; then AG-redo, dp
    overlap, tp overlap, weight/activation/optimizer offload, fused activation, microbatch size and
    the network tier of tp/pp/dp inside (last axis varies fastest).  The defaults of Calculon's CLI
    are used: fused activation on, tp and dp overlap allowed.
    """
    tasks: list[_Task] = []
    both = [True, False]
    for tp in llm_cls.get_all_tensor_parallelisms(num_procs, app.hidden, app.attn_heads):
        for pp in llm_cls.get_all_pipeline_parallelisms(num_procs, tp, app.num_blocks):
            dp = llm_cls.get_data_parallelism(num_procs, tp, pp)
            for ppint in llm_cls.get_valid_pipeline_interleavings(app.num_blocks, pp):
                batch_size = batch_fn(dp, global_batch)
                if batch_size is None or (strict_batch and batch_size != global_batch):
                    continue
                mbs = list(llm_cls.get_valid_microbatch_sizes(app.seq_size, tp, dp, batch_size, pp))
                for recompute in ("full", "attn_only", "none"):
                    for opt_shard in both if dp > 1 else [False]:
                        for tp_comm in ("ar", "p2p_rs_ag", "rs_ag"):
                            redo = llm_cls.can_redo_ag(tp_comm, recompute)
                            act_off = both if has_mem2 and recompute != "full" else [False]
                            axes: list[tuple[str, list[Any]]] = [
                                ("seq_par_ag_redo", both if redo else [False]),
                                ("data_par_overlap", both if dp > 1 else [False]),
                                (
                                    "tensor_par_overlap",
                                    ["none", "ring", "pipe"] if tp > 1 else ["none"],
                                ),
                                ("weight_offload", both if has_mem2 else [False]),
                                ("activations_offload", act_off),
                                ("optimizer_offload", both if has_mem2 else [False]),
                                ("fused_activation", [True]),
                                ("microbatch_size", mbs),
                                ("tensor_par_net", list(range(num_nets)) if tp > 1 else [0]),
                                ("pipeline_par_net", list(range(num_nets)) if pp > 1 else [0]),
                                ("data_par_net", list(range(num_nets)) if dp > 1 else [0]),
                            ]
                            tasks.append(
                                _Task(
                                    tp,
                                    pp,
                                    dp,
                                    ppint,
                                    batch_size,
                                    recompute,
                                    opt_shard,
                                    tp_comm,
                                    axes,
                                )
                            )
    return tasks


def _execution_json(
    task: _Task, choice: dict[str, Any], num_procs: int, datatype: str
) -> dict[str, Any]:
    """Calculon ``Llm.Execution`` JSON for one candidate (same fixed fields as its search)."""
    exe = {
        "num_procs": num_procs,
        "tensor_par": task.tp,
        "pipeline_par": task.pp,
        "data_par": task.dp,
        "batch_size": task.batch_size,
        "datatype": datatype,
        "attention_type": "multihead",
        "activation_recompute": task.recompute,
        "pipeline_interleaving": task.ppint,
        "optimizer_sharding": task.optimizer_sharding,
        "tensor_par_comm_type": task.tp_comm,
        "training": True,
    }
    exe.update(choice)
    return exe


def _decode(task: _Task, local_index: int) -> dict[str, Any]:
    """Mixed-radix decode of a within-task index (last axis fastest, as in nested loops)."""
    digits: list[int] = []
    for _, values in reversed(task.axes):
        local_index, digit = divmod(local_index, len(values))
        digits.append(digit)
    return {
        name: values[digit]
        for (name, values), digit in zip(task.axes, reversed(digits), strict=True)
    }


# Yields (work item, inner choice); receives whether that candidate was a valid plan.
_Walker = Generator[tuple[_Task, dict[str, Any]], bool, None]


def _iter_calculon_order(tasks: list[_Task], mbs_break: bool) -> _Walker:
    """Candidates in Calculon's order; with ``mbs_break`` the caller reports each group outcome."""
    for task in tasks:
        names = [name for name, _ in task.axes]
        mbs_pos = names.index("microbatch_size")
        outer, inner = task.axes[:mbs_pos], task.axes[mbs_pos + 1 :]
        mbs_values = task.axes[mbs_pos][1]
        for outer_vals in itertools.product(*(values for _, values in outer)):
            for mbs in mbs_values:
                any_good = False
                for inner_vals in itertools.product(*(values for _, values in inner)):
                    choice = dict(zip(names[:mbs_pos], outer_vals, strict=True))
                    choice["microbatch_size"] = mbs
                    choice.update(zip(names[mbs_pos + 1 :], inner_vals, strict=True))
                    good = yield task, choice
                    any_good = any_good or bool(good)
                if mbs_break and not any_good:
                    break


def _driver(config_path: str) -> int:
    """Child entry point: enumerate, evaluate within the budget, keep a status file current."""
    cfg = json.loads(Path(config_path).read_text())
    status_path = Path(cfg["status_path"])
    status: dict[str, Any] = {
        "completed": False,
        "wall_s": 0.0,
        "plans_evaluated": 0,
        "plans_per_s": 0.0,
        "plans_total_estimate": None,
        "best": None,
        "error": None,
    }

    def write_status() -> None:
        tmp = status_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(status, default=str))
        os.replace(tmp, status_path)

    t_setup = time.perf_counter()
    status["stubbed_modules"] = _stub_unused_imports()
    try:
        # Only importable in the child (PYTHONPATH=checkout), hence untyped module objects.
        calculon = importlib.import_module("calculon")
        calculon_llm = importlib.import_module("calculon.llm")
    except Exception as exc:  # report any import failure to the parent
        status["error"] = f"cannot import calculon: {type(exc).__name__}: {exc}"
        write_status()
        return 1
    llm_cls: Any = calculon_llm.Llm
    optimal_execution: Any = getattr(calculon_llm, "OptimalExecution", None)
    batch_fn: Any = getattr(optimal_execution, "get_batch_size", None)
    if batch_fn is None:

        def batch_fn(dp: int, max_batch: int) -> int | None:
            """Calculon's rule: largest multiple of dp not above the requested batch."""
            return None if dp > max_batch else (max_batch // dp) * dp

    model_cfg = calculon.io.read_json_file(cfg["model_path"])
    if cfg["seq_size"] is not None:
        model_cfg["seq_size"] = cfg["seq_size"]
    sys_cfg = calculon.io.read_json_file(cfg["system_path"])
    datatype = cfg["datatype"]
    matrix_types = sys_cfg["matrix"]
    if datatype == "bfloat16" and datatype not in matrix_types and "float16" in matrix_types:
        datatype = "float16"  # same width and tensor-core rate; Calculon systems omit bfloat16
    status.update(
        {
            "model": Path(cfg["model_path"]).stem,
            "system": Path(cfg["system_path"]).stem,
            "model_config": model_cfg,
            "num_procs": cfg["num_procs"],
            "global_batch": cfg["global_batch"],
            "datatype_requested": cfg["datatype"],
            "datatype_used": datatype,
            "order": cfg["order"],
            "mbs_break": cfg["mbs_break"],
            "strict_batch": cfg["strict_batch"],
        }
    )
    if datatype not in sys_cfg["matrix"]:
        status["error"] = f"system {status['system']} has no {datatype} throughput"
        write_status()
        return 1
    app = llm_cls.Application(model_cfg)
    syst = calculon.System(sys_cfg)
    num_nets = syst.num_networks
    has_mem2 = syst.mem2.capacity > 0
    num_procs = cfg["num_procs"]

    tasks = _enumerate_tasks(
        llm_cls,
        batch_fn,
        app,
        num_procs,
        cfg["global_batch"],
        num_nets,
        has_mem2,
        cfg["strict_batch"],
    )
    sizes = [task.size for task in tasks]
    total = sum(sizes)
    status["plans_total_estimate"] = total
    status["plans_total_is_upper_bound"] = bool(cfg["mbs_break"])
    status["work_items"] = len(tasks)
    status["batch_sizes"] = sorted({task.batch_size for task in tasks})
    if cfg["verify_enumeration"]:
        status["calculon_debug_count"] = _calculon_debug_count(
            optimal_execution, tasks, app, syst, num_procs, cfg["global_batch"], datatype
        )
    status["setup_s"] = time.perf_counter() - t_setup
    write_status()

    sub_logger = logging.Logger("calculon-peer")
    good = bad = unexpected = 0
    best_rate = -math.inf

    def evaluate(task: _Task, choice: dict[str, Any]) -> bool:
        nonlocal good, bad, unexpected, best_rate
        exe = _execution_json(task, choice, num_procs, datatype)
        try:
            model = llm_cls(app, sub_logger)
            model.compile(syst, llm_cls.Execution.from_json(exe))
            model.run(syst)
            stats = model.get_stats_json(False)
        except llm_cls.Error:
            bad += 1
            return False
        except Exception as exc:
            unexpected += 1
            status.setdefault("first_unexpected_error", f"{type(exc).__name__}: {exc} @ {exe}")
            return False
        good += 1
        if stats["sample_rate"] > best_rate:
            best_rate = stats["sample_rate"]
            kept = {key: stats[key] for key in _BEST_STAT_KEYS if key in stats}
            status["best"] = {
                "execution": exe,
                "stats": kept,
                "step_time_s": stats.get("total_time"),
                "sample_rate": stats["sample_rate"],
                "found_after_plans": good + bad + unexpected,
            }
        return True

    budget = float(cfg["max_seconds"])
    t0 = time.perf_counter()
    last_write = t0
    evaluated = 0
    exhausted = False

    def refresh(now: float) -> None:
        elapsed = now - t0
        status.update(
            {
                "wall_s": elapsed,
                "plans_evaluated": evaluated,
                "plans_good": good,
                "plans_bad": bad,
                "plans_unexpected_error": unexpected,
                "plans_per_s": evaluated / elapsed if elapsed > 0 else 0.0,
            }
        )
        rate = status["plans_per_s"]
        status["est_full_search_s"] = total / rate if rate > 0 else None

    if cfg["order"] == "random":
        perm = _Permutation(total, cfg["seed"]) if total else None
        starts = list(itertools.accumulate(sizes, initial=0))
        for position in range(total):
            now = time.perf_counter()
            if now - t0 >= budget:
                break
            index = perm[position]  # type: ignore[index]
            task_id = bisect.bisect_right(starts, index) - 1
            task = tasks[task_id]
            evaluate(task, _decode(task, index - starts[task_id]))
            evaluated += 1
            if now - last_write >= _STATUS_PERIOD_S:
                refresh(now)
                write_status()
                last_write = now
        else:
            exhausted = True
    else:
        walker = _iter_calculon_order(tasks, cfg["mbs_break"])
        try:
            item = next(walker)
            while True:
                now = time.perf_counter()
                if now - t0 >= budget:
                    break
                ok = evaluate(*item)
                evaluated += 1
                if now - last_write >= _STATUS_PERIOD_S:
                    refresh(now)
                    write_status()
                    last_write = now
                item = walker.send(ok)
        except StopIteration:
            exhausted = True

    refresh(time.perf_counter())
    status["completed"] = exhausted
    write_status()
    return 0


def _calculon_debug_count(
    optimal_execution: Any,
    tasks: list[_Task],
    app: Any,
    syst: Any,
    num_procs: int,
    global_batch: int,
    datatype: str,
) -> int | str:
    """Count candidates with Calculon's own search loop in debug mode (no evaluation)."""
    if optimal_execution is None:
        return "unavailable: no OptimalExecution in this checkout"
    total = 0
    try:
        for t in tasks:
            result = optimal_execution.search(
                True,
                1,
                False,
                num_procs,
                global_batch,
                datatype,
                app,
                syst,
                t.tp,
                t.pp,
                t.dp,
                t.ppint,
                t.batch_size,
                t.recompute,
                t.optimizer_sharding,
                t.tp_comm,
                [True],
                False,
                True,
                True,
            )
            total += int(result[1])
    except Exception as exc:
        return f"unavailable: {type(exc).__name__}: {exc}"
    return total


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
    if len(sys.argv) == 3 and sys.argv[1] == "_driver":
        sys.exit(_driver(sys.argv[2]))
    sys.exit(_main())
