"""Network part of the supply chain: per-GPU NICs, switches, NVLink switch chips and optics
read from the bill of materials, and their ASIC logic wafers."""

from __future__ import annotations

import pytest

from gigawatt.errors import InputError
from gigawatt.supply.needs import bom_for, unit_needs, with_fields
from gigawatt.supply.network import network_parts
from gigawatt.supply.sampling import Sampler


def test_network_parts_per_gpu_nvl72(catalog) -> None:
    net = network_parts(bom_for("gb200", catalog), catalog, fabric_gpus=100_000)
    per = net.per_gpu
    assert per["scale_up_switch_chips"] == pytest.approx(18 / 72)  # 9 trays x 2 chips
    assert per["nics"] == 1.5
    # 100,000 NIC ports exceed the 65,536 a 3-level tree of 64-port switches serves
    assert net.line.fabric_tiers == 4
    assert per["scale_out_switches"] == pytest.approx(
        per["leaf_switches"] + per["spine_switches"] + per["core_switches"]
    )
    assert per["optics"] == pytest.approx(8.0)  # 2 transceivers x 4 tiers
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
