"""LLM serving model: prefill, decode, KV cache, batching and latency, vectorised.

What it implements, and why:

- **Prefill** is compute-bound: every prompt token passes every weight matrix once
  (2 FLOP per parameter per token) and attends to all earlier tokens, so attention grows
  with the square of the prompt (Vaswani et al. 2017; Pope et al. 2022, "Efficiently Scaling
  Transformer Inference", sec. 2). The GEMMs run at the family's achieved fraction of peak
  times the size-dependent tile efficiency used by the training model.
- **Decode** produces one token per running sequence per step. A step must stream every
  weight touched once (shared by the whole batch) and each sequence's KV cache, so at small
  batch it is bandwidth-bound and at large batch compute-bound (the roofline of Williams et
  al. 2009 applied per operator, as in Pope et al. 2022 sec. 3 and Yuan et al. 2024,
  "LLM Inference Unveiled: Survey and Roofline Model Insights", arXiv:2402.16363).
- **Tensor parallel** adds two all-reduces of the step's activations per layer on the
  scale-up fabric (Shoeybi et al. 2019, Megatron-LM); **pipeline parallel** splits layers into
  stages, keeps min(batch, pp) micro-batches in flight and pays a p2p send per stage; with
  fewer micro-batches than stages the pipeline idles (the bubble).
- **KV cache** bytes per token: 2 * kv_heads * head_dim per layer for MHA/GQA (Ainslie et
  al. 2023), the compressed latent plus the RoPE key for MLA (DeepSeek-AI 2024,
  arXiv:2405.04434), at the KV precision; allocated in pages of ``block_tokens`` (Kwon et
  al. 2023, PagedAttention). The largest batch is what fits after weights, workspace and the
  family's reserved memory.
- **Batching**: a static batch (all requests start together), a closed loop of
  ``concurrency`` clients with continuous (in-flight) batching (Yu et al. 2022, Orca), or an
  open Poisson arrival rate, solved by mean-value analysis: the closed loop's throughput from
  Little's law, the open rate by finding the population that carries it. Chunked prefill
  (Agrawal et al. 2024, Sarathi-Serve) spreads prompts over decode steps.
- Tail latency (p50/p99) here is an M/G/1-style approximation; ``serving_sim`` simulates it.

Efficiency constants come from the accelerator family (catalog/efficiency.yaml); the
inference engine's own behaviour (kernel count per layer, GQA KV sharing in decode attention,
host overhead per step, page size) from catalog/serving_software.yaml. Nothing is tuned per
measurement. All functions broadcast NumPy arrays over configurations.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from gigawatt.catalog import Catalog, Entry, load_catalog
from gigawatt.errors import CatalogError, InputError, Problem
from gigawatt.perf.comm import collective_time
from gigawatt.perf.system import System
from gigawatt.workload import TransformerModel

FloatArray = NDArray[np.float64]
WeightPrecision = Literal["bf16", "fp16", "fp8", "int8", "int4"]
PRECISIONS: tuple[str, ...] = ("bf16", "fp16", "fp8", "int8", "int4")
BYTES_PER_VALUE: dict[str, float] = {"bf16": 2.0, "fp16": 2.0, "fp8": 1.0, "int8": 1.0, "int4": 0.5}
# GEMM input precision used for each weight format. FP8 weights run FP8 x FP8 GEMMs
# (TensorRT-LLM / vLLM FP8 W8A8); INT8 and INT4 are weight-only formats (AWQ, GPTQ,
# SmoothQuant-free W8A16/W4A16: Lin et al. 2024) whose GEMMs run at the activation precision.
COMPUTE_PRECISION: dict[str, str] = {
    "bf16": "bf16",
    "fp16": "fp16",
    "fp8": "fp8",
    "int8": "bf16",
    "int4": "bf16",
}
ACT_BYTES = 2.0  # activations in BF16/FP16
ELEMENTWISE_BYTES_PER_HIDDEN = 10.0  # two norms (r+w) and two residual adds (2r+w) per token
WORKSPACE_TOKENS = 8192.0  # engine's max_num_tokens: activation workspace is sized for it
LOGIT_BYTES = 4.0  # FP32 logits for sampling
Mode = Literal["static", "closed", "open"]
# Load-model solvers (``_closed_loop``: damped fixed-point iteration; ``_open_population``:
# bisection); their docstrings say what they solve and how well
DECODE_BATCH_DAMPING = 0.5  # weight of the new decode-batch estimate per iteration
DECODE_BATCH_ITERATIONS = 16
POPULATION_BISECTIONS = 40  # open arrivals: halvings of [1, cap] for the population
MAX_PREFILL_UTILISATION = 0.999  # busy share of prefill kept below 1 (the queue diverges)
MIN_CHUNK_BUDGET_TOKENS = 64.0  # chunked prefill: fewest prompt tokens a step still takes
HALF_STEP = 0.5  # a prompt arrives, on average, half-way through a decode step
QUADRATIC_EPS = 1e-15  # |A| below this: the throughput equation is linear in X
P50, P99 = 0.5, 0.99
P99_TAIL = 0.01  # 1 - P99, written exactly
TINY_RHO = 1e-9  # guards divisions by a utilisation that is zero
TINY_SECONDS = 1e-12  # guards divisions by a prefill time that is zero


# ---- software stack (inference engine) --------------------------------------------------
@dataclass(frozen=True)
class Software:
    """An inference engine's behaviour (catalog/serving_software.yaml)."""

    id: str
    name: str
    gqa_kv_reuse: bool
    kernels_per_layer_decode: float
    step_overhead_s: float
    block_tokens: int
    kv_memory_fraction: float
    max_batch: int
    # accelerator family -> the engine's MoE expert GEMMs' share of the family's dense GEMM
    # rate (families not listed: 1.0)
    moe_gemm_efficiency: tuple[tuple[str, float], ...] = ()
    gemm_efficiency: tuple[tuple[str, float], ...] = ()  # dense GEMMs, likewise
    # decode-step GEMMs only (large running batches of in-flight engines), likewise
    decode_gemm_efficiency: tuple[tuple[str, float], ...] = ()
    sequence_overhead_s: float = 0.0  # per running sequence per decode step
    gqa_kv_reread: float = 1.0  # without GQA sharing: share of per-head K/V re-reads from HBM
    # in-flight batching that puts new prompts into the running decode iteration (their first
    # token comes at the end of that mixed step) rather than in prefill-only iterations
    mixed_batching: bool = False
    # memory the engine's runtime keeps outside weights, workspace and KV (CUDA context,
    # library workspaces); None: the accelerator family's reserve (a PyTorch training figure)
    memory_reserved_bytes: float | None = None
    # whether the engine reuses cached prompt prefixes across requests and can run prefill
    # and decode on separate pools; the prefix hit rate a service is planned at if it names
    # none
    prefix_caching: bool = False
    disaggregation: bool = False
    default_prefix_hit_rate: float = 0.0

    @classmethod
    def from_entry(cls, entry: Entry) -> Software:
        return cls(
            id=entry.id,
            name=entry.name,
            gqa_kv_reuse=bool(entry.get("gqa_kv_reuse", True)),
            kernels_per_layer_decode=entry.q("kernels_per_layer_decode").get(),
            step_overhead_s=entry.q("step_overhead").get(),
            block_tokens=int(entry.q("block_tokens").get()),
            kv_memory_fraction=entry.q("kv_memory_fraction").get(),
            max_batch=int(entry.q("max_batch").get()),
            moe_gemm_efficiency=_by_family(entry, "moe_gemm_efficiency"),
            gemm_efficiency=_by_family(entry, "gemm_efficiency"),
            decode_gemm_efficiency=_by_family(entry, "decode_gemm_efficiency"),
            sequence_overhead_s=_optional_q(entry, "sequence_overhead", 0.0),
            gqa_kv_reread=_optional_q(entry, "gqa_kv_reread", 1.0),
            mixed_batching=bool(entry.get("mixed_batching", False)),
            memory_reserved_bytes=(
                entry.q("memory_reserved").get() if entry.get("memory_reserved") else None
            ),
            prefix_caching=bool(entry.get("prefix_caching", False)),
            disaggregation=bool(entry.get("disaggregation", False)),
            default_prefix_hit_rate=_optional_q(entry, "default_prefix_hit_rate", 0.0),
        )

    def kernel_efficiency(self, family: str, decode: bool = False) -> tuple[float, float]:
        """(dense, MoE expert) GEMM shares of the family's rate this engine reaches; in a
        decode step (``decode``) times the engine's decode-GEMM share."""
        step = dict(self.decode_gemm_efficiency).get(family, 1.0) if decode else 1.0
        return (
            dict(self.gemm_efficiency).get(family, 1.0) * step,
            dict(self.moe_gemm_efficiency).get(family, 1.0) * step,
        )


