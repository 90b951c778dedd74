"""The grammar of quantitative claims, read from ``grammar.yaml`` and compiled into one
regular expression per language.

A claim is ``[qualifier] [currency] amount [scale] [adjective] (currency | unit | percent |
counted item) [per day | week | month | year]``, where an amount is a number ("900.000",
"2,5") or a number word before a scale word or unit ("eine Milliarde", "sechs Stunden"), and a
range is two amounts ("zwischen 100 und 200 Millionen", "100-200 MW"). Hyphens may join the
parts ("752-Millionen-Dollar-Deal"). What is measured may be divided by a unit or a counted
item ("$44B per GW", "50.000 GPUs pro Gebäude", "$2 per GPU-hour"; ``ratios`` name the
kind). Scale words of every language are recognised in every sentence and read by their own
evidence (:mod:`gigawatt.claims.extract`), so "$500 billion" in a German report is 10^9.
Two more patterns per language find vague amounts ("Milliarden von Dollar") and
times: dates, horizons and durations named by a phrase ("bis 2027", "in den nächsten
Jahren", "am 14. Mai"). The words live in the data file so that a new currency, unit or
language is an edit there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml
from babel.numbers import NumberFormatError, parse_decimal

from gigawatt.errors import CatalogError, Problem
from gigawatt.units import DAY_S, HOUR_S, MINUTE_S, MONTH_S, QUARTER_S, YEAR_S

GRAMMAR_FILE = "grammar.yaml"
# a digit group: "900.000", "1,234,567", "2,5", "53,6", "500"
NUMBER = r"\d{1,3}(?:[.,\u00a0\u202f]\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?"
# between the parts of a claim: spaces, or a hyphen of a compound ("752-Millionen-Dollar")
GAP = r"[ \u00a0\u202f]*-?[ \u00a0\u202f]*"
DASH = r"[ \u00a0\u202f]*[-\u2013\u2014][ \u00a0\u202f]*"
# where a scaled amount that names nothing may end: a clause ends ("davon knapp 1,2
# Milliarden.", "up from 1.3 million,"); it then measures what the claim before it does
BARE_END = r"(?=[ \u00a0]*(?:[.,;:!?)\]\n\u2013\u2014]|$))"
# up to two words between an amount and the item counted ("100.000 Nvidia-GPUs", "400,000
# GB200 chips"), as few as will do ("72 GPUs pro Rack" counts GPUs)
ITEM_WORDS = r"(?:[^\W\d][\w.]*[ \u00a0])??(?:[^\W\d][\w.]*[ \u00a0])??"
# a calendar year as reports write them; not part of a longer number or name
YEAR = r"(?:19|20)\d{2}(?![\w]|[.,]\d)"
DAYS_PER_WEEK = 7
YEARS_PER_DECADE = 10
# seconds of the time units the grammar names (Julian year and month, as everywhere in gigawatt)
TIME_UNIT_S = {
    "minute": MINUTE_S,
    "hour": HOUR_S,
    "day": DAY_S,
    "week": DAYS_PER_WEEK * DAY_S,
    "month": MONTH_S,
    "quarter": QUARTER_S,
    "year": YEAR_S,
    "decade": YEARS_PER_DECADE * YEAR_S,
}


@dataclass(frozen=True)
class Unit:
    """A physical unit word: its quantity kind, SI unit and factor to SI (and the item a
    rate unit counts, "wspm" counting wafers)."""

    quantity: str
    unit: str
    factor: float
    item: str | None = None


@dataclass(frozen=True)
class Phrase:
    """A phrase that names a value without a number: a vague amount ("Milliarden von") or a
    relative time ("in den nächsten Jahren"), with its range (SI seconds for times)."""

    pattern: re.Pattern[str]
    low: float
    high: float
    qualifier: str | None = None
    money: bool = False
    # the calendar years or months a relative time names: ("year" | "month" | "decade", low,
    # high) offsets from the report's year, month or decade
    calendar: tuple[str, int, int] | None = None
    # a deadline that names one calendar year ("bis Ende des Jahrzehnts"): a date claim once
    # the report's date is known
    deadline: bool = False


@dataclass(frozen=True)
class TimeWords:
    """One language's words for dates, horizons and durations, and their compiled pattern."""

    months: tuple[tuple[re.Pattern[str], int], ...]
    within_past: re.Pattern[str]
    cues: tuple[tuple[str, re.Pattern[str]], ...]
    ordinals: tuple[tuple[re.Pattern[str], int], ...]
    relative: tuple[Phrase, ...]
    durations: tuple[Phrase, ...]
    pattern: re.Pattern[str]
    count_cue: re.Pattern[str]
    noun_after: re.Pattern[str]
    date_cue_before: re.Pattern[str]


