"""Rule-based extraction of quantitative claims from German and English text.

Each match of the language's claim pattern (:mod:`gigawatt.claims.grammar`) becomes a
:class:`Claim` when it names what is measured (a currency, a unit, a percent or a counted
item); bare numbers (years, dates, page ids) are not claims. Numbers are read with the
locale's separators (babel), except that a separator not followed by exactly three digits is
a decimal mark whatever the locale ("1.65" in German text, "2,5" in English text).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

from babel.numbers import NumberFormatError, parse_decimal

from gigawatt.claims.grammar import Grammar, Language, load_grammar
from gigawatt.units import MONTH_S, YEAR_S

# calendar years: a bare four-digit integer in this span, with words between it and a counted
# item, is a date ("im Jahr 2024 neue Chips"), not a count
YEAR_LIKE = (1900, 2100)
SENTENCE_END = re.compile(r"[.!?][\"'”“»)\]]*(?=\s)|\n\s*")


@dataclass(frozen=True)
class Claim:
    """One quantitative claim: where it is, what it measures and its normalised value.

    ``value`` is in SI units (W, J, 1/s for rates, 1 for counts and shares) or, for money, in
    units of ``unit`` (a currency code), with ``value_usd`` converted at the catalog's dated
    rate (None where the catalog has no rate). A range keeps ``low`` and ``high`` and its
    midpoint as ``value``.
    """

    file: str
    sentence: str
    start: int
    end: int
    text: str
    quantity: str
    value: float
    unit: str
    qualifier: str | None = None
    item: str | None = None
    low: float | None = None
    high: float | None = None
    value_usd: float | None = None
    language: str = "de"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def detect_language(text: str, grammar: Grammar | None = None) -> str:
    """The grammar language whose function words are most frequent in ``text``."""
    g = grammar or load_grammar()
    words = re.findall(r"[^\W\d_]+", text.lower())
    scores = {code: sum(w in lang.markers for w in words) for code, lang in g.languages.items()}
    return max(scores, key=lambda code: scores[code])


def parse_number(text: str, lang: Language) -> float:
    """A number as written in ``lang``, or its number word ("eine" -> 1)."""
    word = lang.number_words.get(text.lower())
    if word is not None:
        return word
    cleaned = text.replace("\u00a0", "").replace("\u202f", "")
    seps = re.findall(r"[.,]", cleaned)
    if len(seps) == 1 and not re.search(r"[.,]\d{3}$", cleaned):
        return float(cleaned.replace(",", "."))  # a decimal mark in either convention
    try:
        return float(parse_decimal(cleaned, locale=lang.locale))
    except NumberFormatError:
        return float(cleaned.replace(",", "").replace(".", ""))


def _scale(word: str | None, lang: Language) -> float:
    if not word:
        return 1.0
    for pattern, factor in lang.scales:
        if pattern.fullmatch(word):
            return factor
    return 1.0


def _lookup(word: str, table: tuple[tuple[str, re.Pattern[str]], ...]) -> str | None:
    for name, pattern in table:
        if pattern.fullmatch(word):
            return name
    return None


def _item(word: str, g: Grammar) -> str | None:
    return _lookup(word.rsplit("-", 1)[-1], g.items)


def _qualifier(m: re.Match[str], lang: Language) -> str | None:
    if m["ropen"] or m["n2"]:
        return "range"
    return _lookup(m["qual"], lang.qualifiers) if m["qual"] else None


def _kind(m: re.Match[str], g: Grammar) -> tuple[str, str, float, str | None] | None:
    """(quantity, unit, factor to SI, item) of a match, or None when nothing is measured."""
    currency = m["cur_post"] or m["cur_pre"]
    if currency:
        code = _lookup(currency.strip(), g.currencies)
        return None if code is None else ("money", code, 1.0, None)
    if m["unit"]:
        for pattern, unit in g.units:
            if pattern.fullmatch(m["unit"]):
                return unit.quantity, unit.unit, unit.factor, None
    if m["pct"]:
        return "share", "1", 0.01, None
    if m["item"]:
        item = _item(m["item"], g)
        return None if item is None else ("count", "1", 1.0, item)
    return None


def _is_date(m: re.Match[str], value: float) -> bool:
    bare = not (m["s1"] or m["qual"] or m["n2"]) and re.fullmatch(r"\d{4}", m["n1"])
    return bool(bare and YEAR_LIKE[0] <= value <= YEAR_LIKE[1] and m["gap"])


def _claim(m: re.Match[str], g: Grammar, lang: Language) -> dict[str, Any] | None:
    """The fields of a claim from one pattern match (None if it measures nothing)."""
    kind = _kind(m, g)
    if kind is None:
        return None
    quantity, unit, factor, item = kind
    scale2 = _scale(m["s2"], lang)
    scale1 = _scale(m["s1"], lang) if m["s1"] else scale2  # "100 bis 200 Mio." shares a scale
    low = parse_number(m["n1"], lang) * scale1 * factor
    if item is not None and _is_date(m, low):
        return None
    high = parse_number(m["n2"], lang) * scale2 * factor if m["n2"] else None
    value = low if high is None else (low + high) / 2.0
    per = MONTH_S if m["per_month"] else YEAR_S if m["per_year"] else None
    if per is not None:
        quantity, unit = "rate" if quantity == "count" else f"{quantity}_rate", f"{unit}/s"
        value, low = value / per, low / per
        high = None if high is None else high / per
    return {
        "quantity": quantity,
        "value": value,
        "unit": unit,
        "qualifier": _qualifier(m, lang),
        "item": item,
        "low": low if high is not None else None,
        "high": high,
    }


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence: a stop followed by white space, or a line break, ends
    one, except after the language's abbreviations and after ordinals ("14. Mai")."""
    g = load_grammar()
    abbreviations = {
        a.replace("\\", "") for lang in g.languages.values() for a in lang.abbreviations
    }
    spans, start = [], 0
    for m in SENTENCE_END.finditer(text):
        if m.group().startswith("."):
            word = re.search(r"([\w. ]{0,5})$", text[start : m.start()])
            tail = (word.group(1) if word else "").strip().lower()
            last = tail.split(" ")[-1] if tail else ""
            follows = text[m.end() :].lstrip()[:1]
            if tail in abbreviations or last in abbreviations or re.fullmatch(r"\d{1,2}", last):
                continue
            if follows and follows.islower():
                continue
        spans.append((start, m.end()))
        start = m.end()
    if start < len(text):
        spans.append((start, len(text)))
    return [
        (a + len(text[a:b]) - len(text[a:b].lstrip()), b) for a, b in spans if text[a:b].strip()
    ]


