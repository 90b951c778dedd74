"""Supply: dies per wafer, yields, wafers per accelerator, forward/reverse estimates."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from gigawatt.catalog import Quantity
from gigawatt.cli import app
from gigawatt.errors import CatalogError, InputError
from gigawatt.supply.estimate import equipped_by, wafers_for
from gigawatt.supply.geometry import gross_dies_per_wafer, packages_per_wafer
from gigawatt.supply.needs import bom_for, unit_needs, with_fields
from gigawatt.supply.sampling import Sampler
from gigawatt.supply.yields import die_yield, stack_yield

MM2 = 1e-6
CM2 = 1e-4


# --- dies per wafer --------------------------------------------------------------------------
def test_hennessy_patterson_dies_per_wafer_examples() -> None:
    # Hennessy & Patterson, Computer Architecture 5th ed. §1.6: 300 mm wafer, 1.5 cm and
    # 1.0 cm square dies -> 270 and 640 dies per wafer (no edge exclusion).
    dies = gross_dies_per_wafer(np.array([2.25, 1.0]) * CM2, 0.300, 0.0, 0.0)
    assert np.floor(dies).tolist() == [269.0, 640.0] or np.round(dies).tolist() == [270.0, 640.0]


def test_formula_agrees_with_exact_grid_count_for_small_dies() -> None:
    for area_mm2 in (50.0, 100.0, 200.0):
        formula = gross_dies_per_wafer(area_mm2 * MM2, 0.3, 0.003)
        grid = gross_dies_per_wafer(area_mm2 * MM2, 0.3, 0.003, model="grid")
        assert abs(formula[()] / grid[()] - 1) < 0.05


def test_reticle_die_count_is_in_the_published_range() -> None:
    # GH100 (814 mm2): ~60-65 gross dies per 300 mm wafer in public die-per-wafer calculators.
    dies = gross_dies_per_wafer(814 * MM2, 0.3, 0.003, 0.0001)
    assert 57 <= float(dies) <= 66


@pytest.mark.parametrize(("accelerator", "reported"), [("h100-sxm", 29), ("b200", 16)])
def test_cowos_packages_per_wafer_match_reported(catalog, accelerator: str, reported: int) -> None:
    # Taiwanese supply-chain reports (2024-03): ~29 H100/H200 and ~16 B200 per CoWoS wafer.
    bom = bom_for(accelerator, catalog)
    edge = catalog.get("fab", str(bom["package"])).q("edge_exclusion").get()
    ppw = packages_per_wafer(
        bom.q("interposer_area").get(), bom.q("interposer_aspect").get(), 0.3, edge
    )
    assert abs(float(ppw) / reported - 1) < 0.12


def test_die_larger_than_wafer_is_a_clear_error() -> None:
    with pytest.raises(InputError, match="does not fit"):
        gross_dies_per_wafer(0.08, 0.3, 0.003)
    with pytest.raises(InputError, match="die_area"):
        gross_dies_per_wafer(-1.0)


@settings(max_examples=60, deadline=None)
@given(st.floats(1.0, 5000.0), st.floats(1.0, 5000.0))
def test_bigger_dies_never_give_more_dies(a: float, b: float) -> None:
    small, big = sorted((a, b))
    d = gross_dies_per_wafer(np.array([small, big]) * MM2)
    assert d[0] >= d[1] >= 0


# --- yields ------------------------------------------------------------------------------------
def test_hennessy_patterson_yield_examples() -> None:
    # H&P 5th ed. §1.6: 0.031 defects/cm2, N = 13.5 -> 0.40 (2.25 cm2) and 0.66 (1.0 cm2).
    y = die_yield(np.array([2.25, 1.0]) * CM2, 0.031 / CM2, "bose_einstein", n_layers=13.5)
    assert np.allclose(y, [0.40, 0.66], atol=0.01)


@settings(max_examples=80, deadline=None)
@given(st.floats(0.0, 5.0), st.floats(0.3, 20.0))
def test_yield_models_are_ordered_and_bounded(lam: float, alpha: float) -> None:
    area = 1.0 * CM2
    d0 = lam / area
    p = die_yield(area, d0, "poisson")
    m = die_yield(area, d0, "murphy")
    nb = die_yield(area, d0, "negative_binomial", alpha)
    for y in (p, m, nb):
        assert 0.0 <= float(y) <= 1.0
    assert float(p) <= float(m) + 1e-12  # Murphy's spread of densities helps
    assert float(p) <= float(nb) + 1e-12  # clustering helps


def test_negative_binomial_tends_to_poisson() -> None:
    y_nb = die_yield(1 * CM2, 0.5 / CM2, "negative_binomial", 1e7)
    assert float(y_nb) == pytest.approx(float(die_yield(1 * CM2, 0.5 / CM2, "poisson")), rel=1e-5)


def test_bad_yields_and_models_are_clear_errors() -> None:
    with pytest.raises(InputError, match="between 0 and 1"):
        stack_yield(8, 1.2)
    with pytest.raises(InputError, match="between 0 and 1"):
        stack_yield(8, 0.99, -0.1)
    with pytest.raises(InputError, match="allowed"):
        die_yield(1e-4, 1e3, "gauss")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="defect_density"):
        die_yield(1e-4, -1.0)


# --- wafers per accelerator --------------------------------------------------------------------
def test_conservation_bits_shipped_never_exceed_bits_started_times_yields(catalog) -> None:
    for acc in ("h100-sxm", "h200", "gb200", "b300", "mi300x", "mi355x"):
        needs = unit_needs(bom_for(acc, catalog), catalog, Sampler(500, seed=3))
        assert np.all(needs.hbm_bits <= needs.hbm_bits_started * needs.hbm_yield_chain * (1 + 1e-9))
        assert np.all(needs.hbm_yield_chain > 0) and np.all(needs.hbm_yield_chain <= 1)
        # and the chain is tight: nothing is lost beyond the modelled yields
        assert np.allclose(needs.hbm_bits, needs.hbm_bits_started * needs.hbm_yield_chain)


def test_hbm_uses_two_to_three_times_the_wafers_per_bit_of_ddr5(catalog) -> None:
    # TrendForce (2024-03): 35-45 % larger dies, 20-30 % lower yield -> ~1.7-2.1x before base
    # dies; Micron (2024 earnings calls): HBM3E takes ~3x the wafers of DDR5 per bit.
    needs = unit_needs(bom_for("h200", catalog), catalog, Sampler(0))
    hbm_per_bit = needs.hbm_dram_wafers / needs.hbm_bits
    ddr_per_bit = needs.ddr_dram_wafers / needs.host_bits
    ratio = float(hbm_per_bit[0] / ddr_per_bit[0])
    assert 1.7 < ratio < 3.3


@settings(max_examples=25, deadline=None)
@given(st.sampled_from([8, 12, 16]), st.sampled_from([8, 12, 16]), st.integers(1, 12))
def test_more_dies_per_stack_never_means_fewer_wafers(
    catalog, h1: int, h2: int, stacks: int
) -> None:
    lo, hi = sorted((h1, h2))
    base = bom_for("b300", catalog)
    out = []
    for h in (lo, hi):
        bom = with_fields(
            base,
            stack_height=Quantity(float(h), "1", "test", unit="1"),
            hbm_stacks=Quantity(float(stacks), "1", "test", unit="1"),
        )
        out.append(float(unit_needs(bom, catalog, Sampler(0)).hbm_dram_wafers[0]))
    assert out[1] >= out[0] > 0


def test_hbm4_base_dies_go_to_logic_wafers(catalog) -> None:
    bom = with_fields(
        bom_for("b300", catalog),
        hbm_product="hbm4-mfg",
        hbm_die_density=Quantity(32e9 / 8, "B", "JEDEC JESD270-4", unit="Gbit"),
    )
    needs = unit_needs(bom, catalog, Sampler(0))
    base = [s for s in needs.streams if s.category == "hbm_base"]
    assert {s.node for s in base} == {"samsung-sf4", "logic-n12", "dram-1b"}
    assert any(s.constraints == ("logic:logic-n12",) for s in base)
    hbm3e = unit_needs(bom_for("b300", catalog), catalog, Sampler(0))
    assert needs.logic_wafers[0] > hbm3e.logic_wafers[0]


def test_unknown_figures_and_negative_counts_are_clear_errors(catalog) -> None:
    with pytest.raises(CatalogError, match="mach-1-bom"):
        wafers_for("mach-1", 10, samples=0)
    with pytest.raises(InputError, match="count"):
        wafers_for("gb200", -1)
    with pytest.raises(InputError, match="bill of materials"):
        wafers_for("tpu-v7", 1)
    with pytest.raises(InputError, match="per_month"):
        equipped_by(-5.0)


def test_forward_is_linear_and_seeded(catalog) -> None:
    a = wafers_for("gb200", 1e6, samples=2000, seed=7)
    b = wafers_for("gb200", 2e6, samples=2000, seed=7)
    assert b.hbm_dram_wafers.likely == pytest.approx(2 * a.hbm_dram_wafers.likely)
    assert a.hbm_dram_wafers.low < a.hbm_dram_wafers.likely < a.hbm_dram_wafers.high
    assert wafers_for("gb200", 1e6, samples=2000, seed=7) == a


def test_forward_and_reverse_are_consistent() -> None:
    fwd = wafers_for("gb200", 1e6, samples=0)
    rev = equipped_by(fwd.hbm_dram_wafers.likely / 12, "hbm3e", "gb200", samples=0)
    assert rev.accelerators_per_year.likely == pytest.approx(1e6, rel=1e-9)
    assert rev.memory_gb_per_year.likely == pytest.approx(192e6, rel=1e-9)


def test_cli_forward_json_shape_and_reverse() -> None:
    runner = CliRunner()
    res = runner.invoke(
        app,
        ["wafers", "--accelerator", "gb200", "--count", "1000000", "--samples", "500", "--json"],
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert set(data) == {
        "hbm_dram_wafers",
        "ddr_dram_wafers",
        "logic_wafers",
        "cowos_wafers",
        "assumptions",
    }
    for key in ("hbm_dram_wafers", "ddr_dram_wafers", "logic_wafers", "cowos_wafers"):
        assert set(data[key]) == {"low", "likely", "high"}
        assert 0 < data[key]["low"] <= data[key]["likely"] <= data[key]["high"]
    res = runner.invoke(
        app, ["wafers", "--per-month", "900000", "--product", "hbm3e", "--samples", "500", "--json"]
    )
    assert res.exit_code == 0, res.output
    rev = json.loads(res.stdout)
    assert rev["accelerators_per_year"]["likely"] > 1e7
    res = runner.invoke(app, ["wafers", "--accelerator", "gb200", "--count", "-3"])
    assert res.exit_code == 2 and "count" in res.output


# --- over time -----------------------------------------------------------------------------------
def _schedule(n: float):  # type: ignore[no-untyped-def]
    import pandas as pd

    return pd.DataFrame(
        {
            "quarter": ["2026Q1", "2026Q2", "2026Q3", "2026Q4"],
            "accelerator": ["gb200"] * 4,
            "count": [n, n, n, n],
        }
    )


def test_plan_supply_lead_times_conservation_and_claim() -> None:
    from gigawatt.supply.schedule import SupplySection, plan_supply

    sec = SupplySection(samples=0, claim_wafers_per_month=900_000)  # a stated claim
    res = plan_supply(_schedule(250_000.0), sec)
    q = res["supply_quarterly"]
    # wafers start more than two quarters before the first deployment
    first = q.index[q["hbm_dram_wafers_per_month"] > 0][0]
    assert q.loc[first, "quarter"] <= "2025Q3"
    # all HBM wafers over time = forward estimate for the whole schedule
    total = (q["hbm_dram_wafers_per_month"] * 3).sum()
    fwd = wafers_for("gb200", 1e6, samples=0).hbm_dram_wafers.likely
    assert total == pytest.approx(fwd, rel=1e-9)
    claim = res["claim"]
    assert claim.ratio.likely == pytest.approx(900_000 / claim.peak_dram_wafers_per_month.likely)
    assert len(claim.assumptions_to_close_gap) >= 3


def test_capacity_binds_and_delays_deliveries() -> None:
    from gigawatt.supply.schedule import SupplySection, plan_supply

    sec = SupplySection(samples=200, seed=1, capacity_share={"cowos": 0.05, "hbm_tsv": 0.5})
    res = plan_supply(_schedule(2_000_000.0), sec)
    q, d = res["supply_quarterly"], res["supply_deliveries"]
    assert (q["shortfall_wafers_per_month"] > 0).any()
    assert "cowos" in set(q["binding_constraint"])
    assert (d["accelerators_deliverable"] <= d["accelerators_requested"] + 1e-6).all()
    assert (d["cumulative_deliverable"] <= d["cumulative_requested"] + 1e-6).all()
    assert d["backlog"].iloc[-1] > 0


def test_schedule_errors_are_clear() -> None:
    from gigawatt.supply.schedule import plan_supply

    with pytest.raises(InputError, match="2026Q3"):
        plan_supply([{"quarter": "2026-7", "accelerator": "gb200", "count": 1}])
    with pytest.raises(InputError, match="count"):
        plan_supply([{"quarter": "2026Q1", "accelerator": "gb200", "count": -1}])


@settings(max_examples=40, deadline=None)
@given(
    rows=st.integers(1, 4),
    n=st.integers(2, 300),
    seed=st.integers(0, 10_000),
    ties=st.booleans(),
)
def test_row_percentiles_equal_numpy(rows: int, n: int, seed: int, ties: bool) -> None:
    from gigawatt.supply.estimate import row_percentiles

    rng = np.random.default_rng(seed)
    x = rng.integers(0, 5, (rows, n)).astype(float) if ties else rng.random((rows, n))
    q = (5.0, 50.0, 95.0)
    assert np.array_equal(row_percentiles(x, q), np.percentile(x, q, axis=1))


def test_unique_columns_equal_numpy() -> None:
    from gigawatt.supply.geometry import _unique_columns

    rng = np.random.default_rng(3)
    keys = np.stack(
        [rng.integers(0, 50, 2000), np.full(2000, 7), rng.integers(100, 103, 2000)]
    ).astype(np.int64)
    uniq, inverse = _unique_columns(keys)
    ref, ref_inv = np.unique(keys, axis=1, return_inverse=True)
    assert np.array_equal(uniq, ref)
    assert np.array_equal(inverse, np.asarray(ref_inv).ravel())
    assert np.array_equal(uniq[:, inverse], keys)


def test_claim_summary_plain_numbers_and_text() -> None:
    from gigawatt.supply.schedule import SupplySection, claim_summary, plan_supply

    sec = SupplySection(samples=300, seed=2, claim_wafers_per_month=900_000)
    res = plan_supply(_schedule(250_000.0), sec)
    out = claim_summary(res)
    json.dumps(out)  # plain floats, dicts and strings only
    peak, ratio = out["dram_wafers_per_month_peak"], out["dram_wafers_claim_ratio"]
    assert 0 < peak["low"] <= peak["likely"] <= peak["high"]
    assert ratio["likely"] == pytest.approx(900_000 / peak["likely"])
    assert ratio["low"] == pytest.approx(900_000 / peak["high"])
    assert f"{ratio['likely']:.1f}x" in out["text"] and "900,000" in out["text"]
    assert out["hbm_wafers_per_month_peak"]["likely"] <= peak["likely"]
    # from the quarterly table alone (e.g. read back from the results store)
    alone = claim_summary({"supply_quarterly": res["supply_quarterly"]})
    assert alone["dram_wafers_per_month_peak"]["likely"] == pytest.approx(peak["likely"], rel=0.05)
    with pytest.raises(InputError, match="supply"):
        claim_summary({})