@dataclass(frozen=True)
class Language:
    """One language's words and the compiled claim patterns."""

    code: str
    locale: str
    markers: frozenset[str]
    # the language's own grammar words (scales, percent, qualifiers, per, months) that no
    # other language shares: evidence where function words are too few ("18 Cent pro kWh")
    lexicon: frozenset[str]
    letters: str
    scales: tuple[tuple[re.Pattern[str], float], ...]
    number_words: Mapping[str, float]
    qualifiers: tuple[tuple[str, re.Pattern[str]], ...]
    abbreviations: tuple[str, ...]
    pattern: re.Pattern[str]
    per: tuple[tuple[re.Pattern[str], float], ...]
    reading_time: re.Pattern[str]
    vague: tuple[Phrase, ...]
    vague_pattern: re.Pattern[str]
    time: TimeWords
    naming: re.Pattern[str]
    year_frame: re.Pattern[str]
    currency_first: bool = False
    # a change: "from" right before a range ("from 150,000 to 180,000"), and "von N auf"
    # right before a claim ("von 150.000 auf 180.000 Wafer"), number and scale named cn, cs
    change_from: re.Pattern[str] = re.compile("(?!)")
    change_to: re.Pattern[str] = re.compile("(?!)")
    change_join: str = "(?!)"
    not_after_noun: re.Pattern[str] = re.compile("(?!)")
    # the hundredth of the language's usual currency ("18 Cent pro Kilowattstunde" is EUR)
    cents: tuple[re.Pattern[str], str] | None = None
    # rate words right after an amount of a rate kind ("10 TWh im Jahr"): group "per" and
    # seconds per period; and words before the amount that make it a rate ("Jährlicher
    # Strombedarf: etwa 2,2 TWh")
    per_amount: tuple[re.Pattern[str], float] | None = None
    rate_before: tuple[re.Pattern[str], float] | None = None
    # a counted item that divides the amount after it ("pro Rack sind bis zu 600 kW")
    ratio_before: re.Pattern[str] = re.compile("(?!)")


@dataclass(frozen=True)
class Grammar:
    """All languages plus the shared currency, unit and item words."""

    languages: Mapping[str, Language]
    currencies: tuple[tuple[str, re.Pattern[str]], ...]
    units: tuple[tuple[re.Pattern[str], Unit], ...]
    items: tuple[tuple[str, re.Pattern[str]], ...]
    # (quantity divided, what it is divided by) -> the ratio's quantity kind
    ratios: Mapping[tuple[str, str], str]
    report_date: ReportDateWords
    # a number word counts items from this value on ("zwei Rechenzentren"; "one data
    # center" is no quantitative claim)
    min_word_count: float
    # the quantity kinds that a language's per_amount and rate_before words make a rate
    rate_kinds: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ReportDateWords:
    """How a report states its own date: cue words before a date on its line, and where a
    dateline may stand (within ``dateline_chars`` of the start, at most
    ``dateline_prefix_chars`` into its line)."""

    cue_before: re.Pattern[str]
    dateline_chars: int
    dateline_prefix_chars: int
    dateline_after: re.Pattern[str]


def _alt(words: Iterable[str]) -> str:
    """One alternation, longest first so that "Milliarden" wins over "Milliarde"."""
    return "|".join(sorted(words, key=len, reverse=True))


def _full(words: Iterable[str]) -> re.Pattern[str]:
    return re.compile(rf"(?:{_alt(words)})", re.IGNORECASE)


