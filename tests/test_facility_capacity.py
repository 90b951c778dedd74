"""A site's IT from its record: announced as IT load or as power (facility) capacity."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from gigawatt.facility import SitePlan, evaluate, site_capacity
from gigawatt.plan import _allocate, _SiteShare


def _site(mw: float, basis: str, module_mw: float | None = None) -> SitePlan:
    return SitePlan.model_validate(
        {
            "site": "shackelford-tx",
            "it_mw": mw,
            "capacity_basis": basis,
            "cooling": "liquid-dry",
            "module_mw": module_mw,
        }
    )


def test_default_basis_is_it_load() -> None:
    sp = SitePlan.model_validate({"site": "abilene", "it_mw": 824, "cooling": "liquid-dry"})
    assert sp.capacity_basis == "it"
    assert site_capacity(sp).it_w == 824e6


def test_unknown_basis_is_rejected() -> None:
    with pytest.raises(ValidationError, match="capacity_basis"):
        _site(1400, "utility")


def test_facility_basis_fills_the_power_at_the_hottest_hour() -> None:
    cap = site_capacity(_site(1400, "facility", module_mw=140))
    # dry coolers in West Texas: the summer afternoon, not the annual mean, sets the draw
    annual = cap.report.annual
    assert annual["facility_w_peak"] == pytest.approx(1400e6, rel=1e-9)
    assert annual["pue"] < cap.peak_pue
    assert 0.6 * 1400e6 < cap.it_w < 1400e6 / annual["pue"]
    # buildings are announced in the same unit: still ten of them
    assert cap.module_w is not None and cap.it_w / cap.module_w == pytest.approx(10.0)


@settings(max_examples=15, deadline=None)
@given(st.floats(min_value=10.0, max_value=5000.0))
def test_it_share_of_facility_power_does_not_depend_on_size(mw: float) -> None:
    cap = site_capacity(_site(mw, "facility"))
    ref = site_capacity(_site(1000.0, "facility"))
    assert cap.it_w / (mw * 1e6) == pytest.approx(ref.it_w / 1e9, rel=1e-9)
    assert cap.it_w < mw * 1e6


def test_a_cooler_site_carries_more_it_on_the_same_power() -> None:
    hot = site_capacity(_site(1000, "facility"))
    mild = SitePlan.model_validate(
        {"site": "saline-mi", "it_mw": 1000, "capacity_basis": "facility", "cooling": "liquid-dry"}
    )
    assert site_capacity(mild).it_w > hot.it_w
    assert evaluate("saline-mi", 1e8, "liquid-dry").annual["pue"] < hot.report.annual["pue"]


def _share(site: str, it_w: float, modules: tuple[tuple[float, float], ...]) -> _SiteShare:
    return _SiteShare(site, it_w, 1.1, False, 0.0, 0.0, 0.0, 0.0, None, None, modules)


def test_tranches_go_to_ready_buildings_before_unready_ones() -> None:
    import pandas as pd

    late = _share("late", 100.0, ((2028.0, 100.0),))
    ready = _share("ready", 100.0, ((2026.0, 60.0), (2027.0, 40.0)))
    build = pd.DataFrame(
        {
            "quarter": ["2026Q3", "2027Q1"],
            "year": [2026, 2027],
            "accelerator": ["a", "a"],
            "count": [80, 50],
        }
    )
    alloc = _allocate(build, {"a": 1.0}, [late, ready])
    got = alloc.groupby(["quarter", "site"])["it_w"].sum().to_dict()
    # 2026Q3: 60 W ready at 'ready', the other 20 W early at 'late' (listed first);
    # 2027Q1: 'ready' has 40 W more ready, the last 10 W go on to 'late'
    assert got == {
        ("2026Q3", "ready"): 60.0,
        ("2026Q3", "late"): 20.0,
        ("2027Q1", "ready"): 40.0,
        ("2027Q1", "late"): 10.0,
    }
