from __future__ import annotations

from pathlib import Path

import pytest

from gigawatt.catalog import Quantity, load_catalog
from gigawatt.errors import CatalogError

ACCELERATORS = [
    "a100-sxm-80gb",
    "h100-sxm",
    "h200",
    "b200",
    "gb200",
    "b300",
    "mi300x",
    "mi325x",
    "mi355x",
    "tpu-v5p",
    "tpu-v6e",
    "tpu-v7",
    "trainium2",
    "mach-1",
]
MODELS = [
    "gpt3-175b",
    "megatron-22b",
    "megatron-530b",
    "megatron-1t",
    "llama3-8b",
    "llama3-70b",
    "llama3-405b",
    "llama2-7b",
    "llama2-70b",
    "mixtral-8x7b",
    "mixtral-8x22b",
    "deepseek-v3",
]


def test_required_ids_present(catalog) -> None:
    assert set(ACCELERATORS) <= set(catalog.kind("accelerators"))
    assert set(MODELS) <= set(catalog.kind("models"))
    assert {"hbm2e", "hbm3", "hbm3e", "hbm4", "ddr5", "lpddr5x"} <= set(catalog.kind("memory"))
    nets = {"nvlink3", "nvlink4", "nvlink5", "ib-hdr", "ib-ndr", "ib-xdr", "eth-400g", "eth-800g"}
    assert nets <= set(catalog.kind("networks"))


def _quantities(fields):  # type: ignore[no-untyped-def]
    for v in fields.values():
        if isinstance(v, Quantity):
            yield v
        elif isinstance(v, dict):
            yield from _quantities(v)


def test_every_number_has_a_source_and_a_consistent_range(catalog) -> None:
    count = 0
    for entry in catalog:
        for q in _quantities(entry.fields):
            count += 1
            assert q.source.strip(), entry.id
            if q.known:
                lo, mid, hi = q.range
                assert lo <= mid <= hi
    assert count > 200


def test_every_accelerator_family_has_efficiency_constants(catalog) -> None:
    for acc in catalog.kind("accelerators").values():
        catalog.efficiency(acc["family"])


def test_datasheet_golden_values(catalog) -> None:
    h100 = catalog.accelerator("h100-sxm")
    assert h100.q("memory_capacity").get() == pytest.approx(80e9)
    assert h100.q("memory_bandwidth").get() == pytest.approx(3.35e12, rel=0.01)
    assert h100.q("bf16_dense").get() == pytest.approx(989e12, rel=0.01)
    a100 = catalog.accelerator("a100-sxm-80gb")
    assert a100.q("bf16_dense").get() == pytest.approx(312e12, rel=0.01)
    assert not a100.q("fp8_dense").known
    assert catalog.accelerator("h200").q("memory_capacity").get() == pytest.approx(141e9)


def test_mach1_unknowns_are_unknown_not_invented(catalog) -> None:
    mach = catalog.accelerator("mach-1")
    assert not mach.q("bf16_dense").known
    with pytest.raises(CatalogError):
        mach.q("bf16_dense").get()


def test_bad_catalog_file_names_file_entry_and_field(tmp_path: Path) -> None:
    (tmp_path / "accelerators.yaml").write_text(
        "x1:\n  name: X\n  vendor: V\n  family: f\n"
        "  memory_capacity: {value: 80, unit: GB/s, source: s}\n"
        "  memory_bandwidth: {value: 1, unit: TB/s}\n"
        "  bf16_dense: {value: 5, unit: TFLOP/s, source: s, low: 6}\n"
        "  tdp: {value: 1, unit: W, source: s}\n"
        "  scale_up_domain: {value: 8, source: s}\n"
        "  scale_up_bandwidth: {value: 8, unit: GB/s, source: s}\n",
        encoding="utf-8",
    )
    with pytest.raises(CatalogError) as info:
        load_catalog(tmp_path)
    text = str(info.value)
    assert "accelerators.yaml: x1.memory_capacity" in text and "needs B" in text
    assert "x1.memory_bandwidth" in text and "source" in text
    assert "x1.bf16_dense" in text and "low <= value <= high" in text


def test_unknown_id_lists_known_ids(catalog) -> None:
    with pytest.raises(CatalogError, match="known ids"):
        catalog.accelerator("h900")


@pytest.mark.parametrize("acc", [a for a in ACCELERATORS if a != "mach-1"])
def test_every_published_accelerator_can_be_modelled(acc: str) -> None:
    from gigawatt.perf import get_system

    system = get_system(acc)
    assert system.peak("bf16") > 1e14 and system.memory_bytes > 1e10
    assert system.scale_up_latency_s > 0 and system.scale_out_latency_s > 0


def test_mach1_cannot_be_modelled_for_training_and_says_why() -> None:
    from gigawatt.perf import get_system

    with pytest.raises(CatalogError, match=r"mach-1\.memory_capacity: unknown"):
        get_system("mach-1")
