"""Serving model: invariants (hypothesis), golden published numbers, clear errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gigawatt.errors import InputError
from gigawatt.perf import get_system
from gigawatt.perf.serving import (
    get_software,
    kv_bytes_per_token,
    memory_per_gpu,
    predict_serving,
    software_for_source,
)
from gigawatt.validate import validate_file
from gigawatt.workload import get_model

L70 = get_model("llama3-70b")
H100 = get_system("h100-sxm")
H200 = get_system("h200")


def test_serving_reference_meets_target(reference_dir: Path) -> None:
    report = validate_file(reference_dir / "serving.csv")
    assert report.kind == "serving"
    assert all(r.error is None for r in report.rows), [r.error for r in report.rows]
    assert report.median_abs_error is not None and report.median_abs_error <= 0.10
    assert report.max_abs_error is not None and report.max_abs_error <= 0.25


# Published measurements not in the shared reference file (golden tests). NVIDIA NIM for
# Llama-3.3-70B-Instruct 1.8.0 on 2 x H100 SXM, FP8, TP2, 5,000 input / 500 output tokens
# (docs.nvidia.com/nim/benchmarking/llm/1.0.0/performance, 2025): TTFT ms, ITL ms, tokens/s.
NIM_5000_500 = {
    1: (406.77, 18.58, 51.67),
    5: (546.7, 21.83, 218.48),
    25: (688.69, 38.75, 623.4),
    50: (834.51, 59.73, 814.37),
}


@pytest.mark.parametrize("concurrency", sorted(NIM_5000_500))
def test_nim_llama70b_h100_closed_loop(concurrency: int) -> None:
    ttft_ms, itl_ms, tps = NIM_5000_500[concurrency]
    r = predict_serving(
        L70,
        H100,
        5000,
        500,
        tp=2,
        weights="fp8",
        kv_cache="fp8",
        concurrency=concurrency,
        chunked_prefill=True,
    )
    assert float(r.tokens_per_s) == pytest.approx(tps, rel=0.20)
    assert float(r.tpot_s) * 1e3 == pytest.approx(itl_ms, rel=0.20)
    assert float(r.ttft_s) * 1e3 == pytest.approx(ttft_ms, rel=0.30)


def test_kv_bytes_mha_gqa_mla() -> None:
    assert float(kv_bytes_per_token(get_model("llama2-7b"), 2.0)) == 32 * 2 * 4096 * 2
    assert float(kv_bytes_per_token(L70, 1.0)) == 80 * 2 * 8 * 128
    ds = get_model("deepseek-v3")
    assert float(kv_bytes_per_token(ds, 2.0)) == 61 * (512 + 64) * 2


@settings(max_examples=25, deadline=None)
@given(
    tp=st.sampled_from([1, 2, 4, 8]),
    pp=st.sampled_from([1, 2, 4]),
    kv=st.sampled_from(["bf16", "fp8", "int4"]),
    s=st.integers(16, 32768),
)
def test_kv_bytes_conserve_across_gpus(tp: int, pp: int, kv: str, s: int) -> None:
    """The KV pool held by all GPUs of a replica is the model's KV bytes (times the
    replication when TP exceeds the KV heads), rounded up to whole pages."""
    sw = get_software()
    b = {"bf16": 2.0, "fp8": 1.0, "int4": 0.5}[kv]
    _, per_seq, _ = memory_per_gpu(L70, H200, tp, pp, 1.0, b, s, sw)
    pages = np.ceil(s / sw.block_tokens) * sw.block_tokens
    replication = max(tp / L70.kv_heads, 1.0)
    total = float(per_seq) * tp * pp
    assert total == pytest.approx(float(kv_bytes_per_token(L70, b)) * pages * replication)


@settings(max_examples=20, deadline=None)
@given(c=st.integers(1, 200), s_in=st.integers(64, 4096), s_out=st.integers(16, 2048))
def test_more_concurrency_more_throughput_and_latency(c: int, s_in: int, s_out: int) -> None:
    r = predict_serving(L70, H200, s_in, s_out, tp=4, weights="fp8", concurrency=[c, c + 8])
    assert np.all(np.isfinite(r.tokens_per_s)) and np.all(r.tokens_per_s > 0)
    assert r.tokens_per_s[1] >= r.tokens_per_s[0] * (1 - 1e-9)
    assert r.tpot_s[1] >= r.tpot_s[0] * (1 - 1e-9)
    assert r.ttft_s[1] >= r.ttft_s[0] * (1 - 1e-9)


@settings(max_examples=20, deadline=None)
@given(b=st.integers(1, 64), s_in=st.integers(16, 4096), s_out=st.integers(2, 2048))
def test_longer_output_takes_longer(b: int, s_in: int, s_out: int) -> None:
    r = predict_serving(L70, H200, s_in, [s_out, s_out + 64], tp=8, weights="fp8", batch=b)
    total = r.ttft_s + (np.array([s_out, s_out + 64]) - 1) * r.tpot_s
    assert total[1] > total[0]
    assert np.all(r.ttft_p99_s >= r.ttft_p50_s - 1e-12)


def test_decode_is_bandwidth_bound_at_batch_1_and_quantisation_helps() -> None:
    r = predict_serving(L70, H200, 128, 128, tp=8, weights=["bf16", "fp8", "int4"], batch=1)
    assert r.tpot_s[0] > r.tpot_s[1] > r.tpot_s[2]
    weights_per_gpu = L70.params() * 2 / 8
    floor = weights_per_gpu / H200.memory_bandwidth_bps
    assert floor < r.tpot_s[0] < 3 * floor


def test_engine_is_read_from_the_citation() -> None:
    assert software_for_source("TensorRT-LLM v0.5.0 docs").id == "trtllm-0.5"
    assert software_for_source("vLLM blog 2024").id == "vllm"
    assert software_for_source("unknown paper").id == get_software().id


def test_open_rate_beyond_capacity_is_flagged_unstable() -> None:
    r = predict_serving(L70, H200, 1000, 200, tp=8, weights="fp8", rate_per_s=[0.5, 1e4])
    assert bool(r.stable[0]) and not bool(r.stable[1])
    assert r.ttft_p99_s[0] >= r.ttft_s[0]


def test_clear_errors() -> None:
    with pytest.raises(InputError, match="weights"):
        predict_serving(L70, H200, 128, 128, weights="fp4", batch=1)
    with pytest.raises(InputError, match="exactly one"):
        predict_serving(L70, H200, 128, 128, batch=1, concurrency=2)
    with pytest.raises(InputError, match="input_len"):
        predict_serving(L70, H200, 0, 128, batch=1)
    r = predict_serving(get_model("llama3-405b"), H100, 128, 128, tp=1, batch=1)
    assert not bool(r.fits)


def test_expert_parallel_checks_and_conserves_weights() -> None:
    from gigawatt.perf.serving import weight_bytes_per_gpu

    mix = get_model("mixtral-8x7b")
    for tp, ep in ((1, 8), (2, 8), (8, 8)):
        per_gpu = weight_bytes_per_gpu(mix, tp, 1, 2.0, ep)
        experts = mix.moe_layers * mix.moe_experts * mix.expert_params() * 2.0
        rest = (mix.params() * 2.0 - experts) / tp * ep  # TP-split, replicated per DP group
        assert float(per_gpu) * ep == pytest.approx(experts + rest, rel=1e-9)
    with pytest.raises(InputError, match="no experts"):
        predict_serving(L70, H100, 100, 100, tp=2, ep=4, concurrency=4)
    with pytest.raises(InputError, match="multiple of tp"):
        predict_serving(mix, H100, 100, 100, tp=4, ep=6, concurrency=4)
