"""Dates, horizons and durations named by a phrase, as claims of their own.

A date ("bis 2027", "am 14. Mai 2024", "H2 2026") has ``quantity`` "date", its value is the
calendar year (Gregorian, unit "year"; a span has its ends as low/high and its midpoint as
value) and ``date`` is the ISO 8601 form ("2027", "2024-05-14", "2026-07/2026-12"). A day
without a year takes the year written nearest to it (same sentence first), since reports
state the year once; with no year in the text it is no claim. A horizon ("in den nächsten
Jahren", "over the next four years", "letzten Monat") is a signed time from the report's
date in seconds; a duration named without a number ("ein Jahrzehnt") is a duration in seconds.

The report's own date (:func:`find_report_date`: "Published: ...", "Stand: ...", a dateline)
or one the caller gives turns horizons into calendar dates (``date``: "letzten Monat" in a
report of 2025-11-12 is "2025-10") and gives a day without a year its year. Without it,
horizons keep no calendar date: the date of reading is never taken for the report's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from gigawatt.claims.grammar import (
    YEAR,
    YEARS_PER_DECADE,
    Grammar,
    Language,
    Phrase,
    TimeWords,
    parse_number,
)

MONTHS_PER_YEAR = 12
# days of a month, on average, to place a report's day within its month
MONTH_DAYS = 30.44
ISO_DAY_CHARS = len("2025-01-01")
# what a dateline's line may not hold before its date: a digit or a sentence's end, or a
# list bullet (an item of a timeline: "- 14. Mai 2024 – Treffen in Seoul")
_NO_DATELINE = re.compile(r"[\d.!?]|\A\s*[-*•–]\s")
# what may stand between a sentence's start and a year that opens it (quotes, markup)
_OPENING = re.compile(r"[\s\"'„“”»«*#>(\[-]*\Z")

MONTHS_PER_HALF = 6
MONTHS_PER_QUARTER = 3
CENTURY = 100
_YEAR_MENTION = re.compile(rf"(?<![\w.,:/-]){YEAR}")

# (start, end, fields of a Claim)
Found = tuple[int, int, dict[str, Any]]


def _lookup_int(word: str, table: tuple[tuple[re.Pattern[str], int], ...]) -> int | None:
    return next((n for p, n in table if p.fullmatch(word.strip().rstrip("."))), None)


def _phrase(word: str, phrases: tuple[Phrase, ...]) -> Phrase:
    return next(p for p in phrases if p.pattern.fullmatch(word))


def _qualifier(word: str | None, lang: Language) -> str | None:
    if not word:
        return None
    return next((kind for kind, p in lang.qualifiers if p.fullmatch(word)), None)


def _span(low: float, high: float) -> dict[str, Any]:
    """value, low and high of a point (no low/high) or of a span (midpoint as value)."""
    if low == high:
        return {"value": low, "low": None, "high": None}
    return {"value": (low + high) / 2.0, "low": low, "high": high}


def _context_year(at: int, sentence: tuple[int, int], years: list[tuple[int, int]]) -> int | None:
    """The year written nearest ``at``: in its sentence, else the last before, else the first
    after."""
    inside = [(abs(p - at), y) for p, y in years if sentence[0] <= p < sentence[1]]
    if inside:
        return min(inside)[1]
    before = [y for p, y in years if p < at]
    after = [y for p, y in years if p > at]
    return before[-1] if before else after[0] if after else None


def _day(m: re.Match[str], tw: TimeWords, context: int | None) -> tuple[str, float] | None:
    """ISO date and year of a day, a month or a numeric date; None if it is no valid date."""
    if m["iy"] or m["ny"]:
        y, mo, d = (m["iy"], m["im"], m["id"]) if m["iy"] else (m["ny"], m["nm"], m["nd"])
        parts: tuple[int | None, int | None, int | None] = (int(y), int(mo), int(d))
    elif m["dmonth"]:
        year = int(m["dyear"]) if m["dyear"] else context
        parts = (year, _lookup_int(m["dmonth"], tw.months), int(m["day"]))
    elif m["mmonth"]:
        year = int(m["myear"]) if m["myear"] else context
        parts = (year, _lookup_int(m["mmonth"], tw.months), int(m["mday"]))
    else:
        parts = (int(m["yyear"]), _lookup_int(m["ymonth"], tw.months), None)
    year, month, day = parts
    if year is None or month is None:
        return None
    try:
        iso = date(year, month, day or 1).isoformat()
    except ValueError:
        return None
    return (iso if day else iso[:7]), float(year)


def _nearest_period_year(n: int, size: int, report: date | None) -> int | None:
    """The year whose n-th half or quarter lies nearest the report's date ("im vierten
    Quartal" in a report of February 2026 is the one of 2025)."""
    if report is None:
        return None
    mid_month = (n - 1) * size + size / 2.0  # months after the year's start
    at = report.year + (report.month - 1 + report.day / MONTH_DAYS) / MONTHS_PER_YEAR
    return min((report.year + k for k in (-1, 0, 1)), key=lambda y: abs(y + mid_month / 12 - at))


