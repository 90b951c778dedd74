"""Training-iteration model: time and memory of one optimizer step for a batch of plans.

Sources of the formulas (each function says which it implements):
- Narayanan et al. 2021, "Efficient Large-Scale Language Model Training on GPU Clusters
  Using Megatron-LM" (SC'21): FLOPs per iteration, 1F1B and interleaved pipeline bubble
  (p-1)/(v*m), p2p scatter/gather, tensor-parallel all-reduces per layer.
- Korthikanti et al. 2022, "Reducing Activation Recomputation in Large Transformer Models":
  activation bytes per layer 34sbh + 5as^2b, sequence parallelism, selective recompute,
  in-flight micro-batches of the first stage.
- Rajbhandari et al. 2020 (ZeRO) for optimizer/gradient/parameter sharding; 16 bytes per
  parameter for mixed-precision Adam.
- Dao 2023 (FlashAttention-2): attention without the s x s matrix in HBM, causal blocks
  skipped, backward ~2.5x forward.
- Llama 3 Herd of Models 2024, section 3.3: CP all-gather of K/V, 4D parallel layout.
- Isaev et al. 2023, "Calculon: a methodology and tool for high-level co-design of systems
  and large language models" (SC'23): separating application, system and execution;
  matrix-size dependent efficiency; exposed vs overlapped communication.

Everything is vectorised over plans: each quantity is a NumPy array with one element per plan.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from gigawatt.perf.comm import collective_time
from gigawatt.perf.execution import ATTENTION_CODES, RECOMPUTE_CODES, ExecutionPlan, Plans
from gigawatt.perf.system import System
from gigawatt.workload import TransformerModel

FloatArray = NDArray[np.float64]

ACT_BYTES = 2.0  # activations and weights in BF16/FP16
# FP16 runs reduce gradients in the parameters' FP16 (Megatron-LM
# accumulate_allreduce_grads_in_fp32 off); BF16 and FP8 runs in the family's
# ``grad_reduce_bytes`` (FP32 unless the software says otherwise)
FP16_GRAD_BYTES = 2.0
MASTER_BYTES_PER_PARAM = 12.0  # FP32 master weights + Adam m and v (Rajbhandari 2020, sec. 3)
ADAM_TRAFFIC_BYTES_PER_PARAM = 30.0  # read grad, master, m, v (16 B); write master, m, v, bf16
# FP32 element reads + writes per parameter of a per-tensor AdamW step without weight decay
# (Composer DecoupledAdamW.adamw, 2023): exp_avg.mul_.add_ (5), exp_avg_sq.mul_.addcmul_ (5),
# denom = sqrt / scalar .add_ (6), param.addcdiv_ (4); norm-based gradient clipping reads the
# gradients for the norm and scales them in place (3; FSDP clip_grad_norm_)
PER_TENSOR_ADAM_PASSES = 20.0
GRAD_CLIP_PASSES = 3.0
UNFUSED_ATTN_BYTES = 8.0  # per score element fwd: QK^T write, softmax read+write, AV read
DROPOUT_ATTN_BYTES = 5.0  # attention dropout: read, write and a 1-byte mask per element
FLASH_BWD_FACTOR = 2.5  # FlashAttention backward / forward time (Dao 2023, sec. 4)
KERNELS_PER_LAYER_FWD = 14  # GEMMs, norms, activation, residuals, attention kernels
LOGITS_FP32_COPIES = 2.0  # fp32 logits and their gradient in the vocab-parallel loss
FP8_CAST_BYTES = 3.0  # a BF16 -> FP8 cast reads 2 bytes and writes 1 per element
FP8_BYTES = 1.0  # FP8 GEMM operands
FP32_BYTES = 4.0
# memory per logit element: the head GEMM's BF16 output and the FP32 softmax the
# vocab-parallel cross entropy keeps for its backward, whose gradient overwrites it in place
# (Megatron-Core tensor_parallel.cross_entropy; PyTorch log_softmax under autocast likewise)
LOGITS_MEMORY_BYTES = ACT_BYTES + FP32_BYTES
FLOPS_PER_MAC = 2.0  # a multiply-accumulate is two FLOPs
READ_WRITE = 2.0  # a memory-bound kernel reads and writes each element once
BACKWARD_FORWARD_RATIO = 2.0  # input + weight gradients: 2x the forward GEMMs (Narayanan 2021)
CAUSAL_FRACTION = 0.5  # FlashAttention skips the fully masked half of a causal score matrix
# element reads + writes per token and hidden unit: two norms (read + write each), two residual
# adds (read 2, write 1 each); the FFN activation reads its input(s) and writes its output
NORM_RW_ELEMENTS = 4.0
RESIDUAL_RW_ELEMENTS = 6.0
SWIGLU_RW_ELEMENTS = 3.0  # reads gate and up projections, writes their product
GELU_RW_ELEMENTS = 2.0
RESIDUAL_MASK_BYTES = 2.0  # two residual dropouts, a 1-byte mask each
NORMS_PER_LAYER = 2.0  # pre-attention and pre-FFN norms: their BF16 inputs are stored
NORM_OUTPUT_BYTES = 4.0  # the two norms' BF16 outputs (QKV and MLP inputs)
SOFTMAX_OUT_BYTES = 2.0  # stored softmax output per score element (unfused attention)
ATTN_DROPOUT_STORED_BYTES = 3.0  # attention dropout output (2 B) and its mask (1 B)
MOE_PERMUTE_RW_ELEMENTS = 4.0  # permute before dispatch and after combine, read + write each
A2A_PER_MOE_LAYER = 2.0  # dispatch and combine all-to-alls
TP_COLLECTIVES_PER_LAYER = 2.0  # after attention and after the FFN (Megatron-LM)
TP_PASSES_PER_LAYER = 2.0  # forward and backward each pay them (full recompute: once more)
CP_COLLECTIVES_BWD = 2.0  # K/V all-gather again and reduce-scatter of their gradients
P2P_SENDS_PER_MICROBATCH = 2.0  # activations forward, their gradients backward
ZERO3_GATHERS_PER_MICROBATCH = 2.0  # parameters gathered for forward and again for backward
ZERO3_PREFETCH_LAYERS = 2.0  # gathered layers held (current + prefetched)
# fused attention kernels are compiled for a few head widths and pad the others up:
# FlashAttention-2 rounds to a multiple of 32 up to 128, of 64 above (flash_api.cpp,
# round_multiple); the Triton kernel to the next power of two (flash_attn_triton.py,
# BLOCK_HEADDIM = next_power_of_2(d))
FLASH_HEAD_STEP_SMALL = 32
FLASH_HEAD_STEP_LARGE = 64
FLASH_HEAD_STEP_LIMIT = 128
# an FP8 tensor-core K-step covers twice the K of a BF16 one at the same bytes per stage
# (Hopper wgmma: k = 32 for FP8, 16 for BF16, PTX ISA 8.x, wgmma.mma_async shapes), so an
# FP8 GEMM needs twice the depth to hide the same per-tile prologue and epilogue
FP8_K_STEP_RATIO = 2.0
HBM_GIB_PER_DATASHEET_GB = 2.0**30 / 1e9  # a datasheet HBM "GB" is a GiB (usable_memory_bytes)


@dataclass
class TrainingBatch:
    """Predictions for a batch of plans (arrays, one element per plan)."""

    plans: Plans
    step_time_s: FloatArray
    breakdown_s: dict[str, FloatArray]
    memory_bytes: dict[str, FloatArray]
    memory_total_bytes: FloatArray
    memory_capacity_bytes: float
    fits: NDArray[np.bool_]
    tokens_per_step: FloatArray
    model_flops_per_step: FloatArray
    hardware_flops_per_step: FloatArray
    mfu: FloatArray
    hfu: FloatArray


@dataclass(frozen=True)
class TrainingEstimate:
    """One plan's prediction: step time, throughput, utilisation, time and memory breakdown."""

    model: str
    system: str
    plan: ExecutionPlan
    step_time_s: float
    tokens_per_s: float
    tokens_per_step: float
    mfu: float
    hfu: float
    fits: bool
    memory_total_bytes: float
    memory_capacity_bytes: float
    breakdown_s: dict[str, float] = field(default_factory=dict)
    memory_bytes: dict[str, float] = field(default_factory=dict)

    def time_to_train_s(self, tokens: float) -> float:
        return tokens / self.tokens_per_s

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "system": self.system,
            "plan": self.plan.to_dict(),
            "n_gpus": self.plan.n_gpus,
            "step_time_s": self.step_time_s,
            "tokens_per_s": self.tokens_per_s,
            "tokens_per_step": self.tokens_per_step,
            "mfu": self.mfu,
            "hfu": self.hfu,
            "fits": self.fits,
            "memory_total_bytes": self.memory_total_bytes,
            "memory_capacity_bytes": self.memory_capacity_bytes,
            "breakdown_s": self.breakdown_s,
            "memory_bytes": self.memory_bytes,
        }

    def __str__(self) -> str:
        return (
            f"{self.model} on {self.plan.n_gpus} x {self.system} [{self.plan}]: "
            f"step {self.step_time_s:.3g} s, MFU {self.mfu:.1%}, "
            f"memory {self.memory_total_bytes / 1e9:.1f}/{self.memory_capacity_bytes / 1e9:.0f} GB"
            + ("" if self.fits else " (does not fit)")
        )


