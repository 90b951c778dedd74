"""The claim extractor: hard cases in German and English, and precision / recall against a
hand-annotated gold file of the corpus reports (read from ../shared/corpus, never copied).

The gold lists every claim an analyst would note: money, counts, rates, power, shares,
durations, and the dates and horizons the text names (a year with a cue word such as "bis" or
"im Jahr", a day, a relative horizon). A bare year without a cue ("dürfen 2025 ... bleiben")
is not listed, nor are weekdays ("am Freitag") or vague times ("wenige Stunden").
A claim matches a gold row when its span overlaps the row's text in the same file and its
kind, unit, value (and qualifier, item, range and ISO date) agree.
"""

from __future__ import annotations

import csv
import math
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gigawatt.claims import Claim, detect_language, extract_claims, parse_grammar, sentences
from gigawatt.errors import CatalogError

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
GOLD = ROOT / "tests" / "data" / "claims_gold.csv"


def one(text: str) -> Claim:
    """The one claim of ``text`` that is not a date or horizon."""
    found = [c for c in extract_claims(text) if c.quantity not in ("date", "horizon")]
    assert len(found) == 1, [c.text for c in found]
    return found[0]


@pytest.mark.parametrize(
    ("sentence", "quantity", "value", "unit", "qualifier"),
    [
        ("Samsung investierte 53,6 Billionen Won im Jahr.", "money", 53.6e12, "KRW", None),
        ("Das Land will bis zu 500 Milliarden Dollar investieren.", "money", 5e11, "USD", "up_to"),
        ("Das kostet ca. 1,65 Milliarden Euro für die Anlage.", "money", 1.65e9, "EUR", "approx"),
        ("Es fließen eine Milliarde Euro in die Fabrik.", "money", 1e9, "EUR", None),
        ("Das ist ein 752-Millionen-Dollar-Deal mit der Firma.", "money", 7.52e8, "USD", None),
        ("Die Ausgaben lagen bei 35,7 Mrd. Euro und damit höher.", "money", 3.57e10, "EUR", None),
        ("Der Campus soll mehr als 1,2 GW Leistung haben.", "power", 1.2e9, "W", "more_than"),
        ("Die Fabrik braucht rund 10 TWh für das Werk.", "energy", 3.6e16, "J", "approx"),
        ("Sie liefern 90 % des weltweiten Angebots an die Firma.", "share", 0.9, "1", None),
        ("Der Konzern kauft 400.000 Nvidia-GPUs für das Werk.", "count", 4e5, "1", None),
        ("The programme will invest up to $500 billion in the US.", "money", 5e11, "USD", "up_to"),
        ("The company spent KRW 2.5 trillion on the centre.", "money", 2.5e12, "KRW", None),
        ("It signed a deal worth about €35.7bn with the state.", "money", 3.57e10, "EUR", "approx"),
        ("The site will hold 400,000 GB200 chips by the end of the year.", "count", 4e5, "1", None),
        ("The two firms supplied nearly 90 percent of the market.", "share", 0.9, "1", "almost"),
    ],
)
def test_hard_cases(
    sentence: str, quantity: str, value: float, unit: str, qualifier: str | None
) -> None:
    c = one(sentence)
    assert (c.quantity, c.unit, c.qualifier) == (quantity, unit, qualifier)
    assert math.isclose(c.value, value, rel_tol=1e-9)
    assert sentence[c.start : c.end].strip() == c.text


def test_german_billion_is_ten_to_the_twelve_and_english_ten_to_the_nine() -> None:
    assert one("Das Land investiert 2 Billionen Won in die Anlage.").value == 2e12
    assert one("The country invests 2 billion dollars in the plant.").value == 2e9


def test_ranges_keep_both_ends() -> None:
    de = one("Das Projekt kostet zwischen 100 und 200 Millionen Dollar für die Anlage.")
    assert (de.low, de.high, de.qualifier) == (1e8, 2e8, "range")
    en = one("The campus will draw 2-5 GW from the grid in the year.")
    assert (en.low, en.high) == (2e9, 5e9)


def test_rates_are_per_second() -> None:
    c = one("Der Bedarf von bis zu 900.000 DRAM-Wafern pro Monat ist hoch.")
    assert (c.quantity, c.item, c.unit, c.qualifier) == ("rate", "wafer", "1/s", "up_to")
    assert math.isclose(c.value * 365.25 * 86400 / 12, 9e5)
    en = one("OpenAI needs as many as 900,000 wafers a month for the programme.")
    assert math.isclose(en.value, c.value)


@pytest.mark.parametrize(
    "sentence",
    [
        "Samsung arbeitet an zwei KI-Chips namens Mach-1 und Mach-2 für die Firma.",
        "HBM3 ist die geheime Sauce in den H200-GPUs der Firma.",
        "Der Vertrag über den Mack-1-Chip ist unterschrieben und gilt.",
        "Die vier CEOs der Firmen trafen sich in der Zentrale.",
    ],
)
def test_no_claim_in_names_and_small_counts(sentence: str) -> None:
    assert extract_claims(sentence) == []


