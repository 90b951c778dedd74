"""Rule-based extraction of quantitative claims from German and English text.

Three patterns of the language's grammar (:mod:`gigawatt.claims.grammar`) find candidates:
numbers with what they measure (a currency, a unit, a percent or a counted item; bare
numbers such as page ids are not claims), vague amounts ("Milliarden von Dollar") and times
(:mod:`gigawatt.claims.when`). Where candidates overlap, the longest wins ("in den nächsten
vier Jahren" is one horizon, not a duration). Each quantitative claim then carries the date or
horizon written nearest to it in its sentence (``when``, ``when_date``).

The language is read per sentence (a quoted English sentence in a German report is English),
and a scale word by its own evidence: "$500 billion" is 10^9 in any text, a German "Billion"
10^12 only in a German sentence. The report's date, stated in the text or given by the
caller, dates horizons; the statement of it is no claim.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from gigawatt.claims.grammar import Grammar, Language, load_grammar, parse_number
from gigawatt.claims.when import Found, find_report_date, time_claims
from gigawatt.errors import InputError, Problem

# calendar years: a bare four-digit integer in this span, with words between it and a counted
# item, is a date ("im Jahr 2024 neue Chips"), not a count
YEAR_LIKE = (1900, 2100)
SENTENCE_END = re.compile(r"[.!?][\"'”“»)\]]*(?=\s)|\n\s*")
TIME_QUANTITIES = ("date", "horizon")
# characters before a number searched for a date cue ("bis Ende", "by the end of")
CUE_WINDOW = 24
# characters before a claim searched for the words that change its reading ("Vertrag
# über", "von 150.000 auf"): longer than any such phrase
LOOK_BACK = 80
# a capitalised word (a German noun) right before a position
_NOUN_BEFORE = re.compile(r"(?<![\w])[A-ZÄÖÜ][\w-]*\s+\Z")
# the currency code of a sum whose currency the text does not name (ISO 4217 "no currency")
NO_CURRENCY = "XXX"
# a scale word standing for an amount of what came before is written out ("Milliarden",
# "Mio."), never a one-letter abbreviation ("300 m" is rather metres)
MIN_BARE_SCALE = 3
# a cent is a hundredth of its currency
CENT = 0.01


@dataclass(frozen=True)
class Claim:
    """One quantitative claim: where it is, what it measures and its normalised value.

    ``value`` is in SI units (W, J, s for durations and horizons, 1/s for rates of counts,
    W/s for a power added per unit of time, 1 for counts and shares) or, for money, in units
    of ``unit`` (a currency code; "XXX" where the text names none), with ``value_usd``
    converted at the catalog's dated rate (None where the catalog has no rate). A date's
    value is its calendar year (unit "year") and ``date`` its ISO 8601 form. A range keeps
    ``low`` and ``high`` and its midpoint as ``value``; a vague amount ("Milliarden",
    qualifier "vague") has its order of magnitude as ``value`` and ``low``. ``when`` and
    ``when_date`` are the text and ISO date of the date or horizon nearest to the claim in
    its sentence. A ratio ("$44B per GW", "50.000 GPUs pro Gebäude") divides by a unit (its
    SI unit then ends in "/W", "/J", "/s") or by the item named in ``per``.
    ``report_date`` is the report's own date (ISO); None says the report states none and
    the caller gave none, so horizons carry no calendar ``date``.
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
    date: str | None = None
    when: str | None = None
    when_date: str | None = None
    per: str | None = None
    report_date: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _evidence(text: str, g: Grammar) -> dict[str, tuple[int, int, bool]]:
    """Each language's evidence in ``text``: its function words, its own grammar words
    ("Mrd.", "pro", "percent") and whether its own letters occur."""
    words = re.findall(r"[^\W\d_]+", text.lower())
    return {
        code: (
            sum(w in lang.markers for w in words),
            sum(w in lang.lexicon for w in words),
            bool(lang.letters and re.search(f"[{lang.letters}]", text)),
        )
        for code, lang in g.languages.items()
    }


def _leader(evidence: dict[str, tuple[int, int, bool]]) -> str | None:
    """The one language with the most evidence (function words first), or None."""
    best = max(evidence.values())
    leaders = [code for code, e in evidence.items() if e == best]
    return leaders[0] if len(leaders) == 1 else None


