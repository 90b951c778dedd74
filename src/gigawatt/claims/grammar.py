"""The grammar of quantitative claims, read from ``grammar.yaml`` and compiled into one
regular expression per language.

A claim is ``[qualifier] [currency] amount [scale] [adjective] (currency | unit | percent |
counted item) [per month | per year]``, where an amount is a number ("900.000", "2,5") or a
number word before a scale word ("eine Milliarde"), and a range is two amounts ("zwischen 100
und 200 Millionen", "100-200 MW"). Hyphens may join the parts ("752-Millionen-Dollar-Deal").
The words live in the data file so that a new currency, unit or language is an edit there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from gigawatt.errors import CatalogError, Problem

GRAMMAR_FILE = "grammar.yaml"
# a digit group: "900.000", "1,234,567", "2,5", "53,6", "500"
NUMBER = r"\d{1,3}(?:[.,\u00a0\u202f]\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?"
# between the parts of a claim: spaces, or a hyphen of a compound ("752-Millionen-Dollar")
GAP = r"[ \u00a0\u202f]*-?[ \u00a0\u202f]*"
DASH = r"[ \u00a0\u202f]*[-\u2013\u2014][ \u00a0\u202f]*"
# up to two words between an amount and the item counted ("100.000 Nvidia-GPUs", "400,000
# GB200 chips")
ITEM_WORDS = r"(?:[\w.]+[ \u00a0])?(?:[\w.]+[ \u00a0])?"


@dataclass(frozen=True)
class Unit:
    """A physical unit word: its quantity kind, SI unit and factor to SI."""

    quantity: str
    unit: str
    factor: float


@dataclass(frozen=True)
class Language:
    """One language's words and the compiled claim pattern."""

    code: str
    locale: str
    markers: frozenset[str]
    scales: tuple[tuple[re.Pattern[str], float], ...]
    number_words: Mapping[str, float]
    qualifiers: tuple[tuple[str, re.Pattern[str]], ...]
    abbreviations: tuple[str, ...]
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class Grammar:
    """All languages plus the shared currency, unit and item words."""

    languages: Mapping[str, Language]
    currencies: tuple[tuple[str, re.Pattern[str]], ...]
    units: tuple[tuple[re.Pattern[str], Unit], ...]
    items: tuple[tuple[str, re.Pattern[str]], ...]


def _alt(words: Iterable[str]) -> str:
    """One alternation, longest first so that "Milliarden" wins over "Milliarde"."""
    return "|".join(sorted(words, key=len, reverse=True))


def _full(words: Iterable[str]) -> re.Pattern[str]:
    return re.compile(rf"(?:{_alt(words)})", re.IGNORECASE)


def _all_words(raw: Mapping[str, Any], key: str, sub: str | None = None) -> list[str]:
    values = raw[key].values() if sub is None else [v[sub] for v in raw[key].values()]
    return [w for ws in values for w in ws]


def _pattern(lang: Mapping[str, Any], raw: Mapping[str, Any]) -> re.Pattern[str]:
    """The claim pattern of one language (case-insensitive; groups named for the parts).

    What is measured (currency, unit, percent, item) is required after the amount unless a
    currency stands before it, so that bare numbers fail here and cost nothing later.
    """
    scale = _alt(w for s in lang["scales"] for w in s["words"])
    words = _alt(re.escape(w) for w in lang["number_words"])
    number = rf"(?:{NUMBER}|(?:{words})(?=\s+(?:{scale})))"
    amount = rf"(?P<NUM>{number})(?:{GAP}(?P<SCALE>{scale})(?![\w]))?"
    first = amount.replace("NUM", "n1").replace("SCALE", "s1")
    second = amount.replace("NUM", "n2").replace("SCALE", "s2")
    quals = _alt(w for ws in lang["qualifiers"].values() for w in ws)
    before = _alt(_all_words(raw, "currencies", "before"))
    after = _alt(_all_words(raw, "currencies", "after"))
    units = _alt(w for u in raw["units"] for w in u["words"])
    items = _alt(_all_words(raw, "items"))
    join = rf"(?(ropen)\s+(?:{_alt(lang['range_join'])})\s+|\s+(?:{_alt(lang['range_to'])})\s+)"
    tail = (
        rf"{GAP}(?:(?P<adj>{lang['currency_adjective']})\s+)?"
        rf"(?:(?P<cur_post>{after})(?![\w])|(?P<unit>{units})(?![\w])"
        rf"|(?P<pct>{_alt(lang['percent'])})(?![\w])"
        rf"|(?P<gap>{ITEM_WORDS})(?P<item>(?:[\w.]+-)*(?:{items}))(?![\w]))"
    )
    return re.compile(
        rf"(?<![\w.,/-])(?:(?P<qual>{quals})\s*)?"
        rf"(?:(?P<ropen>{_alt(lang['range_open'])})\s+)?"
        rf"(?:(?P<cur_pre>{before})\s?)?{first}"
        rf"(?:(?:{DASH}|{join})(?:{before})?\s?{second})?"
        rf"(?:{tail}|(?(cur_pre)|(?!)))"
        rf"(?:\s*(?P<per_month>{_alt(lang['per_month'])})(?![\w])"
        rf"|\s*(?P<per_year>{_alt(lang['per_year'])})(?![\w]))?",
        re.IGNORECASE,
    )


def _language(code: str, lang: Mapping[str, Any], raw: Mapping[str, Any]) -> Language:
    return Language(
        code=code,
        locale=str(lang["locale"]),
        markers=frozenset(str(w) for w in lang["markers"]),
        scales=tuple((_full(s["words"]), float(s["factor"])) for s in lang["scales"]),
        number_words={str(k): float(v) for k, v in lang["number_words"].items()},
        qualifiers=tuple((kind, _full(ws)) for kind, ws in lang["qualifiers"].items()),
        abbreviations=tuple(lang["abbreviations"]),
        pattern=_pattern(lang, raw),
    )


def parse_grammar(raw: Mapping[str, Any], where: str = GRAMMAR_FILE) -> Grammar:
    """A grammar from its YAML mapping; a missing section is a CatalogError naming it."""
    needed = ("languages", "currencies", "units", "items")
    missing = [k for k in needed if k not in raw]
    if missing:
        raise CatalogError([Problem(where, k, "section missing") for k in missing])
    try:
        languages = {c: _language(c, lang, raw) for c, lang in raw["languages"].items()}
    except (KeyError, TypeError, ValueError, re.error) as exc:
        raise CatalogError([Problem(where, "languages", f"malformed: {exc}")]) from exc
    return Grammar(
        languages=languages,
        currencies=tuple(
            (code, _full(c["after"] + c["before"])) for code, c in raw["currencies"].items()
        ),
        units=tuple(
            (_full(u["words"]), Unit(str(u["quantity"]), str(u["unit"]), float(u["factor"])))
            for u in raw["units"]
        ),
        items=tuple((item, _full(words)) for item, words in raw["items"].items()),
    )


@lru_cache(maxsize=1)
def load_grammar() -> Grammar:
    """The shipped grammar (cached: it is data, read once per process)."""
    text = resources.files("gigawatt.claims").joinpath(GRAMMAR_FILE).read_text(encoding="utf-8")
    return parse_grammar(yaml.safe_load(text))
