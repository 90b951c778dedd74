"""Child side of the Calculon peer benchmark: runs in the interpreter chosen for Calculon.

Started by ``calculon_peer.run_calculon_search`` as ``PYTHON calculon_driver.py CONFIG.json``
with the Calculon checkout on ``PYTHONPATH``. Standard library only (plus whatever the checkout
imports), so it runs in Calculon's own environment, which must have Calculon's requirements
(numpy, pandas, psutil): nothing is stubbed, the peer is measured as its users would run it.

It walks the same candidate set, in the same nesting order, as Calculon's optimal-execution
search, using Calculon's public API for everything that decides validity or cost (see
``calculon_peer``), times the evaluations itself, and keeps a status JSON file current so that a
hard kill still leaves recent counts. Nothing of Calculon's code is copied here.
"""

from __future__ import annotations

import bisect
import hashlib
import importlib
import itertools
import json
import logging
import math
import os
import platform
import random
import sys
import time
from collections.abc import Generator
from dataclasses import dataclass
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
    status["interpreter"] = {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
    }
    try:
        # Only importable in the child (PYTHONPATH=checkout), hence untyped module objects.
        calculon = importlib.import_module("calculon")
        calculon_llm = importlib.import_module("calculon.llm")
        status["interpreter"]["numpy"] = importlib.import_module("numpy").__version__
    except Exception as exc:  # report any import failure to the parent
        status["error"] = (
            f"cannot import calculon: {type(exc).__name__}: {exc} (the interpreter given for "
            "Calculon needs its requirements: numpy, pandas, psutil)"
        )
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
    t0, cpu0 = time.perf_counter(), time.process_time()
    last_write = t0
    evaluated = 0
    exhausted = False

    def refresh(now: float) -> None:
        elapsed, cpu = now - t0, time.process_time() - cpu0
        status.update(
            {
                "wall_s": elapsed,
                "cpu_s": cpu,
                "plans_evaluated": evaluated,
                "plans_good": good,
                "plans_bad": bad,
                "plans_unexpected_error": unexpected,
                "plans_per_s": evaluated / elapsed if elapsed > 0 else 0.0,
                # per CPU second: what one core does, however busy the machine is
                "plans_per_cpu_s": evaluated / cpu if cpu > 0 else 0.0,
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


if __name__ == "__main__":
    sys.exit(_driver(sys.argv[1]))
