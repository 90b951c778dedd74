"""Facility stage: sites, properties, cooling models (anchors, energy balance, monotonicity,
bounds), IT load, power supply, build-out, plan section and CLI."""

from __future__ import annotations

import itertools
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import psychrolib
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from gigawatt.cli import app
from gigawatt.errors import InputError
from gigawatt.facility import (
    FacilitySection,
    ItItem,
    SupplyBlock,
    check_supply,
    cooling_ids,
    evaluate,
    expand_units,
    get_cooling,
    get_site,
    hourly_weather,
    it_load,
    plan_facilities,
    simulate,
    site_ids,
)
from gigawatt.facility import properties as props
from gigawatt.facility.buildout import PowerPhase, build_schedule, energised_years, shortfall
from gigawatt.facility.cooling import check_config
from gigawatt.facility.power import Unit, capacity_outage_table
from gigawatt.facility.sites import Weather, _site_from_entry
from gigawatt.units import YEAR_S

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


def compatible(site_id: str, cooling_id: str) -> bool:
    return get_cooling(cooling_id).heat_rejection != "once-through" or (
        get_site(site_id).water is not None
    )


PAIRS = [(s, c) for s, c in itertools.product(site_ids(), cooling_ids()) if compatible(s, c)]


# --- catalog and sites -----------------------------------------------------------------------
def test_required_sites_present_and_parse(catalog) -> None:
    ids = set(site_ids(catalog))
    assert {"abilene", "korea-floating"} <= ids
    sites = [get_site(i) for i in ids]
    countries = {s.country for s in sites}
    assert {"US", "KR", "JP", "SE", "SG"} <= countries
    assert sum(s.country == "US" and s.kind == "land" for s in sites) >= 2
    assert get_site("korea-floating").floating
    for s in sites:
        for series in (s.t_max, s.t_min, s.dew_point, s.relative_humidity, s.water):
            if series is not None:
                assert len(series.values) == 12 and series.source
        for key in ("grid_carbon_intensity", "electricity_price", "water_price"):
            assert s.quantities[key].source


def test_degf_converted_and_climate_plausible() -> None:
    ab = get_site("abilene")
    # NOAA 1991-2020: Abilene July mean max ~96 degF = 35.5 degC
    assert ab.t_max.values[6] == pytest.approx((95.9 - 32) / 1.8)
    lulea, sg = get_site("lulea"), get_site("singapore")
    assert lulea.monthly_mean_c().mean() < 5 < 25 < sg.monthly_mean_c().mean()


def test_bad_site_entries_are_clear() -> None:
    good = {"source": "x", "unit": "degC", "monthly": [10.0] * 12}
    base = {
        "kind": "land",
        "climate": {
            "dry_bulb_max": good,
            "dry_bulb_min": good,
            "relative_humidity": {"source": "x", "unit": "%", "monthly": [50] * 12},
        },
    }
    with pytest.raises(InputError, match="12 numbers"):
        _site_from_entry(
            "x",
            {**base, "climate": {**base["climate"], "dry_bulb_max": {**good, "monthly": [1, 2]}}},
        )
    with pytest.raises(InputError, match=r"-60\.0\.\.60\.0"):
        _site_from_entry(
            "x",
            {
                **base,
                "climate": {**base["climate"], "dry_bulb_max": {**good, "monthly": [99] * 12}},
            },
        )
    with pytest.raises(InputError, match="water_temperature"):
        _site_from_entry("x", {**base, "kind": "floating"})
    with pytest.raises(InputError, match="unknown site 'atlantis'"):
        get_site("atlantis")
    with pytest.raises(InputError, match="unknown cooling 'ice'"):
        get_cooling("ice")


# --- properties -------------------------------------------------------------------------------
def test_wet_bulb_matches_psychrolib() -> None:
    t = np.array([-10.0, 0.0, 12.0, 25.0, 35.0, 45.0])
    w = np.array([0.001, 0.003, 0.006, 0.012, 0.018, 0.01])
    ours = props.wet_bulb_c(t, w, props.P_ATM_PA)
    ref = [
        psychrolib.GetTWetBulbFromHumRatio(float(a), float(b), props.P_ATM_PA)
        for a, b in zip(t, w, strict=True)
    ]
    np.testing.assert_allclose(ours, ref, atol=0.03)


