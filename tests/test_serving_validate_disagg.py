"""Serving rows that exercise prefix caching and prefill/decode disaggregation: the
validator's ``prefix_hit_rate``, ``prefill_replicas`` and ``decode_replicas`` columns."""

from __future__ import annotations

from pathlib import Path

from gigawatt.validate import validate_file
from gigawatt.validate.core import RowResult

HEADER = (
    "id,source,model,n_layers,d_model,n_heads,n_kv_heads,d_ff,ffn,vocab_size,weights,kv_cache,"
    "gpu,n_gpus,tp,pp,input_len,output_len,concurrency,metric,value,tolerance,"
    "prefill_replicas,decode_replicas,prefix_hit_rate"
)
LLAMA70 = "Llama 3 70B,80,8192,64,8,28672,swiglu,128256,fp8,fp8,h100-sxm"


def _rows(tmp_path: Path, *rows: str) -> list[RowResult]:
    f = tmp_path / "serving.csv"
    f.write_text(HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return validate_file(f).rows


def _row(i: str, source: str, metric: str, pools: str = ",", hit: str = "") -> str:
    return f"{i},{source},{LLAMA70},16,8,1,4000,300,64,{metric},1.0,0.25,{pools},{hit}"


def test_decode_pool_escapes_prefill_interference(tmp_path: Path) -> None:
    """Long prompts on the same 16 GPUs at the same load: decode-only replicas decode
    faster than co-located ones that stop for every new prompt (DistServe, OSDI 2024)."""
    sep, colo = _rows(
        tmp_path,
        _row("sep", "TensorRT-LLM", "tpot_s", "1,1"),
        _row("colo", "TensorRT-LLM", "tpot_s"),
    )
    assert sep.predicted is not None and colo.predicted is not None
    assert sep.predicted < colo.predicted
    assert sep.detail["replicas"] == 1.0 and colo.detail["replicas"] == 2.0


def test_prefix_hits_shorten_the_first_token(tmp_path: Path) -> None:
    cold, warm = _rows(
        tmp_path,
        _row("cold", "vLLM", "ttft_s"),
        _row("warm", "vLLM", "ttft_s", hit="0.8"),
    )
    assert warm.predicted is not None and cold.predicted is not None
    assert warm.predicted < cold.predicted


def test_an_engine_without_the_feature_is_named(tmp_path: Path) -> None:
    """Static-batch TensorRT-LLM 0.9 had neither a prefix cache nor disaggregation
    (catalog/serving_software.yaml), so such a row is an input error, not a prediction."""
    disagg, prefix = _rows(
        tmp_path,
        _row("a", "TensorRT-LLM v0.9.0", "tpot_s", "1,1"),
        _row("b", "TensorRT-LLM v0.9.0", "ttft_s", hit="0.5"),
    )
    assert disagg.predicted is None and "disaggregation" in str(disagg.error)
    assert prefix.predicted is None and "prefix_hit_rate" in str(prefix.error)
