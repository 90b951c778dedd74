"""The published serving set (tests/data/serving_published.csv), 240 rows from independent
sources: static-batch peak throughput and batch-1 first-token latency of TensorRT-LLM v0.6.1
and v0.9.0 (H100, H200, A100; dense, GQA and MoE, 6B-180B, FP8 and FP16), in-flight max
throughput of TensorRT-LLM 1.0 (Llama 3 8B-405B, FP8), MLPerf Inference v4.1 Llama 2 70B
Offline throughput and Server TTFT/TPOT (TensorRT-LLM on H100/H200 from five submitters,
vLLM 0.4.3 on MI300X from AMD and Dell, 1-32 GPUs), and vLLM static batches and offline
throughput of Llama 3.1 405B FP8 on 8 MI300X (Oracle, 2024-10), and in-flight batching of
the TensorRT-LLM C++ executor: the v0.17 max-throughput table (Llama 3.1 8B-405B, Mistral 7B,
Mixtral 8x7B/8x22B; H100, H200 FP8 and A100 FP16; TP1-TP8) and the v0.14.0 online-serving
table (Triton, BF16; TTFT, inter-token latency and throughput). Each row names its release,
table and conversion.

Measured with the engine-version constants, the replica search, paged-KV occupancy and mixed
in-flight batching: all 196 rows predicted, median |error| 8.8 %, 89.8 % within the row's
tolerance (MLPerf rows 4.7 % / 81 %, Oracle vLLM rows 12.3 % / 100 %). Before them 195
predicted, 9.8 % / 80 %, worst +14,700 % (MLPerf Server TTFT). The bounds leave a little
room above the figures.

The 44 v0.17 / v0.14.0 rows, added later and first predicted with the default in-flight engine
entry, were 13.5 % / 82 % (Llama 3.1 70B FP8 on one 80 GB H100 -62 % and -69 %: a PyTorch
training reserve left it no KV cache; Mixtral a median +21 %). With the release's own entry
(C++ executor reserve, its benchmark KV share, MoE plugin GEMM share): 7.5 % / 93 %; the
whole set 240 rows, 8.5 % / 90.4 %.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from gigawatt.validate import validate_file
from gigawatt.validate.core import ValidationReport

DATA = Path(__file__).parent / "data" / "serving_published.csv"


@pytest.fixture(scope="module")
def report() -> ValidationReport:
    return validate_file(DATA)


def test_set_is_broad_and_sourced() -> None:
    with DATA.open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) >= 190
    assert all(r["source"].strip() for r in rows)
    sources = {r["source"].split(" ")[0] for r in rows}  # NVIDIA, MLPerf, Oracle
    assert len(sources) >= 3, sources
    releases = {r["source"].split(" docs/")[0] for r in rows}
    assert len(releases) >= 3, releases
    assert {r["metric"] for r in rows} >= {"output_tokens_per_s", "ttft_s"}
    assert any(r["moe_experts"] not in ("", "0") for r in rows)
    assert {r["gpu"] for r in rows} >= {"a100-sxm-80gb", "h100-sxm", "h200", "mi300x"}
    assert {r["metric"] for r in rows} >= {"output_tokens_per_s", "ttft_s", "tpot_s"}


def test_median_and_within_tolerance(report: ValidationReport) -> None:
    predicted = [r for r in report.rows if r.signed_error is not None]
    assert len(predicted) == len(report.rows)  # no false "does not fit"
    median = report.median_abs_error
    assert median is not None and median <= 0.10, median
    within = sum(bool(r.within) for r in predicted) / len(predicted)
    assert within >= 0.85, within


def test_moe_static_large_batch_not_overpredicted(report: ValidationReport) -> None:
    """Mixtral at static batches of 512-1,024 on Hopper was over-predicted up to 3.2x before
    the engine's MoE kernel efficiency was represented."""
    static = ("trt09", "trt061")
    rows = [r for r in report.rows if r.id.startswith(static) and "mixtral" in r.id]
    rows = [r for r in rows if "ttft" not in r.id]
    errors = [r.signed_error for r in rows if r.signed_error is not None]
    assert len(errors) == 12
    assert max(errors) <= 0.30, dict(zip([r.id for r in rows], errors, strict=False))


def test_new_sources_within_bounds(report: ValidationReport) -> None:
    """MLPerf v4.1 and the Oracle vLLM rows were 52 % / 30 % off (median) before the replica
    search, paged-KV occupancy and engine-version GEMM shares."""
    for prefix, bound in (("mlperf41", 0.08), ("oci", 0.15)):
        errors = sorted(
            abs(r.signed_error)
            for r in report.rows
            if r.id.startswith(prefix) and r.signed_error is not None
        )
        assert errors and errors[len(errors) // 2] <= bound, (prefix, errors)


def _rows(report: ValidationReport, prefixes: tuple[str, ...], part: str = "") -> list[float]:
    return [
        r.signed_error
        for r in report.rows
        if r.id.startswith(prefixes) and part in r.id and r.signed_error is not None
    ]


def test_cpp_executor_releases_within_bounds(report: ValidationReport) -> None:
    """TensorRT-LLM 0.10-0.18 in-flight rows (v0.17 throughput, v0.14.0 online serving) were
    13.5 % / 82 % within tolerance under the default in-flight entry; 7.5 % / 93 % now."""
    rows = [r for r in report.rows if r.id.startswith(("trt017", "trt014"))]
    assert len(rows) == 44
    errors = [abs(r.signed_error) for r in rows if r.signed_error is not None]
    assert len(errors) == len(rows)
    assert sorted(errors)[len(errors) // 2] <= 0.09, errors
    assert sum(bool(r.within) for r in rows) / len(rows) >= 0.9


def test_cpp_executor_moe_not_overpredicted(report: ValidationReport) -> None:
    """Mixtral 8x7B / 8x22B under the 0.10-0.18 MoE plugin sat a median +21 % high (worst
    +51 %) before its expert-GEMM share; now a median 7 %, none above +35 %."""
    errors = _rows(report, ("trt017",), "mixtral")
    assert len(errors) == 15
    assert sorted(abs(e) for e in errors)[len(errors) // 2] <= 0.10, errors
    assert max(errors) <= 0.35, errors


def test_70b_on_one_80gb_gpu_has_kv_room(report: ValidationReport) -> None:
    """Llama 3.1 70B FP8 on one 80 GB H100 (70.6 GB of weights) was predicted 62-69 % slow:
    the engine's reserve left ~1.6 GB of KV cache; with the C++ executor's reserve every
    one-GPU 70B row is within 25 %."""
    errors = _rows(report, ("trt017",), "llama3170b-tp1")
    assert len(errors) == 3
    assert max(abs(e) for e in errors) <= 0.25, errors
