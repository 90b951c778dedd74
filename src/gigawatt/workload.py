"""Model architectures (the "application" of NVIDIA Calculon's split) and their arithmetic.

A ``TransformerModel`` holds the shape of a dense or MoE decoder-only transformer: GQA/MHA/MLA
attention, GELU (2 matrices) or SwiGLU (3 matrices) feed-forward, untied or tied embeddings.
Parameter counts and FLOPs per token follow Narayanan et al. 2021 ("Efficient Large-Scale
Language Model Training on GPU Clusters Using Megatron-LM", appendix) generalised to GQA,
SwiGLU and MoE, and DeepSeek-AI 2024 (arXiv:2412.19437) for MLA.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any, Literal

from gigawatt.catalog import Catalog, Entry, load_catalog
from gigawatt.errors import CatalogError, Problem

Ffn = Literal["gelu", "swiglu"]
Attention = Literal["mha", "gqa", "mla"]


@dataclass(frozen=True)
class MLA:
    """Multi-head latent attention dimensions (DeepSeek-V2/V3)."""

    q_lora_rank: int
    kv_lora_rank: int
    qk_nope_head_dim: int
    qk_rope_head_dim: int
    v_head_dim: int


@dataclass(frozen=True)
class TransformerModel:
    """Shape of a decoder-only transformer. Counts are integers; no units.

    ``d_ff`` is the hidden size of one dense FFN; for MoE models ``moe_d_ff`` is one expert's
    hidden size, ``moe_dense_layers`` leading layers are dense with ``d_ff``.
    """

    name: str
    n_layers: int
    d_model: int
    n_heads: int
    vocab_size: int
    seq_len: int = 2048
    n_kv_heads: int | None = None
    d_ff: int | None = None
    ffn: Ffn = "gelu"
    tied_embeddings: bool = False
    dropout: bool | None = None
    moe_experts: int = 0
    moe_top_k: int = 0
    moe_d_ff: int | None = None
    moe_shared_experts: int = 0
    moe_dense_layers: int = 0
    mla: MLA | None = None
    source: str = ""
    # per-head width when it is not d_model / n_heads (Qwen3: 32 heads of 128 on d_model 2048)
    d_head: int | None = None
    # multi-token-prediction modules trained beside the main head (DeepSeek-V3: 1); each is
    # one more transformer block, a 2h -> h projection and one more head-and-loss pass
    mtp_layers: int = 0

    def __post_init__(self) -> None:
        problems = self.problems()
        if problems:
            raise CatalogError([Problem(self.name, f, m) for f, m in problems])

    def problems(self) -> list[tuple[str, str]]:
        """(field, message) for every out-of-range field."""
        out: list[tuple[str, str]] = []
        for name in ("n_layers", "d_model", "n_heads", "vocab_size", "seq_len"):
            if int(getattr(self, name)) < 1:
                out.append((name, f"must be an integer >= 1, got {getattr(self, name)}"))
        if not 0 <= self.mtp_layers <= self.n_layers:
            out.append(("mtp_layers", f"must be in 0..n_layers={self.n_layers}"))
        if self.d_head is not None and self.d_head < 1:
            out.append(("d_head", f"must be an integer >= 1, got {self.d_head}"))
        if self.d_head is None and self.n_heads >= 1 and self.d_model % self.n_heads:
            out.append(("n_heads", f"must divide d_model={self.d_model}"))
        kv = self.kv_heads
        if kv < 1 or (self.n_heads >= 1 and self.n_heads % kv):
            out.append(("n_kv_heads", f"must be >= 1 and divide n_heads={self.n_heads}"))
        if self.ffn not in ("gelu", "swiglu"):
            out.append(("ffn", f"must be 'gelu' or 'swiglu', got {self.ffn!r}"))
        if self.moe_experts:
            if not 1 <= self.moe_top_k <= self.moe_experts:
                out.append(("moe_top_k", f"must be in 1..moe_experts={self.moe_experts}"))
            if not 0 <= self.moe_dense_layers < self.n_layers:
                out.append(("moe_dense_layers", f"must be in 0..{self.n_layers - 1}"))
        return out

    # ---- derived shape -------------------------------------------------------------------
    @property
    def kv_heads(self) -> int:
        return self.n_kv_heads if self.n_kv_heads is not None else self.n_heads

    @property
    def head_dim(self) -> int:
        return self.d_head if self.d_head is not None else self.d_model // self.n_heads

    @property
    def ffn_hidden(self) -> int:
        return self.d_ff if self.d_ff is not None else 4 * self.d_model

    @property
    def expert_hidden(self) -> int:
        return self.moe_d_ff if self.moe_d_ff is not None else self.ffn_hidden

    @property
    def is_moe(self) -> bool:
        return self.moe_experts > 0

    @property
    def moe_layers(self) -> int:
        return self.n_layers - self.moe_dense_layers if self.is_moe else 0

    @property
    def attention(self) -> Attention:
        if self.mla is not None:
            return "mla"
        return "mha" if self.kv_heads == self.n_heads else "gqa"

    @property
    def has_dropout(self) -> bool:
        """Legacy GPT/Megatron models train with dropout; modern SwiGLU models do not."""
        return self.dropout if self.dropout is not None else self.ffn == "gelu"

    @property
    def ffn_matrices(self) -> int:
        return 3 if self.ffn == "swiglu" else 2

    # ---- attention widths (per token, all heads) -----------------------------------------
    @property
    def q_width(self) -> int:
        """Width of Q (and of the attention output before the output projection)."""
        if self.mla is not None:
            return self.n_heads * (self.mla.qk_nope_head_dim + self.mla.qk_rope_head_dim)
        return self.n_heads * self.head_dim

    @property
    def v_width(self) -> int:
        if self.mla is not None:
            return self.n_heads * self.mla.v_head_dim
        return self.n_heads * self.head_dim

    @property
    def kv_width(self) -> int:
        """Width of K plus V per token as stored in a KV cache (MLA: the compressed latent)."""
        if self.mla is not None:
            return self.mla.kv_lora_rank + self.mla.qk_rope_head_dim
        return 2 * self.kv_heads * self.head_dim

    # ---- parameters ------------------------------------------------------------------------
    def attention_params(self) -> int:
        h = self.d_model
        if self.mla is not None:
            m = self.mla
            q = h * m.q_lora_rank + m.q_lora_rank * self.q_width
            kv = h * (m.kv_lora_rank + m.qk_rope_head_dim)
            kv += m.kv_lora_rank * self.n_heads * (m.qk_nope_head_dim + m.v_head_dim)
            return q + kv + self.v_width * h
        kv = 2 * self.kv_heads * self.head_dim
        return h * (self.q_width + kv) + self.v_width * h

    def dense_ffn_params(self) -> int:
        return self.ffn_matrices * self.d_model * self.ffn_hidden

    def expert_params(self) -> int:
        """Parameters of one expert's FFN."""
        return self.ffn_matrices * self.d_model * self.expert_hidden

    def moe_layer_ffn_params(self) -> int:
        """FFN parameters of one MoE layer: all routed and shared experts plus the router."""
        experts = (self.moe_experts + self.moe_shared_experts) * self.expert_params()
        return experts + self.d_model * self.moe_experts

    def embedding_params(self) -> int:
        n = self.vocab_size * self.d_model
        return n if self.tied_embeddings else 2 * n

    def params(self) -> int:
        """Total parameters (norms neglected: < 0.01 %)."""
        attn = self.n_layers * self.attention_params()
        dense = (self.n_layers - self.moe_layers) * self.dense_ffn_params()
        moe = self.moe_layers * self.moe_layer_ffn_params()
        return attn + dense + moe + self.embedding_params()

    def active_params(self) -> int:
        """Parameters touched per token (MoE: top-k routed plus shared experts)."""
        if not self.is_moe:
            return self.params()
        per_layer = (self.moe_top_k + self.moe_shared_experts) * self.expert_params()
        moe = self.moe_layers * (per_layer + self.d_model * self.moe_experts)
        attn = self.n_layers * self.attention_params()
        dense = (self.n_layers - self.moe_layers) * self.dense_ffn_params()
        return attn + dense + moe + self.embedding_params()

    # ---- FLOPs -----------------------------------------------------------------------------
    def forward_flops_per_token(self, seq_len: int | None = None, causal: bool = False) -> float:
        """Forward-pass matmul FLOPs per token (2 per multiply-add), incl. attention scores.

        Attention scores and the weighted sum cost 2*s*(q_width + v_width) per token when the
        full s x s matrix is computed; ``causal=True`` halves it (only the lower triangle).
        Narayanan 2021 eq. (3) counts the full matrix; PaLM (Chowdhery 2022, app. B) does too.
        """
        s = self.seq_len if seq_len is None else seq_len
        h = self.d_model
        attn_proj = 2 * self.attention_params()
        scores = 2 * s * (self.q_width + self.v_width) * (0.5 if causal else 1.0)
        dense_ffn = 2 * self.dense_ffn_params()
        moe_ffn = 2 * (self.moe_top_k + self.moe_shared_experts) * self.expert_params()
        moe_ffn += 2 * h * self.moe_experts  # router
        dense_layers = self.n_layers - self.moe_layers
        per_layers = self.n_layers * (attn_proj + scores) + dense_layers * dense_ffn
        per_layers += self.moe_layers * moe_ffn
        logits = 2 * h * self.vocab_size
        return float(per_layers + logits)

    def model_flops_per_token(self, seq_len: int | None = None, causal: bool = False) -> float:
        """Training FLOPs per token for MFU: forward plus backward (2x forward)."""
        return 3.0 * self.forward_flops_per_token(seq_len, causal)

    def with_(self, **changes: Any) -> TransformerModel:
        return replace(self, **changes)

    def __str__(self) -> str:
        kind = f"MoE {self.moe_experts}x top-{self.moe_top_k}" if self.is_moe else "dense"
        return (
            f"{self.name}: {self.params() / 1e9:.1f}B params ({kind}), {self.n_layers} layers, "
            f"d_model {self.d_model}, {self.n_heads}/{self.kv_heads} heads, {self.ffn}, "
            f"vocab {self.vocab_size}, seq {self.seq_len}"
        )