def detect_language(text: str, grammar: Grammar | None = None) -> str:
    """The grammar language whose function words are most frequent in ``text``; on a tie
    (a short text), the one whose own grammar words or letters it uses, else one without
    letters of its own."""
    g = grammar or load_grammar()
    leader = _leader(_evidence(text, g))
    if leader is not None:
        return leader
    return next((c for c, lang in g.languages.items() if not lang.letters), next(iter(g.languages)))


def _scale(word: str | None, lang: Language, g: Grammar, currency_first: bool) -> float:
    """The factor of a scale word by its own evidence: the one factor of every language
    that has the word; where they differ ("Billion"), that of a language writing the
    currency first when a currency stands before the amount, else the sentence's."""
    if not word:
        return 1.0
    found = [
        (code, factor)
        for code, other in g.languages.items()
        for pattern, factor in other.scales
        if pattern.fullmatch(word)
    ]
    if len({f for _, f in found}) > 1:
        first = {c for c, other in g.languages.items() if other.currency_first}
        wanted = first if currency_first else {lang.code}
        found = [f for f in found if f[0] in wanted] or found
    return found[0][1] if found else 1.0


def _lookup(word: str, table: tuple[tuple[str, re.Pattern[str]], ...]) -> str | None:
    for name, pattern in table:
        if pattern.fullmatch(word):
            return name
    return None


def _item(word: str, g: Grammar) -> str | None:
    return _lookup(word.rsplit("-", 1)[-1], g.items)


def _back(m: re.Match[str]) -> int:
    """Where to start looking for words right before a match (a bounded window, so that
    a long report is not searched from its start for each claim)."""
    return max(0, m.start() - LOOK_BACK)


def _qualifier(m: re.Match[str], lang: Language) -> str | None:
    if m["n2"]:
        return "range"
    if not m["qual"]:
        return None
    if lang.not_after_noun.fullmatch(m["qual"]) and _NOUN_BEFORE.search(
        m.string, _back(m), m.start()
    ):
        return None  # "ein Vertrag über 1,3 Billionen Won"
    return _lookup(m["qual"], lang.qualifiers)


def _kind(
    m: re.Match[str], g: Grammar, lang: Language
) -> tuple[str, str, float, str | None] | None:
    """(quantity, unit, factor to SI, item) of a match, or None when nothing is measured."""
    currency = m["cur_post"] or m["cur_pre"]
    if lang.cents is not None and m["cur_post"] and lang.cents[0].fullmatch(m["cur_post"]):
        return "money", lang.cents[1], CENT, None
    if currency:
        code = _lookup(currency.strip(), g.currencies)
        return None if code is None else ("money", code, 1.0, None)
    if m["unit"]:
        for pattern, unit in g.units:
            if pattern.fullmatch(m["unit"]):
                return unit.quantity, unit.unit, unit.factor, unit.item
    if m["pct"]:
        return "share", "1", 0.01, None
    if m["item"]:
        item = _item(m["item"], g)
        return None if item is None else ("count", "1", 1.0, item)
    return None


def _is_date(m: re.Match[str], value: float) -> bool:
    bare = not (m["s1"] or m["qual"] or m["n2"]) and re.fullmatch(r"\d{4}", m["n1"])
    return bool(bare and YEAR_LIKE[0] <= value <= YEAR_LIKE[1] and m["gap"])


def _per_time(fields: dict[str, Any], per_s: float) -> dict[str, Any]:
    """A claim's fields as a rate: its value per second ("pro Monat", "a week")."""
    quantity, unit = fields["quantity"], fields["unit"]
    rate: dict[str, Any] = {
        "quantity": "rate" if quantity == "count" else f"{quantity}_rate",
        "unit": f"{unit}/s" if unit != "1" else "1/s",
    }
    for key in ("value", "low", "high"):
        rate[key] = None if fields[key] is None else fields[key] / per_s
    return fields | rate


def _ratio(m: re.Match[str], g: Grammar, fields: dict[str, Any]) -> dict[str, Any]:
    """A claim's fields divided by the unit or item after "per"/"pro" ("$44B per GW" is
    44 USD/W); unchanged where the grammar names no such ratio."""
    if m["den_unit"]:
        u = next(u for p, u in g.units if p.fullmatch(m["den_unit"]))
        den, by, per, si = u.quantity, u.factor, None, u.unit
    elif m["den_item"]:
        timed = m["den_time"] is not None
        by = next(u.factor for p, u in g.units if p.fullmatch(m["den_time"])) if timed else 1.0
        den, per, si = ("item_time" if timed else "item"), _item(m["den_item"], g), "s"
    else:
        return fields
    quantity = g.ratios.get((fields["quantity"], den))
    if quantity is None:
        return fields
    unit = fields["unit"] if den == "item" else f"{fields['unit']}/{si}"
    scaled = {k: None if fields[k] is None else fields[k] / by for k in ("value", "low", "high")}
    return fields | scaled | {"quantity": quantity, "unit": unit, "per": per}


