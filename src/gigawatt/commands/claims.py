"""`gigawatt claims`: the quantitative claims of reports (German or English), normalised to
SI units or to a currency with its USD value, each checked against one plan of a scenario,
as a table, JSON or an HTML claim report."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from gigawatt.commands._shared import JSON_HELP, table
from gigawatt.console import emit_json, friendly, out

if TYPE_CHECKING:
    from gigawatt.claims import Claim
    from gigawatt.claims.link import Verdict

DEFAULT_SCENARIO = Path("scenarios/stargate.yaml")


def claim_dict(c: Claim, v: Verdict | None = None) -> dict[str, Any]:
    """A claim as JSON: its fields plus its verdict, model figures, ratio, why and sources."""
    from gigawatt.claims.report import claim_record

    return claim_record(c, v)


def _verdicts(found: list[Claim], scenario: Path) -> tuple[str, list[Verdict]]:
    """Plan the scenario once (only when some claim links to a model quantity) and check."""
    from gigawatt.claims.link import NO_MODEL, Desk, Verdict, check_claims, needs_plan
    from gigawatt.scenario import load_scenario

    loaded = load_scenario(scenario)  # checked before any planning, even with no claims
    if not needs_plan(found):
        why = f"no model quantity for a claim of this kind ({loaded.name})"
        return loaded.name, [Verdict(NO_MODEL, why=why) for _ in found]
    desk = Desk.of(loaded)
    return loaded.name, check_claims(found, desk)


def _print_table(found: list[Claim], verdicts: list[Verdict], n_files: int, name: str) -> None:
    t = table(
        f"{len(found)} claims in {n_files} file(s), checked against {name}",
        ("file", "claim", "quantity", "value", "unit", "USD", "qualifier", "verdict", "model",
         "claim/model", "fits"),
        left=("file", "claim", "quantity", "unit", "qualifier", "verdict", "fits"),
    )  # fmt: skip
    for c, v in zip(found, verdicts, strict=True):
        usd = "" if c.value_usd is None else f"{c.value_usd:,.3g}"
        model = "" if v.model is None else f"{v.model.likely:,.3g} {v.model.unit}"
        ratio = "" if v.ratio is None else f"{v.ratio:.2g}"
        t.add_row(
            c.file, c.text, c.item or c.quantity, f"{c.value:,.4g}", c.unit, usd,
            c.qualifier or "", v.verdict, model, ratio, v.fits or "",
        )  # fmt: skip
    out.print(t)


@friendly
def claims(
    files: Annotated[list[Path], typer.Argument(help="reports: plain text, Markdown or HTML")],
    scenario: Annotated[
        Path, typer.Option("--scenario", help="scenario whose plan the claims are checked against")
    ] = DEFAULT_SCENARIO,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="folder for claims.html and claims.json")
    ] = None,
) -> None:
    """Every quantitative claim of the reports, with its sentence, normalised value and the
    verdict of the model (consistent / implausible / cannot check / no model quantity)."""
    from gigawatt.claims import extract_claims
    from gigawatt.claims.read import read_report
    from gigawatt.outdir import prepare_folder

    texts = {str(f): read_report(f) for f in files}  # every file checked before output
    if out_dir is not None:
        prepare_folder(out_dir)  # a bad output place costs no planning
    found = [c for name, text in texts.items() for c in extract_claims(text, name)]
    name, verdicts = _verdicts(found, scenario)
    if out_dir is not None:
        from gigawatt.claims.report import write_claim_report

        written = write_claim_report(out_dir, found, verdicts, texts, name)
        if not as_json:
            out.print(f"wrote {', '.join(str(p) for p in written)}")
    if as_json:
        emit_json({"claims": [claim_dict(c, v) for c, v in zip(found, verdicts, strict=True)]})
        return
    _print_table(found, verdicts, len(files), name)


def register(app: typer.Typer) -> None:
    app.command("claims")(claims)
