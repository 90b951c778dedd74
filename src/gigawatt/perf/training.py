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
from gigawatt.perf.execution import ATTENTION_CODES, ExecutionPlan, Plans
from gigawatt.perf.system import System
from gigawatt.workload import TransformerModel

FloatArray = NDArray[np.float64]

ACT_BYTES = 2.0  # activations and weights in BF16/FP16
GRAD_REDUCE_BYTES = 4.0  # Megatron-LM accumulates and reduces gradients in FP32 (default)
MASTER_BYTES_PER_PARAM = 12.0  # FP32 master weights + Adam m and v (Rajbhandari 2020, sec. 3)
ADAM_TRAFFIC_BYTES_PER_PARAM = 30.0  # read grad, master, m, v (16 B); write master, m, v, bf16
UNFUSED_ATTN_BYTES = 8.0  # per score element fwd: QK^T write, softmax read+write, AV read
DROPOUT_ATTN_BYTES = 5.0  # attention dropout: read, write and a 1-byte mask per element
FLASH_BWD_FACTOR = 2.5  # FlashAttention backward / forward time (Dao 2023, sec. 4)
KERNELS_PER_LAYER_FWD = 14  # GEMMs, norms, activation, residuals, attention kernels
LOGITS_FP32_COPIES = 2.0  # fp32 logits and their gradient in the vocab-parallel loss
FP8_CAST_BYTES = 3.0  # a BF16 -> FP8 cast reads 2 bytes and writes 1 per element


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
) -> FloatArray:
    """Time of GEMMs of shape (m x k) @ (k x n) totalling ``flops``.

    Roofline (Williams et al. 2009) with a size-dependent compute efficiency: the family's
    large-GEMM fraction of peak times prod(d / (d + d_half)) over the three dimensions, the
    shape of tile-quantisation and wave-quantisation losses in NVIDIA's "Matrix
    Multiplication Background" guide; memory traffic is the three operands once.
    """
    eff = system.efficiency
    half = eff.gemm_dim_half
    m_ = np.asarray(m, dtype=np.float64)
    n_ = np.asarray(n, dtype=np.float64)
    k_ = np.asarray(k, dtype=np.float64)
    shape_eff = (m_ / (m_ + half)) * (n_ / (n_ + half)) * (k_ / (k_ + half))
    f = np.asarray(flops, dtype=np.float64)
    t_compute = f / (peak_flops * eff.gemm_peak_fraction * shape_eff)
    count = f / np.maximum(2.0 * m_ * n_ * k_, 1.0)
    traffic = count * operand_bytes * (m_ * k_ + k_ * n_ + m_ * n_)
    t_memory = traffic / (system.memory_bandwidth_bps * eff.memory_fraction)
    return np.asarray(np.maximum(t_compute, t_memory), dtype=np.float64)