def _usd(value: float, code: str) -> float | None:
    from gigawatt.economics.pricebook import convert, load_price_book
    from gigawatt.errors import CatalogError

    try:
        return float(convert(value, code, "USD", load_price_book()))
    except CatalogError:
        return None


def iter_claims(text: str, file: str = "<text>", language: str | None = None) -> Iterator[Claim]:
    """Every quantitative claim of ``text`` in order of position."""
    g = load_grammar()
    lang = g.languages[language or detect_language(text, g)]
    spans = sentences(text)
    for m in lang.pattern.finditer(text):
        fields = _claim(m, g, lang)
        if fields is None:
            continue
        a, b = next(((a, b) for a, b in spans if a <= m.start() < b), (m.start(), m.end()))
        usd = _usd(fields["value"], fields["unit"]) if fields["quantity"] == "money" else None
        yield Claim(
            file=file,
            sentence=" ".join(text[a:b].split()),
            start=m.start(),
            end=m.end(),
            text=m.group().strip(),
            value_usd=usd,
            language=lang.code,
            **fields,
        )


def extract_claims(text: str, file: str = "<text>", language: str | None = None) -> list[Claim]:
    """The claims of ``text`` as a list (see :func:`iter_claims`)."""
    return list(iter_claims(text, file, language))
