"""`gigawatt claims`: the quantitative claims of reports (German or English), normalised to
SI units or to a currency with its USD value, as a table or JSON."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from gigawatt.commands._shared import JSON_HELP, table
from gigawatt.console import emit_json, friendly, out

if TYPE_CHECKING:
    from gigawatt.claims import Claim


def claim_dict(c: Claim) -> dict[str, Any]:
    """A claim as JSON: its fields, plus the verdict of the model check (none linked yet:
    every claim is "cannot check" with no model figures)."""
    return {**c.to_dict(), "verdict": "cannot check", "model": None}


@friendly
def claims(
    files: Annotated[list[Path], typer.Argument(help="reports: plain text, Markdown or HTML")],
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """Every quantitative claim of the reports, with its sentence and normalised value."""
    from gigawatt.claims import extract_claims
    from gigawatt.claims.read import read_report

    texts = [(str(f), read_report(f)) for f in files]  # every file checked before output
    found = [c for name, text in texts for c in extract_claims(text, name)]
    if as_json:
        emit_json({"claims": [claim_dict(c) for c in found]})
        return
    t = table(
        f"{len(found)} claims in {len(files)} file(s)",
        ("file", "claim", "quantity", "value", "unit", "USD", "qualifier"),
        left=("file", "claim", "quantity", "unit", "qualifier"),
    )
    for c in found:
        usd = "" if c.value_usd is None else f"{c.value_usd:,.3g}"
        t.add_row(
            c.file, c.text, c.item or c.quantity, f"{c.value:,.4g}", c.unit, usd, c.qualifier or ""
        )
    out.print(t)


def register(app: typer.Typer) -> None:
    app.command("claims")(claims)
