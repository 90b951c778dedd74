"""The claim report: one self-contained HTML page and claims.json in an output folder.

Each claim row links to its sentence (the claim's span highlighted in the text around it)
and to the model figures and numbered sources behind its verdict. Every text from a report
or the catalog is escaped; the page loads nothing from the network.
"""

from __future__ import annotations

import json
import math
from collections import Counter
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
_EXTRA_CSS = (
    "mark{background:#ffe08a} .implausible{color:#d62728} .consistent{color:#2a7d2a}"
    " main>input{margin-left:12px}"
)


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


def _slug(verdict: str) -> str:
    return verdict.replace(" ", "-")


def _badge(verdict: str) -> str:
    return f'<span class="{_esc(_slug(verdict))}">{_esc(verdict)}</span>'


def _rows(head: Sequence[str], rows: Sequence[tuple[str | None, Sequence[str]]], num: int) -> str:
    """A table whose rows carry their verdict (``data-v``) so the filter can hide them."""
    th = "".join(
        f'<th class="{"num" if i >= num else ""}">{_esc(h)}</th>' for i, h in enumerate(head)
    )
    body = "".join(
        (f'<tr data-v="{_esc(_slug(v))}">' if v else "<tr>")
        + "".join(f'<td class="{"num" if i >= num else ""}">{c}</td>' for i, c in enumerate(cells))
        + "</tr>"
        for v, cells in rows
    )
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def _details(i: int, v: Verdict, refs: Mapping[str, int]) -> str:
    """Claim ``i``: why, each scope it was read against (figure, claim/model, verdict) and
    what it implies, each with its numbered source."""
    rows: list[tuple[str | None, Sequence[str]]] = []
    for r in v.readings:
        how = r.how if r.difference is not None or math.isfinite(r.ratio) else ""
        rows.append((None, [_esc(r.scope), *_figure_row(r.model, refs[r.model.source]),
                                 _esc(how), _badge(r.verdict)]))  # fmt: skip
    if v.model is not None and not v.readings:
        rows.append((None, ["model", *_figure_row(v.model, refs[v.model.source]), "", ""]))
    rows += [(None, ["implies", *_figure_row(f, refs[f.source]), "", ""]) for f in v.figures]
    head = ("scope", "figure", "low", "likely", "high", "unit", "source", "claim vs model",
            "verdict")  # fmt: skip
    table = _rows(head, rows, 2) if rows else ""
    return (
        f'<div id="model-{i}" data-v="{_esc(_slug(v.verdict))}"><h3>Claim {i}: '
        f"{_badge(v.verdict)}</h3><p>{_esc(v.why)}</p>{table}</div>"
    )


def _summary(claims: Sequence[Claim], verdicts: Sequence[Verdict]) -> str:
    """Counts per verdict, per file and in all."""
    from gigawatt.claims.link import VERDICTS

    files = list(dict.fromkeys(c.file for c in claims))
    count = Counter((c.file, v.verdict) for c, v in zip(claims, verdicts, strict=True))
    rows = [
        [
            _esc(f),
            *(str(count[(f, k)]) for k in VERDICTS),
            str(sum(count[(f, k)] for k in VERDICTS)),
        ]
        for f in files
    ]
    total = Counter(v.verdict for v in verdicts)
    rows.append(
        ["<strong>all files</strong>", *(str(total[k]) for k in VERDICTS), str(len(verdicts))]
    )
    return _table(("file", *VERDICTS, "claims"), rows, 1)


def _filter() -> tuple[str, str]:
    """Radio buttons that show one verdict only (CSS, no script), and their rules."""
    from gigawatt.claims.link import VERDICTS

    inputs = ['<input type="radio" name="vf" id="vf-all" checked><label for="vf-all">all</label>']
    rules = []
    for k in VERDICTS:
        s = _slug(k)
        inputs.append(
            f'<input type="radio" name="vf" id="vf-{s}"><label for="vf-{s}">{_esc(k)}</label>'
        )
        rules.append(f'#vf-{s}:checked~section [data-v]:not([data-v="{s}"]){{display:none}}')
    # the inputs stand directly in <main> so that "~ section" reaches the sections after them
    return f'<strong class="filter">Show:</strong> {" ".join(inputs)}', "".join(rules)


