"""The claim extractor: hard cases in German and English, and precision / recall against a
hand-annotated gold file of the corpus reports (read from ../shared/corpus, never copied)."""

from __future__ import annotations

import csv
import math
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
    found = extract_claims(text)
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
        "Am 14. Mai 2024 trafen sich die vier CEOs der Firmen.",
        "Im Jahr 2024 kommen neue Chips auf den Markt der Firma.",
        "Der Vertrag über den Mack-1-Chip ist unterschrieben und gilt.",
        "Von 2025 bis 2027 wird die Anlage gebaut und betrieben.",
        "Altman wirbt um Milliarden von Dollar für die Fabriken.",
    ],
)
def test_no_claim_in_names_dates_and_vague_amounts(sentence: str) -> None:
    assert extract_claims(sentence) == []


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


def _matches(c: Claim, g: dict[str, str]) -> bool:
    return (
        c.file == g["file"]
        and (c.quantity, c.unit, c.qualifier or "", c.item or "")
        == (g["quantity"], g["unit"], g["qualifier"], g["item"])
        and math.isclose(c.value, float(g["value"]), rel_tol=1e-6)
        and (g["text"] in c.text or c.text in g["text"])
    )


def test_gold_file_names_its_source() -> None:
    assert all(row["source"].strip() for row in _gold())


def test_precision_and_recall_on_the_corpus() -> None:
    if not CORPUS.is_dir():
        pytest.fail(f"corpus not found at {CORPUS} (shared/ beside the repo)")
    gold = _gold()
    found = [
        c
        for name in sorted({g["file"] for g in gold} | {p.name for p in CORPUS.glob("*.txt")})
        for c in extract_claims((CORPUS / name).read_text(encoding="utf-8"), name)
    ]
    hits = sum(any(_matches(c, g) for g in gold) for c in found)
    recalled = sum(any(_matches(c, g) for c in found) for g in gold)
    precision, recall = hits / max(len(found), 1), recalled / len(gold)
    assert precision >= 0.9 and recall >= 0.9, (precision, recall)
