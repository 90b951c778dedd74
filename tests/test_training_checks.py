"""Generalisation checks: whole published tables the model's constants were not set on
(tests/data/checks/). Every Megatron-Bridge pre-training row of the performance-summary
archive for Llama 3 8B/70B, Llama 3.1 405B, DeepSeek-V3 and Qwen3 30B-A3B / 235B-A22B
(releases 25.09 to 26.08, H100 / B200 / B300 / GB200 / GB300, NVFP4 rows left out), and the
NeMo Framework 25.02-25.07 summary tables that could be read (B200, GB200, one H100 row), and
the Megatron-Core r0.8 weak-scaling table of the Megatron-LM README (GPT 1.7B-462B on 48 to
6,144 H100, 2024) and the NVIDIA DGX Cloud LLM Benchmarking Collection v24.11.1 (NeMo 24.09 on
8 to 2,304 H100: Llama 3.1 8B/70B/405B, Nemotron-4 15B/340B, GPT-3 175B, Grok-1 314B, BF16 and
FP8) and its v25.05.01 (NeMo 25.04 on GB200 and H100: Llama 3.1 405B, Nemotron-4 15B/340B,
Grok-1 314B, DeepSeek-V3); the last three were added after the constants were last set.

What they show, and the bounds below hold with a small margin:
- dense Megatron-Bridge rows: median 5.5 %, 87 % within 12 %;
- MoE Megatron-Bridge rows: median 9.3 %, 56 % within 12 %. The same recipe on the same
  system runs up to 1.6x faster from one release to the next (Qwen3 30B-A3B on 8 GB200:
  26.04 -> 26.06), as fused grouped-expert kernels, CUDA graphs and new dispatchers arrive;
  the model has one set of MoE constants per family, not per release;
- NeMo 25.02-25.07 rows: median 11.2 %, 55 % within 12 %: early-2025 Blackwell software ran
  10-25 % below what the Blackwell constants (set on 2025-11 to 2026 releases) give;
- Megatron-Core r0.8 rows: median 3.0 %, 8 of 9 within 12 %; the 32B model at TP8 with one
  micro-batch per replica is 14 % slow (tensor-parallel and data-parallel traffic the
  README's --tp-comm-overlap / --overlap-grad-reduce hide better than the family's shares);
- DGX Cloud v24.11.1 rows: median 9.7 %, 62 % within 12 %. GPT-3 175B (BF16 and FP8), Llama
  3.1 70B FP8 and Nemotron-4 15B FP8 are within 5 %; the BF16 Llama 3.1 and Nemotron-4 rows
  are 10-17 % slow: they reach 52-55 % MFU (causal attention counted), where NeMo 24.07, the
  Megatron-Core r0.8 README and Llama 3 publish 38-48 % for the same GPUs and the model sits
  between. Grok-1's FP8 rows are 7-15 % fast while its BF16 rows are 5-10 % slow: its measured
  FP8 gain is 1.24x against the model's 1.5x, as if its expert GEMMs had stayed in BF16
  (Megatron-Core's grouped expert GEMMs could not run FP8 before 0.10, 2024-12);
- DGX Cloud v25.05.01 rows: median 15 %, 32 % within 12 %. H100 rows are within 11 % but one
  (Grok-1 BF16, +35 %); GB200 Llama 3.1 405B and Nemotron-4 340B are 13-21 % fast and
  DeepSeek-V3 on GB200 65 % fast (the published runs reach ~10 % MFU): the early-2025
  Blackwell software again, as in the NeMo 25.02-25.04 tables.
Every row is predicted: no published run is called infeasible.
"""

from __future__ import annotations

import statistics
from pathlib import Path

import pytest

from gigawatt.validate.runner import validate_file

CHECKS = Path(__file__).parent / "data" / "checks"
WITHIN = 0.12
# file: (median |error| bound, share within 12 % bound)
BOUNDS = {
    "training_megatron_bridge_archive.csv": (0.065, 0.85),
    "training_megatron_bridge_archive_moe.csv": (0.11, 0.50),
    "training_nemo25.csv": (0.13, 0.45),
    "training_megatron_core_2024.csv": (0.045, 0.85),
    "training_dgxc_2411.csv": (0.11, 0.55),
    "training_dgxc_2505.csv": (0.17, 0.28),
}


@pytest.mark.parametrize("name", sorted(BOUNDS))
def test_check_tables_are_predicted_within_their_bounds(name: str) -> None:
    report = validate_file(CHECKS / name)
    assert report.rows
    assert [(r.id, r.error) for r in report.rows if r.error is not None] == []
    errors = [abs(r.predicted / r.measured - 1.0) for r in report.rows]
    median_bound, within_bound = BOUNDS[name]
    assert statistics.median(errors) <= median_bound
    assert sum(e <= WITHIN for e in errors) / len(errors) >= within_bound
