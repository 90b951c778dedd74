"""The claim extractor on hard cases: dates and horizons, rates per week, durations, vague
amounts, qualifiers, ranges, number words, compounds, and text that holds no claim (phone
numbers, article ids, reading times, model names, versions, times of day). A gold file of
German and English sentences of our own checks precision and recall over all of them."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gigawatt.claims import Claim, extract_claims
from gigawatt.units import DAY_S, HOUR_S, MONTH_S, YEAR_S
from test_claims import precision_recall

GOLD = Path(__file__).resolve().parent / "data" / "claims_gold_sentences.csv"


def claims(text: str, quantity: str | None = None) -> list[Claim]:
    return [c for c in extract_claims(text) if quantity is None or c.quantity == quantity]


def only(text: str, quantity: str) -> Claim:
    found = claims(text, quantity)
    assert len(found) == 1, [c.text for c in extract_claims(text)]
    return found[0]


@pytest.mark.parametrize(
    ("sentence", "year", "iso", "qualifier"),
    [
        ("Bis 2027 möchte das Land die Anlage bauen.", 2027, "2027", "by"),
        ("Im Jahr 2023 lieferten beide Firmen den Speicher.", 2023, "2023", None),
        ("By 2028 the campus will be complete.", 2028, "2028", "by"),
        ("Die Chefs treffen sich am 14. Mai 2024 in Seoul.", 2024, "2024-05-14", None),
        ("The deal was signed on May 14, 2024 in Seoul.", 2024, "2024-05-14", None),
        ("Production moves to the next generation in H2 2026.", 2026, "2026-07/2026-12", None),
        ("Die Anlage soll bis Ende 2027 fertig sein.", 2027, "2027", "by"),
        ("Die Auslieferung beginnt im Mai 2026 in Korea.", 2026, "2026-05", None),
        ("Der Start ist für das erste Quartal 2025 geplant.", 2025, "2025-01/2025-03", None),
    ],
)
def test_dates(sentence: str, year: int, iso: str, qualifier: str | None) -> None:
    c = only(sentence, "date")
    assert (c.value, c.unit, c.date, c.qualifier) == (year, "year", iso, qualifier)


def test_a_day_without_a_year_takes_the_year_written_nearest() -> None:
    text = "Microsoft lädt am 14. Mai zum CEO Summit 2024 ein. Das Treffen ist privat."
    assert only(text, "date").date == "2024-05-14"
    assert claims("Die Chefs treffen sich am 14. Mai in Seoul.", "date") == []


def test_spans_of_years_keep_both_ends() -> None:
    c = only("The project runs from 2025 to 2028 in three phases.", "date")
    assert (c.low, c.high, c.date, c.qualifier) == (2025, 2028, "2025/2028", "range")
    assert only("Die Anlage entsteht von 2025 bis 27 in Texas.", "date").date == "2025/2027"


@pytest.mark.parametrize(
    ("sentence", "years", "low", "high"),
    [
        ("In den nächsten Jahren sollen die Mittel fließen.", 3, 1, 5),
        ("Die Anlage soll Ende dieses Jahres in Betrieb gehen.", 0.5, 0, 1),
        ("The company plans to spend the money over the next four years.", 4, None, None),
        ("In den nächsten vier Jahren entstehen die Anlagen.", 4, None, None),
        ("He visited Korea last year with his team.", -1, None, None),
        ("Kyung bestätigte letzten Monat, dass das Unternehmen arbeitet.", -1 / 12, None, None),
    ],
)
def test_horizons_are_seconds_from_the_report_date(
    sentence: str, years: float, low: float | None, high: float | None
) -> None:
    c = only(sentence, "horizon")
    assert (c.unit, c.date) == ("s", None)
    assert math.isclose(c.value, years * YEAR_S, abs_tol=1e-6)
    assert (c.low, c.high) == (
        None if low is None else low * YEAR_S,
        None if high is None else high * YEAR_S,
    )


def test_quantities_carry_the_date_of_their_sentence() -> None:
    found = extract_claims("Das Land will bis 2027 rund 2,5 Billionen Won investieren.")
    won = next(c for c in found if c.quantity == "money")
    assert (won.when, won.when_date) == ("bis 2027", "2027")
    en = extract_claims("The company plans to spend $500bn over the next four years.")
    assert next(c for c in en if c.quantity == "money").when == "over the next four years"


@pytest.mark.parametrize(
    "sentence",
    ["OpenAI wants to add 1 GW a week of new capacity.", "Sie wollen 1 GW pro Woche zubauen."],
)
def test_power_added_per_week_is_watts_per_second(sentence: str) -> None:
    c = only(sentence, "power_rate")
    assert c.unit == "W/s"
    assert math.isclose(c.value * 7 * DAY_S, 1e9)


def test_rates_per_day_month_and_year() -> None:
    day = only("Die Fabrik startet 1.000 Wafer pro Tag in Korea.", "rate")
    month = only("Samsung will bis Ende 2026 monatlich 30.000 Wafer fertigen.", "rate")
    assert math.isclose(day.value * DAY_S, 1e3) and math.isclose(month.value * MONTH_S, 3e4)
    assert math.isclose(
        only("The plant uses 10 TWh per year.", "energy_rate").value, 3.6e16 / YEAR_S
    )


@pytest.mark.parametrize(
    ("sentence", "seconds", "qualifier"),
    [
        ("Er kam für einen 19-stündigen Aufenthalt nach Korea.", 19 * HOUR_S, None),
        ("Er wollte nur etwa sechs Stunden in Korea bleiben.", 6 * HOUR_S, "approx"),
        ("The review took 90 days and ended in May.", 90 * DAY_S, None),
        ("Der Fall lag fast ein Jahrzehnt über der Firma.", 10 * YEAR_S, "almost"),
    ],
)
def test_durations(sentence: str, seconds: float, qualifier: str | None) -> None:
    c = only(sentence, "duration")
    assert (c.unit, c.qualifier) == ("s", qualifier)
    assert math.isclose(c.value, seconds)


@pytest.mark.parametrize(
    ("sentence", "quantity", "unit", "value", "high", "item"),
    [
        ("Altman sammelt Milliarden von Dollar ein.", "money", "USD", 1e9, 1e12, None),
        ("Sie planen Investitionen in Milliardenhöhe.", "money", "XXX", 1e9, 1e12, None),
        ("Galaxy AI hat Millionen von Geräten erreicht.", "count", "1", 1e6, 1e9, "device"),
        ("The deal covers hundreds of thousands of GPUs.", "count", "1", 1e5, 1e6, "gpu"),
        ("Hunderttausende GPUs stehen in den Hallen.", "count", "1", 1e5, 1e6, "gpu"),
        ("Investors have put billions of dollars into the plan.", "money", "USD", 1e9, 1e10, None),
    ],
)
def test_vague_amounts_are_orders_of_magnitude(
    sentence: str, quantity: str, unit: str, value: float, high: float, item: str | None
) -> None:
    c = only(sentence, quantity)
    expected = (unit, value, value, high, item, "vague")
    assert (c.unit, c.value, c.low, c.high, c.item, c.qualifier) == expected


def test_a_vague_amount_in_a_named_currency_has_a_usd_value_and_one_in_none_has_none() -> None:
    assert only("Altman sammelt Milliarden von Dollar ein.", "money").value_usd == 1e9
    assert only("Die Firmen planen Investitionen in Milliardenhöhe.", "money").value_usd is None


@pytest.mark.parametrize(
    ("sentence", "qualifier"),
    [
        ("Es werden bis zu 5.000 GPUs geliefert.", "up_to"),
        ("Es werden ca. 5.000 GPUs geliefert.", "approx"),
        ("Es werden etwa 5.000 GPUs geliefert.", "approx"),
        ("Es werden rund 5.000 GPUs geliefert.", "approx"),
        ("Es werden mehr als 5.000 GPUs geliefert.", "more_than"),
        ("Es werden über 5.000 GPUs geliefert.", "more_than"),
        ("Es werden knapp 5.000 GPUs geliefert.", "almost"),
        ("Es werden fast 5.000 GPUs geliefert.", "almost"),
        ("Es werden mindestens 5.000 GPUs geliefert.", "at_least"),
        ("They will ship up to 5,000 GPUs.", "up_to"),
        ("They will ship about 5,000 GPUs.", "approx"),
        ("They will ship around 5,000 GPUs.", "approx"),
        ("They will ship nearly 5,000 GPUs.", "almost"),
        ("They will ship more than 5,000 GPUs.", "more_than"),
        ("They will ship at least 5,000 GPUs.", "at_least"),
        ("They will ship over 5,000 GPUs.", "more_than"),
    ],
)
def test_qualifiers(sentence: str, qualifier: str) -> None:
    c = only(sentence, "count")
    assert (c.value, c.item, c.qualifier) == (5000, "gpu", qualifier)


@pytest.mark.parametrize(
    ("sentence", "low", "high"),
    [
        ("Der Auftrag umfasst zwischen 100 und 200 Millionen Dollar.", 1e8, 2e8),
        ("Die Projekte kosten 100 bis 200 Millionen Dollar.", 1e8, 2e8),
        ("The campus will have 100-200 MW of IT load.", 1e8, 2e8),
        ("The site will draw between 1 and 2 GW from the grid.", 1e9, 2e9),
    ],
)
def test_ranges(sentence: str, low: float, high: float) -> None:
    (c,) = [c for c in extract_claims(sentence)]
    assert (c.low, c.high, c.value, c.qualifier) == (low, high, (low + high) / 2, "range")


@pytest.mark.parametrize(
    ("sentence", "value", "unit"),
    [
        ("Das Projekt kostet zwei Milliarden Euro.", 2e9, "EUR"),
        ("Es fließen eine Milliarde Euro in die Fabrik.", 1e9, "EUR"),
        ("The country will spend two billion dollars on chips.", 2e9, "USD"),
        ("The country will spend one billion dollars on chips.", 1e9, "USD"),
        ("Die Firma baut ein Dutzend Rechenzentren in Texas.", 12, "1"),
        ("Der Fonds verwaltet eine Billiarde Won an Vermögen.", 1e15, "KRW"),
        ("Es ist ein 752-Millionen-Dollar-Deal mit Naver.", 7.52e8, "USD"),
        ("Das 500-Milliarden-Dollar-Projekt heißt Stargate.", 5e11, "USD"),
        ("The programme is worth $500bn in total.", 5e11, "USD"),
        ("Total commitments reach US$ 1.4 trillion in all.", 1.4e12, "USD"),
        ("Samsung spent €35.7bn on the fabs.", 3.57e10, "EUR"),
        ("The government set aside ₩2.5tn for the centre.", 2.5e12, "KRW"),
    ],
)
def test_number_words_and_compounds(sentence: str, value: float, unit: str) -> None:
    (c,) = [c for c in extract_claims(sentence) if c.quantity in ("money", "count")]
    assert (c.unit, c.value) == (unit, value)


@pytest.mark.parametrize(
    ("sentence", "item"),
    [
        ("Der Konzern kauft 400.000 GPUs von Nvidia.", "gpu"),
        ("Oracle will install 450,000 GB200 chips in Abilene.", "chip"),
        ("Sie bestellten 10.000 Server für die Hallen.", "server"),
        ("Sie bestellten 500 Racks für die Hallen.", "rack"),
        ("The cluster has 32,000 accelerators in one hall.", "accelerator"),
        ("Korea plant 200 Rechenzentren an der Küste.", "data_center"),
        ("The firm runs 12 data centers in Texas.", "data_center"),
        ("Sie kaufen 5.000 KI-Beschleuniger von AMD.", "accelerator"),
        ("Das Werk produziert 100.000 Wafer für die Kunden.", "wafer"),
        ("Nvidia liefert 72 GPUs pro Rack in einem NVL72-System.", "gpu"),
    ],
)
def test_counts_name_their_item(sentence: str, item: str) -> None:
    quantity = "count_per_item" if " pro " in sentence else "count"
    assert only(sentence, quantity).item == item


@pytest.mark.parametrize(
    ("sentence", "quantity", "value"),
    [
        ("Der Campus braucht 1,2 GW Leistung.", "power", 1.2e9),
        ("Das Rechenzentrum hat 300 Megawatt Anschlussleistung.", "power", 3e8),
        ("Die Anlage nimmt 2 Gigawatt vom Netz.", "power", 2e9),
        ("Die Region verbraucht 10 TWh Strom.", "energy", 3.6e16),
        ("Beide liefern 90 % des weltweiten Angebots.", "share", 0.9),
        ("Beide liefern 90 Prozent des weltweiten Angebots.", "share", 0.9),
        ("They hold a 62 percent share of the HBM market.", "share", 0.62),
    ],
)
def test_energy_power_and_shares(sentence: str, quantity: str, value: float) -> None:
    assert math.isclose(only(sentence, quantity).value, value)


def test_german_billion_and_billiarde_and_english_billion() -> None:
    assert only("Das Land investiert dafür 2 Billionen Won in die Netze.", "money").value == 2e12
    assert only("Der Fonds verwaltet eine Billiarde Won an Vermögen.", "money").value == 1e15
    assert only("The country invests 2 billion dollars in the plant.", "money").value == 2e9


@pytest.mark.parametrize(
    "text",
    [
        "Weitere Informationen unter Tel. +49 89 2025 4711 oder per Mail.",
        "Call +1 (555) 010-2026 for details on the offers.",
        "(ID:50309660)",
        "Artikel-ID 2025123 vom Verlag, Seite 2 von 4.",
        "Von Sebastian Gerstl 3 min Lesedauer",
        "Von Sebastian Gerstl 5 Minuten Lesedauer",
        "By Jane Doe, 5 minutes read",
        "Seite 3 von 12",
        "Samsung arbeitet an zwei KI-Chips namens Mach-1 und Mach-2.",
        "Die H100-GPUs und HBM3-Speicher sind knapp.",
        "GPT-4 and GPT-5 run on H100 and B200 parts.",
        "Version 2.5 der Software erscheint, danach 3.1.",
        "Das Treffen beginnt um 14.30 Uhr im Saal.",
        "The meeting starts at 10:30 a.m. on Monday.",
        "Der 54-jährige Chef lobte die Pläne.",
        "The 54-year-old chairman praised the plan.",
        "Microsoft CEO Summit 2024 findet in Seoul statt.",
        "Die Firma hat von 2000 Mitarbeitern viele entlassen.",
        "Auf dem 10. Rang landete die Firma.",
        "The company may add capacity, analysts said.",
    ],
)
def test_no_false_positives(text: str) -> None:
    assert extract_claims(text) == []


def test_a_model_name_is_not_a_count_but_the_count_before_it_is() -> None:
    c = only("GPT-4 läuft auf 25.000 A100-GPUs in Iowa.", "count")
    assert (c.value, c.item) == (25000, "gpu")


@given(st.integers(min_value=1990, max_value=2099))
def test_any_cued_year_is_a_date_and_its_own_value(year: int) -> None:
    c = only(f"Die Anlage soll bis {year} fertig sein.", "date")
    assert (c.value, c.date, c.qualifier) == (year, str(year), "by")


@given(
    st.integers(min_value=1, max_value=999),
    st.sampled_from(
        ["OpenAI will add {} MW a week to the grid.", "Sie wollen {} MW pro Woche zubauen."]
    ),
)
def test_any_weekly_power_is_per_second(n: int, sentence: str) -> None:
    c = only(sentence.format(n), "power_rate")
    assert math.isclose(c.value * 7 * DAY_S, n * 1e6)


def _gold() -> list[dict[str, str]]:
    with GOLD.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_sentence_gold_is_large_enough_and_names_its_source() -> None:
    gold = _gold()
    assert len({g["sentence"] for g in gold}) >= 40
    assert all(g["source"].strip() for g in gold)


def test_precision_and_recall_on_the_sentence_gold() -> None:
    gold = _gold()
    texts = {g["sentence"]: g["sentence"] for g in gold}
    found = [c for s in texts for c in extract_claims(s, s)]
    precision, recall = precision_recall(found, gold, texts, "sentence")
    assert precision >= 0.9 and recall >= 0.9, (precision, recall)


def test_a_year_earlier_is_no_rate_and_a_currency_takes_no_item() -> None:
    found = extract_claims("The share fell to 17 percent from 41 percent a year earlier.")
    assert [c.quantity for c in found] == ["share", "share"]
    assert [round(c.value, 9) for c in found] == [0.17, 0.41]
    money = only("Stargate will invest up to $500 billion in data centers.", "money")
    assert (money.text, money.item) == ("up to $500 billion", None)


@pytest.mark.parametrize(
    ("sentence", "quantities"),
    [
        ("Der Strom reicht für 2000 Haushalte in der Region.", ["count"]),
        ("Bis 2027 Rechenzentren bauen ist das Ziel der Firma.", ["date"]),
        ("By the end of 2027 GPUs will be cheaper.", ["date"]),
        ("Die Firma kauft 2000 GPUs für die Halle.", ["count"]),
        ("Die Prognose für 2026 ist gut.", ["date"]),
    ],
)
def test_a_four_digit_number_is_a_year_or_a_count_by_its_context(
    sentence: str, quantities: list[str]
) -> None:
    assert [c.quantity for c in extract_claims(sentence)] == quantities
