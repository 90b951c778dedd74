"""Golden test: published training step times NOT in the shared reference file
(tests/data/training_published.csv: Narayanan 2021 Table 1, Llama 3 Table 4, NeMo 24.07 and
Megatron-Bridge 25.11/26.02 performance summaries, MosaicML llm-foundry MPT benchmarks), predicted
with the catalog's one set of constants per family; blank execution fields are chosen by the
plan search.

Rows state the sharding (``zero``), attention kernel (``attention``: llm-foundry's Triton
FlashAttention) and optimizer (``optimizer``: llm-foundry's per-tensor DecoupledAdamW) their
software used. Fused attention times the softmax exponentials on the special-function units
apart from its matmuls (GB200 vs GB300); FP8 runs keep their GEMM inputs in FP8 for the weight
gradients (so the search finds the recipes' no-recompute plans); without sequence parallelism
the scatter/gather pipeline receiver all-gathers each chunk. The LM head runs at the 16-bit
rate under FP8 (no framework quantizes it) and the pipeline split gives the head's stage fewer
layers (Megatron-Core's loss-aware split and the recipes' layouts; ``pipeline_split uniform``
for Megatron-LM 2021 and NeMo 24.07, which had neither). Interleaved pipelines post their p2p
sends under the next chunk (Megatron-Core overlap_p2p_comm); Narayanan's rows state the micro-batch,
interleaving and DDP of the paper's artifact scripts. Measured with this commit's constants
(69 dense rows): median |error| 4.1 %, 93 % of rows within 12 %, worst 19 % (MPT 30B at 8k
tokens; the small FP8 models -- torchtitan Llama 3.1 8B on H200, MPT 1B/3B, NeMo GPT-3 5B --
whose FP8 gain the model over-credits; Narayanan's 76B-1T rows run 5-8 % fast). The MPT
rows carry the head counts of the yamls the benchmark submitted (3B: 20 heads, 30B: 56, both of
width 128). GB200 runs at a training clock below its datasheet boost, and the Megatron-Bridge
GB200/GB300 recipes offload activations to Grace memory instead of recomputing. The bounds below
hold the figures with a small margin so that a regression fails.

The MoE rows (tests/data/training_published_moe.csv: Qwen3 30B-A3B / 235B-A22B and DeepSeek-V3
on H100, B200, GB200) state the MoE software of their recipes (forced router balance,
``ep_overlap``, ``moe_dispatcher``). With the dispatch that crosses each remote node once, the
1F1B all-to-all overlap, the per-expert cost of grouped linear layers and the FP8 casts of each
routed copy of a token, and DeepSeek-V3's multi-token-prediction module on the last stage:
median 6.9 %, 8 of 9 within 12 %, worst 16 % (GB200 DeepSeek-V3 MXFP8). Dense and MoE together
(78 rows): median 4.5 %, 92 % within 12 %: the issue's targets (<= 5 %, >= 90 %) are the bounds.
"""

from __future__ import annotations

import csv
import statistics
from pathlib import Path

import pytest

from gigawatt.validate.runner import validate_file

DATA = Path(__file__).parent / "data" / "training_published.csv"
MOE_DATA = Path(__file__).parent / "data" / "training_published_moe.csv"
MIN_ROWS = 40
MIN_SOURCES = 4
MEDIAN_BOUND = 0.05
WITHIN = 0.12
WITHIN_SHARE_BOUND = 0.90
WORST_BOUND = 0.20
WHOLE_MEDIAN_BOUND = 0.05
WHOLE_WITHIN_SHARE_BOUND = 0.90
MOE_MEDIAN_BOUND = 0.075
MOE_WORST_BOUND = 0.17
LONG_SEQUENCE = 65536


@pytest.fixture(scope="module")
def report():  # type: ignore[no-untyped-def]
    return validate_file(DATA)


