"""The system: an accelerator, its scale-up and scale-out fabrics, and the family's
efficiency constants (catalog/efficiency.yaml). Everything in SI units.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

from gigawatt.catalog import Catalog, Entry, load_catalog
from gigawatt.errors import CatalogError, Problem

Precision = Literal["bf16", "fp16", "fp8"]
Bound = Literal["likely", "optimistic", "pessimistic"]

# Constants where a larger value makes the system faster; the others make it slower.
_FASTER_WHEN_HIGH = {
    "gemm_peak_fraction",
    "memory_fraction",
    "scale_up_fraction",
    "scale_out_fraction",
    "comm_overlap_fraction",
    "tp_overlap_share",
    "dp_overlap_share",
    "p2p_overlap_share",
    "attention_peak_fraction",
    "fp8_gemm_peak_fraction",
    "training_gemm_peak_fraction",
    "triton_attention_peak_fraction",
    "ep_overlap_share",
    "ep_dispatch_dedup_share",
}
AttentionKernel = Literal["flash", "unfused", "triton"]


# layers over pipeline stages: `balanced` (the stage with the LM head and loss keeps fewer
# layers: Megatron-Core account_for_loss_in_pipeline_split, explicit layouts, Llama 3) or
# `uniform` (ceil(L / p) on every stage: Megatron-LM 2021, NeMo before Megatron-Core 0.10)
PIPELINE_SPLITS = ("balanced", "uniform")


@dataclass(frozen=True)
class Efficiency:
    """Achieved fractions of datasheet peaks for one accelerator family."""

    family: str
    gemm_peak_fraction: float
    gemm_dim_half: float
    memory_fraction: float
    scale_up_fraction: float
    scale_out_fraction: float
    comm_overlap_fraction: float
    moe_load_imbalance: float
    kernel_overhead_s: float
    memory_reserved_bytes: float
    attention_kernel: AttentionKernel
    # share of tensor-parallel and pipeline p2p traffic the software runs under GEMMs
    # (0: serialised, as in Megatron-LM 2021-22; catalog key tp_overlap_share)
    tp_overlap_share: float = 0.0
    # share of the last micro-batch that hides non-sharded gradient and parameter traffic
    # (catalog dp_overlap_share; 1: Megatron-Core overlap_grad_reduce)
    dp_overlap_share: float = 1.0
    # share of the interleaved pipeline's p2p sends issued asynchronously under the next
    # chunk's compute (catalog p2p_overlap_share; 1: Megatron-Core overlap_p2p_comm, which
    # NeMo and Megatron-Bridge switch on whenever vpp > 1; 0: blocking sends)
    p2p_overlap_share: float = 0.0
    # fused (flash) attention's share of peak at the GEMM shape limit; None: as the GEMMs
    attention_peak_fraction: float | None = None
    # BF16/FP16 GEMMs' share of peak sustained in training steps; None: gemm_peak_fraction
    training_gemm_peak_fraction: float | None = None
    # FP8 GEMMs' share of the FP8 peak; None: the BF16 fraction (catalog fp8_gemm_peak_fraction)
    fp8_gemm_peak_fraction: float | None = None
    # the Triton FlashAttention kernel's share of peak; None: as the fused kernels
    triton_attention_peak_fraction: float | None = None
    # share of the expert-parallel all-to-all the software hides under the other
    # micro-batch's compute (catalog ep_overlap_share; 0: serialised)
    ep_overlap_share: float = 0.0
    # share of the duplicate cross-domain token copies the dispatcher removes by sending a
    # token once per scale-up domain (catalog ep_dispatch_dedup_share; 0: one copy per expert)
    ep_dispatch_dedup_share: float = 0.0
    # seconds each local expert adds to one pass of an MoE layer beyond its GEMM FLOPs
    # (per-expert quantize and GEMM dispatch of grouped linear layers; catalog
    # moe_expert_overhead; 0: none)
    moe_expert_overhead_s: float = 0.0
    # the optimizer steps each parameter tensor with separate element-wise kernels (PyTorch
    # single-tensor AdamW, as Composer's DecoupledAdamW) instead of one fused multi-tensor
    # kernel (Megatron-LM / Apex / Transformer Engine FusedAdam); set by a row's software
    per_tensor_optimizer: bool = False
    # the software splits the layers evenly over the pipeline stages whatever the LM head
    # costs (Megatron-LM before Megatron-Core 0.10's first/last-stage layer counts, 2024-11);
    # False: the stage with the head keeps fewer layers (``perf.training.head_aware_split``)
    uniform_pipeline_split: bool = False
    # bytes per gradient element in the data-parallel reduction: FP32 (Megatron-LM forces
    # accumulate_allreduce_grads_in_fp32 for BF16, arguments.py; PyTorch FSDP reduce_dtype
    # float32 in llm-foundry and torchtitan) or 2 where the software reduces in BF16
    # (NeMo 2.0 / Megatron-Bridge performance recipes, grad_reduce_in_fp32 False); set by a
    # row's software
    grad_reduce_bytes: float = 4.0
    # inner (K) dimension at which a training GEMM loses half its throughput to each output
    # tile's fixed prologue and epilogue (catalog gemm_k_half; 0: no K-depth loss)
    gemm_k_half: float = 0.0

    def training_gemm_fraction(self, fp8: bool) -> float:
        """Large-GEMM share of the datasheet peak a training step sustains at its GEMM
        precision (serving keeps ``gemm_peak_fraction``)."""
        if fp8 and self.fp8_gemm_peak_fraction is not None:
            return self.fp8_gemm_peak_fraction
        if self.training_gemm_peak_fraction is not None:
            return self.training_gemm_peak_fraction
        return self.gemm_peak_fraction

    @property
    def flash_fraction(self) -> float:
        """Share of peak the fused attention kernels reach (catalog attention_peak_fraction)."""
        if self.attention_peak_fraction is None:
            return self.gemm_peak_fraction
        return self.attention_peak_fraction

    @property
    def triton_fraction(self) -> float:
        """Share of peak the Triton FlashAttention kernel reaches (catalog
        triton_attention_peak_fraction; absent: as the fused kernels)."""
        if self.triton_attention_peak_fraction is None:
            return self.flash_fraction
        return self.triton_attention_peak_fraction

    @classmethod
    def from_entry(cls, entry: Entry, bound: Bound = "likely") -> Efficiency:
        """Constants of a catalog family; ``bound`` takes every constant at the end of its
        range that makes the system fastest (optimistic) or slowest (pessimistic)."""
        kernel = str(entry.get("attention_kernel", "flash"))
        if kernel not in ("flash", "unfused", "triton"):
            where = f"{entry.id}.attention_kernel"
            raise CatalogError([Problem(entry.file, where, "must be flash, unfused or triton")])
        split = entry.get("pipeline_split", "balanced")
        if split not in PIPELINE_SPLITS:
            where = f"{entry.id}.pipeline_split"
            allowed = " or ".join(PIPELINE_SPLITS)
            raise CatalogError([Problem(entry.file, where, f"must be {allowed}")])

        def pick(key: str) -> float:
            low, likely, high = entry.q(key).range
            if bound == "likely":
                return likely
            want_high = (key in _FASTER_WHEN_HIGH) == (bound == "optimistic")
            return high if want_high else low

        def optional(key: str, absent: float | None) -> float | None:
            """A constant newer families state; ``absent`` keeps the older behaviour."""
            return pick(key) if entry.get(key) is not None else absent

        return cls(
            family=entry.id,
            gemm_peak_fraction=pick("gemm_peak_fraction"),
            gemm_dim_half=pick("gemm_dim_half"),
            memory_fraction=pick("memory_fraction"),
            scale_up_fraction=pick("scale_up_fraction"),
            scale_out_fraction=pick("scale_out_fraction"),
            comm_overlap_fraction=pick("comm_overlap_fraction"),
            moe_load_imbalance=pick("moe_load_imbalance"),
            kernel_overhead_s=pick("kernel_overhead"),
            memory_reserved_bytes=pick("memory_reserved"),
            attention_kernel=kernel,  # type: ignore[arg-type]
            fp8_gemm_peak_fraction=optional("fp8_gemm_peak_fraction", None),
            training_gemm_peak_fraction=optional("training_gemm_peak_fraction", None),
            attention_peak_fraction=optional("attention_peak_fraction", None),
            triton_attention_peak_fraction=optional("triton_attention_peak_fraction", None),
            dp_overlap_share=optional("dp_overlap_share", 1.0) or 0.0,
            tp_overlap_share=optional("tp_overlap_share", 0.0) or 0.0,
            p2p_overlap_share=optional("p2p_overlap_share", 0.0) or 0.0,
            ep_overlap_share=optional("ep_overlap_share", 0.0) or 0.0,
            ep_dispatch_dedup_share=optional("ep_dispatch_dedup_share", 0.0) or 0.0,
            moe_expert_overhead_s=optional("moe_expert_overhead", 0.0) or 0.0,
            gemm_k_half=optional("gemm_k_half", 0.0) or 0.0,
            uniform_pipeline_split=split == "uniform",
        )


@dataclass(frozen=True)
class System:
    """One accelerator type in a cluster: compute, memory and the two fabric levels.

    ``oversubscription`` divides scale-out bandwidth (1.0 = non-blocking fat tree).
    """

    accelerator: str
    name: str
    family: str
    peak_flops: dict[str, float]
    memory_bytes: float
    memory_bandwidth_bps: float
    scale_up_domain: int
    scale_up_bandwidth_bps: float
    scale_up_latency_s: float
    scale_out_bandwidth_bps: float
    scale_out_latency_s: float
    tdp_w: float | None
    efficiency: Efficiency
    oversubscription: float = 1.0
    # exponentials per second of the special-function units (softmax in fused attention);
    # None: not published, the attention kernels' exponentials cost nothing extra
    sfu_exp_rate: float | None = None
    # share of the datasheet tensor and special-function rates a part sustains through
    # training (clocks held down by its power limit); serving keeps the datasheet peaks
    training_clock_fraction: float = 1.0
    # GPU <-> host-memory bandwidth per GPU and direction (activation offload); 0: none
    host_link_bandwidth_bps: float = 0.0

    def training_peak(self, precision: str) -> float:
        """Dense peak FLOP/s a training step sustains at a precision: the datasheet peak at
        the clock the part holds under its power limit (``training_clock_fraction``)."""
        return self.peak(precision) * self.training_clock_fraction

    def training_exp_rate(self) -> float | None:
        """Exponentials per second of the special-function units at the training clock;
        None: not published."""
        if not self.sfu_exp_rate:
            return None
        return self.sfu_exp_rate * self.training_clock_fraction

    def peak(self, precision: str) -> float:
        """Dense peak FLOP/s at a precision; clear error when the part lacks it."""
        value = self.peak_flops.get(precision)
        if value is None:
            known = ", ".join(k for k, v in self.peak_flops.items() if v)
            raise CatalogError(
                [
                    Problem(
                        "accelerators.yaml",
                        f"{self.accelerator}.{precision}_dense",
                        f"not published or not supported; precisions with data: {known or 'none'}",
                    )
                ]
            )
        return value

    def with_(self, **changes: Any) -> System:
        return replace(self, **changes)

    def __str__(self) -> str:
        return (
            f"{self.name}: {self.peak_flops.get('bf16', 0) / 1e12:.0f} TFLOP/s BF16, "
            f"{self.memory_bytes / 1e9:.0f} GB at {self.memory_bandwidth_bps / 1e12:.2f} TB/s, "
            f"scale-up {self.scale_up_domain} x {self.scale_up_bandwidth_bps / 1e9:.0f} GB/s, "
            f"scale-out {self.scale_out_bandwidth_bps / 1e9:.0f} GB/s per GPU"
        )


def _required(entry: Entry, key: str) -> float:
    q = entry.q(key)
    if not q.known:
        raise CatalogError(
            [Problem(entry.file, f"{entry.id}.{key}", f"unknown ({q.source}); cannot model it")]
        )
    return q.get()


def get_system(
    accelerator: str,
    catalog: Catalog | None = None,
    bound: Bound = "likely",
    **overrides: Any,
) -> System:
    """Build the System of a catalog accelerator (e.g. ``get_system("h100-sxm")``).

    ``bound="optimistic"``/``"pessimistic"`` takes the efficiency constants at the ends of
    their catalog ranges, for a low/high range around the likely prediction.
    """
    cat = catalog or load_catalog()
    acc = cat.accelerator(accelerator)
    eff = Efficiency.from_entry(cat.efficiency(str(acc["family"])), bound)
    peaks: dict[str, float] = {}
    for prec in ("bf16", "fp16", "fp8"):
        v = acc.value(f"{prec}_dense")
        if v:
            peaks[prec] = v
    if "fp16" not in peaks and "bf16" in peaks:
        peaks["fp16"] = peaks["bf16"]

    def latency(net_key: str, default_key: str) -> float:
        net_id = acc.get(net_key)
        if net_id is None:
            raise CatalogError([Problem(acc.file, f"{acc.id}.{net_key}", "missing network id")])
        return _required(cat.network(str(net_id)), default_key)

    scale_out = acc.value("scale_out_bandwidth")
    if scale_out is None and acc.get("scale_out_network"):
        scale_out = cat.network(str(acc["scale_out_network"])).value("bandwidth_per_gpu")
    system = System(
        accelerator=acc.id,
        name=acc.name,
        family=str(acc["family"]),
        peak_flops=peaks,
        memory_bytes=_required(acc, "memory_capacity"),
        memory_bandwidth_bps=_required(acc, "memory_bandwidth"),
        scale_up_domain=int(_required(acc, "scale_up_domain")),
        scale_up_bandwidth_bps=_required(acc, "scale_up_bandwidth"),
        scale_up_latency_s=latency("scale_up_network", "latency"),
        scale_out_bandwidth_bps=float(scale_out or 0.0),
        scale_out_latency_s=latency("scale_out_network", "latency"),
        tdp_w=acc.value("tdp"),
        efficiency=eff,
        sfu_exp_rate=acc.value("sfu_exp_rate"),
        training_clock_fraction=acc.value("training_clock_fraction") or 1.0,
        host_link_bandwidth_bps=acc.value("host_link_bandwidth") or 0.0,
    )
    return system.with_(**overrides) if overrides else system