Kind = tuple[str, str, float, str | None]


def _bare(m: re.Match[str]) -> bool:
    """Whether a match is a scaled amount that names nothing measured ("1,2 Milliarden")."""
    named = ("cur_pre", "cur_post", "unit", "pct", "item")
    scale = m["s2"] or m["s1"] or ""
    return not any(m[k] for k in named) and len(scale.rstrip(".")) >= MIN_BARE_SCALE


def _claim(
    m: re.Match[str], g: Grammar, lang: Language, kind: Kind | None
) -> dict[str, Any] | None:
    """The fields of a claim from one pattern match and what it measures (None if
    nothing)."""
    if kind is None:
        return None
    quantity, unit, factor, item = kind
    if item is not None and lang.naming.match(m.string, m.end()):
        return None  # "zwei KI-Chips namens Mach-1": names, not a count
    currency_first = m["cur_pre"] is not None
    scale2 = _scale(m["s2"], lang, g, currency_first)
    scale1 = _scale(m["s1"], lang, g, currency_first) if m["s1"] else scale2
    low = parse_number(m["n1"], lang) * scale1 * factor
    if item is not None and _is_date(m, low):
        return None
    if m["word"] and low < g.min_word_count:
        return None  # "one data center": a single item is no quantitative claim
    high = parse_number(m["n2"], lang) * scale2 * factor if m["n2"] else None
    fields = {
        "quantity": quantity,
        "value": low if high is None else (low + high) / 2.0,
        "unit": unit,
        "qualifier": _qualifier(m, lang),
        "item": item,
        "low": low if high is not None else None,
        "high": high,
    }
    fields = _ratio(m, g, fields)
    per = m["per"] or m["per_pre"]
    if per:
        per_s = next(s for p, s in lang.per if p.fullmatch(per.strip()))
        return _per_time(fields, per_s)
    return fields


def _after_date_cue(m: re.Match[str], lang: Language) -> bool:
    """Whether a bare year-like count follows a date cue ("bis 2027 Rechenzentren")."""
    if m["s1"] or m["qual"] or m["n2"] or not re.fullmatch(r"\d{4}", m["n1"]):
        return False
    before = m.string[max(0, m.start() - CUE_WINDOW) : m.start()]
    return lang.time.date_cue_before.search(before) is not None


def _amount(number: str, scale: str | None, m: re.Match[str], g: Grammar, lang: Language) -> float:
    return parse_number(number, lang) * _scale(scale, lang, g, m["cur_pre"] is not None)


def _changes(m: re.Match[str], fields: dict[str, Any], g: Grammar, lang: Language) -> list[Found]:
    """A change ("von 150.000 auf 180.000 Wafer", "from 150,000 to 180,000 wafers") as two
    claims of the same kind: where it starts and where it ends, not one range."""
    whole = [(m.start(), m.end(), fields)]
    if m["n2"]:
        first_end = m.end("s1") if m["s1"] else m.end("n1")
        join = m.string[first_end : m.start("n2")]
        if m["ropen"] or not lang.change_from.search(m.string, _back(m), m.start()):
            return whole
        if not re.search(rf"(?<![\w])(?:{lang.change_join})(?![\w])", join, re.I):
            return whole  # "von 40 bis 60 Mrd." is a range
        tail = join.rstrip()
        last = tail.rsplit(None, 1)[-1]  # the join word, or a currency before the second
        named = re.fullmatch(lang.change_join, last, re.I) is None
        second = first_end + len(tail) - len(last) if named else m.start("n2")
        ends = {k: None for k in ("low", "high")} | {"qualifier": None}
        return [
            (m.start(), first_end, fields | ends | {"value": fields["low"]}),
            (second, m.end(), fields | ends | {"value": fields["high"]}),
        ]
    before = lang.change_to.search(m.string, _back(m), m.start())
    to = _amount(m["n1"], m["s1"], m, g, lang)
    if before is None or to == 0:
        return whole
    ratio = _amount(before["cn"], before["cs"] or m["s1"], m, g, lang) / to
    start = {k: None if fields[k] is None else fields[k] * ratio for k in ("value", "low", "high")}
    return [(before.start("cn"), before.end("cn"), fields | start | {"qualifier": None}), *whole]


