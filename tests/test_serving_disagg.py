"""Prefix caching and prefill/decode disaggregation in the analytic serving model and search."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gigawatt.demand import ServiceDemand
from gigawatt.errors import InputError
from gigawatt.fleet import serving_configs
from gigawatt.perf import get_system
from gigawatt.perf.serving import predict_serving
from gigawatt.perf.serving_disagg import kv_transfer_time, predict_disaggregated
from gigawatt.workload import get_model

L70 = get_model("llama3-70b")
L8 = get_model("llama3-8b")
H200 = get_system("h200")

lengths = st.tuples(st.integers(64, 8000), st.integers(16, 1000))
loads = st.sampled_from([{"concurrency": 32.0}, {"concurrency": 256.0}, {"batch": 16.0}])


@settings(max_examples=25, deadline=None)
@given(lengths, loads, st.booleans())
def test_hit_rate_zero_is_the_model_without_prefix_caching(
    lens: tuple[int, int], load: dict[str, float], chunked: bool
) -> None:
    kw = {"tp": 4, "weights": "fp8", "chunked_prefill": chunked, **load}
    base = predict_serving(L70, H200, *lens, **kw)  # type: ignore[arg-type]
    zero = predict_serving(L70, H200, *lens, prefix_hit_rate=0.0, **kw)  # type: ignore[arg-type]
    for a, b in zip(base.row(0).values(), zero.row(0).values(), strict=True):
        assert a == b


@settings(max_examples=25, deadline=None)
@given(lengths, st.sampled_from([8.0, 64.0, 512.0]), st.booleans())
def test_more_prefix_hits_lower_ttft_and_raise_throughput(
    lens: tuple[int, int], concurrency: float, chunked: bool
) -> None:
    hits = np.array([0.0, 0.25, 0.5, 0.75, 0.95])
    r = predict_serving(
        L70, H200, *lens, tp=4, weights="fp8", concurrency=concurrency,
        chunked_prefill=chunked, prefix_hit_rate=hits,
    )  # fmt: skip
    assert np.all(np.diff(r.ttft_s) <= 1e-12 * r.ttft_s[:-1]), r.ttft_s
    assert np.all(np.diff(r.tokens_per_s) >= -1e-9 * r.tokens_per_s[:-1]), r.tokens_per_s
    assert np.all(np.diff(r.max_batch) >= 0.0)  # shared prefix pages free KV memory


def test_prefix_hit_rate_bounds() -> None:
    with pytest.raises(InputError, match="prefix_hit_rate"):
        predict_serving(L8, H200, 1000, 100, concurrency=4, prefix_hit_rate=1.5)
    with pytest.raises(InputError, match="prefix_hit_rate"):
        predict_disaggregated(L8, H200, 1000, 100, concurrency=4, prefix_hit_rate=-0.1)


def test_kv_transfer_scales_with_prompt_and_is_slower_across_domains() -> None:
    inside = kv_transfer_time(L70, H200, [1000.0, 2000.0], 4, 1, 1.0, 8)
    assert inside[1] > inside[0]
    across = kv_transfer_time(L70, H200, 1000.0, 4, 1, 1.0, 16)
    assert float(across) > float(inside[0])
    # 1,000 tokens of Llama 70B FP8 KV (160 kB/token) over TP4: 40 MB per GPU, well under 10 ms
    assert float(inside[0]) < 0.01


@settings(max_examples=20, deadline=None)
@given(st.integers(2000, 16000), st.integers(50, 400), st.floats(0.5, 0.9))
def test_disaggregation_not_worse_in_tpot_under_heavy_prefill(
    s_in: int, s_out: int, prefill_busy: float
) -> None:
    """Same GPUs (two TP4 replicas vs one prefill + one decode replica), same request rate,
    where prefills keep each co-located replica busy at least half the time."""
    one = predict_serving(L70, H200, s_in, s_out, tp=4, weights="fp8", batch=1.0)
    rate = prefill_busy / float(one.prefill_s)  # per co-located replica
    co = predict_serving(
        L70, H200, s_in, s_out, tp=4, weights="fp8", rate_per_s=rate, chunked_prefill=True
    )
    dis = predict_disaggregated(L70, H200, s_in, s_out, tp=4, weights="fp8", rate_per_s=2 * rate)
    if bool(co.stable) and bool(dis.stable):
        assert float(dis.tpot_p50_s) <= float(co.tpot_p50_s)


def test_closed_loop_throughput_grows_with_concurrency_and_pools() -> None:
    c = np.array([1.0, 4.0, 16.0, 64.0, 256.0])
    r = predict_disaggregated(L70, H200, 2000, 300, tp=4, weights="fp8", concurrency=c)
    assert np.all(np.diff(r.tokens_per_s) > 0)
    assert np.all(r.n_gpus == 8)
    more = predict_disaggregated(
        L70, H200, 2000, 300, tp=4, weights="fp8", prefill_replicas=2, decode_replicas=2,
        concurrency=512.0,
    )  # fmt: skip
    assert float(more.tokens_per_s) > float(r.tokens_per_s[-1])


def test_disaggregated_inputs_are_checked() -> None:
    with pytest.raises(InputError, match="decode_replicas"):
        predict_disaggregated(L8, H200, 100, 100, decode_replicas=0, concurrency=1)
    with pytest.raises(InputError, match="output_len"):
        predict_disaggregated(L8, H200, 100, 1, concurrency=1)
    with pytest.raises(InputError, match="load"):
        predict_disaggregated(L8, H200, 100, 100)


def test_search_meets_an_slo_colocation_cannot() -> None:
    """Long prompts with a tight TPOT: co-located replicas stretch every decode step with the
    prefills; the search with disaggregation allowed finds prefill/decode units."""
    args = (L70, H200, 8000, 200, 1.5, 0.0085, ("fp8",))
    with pytest.raises(InputError, match="slo"):
        serving_configs(*args)
    df = serving_configs(*args, disaggregation="allow")
    assert (df["prefill_replicas"] > 0).all()
    best = df.iloc[0]
    assert best["gpus_per_replica"] == (best["prefill_replicas"] + best["decode_replicas"]) * (
        best["tp"] * best["pp"]
    )


def test_search_with_prefix_hits_serves_more_per_gpu() -> None:
    args = (L70, H200, 4000, 300, 2.0, 0.05, ("fp8",))
    cold = serving_configs(*args)
    warm = serving_configs(*args, prefix_hit_rate=0.8)
    assert warm["tokens_per_s_per_gpu"].iloc[0] > cold["tokens_per_s_per_gpu"].iloc[0]


def test_service_schema_defaults_and_bounds() -> None:
    base = {
        "name": "chat",
        "model": "llama3-70b",
        "daily_active_users": 1e6,
        "requests_per_user_per_day": 5,
        "input_tokens_mean": 1000,
        "output_tokens_mean": 200,
    }
    svc = ServiceDemand(**base)  # type: ignore[arg-type]
    assert svc.prefix_cache_hit_rate == 0.0 and svc.disaggregation == "off"
    with pytest.raises(ValueError):
        ServiceDemand(**base, prefix_cache_hit_rate=1.2)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        ServiceDemand(**base, disaggregation="sometimes")  # type: ignore[arg-type]


def test_published_rows_may_give_a_prefix_hit_rate(tmp_path: Path) -> None:
    from gigawatt.perf.serving import software_for_source
    from gigawatt.validate import validate_file

    src = Path(__file__).parent / "data" / "serving_published.csv"
    with src.open(newline="") as f:  # a row whose engine has a prefix cache
        rows = [
            r
            for r in csv.DictReader(f)
            if r["metric"] == "ttft_s" and software_for_source(r["source"]).prefix_caching
        ][:1]
    out = tmp_path / "serving.csv"
    with out.open("w", newline="") as f:
        w = csv.DictWriter(f, [*rows[0], "prefix_hit_rate"])
        w.writeheader()
        w.writerow({**rows[0], "id": "cold", "prefix_hit_rate": ""})
        w.writerow({**rows[0], "id": "warm", "prefix_hit_rate": "0.5"})
    cold, warm = validate_file(out).rows
    assert cold.predicted is not None and warm.predicted is not None
    assert warm.predicted < cold.predicted