def _all_words(raw: Mapping[str, Any], key: str, sub: str | None = None) -> list[str]:
    values = raw[key].values() if sub is None else [v[sub] for v in raw[key].values()]
    return [w for ws in values for w in ws]


def _quals(lang: Mapping[str, Any]) -> str:
    return _alt(w for ws in lang["qualifiers"].values() for w in ws)


def _unit_words(raw: Mapping[str, Any], duration: bool | None = None) -> str:
    """The unit words (all, or only those of durations / of other quantities)."""
    return _alt(
        w
        for u in raw["units"]
        if duration is None or (u["quantity"] == "duration") == duration
        for w in u["words"]
    )


def _lexicon(lang: Mapping[str, Any]) -> frozenset[str]:
    """Plain words of three letters or more in the language's grammar words."""
    t = lang["time"]
    phrases = [
        *(w for s in lang["scales"] for w in s["words"]),
        *(w for ws in lang["qualifiers"].values() for w in ws),
        *(w for ws in lang["per"].values() for w in ws),
        *lang["percent"],
        *lang["ratio_by"],
        *lang["range_to"],
        *lang["naming"],
        *lang.get("cents", {}).get("words", []),
        *t["months"],
    ]
    return frozenset(
        w.lower() for p in phrases for w in re.findall(r"[^\W\d_]{3,}", re.sub(r"\(\?-i:", "", p))
    )


def _cent_words(raw: Mapping[str, Any]) -> list[str]:
    return [w for lg in raw["languages"].values() for w in lg.get("cents", {}).get("words", [])]


def parse_number(text: str, lang: Language) -> float:
    """A number as written in ``lang``, or its number word ("eine" -> 1). A separator not
    followed by exactly three digits is a decimal mark whatever the locale ("1.65" in German
    text, "2,5" in English text); otherwise the locale's separators hold (babel)."""
    word = lang.number_words.get(text.lower())
    if word is not None:
        return word
    cleaned = text.replace("\u00a0", "").replace("\u202f", "")
    seps = re.findall(r"[.,]", cleaned)
    if len(seps) == 1 and not re.search(r"[.,]\d{3}$", cleaned):
        return float(cleaned.replace(",", "."))
    try:
        return float(parse_decimal(cleaned, locale=lang.locale))
    except NumberFormatError:
        return float(cleaned.replace(",", "").replace(".", ""))


