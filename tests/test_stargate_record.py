"""The shipped scenarios agree with the public record (2025-26 reporting; docs/stargate_review.md).

Each bound below is a published figure, not the model's own output:
- OpenAI (2025-09-23): Stargate is a "10-gigawatt commitment" of power capacity; J. Huang to
  CNBC (2025-09-22): 10 GW is 4-5 million GPUs.
- OpenAI / NVIDIA LOI (2025-09-22): the first gigawatt on Vera Rubin in H2-2026; NVIDIA
  (C. Kress, Q3 FY2026 call, 2025-11-19): GB300 is two thirds of Blackwell revenue and Rubin
  only "on track to ramp in the second half of 2026", so GB300 still ships in H2-2026.
- Vantage (2025-08-20): Shackelford's 1.4 GW is power capacity, first building 2026-H2;
  DTE (2025): 1.4 GW supply for Saline; TDLR: Milam phase 1 completion 2026-10-15.
- Crusoe / Bloomberg (2025): Abilene has eight buildings of up to ~50,000 GB200, ~400,000 in all,
  on 1.2 GW of power, with closed-loop (no evaporation) cooling.
- J. Huang (NVIDIA earnings call 2025-08-27): USD 50-60 B per GW all-in; Bernstein (2025-10):
  ~USD 35 B per GW for GB200 systems; the review holds the plan to USD 40-60 B per GW.
- Micron (2025-03-20): HBM3E takes ~3x the silicon of DDR5 per bit, more with HBM4.
- MSIT (2026-05-11): Korea's national AI computing centre breaks ground in 2026-Q3, 15,000 AI
  chips by 2028.
- Samsung Heavy Industries (2026-04-24): 50 MW floating data centre with on-board power.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gigawatt.catalog import load_catalog
from gigawatt.plan import Plan, plan
from gigawatt.scenario import load_scenario
from gigawatt.supply.needs import bom_for, unit_needs
from gigawatt.supply.sampling import Sampler
from gigawatt.supply.schedule import quarter_index

ROOT = Path(__file__).resolve().parents[1]
STARGATE = ROOT / "scenarios" / "stargate.yaml"
KOREA = ROOT / "scenarios" / "korea-national-ai-centre.yaml"
GW = 1e9


@pytest.fixture(scope="module")
def stargate() -> Plan:
    return plan(load_scenario(STARGATE))


def test_programme_facility_power_is_the_reported_ten_gigawatts(stargate: Plan) -> None:
    h = stargate.to_dict()
    assert 9.5 * GW <= h["facility_power_w"] <= 10.5 * GW
    assert h["it_power_w"] < h["facility_power_w"]
    # Huang: 10 GW is 4-5 M GPUs
    assert 3.0e6 <= h["accelerators"]["total"] <= 5.0e6


def test_roadmap_moves_to_vera_rubin_from_h2_2026() -> None:
    sc = load_scenario(STARGATE)
    assert sc.supply is not None
    rows = [(quarter_index(r.quarter), r.accelerator) for r in sc.supply.schedule]
    first_vr = min(q for q, a in rows if a == "vr200")
    assert first_vr == quarter_index("2026Q3")
    assert all(q < first_vr for q, a in rows if a == "gb200")
    # Blackwell Ultra is the volume product until Rubin ramps: GB300 in H2-2026, not after
    gb300 = [q for q, a in rows if a == "gb300"]
    assert gb300 and max(gb300) <= quarter_index("2026Q4")
    assert any(q >= quarter_index("2026Q3") for q in gb300)


def test_no_accelerator_arrives_before_its_building_and_power(stargate: Plan) -> None:
    # Vantage: Shackelford's first building 2026-H2; TDLR: Milam phase 1 2026-10; Doña Ana
    # on its gas microgrids; Saline completion 2027-Q4: deliveries follow the buildings
    ready = stargate.tables["site_readiness"]
    assert float(ready["shortfall_it_w"].sum()) == 0.0
    assert not [n for n in stargate.notes if "runs ahead of the facility" in n]
    assert not stargate.to_dict().get("first_constraint")


def test_announced_power_capacity_is_sized_through_the_site_pue(stargate: Plan) -> None:
    sc = load_scenario(STARGATE)
    assert sc.facility is not None
    basis = {s.site: s.capacity_basis for s in sc.facility.sites}
    # the US campuses are announced by their power; Abilene is sized by its 400k GB200
    for site in ("shackelford-tx", "milam-tx", "dona-ana-nm", "lordstown-oh", "saline-mi"):
        assert basis[site] == "facility"
    assert basis["abilene"] == "it"
    sites = stargate.tables["sites"].set_index("site")
    for site, row in sites.iterrows():
        stated = float(row["capacity_stated_w"])
        if basis[str(site)] == "facility":
            assert float(row["it_w"]) < stated
            assert float(row["facility_w_peak"]) == pytest.approx(stated, rel=1e-6)
        else:
            assert float(row["it_w"]) == stated
    # DTE's 1.4 GW supply at Saline carries ~1.2 GW of IT (sites.yaml note: PUE ~1.15)
    assert 1.1 * GW <= float(sites.loc["saline-mi", "it_w"]) <= 1.3 * GW


def test_programme_fits_the_headline_budget(stargate: Plan) -> None:
    # OpenAI (2025-01-21): "intends to invest USD 500 billion over the next four years" for
    # the 10 GW programme; OpenAI (2025-10-30): over 8 GW for more than USD 450 B
    h = stargate.to_dict()
    assert h["capex_usd"]["likely"] <= 500e9 and h["within_budget"] is True


def test_abilene_holds_about_400k_gb200_on_eight_buildings(stargate: Plan) -> None:
    sc = load_scenario(STARGATE)
    assert sc.supply is not None and sc.facility is not None
    gb200 = sum(r.count for r in sc.supply.schedule if r.accelerator == "gb200")
    assert gb200 == 400_000
    site = next(s for s in sc.facility.sites if s.site == "abilene")
    assert site.module_mw is not None and round(site.it_mw / site.module_mw) == 8
    row = stargate.tables["sites"].set_index("site").loc["abilene"]
    # its 1.2 GW is power capacity: the IT of 400k GB200 and its facility draw sit below it
    assert float(row["it_w"]) < float(row["facility_w_peak"]) <= 1.2 * GW


def test_abilene_cooling_uses_no_evaporated_water(stargate: Plan) -> None:
    row = stargate.tables["sites"].set_index("site").loc["abilene"]
    assert str(row["cooling"]) == "liquid-dry"
    assert float(row["water_consumed_m3"]) == 0.0


def test_capex_per_facility_gigawatt_is_in_the_quoted_range(stargate: Plan) -> None:
    h = stargate.to_dict()
    per_gw = h["capex_usd"]["likely"] / (h["facility_power_w"] / GW)
    assert 40e9 <= per_gw <= 60e9


def test_hbm_takes_about_three_times_the_wafers_per_bit_of_ddr5() -> None:
    cat = load_catalog()

    def ratio(acc: str) -> float:
        n = unit_needs(bom_for(acc, cat), cat, Sampler(0))
        return float((n.hbm_dram_wafers / n.hbm_bits)[0] / (n.ddr_dram_wafers / n.host_bits)[0])

    hbm3e = ratio("h200")  # HBM3E stacks against the same server's DDR5
    assert 2.7 <= hbm3e <= 3.3
    assert ratio("vr200") >= hbm3e  # Micron: the trade ratio rises with HBM4


def test_korea_centre_receives_chips_only_once_its_building_is_ready() -> None:
    result = plan(load_scenario(KOREA))
    ready = result.tables["site_readiness"]
    assert float(ready["shortfall_it_w"].sum()) == 0.0
    sc = load_scenario(KOREA)
    assert sc.supply is not None
    assert min(quarter_index(r.quarter) for r in sc.supply.schedule) >= quarter_index("2028Q1")


def test_floating_site_is_built_of_50_mw_hulls_on_fuel_cells(stargate: Plan) -> None:
    hulls = stargate.tables["site_buildout"].query("site == 'korea-floating'")
    assert len(hulls) >= 2 and (hulls["it_w"] <= 50e6 + 1).all()
    sources = set(stargate.tables["power_sources"].query("site == 'korea-floating'")["source"])
    assert "fuel-cell-sofc" in sources


def test_abilene_is_energised_from_the_grid_in_2025(stargate: Plan) -> None:
    # Crusoe (DCD 2025-03): phase 1 (two buildings) energised in H1 2025 on the grid
    # connection; the on-site gas plant came later
    modules = stargate.tables["site_buildout"].query("site == 'abilene'")
    assert float(modules["energised_year"].min()) < 2026.0
    assert float(modules["ready_year"].min()) < 2026.0
    ready = stargate.tables["site_readiness"].query("site == 'abilene'")
    assert float(ready["shortfall_it_w"].sum()) == 0.0
    first = stargate.to_dict().get("first_constraint") or {}
    assert "abilene" not in str(first)


def test_on_site_generation_is_priced_exactly_once(stargate: Plan) -> None:
    capex = stargate.tables["capex"]
    power = stargate.tables["power_sources"]
    sites = stargate.tables["sites"].set_index("site")
    alloc = stargate.tables["allocation"].groupby("site")["it_w"].sum()
    for site in ("abilene", "dona-ana-nm", "korea-floating"):
        share = float(alloc[site]) / float(sites.loc[site, "it_w"])
        for p in power[(power["site"] == site) & (power["source"] != "grid")].itertuples():
            bought = capex[(capex["site"] == site) & (capex["item"] == p.price_item)]
            assert float(bought["quantity"].sum()) == pytest.approx(p.installed_w * share)
    # islanded on its gas microgrids: no grid connection is bought
    assert capex.query("site == 'dona-ana-nm' and item == 'grid-connection'").empty
    onsite = capex[(capex["category"] == "power") & (capex["item"] != "grid-connection")]
    h = stargate.to_dict()
    assert h["capex_onsite_generation_usd"]["likely"] == pytest.approx(onsite["capex_usd"].sum())
    # the review's estimate: ~USD 0.6 B per GW of facility power, small beside USD 40-60 B
    per_gw = h["capex_onsite_generation_usd"]["likely"] / (h["facility_power_w"] / GW)
    assert 0.3e9 <= per_gw <= 1.5e9