def _sentence_before(m: re.Match[str]) -> str:
    """The text of the claim's sentence before it (within the look-back window)."""
    before = m.string[_back(m) : m.start()]
    ends = list(SENTENCE_END.finditer(before))
    return before[ends[-1].end() :] if ends else before


def _context_rate(
    m: re.Match[str], fields: dict[str, Any], g: Grammar, lang: Language
) -> tuple[dict[str, Any], int]:
    """A claim's fields and end, read with the words around it that the claim pattern leaves
    out: a rate word after an energy, volume or mass ("10 TWh im Jahr") or before it
    ("Jährlicher Strombedarf: etwa 2,2 TWh"), and a counted item that divides it from
    before ("pro Rack sind bis zu 600 kW")."""
    end = m.end()
    if fields["quantity"] in g.rate_kinds and fields.get("per") is None:
        after = lang.per_amount[0].match(m.string, end) if lang.per_amount else None
        if after is not None and lang.per_amount is not None:
            return _per_time(fields, lang.per_amount[1]), after.end()
        if lang.rate_before is not None and lang.rate_before[0].search(_sentence_before(m)):
            return _per_time(fields, lang.rate_before[1]), end
    if fields.get("per") is None and not (m["per"] or m["per_pre"]):
        item = lang.ratio_before.search(_sentence_before(m))
        quantity = g.ratios.get((fields["quantity"], "item"))
        if item is not None and quantity is not None:
            return fields | {"quantity": quantity, "per": _item(item["item"], g)}, end
    return fields, end


def _quantities(text: str, g: Grammar, lang: Language) -> Iterator[Found]:
    """Claims of numbers with what they measure; a scaled amount that names nothing at a
    clause's end measures what the claim before it in its sentence does ("4,8 Mrd. Euro,
    davon knapp 1,2 Milliarden")."""
    before: tuple[int, Kind] | None = None
    for m in lang.pattern.finditer(text):
        if _bare(m):
            same = before is not None and not SENTENCE_END.search(text, before[0], m.start())
            kind = before[1] if before is not None and same else None
        else:
            kind = _kind(m, g, lang)
        fields = _claim(m, g, lang, kind)
        if fields is None or kind is None or lang.reading_time.match(text, m.end()):
            continue
        before = (m.end(), kind)
        if fields["item"] is None or not _after_date_cue(m, lang):
            fields, end = _context_rate(m, fields, g, lang)
            for f in _changes(m, fields, g, lang):
                yield (f[0], end, f[2]) if f[1] == m.end() else f


def _vague(text: str, g: Grammar, lang: Language) -> Iterator[Found]:
    """Vague amounts: the order of magnitude and the next one as low .. high."""
    for m in lang.vague_pattern.finditer(text):
        word = m["vague"] or m["money"]
        phrase = next(
            p for p in lang.vague if p.money == bool(m["money"]) and p.pattern.fullmatch(word)
        )
        item = _item(m["item"], g) if m["item"] else None
        if m["cur"]:
            quantity, unit = "money", _lookup(m["cur"], g.currencies) or NO_CURRENCY
        else:
            quantity, unit = ("money", NO_CURRENCY) if m["money"] else ("count", "1")
        qualifier = _lookup(m["qual"], lang.qualifiers) if m["qual"] else "vague"
        yield (
            m.start(),
            m.end(),
            {
                "quantity": quantity,
                "value": phrase.low,
                "unit": unit,
                "qualifier": qualifier,
                "item": item,
                "low": phrase.low,
                "high": phrase.high,
            },
        )


def _longest_first(found: list[Found]) -> list[Found]:
    """The candidates that overlap no longer one, in order of position."""
    kept: list[Found] = []
    for cand in sorted(found, key=lambda f: (f[0] - f[1], f[0])):
        if all(cand[1] <= k[0] or cand[0] >= k[1] for k in kept):
            kept.append(cand)
    return sorted(kept, key=lambda f: f[0])


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


