"""Golden tests: parameter counts against the published sizes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gigawatt.errors import CatalogError
from gigawatt.workload import TransformerModel, get_model


@pytest.mark.parametrize(
    ("model_id", "published", "rel"),
    [
        ("gpt3-175b", 175e9, 0.01),
        ("megatron-22b", 22e9, 0.05),
        ("megatron-530b", 530e9, 0.02),
        ("megatron-1t", 1.0e12, 0.02),
        ("llama3-8b", 8.0e9, 0.03),
        ("llama3-70b", 70.6e9, 0.01),
        ("llama3-405b", 405e9, 0.01),
        ("llama2-7b", 6.74e9, 0.01),
        ("llama2-70b", 69e9, 0.01),
        ("mixtral-8x7b", 46.7e9, 0.01),
        ("mixtral-8x22b", 141e9, 0.01),
        ("deepseek-v3", 671e9, 0.01),
    ],
)
def test_parameter_counts_match_publications(model_id: str, published: float, rel: float) -> None:
    assert get_model(model_id).params() == pytest.approx(published, rel=rel)


def test_active_params_of_moe() -> None:
    assert get_model("mixtral-8x7b").active_params() == pytest.approx(12.9e9, rel=0.02)
    assert get_model("deepseek-v3").active_params() == pytest.approx(37e9, rel=0.03)


def test_flops_per_token_is_about_6n_for_short_context() -> None:
    m = get_model("llama3-405b")
    six_n = 6 * m.params()
    assert m.model_flops_per_token(seq_len=128) == pytest.approx(six_n, rel=0.01)
    # Narayanan 2021 eq. 3 for GPT-3: 72 B s L h^2 (1 + s/6h + V/12hL) per step of B seqs
    g = get_model("gpt3-175b")
    h, L, s, V = g.d_model, g.n_layers, g.seq_len, g.vocab_size
    expected = 72 * s * L * h**2 * (1 + s / (6 * h) + V / (12 * h * L)) / s
    assert g.model_flops_per_token() == pytest.approx(expected, rel=0.01)


@given(st.integers(128, 131072), st.integers(128, 131072))
def test_flops_grow_with_context(s1: int, s2: int) -> None:
    m = get_model("llama3-8b")
    lo, hi = sorted((s1, s2))
    assert m.forward_flops_per_token(lo) <= m.forward_flops_per_token(hi)
    assert m.forward_flops_per_token(lo, causal=True) <= m.forward_flops_per_token(lo)


def test_bad_shapes_are_rejected_with_the_field() -> None:
    with pytest.raises(CatalogError, match="n_kv_heads"):
        TransformerModel(name="x", n_layers=2, d_model=64, n_heads=8, n_kv_heads=3, vocab_size=10)
    with pytest.raises(CatalogError, match="n_layers"):
        TransformerModel(name="x", n_layers=0, d_model=64, n_heads=8, vocab_size=10)