def test_property_tables_match_coolprop() -> None:
    import CoolProp.CoolProp as CP

    for t in (4.3, 17.9, 33.1):
        cp = CP.PropsSI("C", "T", t + 273.15, "P", 101325, "Water")
        assert float(props.water_cp_j_per_kg_k(t)) == pytest.approx(cp, rel=1e-4)
        sea = CP.PropsSI("C", "T", t + 273.15, "P", 101325, props.SEAWATER)
        assert float(props.seawater_cp_j_per_kg_k(t)) == pytest.approx(sea, rel=1e-4)
    assert float(props.saturation_pressure_pa(20.0)) == pytest.approx(2338.8, rel=1e-3)


# --- anchors -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("site", "cooling", "published"),
    [
        ("ashburn", "air-legacy", 1.56),  # Uptime Institute Global Survey 2024 average
        ("ashburn", "air-economiser", 1.10),  # Google fleet TTM PUE 2023 (Env. Report 2024)
        ("orkney-subsea", "subsea", 1.07),  # Microsoft Project Natick phase 2
        ("stockton-barge", "seawater", 1.05),  # Nautilus Data Technologies Stockton 1
    ],
)
def test_pue_anchors(site: str, cooling: str, published: float) -> None:
    assert evaluate(site, 50e6, cooling).annual["pue"] == pytest.approx(published, abs=0.03)


def test_climate_ordering() -> None:
    """Same plant: the tropics cost more than the Nordics; liquid beats legacy air."""
    pue = {s: evaluate(s, 50e6, "air-legacy").annual["pue"] for s in ("lulea", "singapore")}
    assert pue["lulea"] < pue["singapore"]
    assert (
        evaluate("abilene", 50e6, "liquid-tower").annual["pue"]
        < evaluate("abilene", 50e6, "air-legacy").annual["pue"] - 0.3
    )


# --- energy balance and bounds on every site x model ----------------------------------------
@pytest.mark.parametrize(("site", "cooling"), PAIRS)
def test_energy_balance_and_bounds(site: str, cooling: str) -> None:
    rep = evaluate(site, 30e6, cooling)
    r = rep.result
    np.testing.assert_allclose(r.heat_rejected_w, r.facility_w, rtol=1e-3)
    assert np.all(r.pue >= 1.0)
    assert np.all(r.water_consumed_kg_per_s >= 0) and np.all(r.water_withdrawn_kg_per_s >= 0)
    cfg = rep.cooling
    assert np.all(r.discharge_rise_k <= cfg.discharge_limit_rise_k + 1e-9)
    # where the air is colder than the tower's leaving air, evaporation cannot carry more
    # latent heat than the heat rejected (hotter air also gives up sensible heat)
    latent = r.water_evaporated_kg_per_s * props.water_latent_heat_j_per_kg(30.0)
    cold = rep.site.typical_days().dry_bulb_c < cfg.return_c - 8.0
    assert np.all(latent[cold] <= r.heat_rejected_w[cold] * 1.001)
    a = rep.annual
    assert a["carbon_kg"] == pytest.approx(a["facility_energy_j"] * rep.site.carbon_kg_per_j)


def test_seawater_withdrawal_matches_heat() -> None:
    rep = evaluate("korea-floating", 100e6, "seawater")
    r = rep.result
    cp = props.seawater_cp_j_per_kg_k(rep.site.typical_days().water_c)
    carried = r.water_withdrawn_kg_per_s * cp * r.discharge_rise_k
    np.testing.assert_allclose(carried, r.heat_rejected_w - r.electrical_loss_w, rtol=1e-6)


# --- monotonicity (hypothesis) ----------------------------------------------------------------
def _weather(t_db: float, w: float, water: float | None) -> Weather:
    t = np.array([t_db])
    wr = np.minimum(np.array([w]), props.saturation_humidity_ratio(t, props.P_ATM_PA))
    return Weather(
        t,
        wr,
        props.wet_bulb_c(t, wr, props.P_ATM_PA),
        props.P_ATM_PA,
        None if water is None else np.array([water]),
    )