_FIELD_NAMES = {f.name for f in fields(TransformerModel)}


def model_from_mapping(data: dict[str, Any], name: str = "inline") -> TransformerModel:
    """Build a model from a catalog-style mapping (nested ``moe:``/``mla:`` blocks allowed)."""
    flat: dict[str, Any] = {k: v for k, v in data.items() if k in _FIELD_NAMES}
    flat.setdefault("name", str(data.get("name", name)))
    moe = data.get("moe")
    if isinstance(moe, dict):
        flat["moe_experts"] = int(moe.get("experts", 0))
        flat["moe_top_k"] = int(moe.get("top_k", 0))
        if moe.get("d_ff_expert") is not None:
            flat["moe_d_ff"] = int(moe["d_ff_expert"])
        flat["moe_shared_experts"] = int(moe.get("shared_experts", 0) or 0)
        flat["moe_dense_layers"] = int(moe.get("dense_layers", 0) or 0)
        if moe.get("dense_d_ff") is not None:
            flat["d_ff"] = int(moe["dense_d_ff"])
    mla = data.get("mla")
    if isinstance(mla, dict):
        flat["mla"] = MLA(**{k: int(v) for k, v in mla.items()})
    if "source" in data and isinstance(data["source"], str):
        flat["source"] = data["source"]
    return TransformerModel(**flat)


def model_from_entry(entry: Entry) -> TransformerModel:
    data = {k: v for k, v in entry.fields.items()}
    data.setdefault("name", entry.id)
    return model_from_mapping(data, entry.id)


def get_model(model_id: str, catalog: Catalog | None = None) -> TransformerModel:
    """The catalog model ``model_id`` (e.g. ``"llama3-405b"``)."""
    cat = catalog or load_catalog()
    return model_from_entry(cat.model(model_id))