def _usd(value: float, unit: str) -> float | None:
    from gigawatt.economics.pricebook import convert, load_price_book
    from gigawatt.errors import CatalogError, InputError

    try:
        return float(convert(value, unit.split("/")[0], "USD", load_price_book()))
    except (CatalogError, InputError):  # a currency the catalog has no rate for
        return None


def _nearest_time(start: int, end: int, times: list[Found]) -> Found | None:
    if not times:
        return None
    return min(times, key=lambda t: max(t[0] - end, start - t[1]))


def report_day(report_date: str | date | None, where: str = "claims") -> date | None:
    """A report date given as an ISO 8601 string (or a date) as a date; a bad value is an
    InputError at ``where`` (the caller's name for the place the value came from)."""
    if report_date is None or isinstance(report_date, date):
        return report_date
    try:
        return date.fromisoformat(report_date)
    except ValueError:
        message = f"{report_date!r} is no ISO 8601 date; give YYYY-MM-DD"
        raise InputError([Problem(where, "report_date", message)]) from None


def _sentence_languages(
    text: str, spans: list[tuple[int, int]], g: Grammar, default: str
) -> list[str]:
    """The language of each sentence: the one whose function words it has most of, then its
    own grammar words and letters; the text's language where none leads (a heading)."""
    return [_leader(_evidence(text[a:b], g)) or default for a, b in spans]


def _candidates(
    text: str, g: Grammar, spans: list[tuple[int, int]], langs: list[str], report: date | None
) -> list[Found]:
    """Each language's candidates in the sentences of that language, longest first."""
    found: list[Found] = []
    starts = [a for a, _ in spans]
    for code in sorted(set(langs)):
        lang = g.languages[code]
        cands = [
            *time_claims(text, g, lang, spans, report),
            *_quantities(text, g, lang),
            *_vague(text, g, lang),
        ]
        for f in cands:
            i = bisect_right(starts, f[0]) - 1
            if i >= 0 and f[0] < spans[i][1] and langs[i] == code:
                found.append((f[0], f[1], f[2] | {"language": code}))
    return _longest_first(found)


def _currency(unit: str, g: Grammar) -> bool:
    """Whether ``unit`` is money: a currency code, alone or divided ("USD/W")."""
    code = unit.split("/")[0]
    return code == NO_CURRENCY or any(code == c for c, _ in g.currencies)


def iter_claims(
    text: str,
    file: str = "<text>",
    language: str | None = None,
    report_date: str | date | None = None,
) -> Iterator[Claim]:
    """Every claim of ``text`` in order of position. ``language`` fixes the language of
    every sentence (else each sentence's own, the text's where unclear); ``report_date``
    (ISO 8601) is the report's date where the text states none or a different one."""
    g = load_grammar()
    spans = sentences(text)
    stated = find_report_date(text, g)
    report = report_day(report_date) or (stated[0] if stated else None)
    own = stated[1] if stated else []
    default = language or detect_language(text, g)
    langs = [default] * len(spans) if language else _sentence_languages(text, spans, g, default)
    found = [
        f
        for f in _candidates(text, g, spans, langs, report)
        if not (f[2]["quantity"] == "date" and any(f[0] < b and a < f[1] for a, b in own))
    ]
    starts = [a for a, _ in spans]
    by_sentence: dict[int, list[Found]] = defaultdict(list)
    for f in found:
        by_sentence[bisect_right(starts, f[0]) - 1].append(f)
    for i, (a, b) in enumerate(spans):
        here = by_sentence[i]
        times = [f for f in here if f[2]["quantity"] in TIME_QUANTITIES]
        for start, end, fields in here:
            unit = fields["unit"]
            when = (
                None if fields["quantity"] in TIME_QUANTITIES else _nearest_time(start, end, times)
            )
            yield Claim(
                file=file,
                sentence=" ".join(text[a:b].split()),
                start=start,
                end=end,
                text=text[start:end].strip(),
                value_usd=_usd(fields["value"], unit) if _currency(unit, g) else None,
                when=None if when is None else text[when[0] : when[1]].strip(),
                when_date=None if when is None else when[2].get("date"),
                report_date=None if report is None else report.isoformat(),
                **fields,
            )


def extract_claims(
    text: str,
    file: str = "<text>",
    language: str | None = None,
    report_date: str | date | None = None,
) -> list[Claim]:
    """The claims of ``text`` as a list (see :func:`iter_claims`)."""
    return list(iter_claims(text, file, language, report_date))
