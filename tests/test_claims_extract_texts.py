"""The claim extractor on news-style texts of our own (English and German, plain text,
Markdown and HTML) with a hand-written gold of every claim; and the mechanisms they need:
language per sentence, scale words read by their own evidence, the report's own date and
calendar dates of horizons, ratios and intensities, number words before counted items and
bare years in a temporal frame."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gigawatt.claims import Claim, extract_claims, read_report
from gigawatt.errors import InputError
from gigawatt.units import DAY_S, HOUR_S, MONTH_S, YEAR_S
from test_claims import precision_recall

DATA = Path(__file__).resolve().parent / "data"
TEXTS = DATA / "claims_texts"
GOLD = DATA / "claims_gold_texts.csv"
# the publication date each text states (byline, "Stand:", HTML meta data)
REPORT_DATES = {
    "en_lodestar_release.md": "2026-03-04",
    "de_hbm_engpass.html": "2025-11-12",
    "de_schwimmende_rz.txt": "2026-02-03",
    "en_taiwan_fabs.txt": "2025-09-18",
    "de_ki_zentrum_pm.md": "2026-01-21",
}


def _gold() -> list[dict[str, str]]:
    with GOLD.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _texts() -> dict[str, str]:
    return {p.name: read_report(p) for p in sorted(TEXTS.iterdir())}


def only(text: str, quantity: str, **kw: str) -> Claim:
    found = [c for c in extract_claims(text, **kw) if c.quantity == quantity]
    assert len(found) == 1, [(c.text, c.quantity) for c in extract_claims(text, **kw)]
    return found[0]


def test_text_gold_is_large_and_sourced() -> None:
    gold = _gold()
    assert len(gold) >= 80 and all(g["source"].strip() for g in gold)
    assert {g["file"] for g in gold} == set(REPORT_DATES)


def test_precision_and_recall_on_the_texts() -> None:
    texts = _texts()
    found = [c for name, text in texts.items() for c in extract_claims(text, name)]
    precision, recall = precision_recall(found, _gold(), texts, "file")
    assert precision >= 0.9 and recall >= 0.9, (precision, recall)


@pytest.mark.parametrize(("name", "iso"), sorted(REPORT_DATES.items()))
def test_each_text_states_its_date(name: str, iso: str) -> None:
    found = extract_claims(read_report(TEXTS / name), name)
    assert {c.report_date for c in found} == {iso}
    # the date of publication is no claim of the report
    assert not [c for c in found if c.quantity == "date" and c.date == iso]


# --- language per sentence; scale words by their own evidence ---------------------------


@pytest.mark.parametrize(
    "sentence",
    [
        "Stargate will invest $500 billion.",
        "Stargate will invest 500 billion dollars.",
        "Stargate will invest USD 500bn.",
        "Stargate will invest $500 Billion.",
    ],
)
def test_english_billion_is_ten_to_the_nine_even_in_german_text(sentence: str) -> None:
    assert only(sentence, "money").value == 5e11
    german = f"Die Firma hat es so gesagt und es ist so. {sentence} Das ist nicht wenig."
    assert only(german, "money").value == 5e11
    assert only(sentence, "money", language="de").value == 5e11


def test_german_billion_is_ten_to_the_twelve_only_in_german_sentences() -> None:
    assert only("Das Land gibt 2 Billion Won für die Netze aus.", "money").value == 2e12
    assert only("Korea spends 2 Billion Won on the grid.", "money").value == 2e9
    assert only("Korea plant 2 Billionen Won for the grid.", "money").value == 2e12


def test_a_currency_first_range_needs_its_scale_twice() -> None:
    found = extract_claims("OpenAI has committed about $1.4 trillion to 30 GW of compute.")
    assert [(c.quantity, c.value) for c in found] == [("money", 1.4e12), ("power", 3e10)]
    c = only("TSMC plans capex of US$38 billion to US$42 billion this year.", "money")
    assert (c.low, c.high) == (3.8e10, 4.2e10)


def test_language_is_read_per_sentence() -> None:
    text = (
        "Der Konzern investiert 2,5 Milliarden Euro in das Werk. "
        "The company said it will add 1,500 MW of capacity over the next years. "
        "Die Anlage hat 1,500 MW Leistung."
    )
    found = [c for c in extract_claims(text) if c.quantity in ("money", "power")]
    assert [(c.language, c.value) for c in found] == [("de", 2.5e9), ("en", 1.5e9), ("de", 1.5e6)]


# --- the report's own date ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "iso"),
    [
        ("Published: 14 May 2025\n", "2025-05-14"),
        ("Veröffentlicht am 14.05.2025 um 10:30 Uhr\n", "2025-05-14"),
        ("Stand: 3. Februar 2026\n", "2026-02-03"),
        ("SEOUL, May 14, 2025 /PRNewswire/ -- ", "2025-05-14"),
        ("Von Jana Albrecht · 14. Mai 2025 · 3 min Lesedauer\n", "2025-05-14"),
        ("Updated 2025-05-14T09:00Z\n", "2025-05-14"),
    ],
)
def test_the_report_date_is_found_in_the_text(head: str, iso: str) -> None:
    body = "In den nächsten Jahren will die Firma 500 Milliarden Dollar investieren."
    found = extract_claims(head + body)
    assert {c.report_date for c in found} == {iso}
    horizon = next(c for c in found if c.quantity == "horizon")
    assert horizon.date == f"{int(iso[:4]) + 1}/{int(iso[:4]) + 5}"
    money = next(c for c in found if c.quantity == "money")
    assert money.when_date == horizon.date


@pytest.mark.parametrize(
    "text",
    [
        "- 14. Mai 2024 – Treffen in Seoul\n- 20. Mai 2024 – Vertrag über 5.000 GPUs",
        "Am 14. Mai 2024 trafen sich die Chefs. Letzten Monat kauften sie 5.000 GPUs.",
        "SEOUL, Nov. 12 (Yonhap) -- Samsung bought 5,000 GPUs last month.",
    ],
)
def test_event_dates_and_yearless_datelines_are_no_report_date(text: str) -> None:
    assert {c.report_date for c in extract_claims(text)} == {None}


def test_html_meta_gives_the_report_date() -> None:
    page = (
        '<html><head><meta property="article:published_time" content="2024-06-30T08:00:00Z">'
        "</head><body><p>Letzten Monat kaufte die Firma 5.000 GPUs.</p></body></html>"
    )
    from gigawatt.claims import html_text

    found = extract_claims(html_text(page))
    assert only(html_text(page), "horizon").date == "2024-05"
    assert {c.report_date for c in found} == {"2024-06-30"}


def test_without_a_report_date_horizons_have_no_calendar_date() -> None:
    text = "(ID:50309660) Letzten Monat kaufte die Firma 5.000 GPUs."
    found = extract_claims(text)
    assert {c.report_date for c in found} == {None}
    assert only(text, "horizon").date is None


def test_the_caller_gives_the_report_date() -> None:
    text = "Last month the company bought 5,000 GPUs; next year it will buy more."
    found = extract_claims(text, report_date="2025-01-15")
    assert [c.date for c in found if c.quantity == "horizon"] == ["2024-12", "2026"]
    assert {c.report_date for c in found} == {"2025-01-15"}
    with pytest.raises(InputError, match="report_date"):
        extract_claims(text, report_date="15.01.2025")


def test_a_day_without_a_year_takes_the_report_year() -> None:
    c = only("Die Chefs treffen sich am 14. Mai in Seoul.", "date", report_date="2024-03-01")
    assert c.date == "2024-05-14"


@pytest.mark.parametrize(
    ("sentence", "report", "iso"),
    [
        ("Der Umsatz stieg im dritten Quartal um 12 Prozent.", "2025-11-12", "2025-07/2025-09"),
        ("Im vierten Quartal sanken die Preise.", "2026-02-10", "2025-10/2025-12"),
        ("In Q1 revenue should rise 12%.", "2025-11-12", "2026-01/2026-03"),
        ("Im dritten Quartal 2024 stieg der Umsatz.", "2025-11-12", "2024-07/2024-09"),
    ],
)
def test_a_quarter_without_a_year_is_the_one_nearest_the_report(
    sentence: str, report: str, iso: str
) -> None:
    assert only(sentence, "date", report_date=report).date == iso


def test_a_quarter_without_any_year_and_h2_alone_are_no_dates() -> None:
    assert extract_claims("Im dritten Quartal stieg der Umsatz.") == []
    found = extract_claims("H2 production needs 5 GW of power.", report_date="2025-11-12")
    assert [c.quantity for c in found] == ["power"]


@pytest.mark.parametrize(
    ("sentence", "values"),
    [
        ("Die Kapazität steigt von 150.000 auf 180.000 Wafer pro Monat.", [1.5e5, 1.8e5]),
        ("Capacity rises from 150,000 to 180,000 wafers per month.", [1.5e5, 1.8e5]),
        ("The budget grew from $5 billion to $8 billion.", [5e9, 8e9]),
        ("Die Investitionen steigen von 2,5 auf 3 Mrd. Euro.", [2.5e9, 3e9]),
        ("Der Anteil stieg von 41 auf 62 Prozent.", [0.41, 0.62]),
        ("Der Anteil sank von 5 auf 0 Prozent.", [0.0]),
    ],
)
def test_a_change_is_two_claims_not_a_range(sentence: str, values: list[float]) -> None:
    found = [c for c in extract_claims(sentence) if c.quantity != "date"]
    assert all(c.low is None and c.qualifier is None for c in found)
    scale = MONTH_S if "Monat" in sentence or "month" in sentence else 1.0
    assert [round(c.value * scale, 6) for c in found] == values
    assert sentence[found[-1].start : found[-1].end].strip() == found[-1].text


@pytest.mark.parametrize(
    ("sentence", "value", "unit", "item"),
    [
        ("Es kostet 4,8 Mrd. Euro, davon trägt der Bund knapp 1,2 Milliarden.", 1.2e9, "EUR", None),
        ("Nvidia sold 3 million GPUs last quarter, up from 1.3 million.", 1.3e6, "1", "gpu"),
    ],
)
def test_a_bare_scaled_amount_measures_what_the_claim_before_it_does(
    sentence: str, value: float, unit: str, item: str | None
) -> None:
    c = extract_claims(sentence)[-1]
    assert (c.value, c.unit, c.item) == (value, unit, item)


@pytest.mark.parametrize(
    "text",
    [
        "Die Stadt hat 1,5 Millionen Einwohner und 2 Mrd. Euro Schulden.",
        "Die Stadt hat 2 Mrd. Euro Schulden. Sie hat 1,5 Millionen.",
        "The $5bn tower is 300 m.",
    ],
)
def test_a_bare_amount_needs_a_claim_before_it_in_its_clause_end(text: str) -> None:
    assert len(extract_claims(text)) == 1


def test_a_contract_over_a_sum_is_no_more_than_and_the_past_years_look_back() -> None:
    text = (
        "Der Vertrag über 1,3 Billionen Won gilt. In den vergangenen zwei Jahren stieg der Preis."
    )
    money, horizon = extract_claims(text, report_date="2026-01-21")
    assert (money.value, money.qualifier) == (1.3e12, None)
    assert (horizon.value, horizon.date) == (-2 * YEAR_S, "2024-01-21/2026-01-21")


def test_von_bis_and_between_stay_ranges() -> None:
    c = only("Die Baukosten liegen bei von 40 bis 60 Mrd. Dollar.", "money")
    assert (c.low, c.high) == (4e10, 6e10)


# --- ratios and intensities ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "quantity", "value", "unit", "per"),
    [
        ("Leaders quote $44B per GW for the build-out.", "capex_per_power", 44, "USD/W", None),
        ("Man rechnet mit USD 40-60 Mrd. pro Gigawatt.", "capex_per_power", 50, "USD/W", None),
        ("Geplant sind 50.000 GPUs pro Gebäude.", "count_per_item", 5e4, "1", "building"),
        ("Geplant sind 1,5 MW pro Rack.", "power_per_item", 1.5e6, "W", "rack"),
        ("It rents compute at $2 per GPU-hour.", "price_per_time", 2 / HOUR_S, "USD/s", "gpu"),
        ("Der Strom kostet 80 €/MWh im Mittel.", "energy_price", 80 / 3.6e9, "EUR/J", None),
        ("Power costs €80/MWh on average.", "energy_price", 80 / 3.6e9, "EUR/J", None),
        ("The chips sell for $30,000 per GPU.", "price_per_item", 3e4, "USD", "gpu"),
        ("Strom kostet 18 Cent pro Kilowattstunde.", "energy_price", 0.18 / 3.6e6, "EUR/J", None),
        ("Die Industrie zahlt 15 ct/kWh.", "energy_price", 0.15 / 3.6e6, "EUR/J", None),
        ("Power costs 8 cents per kWh in Texas.", "energy_price", 0.08 / 3.6e6, "USD/J", None),
    ],
)
def test_ratios_are_si_intensities(
    sentence: str, quantity: str, value: float, unit: str, per: str | None
) -> None:
    c = only(sentence, quantity)
    assert (c.unit, c.per) == (unit, per)
    assert math.isclose(c.value, value)


def test_a_ratio_in_a_currency_has_a_usd_value() -> None:
    c = only("Leaders quote $44B per GW for the build-out.", "capex_per_power")
    assert c.value_usd == 44


@pytest.mark.parametrize(
    ("sentence", "quantity", "value"),
    [
        ("Ein Gigawatt Rechenleistung kostet viel.", "power", 1e9),
        ("OpenAI wants a gigawatt a week of new capacity.", "power_rate", 1e9 / (7 * DAY_S)),
        ("The plant uses 5 million gallons of water per day.", "volume_rate", 18927.05892 / DAY_S),
        ("Die Fabrik braucht 2 TWh an Strom pro Jahr.", "energy_rate", 7.2e15 / YEAR_S),
    ],
)
def test_articles_before_units_and_a_word_before_per(
    sentence: str, quantity: str, value: float
) -> None:
    assert math.isclose(only(sentence, quantity).value, value)


def test_an_article_before_a_time_unit_or_a_compound_is_no_claim() -> None:
    assert extract_claims("Sie planen einen GW-Campus und ein Jahr Bauzeit.") == []


@pytest.mark.parametrize(
    ("sentence", "quantity", "seconds"),
    [
        ("The fab starts 100K wspm of DRAM.", "rate", MONTH_S),
        ("They need up to 100,000 tonnes a day of water.", "mass_rate", DAY_S),
        ("Es fließen jährlich 15 Mio. m³ Wasser.", "volume_rate", YEAR_S),
    ],
)
def test_wafer_starts_mass_and_volume_rates(sentence: str, quantity: str, seconds: float) -> None:
    c = only(sentence, quantity)
    assert c.value * seconds > 1e4


# --- number words, chip names, bare years -----------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "value", "item"),
    [
        ("The company runs five data centers in Texas.", 5, "data_center"),
        ("Die Firma baut zwei Rechenzentren in Korea.", 2, "data_center"),
        ("Sie bestellte zwölf neue Server für die Halle.", 12, "server"),
    ],
)
def test_number_words_count_items(sentence: str, value: int, item: str) -> None:
    c = only(sentence, "count")
    assert (c.value, c.item) == (value, item)


@pytest.mark.parametrize(
    "sentence",
    [
        "Samsung arbeitet an zwei KI-Chips namens Mach-1 und Mach-2.",
        "Nvidia showed two chips called Rubin and Rubin CPX.",
        "The firm builds one data center in Texas.",
        "Samsung ist bereits dafür bekannt, an zwei KI-Chips zu arbeiten.",
        "Nvidia showed two new GPUs at the fair.",
    ],
)
def test_named_chips_written_out_chips_and_single_items_are_no_counts(sentence: str) -> None:
    assert extract_claims(sentence) == []


@pytest.mark.parametrize(
    ("sentence", "year"),
    [
        ("2025 sollen die ersten Anlagen laufen.", 2025),
        ("Der Bau beginnt bald. 2027 gehen die Hallen ans Netz.", 2027),
        ("2026 will see the first racks delivered.", 2026),
    ],
)
def test_a_bare_year_opening_a_sentence_before_a_verb_is_a_date(sentence: str, year: int) -> None:
    assert only(sentence, "date").value == year


@pytest.mark.parametrize(
    "sentence",
    ["2000 Mitarbeiter arbeiten dort.", "2000 employees work there.", "Er sagte 2025 nichts."],
)
def test_a_bare_year_elsewhere_is_no_date(sentence: str) -> None:
    assert [c for c in extract_claims(sentence) if c.quantity == "date"] == []


@given(st.integers(min_value=2, max_value=999))
def test_any_ratio_per_gigawatt_is_usd_per_watt(n: int) -> None:
    c = only(f"The plan costs ${n} billion per GW in total.", "capex_per_power")
    assert math.isclose(c.value, n)
