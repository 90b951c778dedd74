"""The execution plan: how a training job is split across accelerators.

``ExecutionPlan`` is one plan, easy to build in a notebook; ``Plans`` is a batch of plans as
NumPy arrays (one element per plan), which is what the vectorised model and search consume.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal, get_args

import numpy as np
from numpy.typing import NDArray

# selective: Megatron-LM's core-attention recompute (Korthikanti 2022); op: per-operator
# selective checkpointing that saves every other matmul output and the attention output and
# recomputes the rest (torchtitan activation_checkpoint selective_ac_option "op", 2024-25);
# block: full recompute of only as many layers of each stage as memory needs (Megatron-Core
# recompute_method "block" with recompute_num_layers, ``perf.training.block_recompute``)
Recompute = Literal["none", "selective", "full", "op", "block"]
RECOMPUTE_CODES: dict[str, int] = {"none": 0, "selective": 1, "full": 2, "op": 3, "block": 4}
# the modes the plan search tries and planners may fix (scenarios, ``gigawatt train``); `op`
# is torchtitan's own and stays to measurement rows that state it
PlannedRecompute = Literal["none", "selective", "full", "block"]
PLANNED_RECOMPUTES: tuple[str, ...] = get_args(PlannedRecompute)
RECOMPUTE_NAMES = {v: k for k, v in RECOMPUTE_CODES.items()}
# unfused: QK^T, softmax, dropout as separate kernels; flash: FlashAttention-2/3 or cuDNN fused
# attention; triton: the Triton FlashAttention kernel (flash_attn_triton, 2022) that PyTorch
# stacks such as llm-foundry used in 2023
ATTENTION_CODES: dict[str, int] = {"unfused": 0, "flash": 1, "triton": 2}
ATTENTION_NAMES = {v: k for k, v in ATTENTION_CODES.items()}
PRECISIONS = ("bf16", "fp16", "fp8")


@dataclass(frozen=True)
class ExecutionPlan:
    """One parallel configuration of a training job.

    tp, pp, dp, cp, ep: tensor, pipeline, data, context and expert parallel degrees
    (n_gpus = tp * pp * dp * cp; experts are spread over ep ranks taken from dp * cp).
    vpp: virtual pipeline stages per GPU (interleaved 1F1B; 1 = plain 1F1B).
    micro_batch / global_batch: sequences. zero: 0 (none) .. 3 (params sharded);
    1 is Megatron's distributed optimizer.
    attention: None = the accelerator family's software baseline.
    """

    tp: int = 1
    pp: int = 1
    dp: int = 1
    cp: int = 1
    ep: int = 1
    vpp: int = 1
    micro_batch: int = 1
    global_batch: int = 1
    recompute: Recompute = "none"
    sequence_parallel: bool = False
    zero: int = 1
    precision: str = "bf16"
    attention: str | None = None

    @property
    def n_gpus(self) -> int:
        return self.tp * self.pp * self.dp * self.cp

    @property
    def microbatches(self) -> int:
        return self.global_batch // (self.dp * self.micro_batch)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        sp = " SP" if self.sequence_parallel else ""
        extra = f" CP{self.cp}" if self.cp > 1 else ""
        extra += f" EP{self.ep}" if self.ep > 1 else ""
        vpp = f"x{self.vpp}" if self.vpp > 1 else ""
        return (
            f"TP{self.tp} PP{self.pp}{vpp} DP{self.dp}{extra} mb{self.micro_batch} "
            f"gb{self.global_batch} {self.recompute}{sp} ZeRO{self.zero} {self.precision}"
        )


IntArray = NDArray[np.int64]


@dataclass
class Plans:
    """A batch of execution plans as parallel arrays (vectorised form of ExecutionPlan)."""

    tp: IntArray
    pp: IntArray
    dp: IntArray
    cp: IntArray
    ep: IntArray
    vpp: IntArray
    micro_batch: IntArray
    global_batch: IntArray
    recompute: IntArray  # RECOMPUTE_CODES
    sequence_parallel: IntArray  # 0/1
    zero: IntArray
    attention: IntArray  # ATTENTION_CODES
    precision: str = "bf16"

    def __len__(self) -> int:
        return int(self.tp.shape[0])

    @classmethod
    def from_plans(cls, plans: Sequence[ExecutionPlan], default_attention: str) -> Plans:
        if not plans:
            raise ValueError("no plans")
        precisions = {p.precision for p in plans}
        if len(precisions) != 1:
            raise ValueError("a batch of plans must share one precision")

        def col(name: str) -> IntArray:
            return np.array([int(getattr(p, name)) for p in plans], dtype=np.int64)

        return cls(
            tp=col("tp"),
            pp=col("pp"),
            dp=col("dp"),
            cp=col("cp"),
            ep=col("ep"),
            vpp=col("vpp"),
            micro_batch=col("micro_batch"),
            global_batch=col("global_batch"),
            recompute=np.array([RECOMPUTE_CODES[p.recompute] for p in plans], dtype=np.int64),
            sequence_parallel=col("sequence_parallel"),
            zero=col("zero"),
            attention=np.array(
                [ATTENTION_CODES[p.attention or default_attention] for p in plans], dtype=np.int64
            ),
            precision=plans[0].precision,
        )

    def take(self, index: NDArray[np.int64] | NDArray[np.bool_]) -> Plans:
        kw: dict[str, Any] = {
            f.name: getattr(self, f.name)[index] for f in fields(self) if f.name != "precision"
        }
        return Plans(**kw, precision=self.precision)

    def plan(self, i: int) -> ExecutionPlan:
        return ExecutionPlan(
            tp=int(self.tp[i]),
            pp=int(self.pp[i]),
            dp=int(self.dp[i]),
            cp=int(self.cp[i]),
            ep=int(self.ep[i]),
            vpp=int(self.vpp[i]),
            micro_batch=int(self.micro_batch[i]),
            global_batch=int(self.global_batch[i]),
            recompute=RECOMPUTE_NAMES[int(self.recompute[i])],  # type: ignore[arg-type]
            sequence_parallel=bool(self.sequence_parallel[i]),
            zero=int(self.zero[i]),
            precision=self.precision,
            attention=ATTENTION_NAMES[int(self.attention[i])],
        )

    def __iter__(self) -> Iterator[ExecutionPlan]:
        for i in range(len(self)):
            yield self.plan(i)


def plan_fields() -> list[str]:
    return [f.name for f in fields(ExecutionPlan)]