def gemm_time(
    flops: FloatArray | float,
    m: FloatArray | float,
    n: FloatArray | float,
    k: FloatArray | float,
    system: System,
    peak_flops: float,
    operand_bytes: float = ACT_BYTES,
    peak_fraction: FloatArray | float | None = None,
) -> FloatArray:
    """Time of GEMMs of shape (m x k) @ (k x n) totalling ``flops``.

    Roofline (Williams et al. 2009) with a size-dependent compute efficiency: the family's
    large-GEMM fraction of peak times prod(d / (d + d_half)) over the three dimensions, the
    shape of tile-quantisation and wave-quantisation losses in NVIDIA's "Matrix
    Multiplication Background" guide; memory traffic is the three operands once.
    ``peak_fraction`` replaces the family's large-GEMM fraction (fused attention kernels).
    """
    eff = system.efficiency
    half = eff.gemm_dim_half
    m_ = np.asarray(m, dtype=np.float64)
    n_ = np.asarray(n, dtype=np.float64)
    k_ = np.asarray(k, dtype=np.float64)
    shape_eff = (m_ / (m_ + half)) * (n_ / (n_ + half)) * (k_ / (k_ + half))
    f = np.asarray(flops, dtype=np.float64)
    fraction = eff.gemm_peak_fraction if peak_fraction is None else peak_fraction
    t_compute = f / (peak_flops * fraction * shape_eff)
    count = f / np.maximum(2.0 * m_ * n_ * k_, 1.0)
    traffic = count * operand_bytes * (m_ * k_ + k_ * n_ + m_ * n_)
    t_memory = traffic / (system.memory_bandwidth_bps * eff.memory_fraction)
    return np.asarray(np.maximum(t_compute, t_memory), dtype=np.float64)