@settings(max_examples=60, deadline=None)
@given(
    cooling=st.sampled_from(sorted(cooling_ids())),
    t=st.floats(-30, 45),
    dt=st.floats(0.01, 15),
    w=st.floats(0.0005, 0.02),
    water=st.floats(-1.5, 30),
    dwater=st.floats(0.01, 8),
)
def test_warmer_never_lowers_pue(cooling, t, dt, w, water, dwater) -> None:
    cfg = get_cooling(cooling)
    a = simulate(1e6, _weather(t, w, water), cfg).pue[0]
    b = simulate(1e6, _weather(min(t + dt, 59), w, min(water + dwater, 39.9)), cfg).pue[0]
    # Tolerance 2e-5: seawater c_p rises ~0.02 %/K (Sharqawy 2010), so in the flow-limited
    # regime a warmer intake needs fractionally less flow; that property effect is real but
    # four orders of magnitude below any climate effect.
    assert b >= a - 2e-5
    assert a >= 1.0


def test_impossible_inputs_are_rejected() -> None:
    cfg = get_cooling("liquid-tower")
    with pytest.raises(InputError, match=r"-60\.\.60"):
        simulate(1e6, _weather(80.0, 0.01, None), cfg)
    with pytest.raises(InputError, match=r">= 0 W"):
        simulate(-5.0, _weather(20.0, 0.01, None), cfg)
    with pytest.raises(InputError, match=r"-2\.\.40"):
        simulate(1e6, _weather(20.0, 0.01, 55.0), get_cooling("seawater"))
    with pytest.raises(InputError, match="water temperatures"):
        evaluate("abilene", 1e8, "seawater")
    with pytest.raises(InputError, match=r"> 0"):
        evaluate("abilene", 0.0, "liquid-tower")
    with pytest.raises(InputError, match="pump_efficiency"):
        check_config(replace(cfg, pump_efficiency=1.7))


def test_hourly_profile_consistent_with_monthly_normals() -> None:
    s = get_site("abilene")
    h = hourly_weather([s])
    assert h.dry_bulb_c.shape == (1, 8760)
    for m in (0, 6):  # January and July: monthly mean of daily extremes = the normals
        days = h.dry_bulb_c[0, h.month[0] == m].reshape(-1, 24)
        assert days.max(axis=1).mean() == pytest.approx(s.t_max.values[m], abs=0.5)
        assert days.min(axis=1).mean() == pytest.approx(s.t_min.values[m], abs=0.5)
    assert np.all(h.wet_bulb_c <= h.dry_bulb_c + 1e-9)


# --- IT load ----------------------------------------------------------------------------------
def test_llama3_swing_is_tens_of_megawatts() -> None:
    """Llama 3 (arXiv:2407.21783 §3.3.4): 16k H100 swing data-centre power by tens of MW."""
    load = it_load([("h100-sxm", 16384, 0.9)])
    assert 8e6 < load.swing_w * 1.1 < 60e6  # at the meter (PUE ~1.1)
    assert 15e6 < load.total_w < 30e6
    assert load.peak_w >= load.total_w


def test_power_cap_and_utilisation() -> None:
    full = it_load([ItItem("h100-sxm", 1000, 1.0)])
    capped = it_load([ItItem("h100-sxm", 1000, 1.0, power_cap=0.6)])
    idle = it_load([ItItem("h100-sxm", 1000, 0.0)])
    assert capped.accelerators_w == pytest.approx(1000 * 700 * 0.6)
    assert idle.total_w < capped.total_w < full.total_w
    assert idle.swing_w == 0.0
    with pytest.raises(InputError, match="utilisation"):
        it_load([("h100-sxm", 10, 1.5)])
    with pytest.raises(InputError, match="unknown 'h900'"):
        it_load([("h900", 10, 0.5)])


# --- power supply -----------------------------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.integers(1, 30), st.floats(0.5, 0.999)), min_size=1, max_size=7),
    st.integers(0, 60),
)
def test_copt_matches_enumeration(units, load_mw) -> None:
    caps = [c * 1e6 for c, _ in units]
    avail = [a for _, a in units]
    levels, prob = capacity_outage_table(caps, avail, 1e6)
    assert prob.sum() == pytest.approx(1.0)
    brute = 0.0
    for state in itertools.product([0, 1], repeat=len(units)):
        p = np.prod([a if s else 1 - a for s, a in zip(state, avail, strict=True)])
        if sum(c for s, c in zip(state, caps, strict=True) if s) < load_mw * 1e6 - 1:
            brute += p
    assert prob[levels < load_mw * 1e6 - 1].sum() == pytest.approx(brute, abs=1e-12)