def _by_family(entry: Entry, key: str) -> tuple[tuple[str, float], ...]:
    """An engine entry's per-accelerator-family quantities ``key`` (none: empty)."""
    return tuple((str(f), float(q.get())) for f, q in (entry.get(key) or {}).items())


def _optional_q(entry: Entry, key: str, default: float) -> float:
    """A catalog quantity an engine entry may leave out (then ``default``: no effect)."""
    return entry.q(key).get() if entry.get(key) is not None else default


def get_software(software: str | None = None, catalog: Catalog | None = None) -> Software:
    """The engine ``software`` (catalog id), or the catalog's default engine."""
    cat = catalog or load_catalog()
    items = cat.kind("serving_software")
    if software is None:
        default = [e for e in items.values() if e.get("default")]
        if not default:
            raise CatalogError([Problem("serving_software.yaml", "-", "no default: true entry")])
        return Software.from_entry(default[0])
    return Software.from_entry(cat.get("serving_software", software))


def software_for_source(source: str, catalog: Catalog | None = None) -> Software:
    """The engine a published measurement names in its citation (longest match wins)."""
    cat = catalog or load_catalog()
    entry = cat.named_by("serving_software", source)
    return Software.from_entry(entry) if entry is not None else get_software(None, cat)


# ---- precisions ----------------------------------------------------------------------------
def _precision_arrays(
    precision: str | Sequence[str] | NDArray[Any], system: System, what: str
) -> tuple[FloatArray, FloatArray]:
    """(bytes per value, GEMM peak FLOP/s) arrays for a precision name or array of names."""
    names = np.atleast_1d(np.asarray(precision, dtype=object))
    bytes_ = np.empty(names.shape, dtype=np.float64)
    peak = np.empty(names.shape, dtype=np.float64)
    for name in set(names.tolist()):
        key = str(name).lower()
        if key not in BYTES_PER_VALUE:
            raise InputError(
                [
                    Problem(
                        "<input>", what, f"{name!r} not allowed (allowed: {', '.join(PRECISIONS)})"
                    )
                ]
            )
        mask = names == name
        bytes_[mask] = BYTES_PER_VALUE[key]
        peak[mask] = system.peak(COMPUTE_PRECISION[key])
    shape = np.shape(precision)
    return bytes_.reshape(shape), peak.reshape(shape)


# ---- model arithmetic ------------------------------------------------------------------------
def kv_bytes_per_token(model: TransformerModel, kv_bytes_per_value: ArrayLike = 2.0) -> FloatArray:
    """KV-cache bytes one token occupies over all layers of the whole model.

    MHA/GQA: 2 (K and V) x kv_heads x head_dim per layer; MLA: the compressed latent plus the
    decoupled RoPE key (kv_lora_rank + qk_rope_head_dim) per layer (DeepSeek-V2, sec. 2.1).
    """
    b = np.asarray(kv_bytes_per_value, dtype=np.float64)
    return np.asarray(model.n_layers * model.kv_width * b, dtype=np.float64)


def kv_shards(model: TransformerModel, tp: ArrayLike) -> FloatArray:
    """Ways the KV cache of one layer is split across a TP group: heads are split up to the
    number of KV heads, then replicated; an MLA latent is replicated on every TP rank."""
    t = np.asarray(tp, dtype=np.float64)
    if model.mla is not None:
        return np.ones_like(t)
    return np.asarray(np.minimum(t, float(model.kv_heads)), dtype=np.float64)


def kv_bytes_per_token_per_gpu(
    model: TransformerModel, tp: ArrayLike, pp: ArrayLike, kv_bytes: ArrayLike
) -> FloatArray:
    """KV-cache bytes one token occupies on one GPU of a replica: its stage's layers (1 / pp)
    and its TP rank's share of the heads (``kv_shards``)."""
    p = np.asarray(pp, dtype=np.float64)
    kvb = np.asarray(kv_bytes, dtype=np.float64)
    return np.asarray(
        model.kv_width * kvb * (model.n_layers / p) / kv_shards(model, tp), np.float64
    )


def _layer_params(model: TransformerModel) -> tuple[float, float, float]:
    """(attention, dense FFN, one expert) parameters of one layer."""
    return (
        float(model.attention_params()),
        float(model.dense_ffn_params()),
        float(model.expert_params()) if model.is_moe else 0.0,
    )


def weight_bytes_per_gpu(
    model: TransformerModel,
    tp: ArrayLike,
    pp: ArrayLike,
    weight_bytes: ArrayLike,
    ep: ArrayLike = 1,
) -> FloatArray:
    """Weights held by one GPU: all parameters split over TP x PP (embeddings on the end
    stages, split over TP like Megatron's vocab-parallel embedding). With expert parallel
    (``ep`` > 1, MoE only) the routed experts of a stage are split whole over its ``ep``
    GPUs and everything else over the TP group (replicated across the ep / tp DP groups)."""
    t = np.asarray(tp, dtype=np.float64)
    p = np.asarray(pp, dtype=np.float64)
    e = np.asarray(ep, dtype=np.float64)
    wb = np.asarray(weight_bytes, dtype=np.float64)
    body = float(model.params() - model.embedding_params())
    emb = float(model.embedding_params())
    experts = _routed_expert_params(model)
    # the first/last stage holds the embedding/LM head as well as its layers
    end = np.where(p > 1.0, emb / 2.0, emb)
    tp_split = ((body - experts) / p + end) / t
    ep_split = np.where(e > 1.0, experts / p / np.maximum(e, 1.0), experts / p / t)
    return np.asarray((tp_split + ep_split) * wb, dtype=np.float64)


def _routed_expert_params(model: TransformerModel) -> float:
    """Parameters of all routed experts (0 for a dense model)."""
    if not model.is_moe:
        return 0.0
    return float(model.moe_layers * model.moe_experts * model.expert_params())


def _dp_groups(tp: FloatArray, ep: FloatArray) -> FloatArray:
    """Attention data-parallel groups per stage: ep / tp with expert parallel, else 1."""
    return np.asarray(np.where(ep > 1.0, np.maximum(ep / tp, 1.0), 1.0), dtype=np.float64)


def gpus_per_replica(tp: ArrayLike, pp: ArrayLike, ep: ArrayLike = 1) -> FloatArray:
    """GPUs of one replica: pp stages of max(tp, ep) GPUs."""
    t = np.asarray(tp, dtype=np.float64)
    return np.asarray(
        np.asarray(pp, dtype=np.float64) * np.maximum(t, np.asarray(ep, np.float64)), np.float64
    )


def _experts_touched(model: TransformerModel, tokens: FloatArray) -> FloatArray:
    """Expected distinct routed experts hit by ``tokens`` tokens with top-k routing
    (uniform routing: E * (1 - (1 - k/E)^tokens))."""
    e = float(model.moe_experts)
    k = float(model.moe_top_k)
    return np.asarray(e * (1.0 - (1.0 - k / e) ** np.maximum(tokens, 0.0)), dtype=np.float64)