def _ceil_div(a: NDArray[Any], b: NDArray[Any]) -> NDArray[np.float64]:
    return np.asarray(-(-a // b), dtype=np.float64)


def predict_training_batch(
    model: TransformerModel,
    system: System,
    plans: Plans,
    seq_len: int | None = None,
) -> TrainingBatch:
    """Predict step time and memory for every plan in ``plans`` (vectorised).

    The plan is not checked for divisibility here (the search does that); memory fit is
    reported in ``fits``.
    """
    s = float(seq_len or model.seq_len)
    h = float(model.d_model)
    a = float(model.n_heads)
    L = float(model.n_layers)
    V = float(model.vocab_size)
    eff = system.efficiency
    peak_gemm = system.peak(plans.precision)
    peak_attn = system.peak("bf16" if plans.precision == "fp8" else plans.precision)
    gemm_bytes = 1.0 if plans.precision == "fp8" else ACT_BYTES
    mem_bw = system.memory_bandwidth_bps * eff.memory_fraction

    t = plans.tp.astype(np.float64)
    p = plans.pp.astype(np.float64)
    d = plans.dp.astype(np.float64)
    c = plans.cp.astype(np.float64)
    e = plans.ep.astype(np.float64)
    v = plans.vpp.astype(np.float64)
    b = plans.micro_batch.astype(np.float64)
    B = plans.global_batch.astype(np.float64)
    sp = plans.sequence_parallel.astype(bool) & (plans.tp > 1)
    flash = plans.attention == ATTENTION_CODES["flash"]
    rc = plans.recompute
    drop = 1.0 if model.has_dropout else 0.0

    T = b * s / c  # tokens per microbatch on one GPU (before tensor split)
    r = np.where(sp, 1.0 / t, 1.0)  # share of non-tensor-parallel activations kept per GPU

    def gemm(n_: FloatArray | float, k_: FloatArray | float, m_: FloatArray = T) -> FloatArray:
        return gemm_time(2.0 * m_ * n_ * k_, m_, n_, k_, system, peak_gemm, gemm_bytes)

    # ---- attention projections (forward, one layer, one GPU) ----------------------------
    if model.mla is not None:
        ml = model.mla
        t_attn_proj = (
            gemm(float(ml.q_lora_rank), h)
            + gemm(model.q_width / t, float(ml.q_lora_rank))
            + gemm(float(ml.kv_lora_rank + ml.qk_rope_head_dim), h)
            + gemm(a * (ml.qk_nope_head_dim + ml.v_head_dim) / t, float(ml.kv_lora_rank))
            + gemm(h, model.v_width / t)
        )
        qk_dim = float(ml.qk_nope_head_dim + ml.qk_rope_head_dim)
        v_dim = float(ml.v_head_dim)
    else:
        qkv_width = model.q_width + 2 * model.kv_heads * model.head_dim
        t_attn_proj = gemm(qkv_width / t, h) + gemm(h, model.q_width / t)
        qk_dim = v_dim = float(model.head_dim)

    # ---- attention core: scores and weighted sum -----------------------------------------
    heads = b * a / t  # (batch x heads) on one GPU
    s_q = s / c
    causal = np.where(flash, 0.5, 1.0)  # flash skips masked blocks; unfused computes all
    core_flops = 2.0 * heads * s_q * s * (qk_dim + v_dim) * causal
    t_core = gemm_time(core_flops, s_q, s, (qk_dim + v_dim) / 2.0, system, peak_attn)
    score_elems = heads * s_q * s
    t_core_mem = np.where(
        flash, 0.0, score_elems * (UNFUSED_ATTN_BYTES + DROPOUT_ATTN_BYTES * drop) / mem_bw
    )
    t_core_fwd = t_core + t_core_mem
    t_core_bwd = np.where(flash, FLASH_BWD_FACTOR * t_core, 2.0 * t_core + 2.0 * t_core_mem)

    # ---- feed-forward -------------------------------------------------------------------
    mats = float(model.ffn_matrices)
    ff = float(model.ffn_hidden)
    t_dense_ffn = gemm((mats - 1.0) * ff / t, h) + gemm(h, ff / t)
    act_rw = 3.0 if model.ffn == "swiglu" else 2.0  # element reads + writes per hidden unit
    elt_dense_ffn = act_rw * ACT_BYTES * T * ff / t
    if model.is_moe:
        ffe = float(model.expert_hidden)
        k_top = float(model.moe_top_k)
        experts = float(model.moe_experts)
        m_e = T * k_top * e / experts  # tokens per local expert
        n_local = experts / e
        # the busiest expert sets the pace: routed work scales with the load imbalance
        imbalance = eff.moe_load_imbalance
        t_routed = gemm((mats - 1.0) * ffe / t, h, m_e) + gemm(h, ffe / t, m_e)
        t_moe_ffn = n_local * t_routed * imbalance
        if model.moe_shared_experts:
            ffs = ffe * model.moe_shared_experts
            t_moe_ffn = t_moe_ffn + gemm((mats - 1.0) * ffs / t, h) + gemm(h, ffs / t)
        t_moe_ffn = t_moe_ffn + gemm(experts, h)  # router
        elt_moe_ffn = act_rw * ACT_BYTES * T * (k_top + model.moe_shared_experts) * ffe / t
        # token permutation before dispatch and after combine: read and write k copies
        elt_moe_ffn = elt_moe_ffn + 2.0 * 2.0 * ACT_BYTES * T * r * k_top * h
        # dispatch and combine all-to-all, forward (backward repeats them)
        a2a = collective_time("all_to_all", T * k_top * h * ACT_BYTES / t, e, t, system)
        t_ep_fwd = 2.0 * a2a * imbalance
    else:
        t_moe_ffn = np.zeros_like(T)
        elt_moe_ffn = np.zeros_like(T)
        t_ep_fwd = np.zeros_like(T)

    # ---- element-wise (memory-bound) kernels --------------------------------------------
    # two norms (read + write), two residual adds (read 2, write 1) with dropout masks
    elt_common = T * h * r * ACT_BYTES * (4.0 + 6.0) + T * h * r * 2.0 * drop
    # FP8 (Transformer Engine recipe): every GEMM input, output gradient and weight is cast
    # from BF16 (read 2 bytes, write 1) before the GEMM; the casts are memory-bound
    if plans.precision == "fp8":
        gemm_inputs = T * (2.0 * h + model.v_width / t + ff / t)  # QKV, out-proj, up, down
        layer_weights = (model.attention_params() + model.dense_ffn_params()) / t
        elt_cast = FP8_CAST_BYTES * (gemm_inputs + layer_weights)
    else:
        elt_cast = np.zeros_like(T)
    elt_common = elt_common + elt_cast
    t_elt_dense = (elt_common + elt_dense_ffn) / mem_bw
    # selective recompute redoes the norms and the activation function (memory-bound)
    t_elt_recompute = (T * h * r * ACT_BYTES * 4.0 + elt_dense_ffn) / mem_bw
    t_elt_moe = (elt_common + elt_moe_ffn) / mem_bw
    overhead_fwd = KERNELS_PER_LAYER_FWD * eff.kernel_overhead_s

    # ---- tensor-parallel and context-parallel communication -------------------------------
    # two all-reduces per layer forward (or, with SP, all-gather + reduce-scatter pairs of the
    # same volume); two more backward (Narayanan 2021 sec. 2.3; Korthikanti 2022 sec. 4.2.2)
    tp_ar = collective_time("all_reduce", T * h * ACT_BYTES, t, 1.0, system)
    t_tp_fwd = 2.0 * tp_ar
    kv_bytes = b * s * model.kv_width * ACT_BYTES / t
    cp_ag = collective_time("all_gather", kv_bytes, c, t, system)
    t_cp_fwd = np.maximum(cp_ag - t_core, 0.0)
    t_cp_bwd = np.maximum(2.0 * cp_ag - t_core_bwd, 0.0)

    # ---- one layer, forward / backward / recompute ----------------------------------------
    def layer(t_ffn: FloatArray, t_elt: FloatArray, t_ep: FloatArray) -> FloatArray:
        gemms = t_attn_proj + t_ffn
        fwd = gemms + t_core_fwd + t_elt + overhead_fwd + t_tp_fwd + t_cp_fwd + t_ep
        bwd = 2.0 * gemms + t_core_bwd + 2.0 * t_elt + 2.0 * overhead_fwd
        bwd = bwd + t_tp_fwd + t_cp_bwd + t_ep
        recompute = np.where(rc == 2, fwd, np.where(rc == 1, t_core_fwd + t_elt_recompute, 0.0))
        return np.asarray(fwd + bwd + recompute, dtype=np.float64)

    n_moe = float(model.moe_layers)
    t_layer = (L - n_moe) * layer(t_dense_ffn, t_elt_dense, np.zeros_like(T))
    if n_moe:
        t_layer = t_layer + n_moe * layer(t_moe_ffn, t_elt_moe, t_ep_fwd)
    t_layer = t_layer / L  # mean layer time

    layers_per_stage = _ceil_div(np.full_like(plans.pp, int(L)), plans.pp)
    logits_fwd = gemm(V / t, h) + LOGITS_FP32_COPIES * 4.0 * T * V / t * 2.0 / mem_bw
    t_logits = 3.0 * logits_fwd
    t_mb = layers_per_stage * t_layer + t_logits  # slowest (last) stage per microbatch

    m = B / (d * b)  # microbatches per step
    t_compute = m * t_mb
    t_bubble = (p - 1.0) / v * t_mb

    # pipeline sends: scatter/gather optimisation splits each send over TP ranks
    p2p = collective_time("p2p", T * h * ACT_BYTES / t, 2.0, t * c * d, system)
    t_p2p = np.where(p > 1.0, 2.0 * v * m * p2p, 0.0)

    # ---- parameters, data parallel and optimizer ------------------------------------------
    attn_p = float(model.attention_params())
    if model.is_moe:
        layer_p_dense = attn_p / t + model.dense_ffn_params() / t
        moe_p = (
            model.moe_experts / e + model.moe_shared_experts
        ) * model.expert_params() / t + model.d_model * model.moe_experts
        layer_p_moe = attn_p / t + moe_p
        mean_layer_p = ((L - n_moe) * layer_p_dense + n_moe * layer_p_moe) / L
    else:
        mean_layer_p = (attn_p + model.dense_ffn_params()) / t
    emb_p = V * h / t
    n_emb = np.where(p > 1.0, 1.0, 1.0 if model.tied_embeddings else 2.0)
    params_gpu = layers_per_stage * mean_layer_p + n_emb * emb_p

    zero = plans.zero
    dp_stride = t * c
    grad_rs = collective_time(
        "reduce_scatter", params_gpu * GRAD_REDUCE_BYTES, d, dp_stride, system
    )
    param_ag = collective_time("all_gather", params_gpu * ACT_BYTES, d, dp_stride, system)
    grad_ar = collective_time("all_reduce", params_gpu * GRAD_REDUCE_BYTES, d, dp_stride, system)
    t_dp_total = np.where(zero == 0, grad_ar, grad_rs + param_ag)
    t_dp_total = np.where(zero == 3, m * (2.0 * param_ag + grad_rs), t_dp_total)
    # gradient reduce-scatter overlaps the last micro-batch's backward and the parameter
    # all-gather the first forward (ZeRO-3: every micro-batch); hidden traffic still costs
    # the contention share (1 - comm_overlap_fraction)
    overlap_window = np.where(zero == 3, m * t_mb, t_mb)
    hidden = np.minimum(t_dp_total, overlap_window)
    t_dp = t_dp_total - hidden * eff.comm_overlap_fraction

    opt_params = np.where(zero >= 1, params_gpu / d, params_gpu)
    t_opt = opt_params * ADAM_TRAFFIC_BYTES_PER_PARAM / mem_bw

    step = t_compute + t_bubble + t_p2p + t_dp + t_opt

    # ---- memory per GPU --------------------------------------------------------------------
    mem_weights = np.where(zero == 3, params_gpu / d, params_gpu) * ACT_BYTES
    mem_weights = mem_weights + np.where(zero == 3, 2.0 * mean_layer_p * ACT_BYTES, 0.0)
    mem_grads = np.where(zero >= 2, params_gpu / d, params_gpu) * GRAD_REDUCE_BYTES
    mem_opt = np.where(zero >= 1, params_gpu / d, params_gpu) * MASTER_BYTES_PER_PARAM

    # activations per layer per microbatch (Korthikanti 2022, sec. 4, generalised)
    kv_w = float(model.kv_width)
    # Selective recompute (Megatron-Core recompute modules core_attn, layernorm and the
    # activation function) keeps neither the s x s scores, nor the norm outputs, nor the
    # activation function's output.
    selective = rc >= 1
    norm_out = np.where(selective, 0.0, 4.0)  # QKV and MLP inputs (the norm outputs)
    non_tp = T * h * r * (ACT_BYTES * 2.0 + norm_out + 2.0 * drop)  # norm inputs, masks
    attn_tp = T * ACT_BYTES * (model.q_width + kv_w + model.v_width) / t  # Q, K, V, attn out
    scores = np.where(flash, 0.0, score_elems * (2.0 + 3.0 * drop))
    ffn_stored = np.where(selective, mats - 1.0, mats)  # activation inputs (+ its output)
    if model.is_moe:
        routed = model.moe_top_k + model.moe_shared_experts
        ffn_tp = T * ACT_BYTES * routed * (h + ffn_stored * model.expert_hidden) / t
    else:
        ffn_tp = T * ACT_BYTES * ffn_stored * ff / t
    act_layer = non_tp + attn_tp + ffn_tp + np.where(selective, 0.0, scores)
    act_stored = np.where(rc == 2, T * h * ACT_BYTES * r, act_layer)
    in_flight = np.minimum(m, p) * np.where(v > 1.0, 1.0 + (p - 1.0) / (p * v), 1.0)
    mem_act = layers_per_stage * act_stored * in_flight
    full_layer = non_tp + attn_tp + ffn_tp + scores  # working set while recomputing
    mem_act = mem_act + np.where(rc == 2, full_layer, np.where(rc == 1, scores, 0.0))
    mem_logits = LOGITS_FP32_COPIES * 4.0 * T * V / t
    memory = {
        "weights": mem_weights,
        "gradients": mem_grads,
        "optimizer": mem_opt,
        "activations": mem_act,
        "logits": mem_logits,
        "reserved": np.full_like(T, eff.memory_reserved_bytes),
    }
    mem_total = sum(memory.values(), np.zeros_like(T))
    fits = mem_total <= system.memory_bytes

    # ---- FLOPs and utilisation -------------------------------------------------------------
    tokens = B * s
    n_gpus = t * p * d * c
    model_flops = tokens * model.model_flops_per_token(int(s))
    fwd_tok = model.forward_flops_per_token(int(s))
    attn_core_tok = 2.0 * s * (model.q_width + model.v_width) * L
    recompute_tok = np.where(rc == 2, fwd_tok, np.where(rc == 1, attn_core_tok, 0.0))
    hw_flops = tokens * (3.0 * fwd_tok + recompute_tok)
    peak_total = n_gpus * peak_gemm
    breakdown = {
        "compute": t_compute,
        "pipeline_bubble": t_bubble,
        "pipeline_p2p": t_p2p,
        "dp_exposed": t_dp,
        "optimizer": t_opt,
        "tp_comm_in_compute": m * layers_per_stage * t_tp_fwd * (2.0 + (rc == 2)),
    }
    return TrainingBatch(
        plans=plans,
        step_time_s=np.asarray(step, dtype=np.float64),
        breakdown_s=breakdown,
        memory_bytes=memory,
        memory_total_bytes=np.asarray(mem_total, dtype=np.float64),
        memory_capacity_bytes=system.memory_bytes,
        fits=np.asarray(fits),
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