@pytest.mark.parametrize(
    ("sentence", "iso"),
    [
        ("Am 14. Mai 2024 trafen sich die vier CEOs der Firmen.", "2024-05-14"),
        ("Im Jahr 2024 kommen neue Chips auf den Markt der Firma.", "2024"),
        ("Von 2025 bis 2027 wird die Anlage gebaut und betrieben.", "2025/2027"),
    ],
)
def test_dates_are_claims_and_counts_are_not_read_from_them(sentence: str, iso: str) -> None:
    found = extract_claims(sentence)
    assert [(c.quantity, c.date) for c in found] == [("date", iso)]


def test_money_carries_usd_at_the_catalog_rate() -> None:
    c = one("Das Land investiert 2,5 Billionen Won in die Anlage.")
    assert c.value_usd is not None and 1.5e9 < c.value_usd < 2.0e9
    assert one("Sie zahlen 500 Milliarden Dollar für die Anlage.").value_usd == 5e11


def test_language_and_sentences() -> None:
    text = "Der Bau kostet ca. 3 Mrd. Euro. Am 14. Mai beginnt er. Das ist neu."
    assert detect_language(text) == "de"
    assert detect_language("The plant costs about $3 billion and is new.") == "en"
    spans = [text[a:b] for a, b in sentences(text)]
    assert spans == ["Der Bau kostet ca. 3 Mrd. Euro.", "Am 14. Mai beginnt er.", "Das ist neu."]
    assert one(text).sentence == "Der Bau kostet ca. 3 Mrd. Euro."


def test_grammar_without_a_section_is_rejected() -> None:
    with pytest.raises(CatalogError, match="units"):
        parse_grammar({"languages": {}, "currencies": {}, "items": {}})


@given(st.integers(min_value=1, max_value=999), st.sampled_from(["Mio.", "Milliarden", "Mrd"]))
def test_scaled_german_amounts_round_trip(n: int, scale: str) -> None:
    factor = 1e6 if scale == "Mio." else 1e9
    c = one(f"Die Firma zahlt {n} {scale} Euro für die Anlage.")
    assert math.isclose(c.value, n * factor)


def _gold() -> list[dict[str, str]]:
    with GOLD.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _close(a: float | None, b: str) -> bool:
    if not b:
        return a is None
    return a is not None and math.isclose(a, float(b), rel_tol=1e-6, abs_tol=1e-9)


def matches(c: Claim, g: dict[str, str], text: str) -> bool:
    """Whether claim ``c`` of ``text`` is gold row ``g``: overlapping span, same value."""
    spans = [m.start() for m in re.finditer(re.escape(g["text"]), text)] if g["text"] else []
    overlaps = any(a < c.end and c.start < a + len(g["text"]) for a in spans)
    return (
        overlaps
        and (c.quantity, c.unit, c.qualifier or "", c.item or "", c.date or "")
        == (g["quantity"], g["unit"], g["qualifier"], g["item"], g["date"])
        and _close(c.value, g["value"])
        and _close(c.low, g["low"])
        and _close(c.high, g["high"])
        and ("per" not in g or (c.per or "") == g["per"])
    )


def precision_recall(
    found: list[Claim], gold: list[dict[str, str]], texts: dict[str, str], key: str
) -> tuple[float, float]:
    """Precision and recall of ``found`` against ``gold`` (rows keyed by file or sentence)."""
    rows = [g for g in gold if g["text"]]

    def hit(c: Claim, g: dict[str, str]) -> bool:
        return c.file == g[key] and matches(c, g, texts[g[key]])

    hits = sum(any(hit(c, g) for g in rows) for c in found)
    recalled = sum(any(hit(c, g) for c in found) for g in rows)
    return hits / max(len(found), 1), recalled / max(len(rows), 1)


def test_gold_file_names_its_source() -> None:
    assert all(row["source"].strip() for row in _gold())


def test_precision_and_recall_on_the_corpus() -> None:
    if not CORPUS.is_dir():
        pytest.fail(f"corpus not found at {CORPUS} (shared/ beside the repo)")
    gold = _gold()
    names = sorted({g["file"] for g in gold} | {p.name for p in CORPUS.glob("*.txt")})
    texts = {name: (CORPUS / name).read_text(encoding="utf-8") for name in names}
    found = [c for name, text in texts.items() for c in extract_claims(text, name)]
    precision, recall = precision_recall(found, gold, texts, "file")
    assert precision >= 0.9 and recall >= 0.9, (precision, recall)


def test_claims_carry_the_date_of_their_sentence() -> None:
    text = (CORPUS / "000_174abdbef2981b4e.txt").read_text(encoding="utf-8")
    won = next(c for c in extract_claims(text) if c.text == "2,5 Billionen Won")
    assert (won.when, won.when_date) == ("Bis 2027", "2027")
    budget = next(c for c in extract_claims(text) if c.text == "Bis zu 500 Milliarden Dollar")
    assert budget.when == "in den nächsten Jahren" and budget.when_date is None
