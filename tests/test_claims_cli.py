"""`gigawatt claims`: JSON and table output, and one clear error line for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gigawatt.claims.read import MAX_REPORT_BYTES, html_text
from gigawatt.cli import app

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[1]
# a small scenario keeps the one plan per call quick; the verdicts are tested in test_claims_link
KOREA = ["--scenario", str(ROOT / "scenarios" / "korea-national-ai-centre.yaml")]
REPORT = (
    "Der Bedarf von bis zu 900.000 DRAM-Wafern pro Monat ist hoch. Es fließen 2,5 Billionen Won."
)


def test_json_lists_every_claim_with_its_fields(tmp_path: Path) -> None:
    f = tmp_path / "report.txt"
    f.write_text(REPORT, encoding="utf-8")
    result = runner.invoke(app, ["claims", str(f), "--json", *KOREA])
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)["claims"]
    assert [c["quantity"] for c in found] == ["rate", "money"]
    for key in ("file", "sentence", "quantity", "value", "unit", "qualifier", "verdict", "model"):
        assert all(key in c for c in found)
    assert found[1]["unit"] == "KRW" and found[1]["value"] == 2.5e12
    wafers = found[0]
    assert wafers["verdict"] in ("consistent", "implausible") and wafers["fits"] is not None
    assert {"low", "likely", "high", "unit"} <= set(wafers["model"]) and wafers["sources"]
    assert len(wafers["readings"]) == 3


def test_table_names_the_claims(tmp_path: Path) -> None:
    f = tmp_path / "report.md"
    f.write_text(REPORT, encoding="utf-8")
    result = runner.invoke(app, ["claims", str(f), *KOREA])
    assert result.exit_code == 0 and "2,5 Billionen Won" in result.stdout
    assert "verdict" in result.stdout and "Korea National AI Computing Center" in result.stdout


def test_out_writes_the_html_claim_report_and_json(tmp_path: Path) -> None:
    f = tmp_path / "report.txt"
    f.write_text(REPORT + ' <img src=x onerror="alert(1)"> Es sind 3 GW.', encoding="utf-8")
    result = runner.invoke(app, ["claims", str(f), "--out", str(tmp_path / "o"), *KOREA])
    assert result.exit_code == 0, result.output
    page = (tmp_path / "o" / "claims.html").read_text(encoding="utf-8")
    assert "<img" not in page and "&lt;img" in page and 'href="#sentence-1"' in page
    data = json.loads((tmp_path / "o" / "claims.json").read_text(encoding="utf-8"))
    assert len(data["claims"]) == 3


def test_bad_scenario_and_output_place_get_one_error_line(tmp_path: Path) -> None:
    f = tmp_path / "report.txt"
    f.write_text(REPORT, encoding="utf-8")
    missing = runner.invoke(app, ["claims", str(f), "--scenario", str(tmp_path / "none.yaml")])
    assert missing.exit_code == 2 and "Traceback" not in missing.output
    blocked = tmp_path / "file"
    blocked.write_text("x", encoding="utf-8")
    result = runner.invoke(app, ["claims", str(f), "--out", str(blocked), *KOREA])
    assert result.exit_code == 2 and "is a file" in result.stderr


def test_html_reports_are_read_as_their_visible_text(tmp_path: Path) -> None:
    f = tmp_path / "report.html"
    f.write_text(f"<html><script>var x = '9 GW';</script><p>{REPORT}</p></html>", "utf-8")
    result = runner.invoke(app, ["claims", str(f), "--json", *KOREA])
    assert len(json.loads(result.stdout)["claims"]) == 2
    assert html_text("<p>3&nbsp;GW</p>").strip() == "3\u00a0GW"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"  \n ", "white space"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "is binary"),
        ("Über 3 GW".encode("latin-1"), "not UTF-8"),
    ],
)
def test_bad_files_get_one_error_line(tmp_path: Path, content: bytes, message: str) -> None:
    f = tmp_path / "bad.txt"
    f.write_bytes(content)
    result = runner.invoke(app, ["claims", str(f)])
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.output


def test_directories_missing_and_huge_files_are_refused(tmp_path: Path) -> None:
    assert "is a directory" in runner.invoke(app, ["claims", str(tmp_path)]).stderr
    assert "does not exist" in runner.invoke(app, ["claims", str(tmp_path / "no.txt")]).stderr
    big = tmp_path / "big.txt"
    with big.open("wb") as f:
        f.truncate(MAX_REPORT_BYTES + 1)
    result = runner.invoke(app, ["claims", str(big)])
    assert result.exit_code == 2 and "allowed up to" in result.stderr


KOREA_AND_STARGATE = (
    "Das National AI Computing Center soll bis 2040 fertig sein. Es kostet 2,5 Billionen Won."
)


def test_claims_go_to_the_shipped_scenario_their_context_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    f = tmp_path / "report.txt"
    f.write_text(KOREA_AND_STARGATE, encoding="utf-8")
    monkeypatch.chdir(ROOT)  # the shipped scenarios are the default
    result = runner.invoke(app, ["claims", str(f), "--json"])
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)["claims"]
    assert [c["scenario"] for c in found] == ["Korea National AI Computing Center"] * 2
    assert found[1]["tied_by"] == "the previous sentence names 'National AI Computing Center'"
    assert found[0]["model_quantity"] == "schedule" and found[0]["readings"]


def test_scenario_is_repeatable_and_the_first_takes_the_untied(tmp_path: Path) -> None:
    f = tmp_path / "report.txt"
    f.write_text(KOREA_AND_STARGATE + "\n\nEin Labor kauft 3 GW.", encoding="utf-8")
    lab = ["--scenario", str(ROOT / "scenarios" / "lab-1024.yaml")]
    result = runner.invoke(app, ["claims", str(f), "--json", *lab, *KOREA])
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)["claims"]
    assert [c["scenario"] for c in found] == [
        "Korea National AI Computing Center",
        "Korea National AI Computing Center",
        "Lab 1024",
    ]
    assert found[2]["tied_by"] is None and found[2]["verdict"] == "cannot check"


def test_html_report_has_a_summary_a_verdict_filter_and_readings(tmp_path: Path) -> None:
    f = tmp_path / "report.txt"
    f.write_text(KOREA_AND_STARGATE, encoding="utf-8")
    result = runner.invoke(app, ["claims", str(f), "--out", str(tmp_path / "o"), *KOREA])
    assert result.exit_code == 0, result.output
    page = (tmp_path / "o" / "claims.html").read_text(encoding="utf-8")
    assert "<h2>Summary</h2>" in page and "all files" in page
    assert 'id="vf-implausible"' in page and '[data-v]:not([data-v="implausible"])' in page
    assert '<tr data-v="consistent">' in page or '<tr data-v="implausible">' in page
    assert "the scenario&#x27;s sites ready" in page or "the scenario's sites ready" in page
    assert "<script" not in page


def test_report_date_dates_horizons_and_is_reported(tmp_path: Path) -> None:
    f = tmp_path / "report.txt"
    f.write_text("Im nächsten Jahr kommen 2,5 Billionen Won.", encoding="utf-8")
    given = runner.invoke(app, ["claims", str(f), "--json", "--report-date", "2025-03-04", *KOREA])
    assert given.exit_code == 0, given.output
    data = json.loads(given.stdout)
    assert data["report_dates"] == {str(f): {"date": "2025-03-04", "origin": "given"}}
    horizon = next(c for c in data["claims"] if c["quantity"] == "horizon")
    assert horizon["date"] == "2026" and horizon["report_date"] == "2025-03-04"
    plain = json.loads(runner.invoke(app, ["claims", str(f), "--json", *KOREA]).stdout)
    assert plain["report_dates"][str(f)] == {"date": None, "origin": "none"}
    stated = tmp_path / "stated.txt"
    stated.write_text("Stand: 03.02.2026\n\nEs fließen 2,5 Billionen Won.", encoding="utf-8")
    out_dir = tmp_path / "o"
    result = runner.invoke(app, ["claims", str(stated), "--out", str(out_dir), *KOREA])
    assert result.exit_code == 0, result.output
    assert f"{stated}: 2026-02-03 (stated)" in (out_dir / "claims.html").read_text("utf-8")


@pytest.mark.parametrize("value", ["2025-13-01", "March 2025", ""])
def test_a_bad_report_date_is_one_error_naming_the_flag(tmp_path: Path, value: str) -> None:
    f = tmp_path / "report.txt"
    f.write_text(REPORT, encoding="utf-8")
    result = runner.invoke(app, ["claims", str(f), "--report-date", value, *KOREA])
    assert result.exit_code == 2
    assert "--report-date" in result.stderr and "YYYY-MM-DD" in result.stderr
    assert "Traceback" not in result.output
