"""`gigawatt validate PATH...`: many files and directories in one run, one summary per family
and per source, the validation page, and the plan report's link to it."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from gigawatt.cli import app
from gigawatt.errors import InputError
from gigawatt.html_report import VALIDATION_PAGE, render_html, validation_html
from gigawatt.plan import Plan
from gigawatt.validate import (
    NO_SOURCE,
    ValidationRun,
    measurement_files,
    source_key,
    validate_file,
    validate_paths,
)

DATA = Path(__file__).parent / "data"
PUBLISHED = ("training_published.csv", "serving_published.csv", "reliability_published.csv")
FAMILIES = ("training", "serving", "reliability")
runner = CliRunner()


@pytest.fixture(scope="module")
def mixed_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The three published files, a CSV of no known format and a file that is not a CSV."""
    d = tmp_path_factory.mktemp("mixed")
    for name in PUBLISHED:
        shutil.copy(DATA / name, d / name)
    (d / "junk.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    (d / "notes.txt").write_text("not measurements\n", encoding="utf-8")
    return d


@pytest.fixture(scope="module")
def mixed_run(mixed_dir: Path) -> ValidationRun:
    return validate_paths([mixed_dir])


def _rows(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8", newline="") as f:
        header, *rows = list(csv.reader(f))
    return header, rows


def _write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([header, *rows])
    return path


def test_a_directory_is_its_csv_files_sorted_and_junk_is_skipped(
    mixed_dir: Path, mixed_run: ValidationRun
) -> None:
    assert [p.name for p in measurement_files([mixed_dir])] == sorted([*PUBLISHED, "junk.csv"])
    assert [Path(r.file).name for r in mixed_run.reports] == sorted(PUBLISHED)
    (skipped,) = mixed_run.skipped
    assert Path(skipped.file).name == "junk.csv" and "not a known format" in skipped.reason
    assert list(mixed_run.families()) == list(FAMILIES)


def test_a_file_named_twice_is_validated_once(mixed_dir: Path) -> None:
    named = [mixed_dir / "reliability_published.csv", mixed_dir]
    files = measurement_files(named)
    assert len(files) == len({f.resolve() for f in files}) == len(PUBLISHED) + 1


def test_family_summaries_equal_the_per_file_figures(mixed_run: ValidationRun) -> None:
    families = mixed_run.families()
    for report in mixed_run.reports:
        fam = families[report.kind]
        assert fam.files == (report.file,)
        f = fam.overall
        assert f.rows == len(report.rows)
        assert f.predicted == sum(r.error is None for r in report.rows)
        assert [r.row.id for r in fam.not_predicted] == [r.id for r in report.rows if r.error]
        assert f.median_abs_error == report.median_abs_error
        assert f.worst is not None and f.worst.row.signed_error is not None
        assert abs(f.worst.row.signed_error) == report.max_abs_error
        assert f.within == sum(bool(r.within) for r in report.rows)
        # the sources partition the family's rows
        parts = fam.by_source.values()
        assert sum(p.rows for p in parts) == f.rows
        assert sum(p.within for p in parts) == f.within
        assert sum(p.predicted for p in parts) == f.predicted


def test_splitting_a_file_leaves_its_family_summary_unchanged(tmp_path: Path) -> None:
    header, rows = _rows(DATA / "reliability_published.csv")
    whole = _write(tmp_path / "whole.csv", header, rows)
    parts = tmp_path / "parts"
    parts.mkdir()
    _write(parts / "a.csv", header, rows[:3])
    _write(parts / "b.csv", header, rows[3:])
    one = validate_paths([whole]).families()["reliability"]
    two = validate_paths([parts]).families()["reliability"]
    assert len(two.files) == 2
    keep = ("rows", "predicted", "within", "median_abs_error")
    assert [getattr(one.overall, k) for k in keep] == [getattr(two.overall, k) for k in keep]
    assert one.by_source.keys() == two.by_source.keys()
    assert one.overall.worst is not None and two.overall.worst is not None
    assert one.overall.worst.row.id == two.overall.worst.row.id


def test_a_row_not_predicted_counts_as_outside_its_tolerance(tmp_path: Path) -> None:
    header, rows = _rows(DATA / "reliability_published.csv")
    bad = [list(r) for r in rows[:2]]
    bad[1][header.index("gpu")] = "h900"
    fam = validate_paths([_write(tmp_path / "r.csv", header, bad)]).families()["reliability"]
    f = fam.overall
    assert (f.rows, f.predicted, f.rows - f.predicted) == (2, 1, 1)
    assert f.within_share is not None and f.within_share <= 0.5
    (missing,) = fam.not_predicted
    assert missing.row.error is not None and "gpu" in missing.row.error


def test_nothing_to_validate_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "junk.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="not a known format"):
        validate_paths([tmp_path / "junk.csv", tmp_path / "empty"])
    with pytest.raises(InputError, match="no measurements file"):
        validate_paths([tmp_path / "empty"])
    with pytest.raises(InputError) as info:
        validate_paths([tmp_path / "nope", DATA / "reliability_published.csv", tmp_path / "no2"])
    assert [p.file for p in info.value.problems] == [str(tmp_path / "nope"), str(tmp_path / "no2")]


@given(st.text(max_size=60))
def test_source_key_is_the_leading_words(text: str) -> None:
    key = source_key(text)
    assert key == NO_SOURCE or not any(c in key for c in ",:;(")
    assert key == NO_SOURCE or text.split()[0].startswith(key.split()[0])
    assert source_key(key) == key


def test_one_publication_cited_two_ways_is_one_source() -> None:
    a = source_key("Kokolis et al. (arXiv:2410.21680, 2024-10; HPCA 2025): measured MTTF")
    b = source_key("Kokolis et al., Revisiting Reliability in Large-Scale ML Research Clusters")
    assert a == b == "Kokolis et al."
    assert source_key("  ") == NO_SOURCE


# ---- command line -----------------------------------------------------------------------
def test_cli_json_has_families_files_and_skipped(mixed_dir: Path) -> None:
    res = runner.invoke(app, ["validate", str(mixed_dir), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert set(data) == {"families", "files", "skipped"}
    assert list(data["families"]) == list(FAMILIES)
    fields = {"files", "rows", "predicted", "not_predicted", "median_abs_error", "within_share"}
    for fam in data["families"].values():
        assert fields | {"worst", "by_source", "not_predicted_rows"} <= set(fam)
        for source in fam["by_source"].values():
            assert fields - {"files"} <= set(source)
    assert [Path(f["file"]).name for f in data["files"]] == sorted(PUBLISHED)
    assert all("source" in row and "note" in row for f in data["files"] for row in f["rows"])
    assert [Path(s["file"]).name for s in data["skipped"]] == ["junk.csv"]


def test_cli_one_file_keeps_its_report_object(reference_dir: Path) -> None:
    res = runner.invoke(app, ["validate", str(reference_dir / "serving.csv"), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert {"file", "kind", "rows", "median_abs_error", "max_abs_error"} <= set(data)
    assert data["summary"]["rows"] == len(data["rows"])


def test_cli_text_summary_and_exit_status(mixed_dir: Path, tmp_path: Path) -> None:
    res = runner.invoke(app, ["validate", str(mixed_dir), "--summary"])
    assert res.exit_code == 0, res.output
    assert "validation summary by family" in res.output and "skipped" in res.output
    assert "Narayanan et al. 2021" in res.output and "Kokolis et al." in res.output
    assert "chosen by search" not in res.output  # --summary: no row tables
    header, rows = _rows(DATA / "reliability_published.csv")
    far = [list(rows[0])]
    far[0][header.index("value")] = str(float(rows[0][header.index("value")]) * 10)
    off = _write(tmp_path / "off.csv", header, far)
    assert runner.invoke(app, ["validate", str(off)]).exit_code == 0
    assert runner.invoke(app, ["validate", str(off), "--strict"]).exit_code == 1
    good = _write(tmp_path / "good.csv", header, rows[:1])
    assert runner.invoke(app, ["validate", str(good), "--strict"]).exit_code == 0
    missing = runner.invoke(app, ["validate", str(good), str(tmp_path / "nope")])
    assert missing.exit_code == 2 and "nope" in missing.output


# ---- HTML --------------------------------------------------------------------------------
def test_validation_page_is_written_and_escaped(tmp_path: Path) -> None:
    header, rows = _rows(DATA / "reliability_published.csv")
    row = list(rows[0])
    row[header.index("id")] = "<script>alert(1)</script>"
    row[header.index("note")] = 'note with <b>tags</b> & "quotes"'
    row[header.index("source")] = "Evil <i>Lab</i>, 2025"
    f = _write(tmp_path / "evil.csv", header, [row, *rows[1:3]])
    out = tmp_path / "out"
    res = runner.invoke(app, ["validate", str(f), "--out", str(out)])
    assert res.exit_code == 0, res.output
    text = (out / "validation.html").read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "Plotly.newPlot(" in text
    assert "chart-validation-reliability" in text and "y = x" in text
    assert "<script>alert(1)</script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "&lt;b&gt;tags&lt;/b&gt; &amp; &quot;quotes&quot;" in text
    assert "Evil &lt;i&gt;Lab&lt;/i&gt;" in text
    assert json.loads((out / "validation.json").read_text(encoding="utf-8"))["families"]


def test_plan_report_links_the_validation_page(mixed_run: ValidationRun) -> None:
    page = render_html(Plan(scenario="with validation"), validation=mixed_run)
    assert 'id="validation"' in page and f'href="{VALIDATION_PAGE}' in page
    for family in FAMILIES:
        assert f"{VALIDATION_PAGE}#validation-{family}" in page
        assert f'id="validation-{family}"' in validation_html(mixed_run)
    assert 'id="validation"' not in render_html(Plan(scenario="without"))


def test_the_reference_directory_validates_in_one_call(reference_dir: Path) -> None:
    run = validate_paths([reference_dir])
    assert run.skipped == [] and list(run.families()) == list(FAMILIES)
    assert run.all_predicted
    for report in run.reports:
        assert run.families()[report.kind].overall.median_abs_error == (
            validate_file(report.file).median_abs_error
        )


def test_plan_report_folder_gets_the_validation_page(tmp_path: Path) -> None:
    from gigawatt.report import write_report

    run = validate_paths([DATA / "reliability_published.csv"])
    written = write_report(Plan(scenario="with validation"), tmp_path, run)
    names = {p.name for p in written}
    assert {"report.html", VALIDATION_PAGE, "validation.json"} <= names
    assert all(p.is_file() for p in written)
    assert f'href="{VALIDATION_PAGE}' in (tmp_path / "report.html").read_text(encoding="utf-8")