def _ceil_div(a: NDArray[Any], b: NDArray[Any]) -> NDArray[np.float64]:
    return np.asarray(-(-a // b), dtype=np.float64)


@dataclass(frozen=True)
class PlanShape:
    """A batch of plans as the float arrays the per-block functions share (one element per
    plan), with the model's sizes and the device rates at the plans' precision.

    ``T`` is the tokens of one micro-batch on one GPU before the tensor split (b s / cp);
    ``r`` the share of the non-tensor-parallel activations one GPU keeps (1 / tp with
    sequence parallelism, Korthikanti 2022 sec. 4.2.2, else 1).
    """

    s: float
    h: float
    a: float
    L: float
    V: float
    t: FloatArray
    p: FloatArray
    d: FloatArray
    c: FloatArray
    e: FloatArray
    v: FloatArray
    b: FloatArray
    B: FloatArray
    flash: NDArray[np.bool_]  # a fused kernel (FlashAttention or its Triton version)
    triton: NDArray[np.bool_]
    rc: NDArray[np.int64]
    zero: NDArray[np.int64]
    drop: float
    T: FloatArray
    r: FloatArray
    fp8: bool
    peak_gemm: float
    peak_16bit: float
    gemm_bytes: float
    mem_bw: float
    grad_bytes: float


def plan_shape(
    model: TransformerModel, system: System, plans: Plans, seq_len: int | None = None
) -> PlanShape:
    """The shared arrays of ``plans``. FP8 runs the GEMMs at the FP8 peak with 1-byte
    operands, and attention and the LM head at the BF16 peak (``peak_16bit``: Transformer
    Engine keeps attention in BF16, and FP8 recipes leave the head out)."""
    s = float(seq_len or model.seq_len)
    fp8 = plans.precision == "fp8"
    t = plans.tp.astype(np.float64)
    b = plans.micro_batch.astype(np.float64)
    c = plans.cp.astype(np.float64)
    sp = plans.sequence_parallel.astype(bool) & (plans.tp > 1)
    return PlanShape(
        s=s,
        h=float(model.d_model),
        a=float(model.n_heads),
        L=float(model.n_layers),
        V=float(model.vocab_size),
        t=t,
        p=plans.pp.astype(np.float64),
        d=plans.dp.astype(np.float64),
        c=c,
        e=plans.ep.astype(np.float64),
        v=plans.vpp.astype(np.float64),
        b=b,
        B=plans.global_batch.astype(np.float64),
        flash=plans.attention != ATTENTION_CODES["unfused"],
        triton=plans.attention == ATTENTION_CODES["triton"],
        rc=plans.recompute,
        zero=plans.zero,
        drop=1.0 if model.has_dropout else 0.0,
        T=b * s / c,
        r=np.where(sp, 1.0 / t, 1.0),
        fp8=fp8,
        peak_gemm=system.training_peak(plans.precision),
        peak_16bit=system.training_peak("bf16" if fp8 else plans.precision),
        gemm_bytes=FP8_BYTES if fp8 else ACT_BYTES,
        mem_bw=system.memory_bandwidth_bps * system.efficiency.memory_fraction,
        grad_bytes=(
            FP16_GRAD_BYTES if plans.precision == "fp16" else system.efficiency.grad_reduce_bytes
        ),
    )


def k_depth_efficiency(k: FloatArray | float, system: System, fp8: bool) -> FloatArray:
    """Share of a GEMM's main-loop throughput left after each output tile's fixed prologue
    (loading the first K slices) and epilogue (converting and writing the tile), which the
    K / k_step main-loop iterations amortise: K / (K + k_half). A shallow GEMM (a small
    model's hidden width) runs below the large-GEMM rate however many tiles it has (NVIDIA
    Matrix Multiplication Background User's Guide, 2023: throughput grows with K at fixed
    M, N; Transformer Engine, GEMM Speedups Across Precisions, 2025: the FP8 speedup over
    BF16 "depends on your model's matrix dimensions"). FP8 halves the main loop, not the
    epilogue (``FP8_K_STEP_RATIO``)."""
    half = system.efficiency.gemm_k_half * (FP8_K_STEP_RATIO if fp8 else 1.0)
    k_ = np.asarray(k, dtype=np.float64)
    return np.asarray(k_ / (k_ + half), dtype=np.float64)


def _gemm(
    sh: PlanShape,
    system: System,
    n: FloatArray | float,
    k: FloatArray | float,
    m: FloatArray | None = None,
    wide: bool = False,
) -> FloatArray:
    """Time of one (m x k) @ (k x n) GEMM at the plans' GEMM precision (m: micro-batch tokens);
    ``wide`` runs it at the 16-bit rate whatever the plans' precision (layers FP8 recipes
    leave out)."""
    m_ = sh.T if m is None else m
    fp8 = sh.fp8 and not wide
    flops = FLOPS_PER_MAC * m_ * n * k
    fraction = system.efficiency.training_gemm_fraction(fp8) * k_depth_efficiency(k, system, fp8)
    peak, operand_bytes = (sh.peak_gemm, sh.gemm_bytes) if fp8 else (sh.peak_16bit, ACT_BYTES)
    return gemm_time(flops, m_, n, k, system, peak, operand_bytes, fraction)


def attention_projection_time(
    model: TransformerModel, system: System, sh: PlanShape
) -> tuple[FloatArray, float, float]:
    """(forward seconds of one layer's attention projections on one GPU, query-key head
    width, value head width). GQA/MHA: fused QKV and output projections, split over TP
    (Megatron-LM, Shoeybi 2019); MLA: the down- and up-projections of the compressed query
    and key-value latents (DeepSeek-AI 2024, arXiv:2405.04434, sec. 2.1)."""
    h, t = sh.h, sh.t
    if model.mla is not None:
        ml = model.mla
        t_proj = (
            _gemm(sh, system, float(ml.q_lora_rank), h)
            + _gemm(sh, system, model.q_width / t, float(ml.q_lora_rank))
            + _gemm(sh, system, float(ml.kv_lora_rank + ml.qk_rope_head_dim), h)
            + _gemm(
                sh, system, sh.a * (ml.qk_nope_head_dim + ml.v_head_dim) / t, float(ml.kv_lora_rank)
            )
            + _gemm(sh, system, h, model.v_width / t)
        )
        return t_proj, float(ml.qk_nope_head_dim + ml.qk_rope_head_dim), float(ml.v_head_dim)
    qkv_width = model.q_width + 2 * model.kv_heads * model.head_dim
    t_proj = _gemm(sh, system, qkv_width / t, h) + _gemm(sh, system, h, model.q_width / t)
    return t_proj, float(model.head_dim), float(model.head_dim)


@dataclass(frozen=True)
class AttentionCore:
    """Seconds of the attention core (scores and weighted sum) of one layer on one GPU."""

    gemm_s: FloatArray  # the two batched GEMMs, forward
    fwd_s: FloatArray  # forward, with the unfused kernels' score traffic
    bwd_s: FloatArray
    score_elements: FloatArray  # s_q x s score elements of the GPU's heads


def padded_head_dim(dim: float, triton: NDArray[np.bool_]) -> NDArray[np.float64]:
    """The head width a fused attention kernel computes with (see FLASH_HEAD_STEP_*)."""
    step = FLASH_HEAD_STEP_SMALL if dim <= FLASH_HEAD_STEP_LIMIT else FLASH_HEAD_STEP_LARGE
    flash_dim = float(-(-dim // step) * step)
    pow2 = float(2.0 ** np.ceil(np.log2(max(dim, 1.0))))
    return np.where(triton, pow2, flash_dim)


def attention_core_time(
    system: System, sh: PlanShape, qk_dim: float, v_dim: float
) -> AttentionCore:
    """Scores and weighted sum over the GPU's b a / tp heads and s / cp queries.

    FlashAttention (Dao 2023) skips the fully masked causal blocks, never writes the
    scores and runs its matmuls at the family's fused-attention share of peak; its backward
    costs ``FLASH_BWD_FACTOR`` forwards (sec. 4). Its softmax exponentials (one per computed
    score forward, one backward) run on the special-function units at the accelerator's
    ``sfu_exp_rate``, serialised with the matmuls. Unfused attention computes every block and
    moves each score element through HBM (``UNFUSED_ATTN_BYTES``, plus
    ``DROPOUT_ATTN_BYTES`` with attention dropout); its backward is twice its forward.
    """
    heads = sh.b * sh.a / sh.t
    s_q = sh.s / sh.c
    causal = np.where(sh.flash, CAUSAL_FRACTION, 1.0)
    core_flops = FLOPS_PER_MAC * heads * s_q * sh.s * (qk_dim + v_dim) * causal
    head_k = (qk_dim + v_dim) / 2.0
    t_batched = gemm_time(core_flops, s_q, sh.s, head_k, system, sh.peak_16bit)
    # fused kernels keep the s x s scores on chip (no memory roofline for the score matrix)
    # and compute at their padded head widths
    eff = system.efficiency
    half = eff.gemm_dim_half
    padded = padded_head_dim(qk_dim, sh.triton) + padded_head_dim(v_dim, sh.triton)
    head_p = padded / 2.0
    shape_eff = (s_q / (s_q + half)) * (sh.s / (sh.s + half)) * (head_p / (head_p + half))
    fraction = np.where(sh.triton, eff.triton_fraction, eff.flash_fraction)
    padded_flops = core_flops * padded / (qk_dim + v_dim)
    t_fused = padded_flops / (sh.peak_16bit * fraction * shape_eff)
    t_core = np.where(sh.flash, t_fused, t_batched)
    score_elems = heads * s_q * sh.s
    # the online softmax exponentiates every computed score once forward and once more
    # backward (P recomputed); the special-function units do it while the tensor cores wait
    # (NVIDIA, Making Softmax More Efficient with NVIDIA Blackwell Ultra, 2026; Shah et al.
    # 2024, FlashAttention-3, sec. 3.1)
    t_exp = np.zeros_like(t_core)
    exp_rate = system.training_exp_rate()
    if exp_rate:
        t_exp = np.where(sh.flash, score_elems * causal / exp_rate, 0.0)
    score_bytes = UNFUSED_ATTN_BYTES + DROPOUT_ATTN_BYTES * sh.drop
    t_core_mem = np.where(sh.flash, 0.0, score_elems * score_bytes / sh.mem_bw)
    unfused_bwd = BACKWARD_FORWARD_RATIO * t_core + BACKWARD_FORWARD_RATIO * t_core_mem
    return AttentionCore(
        gemm_s=t_core + t_exp,
        fwd_s=t_core + t_exp + t_core_mem,
        bwd_s=np.where(sh.flash, FLASH_BWD_FACTOR * t_core + t_exp, unfused_bwd),
        score_elements=score_elems,
    )


def _act_rw_elements(model: TransformerModel) -> float:
    """Element reads + writes per hidden unit of the FFN activation function (SwiGLU reads
    the gate and the up projection)."""
    return SWIGLU_RW_ELEMENTS if model.ffn == "swiglu" else GELU_RW_ELEMENTS


def op_recompute_gemm_share(model: TransformerModel) -> float:
    """Share of a layer's forward linear-layer FLOPs that per-operator selective
    checkpointing recomputes. torchtitan's policy (activation_checkpoint selective_ac_option
    "op", torchtitan/models/llama3/infra/parallelize.py, 2024-25) counts the matmuls of each
    block in execution order (wq, wk, wv, wo, then w1, w3, w2 or fc1, fc2) and saves every
    other one's output, so the 2nd, 4th, 6th ... are recomputed in the backward pass."""
    h, kv_one = float(model.d_model), float(model.kv_width) / 2.0
    attention = [h * model.q_width, h * kv_one, h * kv_one, float(model.v_width) * h]
    ff = float(model.ffn_hidden)
    ffn = [h * ff, h * ff, ff * h] if model.ffn == "swiglu" else [h * ff, ff * h]
    matmuls = attention + ffn
    return sum(matmuls[1::2]) / sum(matmuls)


def dense_ffn_time(
    model: TransformerModel, system: System, sh: PlanShape
) -> tuple[FloatArray, FloatArray]:
    """(forward GEMM seconds, activation-function bytes) of one dense FFN on one GPU; the up
    (and gate) projection and the down projection split over TP (Megatron-LM)."""
    mats = float(model.ffn_matrices)
    ff = float(model.ffn_hidden)
    t_ffn = _gemm(sh, system, (mats - 1.0) * ff / sh.t, sh.h) + _gemm(sh, system, sh.h, ff / sh.t)
    elt = _act_rw_elements(model) * ACT_BYTES * sh.T * ff / sh.t
    return t_ffn, elt


def moe_ffn_time(
    model: TransformerModel, system: System, sh: PlanShape
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(forward GEMM seconds, element-wise bytes, forward expert-parallel all-to-all seconds)
    of one MoE FFN on one GPU (zeros for a dense model).

    Each GPU holds E / ep experts that see T k ep / E tokens each; the busiest expert sets the
    pace (the family's load imbalance). Tokens are permuted before dispatch and after combine
    and exchanged by two all-to-alls (dispatch, combine) over the ep group (Lepikhin et al.
    2021, GShard; Megatron-Core MoE). An ep folded over the tensor-parallel ranks (expert
    tensor parallelism 1, ``search``) does the same FLOPs per GPU; its GEMMs are taken at the
    tensor-split shapes."""
    if not model.is_moe:
        zero = np.zeros_like(sh.T)
        return zero, zero.copy(), zero.copy()
    t, h, T = sh.t, sh.h, sh.T
    mats = float(model.ffn_matrices)
    ffe = float(model.expert_hidden)
    k_top = float(model.moe_top_k)
    experts = float(model.moe_experts)
    m_e = T * k_top * sh.e / experts  # tokens per local expert
    n_local = experts / sh.e
    imbalance = system.efficiency.moe_load_imbalance
    t_routed = _gemm(sh, system, (mats - 1.0) * ffe / t, h, m_e) + _gemm(
        sh, system, h, ffe / t, m_e
    )
    # grouped linear layers run one quantize + GEMM (and its host dispatch) per local expert:
    # a fixed cost per expert and pass that small experts cannot amortise
    t_fixed = n_local * system.efficiency.moe_expert_overhead_s
    t_ffn = n_local * t_routed * imbalance + t_fixed
    if model.moe_shared_experts:
        ffs = ffe * model.moe_shared_experts
        t_ffn = t_ffn + _gemm(sh, system, (mats - 1.0) * ffs / t, h) + _gemm(sh, system, h, ffs / t)
    t_ffn = t_ffn + _gemm(sh, system, experts, h)  # router
    routed = k_top + model.moe_shared_experts
    elt = _act_rw_elements(model) * ACT_BYTES * T * routed * ffe / t
    elt = elt + MOE_PERMUTE_RW_ELEMENTS * ACT_BYTES * T * sh.r * k_top * h
    a2a_bytes = T * k_top * h * ACT_BYTES / t
    inter = dispatch_inter_scale(system, sh, k_top)
    a2a = collective_time("all_to_all", a2a_bytes, sh.e, t, system, inter)
    return t_ffn, elt, A2A_PER_MOE_LAYER * a2a * imbalance


def dispatch_inter_scale(system: System, sh: PlanShape, k_top: float) -> FloatArray:
    """Cross-domain bytes of an expert-parallel dispatch relative to one copy per routed
    expert. A token routed to several experts of one remote scale-up domain crosses the
    network once and is forwarded over the scale-up links (DeepSeek-V3 report 2024,
    arXiv:2412.19437, sec. 3.2.2; DeepEP normal kernels; Megatron-Core flex dispatcher). With
    uniform routing over N domains a token reaches (N - 1)(1 - (1 - 1/N)^k) remote domains on
    average instead of k (N - 1)/N remote experts; the family's ``ep_dispatch_dedup_share``
    says how much of that saving its software takes."""
    domain = float(system.scale_up_domain)
    per_domain = np.clip(np.floor(domain / np.maximum(sh.t, 1.0)), 1.0, sh.e)
    n_dom = np.maximum(sh.e / per_domain, 1.0)
    copies = k_top * (n_dom - 1.0) / n_dom
    distinct = (n_dom - 1.0) * (1.0 - (1.0 - 1.0 / n_dom) ** k_top)
    ratio = np.where(n_dom > 1.0, distinct / np.maximum(copies, 1e-30), 1.0)
    dedup = system.efficiency.ep_dispatch_dedup_share
    return np.asarray(1.0 - dedup * (1.0 - ratio), dtype=np.float64)


def elementwise_time(
    model: TransformerModel, sh: PlanShape, elt_dense_ffn: FloatArray, elt_moe_ffn: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(dense layer, selective recompute, MoE layer) seconds of memory-bound element-wise
    kernels on one GPU: two norms (read + write), two residual adds (read 2, write 1) with
    dropout masks, the FFN activation function and, with FP8 (Transformer Engine recipe),
    the BF16 -> FP8 casts of every GEMM input and weight (``fp8_cast_elements``). Selective
    recompute (Korthikanti 2022 sec. 5) redoes the norms and the activation function."""
    T, h, r = sh.T, sh.h, sh.r
    norms_residuals = NORM_RW_ELEMENTS + RESIDUAL_RW_ELEMENTS
    elt_common = T * h * r * ACT_BYTES * norms_residuals + T * h * r * RESIDUAL_MASK_BYTES * sh.drop
    cast_attn, cast_dense, cast_moe = fp8_cast_elements(model, sh)
    elt_common = elt_common + FP8_CAST_BYTES * cast_attn
    t_dense = (elt_common + FP8_CAST_BYTES * cast_dense + elt_dense_ffn) / sh.mem_bw
    t_recompute = (T * h * r * ACT_BYTES * NORM_RW_ELEMENTS + elt_dense_ffn) / sh.mem_bw
    t_moe = (elt_common + FP8_CAST_BYTES * cast_moe + elt_moe_ffn) / sh.mem_bw
    return t_dense, t_recompute, t_moe


def fp8_cast_elements(
    model: TransformerModel, sh: PlanShape
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(attention, dense FFN, MoE FFN) elements cast to FP8 per layer and micro-batch on one
    GPU: every GEMM input and weight (zeros without FP8). Attention: the QKV and output
    projections; dense FFN: the up (and gate) and down projections; MoE FFN: each routed
    (and shared) expert's copy of a token, quantized by the grouped linear layer after the
    dispatch (Transformer Engine GroupedLinear; Megatron-Core MoE dispatches BF16 tokens),
    and the GPU's local experts' weights. With sequence parallelism the QKV and FC1 inputs
    are cast on the GPU's sequence shard and all-gathered in FP8 (Transformer Engine
    LayerNormLinear / LayerNormMLP, sequence_parallel); the weights are cast with every
    micro-batch."""
    if not sh.fp8:
        zero = np.zeros_like(sh.T)
        return zero, zero.copy(), zero.copy()
    T, h, t, r = sh.T, sh.h, sh.t, sh.r
    attn = T * (h * r + model.v_width / t) + model.attention_params() / t
    dense = T * (h * r + model.ffn_hidden / t) + model.dense_ffn_params() / t
    if not model.is_moe:
        return attn, dense, np.zeros_like(T)
    routed = float(model.moe_top_k + model.moe_shared_experts)
    local = model.moe_experts / sh.e + model.moe_shared_experts
    moe = T * routed * (h + model.expert_hidden / t) + local * model.expert_params() / t
    return attn, dense, moe


def exposed_tp_share(system: System) -> float:
    """Share of tensor-parallel time left on the critical path: what the
    family's software overlaps with GEMMs (``tp_overlap_share``) still costs the contention
    share (1 - comm_overlap_fraction)."""
    eff = system.efficiency
    return 1.0 - eff.tp_overlap_share * eff.comm_overlap_fraction


def tp_cp_comm_time(
    model: TransformerModel, system: System, sh: PlanShape, core: AttentionCore
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(TP forward, CP forward exposed, CP backward exposed) seconds per layer on one GPU.

    TP: two all-reduces per layer forward (or, with sequence parallelism, all-gather +
    reduce-scatter pairs of the same volume), two more backward (Narayanan 2021 sec. 2.3;
    Korthikanti 2022 sec. 4.2.2), less what the family's software overlaps with GEMMs. CP:
    an all-gather of K/V forward, all-gather and reduce-scatter backward, hidden behind the
    attention core they feed (Llama 3 2024, sec. 3.3.2)."""
    tp_ar = collective_time("all_reduce", sh.T * sh.h * ACT_BYTES, sh.t, 1.0, system)
    kv_bytes = sh.b * sh.s * model.kv_width * ACT_BYTES / sh.t
    cp_ag = collective_time("all_gather", kv_bytes, sh.c, sh.t, system)
    t_tp_fwd = TP_COLLECTIVES_PER_LAYER * tp_ar * exposed_tp_share(system)
    t_cp_fwd = np.maximum(cp_ag - core.gemm_s, 0.0)
    t_cp_bwd = np.maximum(CP_COLLECTIVES_BWD * cp_ag - core.bwd_s, 0.0)
    return t_tp_fwd, t_cp_fwd, t_cp_bwd


@dataclass(frozen=True)
class LayerTimes:
    """Per-layer seconds on one GPU shared by dense and MoE layers (forward unless named)."""

    attn_proj_s: FloatArray
    core: AttentionCore
    elt_recompute_s: FloatArray
    overhead_s: float
    tp_s: FloatArray
    cp_fwd_s: FloatArray
    cp_bwd_s: FloatArray
    ep_hidden_share: float = 0.0  # ep_overlap_share x comm_overlap_fraction of the family
    op_gemm_share: float = 0.0  # forward GEMM share recomputed by per-operator checkpointing


def _by_recompute(
    rc: NDArray[np.int64],
    full: FloatArray | float,
    selective: FloatArray | float,
    op: FloatArray | float,
) -> FloatArray:
    """What each plan's recompute mode repeats, picked per plan (none: nothing)."""
    modes = [rc == RECOMPUTE_CODES[name] for name in ("full", "selective", "op")]
    return np.asarray(np.select(modes, [full, selective, op], default=0.0), dtype=np.float64)


def layer_step_time(
    lt: LayerTimes,
    rc: NDArray[np.int64],
    t_ffn: FloatArray,
    t_elt: FloatArray,
    t_ep: FloatArray,
) -> FloatArray:
    """Forward + backward + recompute seconds of one layer for one micro-batch.

    Backward GEMMs cost twice the forward (input and weight gradients, Narayanan 2021
    sec. 3.1), as do the element-wise kernels; TP, EP and CP communication repeats backward.
    Full recompute repeats the forward; selective recompute only the attention core and the
    element-wise kernels it drops (Korthikanti 2022 sec. 5); per-operator checkpointing its
    share of the forward GEMMs and the element-wise kernels (``op_recompute_gemm_share``)."""
    gemms = lt.attn_proj_s + t_ffn
    fwd = gemms + lt.core.fwd_s + t_elt + lt.overhead_s + lt.tp_s + lt.cp_fwd_s + t_ep
    bwd = (
        BACKWARD_FORWARD_RATIO * gemms
        + lt.core.bwd_s
        + BACKWARD_FORWARD_RATIO * t_elt
        + BACKWARD_FORWARD_RATIO * lt.overhead_s
    )
    # 1F1B all-to-all overlap (Megatron-Core overlap_moe_expert_parallel_comm, 2025): the
    # forward of one micro-batch runs merged with the backward of another, so each pass's
    # dispatch and combine hide under the other pass's compute (less the contention share)
    fwd_compute = fwd - lt.tp_s - lt.cp_fwd_s - t_ep
    hidden = np.minimum(t_ep, bwd) + np.minimum(t_ep, fwd_compute)
    bwd = bwd + lt.tp_s + lt.cp_bwd_s + t_ep - hidden * lt.ep_hidden_share
    selective = lt.core.fwd_s + lt.elt_recompute_s
    per_op = lt.op_gemm_share * gemms + lt.elt_recompute_s
    recompute = _by_recompute(rc, full=fwd, selective=selective, op=per_op)
    return np.asarray(fwd + bwd + recompute, dtype=np.float64)


def mean_layer_time(
    model: TransformerModel, system: System, sh: PlanShape
) -> tuple[FloatArray, LayerTimes]:
    """(mean seconds of one layer per micro-batch over the model's dense and MoE layers, the
    shared per-layer times), composed from the per-block functions above."""
    t_proj, qk_dim, v_dim = attention_projection_time(model, system, sh)
    core = attention_core_time(system, sh, qk_dim, v_dim)
    t_dense_ffn, elt_dense_ffn = dense_ffn_time(model, system, sh)
    t_moe_ffn, elt_moe_ffn, t_ep_fwd = moe_ffn_time(model, system, sh)
    t_elt_dense, t_elt_recompute, t_elt_moe = elementwise_time(
        model, sh, elt_dense_ffn, elt_moe_ffn
    )
    t_tp, t_cp_fwd, t_cp_bwd = tp_cp_comm_time(model, system, sh, core)
    lt = LayerTimes(
        attn_proj_s=t_proj,
        core=core,
        elt_recompute_s=t_elt_recompute,
        overhead_s=KERNELS_PER_LAYER_FWD * system.efficiency.kernel_overhead_s,
        tp_s=t_tp,
        cp_fwd_s=t_cp_fwd,
        cp_bwd_s=t_cp_bwd,
        ep_hidden_share=system.efficiency.ep_overlap_share
        * system.efficiency.comm_overlap_fraction,
        op_gemm_share=op_recompute_gemm_share(model),
    )
    n_moe = float(model.moe_layers)
    t_layer = (sh.L - n_moe) * layer_step_time(
        lt, sh.rc, t_dense_ffn, t_elt_dense, np.zeros_like(sh.T)
    )
    if n_moe:
        t_layer = t_layer + n_moe * layer_step_time(lt, sh.rc, t_moe_ffn, t_elt_moe, t_ep_fwd)
    return t_layer / sh.L, lt


@dataclass(frozen=True)
class PipelineTimes:
    """Per-step pipeline quantities (arrays, one element per plan)."""

    layers_per_stage: FloatArray
    microbatches: FloatArray
    microbatch_s: FloatArray  # the slowest (last) stage, one micro-batch
    compute_s: FloatArray
    bubble_s: FloatArray
    p2p_s: FloatArray


def logits_time(system: System, sh: PlanShape) -> FloatArray:
    """Forward + backward seconds of the LM head and the vocab-parallel loss for one
    micro-batch: the head GEMM and ``LOGITS_FP32_COPIES`` FP32 logit tensors read and written.
    FP8 recipes leave the head in BF16: Megatron-Core's output layer is its own
    ColumnParallelLinear, outside Transformer Engine's fp8_autocast modules; torchtitan's
    float8 conversion skips the "output" linear; MPT multiplies by the tied embedding with
    torch's F.linear (llm-foundry, 2023)."""
    loss_bytes = LOGITS_FP32_COPIES * FP32_BYTES * sh.T * sh.V / sh.t * READ_WRITE
    logits_fwd = _gemm(sh, system, sh.V / sh.t, sh.h, wide=True) + loss_bytes / sh.mem_bw
    return (1.0 + BACKWARD_FORWARD_RATIO) * logits_fwd


def head_aware_split(
    system: System, sh: PlanShape, t_layer: FloatArray, t_head: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """(most layers on any stage, seconds of the slowest stage per micro-batch) when the
    split gives the stage that holds the LM head and loss fewer layers, so that no stage
    does more than it must: Megatron-Core's account_for_loss_in_pipeline_split and the
    explicit pipeline layouts of Megatron-Bridge's recipes (its Llama 3 70B H100 FP8 recipe
    puts 1 layer beside the loss, "Et*2|(t*2|)*34,t*3|(t*2|)*3,tL"). The last stage keeps k
    layers, 0 <= k <= ceil(L / p), and the others share the rest evenly; the best k. With
    the family's ``uniform_pipeline_split`` every stage keeps ceil(L / p)."""
    p = sh.p[:, None]
    uniform = _ceil_div(np.full_like(sh.p, sh.L), sh.p)
    if system.efficiency.uniform_pipeline_split:
        return uniform, uniform * t_layer + t_head
    k = np.arange(int(np.max(uniform)) + 1, dtype=np.float64)[None, :]
    k_last = np.where(p > 1.0, np.minimum(k, uniform[:, None]), sh.L)
    others = np.where(p > 1.0, np.ceil((sh.L - k_last) / np.maximum(p - 1.0, 1.0)), 0.0)
    slowest = np.maximum(k_last * t_layer[:, None] + t_head[:, None], others * t_layer[:, None])
    best = np.argmin(slowest, axis=1)
    rows = np.arange(best.size)
    layers = np.maximum(k_last[rows, best], others[rows, best])
    return np.asarray(layers, np.float64), np.asarray(slowest[rows, best], np.float64)


def last_stage_time(
    model: TransformerModel, system: System, sh: PlanShape, t_layer: FloatArray
) -> FloatArray:
    """Seconds per micro-batch of the work only the last pipeline stage does: the LM head and
    loss, and each multi-token-prediction module (DeepSeek-AI, arXiv:2412.19437, sec. 2.2:
    a transformer block, a projection of the concatenated [h; embedding] back to h, and one
    more pass through the shared head and loss; Megatron-Core places the modules beside the
    loss, Megatron-Bridge's DeepSeek-V3 recipes keep mtp_num_layers = 1)."""
    n_mtp = float(model.mtp_layers)
    head = logits_time(system, sh)
    if not n_mtp:
        return head
    projection = (1.0 + BACKWARD_FORWARD_RATIO) * _gemm(sh, system, sh.h / sh.t, 2.0 * sh.h)
    return np.asarray(head + n_mtp * (head + t_layer + projection), np.float64)


def pipeline_time(
    system: System, sh: PlanShape, t_layer: FloatArray, t_last: FloatArray
) -> PipelineTimes:
    """1F1B pipeline: m = B / (dp b) micro-batches through the slowest stage, a bubble of
    (p - 1) / v micro-batch times (interleaved schedule, Narayanan 2021 sec. 2.2), and p2p
    sends of each micro-batch's activations split over the TP ranks (scatter/gather,
    sec. 4.1). Without sequence parallelism the receiver all-gathers the chunks over the
    scale-up links before using them (Megatron-LM p2p_communication, gather_split_1d_tensor,
    skipped when the activations are already sequence-parallel shards)."""
    layers_per_stage, t_mb = head_aware_split(system, sh, t_layer, t_last)
    m = sh.B / (sh.d * sh.b)
    p, v = sh.p, sh.v
    act_bytes = sh.T * sh.h * ACT_BYTES
    p2p = collective_time("p2p", act_bytes / sh.t, 2.0, sh.t * sh.c * sh.d, system)
    gather = collective_time("all_gather", act_bytes, sh.t, 1.0, system)
    p2p = p2p + np.where(sh.r < 1.0, 0.0, gather)
    return PipelineTimes(
        layers_per_stage=layers_per_stage,
        microbatches=m,
        microbatch_s=t_mb,
        compute_s=m * t_mb,
        bubble_s=(p - 1.0) / v * t_mb,
        p2p_s=np.where(
            p > 1.0, P2P_SENDS_PER_MICROBATCH * p2p * exposed_p2p_sends(system, sh, m), 0.0
        ),
    )


def exposed_p2p_sends(system: System, sh: PlanShape, microbatches: FloatArray) -> FloatArray:
    """Send-times per direction of pipeline p2p left on the critical path.

    Blocking sends (Megatron-LM 2021; Megatron-Core's batch_p2p_comm for plain 1F1B) wait
    for every one of the v m transfers. With overlap_p2p_comm (interleaved schedule, vpp > 1;
    NeMo megatron_comm_overlap.py and Megatron-Bridge comm_overlap.py switch it on exactly
    then) a stage posts the next chunk's receive and computes the current one: the
    ``p2p_overlap_share`` of the transfers hides and costs only the contention share
    (1 - comm_overlap_fraction), while the fill and drain still wait for p - 1 hops."""
    eff = system.efficiency
    hidden = np.where(sh.v > 1.0, eff.p2p_overlap_share, 0.0)
    sends = sh.v * microbatches
    exposed = sends * (1.0 - hidden * eff.comm_overlap_fraction) + hidden * (sh.p - 1.0)
    return np.asarray(np.minimum(exposed, sends), np.float64)


def params_per_gpu(
    model: TransformerModel, sh: PlanShape, layers_per_stage: FloatArray
) -> tuple[FloatArray | float, FloatArray]:
    """(parameters of one mean layer, parameters of the busiest stage) held by one GPU before
    any ZeRO sharding: layers split over TP, routed experts over EP, and the embedding (plus
    an untied LM head when one stage holds both) split over TP (vocab-parallel)."""
    t, L = sh.t, sh.L
    attn_p = float(model.attention_params())
    if model.is_moe:
        n_moe = float(model.moe_layers)
        layer_p_dense = attn_p / t + model.dense_ffn_params() / t
        experts_local = model.moe_experts / sh.e + model.moe_shared_experts
        moe_p = experts_local * model.expert_params() / t + model.d_model * model.moe_experts
        layer_p_moe = attn_p / t + moe_p
        mean_layer_p = ((L - n_moe) * layer_p_dense + n_moe * layer_p_moe) / L
    else:
        mean_layer_p = (attn_p + model.dense_ffn_params()) / t
    emb_p = sh.V * sh.h / t
    n_emb = np.where(sh.p > 1.0, 1.0, 1.0 if model.tied_embeddings else 2.0)
    return mean_layer_p, layers_per_stage * mean_layer_p + n_emb * emb_p


def data_parallel_time(
    system: System, sh: PlanShape, params_gpu: FloatArray, pipe: PipelineTimes
) -> FloatArray:
    """Exposed seconds of data-parallel gradient and parameter traffic per step.

    ZeRO 0: an FP32 gradient all-reduce; 1-2: reduce-scatter + BF16 parameter all-gather
    (Rajbhandari 2020); 3: the parameters gathered forward and backward and the gradients
    reduce-scattered in every micro-batch. The reduce-scatter overlaps the last micro-batch's
    backward and the all-gather the first forward (ZeRO-3: every micro-batch; stages 0-2 only
    with the family's ``dp_overlap_share``); hidden traffic
    still costs the contention share (1 - comm_overlap_fraction)."""
    zero, m, t_mb = sh.zero, pipe.microbatches, pipe.microbatch_s
    d, dp_stride = sh.d * sh.c, sh.t  # gradients reduce over the dp x cp ranks
    grad_rs = collective_time("reduce_scatter", params_gpu * sh.grad_bytes, d, dp_stride, system)
    param_ag = collective_time("all_gather", params_gpu * ACT_BYTES, d, dp_stride, system)
    grad_ar = collective_time("all_reduce", params_gpu * sh.grad_bytes, d, dp_stride, system)
    total = np.where(zero == 0, grad_ar, grad_rs + param_ag)
    total = np.where(zero == 3, m * (ZERO3_GATHERS_PER_MICROBATCH * param_ag + grad_rs), total)
    # fully sharded runs prefetch by construction; the others overlap only where the
    # family's software does (Megatron-Core overlap_grad_reduce / overlap_param_gather)
    window = np.where(zero == 3, m * t_mb, t_mb * system.efficiency.dp_overlap_share)
    hidden = np.minimum(total, window)
    return np.asarray(total - hidden * system.efficiency.comm_overlap_fraction, np.float64)


def optimizer_time(system: System, sh: PlanShape, params_gpu: FloatArray) -> FloatArray:
    """Seconds of the (memory-bound) Adam update of the GPU's optimizer shard (dp x cp): one
    fused multi-tensor kernel, or, with the family's ``per_tensor_optimizer``, a chain of
    element-wise kernels that each stream their FP32 operands through HBM."""
    opt_params = np.where(sh.zero >= 1, params_gpu / (sh.d * sh.c), params_gpu)
    per_param = ADAM_TRAFFIC_BYTES_PER_PARAM
    if system.efficiency.per_tensor_optimizer:
        per_param = (PER_TENSOR_ADAM_PASSES + GRAD_CLIP_PASSES) * FP32_BYTES
    return np.asarray(opt_params * per_param / sh.mem_bw, np.float64)


def state_memory(
    sh: PlanShape, params_gpu: FloatArray, mean_layer_p: FloatArray | float
) -> dict[str, FloatArray]:
    """Weights, gradients and optimizer bytes per GPU by ZeRO stage (Rajbhandari 2020 sec. 5):
    1 shards the optimizer, 2 also the gradients, 3 also the weights.

    The shards span the data- and context-parallel ranks together: context-parallel ranks
    hold the same weights, and Megatron-Core's distributed optimizer and FSDP shard over the
    combined dp x cp group (Megatron-Core parallel_state, "data_parallel_group_with_cp").
    Fully sharded runs (stage 3, PyTorch FSDP: Zhao et al. 2023, VLDB, sec. 3.2) keep no
    persistent BF16 weights: the FP32 master shard is the parameter, cast to BF16 only for
    the ``ZERO3_PREFETCH_LAYERS`` gathered layers."""
    zero, shard = sh.zero, sh.d * sh.c
    prefetch = ZERO3_PREFETCH_LAYERS * mean_layer_p * ACT_BYTES
    weights = np.where(zero == 3, prefetch, params_gpu * ACT_BYTES)
    return {
        "weights": np.asarray(weights, dtype=np.float64),
        "gradients": np.where(zero >= 2, params_gpu / shard, params_gpu) * sh.grad_bytes,
        "optimizer": np.where(zero >= 1, params_gpu / shard, params_gpu) * MASTER_BYTES_PER_PARAM,
    }


def in_flight_microbatches(sh: PlanShape, pipe: PipelineTimes) -> FloatArray:
    """Micro-batches whose activations the first stage holds at once: min(m, p), times
    1 + (p - 1) / (p v) when interleaved (Korthikanti 2022 sec. 4.2.3)."""
    p, v = sh.p, sh.v
    interleave = np.where(v > 1.0, 1.0 + (p - 1.0) / (p * v), 1.0)
    return np.asarray(np.minimum(pipe.microbatches, p) * interleave, np.float64)


def activation_memory(
    model: TransformerModel, sh: PlanShape, pipe: PipelineTimes, score_elements: FloatArray
) -> FloatArray:
    """Activation bytes per GPU (Korthikanti 2022 sec. 4, generalised to GQA, MoE, CP).

    Per layer and micro-batch: norm inputs and outputs, residual dropout masks (kept 1 / tp
    with sequence parallelism), Q, K, V and attention output, the FFN's inputs (and the
    activation function's output) and, without FlashAttention, the s x s scores. Selective
    recompute (Megatron-Core modules core_attn, layernorm, activation) keeps neither the
    scores, nor the norm outputs, nor the activation's output; full recompute keeps only
    each layer's input. The first stage holds ``in_flight_microbatches``; recomputation needs
    one layer's working set on top.
    """
    T, h, t, r, drop = sh.T, sh.h, sh.t, sh.r, sh.drop
    selective = np.isin(sh.rc, [RECOMPUTE_CODES[n] for n in ("selective", "full", "op")])
    full = sh.rc == RECOMPUTE_CODES["full"]
    # FP8 runs keep the quantized copy of a GEMM input for the weight-gradient GEMM, not the
    # BF16 one (Transformer Engine _Linear.forward saves inputmat / inputmat_t in FP8 unless
    # the recipe overrides wgrad precision; LayerNormLinear and LayerNormMLP likewise)
    gemm_in = FP8_BYTES if sh.fp8 else ACT_BYTES
    norm_out = np.where(selective, 0.0, NORM_OUTPUT_BYTES * gemm_in / ACT_BYTES)
    non_tp = T * h * r * (ACT_BYTES * NORMS_PER_LAYER + norm_out + RESIDUAL_MASK_BYTES * drop)
    attn_tp = T * (ACT_BYTES * (model.q_width + model.kv_width) + gemm_in * model.v_width) / t
    score_bytes = SOFTMAX_OUT_BYTES + ATTN_DROPOUT_STORED_BYTES * drop
    scores = np.where(sh.flash, 0.0, score_elements * score_bytes)
    mats = float(model.ffn_matrices)
    # the FC1 output(s) stay BF16 (the activation's backward reads them); the activation's
    # output is the FC2 GEMM input (dropped by selective recompute)
    ffn_stored = (mats - 1.0) * ACT_BYTES + np.where(selective, 0.0, gemm_in)
    if model.is_moe:
        routed = model.moe_top_k + model.moe_shared_experts
        ffn_tp = T * routed * (gemm_in * h + ffn_stored * model.expert_hidden) / t
    else:
        ffn_tp = T * ffn_stored * float(model.ffn_hidden) / t
    act_layer = non_tp + attn_tp + ffn_tp + np.where(selective, 0.0, scores)
    act_stored = np.where(full, T * h * ACT_BYTES * r, act_layer)
    mem_act = pipe.layers_per_stage * act_stored * in_flight_microbatches(sh, pipe)
    full_layer = non_tp + attn_tp + ffn_tp + scores  # working set while recomputing
    working = np.where(full, full_layer, np.where(selective, scores, 0.0))
    return np.asarray(mem_act + working, dtype=np.float64)


def memory_per_gpu(
    model: TransformerModel,
    system: System,
    sh: PlanShape,
    pipe: PipelineTimes,
    core: AttentionCore,
    params: tuple[FloatArray | float, FloatArray],
) -> dict[str, FloatArray]:
    """Bytes per GPU by component: ZeRO-sharded state, activations, the logits of the
    vocab-parallel loss (``LOGITS_MEMORY_BYTES`` each), and the family's reserved memory
    (runtime, allocator)."""
    mean_layer_p, params_gpu = params
    memory = state_memory(sh, params_gpu, mean_layer_p)
    memory["activations"] = activation_memory(model, sh, pipe, core.score_elements)
    memory["logits"] = LOGITS_MEMORY_BYTES * sh.T * sh.V / sh.t
    memory["reserved"] = np.full_like(sh.T, system.efficiency.memory_reserved_bytes)
    return memory


def stage_layer_shares(
    pipe: PipelineTimes, activations: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """(activation bytes, forward seconds per micro-batch) of one layer of the busiest stage:
    its stored activations split evenly over its layers, and a third of its forward +
    backward time. Host offload and block recompute both trade in these units."""
    layers = np.maximum(pipe.layers_per_stage, 1.0)
    t_fwd = pipe.microbatch_s / ((1.0 + BACKWARD_FORWARD_RATIO) * layers)
    return np.asarray(activations / layers, np.float64), np.asarray(t_fwd, np.float64)


@dataclass(frozen=True)
class HostOffload:
    """Activation offload to host memory (arrays, one element per plan)."""

    layers: FloatArray  # layers of the stage whose activations live in host memory
    stored_bytes: FloatArray  # HBM bytes they no longer take
    exposed_s: FloatArray  # copy time per step not hidden under the layers' compute


def host_offload(
    system: System,
    sh: PlanShape,
    pipe: PipelineTimes,
    activations: FloatArray,
    excess_bytes: FloatArray,
) -> HostOffload:
    """Offload the activations of just enough layers to host memory to fit the plan.

    Megatron-Core CPU offloading (Transformer Engine ``get_cpu_offload_context``; the
    Megatron-Bridge recipes' ``cpu_offloading_num_layers``, e.g. 20-40 of Llama 3 70B's 80
    layers on DGX-GB200/GB300 with Megatron-FSDP, NeMo 25.11) copies each offloaded layer's
    saved activations to host memory during the forward and back before its backward, on
    copy engines that run under the compute. Megatron-Core allows it only without pipeline
    parallelism and for at most n_layers - 1 layers (TransformerConfig checks), and the
    recipes use it without recomputation; the accelerator needs a host link
    (``host_link_bandwidth``: NVLink-C2C to Grace, PCIe to an x86 host). A copy longer than
    the layer's forward (or backward) is exposed for the difference."""
    none = np.zeros_like(sh.T)
    bw = system.host_link_bandwidth_bps * system.efficiency.scale_up_fraction
    eligible = (sh.p == 1.0) & (sh.rc == RECOMPUTE_CODES["none"]) & (excess_bytes > 0.0)
    if bw <= 0.0 or not eligible.any():
        return HostOffload(none, none.copy(), none.copy())
    per_layer, t_fwd = stage_layer_shares(pipe, activations)  # no recompute: no working set
    need = np.ceil(excess_bytes / np.maximum(per_layer, 1.0))
    n_off = np.where(eligible, np.minimum(need, pipe.layers_per_stage - 1.0), 0.0)
    t_copy = per_layer / bw
    exposed = np.maximum(t_copy - t_fwd, 0.0) + np.maximum(
        t_copy - BACKWARD_FORWARD_RATIO * t_fwd, 0.0
    )
    return HostOffload(
        layers=np.asarray(n_off, np.float64),
        stored_bytes=np.asarray(n_off * per_layer, np.float64),
        exposed_s=np.asarray(pipe.microbatches * n_off * exposed, np.float64),
    )


@dataclass(frozen=True)
class BlockRecompute:
    """Partial full recompute (arrays, one element per plan)."""

    layers: FloatArray  # layers of the stage that keep only their input
    saved_bytes: FloatArray  # activation bytes that frees, less one layer's working set
    extra_s: FloatArray  # recompute time per step, bubble included
    extra_flops: FloatArray  # hardware FLOPs per step the recomputed forwards add


def block_recompute(
    model: TransformerModel,
    sh: PlanShape,
    pipe: PipelineTimes,
    activations: FloatArray,
    excess_bytes: FloatArray,
) -> BlockRecompute:
    """Recompute only as many whole layers per stage as the memory needs: Megatron-Core's
    recompute_granularity "full" with recompute_method "block" and recompute_num_layers k
    keeps just the input of the first k layers of each (virtual) stage and repeats their
    forward in the backward pass (as Megatron-Bridge's Llama 3 8B H100 FP8 recipe does with
    k = 5). The search offers it when a row leaves recompute blank, so a plan a little over
    memory pays for a few layers instead of all of them. A recomputed layer keeps its input
    (b s h / tp with sequence parallelism) and needs one layer's working set while it
    recomputes; its forward costs a third of its forward + backward time."""
    none = np.zeros_like(sh.T)
    eligible = (sh.rc == RECOMPUTE_CODES["block"]) & (excess_bytes > 0.0)
    if not eligible.any():
        return BlockRecompute(none, none.copy(), none.copy(), none.copy())
    in_flight = in_flight_microbatches(sh, pipe)
    # every in-flight micro-batch's copy of one layer, and that layer's forward
    per_layer, t_fwd = stage_layer_shares(pipe, activations)
    working = per_layer / in_flight  # one layer of one micro-batch
    saving = np.maximum(per_layer - sh.T * sh.h * ACT_BYTES * sh.r * in_flight, 1.0)
    layers = np.maximum(pipe.layers_per_stage, 1.0)
    k = np.where(eligible, np.clip(np.ceil((excess_bytes + working) / saving), 0.0, layers), 0.0)
    passes = pipe.microbatches + (sh.p - 1.0) / sh.v
    # every one of the p stages recomputes its k layers: k p of the model's L
    share = np.minimum(k * sh.p / sh.L, 1.0)
    fwd_flops = sh.B * sh.s * model.forward_flops_per_token(int(sh.s)) * share
    return BlockRecompute(
        layers=np.asarray(k, np.float64),
        saved_bytes=np.asarray(np.where(k > 0.0, k * saving - working, 0.0), np.float64),
        extra_s=np.asarray(passes * k * t_fwd, np.float64),
        extra_flops=np.asarray(fwd_flops, np.float64),
    )


def usable_memory_bytes(system: System) -> float:
    """Device memory a training process can allocate. HBM is built of stacks of binary-sized
    DRAM dies (16 GiB per HBM2e/HBM3 8-high stack), so a datasheet "80 GB" is 80 GiB:
    nvidia-smi reports 81,559-81,920 MiB on A100/H100 80GB and 183,359 MiB on B200 "180 GB"
    (NVIDIA System Management Interface output, 2023-2025)."""
    return system.memory_bytes * HBM_GIB_PER_DATASHEET_GB


def step_flops(model: TransformerModel, sh: PlanShape) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(tokens, model FLOPs, hardware FLOPs) per step. Model FLOPs count forward and backward
    once (Narayanan 2021 eq. 3 generalised, ``TransformerModel.model_flops_per_token``);
    hardware FLOPs add what recomputation repeats: the whole forward (full), the attention
    core (selective) or the per-operator share of the linear layers (op)."""
    tokens = sh.B * sh.s
    model_flops = tokens * model.model_flops_per_token(int(sh.s))
    fwd_tok = model.forward_flops_per_token(int(sh.s))
    attn_core_tok = FLOPS_PER_MAC * sh.s * (model.q_width + model.v_width) * sh.L
    linear_tok = FLOPS_PER_MAC * (model.attention_params() + model.dense_ffn_params()) * sh.L
    op_tok = op_recompute_gemm_share(model) * linear_tok
    recompute_tok = _by_recompute(sh.rc, full=fwd_tok, selective=attn_core_tok, op=op_tok)
    hw_flops = tokens * ((1.0 + BACKWARD_FORWARD_RATIO) * fwd_tok + recompute_tok)
    return tokens, model_flops, hw_flops


def predict_training_batch(
    model: TransformerModel,
    system: System,
    plans: Plans,
    seq_len: int | None = None,
) -> TrainingBatch:
    """Predict step time and memory for every plan in ``plans`` (vectorised).

    Composes the per-block functions as Calculon does per layer (Isaev et al. 2023): layer
    blocks -> micro-batch -> pipeline -> data parallel and optimizer; memory by component.
    The plan is not checked for divisibility here (the search does that); memory fit is
    reported in ``fits``.
    """
    sh = plan_shape(model, system, plans, seq_len)
    t_layer, lt = mean_layer_time(model, system, sh)
    pipe = pipeline_time(system, sh, t_layer, last_stage_time(model, system, sh, t_layer))
    params = params_per_gpu(model, sh, pipe.layers_per_stage)
    t_dp = data_parallel_time(system, sh, params[1], pipe)
    t_opt = optimizer_time(system, sh, params[1])
    memory = memory_per_gpu(model, system, sh, pipe, lt.core, params)
    mem_total = sum(memory.values(), np.zeros_like(sh.T))
    capacity = usable_memory_bytes(system)
    offload = host_offload(system, sh, pipe, memory["activations"], mem_total - capacity)
    memory["activations"] = memory["activations"] - offload.stored_bytes
    mem_total = mem_total - offload.stored_bytes
    block = block_recompute(model, sh, pipe, memory["activations"], mem_total - capacity)
    memory["activations"] = memory["activations"] - block.saved_bytes
    mem_total = mem_total - block.saved_bytes
    step = pipe.compute_s + pipe.bubble_s + pipe.p2p_s + t_dp + t_opt + offload.exposed_s
    step = step + block.extra_s
    tokens, model_flops, hw_flops = step_flops(model, sh)
    hw_flops = hw_flops + block.extra_flops
    peak_total = sh.t * sh.p * sh.d * sh.c * system.peak(plans.precision)
    tp_passes = TP_PASSES_PER_LAYER + (sh.rc == RECOMPUTE_CODES["full"])
    breakdown = {
        "compute": pipe.compute_s,
        "pipeline_bubble": pipe.bubble_s,
        "pipeline_p2p": pipe.p2p_s,
        "dp_exposed": t_dp,
        "optimizer": t_opt,
        "tp_comm_in_compute": pipe.microbatches * pipe.layers_per_stage * lt.tp_s * tp_passes,
        "host_offload": offload.exposed_s,
        "block_recompute": block.extra_s,
    }
    return TrainingBatch(
        plans=plans,
        step_time_s=np.asarray(step, dtype=np.float64),
        breakdown_s=breakdown,
        memory_bytes=memory,
        memory_total_bytes=np.asarray(mem_total, dtype=np.float64),
        memory_capacity_bytes=capacity,
        fits=np.asarray(mem_total <= capacity),
        tokens_per_step=np.asarray(tokens, dtype=np.float64),
        model_flops_per_step=np.asarray(model_flops, dtype=np.float64),
        hardware_flops_per_step=np.asarray(hw_flops, dtype=np.float64),
        mfu=np.asarray(model_flops / (step * peak_total), dtype=np.float64),
        hfu=np.asarray(hw_flops / (step * peak_total), dtype=np.float64),
    )


def estimate_at(
    batch: TrainingBatch, i: int, model: TransformerModel, system: System
) -> TrainingEstimate:
    """The scalar estimate of plan ``i`` of a batch."""
    return TrainingEstimate(
        model=model.name,
        system=system.accelerator,
        plan=batch.plans.plan(i),
        step_time_s=float(batch.step_time_s[i]),
        tokens_per_s=float(batch.tokens_per_step[i] / batch.step_time_s[i]),
        tokens_per_step=float(batch.tokens_per_step[i]),
        mfu=float(batch.mfu[i]),
        hfu=float(batch.hfu[i]),
        fits=bool(batch.fits[i]),
        memory_total_bytes=float(batch.memory_total_bytes[i]),
        memory_capacity_bytes=batch.memory_capacity_bytes,
        breakdown_s={
            k: float(np.broadcast_to(v, batch.step_time_s.shape)[i])
            for k, v in batch.breakdown_s.items()
        },
        memory_bytes={
            k: float(np.broadcast_to(v, batch.step_time_s.shape)[i])
            for k, v in batch.memory_bytes.items()
        },
    )


def predict_training(
    model: TransformerModel,
    system: System,
    plan: ExecutionPlan | Sequence[ExecutionPlan],
    seq_len: int | None = None,
) -> TrainingEstimate:
    """Predict one plan (the scalar entry point for notebooks)."""
    one = plan if isinstance(plan, ExecutionPlan) else plan[0]
    plans = Plans.from_plans([one], system.efficiency.attention_kernel)
    batch = predict_training_batch(model, system, plans, seq_len)
    return estimate_at(batch, 0, model, system)
