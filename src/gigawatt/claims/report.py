"""The claim report: one self-contained HTML page and claims.json in an output folder.

Each claim row links to its sentence (the claim's span highlighted in the text around it)
and to the model figures and numbered sources behind its verdict. Every text from a report
or the catalog is escaped; the page loads nothing from the network.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gigawatt.html_report import CSS, _esc, _table
from gigawatt.outdir import prepare_folder

if TYPE_CHECKING:
    from gigawatt.claims.extract import Claim
    from gigawatt.claims.link import Figure, Verdict

HTML_NAME = "claims.html"
JSON_NAME = "claims.json"
_EXTRA_CSS = "mark{background:#ffe08a} .implausible{color:#d62728} .consistent{color:#2a7d2a}"


def claim_record(c: Claim, v: Verdict | None) -> dict[str, Any]:
    """A claim as JSON: its fields and its verdict (model null when nothing was checked)."""
    if v is None:
        return {**c.to_dict(), "verdict": "cannot check", "model": None}
    return {**c.to_dict(), **v.to_dict()}


def _sentence_html(c: Claim, text: str) -> str:
    """The claim's sentence from the report text, the claim's span in <mark>."""
    from gigawatt.claims.extract import sentences

    a, b = next(((a, b) for a, b in sentences(text) if a <= c.start < b), (c.start, c.end))
    a, b = min(a, c.start), max(b, c.end)
    return (
        _esc(" ".join(text[a : c.start].split()) + " ")
        + f"<mark>{_esc(text[c.start : c.end])}</mark>"
        + _esc(" " + " ".join(text[c.end : b].split()))
    )


def _number(x: float | None) -> str:
    return "" if x is None else f"{x:,.4g}"


def _figure_row(f: Figure, ref: int) -> list[str]:
    d = f.to_dict()
    return [
        _esc(f.name),
        _number(d["low"]),
        _number(d["likely"]),
        _number(d["high"]),
        _esc(f.unit),
        f'<a href="#src-{ref}">[{ref}]</a>',
    ]


def _details(i: int, v: Verdict, refs: Mapping[str, int]) -> str:
    """The model figures of claim ``i``: the one the verdict rests on, each scope read, and
    what the claim implies, each with its numbered source."""
    rows = []
    if v.model is not None:
        rows.append(["model", *_figure_row(v.model, refs[v.model.source])])
    rows += [
        [f"scope: {_esc(r.scope)}", *_figure_row(r.model, refs[r.model.source])] for r in v.readings
    ]
    rows += [["implies", *_figure_row(f, refs[f.source])] for f in v.figures]
    table = _table(("role", "figure", "low", "likely", "high", "unit", "source"), rows, 2)
    return f'<div id="model-{i}"><h3>Claim {i}: model figures</h3><p>{_esc(v.why)}</p>{table}</div>'


def render_claims_html(
    claims: Sequence[Claim], verdicts: Sequence[Verdict], texts: Mapping[str, str], scenario: str
) -> str:
    """The claim report as one HTML string."""
    refs: dict[str, int] = {}
    for v in verdicts:
        for s in v.sources:
            refs.setdefault(s, len(refs) + 1)
    rows, sentences, details = [], [], []
    for i, (c, v) in enumerate(zip(claims, verdicts, strict=True), start=1):
        ratio = "" if v.ratio is None else f"{v.ratio:.3g}"
        model = "" if v.model is None else f"{v.model.likely:,.4g} {_esc(v.model.unit)}"
        rows.append(
            [
                f'<a href="#sentence-{i}">{i}</a>',
                _esc(c.file),
                f'<a href="#sentence-{i}">{_esc(c.text)}</a>',
                _esc(c.quantity),
                f"{c.value:,.4g} {_esc(c.unit)}",
                f'<span class="{_esc(v.verdict.replace(" ", "-"))}">{_esc(v.verdict)}</span>',
                f'<a href="#model-{i}">{model or "figures"}</a>' if v.sources else model,
                ratio,
            ]
        )
        sentences.append(
            f'<li id="sentence-{i}" value="{i}">{_sentence_html(c, texts[c.file])}</li>'
        )
        if v.sources or v.why:
            details.append(_details(i, v, refs))
    head = ("#", "file", "claim", "quantity", "value", "verdict", "model (likely)", "claim/model")
    src = "".join(f'<li id="src-{n}">{_esc(s)}</li>' for s, n in refs.items())
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>gigawatt claims: {_esc(scenario)}</title><style>{CSS}{_EXTRA_CSS}</style></head>"
        f"<body><header><h1>Claims checked against {_esc(scenario)}</h1><p>{len(claims)} claims; "
        "values in SI units or the stated currency; model figures likely [low–high].</p></header>"
        f"<main><section><h2>Claims</h2>{_table(head, rows, 4)}</section>"
        f"<section><h2>Sentences</h2><ol>{''.join(sentences)}</ol></section>"
        f"<section><h2>Model figures</h2>{''.join(details)}</section>"
        f"<section><h2>Sources</h2><ol class='sources'>{src}</ol></section></main></body></html>\n"
    )


def write_claim_report(
    folder: Path,
    claims: Sequence[Claim],
    verdicts: Sequence[Verdict],
    texts: Mapping[str, str],
    scenario: str,
) -> list[Path]:
    """Write claims.html and claims.json into ``folder`` (created and checked first)."""
    prepare_folder(folder)
    page = folder / HTML_NAME
    page.write_text(render_claims_html(claims, verdicts, texts, scenario), encoding="utf-8")
    data = folder / JSON_NAME
    records = [claim_record(c, v) for c, v in zip(claims, verdicts, strict=True)]
    data.write_text(json.dumps({"claims": records}, indent=1, ensure_ascii=False), "utf-8")
    return [page, data]