def _pattern(lang: Mapping[str, Any], raw: Mapping[str, Any]) -> re.Pattern[str]:
    """The claim pattern of one language (case-insensitive; groups named for the parts).

    What is measured (currency, unit, percent, item) is required after the amount unless a
    currency stands before it, so that bare numbers fail here and cost nothing later; after a
    currency symbol no counted item, unit or percent follows ("$500 billion in data centers"
    is money, "$1.4 trillion to 30 GW" no range).
    """
    # scale words of every language: each is read by its own evidence ("$500 billion" in a
    # German text is English usage)
    scale = _alt(w for lg in raw["languages"].values() for s in lg["scales"] for w in s["words"])
    units = _unit_words(raw)
    items = _alt(_all_words(raw, "items"))
    countable = _alt(w for k in raw.get("word_countable", []) for w in raw["items"][k]) or "(?!)"
    articles = _alt(re.escape(w) for w in lang["articles"])
    words = _alt(re.escape(w) for w in lang["number_words"] if w not in lang["articles"])
    number = (
        rf"(?:{NUMBER}|(?:{articles})(?=[\s-]+(?:{scale})(?![\w]))"
        rf"|(?:{articles})(?=[\s-]+(?:{_unit_words(raw, duration=False)})(?![\w-]))"
        rf"|(?:{words})(?=[\s-]+(?:{scale}|{units})(?![\w]))"
        rf"|(?P<word>{words})(?=[\s-]+{ITEM_WORDS}(?:[\w.]+-)*(?:{countable})(?![\w])))"
    )
    amount = rf"(?P<NUM>{number})(?:{GAP}(?P<SCALE>{scale})(?![\w]))?"
    first = amount.replace("NUM", "n1").replace("SCALE", "s1")
    second = amount.replace("NUM", "n2").replace("SCALE", "s2").replace("?P<word>", "?:")
    before = _alt(_all_words(raw, "currencies", "before"))
    after = _alt([*_all_words(raw, "currencies", "after"), *_cent_words(raw)])
    join = rf"(?(ropen)\s+(?:{_alt(lang['range_join'])})\s+|\s+(?:{_alt(lang['range_to'])})\s+)"
    per = _alt(w for ws in lang["per"].values() for w in ws)
    # one word ("of" one word) may stand between a quantity and a distributive word ("1 GW
    # online every quarter", "50 MW IT-Leistung pro Rumpf", "5 million gallons of water per
    # day")
    gap = (
        rf"(?:\s+(?:(?:{_alt(lang['vague_of'])})\s+)?[^\W\d][\w-]*"
        rf"(?=\s+(?:{_alt(lang['per_strong'])})\s))?"
    )
    ratio = (
        rf"(?:{gap}\s*(?:{_alt(lang['ratio_by'])})\s*"
        rf"(?:(?P<den_unit>{_unit_words(raw, duration=False)})(?![\w])"
        rf"|(?P<den_item>(?:[\w.]+-)*(?:{items}))"
        rf"(?:[\s-](?P<den_time>{_unit_words(raw, duration=True)}))?(?![\w])))?"
    )
    tail = (
        rf"{GAP}(?:(?P<adj>{lang['currency_adjective']})\s+)?"
        rf"(?:(?P<cur_post>{after})(?![\w])"
        rf"|(?(cur_pre)(?!)|(?:(?P<unit>{units})(?![\w])(?!-old)"
        rf"|(?P<pct>{_alt(lang['percent'])})(?![\w])"
        rf"|(?P<gap>{ITEM_WORDS})(?P<item>(?:[\w.]+-)*(?:{items}))(?![\w]))))"
    )
    return re.compile(
        rf"(?<![\w.,/-])(?:(?P<per_pre>{per})\s+)?(?:(?P<qual>{_quals(lang)})\s*)?"
        rf"(?:(?P<ropen>{_alt(lang['range_open'])})\s+)?"
        rf"(?:(?P<cur_pre>{before})\s?)?{first}"
        # a range whose first amount has a scale word has one on its second ("$38 billion
        # to $42 billion"; "$1.4 trillion to 30 GW" is no range)
        rf"(?:(?:{DASH}|{join})(?:{before})?\s?{second}(?(s1)(?(s2)|(?!))))?"
        rf"(?:{tail}|(?(cur_pre)|(?(s1){BARE_END}|(?(s2){BARE_END}|(?!))))){ratio}"
        rf"(?:{gap}\s*(?P<per>{per})(?![\w])(?!\s+(?:{_alt(lang['not_a_rate'])})\b|\s+\d))?",
        re.IGNORECASE,
    )


def _vague_pattern(lang: Mapping[str, Any], raw: Mapping[str, Any]) -> re.Pattern[str]:
    """Vague amounts: a plural scale word before a currency or a counted item ("Milliarden
    von Dollar", "millions of devices"), or a word that is a sum by itself ("in
    Milliardenhöhe"); never right after a number ("100 Millionen Dollar" is exact)."""
    vague = _alt(w for v in lang["vague"] for w in v["words"])
    money = _alt(w for v in lang["vague_money"] for w in v["words"]) or "(?!)"
    after = _alt(_all_words(raw, "currencies", "after"))
    items = _alt(_all_words(raw, "items"))
    return re.compile(
        rf"(?<![\w.,])(?<![\d.,]\s)(?:(?P<qual>{_quals(lang)})\s+)?"
        rf"(?:(?P<vague>{vague})(?:[\s-]+(?:{_alt(lang['vague_of'])}))?[\s-]+"
        rf"(?:(?P<adj>{lang['currency_adjective']})\s+)?"
        rf"(?:(?P<cur>{after})(?![\w])|(?P<item>(?:[\w.]+-)*(?:{items}))(?![\w]))"
        rf"|(?P<money>{money})(?![\w]))",
        re.IGNORECASE,
    )


