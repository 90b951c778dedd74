"""Claims read in their context (sentence, the sentences before it, paragraph) against the
scenario that context names, several scenarios at once, and the quantities added with them:
dates and horizons against the schedule, capex per W, energy and counts of data centres."""

from __future__ import annotations

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
    Bench,
    Desk,
    Figure,
    Verdict,
    check_all,
    judge_date,
)
from gigawatt.claims.scope import Context, Layout, find_tie, name_pattern, paragraphs
from gigawatt.errors import ScenarioError
from gigawatt.scenario import Scenario, load_scenario
from gigawatt.units import YEAR_S

ROOT = Path(__file__).resolve().parents[1]
STARGATE = ROOT / "scenarios" / "stargate.yaml"
KOREA = ROOT / "scenarios" / "korea-national-ai-centre.yaml"


@pytest.fixture(scope="module")
def desks() -> dict[str, Desk]:
    return {"stargate": Desk.of(load_scenario(STARGATE)), "korea": Desk.of(load_scenario(KOREA))}


def bench(desks: dict[str, Desk], planned: list[str] | None = None) -> Bench:
    """Stargate first, then Korea; ``planned`` records each desk made."""
    made = {d.scenario: d for d in desks.values()}

    def make(s: Scenario) -> Desk:
        if planned is not None:
            planned.append(s.name)
        return made[s.name]

    return Bench([load_scenario(STARGATE), load_scenario(KOREA)], make_desk=make)


def read(text: str, desks: dict[str, Desk], planned: list[str] | None = None) -> list[Verdict]:
    claims = extract_claims(text, "r.txt")
    return check_all(claims, bench(desks, planned), {"r.txt": text})


def of(text: str, desks: dict[str, Desk], quantity: str) -> Verdict:
    claims = extract_claims(text, "r.txt")
    verdicts = check_all(claims, bench(desks), {"r.txt": text})
    hits = [v for c, v in zip(claims, verdicts, strict=True) if c.quantity == quantity]
    assert len(hits) == 1, hits
    return hits[0]


GROSSPROJEKT = (
    "Die Softbank Group und OpenAI zählen zu den führenden Köpfen im „Stargate-Projekt“. "
    "Bis zu 500 Milliarden Dollar sollen für dieses Großprojekt in den nächsten Jahren fließen."
)


def test_a_budget_is_tied_to_the_programme_the_previous_sentence_names(
    desks: dict[str, Desk],
) -> None:
    v = of(GROSSPROJEKT, desks, "money")
    assert v.verdict == CONSISTENT and v.scenario == "Stargate (phase 1)"
    assert v.tied_by is not None and "previous sentence" in v.tied_by
    assert "Stargate-Projekt" in v.why  # the words that tied it
    horizon = of(GROSSPROJEKT, desks, "horizon")
    assert horizon.verdict == CONSISTENT and horizon.model_quantity == "schedule_span"


def test_without_its_context_the_same_budget_cannot_be_checked(desks: dict[str, Desk]) -> None:
    sentence = "Bis zu 500 Milliarden Dollar sollen für dieses Großprojekt fließen."
    claims = extract_claims(sentence)
    v = check_all(claims, bench(desks))[0]
    assert v.verdict == CANNOT_CHECK and v.tied_by is None and v.figures


def test_a_name_in_an_earlier_paragraph_ties_nothing(desks: dict[str, Desk]) -> None:
    text = (
        "Das Stargate-Projekt wurde im Januar angekündigt.\n\n"
        "Bis zu 500 Milliarden Dollar sollen für dieses Großprojekt fließen."
    )
    assert read(text, desks)[0].verdict == CANNOT_CHECK


def test_korea_budget_and_deadline_go_to_the_korea_scenario(desks: dict[str, Desk]) -> None:
    planned: list[str] = []
    text = (
        "Südkorea ist da keine Ausnahme: Bis 2040 möchte das Land zur Schaffung eines "
        "„National AI Computing Centers“ 2,5 Billionen Won in die KI-Infrastruktur investieren."
    )
    claims = extract_claims(text, "r.txt")
    verdicts = check_all(claims, bench(desks, planned), {"r.txt": text})
    assert planned == ["Korea National AI Computing Center"]  # Stargate is never planned
    by = {c.quantity: v for c, v in zip(claims, verdicts, strict=True)}
    money, date = by["money"], by["date"]
    assert money.scenario == date.scenario == "Korea National AI Computing Center"
    assert money.verdict == CONSISTENT and money.model_quantity == "budget"
    assert any("through 2040" in r.scope for r in money.readings)  # its date reads the spending
    assert date.model_quantity == "schedule" and date.verdict == CONSISTENT
    assert {r.scope for r in date.readings} >= {
        "the scenario's sites ready",
        "the scenario's accelerator deliveries",
    }
    assert date.difference is not None and date.difference > 0  # the deadline after the plan


