"""Network part of the BOM: fat-tree switches by tier, optics, NICs, NVLink switch chips and
their ASIC logic wafers; consistency with gigawatt.fleet's network sizing."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gigawatt.demand import TrainingRun
from gigawatt.errors import InputError
from gigawatt.fleet import plan_fleet
from gigawatt.supply.needs import bom_for, unit_needs, with_fields
from gigawatt.supply.network import fat_tree, network_parts
from gigawatt.supply.sampling import Sampler


def test_dgx_superpod_two_tier_switch_count() -> None:
    # NVIDIA DGX SuperPOD (H100) reference architecture (2023): 4 SUs = 1,024 GPUs on
    # 64-port QM9700 switches: 32 leaf + 16 spine switches in the compute fabric.
    tree = fat_tree(1024, 64)
    assert (tree.tiers, tree.leaf, tree.spine, tree.core) == (2, 32, 16, 0)
    assert tree.optics == 2 * 1024 * 2


@pytest.mark.parametrize("n", [16, 48, 512, 2048, 40_000, 100_000])
def test_consistent_with_fleet_sizing(catalog, n: int) -> None:
    radix = int(catalog.get("fleet_assumptions", "fabric").q("switch_radix").get())
    row = plan_fleet(training_runs=[TrainingRun(name="t", accelerator="h100-sxm", n_gpus=n)])
    row = row.iloc[0]
    tree = fat_tree(n, radix)
    assert tree.tiers == row["fabric_tiers"]
    assert tree.optics == row["optics"]
    assert tree.switches == row["switches"]  # the fleet sizes its fabric with fat_tree
    if tree.tiers == 2:
        assert tree.spine == -(-n // radix)  # a non-blocking 2-tier tree needs n / radix spines


@settings(max_examples=60, deadline=None)
@given(a=st.integers(1, 300_000), b=st.integers(1, 300_000), radix=st.sampled_from([64, 128, 144]))
def test_more_endpoints_never_fewer_switches_or_optics(a: int, b: int, radix: int) -> None:
    lo, hi = sorted((a, b))
    t_lo, t_hi = fat_tree(lo, radix), fat_tree(hi, radix)
    assert t_lo.switches <= t_hi.switches and t_lo.optics <= t_hi.optics
    assert min(t_hi.leaf, t_hi.spine, t_hi.core) >= 0
    # every endpoint has a leaf port; every tier has a port per endpoint
    assert t_hi.leaf * radix / 2 >= hi or t_hi.tiers == 1


def test_network_parts_per_gpu_nvl72(catalog) -> None:
    net = network_parts(bom_for("gb200", catalog), catalog, fabric_gpus=100_000)
    per = net.per_gpu
    assert per["scale_up_switch_chips"] == pytest.approx(18 / 72)  # 9 trays x 2 chips
    assert per["compute_nics"] == 1 and per["nics"] == 1.5
    assert net.tree is not None and net.tree.tiers == 3
    assert per["scale_out_switches"] == pytest.approx(
        per["leaf_switches"] + per["spine_switches"] + per["core_switches"]
    )
    assert per["optics"] == pytest.approx(6.0)  # 2 transceivers x 3 tiers
    with pytest.raises(InputError, match="fabric_gpus"):
        network_parts(bom_for("gb200", catalog), catalog, fabric_gpus=0)


def test_network_asics_are_logic_wafers_apart_from_the_gpu(catalog) -> None:
    bom = bom_for("gb200", catalog)
    needs = unit_needs(bom, catalog, Sampler(0))
    net = needs.network_wafers[0]
    assert 0 < net < needs.logic_wafers[0]
    assert {s.product for s in needs.streams if s.category == "network"} == {
        "connectx-7",
        "nvlink5-switch",
        "quantum2-qm9700",
    }
    # more NICs per GPU never means fewer network wafers; GPU logic wafers unchanged
    more = with_fields(bom, nics=bom.q("nics").__class__(3.0, "1", "what-if", unit="1"))
    needs2 = unit_needs(more, catalog, Sampler(0))
    assert needs2.network_wafers[0] > net
    assert needs2.logic_wafers[0] == pytest.approx(needs.logic_wafers[0])


def test_next_generation_boms_and_vendor_dram_capacity(catalog) -> None:
    from gigawatt.supply.estimate import wafers_for
    from gigawatt.supply.schedule import SupplySection, plan_supply

    gb300 = wafers_for("gb300", 1000, samples=0)
    gb200 = wafers_for("gb200", 1000, samples=0)
    # 12-high stacks: 1.5x the HBM bits of GB200, so more HBM wafers
    assert gb300.hbm_dram_wafers.likely > 1.3 * gb200.hbm_dram_wafers.likely
    rubin = wafers_for("vr200", 1000, samples=0)
    assert rubin.assumptions["hbm_product"] == "hbm4"
    assert not catalog.accelerator("vr200").q("bf16_dense").known  # unpublished stays unknown
    # per-vendor DRAM capacity sums to the industry figure (end-2024) within its range
    vendors = sum(
        e["wpm"]["y2024"].get()
        for e in catalog.kind("capacity").values()
        if e.get("constraint") == "dram_vendor"
    )
    lo, _, hi = catalog.get("capacity", "dram-industry")["wpm"]["y2024"].range
    assert lo <= vendors <= hi * 1.05
    sched = [{"quarter": "2027Q1", "accelerator": "vr200", "count": 200_000}]
    q = plan_supply(sched, SupplySection(samples=0))["supply_quarterly"]
    assert {"util_dram:samsung", "util_dram:sk-hynix", "util_dram:micron"} <= set(q.columns)
