"""Facility stage, second round: verified climatology, new Stargate sites, immersion fan
saving, condenser-water pumps, and ``site_summary`` for the plan."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from gigawatt.errors import InputError
from gigawatt.facility import (
    FacilitySection,
    evaluate,
    get_cooling,
    get_site,
    plan_facilities,
    simulate,
    site_ids,
    site_summary,
)
from gigawatt.facility.sites import _site_from_entry

ROOT = Path(__file__).resolve().parents[1]


def test_sapporo_matches_jma_1991_2020_table() -> None:
    """Golden: JMA normals 1991-2020, Sapporo (47412), mean daily max / min, degC."""
    s = get_site("ishikari")
    np.testing.assert_allclose(
        s.t_max.values, [-0.4, 0.4, 4.5, 11.7, 17.9, 21.8, 25.4, 26.4, 22.8, 16.4, 8.7, 2.0]
    )
    np.testing.assert_allclose(
        s.t_min.values, [-6.4, -6.2, -2.4, 3.4, 9.0, 13.4, 17.9, 19.1, 14.8, 8.0, 1.6, -4.0]
    )
    assert s.t_max.verified


def test_abilene_winter_matches_nws_daily_normals() -> None:
    s = get_site("abilene")
    # NWS San Angelo daily normals 1991-2020: Jan highs 58-60 degF, Feb 61-64 degF
    assert 58.0 <= s.t_max.values[0] * 1.8 + 32 <= 60.0
    assert 61.0 <= s.t_max.values[1] * 1.8 + 32 <= 64.0


def test_every_series_is_verified_or_carries_an_uncertainty() -> None:
    for sid in site_ids():
        s = get_site(sid)
        for series in (s.t_max, s.t_min, s.dew_point, s.relative_humidity, s.water):
            if series is None:
                continue
            assert series.source
            assert series.verified or (series.uncertainty > 0 and "not verified" in series.note)


def test_unverified_series_without_uncertainty_is_rejected() -> None:
    from gigawatt.catalog import Quantity, load_catalog

    fields = dict(load_catalog().kind("sites")["lulea"].fields)
    climate = dict(fields["climate"])
    climate["dry_bulb_max"] = {**climate["dry_bulb_max"], "uncertainty": 0.0}
    fields["climate"] = climate
    assert isinstance(fields["elevation"], Quantity)
    with pytest.raises(InputError, match="unverified series needs an uncertainty"):
        _site_from_entry("lulea", fields)


def test_stargate_sites_present_and_ordered() -> None:
    assert {"narvik", "abu-dhabi", "korea-jeonnam"} <= set(site_ids())
    pue = {
        s: evaluate(s, 100e6, "liquid-dry").annual["pue"]
        for s in ("narvik", "korea-jeonnam", "abu-dhabi")
    }
    assert pue["narvik"] < pue["korea-jeonnam"] < pue["abu-dhabi"]
    # Narvik and Abu Dhabi are coastal: once-through water cooling is allowed there
    assert evaluate("narvik", 100e6, "seawater").annual["pue"] < pue["narvik"]
    assert get_site("narvik").carbon_kg_per_j < get_site("abu-dhabi").carbon_kg_per_j / 5


def test_immersion_removes_fan_power_from_it() -> None:
    cfg = get_cooling("immersion")
    assert 0.03 <= cfg.server_fan_saving <= 0.15
    rep = evaluate("abilene", 100e6, "immersion")
    r = rep.result
    np.testing.assert_allclose(r.it_w, 100e6 * (1 - cfg.server_fan_saving))
    np.testing.assert_allclose(r.it_nominal_w, 100e6)
    np.testing.assert_allclose(r.heat_rejected_w, r.facility_w, rtol=1e-3)
    a = rep.annual
    assert a["it_w"] == 100e6 and a["it_w_drawn"] == pytest.approx(100e6 * 0.94, rel=1e-9)
    # same dry coolers, same site: immersion draws less in total than direct-to-chip
    assert a["facility_w_mean"] < evaluate("abilene", 100e6, "liquid-dry").annual["facility_w_mean"]


def test_condenser_pumps_only_on_towers_and_grow_with_head() -> None:
    for cid in ("air-economiser", "liquid-tower"):
        cfg = get_cooling(cid)
        rep = evaluate("ashburn", 50e6, cfg)
        assert np.all(rep.result.condenser_pump_w > 0)
        np.testing.assert_allclose(rep.result.heat_rejected_w, rep.result.facility_w, rtol=1e-3)
        lower = evaluate("ashburn", 50e6, cfg.with_(condenser_pump_head_m=0.0)).annual["pue"]
        assert lower < rep.annual["pue"]
    for cid in ("liquid-dry", "immersion", "air-legacy"):
        assert np.all(evaluate("ashburn", 50e6, cid).result.condenser_pump_w == 0)


@settings(max_examples=30, deadline=None)
@given(h1=st.floats(0, 50), dh=st.floats(0.1, 40), saving=st.floats(0, 0.3))
def test_pue_monotone_in_condenser_head_and_facility_in_fan_saving(h1, dh, saving) -> None:
    site = get_site("abilene")
    wx = site.typical_days()
    cfg = get_cooling("liquid-tower")
    a = simulate(1e6, wx, cfg.with_(condenser_pump_head_m=h1)).facility_w.sum()
    b = simulate(1e6, wx, cfg.with_(condenser_pump_head_m=h1 + dh)).facility_w.sum()
    assert b > a
    imm = get_cooling("immersion")
    f0 = simulate(1e6, wx, imm.with_(server_fan_saving=0.0)).facility_w
    f1 = simulate(1e6, wx, imm.with_(server_fan_saving=saving)).facility_w
    assert np.all(f1 <= f0 + 1e-6)


def _frames() -> dict[str, pd.DataFrame]:
    raw = yaml.safe_load((ROOT / "scenarios" / "sections" / "facility.yaml").read_text())
    return plan_facilities(FacilitySection.model_validate(raw["facility"]))


def test_site_summary_rows_and_programme_total() -> None:
    frames = _frames()
    rows = site_summary(frames)
    sites, total = rows[:-1], rows[-1]
    assert [r["site"] for r in sites] == list(frames["sites"]["site"])
    assert total["site"] == "total"
    keys = {
        "it_w",
        "facility_w",
        "pue",
        "wue_l_per_kwh",
        "water_m3_per_year",
        "co2_t_per_year",
        "supply_ok",
    }
    assert all(keys <= r.keys() for r in rows)
    assert total["it_w"] == pytest.approx(sum(r["it_w"] for r in sites))
    assert total["facility_w"] == pytest.approx(sum(r["facility_w"] for r in sites))
    assert total["facility_w"] / total["it_w"] == pytest.approx(total["pue"], rel=1e-3)
    assert min(r["pue"] for r in sites) <= total["pue"] <= max(r["pue"] for r in sites)
    assert total["co2_t_per_year"] == pytest.approx(frames["sites"]["carbon_kg"].sum() / 1e3)
    floating = next(r for r in sites if r["site"] == "korea-floating")
    assert floating["water_m3_per_year"] == 0.0 and floating["wue_l_per_kwh"] == 0.0
    with pytest.raises(InputError, match="sites"):
        site_summary({})