def test_a_deadline_before_the_schedule_is_implausible(desks: dict[str, Desk]) -> None:
    v = of("Das National AI Computing Center soll bis 2020 fertig sein.", desks, "date")
    assert v.verdict == IMPLAUSIBLE and v.difference is not None and v.difference < -1
    assert v.ratio is None and "deadline" in v.why


def test_dates_and_times_without_a_scenario_have_no_model_quantity(
    desks: dict[str, Desk],
) -> None:
    verdicts = read("Im Jahr 2015 gab es einen Prozess. Er dauerte fast ein Jahrzehnt.", desks)
    assert [v.verdict for v in verdicts] == [NO_MODEL, NO_MODEL]
    past = of("Das Stargate-Projekt wuchs im vergangenen Jahr.", desks, "horizon")
    assert past.verdict == NO_MODEL


@pytest.mark.parametrize(
    ("text", "quantity", "verdict", "model_quantity"),
    [
        ("Für Stargate entstehen 7 Rechenzentren.", "count", CONSISTENT, "sites"),
        ("Für Stargate entstehen 700 Rechenzentren.", "count", IMPLAUSIBLE, "sites"),
        ("Stargate braucht 80 TWh im Jahr.", "energy_rate", CONSISTENT, "annual_energy"),
        ("Stargate braucht 1 TWh im Jahr.", "energy_rate", IMPLAUSIBLE, "annual_energy"),
        ("Stargate soll 80 TWh pro Jahr verbrauchen.", "energy_rate", CONSISTENT, "annual_energy"),
    ],
)
def test_sites_and_energy_against_the_scenario_named(
    desks: dict[str, Desk], text: str, quantity: str, verdict: str, model_quantity: str
) -> None:
    v = of(text, desks, quantity)
    assert (v.verdict, v.model_quantity) == (verdict, model_quantity), v.why
    assert v.model is not None and v.model.low <= v.model.likely <= v.model.high


def test_a_count_of_data_centres_without_a_scenario_has_no_model_quantity(
    desks: dict[str, Desk],
) -> None:
    assert of("Es entstehen 7 Rechenzentren.", desks, "count").verdict == NO_MODEL


@pytest.mark.parametrize(("usd_per_w", "verdict"), [(50.0, CONSISTENT), (500.0, IMPLAUSIBLE)])
def test_capex_per_gigawatt(desks: dict[str, Desk], usd_per_w: float, verdict: str) -> None:
    # the extractor's kind for "USD 50 B per GW": a cost per W
    c = Claim("r.txt", "Ein GW kostet 50 Mrd. Dollar.", 0, 9, "x", "capex_per_power", usd_per_w,
              "USD/W", value_usd=usd_per_w)  # fmt: skip
    v = check_all([c], bench(desks))[0]
    assert v.verdict == verdict and v.model_quantity == "capex_per_w"
    scopes = {r.scope for r in v.readings}
    assert "the catalog's all-in cost per W" in scopes
    assert "the scenario's capex per W of facility" in scopes


def test_each_scenario_is_planned_once_and_only_when_needed(desks: dict[str, Desk]) -> None:
    planned: list[str] = []
    text = (
        "Das National AI Computing Center kostet 2,5 Billionen Won. Es braucht 40 MW.\n"
        "Stargate soll 10 GW erreichen. Stargate kostet 500 Milliarden Dollar.\n"
        "Der Prozess dauerte 19 Stunden."
    )
    verdicts = read(text, desks, planned)
    assert sorted(planned) == ["Korea National AI Computing Center", "Stargate (phase 1)"]
    assert [v.scenario for v in verdicts[:4]] == [
        "Korea National AI Computing Center",
        "Korea National AI Computing Center",
        "Stargate (phase 1)",
        "Stargate (phase 1)",
    ]
    none: list[str] = []
    assert read("Der Prozess dauerte 19 Stunden.", desks, none)[0].verdict == NO_MODEL
    assert none == []


def test_the_sentence_outranks_the_previous_sentence(desks: dict[str, Desk]) -> None:
    text = "Stargate ist groß. Das National AI Computing Center kostet 2,5 Billionen Won."
    v = read(text, desks)[0]
    assert v.scenario == "Korea National AI Computing Center" and v.tied_by is not None
    assert v.tied_by.startswith("its sentence")


# --- context and names --------------------------------------------------------------------
def test_paragraphs_end_at_blank_lines_and_at_lines_that_end_a_sentence() -> None:
    text = "Erster Satz.\nZweiter Absatz, der\numbricht.\n\nDritter."
    parts = [text[a:b] for a, b in paragraphs(text)]
    assert parts == ["Erster Satz.", "Zweiter Absatz, der\numbricht.", "Dritter."]