def test_supply_n_plus_one() -> None:
    units = expand_units([SupplyBlock("gas-turbine-aero", 5)])
    ok = check_supply(units, 190e6, redundancy=1, lolp_target=1e-2)
    assert ok.meets_n_k and ok.n_minus_k_w == pytest.approx(200e6)
    bad = check_supply(units, 220e6, redundancy=1)
    assert not bad.meets_n_k and not bad.ok
    with pytest.raises(InputError, match="unknown 'fusion'"):
        expand_units([SupplyBlock("fusion", 1)])
    lomonosov = expand_units([SupplyBlock("floating-nuclear", 2)])
    assert sum(u.capacity_w for u in lomonosov) == pytest.approx(70e6)
    assert isinstance(lomonosov[0], Unit) and lomonosov[0].floating


# --- build-out, plan section and CLI ----------------------------------------------------------
def test_build_schedule_and_shortfall() -> None:
    sched = build_schedule(get_site("korea-floating"), 120e6, 2026.0)
    assert sched["it_w"].sum() == pytest.approx(120e6)
    assert (sched["capex_hull_usd"] > 0).all() and (sched["capex_mooring_usd"] > 0).all()
    assert (sched["ready_year"] >= sched["built_year"]).all()
    miss = shortfall(sched, [(2026.5, 50e6), (2040.0, 120e6)])
    assert list(miss["year"]) == [2026.5]


def test_power_arriving_in_phases_energises_buildings_in_turn() -> None:
    # grid (300 MW) after one year, on-site plant (200 MW) after two: the first buildings run
    # on the grid before the plant is built, as at Abilene (Crusoe 2025)
    phases = [PowerPhase(2 * YEAR_S, 200e6), PowerPhase(1 * YEAR_S, 300e6)]
    years = energised_years(2024.5, [150e6, 150e6, 150e6, 150e6], phases)
    assert years == [2025.5, 2025.5, 2026.5, 2026.5]
    # more load than all phases carry: energised when the last arrives (adequacy reports it)
    assert energised_years(2024.5, [600e6], phases) == [2026.5]
    sched = build_schedule(
        get_site("abilene"),
        400e6,
        2024.5,
        module_w=100e6,
        crews=4,
        power_phases=phases,
        peak_pue=1.2,
    )
    assert list(sched["energised_year"]) == [2025.5, 2025.5, 2026.5, 2026.5]
    assert (sched["ready_year"] >= sched["energised_year"]).all()


def test_plan_facilities_from_proposed_section() -> None:
    raw = yaml.safe_load((ROOT / "scenarios" / "sections" / "facility.yaml").read_text())
    frames = plan_facilities(FacilitySection.model_validate(raw["facility"]))
    sites = frames["sites"].set_index("site")
    assert sites.loc["abilene", "it_w"] == 1.2e9
    assert sites.loc["korea-floating", "kind"] == "floating"
    assert bool(sites["supply_ok"].all())
    assert len(frames["monthly"]) == 24
    assert sites.loc["korea-floating", "wue_l_per_kwh"] == 0.0
    assert sites.loc["abilene", "wue_l_per_kwh"] > 0.5


def test_cli_tables_and_json() -> None:
    r = runner.invoke(
        app, ["facility", "--site", "abilene", "--it-mw", "1200", "--cooling", "liquid-tower"]
    )
    assert r.exit_code == 0, r.output
    assert "PUE" in r.output and "Dec" in r.output
    r = runner.invoke(
        app,
        [
            "facility",
            "--site",
            "korea-floating",
            "--it-mw",
            "100",
            "--cooling",
            "seawater",
            "--json",
        ],
    )
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert len(data["monthly"]) == 12 and 1.0 < data["annual"]["pue"] < 1.1
    assert data["annual"]["discharge_rise_k_max"] <= 2.23
    r = runner.invoke(
        app, ["facility", "--site", "mars", "--it-mw", "1", "--cooling", "air-legacy"]
    )
    assert r.exit_code == 2 and "unknown site 'mars'" in r.output