def _time_pattern(lang: Mapping[str, Any], raw: Mapping[str, Any]) -> re.Pattern[str]:
    """Dates ("am 14. Mai 2024", "H2 2026", "bis 2027", "von 2025 bis 2027"), relative
    horizons ("in den nächsten Jahren", "over the next four years") and durations named by
    a phrase ("ein Jahrzehnt"). A bare year needs a cue word before it."""
    t = lang["time"]
    months = _alt(t["months"])
    number_words = (w for w in lang["number_words"] if w not in lang["articles"])
    count = rf"\d+(?:[.,]\d+)?|{_alt(re.escape(w) for w in number_words)}"
    join = rf"(?:\s*[-\u2013]\s*|\s+(?:{_alt(t['year_join'])})\s+)"
    dates = (
        rf"(?P<iy>{YEAR})-(?P<im>[01]\d)-(?P<id>[0-3]\d)(?!\d)"
        rf"|(?P<nd>[0-3]?\d)\.(?P<nm>[01]?\d)\.(?P<ny>{YEAR})"
        rf"|(?P<day>[0-3]?\d)(?:\.|st|nd|rd|th)?\s*(?:of\s+)?(?P<dmonth>{months})(?![\w])\.?"
        rf"(?:,?\s+(?P<dyear>{YEAR}))?"
        rf"|(?P<mmonth>{months})\.?\s+(?P<mday>[0-3]?\d)(?:st|nd|rd|th)?(?![\d:]|[.,]\d)"
        rf"(?:,?\s+(?P<myear>{YEAR}))?"
        rf"|(?P<ymonth>{months})\.?\s+(?P<yyear>{YEAR})"
        rf"|(?:(?P<hq>[HQ])(?P<hqn>[1-4])|(?P<ord>{_alt(t['ordinals'])})\s+"
        rf"(?:(?P<half>{_alt(t['half'])})|(?P<quarter>{_alt(t['quarter'])})))"
        rf"(?:(?:\s+(?:{_alt(t['of'])}))?[\s/-]+(?P<hqy>{YEAR}))?(?![\w])"
        rf"|(?(cue)(?P<y1>{YEAR})(?:{join}(?P<y2>(?:19|20)?\d{{2}})(?![\w]|[.,]\d))?|(?!))"
        rf"|(?P<fy>{YEAR})(?=,?\s+{lang['year_frame']})"
    )
    cues = _alt(w for ws in t["cues"].values() for w in ws)
    return re.compile(
        rf"(?<![\w.,:/-])(?:(?P<tqual>{_quals(lang)})\s+)?(?:"
        rf"(?P<rel>{_alt(w for r in t['relative'] for w in r['words'])})(?![\w])"
        rf"(?![ \u00a0]+{YEAR})"
        rf"|(?P<fixed>{_alt(w for r in t['durations'] for w in r['words'])})(?![\w])"
        rf"|(?P<within>{_alt([*t['within'], *t['within_past']])})\s+(?P<wn>{count})[\s-]+"
        rf"(?P<wu>{_unit_words(raw, duration=True)})(?![\w])"
        rf"|(?:(?P<cue>{cues})(?:\s+|-)(?:(?:{_alt(t['articles'])})\s+)?)?(?:{dates}))",
        re.IGNORECASE,
    )


def _months_s(value: Any) -> tuple[float, float]:
    """(low, high) seconds of a ``months`` entry: one number or a [low, high] pair."""
    low, high = (value, value) if isinstance(value, (int, float)) else value
    return float(low) * MONTH_S, float(high) * MONTH_S


def _calendar(spec: Mapping[str, Any] | None) -> tuple[str, int, int] | None:
    """("year" | "month", low, high) of a ``calendar`` entry ({year: -1}, {year: [1, 5]})."""
    if not spec:
        return None
    ((unit, offset),) = spec.items()
    low, high = (offset, offset) if isinstance(offset, int) else offset
    return str(unit), int(low), int(high)


