"""The bill of materials: fat-tree sizing against published layouts, IT power against
published cluster figures, and the invariants every consumer relies on."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gigawatt.bom import build_line, cluster_bom, fabric_tiers, size_fabric
from gigawatt.errors import InputError


def test_dgx_superpod_two_tier_switch_count() -> None:
    # NVIDIA DGX SuperPOD (H100) reference architecture (2023): 4 SUs = 1,024 GPUs on
    # 64-port QM9700 switches: 32 leaf + 16 spine switches in the compute fabric.
    tree = size_fabric(1024, 64)
    assert (float(tree.tiers), float(tree.leaf_switches), float(tree.spine_switches)) == (
        2.0,
        32.0,
        16.0,
    )
    assert float(tree.core_switches) == 0.0
    assert float(tree.transceivers) == 2 * 1024 * 2


def test_al_fares_three_level_tree() -> None:
    # Al-Fares et al. (SIGCOMM 2008): a k-ary fat tree serves k^3/4 hosts with 5k^2/4
    # switches (k^2/2 edge, k^2/2 aggregation, k^2/4 core).
    k = 48
    tree = size_fabric(k**3 // 4, k)
    assert float(tree.tiers) == 3
    assert float(tree.leaf_switches) == k * k / 2
    assert float(tree.spine_switches) == k * k / 2
    assert float(tree.core_switches) == k * k / 4
    # one host more needs a fourth level
    assert float(fabric_tiers(k**3 // 4 + 1, k)) == 4


def test_tier_rule_vectorised() -> None:
    tiers = fabric_tiers([0, 1, 64, 65, 2048, 2049, 65536, 65537], 64)
    assert tiers.tolist() == [0, 1, 1, 2, 2, 3, 3, 4]


@settings(max_examples=80, deadline=None)
@given(
    a=st.integers(0, 2_000_000), b=st.integers(0, 2_000_000), radix=st.sampled_from([64, 128, 144])
)
def test_more_endpoints_never_fewer_switches_or_optics(a: int, b: int, radix: int) -> None:
    lo, hi = sorted((a, b))
    t_lo, t_hi = size_fabric(lo, radix), size_fabric(hi, radix)
    assert float(t_lo.switches) <= float(t_hi.switches)
    assert float(t_lo.transceivers) <= float(t_hi.transceivers)
    # the tree is big enough: L levels of radix k serve 2 (k/2)^L endpoints, every leaf
    # has half its ports for endpoints
    tiers = float(t_hi.tiers)
    if hi > radix:
        assert 2 * (radix / 2) ** tiers >= hi > 2 * (radix / 2) ** (tiers - 1)
        assert float(t_hi.leaf_switches) * radix / 2 >= hi


def test_vectorised_equals_one_at_a_time() -> None:
    n = np.array([0, 7, 64, 900, 70_000, 2_500_000], dtype=float)
    whole = size_fabric(n, 128)
    for i, x in enumerate(n):
        one = size_fabric(x, 128)
        assert float(one.switches) == whole.switches[i]
        assert float(one.transceivers) == whole.transceivers[i]


def test_semianalysis_100k_h100_critical_it(catalog) -> None:
    # SemiAnalysis, "100,000 H100 Clusters" (2024-06): ~150 MW of critical IT for 100k H100
    line = build_line("100k", "h100-sxm", 100_000, catalog)
    assert line.it_power_w == pytest.approx(150e6, rel=0.05)
    # the shares add up to the total, and the GPU share is the TDP
    shares = line.accelerator_w + line.host_w + line.network_w + line.storage_w
    assert shares == pytest.approx(line.it_power_w)
    assert line.accelerator_w == pytest.approx(100_000 * 700.0)


def test_dgx_h100_server_power_is_the_compute_share(catalog) -> None:
    # NVIDIA DGX H100 datasheet (2023): 10.2 kW max for 8 GPUs
    line = build_line("one", "h100-sxm", 8, catalog)
    assert line.servers == 1 and line.switches == 0  # one server needs no scale-out fabric
    assert line.accelerator_w + line.host_w == pytest.approx(10_200.0)


def test_nvl72_racks_and_domains(catalog) -> None:
    line = build_line("r", "gb200", 72 * 10, catalog)
    assert line.racks == 10 and line.scale_up_domains == 10 and line.servers == 180


@settings(max_examples=40, deadline=None)
@given(a=st.integers(1, 500_000), b=st.integers(1, 500_000))
def test_bigger_cluster_more_power_and_parts(catalog, a: int, b: int) -> None:
    lo, hi = sorted((a, b))
    x, y = build_line("a", "gb300", lo, catalog), build_line("b", "gb300", hi, catalog)
    for key in ("servers", "racks", "switches", "optics", "it_power_w"):
        assert getattr(x, key) <= getattr(y, key)


def test_total_is_the_sum_of_its_lines(catalog) -> None:
    lines = [
        build_line("train", "h100-sxm", 16_384, catalog, storage_bytes=1e15),
        build_line("serve", "gb200", 7_200, catalog, cxl=True),
    ]
    bom = cluster_bom(lines)
    for key in ("accelerators", "switches", "optics", "it_power_w", "storage_bytes"):
        assert bom.total[key] == pytest.approx(sum(getattr(ln, key) for ln in lines))
    assert bom.line("serve").cxl_bytes > 0 and bom.line("train").cxl_bytes == 0


@pytest.mark.parametrize("count", [-1.0, float("nan"), float("inf"), 1e20])
def test_bad_counts_are_refused(catalog, count: float) -> None:
    with pytest.raises(InputError, match="accelerators"):
        build_line("x", "h100-sxm", count, catalog)