def _dates_html(dates: Mapping[str, Mapping[str, str | None]] | None) -> str:
    """One line per report: its date and whether the text stated it or the caller gave it."""
    if not dates:
        return ""
    items = "".join(
        f"<li>{_esc(f)}: {_esc(d.get('date') or 'unknown')} ({_esc(d.get('origin') or '')})</li>"
        for f, d in dates.items()
    )
    return f"<section><h2>Report dates</h2><ul>{items}</ul></section>"


def render_claims_html(
    claims: Sequence[Claim],
    verdicts: Sequence[Verdict],
    texts: Mapping[str, str],
    scenario: str,
    dates: Mapping[str, Mapping[str, str | None]] | None = None,
) -> str:
    """The claim report as one HTML string; ``dates`` gives each report's date and its
    origin ("stated" in the text, "given" by the caller, "none")."""
    refs: dict[str, int] = {}
    for v in verdicts:
        for s in v.sources:
            refs.setdefault(s, len(refs) + 1)
    rows: list[tuple[str | None, Sequence[str]]] = []
    sentences, details = [], []
    for i, (c, v) in enumerate(zip(claims, verdicts, strict=True), start=1):
        ratio = "" if v.ratio is None else f"{v.ratio:.3g}"
        if v.difference is not None:
            ratio = f"{v.difference:+.1f} years"
        model = "" if v.model is None else f"{v.model.likely:,.4g} {_esc(v.model.unit)}"
        rows.append((v.verdict, [
            f'<a href="#sentence-{i}">{i}</a>',
            _esc(c.file),
            f'<a href="#sentence-{i}">{_esc(c.text)}</a>',
            _esc(c.quantity),
            f"{c.value:,.4g} {_esc(c.unit)}",
            _badge(v.verdict),
            _esc(v.scenario or ""),
            f'<a href="#model-{i}">{model or "figures"}</a>' if v.sources or v.why else model,
            ratio,
        ]))  # fmt: skip
        sentences.append(
            f'<li id="sentence-{i}" value="{i}" data-v="{_esc(_slug(v.verdict))}">'
            f"{_sentence_html(c, texts[c.file])}</li>"
        )
        if v.sources or v.why:
            details.append(_details(i, v, refs))
    head = ("#", "file", "claim", "quantity", "value", "verdict", "scenario", "model (likely)",
            "claim vs model")  # fmt: skip
    src = "".join(f'<li id="src-{n}">{_esc(s)}</li>' for s, n in refs.items())
    controls, rules = _filter()
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>gigawatt claims: {_esc(scenario)}</title>"
        f"<style>{CSS}{_EXTRA_CSS}{rules}</style></head>"
        f"<body><header><h1>Claims checked against {_esc(scenario)}</h1><p>{len(claims)} claims; "
        "values in SI units or the stated currency; model figures likely [low–high]; each "
        "claim is read against the scenario its sentence, the sentences before it or its "
        "paragraph names.</p></header>"
        f"<main><section><h2>Summary</h2>{_summary(claims, verdicts)}</section>{_dates_html(dates)}"
        f"{controls}"
        f"<section><h2>Claims</h2>{_rows(head, rows, 4)}</section>"
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
    dates: Mapping[str, Mapping[str, str | None]] | None = None,
) -> list[Path]:
    """Write claims.html and claims.json into ``folder`` (created and checked first)."""
    prepare_folder(folder)
    page = folder / HTML_NAME
    page.write_text(render_claims_html(claims, verdicts, texts, scenario, dates), "utf-8")
    data = folder / JSON_NAME
    records = [claim_record(c, v) for c, v in zip(claims, verdicts, strict=True)]
    body: dict[str, Any] = {"claims": records}
    if dates is not None:
        body["report_dates"] = dates
    data.write_text(json.dumps(body, indent=1, ensure_ascii=False), "utf-8")
    return [page, data]