def _phrases(entries: Iterable[Mapping[str, Any]], kind: str) -> tuple[Phrase, ...]:
    """Vague amounts (``value``/``high``) or relative times (``months``) as phrases."""
    out = []
    for e in entries:
        low, high = (
            _months_s(e["months"]) if kind == "time" else (float(e["value"]), float(e["high"]))
        )
        phrase = Phrase(_full(e["words"]), low, high, e.get("qualifier"), kind == "money")
        calendar = _calendar(e.get("calendar"))
        out.append(replace(phrase, calendar=calendar, deadline=bool(e.get("deadline"))))
    return tuple(out)


def _time_words(lang: Mapping[str, Any], raw: Mapping[str, Any]) -> TimeWords:
    t = lang["time"]
    return TimeWords(
        months=tuple((_full([m]), int(n)) for m, n in t["months"].items()),
        within_past=_full(t["within_past"]),
        cues=tuple((kind, _full(ws)) for kind, ws in t["cues"].items()),
        ordinals=tuple((_full([o]), int(n)) for o, n in t["ordinals"].items()),
        relative=_phrases(t["relative"], "time"),
        durations=_phrases(t["durations"], "time"),
        pattern=_time_pattern(lang, raw),
        count_cue=_full(t["count_cues"] or ["(?!)"]),
        noun_after=re.compile(rf"\s+{t['noun']}"),
        date_cue_before=re.compile(
            rf"(?<![\w])(?:{_alt(w for k, ws in t['cues'].items() if k != 'at' for w in ws)})\s+\Z",
            re.IGNORECASE,
        ),
    )


def _language(code: str, lang: Mapping[str, Any], raw: Mapping[str, Any]) -> Language:
    return Language(
        code=code,
        locale=str(lang["locale"]),
        markers=frozenset(str(w) for w in lang["markers"]),
        lexicon=_lexicon(lang),
        letters=str(lang.get("letters", "")),
        scales=tuple((_full(s["words"]), float(s["factor"])) for s in lang["scales"]),
        number_words={str(k): float(v) for k, v in lang["number_words"].items()},
        qualifiers=tuple((kind, _full(ws)) for kind, ws in lang["qualifiers"].items()),
        abbreviations=tuple(lang["abbreviations"]),
        pattern=_pattern(lang, raw),
        per=tuple((_full(ws), TIME_UNIT_S[unit]) for unit, ws in lang["per"].items()),
        reading_time=re.compile(rf"\s*(?:{_alt(lang['reading_time'])})\b", re.IGNORECASE),
        vague=_phrases(lang["vague"], "amount") + _phrases(lang["vague_money"], "money"),
        vague_pattern=_vague_pattern(lang, raw),
        time=_time_words(lang, raw),
        naming=re.compile(rf"\s+(?:{_alt(lang['naming'])})\b", re.IGNORECASE),
        year_frame=re.compile(rf",?\s+{lang['year_frame']}", re.IGNORECASE),
        currency_first=bool(lang.get("currency_first", False)),
        change_join=_alt(lang["change_to"]),
        not_after_noun=_full(lang["not_after_noun"] or ["(?!)"]),
        change_from=re.compile(rf"(?<![\w])(?:{_alt(lang['change_from'])})\s+\Z", re.I),
        change_to=re.compile(
            rf"(?<![\w])(?:{_alt(lang['change_from'])})\s+(?P<cn>{NUMBER})"
            rf"(?:{GAP}(?P<cs>{_alt(w for s in lang['scales'] for w in s['words'])})(?![\w]))?"
            rf"\s+(?:{_alt(lang['change_to'])})\s+\Z",
            re.I,
        ),
        cents=(_full(lang["cents"]["words"]), str(lang["cents"]["currency"]))
        if "cents" in lang
        else None,
        per_amount=_rate_words(lang, "per_amount", before=False),
        rate_before=_rate_words(lang, "rate_before", before=True),
        ratio_before=_ratio_before(lang, raw),
    )


