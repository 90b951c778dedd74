"""Properties the per-block training functions expose (hypothesis over plan shapes)."""

from __future__ import annotations

import dataclasses

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from gigawatt.perf import ExecutionPlan, Plans, get_system, predict_training_batch
from gigawatt.workload import get_model

H100 = get_system("h100-sxm")
MODELS = {name: get_model(name) for name in ("llama3-70b", "mixtral-8x7b", "gpt3-175b")}

shapes = st.fixed_dictionaries(
    {
        "model": st.sampled_from(sorted(MODELS)),
        "pp": st.sampled_from([1, 2, 4, 8]),
        "dp": st.sampled_from([1, 2, 8, 32]),
        "cp": st.sampled_from([1, 2]),
        "vpp": st.sampled_from([1, 2]),
        "micro_batch": st.sampled_from([1, 2, 4]),
        "recompute": st.sampled_from(["none", "selective", "full"]),
        "sequence_parallel": st.booleans(),
        "zero": st.integers(0, 3),
        "attention": st.sampled_from(["flash", "unfused"]),
    }
)


def _batch(model: str, plans: list[ExecutionPlan]):  # type: ignore[no-untyped-def]
    return predict_training_batch(MODELS[model], H100, Plans.from_plans(plans, "flash"))


@settings(max_examples=60, deadline=None)
@given(shapes)
def test_memory_per_gpu_never_grows_with_tensor_parallel(shape: dict[str, object]) -> None:
    kw = dict(shape)
    model = str(kw.pop("model"))
    plans = [
        ExecutionPlan(tp=tp, global_batch=64 * int(kw["dp"]) * int(kw["micro_batch"]), **kw)  # type: ignore[arg-type]
        for tp in (1, 2, 4, 8)
    ]
    batch = _batch(model, plans)
    for part, values in batch.memory_bytes.items():
        v = np.broadcast_to(values, batch.step_time_s.shape)
        assert np.all(np.diff(v) <= 1e-9 * v[:-1]), part
    assert np.all(np.diff(batch.memory_total_bytes) <= 0.0)


@settings(max_examples=60, deadline=None)
@given(shapes, st.sampled_from([1, 2, 8]))
def test_larger_global_batch_never_lowers_throughput(shape: dict[str, object], tp: int) -> None:
    """More micro-batches per step amortise the pipeline bubble, the DP traffic and the
    optimizer step, so tokens per second cannot fall at a fixed plan shape."""
    kw = dict(shape)
    model = str(kw.pop("model"))
    unit = int(kw["dp"]) * int(kw["micro_batch"])
    plans = [ExecutionPlan(tp=tp, global_batch=unit * m, **kw) for m in (1, 2, 8, 64, 512)]  # type: ignore[arg-type]
    batch = _batch(model, plans)
    tokens_per_s = batch.tokens_per_step / batch.step_time_s
    assert np.all(np.diff(tokens_per_s) >= -1e-12 * tokens_per_s[:-1])


def test_fused_attention_pads_the_head_width() -> None:
    """FlashAttention-2 computes at a multiple of 32 (<= 128), the Triton kernel at the next
    power of two; widths already on the grid are unchanged."""
    import numpy as np

    from gigawatt.perf.training import padded_head_dim

    both = np.array([False, True])
    assert padded_head_dim(80.0, both).tolist() == [96.0, 128.0]
    assert padded_head_dim(128.0, both).tolist() == [128.0, 128.0]
    assert padded_head_dim(192.0, both).tolist() == [192.0, 256.0]


def test_triton_attention_is_slower_than_flash_on_hopper() -> None:
    """The same plan with the Triton kernel takes longer (lower share of peak) and the same
    memory (both keep the scores on chip)."""
    from gigawatt.perf.execution import ExecutionPlan
    from gigawatt.perf.system import get_system
    from gigawatt.perf.training import predict_training
    from gigawatt.workload import TransformerModel

    model = TransformerModel("t", 32, 4096, 32, 50368, seq_len=8192)
    system = get_system("h100-sxm")
    base = dict(dp=8, micro_batch=1, global_batch=64, zero=3, recompute="full")
    flash = predict_training(model, system, ExecutionPlan(**base, attention="flash"))
    triton = predict_training(model, system, ExecutionPlan(**base, attention="triton"))
    assert triton.step_time_s > flash.step_time_s
    assert triton.memory_total_bytes == flash.memory_total_bytes


@settings(max_examples=15, deadline=None)
@given(seq_exp=st.integers(11, 16), rate_scale=st.floats(1.1, 4.0))
def test_faster_special_function_units_speed_fused_attention_only(
    seq_exp: int, rate_scale: float
) -> None:
    """Softmax exponentials run on the special-function units (Blackwell Ultra doubles
    them): a faster unit shortens fused-attention steps, more so at longer sequences, and
    leaves unfused attention (softmax in HBM-bound kernels) unchanged."""
    from gigawatt.perf.training import predict_training
    from gigawatt.workload import TransformerModel

    model = TransformerModel("t", 16, 2048, 16, 32000, seq_len=2**seq_exp)
    slow = get_system("gb200")
    assert slow.sfu_exp_rate is not None
    fast = slow.with_(sfu_exp_rate=slow.sfu_exp_rate * rate_scale)
    base = dict(dp=8, micro_batch=1, global_batch=8, zero=1, precision="fp8")

    def step(system: object, attention: str) -> float:
        plan = ExecutionPlan(**base, attention=attention)  # type: ignore[arg-type]
        return predict_training(model, system, plan).step_time_s  # type: ignore[arg-type]

    assert step(fast, "flash") < step(slow, "flash")
    assert step(fast, "unfused") == step(slow, "unfused")