# ---- per-phase times -----------------------------------------------------------------------
def _gemm_eff(system: System, m: FloatArray) -> FloatArray:
    """Achieved fraction of peak for GEMMs with ``m`` rows against large weight matrices
    (tile quantisation: m / (m + d_half), as in ``training.gemm_time``)."""
    eff = system.efficiency
    return np.asarray(eff.gemm_peak_fraction * m / (m + eff.gemm_dim_half), dtype=np.float64)


def _linear_work(
    model: TransformerModel, system: System, tokens: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """(parameters multiplied per token, parameters read) for one mean layer of the model
    when ``tokens`` tokens pass it together. MoE: the busiest expert sets the pace (the
    family's load imbalance) and the experts read are those the tokens touch."""
    attn, dense_ffn, expert = _layer_params(model)
    tok = np.asarray(tokens, dtype=np.float64)
    if not model.is_moe:
        p = np.full_like(tok, attn + dense_ffn)
        return p, p
    L = float(model.n_layers)
    n_moe = float(model.moe_layers)
    shared = float(model.moe_shared_experts) * expert
    router = float(model.d_model * model.moe_experts)
    routed = model.moe_top_k * expert * system.efficiency.moe_load_imbalance
    active_moe = attn + routed + shared + router
    read_moe = attn + _experts_touched(model, tok) * expert + shared + router
    active = ((L - n_moe) * (attn + dense_ffn) + n_moe * active_moe) / L
    read = ((L - n_moe) * (attn + dense_ffn) + n_moe * read_moe) / L
    return np.full_like(tok, active), np.asarray(read, dtype=np.float64)


def _linear_time(
    model: TransformerModel,
    system: System,
    tokens: FloatArray,
    stage_tokens: FloatArray,
    layers: FloatArray,
    t: FloatArray,
    e: FloatArray,
    wb: FloatArray,
    peak: FloatArray,
    engine: tuple[float, float] = (1.0, 1.0),
) -> FloatArray:
    """Seconds for the linear layers of ``layers`` mean layers on one GPU when ``tokens``
    tokens pass its TP group together and ``stage_tokens`` pass the whole stage.

    Without expert parallel (e = 1) every matrix, experts included, is sliced over the TP
    group (Megatron). With expert parallel (Lepikhin et al. 2021, GShard; Rajbhandari et al.
    2022, DeepSpeed-MoE) attention, dense and shared-expert matrices stay TP-sliced while
    each GPU holds E / ep whole experts and multiplies the tokens routed to them: on average
    stage_tokens * k / ep rows, times the family's load imbalance for the busiest GPU, in
    GEMMs of stage_tokens * k / E rows per expert. Roofline of the summed compute time
    against the summed weight reads, as for the dense model. Routed experts are grouped
    GEMMs of tokens * k / E rows each (the tile efficiency of that size, not of all tokens)
    ``engine`` holds the engine's (dense, MoE) GEMM kernels' shares of the family's rate.
    """
    eff = system.efficiency
    mem_bw = system.memory_bandwidth_bps * eff.memory_fraction
    active, read = _linear_work(model, system, tokens)
    dense_eff, moe_efficiency = engine
    if not model.is_moe:
        plain = np.maximum(
            2.0 * tokens * active * layers / t / (peak * _gemm_eff(system, tokens) * dense_eff),
            read * layers * wb / t / mem_bw,
        )
        return np.asarray(plain, dtype=np.float64)
    attn, dense_ffn, expert = _layer_params(model)
    L = float(model.n_layers)
    frac_moe = float(model.moe_layers) / L
    shared = float(model.moe_shared_experts) * expert
    router = float(model.d_model * model.moe_experts)
    k = float(model.moe_top_k)
    E = float(model.moe_experts)
    # routed experts run as grouped GEMMs of tokens * k / E rows each, at the engine's
    # MoE-kernel share of the dense rate; everything else as one GEMM of ``tokens`` rows
    routed = frac_moe * k * expert * eff.moe_load_imbalance
    rows_tp = np.maximum(tokens * k / E, 1e-9)
    compute = (
        2.0
        * tokens
        * layers
        / t
        / peak
        * (
            (active - routed) / (_gemm_eff(system, tokens) * dense_eff)
            + routed / (_gemm_eff(system, rows_tp) * moe_efficiency)
        )
    )
    plain = np.maximum(compute, read * layers * wb / t / mem_bw)
    if not np.any(e > 1.0):
        return np.asarray(plain, dtype=np.float64)
    ep = np.maximum(e, 1.0)
    # TP-sliced part: attention (+ router, shared experts) in MoE layers, whole dense layers
    tp_params = frac_moe * (attn + shared + router) + (1.0 - frac_moe) * (attn + dense_ffn)
    tp_flops_t = 2.0 * tokens * tp_params / t / (peak * _gemm_eff(system, tokens) * dense_eff)
    tp_read = tp_params * wb / t
    rows = stage_tokens * k / ep * eff.moe_load_imbalance
    per_expert = np.maximum(stage_tokens * k / E, 1e-9)
    ex_flops_t = (
        frac_moe * 2.0 * rows * expert / (peak * _gemm_eff(system, per_expert) * moe_efficiency)
    )
    ex_read = frac_moe * _experts_touched(model, stage_tokens) / ep * expert * wb
    with_ep = np.maximum((tp_flops_t + ex_flops_t) * layers, (tp_read + ex_read) * layers / mem_bw)
    return np.asarray(np.where(e > 1.0, with_ep, plain), dtype=np.float64)


def _moe_comm_time(
    model: TransformerModel, system: System, tokens: FloatArray, t: FloatArray, e: FloatArray
) -> FloatArray:
    """Per mean layer: TP all-reduces plus, with expert parallel, the dispatch and combine
    all-to-alls of each GPU's tokens/tp tokens to their top-k experts (BF16 activations)
    over the stage's ep GPUs (``perf.comm.collective_time``; across scale-up domains when
    ep exceeds one)."""
    h = float(model.d_model)
    ar = collective_time("all_reduce", tokens * h * ACT_BYTES, t, 1.0, system)
    if not model.is_moe:
        return np.asarray(2.0 * ar, dtype=np.float64)
    frac_moe = float(model.moe_layers) / float(model.n_layers)
    size = tokens / t * float(model.moe_top_k) * h * ACT_BYTES
    a2a = collective_time("all_to_all", size, np.maximum(e, 1.0), 1.0, system)
    with_ep = (2.0 - frac_moe) * ar + frac_moe * 2.0 * a2a
    return np.asarray(np.where(e > 1.0, with_ep, 2.0 * ar), dtype=np.float64)


@dataclass
class ServingBatch:
    """Predictions for a batch of serving configurations (one array element each)."""

    tokens_per_s: FloatArray  # output tokens per second, whole replica (tp * pp GPUs)
    tokens_per_s_per_gpu: FloatArray
    requests_per_s: FloatArray
    ttft_s: FloatArray  # mean
    ttft_p50_s: FloatArray
    ttft_p99_s: FloatArray
    tpot_s: FloatArray  # mean time per output token after the first
    tpot_p50_s: FloatArray
    tpot_p99_s: FloatArray
    running_batch: FloatArray  # sequences decoded together per step
    max_batch: FloatArray  # largest batch whose KV cache fits
    fits: NDArray[np.bool_]  # weights fit and at least one sequence's KV cache fits
    stable: NDArray[np.bool_]  # open arrivals: the rate is below capacity
    prefill_s: FloatArray  # one request's prompt alone
    decode_step_s: FloatArray  # one decode step at the running batch
    n_gpus: FloatArray
    memory_bytes: dict[str, FloatArray] = field(default_factory=dict)

    def row(self, i: int) -> dict[str, float | bool]:
        out: dict[str, float | bool] = {}
        for key, value in self.__dict__.items():
            if isinstance(value, np.ndarray):
                v = np.broadcast_to(value, self.tokens_per_s.shape).ravel()[i]
                out[key] = bool(v) if value.dtype == np.bool_ else float(v)
        for key, value in self.memory_bytes.items():
            out[f"memory_{key}_bytes"] = float(
                np.broadcast_to(value, self.tokens_per_s.shape).ravel()[i]
            )
        return out


def prefill_time(
    model: TransformerModel,
    system: System,
    tokens: ArrayLike,
    context: ArrayLike,
    tp: ArrayLike = 1,
    pp: ArrayLike = 1,
    weight_bytes: ArrayLike = 2.0,
    peak_flops: ArrayLike | None = None,
    sequences: ArrayLike = 1.0,
    software: Software | None = None,
    overheads: bool = True,
    ep: ArrayLike = 1,
) -> FloatArray:
    """Seconds for one forward pass over ``tokens`` prompt tokens on one replica, their
    attention spanning a mean ``context`` earlier tokens each (a whole prompt of s tokens:
    context s/2, causal). The latency of one pass through all pipeline stages.

    Linear layers: roofline of 2 FLOP per parameter per token at the size-dependent GEMM
    efficiency vs. reading the weights once. Attention core: 2 * tokens * context *
    (q_width + v_width) FLOP at the 16-bit peak (FlashAttention; Dao 2023). TP: two
    all-reduces of the tokens' activations per layer (Megatron-LM), not overlapped.
    ``overheads=False`` leaves out per-pass kernel launches and host work (a chunk riding
    on a decode step shares them). ``ep`` > 1: expert parallel (see ``_linear_time``); the
    prompts are spread over the stage's ep / tp attention groups.
    """
    eff = system.efficiency
    n = np.asarray(tokens, dtype=np.float64)
    ctx = np.asarray(context, dtype=np.float64)
    t = np.asarray(tp, dtype=np.float64)
    p = np.asarray(pp, dtype=np.float64)
    wb = np.asarray(weight_bytes, dtype=np.float64)
    peak = np.asarray(system.peak("bf16") if peak_flops is None else peak_flops, np.float64)
    seqs_all = np.asarray(sequences, dtype=np.float64)
    e = np.asarray(ep, dtype=np.float64)
    sw = software or get_software()
    L = float(model.n_layers)
    h = float(model.d_model)
    V = float(model.vocab_size)
    mem_bw = system.memory_bandwidth_bps * eff.memory_fraction
    stage_tokens = n
    groups = np.minimum(_dp_groups(t, e), np.maximum(seqs_all, 1.0))
    n = n / groups  # tokens one attention (TP) group prefills
    seqs = seqs_all / groups
    t_lin = _linear_time(
        model,
        system,
        n,
        stage_tokens,
        np.asarray(L),
        t,
        e,
        wb,
        peak,
        sw.kernel_efficiency(system.family),
    )
    attn_flops = 2.0 * n * ctx * float(model.q_width + model.v_width) * L / t
    t_attn = attn_flops / (system.peak("bf16") * _gemm_eff(system, np.maximum(ctx, 1.0)))
    t_elt = n * h * ELEMENTWISE_BYTES_PER_HIDDEN * ACT_BYTES * L / mem_bw
    t_ar = L * _moe_comm_time(model, system, n, t, e)
    t_head = np.maximum(
        2.0 * seqs * h * V / t / (peak * _gemm_eff(system, seqs)), h * V * wb / t / mem_bw
    )
    hop = collective_time("p2p", n * h * ACT_BYTES / t, 2.0, t, system)
    t_p2p = np.where(p > 1.0, (p - 1.0) * hop, 0.0)
    total = t_lin + t_attn + t_elt + t_ar + t_head + t_p2p
    if overheads:
        total = total + L * sw.kernels_per_layer_decode * eff.kernel_overhead_s
        total = total + sw.step_overhead_s
    return np.asarray(total, dtype=np.float64)


def _decode_attention_time(
    model: TransformerModel,
    system: System,
    b: FloatArray,
    ctx: FloatArray,
    t: FloatArray,
    kvb: FloatArray,
    Ls: FloatArray | float,
    sw: Software,
    mem_bw: float,
) -> FloatArray:
    """Decode attention of ``b`` sequences of ``ctx`` tokens on one TP group of a stage of
    ``Ls`` layers: the roofline max(score FLOPs at the GEMM efficiency of one KV head's query
    group, KV bytes / bandwidth). The KV is read once per KV head, or once per query head
    (the engine's ``gqa_kv_reread`` share of it reaching HBM) without GQA sharing."""
    kv_width_gpu = model.kv_width / kv_shards(model, t)
    if model.mla is None and not sw.gqa_kv_reuse:
        # re-read per query head; the share ``gqa_kv_reread`` of the re-reads reaches HBM
        per_head = (model.n_heads / t) * 2.0 * model.head_dim
        kv_width_gpu = kv_width_gpu + sw.gqa_kv_reread * (per_head - kv_width_gpu)
    kv_read = b * ctx * kv_width_gpu * kvb * Ls
    group = float(model.n_heads) / float(model.kv_heads if model.mla is None else 1)
    attn_flops = 2.0 * b * ctx * float(model.q_width + model.v_width) * Ls / t
    return np.asarray(
        np.maximum(
            attn_flops / (system.peak("bf16") * _gemm_eff(system, np.full_like(b, group))),
            kv_read / mem_bw,
        ),
        np.float64,
    )


def _lm_head_time(
    model: TransformerModel,
    system: System,
    b: FloatArray,
    t: FloatArray,
    wb: FloatArray,
    peak: FloatArray,
    mem_bw: float,
) -> FloatArray:
    """The LM head of one decode step: the roofline of its GEMM (``b`` rows, vocabulary
    sliced over ``t``) plus writing the logits."""
    h, V = float(model.d_model), float(model.vocab_size)
    return np.asarray(
        np.maximum(2.0 * b * h * V / t / (peak * _gemm_eff(system, b)), h * V * wb / t / mem_bw)
        + b * V * LOGIT_BYTES / t / mem_bw,
        np.float64,
    )


def decode_step_time(
    model: TransformerModel,
    system: System,
    batch: ArrayLike,
    context: ArrayLike,
    tp: ArrayLike = 1,
    pp: ArrayLike = 1,
    weight_bytes: ArrayLike = 2.0,
    kv_bytes: ArrayLike = 2.0,
    peak_flops: ArrayLike | None = None,
    software: Software | None = None,
    ep: ArrayLike = 1,
) -> FloatArray:
    """Seconds between two output tokens of a sequence when ``batch`` sequences with a mean
    ``context`` (tokens already in their KV cache) decode together on one replica.

    Per pipeline stage and micro-batch (min(batch, pp) micro-batches in flight): linear
    layers as the roofline max(2 FLOP/param/token at GEMM efficiency of m = micro-batch,
    weight bytes / bandwidth); attention as max(score FLOPs, KV bytes / bandwidth), the KV
    read once per KV head (or once per query head for engines without GQA sharing); two TP
    all-reduces per layer; the LM head; kernel launches; the engine's host and sampling work
    per step plus per running sequence. A token waits for all pp stages.
    Expert parallel (``ep`` > 1, MoE): the batch is split over ep / tp attention groups,
    experts whole over the ep GPUs, dispatch/combine all-to-alls (``_linear_time``).
    """
    eff = system.efficiency
    sw = software or get_software()
    B = np.asarray(batch, dtype=np.float64)
    ctx = np.asarray(context, dtype=np.float64)
    t = np.asarray(tp, dtype=np.float64)
    p = np.asarray(pp, dtype=np.float64)
    wb = np.asarray(weight_bytes, dtype=np.float64)
    kvb = np.asarray(kv_bytes, dtype=np.float64)
    peak = np.asarray(system.peak("bf16") if peak_flops is None else peak_flops, np.float64)
    e = np.asarray(ep, dtype=np.float64)
    L = float(model.n_layers)
    h = float(model.d_model)
    mem_bw = system.memory_bandwidth_bps * eff.memory_fraction
    groups = _dp_groups(t, e)
    n_mb = np.maximum(np.minimum(B, p), 1.0)
    b_stage = np.maximum(B / n_mb, 1e-9)  # sequences per micro-batch, whole stage
    b = np.maximum(b_stage / groups, 1e-9)  # ... per attention (TP) group
    Ls = L / p
    t_lin = _linear_time(
        model,
        system,
        b,
        b_stage,
        np.asarray(Ls),
        t,
        e,
        wb,
        peak,
        sw.kernel_efficiency(system.family, decode=True),
    )
    t_attn = _decode_attention_time(model, system, b, ctx, t, kvb, Ls, sw, mem_bw)
    t_elt = b * h * ELEMENTWISE_BYTES_PER_HIDDEN * ACT_BYTES * Ls / mem_bw
    t_ar = Ls * _moe_comm_time(model, system, b, t, e)
    t_head = _lm_head_time(model, system, b, t, wb, peak, mem_bw)
    t_kern = Ls * sw.kernels_per_layer_decode * eff.kernel_overhead_s
    stage = t_lin + t_attn + t_elt + t_ar + t_head + t_kern
    hop = collective_time("p2p", b * h * ACT_BYTES / t, 2.0, t, system)
    interval = (
        p * stage
        + np.where(p > 1.0, p * hop, 0.0)
        + sw.step_overhead_s
        + B * sw.sequence_overhead_s
    )
    return np.asarray(interval, dtype=np.float64)


def memory_per_gpu(
    model: TransformerModel,
    system: System,
    tp: ArrayLike,
    pp: ArrayLike,
    weight_bytes: ArrayLike,
    kv_bytes: ArrayLike,
    seq_tokens: ArrayLike,
    software: Software | None = None,
    ep: ArrayLike = 1,
) -> tuple[dict[str, FloatArray], FloatArray, FloatArray]:
    """(memory breakdown per GPU, KV bytes per sequence per GPU, largest batch that fits).

    KV pages: each sequence holds ceil(seq_tokens / block) blocks of ``block_tokens``
    (PagedAttention). The engine gives ``kv_memory_fraction`` of the memory left after
    weights, workspace and the family's reserved memory to the KV cache. With expert
    parallel each of the ep / tp attention groups holds its own sequences, so the replica's
    largest batch is that many times one group's.
    """
    sw = software or get_software()
    t = np.asarray(tp, dtype=np.float64)
    p = np.asarray(pp, dtype=np.float64)
    kvb = np.asarray(kv_bytes, dtype=np.float64)
    s = np.asarray(seq_tokens, dtype=np.float64)
    e = np.asarray(ep, dtype=np.float64)
    weights = weight_bytes_per_gpu(model, t, p, weight_bytes, e)
    h = float(model.d_model)
    ffn = float(model.expert_hidden if model.is_moe else model.ffn_hidden)
    width = 4.0 * h + (model.q_width + model.kv_width + 2.0 * ffn) / t
    workspace = WORKSPACE_TOKENS * width * ACT_BYTES + sw.max_batch * model.vocab_size * 4.0 / t
    reserve = sw.memory_reserved_bytes
    reserved = np.full_like(
        weights, system.efficiency.memory_reserved_bytes if reserve is None else reserve
    )
    free = system.memory_bytes - weights - workspace - reserved
    kv_pool = np.maximum(free, 0.0) * sw.kv_memory_fraction
    blocks = np.ceil(s / sw.block_tokens) * sw.block_tokens
    per_token = kv_bytes_per_token_per_gpu(model, t, p, kvb)
    per_seq = blocks * per_token
    max_batch = np.minimum(np.floor(kv_pool / per_seq), float(sw.max_batch)) * _dp_groups(t, e)
    breakdown = {
        "weights": np.asarray(weights, dtype=np.float64),
        "workspace": np.asarray(workspace + 0.0 * weights, dtype=np.float64),
        "reserved": reserved,
        "kv_pool": np.asarray(kv_pool, dtype=np.float64),
    }
    return breakdown, np.asarray(per_seq, dtype=np.float64), np.asarray(max_batch, np.float64)


def prefill_tokens(input_len: ArrayLike, prefix_hit_rate: ArrayLike = 0.0) -> FloatArray:
    """Prompt tokens a request computes when the share ``prefix_hit_rate`` of its prompt is
    already in the engine's prefix cache (vLLM automatic prefix caching; SGLang
    RadixAttention, Zheng et al. 2024, arXiv:2312.07104): the rest, and at least the last
    token, whose logits the first output token needs (vLLM recomputes it on a full hit)."""
    s = np.asarray(input_len, dtype=np.float64)
    h = np.asarray(prefix_hit_rate, dtype=np.float64)
    return np.asarray(np.where(h > 0.0, np.maximum(s * (1.0 - h), 1.0), s), dtype=np.float64)


def prefill_context(input_len: ArrayLike, prefix_hit_rate: ArrayLike = 0.0) -> FloatArray:
    """Mean earlier tokens each computed prompt token attends to: the cached prefix plus,
    causally, half of the computed part (s / 2 without a hit)."""
    s = np.asarray(input_len, dtype=np.float64)
    h = np.asarray(prefix_hit_rate, dtype=np.float64)
    return np.asarray(s * h + prefill_tokens(s, h) / 2.0, dtype=np.float64)


def kv_resident_tokens(
    input_len: ArrayLike, output_len: ArrayLike, prefix_hit_rate: ArrayLike = 0.0
) -> FloatArray:
    """Mean KV-cache tokens one running sequence holds alone under paged continuous batching.

    Pages are allocated as tokens are produced (Kwon et al. 2023, PagedAttention, sec. 4), and
    in steady state the running sequences are spread evenly over their output, so one holds
    s_in + s_out / 2 tokens on average rather than its final length. A cached prefix's pages
    are shared by every sequence that hits it (copy-on-write blocks, PagedAttention sec. 4.4;
    RadixAttention), so a sequence holds only its own share; the shared copies, one per
    distinct prefix, are left out (small beside a pool of hundreds of sequences).
    """
    return np.asarray(
        prefill_tokens(input_len, prefix_hit_rate) + np.asarray(output_len, np.float64) / 2.0,
        dtype=np.float64,
    )


def _paged_cap(
    model: TransformerModel,
    system: System,
    t: FloatArray,
    p: FloatArray,
    wb: FloatArray,
    kvb: FloatArray,
    s_in: FloatArray,
    s_out: FloatArray,
    sw: Software,
    e: FloatArray,
    full_cap: FloatArray,
    hit: ArrayLike = 0.0,
) -> FloatArray:
    """Sequences a paged KV cache holds under continuous batching: the pool over each
    sequence's mean resident tokens (``kv_resident_tokens``); only a sequence that cannot fit
    whole (``full_cap`` < 1) is refused. MLPerf Inference v4.1 (NVIDIA, closed, Llama 2 70B
    on H100 TP2) runs 806-1,300 sequences per replica where the final lengths fit ~670.
    """
    resident = kv_resident_tokens(s_in, s_out, hit)
    _, _, mean_cap = memory_per_gpu(model, system, t, p, wb, kvb, resident, sw, e)
    return np.asarray(np.where(full_cap >= 1.0, np.maximum(mean_cap, full_cap), 0.0), np.float64)


def _poisson_quantile(mean: FloatArray, q: float) -> FloatArray:
    """Quantile of a Poisson count: the smallest k with P(N <= k) >= q, for 0 < q < 1 (what
    ``scipy.stats.poisson.ppf`` computes, through the same special functions; importing
    ``scipy.special`` alone costs ~1/4 of ``scipy.stats``, which ``check`` pays)."""
    from scipy.special import pdtr, pdtrik

    mu = np.maximum(mean, 1e-12)
    k = np.ceil(pdtrik(q, mu))
    below = np.maximum(k - 1.0, 0.0)
    return np.asarray(np.where(pdtr(below, mu) >= q, below, k), dtype=np.float64)


@dataclass(frozen=True)
class _Replica:
    """One replica's configuration broadcast to the result ``shape``, with its decode and
    prefill times as functions of the batch (the building blocks of the load models)."""

    model: TransformerModel
    system: System
    sw: Software
    s_in: FloatArray
    s_out: FloatArray
    t: FloatArray
    p: FloatArray
    e: FloatArray
    wb: FloatArray
    kvb: FloatArray
    peak: FloatArray
    shape: tuple[int, ...]
    chunked: bool
    chunk_tokens: float
    hit: FloatArray = field(default_factory=lambda: np.zeros(()))  # prefix-cache hit share

    @property
    def new_in(self) -> FloatArray:
        """Prompt tokens a request must prefill (``prefill_tokens``)."""
        return prefill_tokens(self.s_in, self.hit)

    def full(self, x: ArrayLike) -> FloatArray:
        return np.asarray(np.broadcast_to(np.asarray(x, dtype=np.float64), self.shape), np.float64)

    def decode_step(self, b: FloatArray) -> FloatArray:
        """Decode step seconds at ``b`` running sequences, mean context s_in + s_out / 2."""
        ctx = self.s_in + self.s_out / 2.0
        return self.full(
            decode_step_time(
                self.model,
                self.system,
                b,
                ctx,
                self.t,
                self.p,
                self.wb,
                self.kvb,
                self.peak,
                self.sw,
                self.e,
            )
        )

    def prefill(
        self, tokens: ArrayLike, sequences: ArrayLike, overheads: bool = True
    ) -> FloatArray:
        """Seconds of one prefill pass over ``tokens`` tokens of ``sequences`` whole prompts."""
        return self.full(
            prefill_time(
                self.model,
                self.system,
                tokens,
                prefill_context(self.s_in, self.hit),
                self.t,
                self.p,
                self.wb,
                self.peak,
                sequences,
                self.sw,
                overheads=overheads,
                ep=self.e,
            )
        )


@dataclass(frozen=True)
class _LoadResult:
    """Throughput and latency of one load model (arrays of the result shape)."""

    tokens_per_s: FloatArray
    requests_per_s: FloatArray
    ttft_s: FloatArray
    ttft_p50_s: FloatArray
    ttft_p99_s: FloatArray
    tpot_s: FloatArray
    tpot_p50_s: FloatArray
    tpot_p99_s: FloatArray
    running: FloatArray
    step_s: FloatArray


def _check_serving_inputs(
    model: TransformerModel,
    s_in: FloatArray,
    s_out: FloatArray,
    t: FloatArray,
    p: FloatArray,
    e: FloatArray,
) -> None:
    """Reject lengths and parallel degrees no engine could run, naming the field."""
    for name, arr in (("input_len", s_in), ("output_len", s_out), ("tp", t), ("pp", p)):
        if np.any(~np.isfinite(arr)) or np.any(arr < 1.0):
            raise InputError([Problem("<input>", name, "must be finite and >= 1")])
    if np.any(~np.isfinite(e)) or np.any(e < 1.0):
        raise InputError([Problem("<input>", "ep", "must be finite and >= 1")])
    if np.any(e > 1.0) and not model.is_moe:
        raise InputError(
            [Problem("<input>", "ep", f"{model.name} has no experts: expert parallel needs MoE")]
        )
    if np.any((e > 1.0) & (np.mod(e, t) != 0.0)):
        raise InputError([Problem("<input>", "ep", "must be a multiple of tp (or 1)")])


def check_prefix_hit_rate(prefix_hit_rate: ArrayLike) -> FloatArray:
    """The prefix-cache hit share as an array, rejected outside [0, 1]."""
    h = np.asarray(prefix_hit_rate, dtype=np.float64)
    if np.any(~np.isfinite(h)) or np.any(h < 0.0) or np.any(h > 1.0):
        raise InputError([Problem("<input>", "prefix_hit_rate", "must be in [0, 1]")])
    return h


def _static_batch(r: _Replica, B: FloatArray) -> _LoadResult:
    """All ``B`` requests start together: one prefill of all prompts, then s_out - 1 decode
    steps at batch B; the batch ends with its longest member."""
    ttft = r.prefill(B * r.new_in, B)
    step = r.decode_step(B)
    total = ttft + (r.s_out - 1.0) * step
    return _LoadResult(
        tokens_per_s=B * r.s_out / total,
        requests_per_s=B / total,
        ttft_s=ttft,
        ttft_p50_s=ttft,
        ttft_p99_s=ttft,
        tpot_s=step,
        tpot_p50_s=step,
        tpot_p99_s=step,
        running=B,
        step_s=step,
    )


@dataclass(frozen=True)
class _LoopState:
    """Mean-value solution of a closed loop at a decode batch ``b``."""

    X: FloatArray  # requests per second
    R: FloatArray  # mean residence (response) time
    ttft: FloatArray
    tpot: FloatArray
    Td: FloatArray  # decode step at the batch
    t_pf: FloatArray  # one prompt's prefill seconds (amortised per request)
    b: FloatArray


def _little_law(r: _Replica, running: FloatArray, b: FloatArray, chunk_s: FloatArray) -> _LoopState:
    """Throughput X of ``running`` requests in flight when ``b`` of them decode together.

    Little's law X = n / (TTFT + (out - 1) TPOT), with decode steps stretched by the
    prefills of the X requests/s that join: TPOT = Td / (1 - X t_pf). Without chunking,
    prompts arriving within one step are prefilled together (k = running / out of them in
    steady state, a slot frees every out steps) and TTFT = Td / 2 + k t_pf + X t_pf k t_pf / 2
    (the residual of a running prefill burst); engines whose in-flight batching runs the
    prompts inside a decode iteration (``mixed_batching``: TensorRT-LLM) take them at the
    step boundary and return the first token after a whole step, Td instead of Td / 2, as
    ``serving_sim`` does; dropping the cubic term (< 1 %) leaves a
    quadratic in X whose physical (smaller) root is taken. Chunked (Sarathi-Serve): a prompt
    rides on ``steps`` decode steps, each stretched by the others' chunks.
    """
    out = r.full(r.s_out)
    Td = r.decode_step(np.maximum(b, 1.0))
    if r.chunked:
        t_pf = chunk_s
        budget = np.maximum(r.chunk_tokens - b, MIN_CHUNK_BUDGET_TOKENS)
        steps = HALF_STEP + np.ceil(r.full(r.new_in) / budget)
        X = running / ((steps + out - 1.0) * Td + t_pf + running * t_pf)
        X = np.minimum(X, MAX_PREFILL_UTILISATION / t_pf)
        tpot = Td / (1.0 - X * t_pf)
        ttft = steps * tpot + t_pf
    else:
        k = np.maximum(1.0, running / out)
        t_pf = r.prefill(k * r.new_in, k) / k
        # a mixed iteration takes the prompt at the next step boundary (where a closed
        # loop's requests arrive) and decodes the running batch before its first token
        a0 = np.where(r.sw.mixed_batching, Td, HALF_STEP * Td) + k * t_pf
        c0 = 0.5 * k * t_pf * t_pf  # busy share X t_pf x half a burst k t_pf
        A = a0 * t_pf - c0
        Bq = a0 + (out - 1.0) * Td + running * t_pf
        disc = np.maximum(Bq * Bq - 4.0 * A * running, 0.0)
        X = np.where(
            np.abs(A) > QUADRATIC_EPS,
            (Bq - np.sqrt(disc)) / (2.0 * np.where(A == 0.0, 1.0, A)),
            running / Bq,
        )
        X = np.minimum(X, MAX_PREFILL_UTILISATION / t_pf)
        tpot = Td / (1.0 - X * t_pf)
        ttft = a0 + c0 * X
    return _LoopState(X=X, R=ttft + (out - 1.0) * tpot, ttft=ttft, tpot=tpot, Td=Td, t_pf=t_pf, b=b)


def _closed_loop(r: _Replica, n_in: FloatArray, cap: FloatArray, chunk_s: FloatArray) -> _LoopState:
    """Mean-value solution of the closed loop with ``n_in`` requests in flight.

    The decode batch b is the number of admitted requests that are decoding: by Little's law
    b = g(b) = running (out - 1) TPOT(b) / R(b), the decoding share of each request's time in
    the system, with g(b) in [1, running]. It is solved by the damped iteration
    b <- (1 - w) b + w g(b) from b = running, w = ``DECODE_BATCH_DAMPING``, for
    ``DECODE_BATCH_ITERATIONS`` steps: Td grows with b and stretches both TPOT and TTFT, so
    the plain iteration can overshoot; where g is continuous the damped one settles to
    about 1e-6 in these steps (checked against bisection). With chunked prefill g jumps (the
    chunk budget is a ceiling), there may be no exact fixed point and the iteration ends near
    the jump. The returned state is the last evaluation and its ``b`` the last update.
    """
    running = np.minimum(n_in, cap)
    b = running.copy()
    s = _little_law(r, running, b, chunk_s)
    for i in range(DECODE_BATCH_ITERATIONS):
        if i:
            s = _little_law(r, running, b, chunk_s)
        g = np.maximum(running * (r.s_out - 1.0) * s.tpot / s.R, 1.0)
        b = (1.0 - DECODE_BATCH_DAMPING) * b + DECODE_BATCH_DAMPING * g
    return _LoopState(X=s.X, R=s.R, ttft=s.ttft, tpot=s.tpot, Td=s.Td, t_pf=s.t_pf, b=b)


def bisect_increasing(
    lo: FloatArray, hi: FloatArray, too_big: Callable[[FloatArray], Any], steps: int
) -> FloatArray:
    """Element-wise, the point in [lo, hi] where the increasing test ``too_big`` turns true,
    after ``steps`` halvings of the bracket (vectorised over the result shape)."""
    for _ in range(steps):
        mid = 0.5 * (lo + hi)
        big = too_big(mid)
        lo = np.where(big, lo, mid)
        hi = np.where(big, mid, hi)
    return np.asarray(0.5 * (lo + hi), dtype=np.float64)


def _open_population(
    r: _Replica, lam: FloatArray, cap: FloatArray, chunk_s: FloatArray
) -> _LoopState:
    """The closed-loop solution at the population N that carries the arrival rate ``lam``.

    N solves N = clip(lam R(N), 1, cap) (Little's law; the clip keeps N a population the
    replica can hold). R grows with N, so lam R(N) - N changes sign once on [1, cap] and
    bisection converges to the fixed point (to cap / 2^``POPULATION_BISECTIONS``). A damped
    iteration stopped after a fixed number of steps stays below the fixed point near
    capacity; the discrete-event simulation (``serving_sim``) confirms the converged
    solution: at 90-95 % of capacity it moves the mean TPOT and TTFT towards the simulated
    ones.
    """
    population = bisect_increasing(
        np.ones(r.shape),
        np.maximum(r.full(cap), 1.0),
        lambda n: lam * _closed_loop(r, n, cap, chunk_s).R <= n,
        POPULATION_BISECTIONS,
    )
    return _closed_loop(r, population, cap, chunk_s)


def prefill_queue_wait(offered: FloatArray, t_pf: FloatArray) -> tuple[FloatArray, FloatArray]:
    """(utilisation, mean wait) of prompts queueing first come first served for a prefill
    server taking ``t_pf`` each at the ``offered`` load (rate x t_pf): an M/D/1 queue, the
    Pollaczek-Khinchine mean wait rho t_pf / (2 (1 - rho)), the load capped at
    ``MAX_PREFILL_UTILISATION`` (a replica saturates there)."""
    rho = np.minimum(offered, MAX_PREFILL_UTILISATION)
    return rho, rho * t_pf / (2.0 * (1.0 - rho))


def _kingman_wait_quantile(W: FloatArray, rho: FloatArray, tail: float) -> FloatArray:
    """Wait exceeded with probability ``tail`` when P(wait > x) ~ rho exp(-rho x / W)
    (Kingman's exponential approximation); zero when rho <= tail."""
    return np.asarray(
        np.where(rho > tail, W / np.maximum(rho, TINY_RHO) * np.log(rho / tail), 0.0), np.float64
    )


def _continuous_batching(
    r: _Replica,
    cap: FloatArray,
    concurrency: ArrayLike | None,
    rate_per_s: ArrayLike | None,
) -> tuple[_LoadResult, NDArray[np.bool_]]:
    """(result, stable) of continuous batching under a closed loop of ``concurrency``
    clients or open Poisson arrivals at ``rate_per_s``, with means from the mean-value
    solution and tails from ``_tail_latencies``."""
    chunk_s = np.zeros(r.shape)
    if r.chunked:
        # chunks of different prompts run side by side in the ep / tp attention groups: the
        # busy share uses the stage-wide (amortised) chunk time
        groups = _dp_groups(r.t, r.e)
        per_tok = r.prefill(r.chunk_tokens * groups, groups, overheads=False)
        chunk_s = per_tok / (r.chunk_tokens * groups) * r.full(r.new_in)
    stable = np.ones(r.shape, dtype=bool)
    if rate_per_s is None:
        assert concurrency is not None
        N = r.full(concurrency)
        if np.any(N < 1.0):
            raise InputError([Problem("<input>", "concurrency", "must be >= 1")])
        s = _closed_loop(r, N, cap, chunk_s)
        queue_wait = np.maximum(N / s.X - s.R, 0.0)  # waiting for a KV slot when N > cap
        return _tail_latencies(r, s, s.ttft + queue_wait, s.X * s.t_pf, None, queue_wait), stable
    lam = r.full(rate_per_s)
    if np.any(~(lam > 0.0)):
        raise InputError([Problem("<input>", "rate_per_s", "must be > 0")])
    X_cap = _closed_loop(r, cap, cap, chunk_s).X
    stable = lam < X_cap
    s = _open_population(r, lam, cap, chunk_s)
    X = np.where(stable, lam, X_cap)
    # prefill waits behind other prefills: an M/D/1 queue
    rho, W = prefill_queue_wait(X * s.t_pf, s.t_pf)
    s = _LoopState(X=X, R=s.R, ttft=s.ttft, tpot=s.tpot, Td=s.Td, t_pf=s.t_pf, b=s.b)
    return _tail_latencies(r, s, s.ttft + W, rho, rho, W), stable


def _tail_latencies(
    r: _Replica,
    s: _LoopState,
    ttft: FloatArray,
    prefill_load: FloatArray,
    rho: FloatArray | None,
    queue_wait: FloatArray,
) -> _LoadResult:
    """Median and p99 TTFT and TPOT around the mean-value solution ``s``.

    TPOT: the prefills (a Poisson count) that land inside one request's decode stretch its
    steps (none with chunking, which spreads them evenly). TTFT p99: the request's own prompt
    plus the most others that arrive in the same step and are prefilled with it (Poisson,
    mean X Td); open arrivals add the M/D/1 prefill wait's quantiles (``rho`` given).
    """
    out = r.full(r.s_out)
    decode_time = (out - 1.0) * s.tpot
    m = prefill_load / np.maximum(s.t_pf, TINY_SECONDS) * decode_time
    per_pf = np.where(r.chunked, 0.0, s.t_pf)
    denom = np.maximum(out - 1.0, 1.0)
    tpot50 = s.Td + per_pf * _poisson_quantile(m, P50) / denom
    tpot99 = s.Td + per_pf * _poisson_quantile(m, P99) / denom
    kq = 1.0 + _poisson_quantile(s.X * s.Td, P99)
    run99 = np.where(r.chunked, s.ttft, s.Td + kq * s.t_pf)
    run99 = np.maximum(run99, s.ttft)
    if rho is None:
        ttft50, ttft99 = ttft, run99 + queue_wait
    else:
        W = queue_wait
        ttft50 = s.ttft + _kingman_wait_quantile(W, rho, 1.0 - P50)
        ttft99 = run99 + _kingman_wait_quantile(W, rho, P99_TAIL)
    return _LoadResult(
        tokens_per_s=s.X * out,
        requests_per_s=s.X,
        ttft_s=ttft,
        ttft_p50_s=ttft50,
        ttft_p99_s=ttft99,
        tpot_s=s.tpot,
        tpot_p50_s=np.where(r.chunked, s.tpot, tpot50),
        tpot_p99_s=np.where(r.chunked, s.tpot, tpot99),
        running=s.b,
        step_s=s.Td,
    )


def _serving_batch(
    r: _Replica,
    res: _LoadResult,
    one_prefill: FloatArray,
    max_batch: FloatArray,
    fits: NDArray[np.bool_],
    stable: NDArray[np.bool_],
    n_gpus: FloatArray,
    mem: dict[str, FloatArray],
) -> ServingBatch:
    """The load model's result with the replica's figures, all at the result shape."""
    full = r.full
    return ServingBatch(
        tokens_per_s=full(res.tokens_per_s),
        tokens_per_s_per_gpu=full(res.tokens_per_s / n_gpus),
        requests_per_s=full(res.requests_per_s),
        ttft_s=full(res.ttft_s),
        ttft_p50_s=full(res.ttft_p50_s),
        ttft_p99_s=full(res.ttft_p99_s),
        tpot_s=full(res.tpot_s),
        tpot_p50_s=full(res.tpot_p50_s),
        tpot_p99_s=full(res.tpot_p99_s),
        running_batch=full(res.running),
        max_batch=full(max_batch),
        fits=np.asarray(np.broadcast_to(fits, r.shape), dtype=bool),
        stable=np.asarray(stable, dtype=bool),
        prefill_s=full(one_prefill),
        decode_step_s=full(res.step_s),
        n_gpus=full(n_gpus),
        memory_bytes={k: full(v) for k, v in mem.items()},
    )


def replica_inputs(
    model: TransformerModel,
    system: System,
    input_len: ArrayLike,
    output_len: ArrayLike,
    tp: ArrayLike,
    pp: ArrayLike,
    weights: str | Sequence[str] | NDArray[Any],
    kv_cache: str | Sequence[str] | NDArray[Any] | None,
    software: Software | str | None,
    ep: ArrayLike,
    prefix_hit_rate: ArrayLike,
    loads: Sequence[ArrayLike] = (),
    chunked: bool = False,
    chunk_tokens: float = 0.0,
) -> _Replica:
    """One replica's inputs as checked arrays (``_check_serving_inputs``,
    ``check_prefix_hit_rate``) with the engine and the shape they and ``loads`` broadcast
    to: the co-located (``predict_serving``) and disaggregated (``serving_disagg``) models
    read their replicas from here, so both see the same precisions, checks and steps."""
    sw = software if isinstance(software, Software) else get_software(software)
    wb, peak = _precision_arrays(weights, system, "weights")
    kvb, _ = _precision_arrays(weights if kv_cache is None else kv_cache, system, "kv_cache")
    s_in = np.asarray(input_len, dtype=np.float64)
    s_out = np.asarray(output_len, dtype=np.float64)
    t, p, e = (np.asarray(x, dtype=np.float64) for x in (tp, pp, ep))
    _check_serving_inputs(model, s_in, s_out, t, p, e)
    hit = check_prefix_hit_rate(prefix_hit_rate)
    arrays = (s_in, s_out, t, p, e, wb, kvb, hit, *(np.asarray(x) for x in loads))
    return _Replica(
        model=model,
        system=system,
        sw=sw,
        s_in=s_in,
        s_out=s_out,
        t=t,
        p=p,
        e=e,
        wb=wb,
        kvb=kvb,
        peak=peak,
        shape=np.broadcast_shapes(*(np.shape(x) for x in arrays)),
        chunked=chunked,
        chunk_tokens=chunk_tokens,
        hit=hit,
    )


def predict_serving(
    model: TransformerModel,
    system: System,
    input_len: ArrayLike,
    output_len: ArrayLike,
    tp: ArrayLike = 1,
    pp: ArrayLike = 1,
    weights: str | Sequence[str] | NDArray[Any] = "bf16",
    kv_cache: str | Sequence[str] | NDArray[Any] | None = None,
    batch: ArrayLike | None = None,
    concurrency: ArrayLike | None = None,
    rate_per_s: ArrayLike | None = None,
    chunked_prefill: bool = False,
    chunk_tokens: float = 2048.0,
    software: Software | str | None = None,
    ep: ArrayLike = 1,
    prefix_hit_rate: ArrayLike = 0.0,
) -> ServingBatch:
    """Serving throughput and latency of one replica (tp * pp GPUs) for every configuration.

    Exactly one load: ``batch`` (static batches: all start together, the batch ends with its
    longest member), ``concurrency`` (closed loop: that many requests in flight, continuous
    batching) or ``rate_per_s`` (open Poisson arrivals, requests per second per replica).
    All array arguments broadcast together. ``ep`` > 1 (MoE models only, a multiple of
    ``tp``): expert parallel over ep GPUs per stage with ep / tp attention (DP) groups; a
    replica then has pp * ep GPUs. The closed load is solved by a damped fixed-point
    iteration, the open one by bisection (``_closed_loop``, ``_open_population``).
    ``prefix_hit_rate`` in [0, 1]: the share of each prompt found in the prefix cache, not
    prefilled again and its KV pages shared (``prefill_tokens``, ``kv_resident_tokens``).
    """
    loads = [x for x in (batch, concurrency, rate_per_s) if x is not None]
    if len(loads) != 1:
        raise InputError(
            [Problem("<input>", "load", "give exactly one of batch, concurrency, rate_per_s")]
        )
    r = replica_inputs(
        model, system, input_len, output_len, tp, pp, weights, kv_cache, software, ep,
        prefix_hit_rate, (np.asarray(loads[0]),), chunked_prefill, chunk_tokens,
    )  # fmt: skip
    mem, per_seq, max_batch = memory_per_gpu(
        model, system, r.t, r.p, r.wb, r.kvb, r.s_in + r.s_out, r.sw, r.e
    )
    mem["kv_per_sequence"] = per_seq
    fits = max_batch >= 1.0
    stable = np.ones(r.shape, dtype=bool)
    if batch is not None:
        B = r.full(batch)
        if np.any(B < 1.0):
            raise InputError([Problem("<input>", "batch", "must be >= 1")])
        fits = fits & (max_batch >= B)
        res = _static_batch(r, B)
    else:
        max_batch = _paged_cap(
            model, system, r.t, r.p, r.wb, r.kvb, r.s_in, r.s_out, r.sw, r.e, max_batch, r.hit
        )
        cap = np.maximum(r.full(max_batch), 1.0)
        res, stable = _continuous_batching(r, cap, concurrency, rate_per_s)
    one_prefill = prefill_time(
        model, system, r.new_in, prefill_context(r.s_in, r.hit), r.t, r.p, r.wb, r.peak, 1.0,
        r.sw, ep=r.e,
    )  # fmt: skip
    n_gpus = gpus_per_replica(r.t, r.p, r.e)
    return _serving_batch(r, res, one_prefill, max_batch, fits, stable, n_gpus, mem)