def _rate_words(
    lang: Mapping[str, Any], key: str, before: bool
) -> tuple[re.Pattern[str], float] | None:
    """The one-period rate words of ``key`` ({period: [words]}) and the period's seconds:
    after an amount (one word may stand between; never before a number: "im Jahr 2024" is
    a date), or before it (up to four words and a colon between: "Jährlicher Strombedarf:
    etwa")."""
    spec = lang.get(key)
    if not spec:
        return None
    ((period, words),) = spec.items()
    if before:
        gap = r"(?:\s+[^\W\d][\w-]*){1,4}(?:\s*:)?\s*\Z"
        return re.compile(rf"(?<![\w])(?:{_alt(words)}){gap}", re.I), TIME_UNIT_S[period]
    tail = rf"(?![\w])(?!\s+(?:{_alt(lang['not_a_rate'])})\b|\s+\d)"
    pattern = re.compile(rf"(?:\s+[^\W\d][\w-]*)??\s+(?P<per>{_alt(words)}){tail}", re.I)
    return pattern, TIME_UNIT_S[period]


def _ratio_before(lang: Mapping[str, Any], raw: Mapping[str, Any]) -> re.Pattern[str]:
    """A distributive word and a counted item before an amount, a verb or two between
    ("pro Rack sind bis zu 600 kW", "per rack, up to 600 kW"); group "item"."""
    items = _alt(_all_words(raw, "items"))
    return re.compile(
        rf"(?<![\w])(?:{_alt(lang['per_strong'])})\s+(?P<item>(?:[\w.]+-)*(?:{items}))"
        rf"(?:[\s,:]+[^\W\d][\w-]*){{0,2}}[\s,:]+\Z",
        re.I,
    )


def _unit(u: Mapping[str, Any]) -> Unit:
    if "time" in u:
        factor = TIME_UNIT_S[u["time"]]
    elif "per_time" in u:
        factor = 1.0 / TIME_UNIT_S[u["per_time"]]
    else:
        factor = float(u["factor"])
    item = u.get("item")
    return Unit(str(u["quantity"]), str(u["unit"]), factor, None if item is None else str(item))


def _report_date(raw: Mapping[str, Any]) -> ReportDateWords:
    r = raw["report_date"]
    return ReportDateWords(
        cue_before=re.compile(rf"(?<![\w])(?:{_alt(r['cues'])})\b[^\n\d]{{0,24}}\Z", re.I),
        dateline_chars=int(r["dateline_chars"]),
        dateline_prefix_chars=int(r["dateline_prefix_chars"]),
        dateline_after=re.compile(str(r["dateline_after"]), re.MULTILINE),
    )


def parse_grammar(raw: Mapping[str, Any], where: str = GRAMMAR_FILE) -> Grammar:
    """A grammar from its YAML mapping; a missing section is a CatalogError naming it."""
    needed = ("languages", "currencies", "units", "items", "ratios", "report_date")
    missing = [k for k in needed if k not in raw]
    if missing:
        raise CatalogError([Problem(where, k, "section missing") for k in missing])
    try:
        languages = {c: _language(c, lang, raw) for c, lang in raw["languages"].items()}
        units = tuple((_full(u["words"]), _unit(u)) for u in raw["units"])
        ratios = {(str(r["of"]), str(r["per"])): str(r["quantity"]) for r in raw["ratios"]}
        report_date = _report_date(raw)
    except (KeyError, TypeError, ValueError, re.error) as exc:
        raise CatalogError([Problem(where, "languages", f"malformed: {exc}")]) from exc
    # a grammar word is evidence of a language only where no other language has it
    own = {c: lang.lexicon for c, lang in languages.items()}
    for code, lang in list(languages.items()):
        others = set().union(*(words for c, words in own.items() if c != code))
        languages[code] = replace(lang, lexicon=lang.lexicon - others)
    return Grammar(
        languages=languages,
        currencies=tuple(
            (code, _full(c["after"] + c["before"])) for code, c in raw["currencies"].items()
        ),
        units=units,
        items=tuple((item, _full(words)) for item, words in raw["items"].items()),
        ratios=ratios,
        report_date=report_date,
        min_word_count=float(raw.get("min_word_count", 2)),
        rate_kinds=frozenset(str(k) for k in raw.get("rate_kinds", [])),
    )


@lru_cache(maxsize=1)
def load_grammar() -> Grammar:
    """The shipped grammar (cached: it is data, read once per process)."""
    text = resources.files("gigawatt.claims").joinpath(GRAMMAR_FILE).read_text(encoding="utf-8")
    return parse_grammar(yaml.safe_load(text))