def _period(
    m: re.Match[str], tw: TimeWords, sentence_year: int | None, report: date | None
) -> tuple[str, float] | None:
    """ISO interval of a half or quarter year ("H2 2026", "zweites Quartal 2025"); without
    a year, that of its sentence, else the one nearest the report's date ("H2" alone may be
    hydrogen and needs its year)."""
    n = int(m["hqn"]) if m["hq"] else _lookup_int(m["ord"], tw.ordinals)
    half = (m["hq"] or "").upper() == "H" or bool(m["half"])
    size = MONTHS_PER_HALF if half else MONTHS_PER_QUARTER
    if n is None or n * size > MONTHS_PER_HALF * 2:
        return None
    if m["hqy"]:
        y: int | None = int(m["hqy"])
    elif (m["hq"] or "").upper() == "H":
        return None
    else:
        y = sentence_year or _nearest_period_year(n, size, report)
    if y is None:
        return None
    return f"{y}-{(n - 1) * size + 1:02d}/{y}-{n * size:02d}", float(y)


def _frame_year(m: re.Match[str], sentence: tuple[int, int]) -> dict[str, Any] | None:
    """A bare year that opens its sentence before a verb ("2025 sollen ...") is a date."""
    if not _OPENING.match(m.string, sentence[0], m.start()):
        return None
    year = int(m["fy"])
    return {"quantity": "date", "unit": "year", "qualifier": None, "date": str(year)} | _span(
        year, year
    )


def _years(m: re.Match[str], cue: str | None) -> dict[str, Any] | None:
    """A cued year or span of years ("bis 2027", "von 2025 bis 27"); a cue that opens a
    span ("von", "between") makes no date without its second year."""
    first = int(m["y1"])
    if not m["y2"]:
        return None if cue == "range" else {"date": str(first), **_span(first, first)}
    second = int(m["y2"])
    if second < CENTURY:
        second += first - first % CENTURY
    if second <= first:
        return None
    return {"date": f"{first}/{second}", "qualifier": "range", **_span(first, second)}


def _a_count(m: re.Match[str], tw: TimeWords) -> bool:
    """Whether a cued bare year is rather a count ("für 2000 Haushalte")."""
    cued = bool(m["cue"]) and tw.count_cue.fullmatch(m["cue"]) is not None
    return cued and not m["y2"] and tw.noun_after.match(m.string, m.end()) is not None


def _date(
    m: re.Match[str],
    tw: TimeWords,
    cue: str | None,
    context: tuple[int | None, int | None],
    report: date | None,
) -> dict[str, Any] | None:
    """A date's fields; ``context`` is the year nearest it and the year of its sentence."""
    if m["fy"]:
        return None
    if m["y1"]:
        return None if _a_count(m, tw) else _years(m, cue)
    period = m["hqn"] or m["ord"]
    found = _period(m, tw, context[1], report) if period else _day(m, tw, context[0])
    return None if found is None else {"date": found[0], **_span(found[1], found[1])}


def _shift_month(day: date, months: int) -> str:
    """ISO year-month ``months`` after ``day``'s month."""
    n = day.year * MONTHS_PER_YEAR + day.month - 1 + months
    return f"{n // MONTHS_PER_YEAR:04d}-{n % MONTHS_PER_YEAR + 1:02d}"


def calendar_date(p: Phrase, report: date | None) -> str | None:
    """ISO year, month or span of them that a relative time names, counted from the report's
    date; None without a report date or a calendar meaning."""
    if report is None or p.calendar is None:
        return None
    unit, low, high = p.calendar
    if unit == "decade":  # the decade's last year: 2029 for a report of the 2020s
        last = report.year - report.year % YEARS_PER_DECADE + YEARS_PER_DECADE - 1
        ends = [str(last + low * YEARS_PER_DECADE), str(last + high * YEARS_PER_DECADE)]
    elif unit == "year":
        ends = [str(report.year + low), str(report.year + high)]
    else:
        ends = [_shift_month(report, low), _shift_month(report, high)]
    return ends[0] if low == high else "/".join(ends)


