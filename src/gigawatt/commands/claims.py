"""`gigawatt claims`: the quantitative claims of reports (German or English), normalised to
SI units or to a currency with its USD value, each checked against the plan of the scenario
its context names (one of --scenario, or of the shipped scenarios), as a table, JSON or an
HTML claim report."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from gigawatt.commands._shared import JSON_HELP, table
from gigawatt.console import emit_json, friendly, out

if TYPE_CHECKING:
    from gigawatt.claims import Claim
    from gigawatt.claims.link import Verdict

DEFAULT_SCENARIO = Path("scenarios/stargate.yaml")
SHIPPED = Path("scenarios")


def shipped_scenarios(folder: Path = SHIPPED, home: Path = DEFAULT_SCENARIO) -> list[Path]:
    """The shipped scenario files, ``home`` first (claims whose context names no scenario are
    read against it); just ``home`` where the folder holds no other."""
    found = sorted(folder.glob("*.yaml")) if folder.is_dir() else []
    return [home, *(f for f in found if f.resolve() != home.resolve())]


def claim_dict(c: Claim, v: Verdict | None = None) -> dict[str, Any]:
    """A claim as JSON: its fields plus its verdict, model figures, ratio, why and sources."""
    from gigawatt.claims.report import claim_record

    return claim_record(c, v)


def _verdicts(
    found: list[Claim], scenarios: list[Path], texts: dict[str, str]
) -> tuple[str, list[Verdict]]:
    """Check each claim against the scenario its context names; each scenario is planned at
    most once and only when a claim that links to a model quantity goes to it."""
    from gigawatt.claims.link import NO_MODEL, Bench, Verdict, check_all, needs_plan
    from gigawatt.scenario import load_scenario

    loaded = [load_scenario(s) for s in scenarios]  # checked before any planning
    if not needs_plan(found):
        why = "no model quantity for a claim of this kind"
        return loaded[0].name, [Verdict(NO_MODEL, why=why) for _ in found]
    bench = Bench(loaded)
    verdicts = check_all(found, bench, texts)
    return ", ".join(bench.planned) or loaded[0].name, verdicts


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
        if v.difference is not None:
            ratio = f"{v.difference:+.1f} years"
        t.add_row(
            c.file, c.text, c.item or c.quantity, f"{c.value:,.4g}", c.unit, usd,
            c.qualifier or "", v.verdict, model, ratio, v.fits or "",
        )  # fmt: skip
    out.print(t)


def report_dates(texts: dict[str, str], given: date | None) -> dict[str, dict[str, str | None]]:
    """Each report's date and where it comes from: "given" (--report-date wins over the
    text, as extraction does), "stated" in the text, or "none"."""
    from gigawatt.claims import find_report_date, load_grammar

    g = load_grammar()
    dates: dict[str, dict[str, str | None]] = {}
    for name, text in texts.items():
        stated = None if given is not None else find_report_date(text, g)
        day = given if given is not None else (stated[0] if stated else None)
        origin = "given" if given is not None else "stated" if stated else "none"
        dates[name] = {"date": None if day is None else day.isoformat(), "origin": origin}
    return dates


@friendly
def claims(
    files: Annotated[list[Path], typer.Argument(help="reports: plain text, Markdown or HTML")],
    scenario: Annotated[
        list[Path] | None,
        typer.Option(
            "--scenario",
            help="scenario whose plan claims are checked against (repeatable; claims go to the "
            "one their context names, else to the first); default: the shipped scenarios, "
            f"{DEFAULT_SCENARIO} first",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="folder for claims.html and claims.json")
    ] = None,
    report_date: Annotated[
        str | None,
        typer.Option(
            "--report-date",
            help="date of the reports (YYYY-MM-DD), over any date they state: it turns "
            "'next year' or 'by the end of the decade' into calendar years",
        ),
    ] = None,
) -> None:
    """Every quantitative claim of the reports, with its sentence, normalised value and the
    verdict of the model (consistent / implausible / cannot check / no model quantity)."""
    from gigawatt.claims import extract_claims, report_day
    from gigawatt.claims.read import read_report
    from gigawatt.outdir import prepare_folder

    day = report_day(report_date, where="--report-date")
    texts = {str(f): read_report(f) for f in files}  # every file checked before output
    if out_dir is not None:
        prepare_folder(out_dir)  # a bad output place costs no planning
    found = [c for name, text in texts.items() for c in extract_claims(text, name, None, day)]
    dates = report_dates(texts, day)
    name, verdicts = _verdicts(found, scenario or shipped_scenarios(), texts)
    if out_dir is not None:
        from gigawatt.claims.report import write_claim_report

        written = write_claim_report(out_dir, found, verdicts, texts, name, dates)
        if not as_json:
            out.print(f"wrote {', '.join(str(p) for p in written)}")
    if as_json:
        records = [claim_dict(c, v) for c, v in zip(found, verdicts, strict=True)]
        emit_json({"claims": records, "report_dates": dates})
        return
    _print_table(found, verdicts, len(files), name)
    for file, d in dates.items():
        out.print(f"{file}: report date {d['date'] or 'unknown'} ({d['origin']})")


def register(app: typer.Typer) -> None:
    app.command("claims")(claims)
