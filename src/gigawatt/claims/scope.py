"""What a claim is about: the text around it, and the names in that text that tie it to a
scenario, a site or a buyer.

Reports often name the programme once and then speak of "dieses Großprojekt": the claim
"Bis zu 500 Milliarden Dollar sollen für dieses Großprojekt fließen" follows a sentence that
names Stargate. A claim is therefore read in its :class:`Context` — its own sentence, then the
sentences before it in its paragraph (nearest first), then the rest of its paragraph — and the
nearest part that names a scope ties the claim to it (:class:`Tie`), with the words that did.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gigawatt.claims.extract import Claim

SENTENCE = "its sentence"
PARAGRAPH = "its paragraph"
# a paragraph ends at a blank line, or at a line break after a line that ends a sentence
# (plain-text exports put one paragraph on each line; hard-wrapped text breaks mid-sentence)
_PARAGRAPH_END = re.compile(r"\n[ \t]*\n\s*|(?<=[.!?:\"'”“»)\]])[ \t]*\n\s*")
# inflection a name may carry in running text ("Centers", "Stargates"); hyphenated
# compounds ("Stargate-Projekt") end the name at the hyphen anyway
_INFLECTION = r"(?:s|es|n|en)?"


@dataclass(frozen=True)
class Context:
    """The parts of the text around a claim, nearest first: (where, text)."""

    parts: tuple[tuple[str, str], ...]

    @classmethod
    def of_sentence(cls, sentence: str) -> Context:
        return cls(((SENTENCE, sentence),))


@dataclass(frozen=True)
class Tie:
    """A claim tied to ``name`` by ``words`` found in ``where`` (a part of its context);
    ``rank`` orders ties by nearness (0: its own sentence)."""

    name: str
    words: str
    where: str
    rank: int

    @property
    def why(self) -> str:
        return f"{self.where} names {self.words!r}"


def paragraphs(text: str) -> list[tuple[int, int]]:
    """(start, end) of each paragraph of ``text``."""
    spans, start = [], 0
    for m in _PARAGRAPH_END.finditer(text):
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(text)))
    return [(a, b) for a, b in spans if text[a:b].strip()]


def _flat(text: str) -> str:
    return " ".join(text.split())


class Layout:
    """The sentences and paragraphs of one report, found once for all its claims."""

    def __init__(self, text: str) -> None:
        from gigawatt.claims.extract import sentences

        self.text = text
        self.sentences = sentences(text)
        self.paragraphs = paragraphs(text)

    def context(self, at: int) -> Context:
        """The context of a claim starting at character ``at``."""
        i = next((k for k, (a, b) in enumerate(self.sentences) if a <= at < b), None)
        if i is None:
            return Context(())
        pa, pb = next(((a, b) for a, b in self.paragraphs if a <= at < b), self.sentences[i])
        parts = [(SENTENCE, _flat(self.text[slice(*self.sentences[i])]))]
        for k in range(i - 1, -1, -1):
            a, b = self.sentences[k]
            if b <= pa:
                break
            where = "the previous sentence" if k == i - 1 else f"{i - k} sentences before"
            parts.append((where, _flat(self.text[max(a, pa) : b])))
        rest = _flat(self.text[self.sentences[i][1] : pb])
        if rest:
            parts.append((PARAGRAPH, rest))
        return Context(tuple(parts))


def contexts(claims: Sequence[Claim], texts: dict[str, str] | None) -> list[Context]:
    """The context of each claim: its sentence, or more where its report's text is given."""
    layouts: dict[str, Layout] = {}
    out = []
    for c in claims:
        text = None if texts is None else texts.get(c.file)
        if text is None or not text[c.start : c.end].strip():
            out.append(Context.of_sentence(c.sentence))
            continue
        if c.file not in layouts:
            layouts[c.file] = Layout(text)
        found = layouts[c.file].context(c.start)
        out.append(found if found.parts else Context.of_sentence(c.sentence))
    return out


def name_pattern(phrases: Iterable[str]) -> re.Pattern[str] | None:
    """One case-insensitive pattern for names written as whole words, spaces and hyphens
    interchangeable, with an inflection ("National AI Computing Centers")."""
    alts = []
    for p in phrases:
        words = re.findall(r"[^\W_]+", p)
        if words:
            alts.append(r"[\s\-]+".join(re.escape(w) for w in words))
    if not alts:
        return None
    body = "|".join(sorted(alts, key=len, reverse=True))
    return re.compile(rf"(?<![^\W_])(?:{body}){_INFLECTION}(?![^\W_])", re.IGNORECASE)


def find_tie(name: str, pattern: re.Pattern[str] | None, context: Context) -> Tie | None:
    """The nearest part of ``context`` that ``pattern`` finds a name in, as a tie to ``name``."""
    if pattern is None:
        return None
    for rank, (where, text) in enumerate(context.parts):
        m = pattern.search(text)
        if m:
            return Tie(name, m.group(0), where, rank)
    return None


def scenario_names(name: str, aliases: Iterable[str]) -> list[str]:
    """The names that tie a text to a scenario: its name without bracketed remarks
    ("Stargate (phase 1)" -> "Stargate") and its aliases."""
    return [n for n in [re.sub(r"\s*\(.*?\)", "", name).strip(), *aliases] if n]