def test_the_set_is_broad_and_sourced() -> None:
    with DATA.open() as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) >= MIN_ROWS
    assert all(r["source"].strip() for r in rows)
    publishers = {r["source"].split(",")[0] for r in rows}
    assert len(publishers) >= MIN_SOURCES
    assert {r["gpu"] for r in rows} >= {"a100-sxm-80gb", "h100-sxm", "b200", "gb200"}
    assert {r["precision"] for r in rows} >= {"bf16", "fp8"}
    assert max(int(r["seq_len"]) for r in rows) >= LONG_SEQUENCE


ISSUE_GPUS = {"a100-sxm-80gb", "h100-sxm", "h200", "b200", "gb200"}
SHORT_SEQUENCE = 2048
LONGEST_SEQUENCE = 131072
MIN_LONG_ROWS = 2
FEWEST_GPUS = 8
MOST_GPUS = 16384


def test_the_set_spans_the_range_the_issue_asks_for() -> None:
    """Dense and MoE rows together: every accelerator generation the issue names, BF16 and FP8,
    2k to 128k tokens (at least two rows at 64k or more) and 8 to 16k GPUs."""
    rows: list[dict[str, str]] = []
    for path in (DATA, MOE_DATA):
        with path.open() as fh:
            rows += list(csv.DictReader(fh))
    assert {r["gpu"] for r in rows} >= ISSUE_GPUS
    assert {r["precision"] for r in rows} >= {"bf16", "fp8"}
    assert any(int(r["moe_experts"] or 0) > 0 for r in rows)
    assert any(int(r["moe_experts"] or 0) == 0 for r in rows)
    seq = [int(r["seq_len"]) for r in rows]
    assert min(seq) <= SHORT_SEQUENCE and max(seq) >= LONGEST_SEQUENCE
    assert sum(s >= LONG_SEQUENCE for s in seq) >= MIN_LONG_ROWS
    gpus = [int(r["n_gpus"]) for r in rows]
    assert min(gpus) <= FEWEST_GPUS and max(gpus) >= MOST_GPUS


def test_the_moe_set_is_predicted() -> None:
    """MoE rows: every one predicted, the median within the target."""
    with MOE_DATA.open() as fh:
        rows = list(csv.DictReader(fh))
    assert rows and all(r["source"].strip() and int(r["moe_experts"]) > 0 for r in rows)
    moe = validate_file(MOE_DATA)
    assert [(r.id, r.error) for r in moe.rows if r.error is not None] == []
    errors = [abs(r.predicted / r.measured - 1.0) for r in moe.rows]
    assert statistics.median(errors) <= MOE_MEDIAN_BOUND
    assert max(errors) <= MOE_WORST_BOUND
    assert sum(e <= WITHIN for e in errors) >= len(errors) - 1


def test_whole_published_set(report) -> None:  # type: ignore[no-untyped-def]
    """Dense and MoE rows together: the issue's targets are a median of 5 % (5.4 %) and 90 %
    of rows within 12 % (92 %, met)."""
    errors = [abs(r.predicted / r.measured - 1.0) for r in report.rows]
    errors += [abs(r.predicted / r.measured - 1.0) for r in validate_file(MOE_DATA).rows]
    assert statistics.median(errors) <= WHOLE_MEDIAN_BOUND
    assert sum(e <= WITHIN for e in errors) / len(errors) >= WHOLE_WITHIN_SHARE_BOUND


def test_every_published_run_is_predicted(report) -> None:  # type: ignore[no-untyped-def]
    """A configuration that really ran is never called out of memory."""
    failed = [(r.id, r.error) for r in report.rows if r.error is not None]
    assert failed == []


def test_published_step_times(report) -> None:  # type: ignore[no-untyped-def]
    errors = [abs(r.predicted / r.measured - 1.0) for r in report.rows]
    assert statistics.median(errors) <= MEDIAN_BOUND
    assert sum(e <= WITHIN for e in errors) / len(errors) >= WITHIN_SHARE_BOUND
    assert max(errors) <= WORST_BOUND
