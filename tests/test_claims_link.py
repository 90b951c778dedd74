"""Claims linked to model quantities and checked against one plan of a scenario: German and
English sentences, the multi-scope reading of a DRAM wafer claim, JSON and HTML outputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gigawatt.claims import Claim, extract_claims
from gigawatt.claims.link import (
    CANNOT_CHECK,
    CONSISTENT,
    IMPLAUSIBLE,
    NO_MODEL,
    VERDICTS,
    Desk,
    Figure,
    Verdict,
    check_claims,
    judge,
)
from gigawatt.claims.report import claim_record, write_claim_report
from gigawatt.units import MONTH_S

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def desk() -> Desk:
    from gigawatt.scenario import load_scenario

    return Desk.of(load_scenario(ROOT / "scenarios" / "stargate.yaml"))


def verdicts(text: str, desk: Desk) -> list[tuple[Claim, Verdict]]:
    found = extract_claims(text)
    return list(zip(found, check_claims(found, desk), strict=True))


def only(text: str, desk: Desk, quantity: str) -> Verdict:
    hits = [v for c, v in verdicts(text, desk) if c.quantity == quantity]
    assert len(hits) == 1, hits
    return hits[0]


@pytest.mark.parametrize(
    ("sentence", "quantity", "verdict", "model_quantity"),
    [
        (
            "Samsung soll 50 Millionen DRAM-Wafer pro Monat liefern.",
            "rate",
            IMPLAUSIBLE,
            "dram_wafers_per_month",
        ),
        (
            "The Stargate project will invest up to $500 billion in AI infrastructure.",
            "money",
            CONSISTENT,
            "budget",
        ),
        ("Stargate will cost $50 trillion, the company said.", "money", IMPLAUSIBLE, "budget"),
        ("Für 500 Milliarden Dollar sollen 10 GW entstehen.", "money", CONSISTENT, "budget"),
        (
            "Naver signed a $3 billion deal for 100,000 H200 GPUs.",
            "money",
            CONSISTENT,
            "chip_deal_units",
        ),
        (
            "Naver signed a $300 million deal for 100,000 H200 GPUs.",
            "money",
            IMPLAUSIBLE,
            "chip_deal_units",
        ),
        ("Stargate soll 10 GW Rechenleistung erreichen.", "power", CONSISTENT, "power"),
        ("Der Campus in Abilene soll 40 GW erreichen.", "power", IMPLAUSIBLE, "power"),
        (
            "Samsung und SK hynix liefern 90 % des HBM-Angebots im Jahr 2024.",
            "share",
            CONSISTENT,
            "hbm_market_share",
        ),
        (
            "Micron liefert 90 % des HBM-Angebots im Jahr 2024.",
            "share",
            IMPLAUSIBLE,
            "hbm_market_share",
        ),
    ],
)
def test_verdicts_of_german_and_english_sentences(
    desk: Desk, sentence: str, quantity: str, verdict: str, model_quantity: str
) -> None:
    v = only(sentence, desk, quantity)
    assert (v.verdict, v.model_quantity) == (verdict, model_quantity), v.why
    assert v.model is not None and v.model.low <= v.model.likely <= v.model.high
    assert v.ratio is not None and v.ratio > 0 and v.sources and v.why


def test_900000_wafers_read_against_several_scopes(desk: Desk) -> None:
    v = only("Der Bedarf von bis zu 900.000 DRAM-Wafern pro Monat ist hoch.", desk, "rate")
    scopes = {r.scope: r for r in v.readings}
    assert len(scopes) == 3
    programme = next(r for s, r in scopes.items() if s.startswith("the scenario's programme"))
    deals = scopes["all of OpenAI's announced compute deals"]
    week = scopes["the ambition of adding 1 GW of AI infrastructure a week"]
    # the programme needs an order of magnitude fewer wafers; all deals still several times
    # fewer; a gigawatt a week needs about the claimed volume
    assert programme.verdict == IMPLAUSIBLE and programme.ratio > 5
    assert deals.verdict == IMPLAUSIBLE and 1 < deals.ratio < programme.ratio
    assert week.verdict == CONSISTENT and v.fits == week.scope and v.verdict == CONSISTENT
    assert v.ratio == pytest.approx(week.ratio)
    assert "GW of IT a week" in v.why and "Other readings" in v.why


def test_a_budget_without_scope_says_what_it_buys(desk: Desk) -> None:
    v = only("Das Land will 2,5 Billionen Won in KI-Infrastruktur investieren.", desk, "money")
    assert v.verdict == CANNOT_CHECK and v.model is None
    gw = next(f for f in v.figures if f.unit == "W")
    assert 1e7 < gw.likely < 1e8  # USD ~1.8 B builds tens of MW at ~USD 50 B per GW
    assert any("capex per accelerator" in f.name for f in v.figures)


def test_claims_without_a_model_quantity(desk: Desk) -> None:
    # "im Jahr" after an energy is a rate: a year's energy, whose context names no scenario
    # here, so it is not judged but gives its mean power
    energy = only("Die Anlage braucht rund 10 TWh im Jahr.", desk, "energy_rate")
    assert energy.verdict == CANNOT_CHECK and "its context names no scenario" in energy.why.lower()
    assert energy.model_quantity == "annual_energy"
    assert 1.0e9 < energy.figures[0].likely < 1.2e9  # 10 TWh a year: ~1.14 GW on average
    odd = Claim("f", "bis 2027", 0, 8, "bis 2027", "date", 2027.0, "year")
    per_week = Claim("f", "1 GW a week", 0, 11, "1 GW a week", "power_rate", 1e9 / 604800, "W/s")
    assert check_claims([odd], desk)[0].verdict == NO_MODEL
    rate = check_claims([per_week], desk)[0]
    assert rate.verdict == CONSISTENT and rate.fits is not None and "ambition" in rate.fits


def test_json_record_has_the_fields_of_the_issue(desk: Desk) -> None:
    text = "Samsung soll bis zu 900.000 DRAM-Wafer pro Monat liefern. Es fließen 2,5 Billionen Won."
    for c, v in verdicts(text, desk):
        rec = json.loads(json.dumps(claim_record(c, v), allow_nan=False))
        for key in ("file", "sentence", "quantity", "value", "unit", "qualifier", "verdict"):
            assert key in rec
        assert rec["verdict"] in VERDICTS and "model" in rec and "sources" in rec
    c, v = verdicts(text, desk)[0]
    rec = claim_record(c, v)
    assert set(rec["model"]) >= {"low", "likely", "high", "unit"}
    assert rec["model"]["likely"] * MONTH_S == pytest.approx(v.model.likely * MONTH_S)  # type: ignore[union-attr]


def test_html_report_links_sentences_and_escapes(desk: Desk, tmp_path: Path) -> None:
    probe = '<script>alert("x")</script> The Stargate project will invest $500 billion in the US.'
    found = extract_claims(probe, "r<1>.txt")
    written = write_claim_report(
        tmp_path / "out", found, check_claims(found, desk), {"r<1>.txt": probe}, "S<b>"
    )
    page = written[0].read_text(encoding="utf-8")
    assert "<script>" not in page and "&lt;script&gt;" in page and "<b>" not in page
    assert 'href="#sentence-1"' in page and 'id="sentence-1"' in page and "<mark>" in page
    assert 'href="#model-1"' in page and 'id="src-1"' in page
    data = json.loads(written[1].read_text(encoding="utf-8"))
    assert data["claims"][0]["verdict"] == CONSISTENT


@given(
    low=st.floats(1e-3, 1e12),
    spread=st.floats(1.0, 10.0),
    tol=st.floats(1.0, 3.0),
    k=st.floats(1.01, 100.0),
)
def test_judge_accepts_the_model_and_rejects_far_claims(
    low: float, spread: float, tol: float, k: float
) -> None:
    fig = Figure("f", low, low * spread**0.5, low * spread, "1", "s")
    mid = fig.likely
    assert judge((mid, mid, mid), None, fig, tol) == CONSISTENT
    far = fig.high * tol * k
    assert judge((far, far, far), None, fig, tol) == IMPLAUSIBLE
    assert judge((far, far, far), "less_than", fig, tol) == CONSISTENT  # a ceiling above it
    near = fig.low / tol / k
    assert judge((near, near, near), "more_than", fig, tol) == CONSISTENT  # a floor below it


def test_no_claim_ratio_for_a_scenario_without_a_claim() -> None:
    from gigawatt.plan import plan
    from gigawatt.report import print_plan
    from gigawatt.scenario import load_scenario
    from gigawatt.supply.schedule import SupplySection

    assert SupplySection().claim_wafers_per_month is None
    p = plan(load_scenario(ROOT / "scenarios" / "korea-national-ai-centre.yaml"))
    assert p.claim is not None and p.claim.ratio is None
    assert p.headline.get("dram_wafers_claim_ratio") is None
    assert p.headline["dram_wafers_per_month_peak"]["likely"] > 0
    from rich.console import Console

    console = Console(record=True, width=200)
    print_plan(p, console)
    assert "claim" not in console.export_text()


def test_each_of_several_shares_belongs_to_the_maker_that_leads_to_it(desk: Desk) -> None:
    text = (
        "SK hynix hält nach Angaben von Marktforschern rund 57 Prozent des HBM-Marktes, "
        "Samsung etwa 27 Prozent und Micron den Rest."
    )
    sk, samsung = [v for c, v in verdicts(text, desk) if c.quantity == "share"]
    assert sk.model is not None and samsung.model is not None
    assert "sk-hynix" in sk.model.name and "samsung" not in sk.model.name
    assert "samsung" in samsung.model.name and "sk-hynix" not in samsung.model.name
    both = only("Samsung und SK hynix liefern 90 % des HBM-Angebots im Jahr 2024.", desk, "share")
    assert both.model is not None and "samsung + sk-hynix" in both.model.name


def test_a_build_rate_of_an_unnamed_programme_is_confirmed_never_refuted(desk: Desk) -> None:
    other = only('"We intend to bring one gigawatt online every quarter," she said.', desk,
                 "power_rate")  # fmt: skip
    assert other.verdict == CANNOT_CHECK and "scenario's average build rate" not in other.why
    named = only("Stargate will bring one gigawatt online every quarter.", desk, "power_rate")
    assert named.verdict in (CONSISTENT, IMPLAUSIBLE)
    assert any(r.scope == "the scenario's average build rate" for r in named.readings)


@pytest.mark.parametrize(
    "text",
    [
        "Samsung plant in Pyeongtaek eine Linie mit 60.000 wspm für DRAM.",
        "The maker will build two fabs, each designed for 50,000 wafers per month of DRAM output.",
    ],
)
def test_a_fabs_wafer_output_is_not_read_as_a_programmes_need(text: str, desk: Desk) -> None:
    v = only(text, desk, "rate")
    assert v.verdict == CANNOT_CHECK and "maker's output" in v.why and not v.readings
    assert v.figures and v.figures[0].unit == "W"  # the IT power a year it would equip
    need = only("Der Bedarf liegt bei 60.000 DRAM-Wafern pro Monat.", desk, "rate")
    assert need.readings and need.verdict in (CONSISTENT, IMPLAUSIBLE)


def test_an_hbm_percentage_of_no_maker_has_no_model_quantity(desk: Desk) -> None:
    v = only("In den vergangenen zwei Jahren sind die HBM-Preise um rund 35 Prozent gestiegen.",
             desk, "share")  # fmt: skip
    assert v.verdict == NO_MODEL and "no HBM maker" in v.why