def _time_fields(
    m: re.Match[str],
    g: Grammar,
    lang: Language,
    context: tuple[int | None, int | None],
    report: date | None,
) -> Any:
    """The fields of a time claim from a match, or None."""
    qual = _qualifier(m["tqual"], lang)
    if m["rel"] or m["fixed"]:
        p = _phrase(m["rel"] or m["fixed"], lang.time.relative + lang.time.durations)
        kind = "horizon" if m["rel"] else "duration"
        phrase: dict[str, Any] = {"quantity": kind, "unit": "s", "qualifier": qual or p.qualifier}
        iso = calendar_date(p, report)
        if p.deadline and iso is not None and iso.isdigit():  # one calendar year: a date
            year = {"quantity": "date", "unit": "year", "date": iso}
            return phrase | year | _span(float(iso), float(iso))
        return phrase | _span(p.low, p.high) | {"date": iso}
    if m["within"]:
        unit = next(u for p, u in g.units if p.fullmatch(m["wu"]))
        past = lang.time.within_past.fullmatch(m["within"]) is not None
        seconds = parse_number(m["wn"], lang) * unit.factor * (-1 if past else 1)
        end = None if report is None else report + timedelta(seconds=seconds)
        ends = sorted([report, end]) if report is not None and end is not None else None
        iso = None if ends is None else f"{ends[0]}/{ends[1]}"
        within: dict[str, Any] = {"quantity": "horizon", "unit": "s", "qualifier": qual or "within"}
        return within | _span(seconds, seconds) | {"date": iso}
    cue = _lookup_str(m["cue"], lang.time.cues) if m["cue"] else None
    fields = _date(m, lang.time, cue, context, report)
    if fields is None:
        return None
    qualifier = fields.pop("qualifier", None) or (None if cue == "at" else cue) or qual
    return {"quantity": "date", "unit": "year", "qualifier": qualifier, **fields}


def _lookup_str(word: str, table: tuple[tuple[str, re.Pattern[str]], ...]) -> str | None:
    return next((k for k, p in table if p.fullmatch(word)), None)


def time_claims(
    text: str,
    g: Grammar,
    lang: Language,
    spans: list[tuple[int, int]],
    report: date | None = None,
) -> Iterator[Found]:
    """(start, end, fields) of every date, horizon and phrase-named duration of ``text``;
    ``report`` (the report's date) dates horizons and gives a lone day its year."""
    years = [(y.start(), int(y.group())) for y in _YEAR_MENTION.finditer(text)]
    for m in lang.time.pattern.finditer(text):
        sentence = next(((a, b) for a, b in spans if a <= m.start() < b), (0, len(text)))
        if m["fy"]:
            fields = _frame_year(m, sentence)
        else:
            near = _context_year(m.start(), sentence, years)
            if near is None and report is not None:
                near = report.year
            inside = [(p, y) for p, y in years if sentence[0] <= p < sentence[1]]
            own = _context_year(m.start(), sentence, inside)
            fields = _time_fields(m, g, lang, (near, own), report)
        if fields is not None:
            yield m.start(), m.end(), fields


def _full_day(m: re.Match[str], tw: TimeWords) -> str | None:
    """ISO day of a match that names day, month and year, else None."""
    if not (m["iy"] or m["ny"] or m["dyear"] or m["myear"]):
        return None
    found = _day(m, tw, None)
    return found[0] if found and len(found[0]) == ISO_DAY_CHARS else None


def find_report_date(text: str, g: Grammar) -> tuple[date, list[tuple[int, int]]] | None:
    """The report's own date and the spans where the text states it: a full date after a
    cue on its line ("Published:", "Stand:") anywhere, else the first dateline (a full date
    near the top, its line opening with a place or byline only: no digit, no full stop);
    None when the text states none."""
    rd = g.report_date
    cued: list[tuple[int, int, str]] = []
    datelines: list[tuple[int, int, str]] = []
    for lang in g.languages.values():
        for m in lang.time.pattern.finditer(text):
            iso = _full_day(m, lang.time)
            if iso is None:
                continue
            line = text[text.rfind("\n", 0, m.start()) + 1 : m.start()]
            if rd.cue_before.search(line):
                cued.append((m.start(), m.end(), iso))
            elif (
                m.start() < rd.dateline_chars
                and len(line) <= rd.dateline_prefix_chars
                and not _NO_DATELINE.search(line)
                and rd.dateline_after.match(text, m.end())
            ):
                datelines.append((m.start(), m.end(), iso))
    chosen = min(cued or datelines, default=None)
    if chosen is None:
        return None
    iso = chosen[2]
    spans = sorted({(a, b) for a, b, d in cued + datelines if d == iso})
    return date.fromisoformat(iso), spans