def test_exponential_share_of_attention_grows_with_sequence() -> None:
    """Per token, the exponentials grow with the sequence as the attention matmuls do, but the
    projections do not: the SFU term weighs more at 32k than at 2k tokens."""
    from gigawatt.perf.training import predict_training
    from gigawatt.workload import TransformerModel

    system = get_system("h100-sxm")
    gains = []
    for seq in (2048, 32768):
        model = TransformerModel("t", 16, 2048, 16, 32000, seq_len=seq)
        plan = ExecutionPlan(dp=8, micro_batch=1, global_batch=8, zero=1, attention="flash")
        with_sfu = predict_training(model, system, plan).step_time_s
        without = predict_training(model, system.with_(sfu_exp_rate=None), plan).step_time_s
        gains.append(with_sfu / without)
    assert 1.0 < gains[0] < gains[1]


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(sorted(MODELS)), st.sampled_from([2, 4, 8]), st.sampled_from([1, 2, 4]))
def test_scatter_gather_pays_a_gather_without_sequence_parallel(
    model: str, tp: int, vpp: int
) -> None:
    """Both layouts send 1 / tp of the activations between stages; without sequence
    parallelism the receiver also all-gathers them over the scale-up links."""
    base = dict(tp=tp, pp=4, dp=2, vpp=vpp, micro_batch=1, global_batch=64)
    plans = [ExecutionPlan(sequence_parallel=sp, **base) for sp in (False, True)]  # type: ignore[arg-type]
    p2p = _batch(model, plans).breakdown_s["pipeline_p2p"]
    assert p2p[0] > p2p[1] > 0.0


def test_per_tensor_optimizer_costs_only_optimizer_time() -> None:
    """Single-tensor AdamW kernels stream the FP32 state several times per step; the layers
    are unchanged, and the cost shrinks as the optimizer state is sharded."""
    eff = dataclasses.replace(H100.efficiency, per_tensor_optimizer=True)
    unfused = H100.with_(efficiency=eff)
    plans = Plans.from_plans(
        [ExecutionPlan(dp=8, micro_batch=2, global_batch=16, zero=z) for z in (0, 3)], "flash"
    )
    fused_b = predict_training_batch(MODELS["llama3-70b"], H100, plans)
    unfused_b = predict_training_batch(MODELS["llama3-70b"], unfused, plans)
    assert np.all(unfused_b.breakdown_s["optimizer"] > fused_b.breakdown_s["optimizer"])
    assert np.allclose(unfused_b.breakdown_s["compute"], fused_b.breakdown_s["compute"])
    assert unfused_b.breakdown_s["optimizer"][1] < unfused_b.breakdown_s["optimizer"][0]


def test_per_operator_recompute_sits_between_none_and_full() -> None:
    """torchtitan's per-op checkpointing recomputes every other matmul of a block: wk, wo and
    w3 of a Llama 3 8B block are a third of its linear FLOPs, so a plan with it is slower
    than none and faster than full recompute, and its hardware FLOPs lie in between."""
    from gigawatt.perf.training import op_recompute_gemm_share

    l8 = get_model("llama3-8b")
    share = op_recompute_gemm_share(l8)
    assert 0.3 < share < 0.4
    plans = [
        ExecutionPlan(tp=1, pp=1, dp=8, micro_batch=1, global_batch=64, recompute=r, zero=3)
        for r in ("none", "op", "full")
    ]
    batch = predict_training_batch(l8, H100, Plans.from_plans(plans, "flash"))
    none, op, full = batch.step_time_s
    assert none < op < full
    assert batch.hardware_flops_per_step[0] < batch.hardware_flops_per_step[1]
    assert batch.hardware_flops_per_step[1] < batch.hardware_flops_per_step[2]


def test_sequence_parallel_casts_its_shard_to_fp8() -> None:
    """With sequence parallelism the QKV and FC1 inputs are cast on the sequence shard and
    gathered in FP8, so an FP8 tensor-parallel layer with it spends less on element-wise
    work than without (the GEMMs are the same)."""
    l70 = MODELS["llama3-70b"]
    plans = [
        ExecutionPlan(
            tp=4,
            pp=1,
            dp=2,
            micro_batch=1,
            global_batch=16,
            precision="fp8",
            sequence_parallel=sp,
            recompute="none",
        )
        for sp in (False, True)
    ]
    from gigawatt.perf.training import elementwise_time, plan_shape

    sh = plan_shape(l70, H100, Plans.from_plans(plans, "flash"))
    zero = np.zeros_like(sh.T)
    dense, _, _ = elementwise_time(l70, sh, zero, zero)
    assert dense[1] < dense[0]