def test_context_lists_the_sentence_then_earlier_sentences_then_the_paragraph() -> None:
    text = "A eins. B zwei. C drei 5 GW. D vier.\n\nE fünf."
    at = text.index("5 GW")
    ctx = Layout(text).context(at)
    assert [w for w, _ in ctx.parts] == [
        "its sentence",
        "the previous sentence",
        "2 sentences before",
        "its paragraph",
    ]
    assert ctx.parts[0][1] == "C drei 5 GW." and ctx.parts[-1][1] == "D vier."


@pytest.mark.parametrize(
    ("text", "tied"),
    [
        ("zur Schaffung eines „National AI Computing Centers“", True),
        ("das National-AI-Computing-Center in Haenam", True),
        ("Südkorea und Samsung Electronics", False),
        ("ein nationales Computing-Programm", False),
    ],
)
def test_names_tie_whole_words_with_inflection(text: str, tied: bool) -> None:
    pattern = name_pattern(["National AI Computing Center"])
    assert (find_tie("k", pattern, Context.of_sentence(text)) is not None) == tied


@given(
    start=st.floats(2000, 2040),
    length=st.floats(0, 5),
    tol=st.floats(0.1, 2),
    later=st.floats(0, 20),
)
def test_a_deadline_after_completion_is_met_and_one_long_before_is_not(
    start: float, length: float, tol: float, later: float
) -> None:
    fig = Figure("schedule", start, start + length, start + length, "year", "s")
    end = start + length
    assert judge_date((end - 1 + later, end + later), "by", fig, tol).verdict == CONSISTENT
    early = end - tol - 1 - later
    r = judge_date((early - 1, early), "by", fig, tol)
    assert r.verdict == IMPLAUSIBLE and r.difference is not None and r.difference < -tol
    # a plain date inside the window fits whatever the tolerance
    assert judge_date((start, start), None, fig, tol).verdict == CONSISTENT


# --- the scenario's aliases -------------------------------------------------------------------
@pytest.mark.parametrize(
    "aliases", [["x"], ["a" * 81], [f"alias {i}" for i in range(21)], "Stargate"]
)
def test_aliases_are_bounded(tmp_path: Path, aliases: object) -> None:
    import yaml

    f = tmp_path / "s.yaml"
    f.write_text(yaml.safe_dump({"name": "S", "aliases": aliases}), encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        load_scenario(f)
    assert "aliases" in str(err.value)


def test_shipped_scenarios_carry_their_aliases() -> None:
    assert "Stargate-Projekt" in load_scenario(STARGATE).aliases
    assert "National AI Computing Center" in load_scenario(KOREA).aliases


def test_a_site_named_in_the_previous_sentence_scopes_a_power(desks: dict[str, Desk]) -> None:
    v = of("Der Campus in Abilene wächst weiter. Er soll 1,2 GW erreichen.", desks, "power")
    site = [r for r in v.readings if r.scope.startswith("the site abilene")]
    assert site and "the previous sentence names 'Abilene'" in site[0].scope
    assert v.verdict == CONSISTENT


def test_a_budget_says_how_many_years_of_build_out_it_pays(desks: dict[str, Desk]) -> None:
    v = of(GROSSPROJEKT, desks, "money")
    years = [f for f in v.figures if f.unit == "s"]
    assert years and 1 < years[0].likely / YEAR_S < 10  # USD 500 B: a few years
    assert "years of the scenario's build-out" in v.why


@pytest.mark.parametrize(
    ("key", "template", "quantity", "model_quantity"),
    [
        ("water_m3_per_year", "Stargate verbraucht {} Kubikmeter Wasser im Jahr.", "volume_rate",
         "annual_water"),
        ("co2_t_per_year", "Stargate stößt {} Tonnen CO2 pro Jahr aus.", "mass_rate",
         "annual_co2"),
    ],
)  # fmt: skip
def test_yearly_water_and_co2_against_the_plan(
    desks: dict[str, Desk], key: str, template: str, quantity: str, model_quantity: str
) -> None:
    total = desks["stargate"].headline(key)
    assert total is not None
    near = f"{total[1]:,.0f}".replace(",", ".")  # the plan's own figure, German style
    v = of(template.format(near), desks, quantity)
    assert (v.verdict, v.model_quantity) == (CONSISTENT, model_quantity), v.why
    tiny = of(template.format("400"), desks, quantity)
    assert tiny.verdict == IMPLAUSIBLE and tiny.ratio is not None and tiny.ratio < 1e-3
    untied = of(template.format(near).replace("Stargate", "Die Fabrik"), desks, quantity)
    assert untied.verdict == NO_MODEL
