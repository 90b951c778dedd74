"""Validation is one registry of validators, and a bad cell never aborts a file.

Reference rows are read from ../shared/reference (never copied into the repository).
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import gigawatt.validate.serving as vserving
import gigawatt.validate.training as vtraining
from gigawatt.cli import app
from gigawatt.errors import InputError
from gigawatt.validate import (
    COMMON_RANGES,
    REGISTRY,
    Range,
    Row,
    RowResult,
    ValidationReport,
    Validator,
    detect,
    detect_kind,
    validate_file,
)

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"


def _read(path: Path) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    return rows[0], rows[1:]


def _write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    buf = io.StringIO(newline="")
    # every cell quoted: a bare carriage return in an unquoted cell ends a record (RFC 4180),
    # which a writer with "\n" line ends would leave unquoted
    csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_ALL).writerows([header, *rows])
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def _numbers(report: ValidationReport) -> dict[str, tuple[float | None, str | None]]:
    return {r.id: (r.predicted, r.error) for r in report.rows}


# ---- registry --------------------------------------------------------------------------
def test_registry_dispatches_by_columns() -> None:
    for kind, validator in REGISTRY.items():
        assert detect_kind(validator.columns | {"id", "value", "note"}) == kind
    training = REGISTRY["training"].columns
    # a training header also holds the reliability columns but for days: the most specific wins
    assert detect_kind(training | {"days"}) == "training"
    assert detect_kind({"id", "gpu", "metric"}) == "unknown"
    assert detect([]) is None


def test_reference_files_are_recognised(reference_dir: Path) -> None:
    for kind in ("training", "serving", "reliability"):
        header, _ = _read(reference_dir / f"{kind}.csv")
        assert detect_kind(header) == kind


def test_a_new_kind_is_one_registry_entry(tmp_path: Path) -> None:
    def predict_double(row: Row, catalog: object) -> RowResult:
        x = row.req_float("x")
        return RowResult(row.id, "double", row.req_float("value"), 2 * x, None)

    new = Validator(
        "double",
        frozenset({"x", "value"}),
        predict_double,
        0.5,
        {**COMMON_RANGES, "x": Range(0, 10)},
    )
    registry = {**REGISTRY, "double": new}
    f = _write(tmp_path / "d.csv", ["id", "x", "value"], [["a", "2", "4"], ["b", "99", "1"]])
    report = validate_file(f, registry=registry)
    assert report.kind == "double"
    assert report.rows[0].predicted == 4 and report.rows[0].within is True
    assert report.rows[0].tolerance == 0.5  # the registry's default for a blank tolerance
    assert report.rows[1].error and "x" in report.rows[1].error and "<= 10" in report.rows[1].error


def test_model_modules_do_not_import_validation() -> None:
    code = (
        "import sys, gigawatt.perf.serving, gigawatt.reliability\n"
        "assert not [m for m in sys.modules if m.startswith('gigawatt.validate')]\n"
        "import gigawatt.validate\n"
    )
    env_path = str(ROOT / "src")
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={"PYTHONPATH": env_path, "PATH": ""},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


# ---- bad rows --------------------------------------------------------------------------
BAD_TRAINING_CELLS = [
    ("n_layers", "", "required"),
    ("d_model", "abc", "not a number"),
    ("n_heads", "nan", "out of range"),
    ("vocab_size", "inf", "out of range"),
    ("seq_len", "-2048", "out of range"),
    ("global_batch", "1e308", "out of range"),
    ("n_gpus", "1e20", "out of range"),
    ("micro_batch", "0.5", "out of range"),
    ("value", "-1", "out of range"),
    ("tolerance", "1e308", "out of range"),
]


def test_each_bad_training_cell_is_its_rows_error(reference_dir: Path, tmp_path: Path) -> None:
    header, rows = _read(reference_dir / "training.csv")
    good = rows[0]
    bad = []
    for name, text, _ in BAD_TRAINING_CELLS:
        row = list(good)
        row[header.index("id")] = f"bad-{name}"
        row[header.index(name)] = text
        bad.append(row)
    f = _write(tmp_path / "mixed.csv", header, [good, *bad, good])
    report = validate_file(f)
    baseline = validate_file(_write(tmp_path / "good.csv", header, [good]))
    assert report.rows[0].predicted == baseline.rows[0].predicted is not None
    assert report.rows[-1].predicted == baseline.rows[0].predicted
    for line, (r, (name, _, what)) in enumerate(
        zip(report.rows[1:-1], BAD_TRAINING_CELLS, strict=True), 3
    ):
        assert r.error is not None and r.predicted is None, name
        assert f"mixed.csv:{line}: row bad-{name}: {name}" in r.error
        assert what in r.error
        assert str(vtraining.RANGES[name]) in r.error  # names the allowed range
    assert report.median_abs_error == baseline.median_abs_error


def test_absurd_values_are_refused_before_the_search(
    reference_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_search(*args: object, **kwargs: object) -> None:
        raise AssertionError("the search ran")

    monkeypatch.setattr(vtraining, "search", no_search)
    monkeypatch.setattr(vserving, "predict_serving", no_search)
    header, rows = _read(reference_dir / "training.csv")
    cells = [("global_batch", "1e308"), ("n_gpus", "1e20"), ("n_layers", "1e9"), ("pp", "1e300")]
    bad = []
    for name, text in cells:
        row = list(rows[0])
        row[header.index(name)] = text
        bad.append(row)
    report = validate_file(_write(tmp_path / "t.csv", header, bad))
    assert all(r.error and "out of range" in r.error for r in report.rows)
    header, rows = _read(reference_dir / "serving.csv")
    row = list(rows[0])
    for name in ("tp", "pp"):
        row[header.index(name)] = ""
    row[header.index("n_gpus")] = "1e20"
    (r,) = validate_file(_write(tmp_path / "s.csv", header, [row])).rows
    assert r.error and "n_gpus" in r.error and "out of range" in r.error


def test_bad_reliability_cells(reference_dir: Path, tmp_path: Path) -> None:
    header, rows = _read(DATA / "reliability_published.csv")
    cells = [("days", "1e308"), ("n_gpus", "1e20"), ("fleet_age_years", "-1")]
    cells += [("value", "nan"), ("n_gpus", "")]
    bad = []
    for name, text in cells:
        row = list(rows[0])
        row[header.index(name)] = text
        bad.append(row)
    report = validate_file(_write(tmp_path / "r.csv", header, [*bad, rows[0]]))
    for r, (name, _) in zip(report.rows[:-1], cells, strict=True):
        assert r.error and f"{name}:" in r.error, (name, r.error)
    assert report.rows[-1].error is None and report.rows[-1].within


def test_error_rows_keep_a_readable_measured_value(tmp_path: Path) -> None:
    header = ["id", "gpu", "n_gpus", "days", "metric", "value", "tolerance"]
    rows = [["a", "nogpu", "8", "1", "job_mttf_h", "abc", ""]]
    (r,) = validate_file(_write(tmp_path / "r.csv", header, rows)).rows
    assert r.error and r.measured != r.measured  # NaN, written as null in JSON


def test_line_numbers_survive_blank_lines_and_multiline_cells(
    reference_dir: Path, tmp_path: Path
) -> None:
    text = (reference_dir / "reliability.csv").read_text(encoding="utf-8").splitlines()
    header, row = text[0], text[1]
    bad = row.replace(",h100-sxm,", ",nogpu,")
    f = tmp_path / "r.csv"
    f.write_text(f'{header}\n\n{row[:-1]} two\nlines"\n\n{bad}\n', encoding="utf-8")
    a, b = validate_file(f).rows
    assert a.error is None
    assert b.error and "r.csv:6: row" in b.error  # header 1, blank 2, row 3-4, blank 5


# ---- bad files -------------------------------------------------------------------------
def _bad_files(tmp_path: Path) -> dict[str, Path]:
    d = tmp_path / "adir"
    d.mkdir()
    files = {
        "is a directory": d,
        "empty": tmp_path / "empty.csv",
        "blank": tmp_path / "blank.csv",
        "binary": tmp_path / "bin.csv",
        "not UTF-8": tmp_path / "latin1.csv",
        "not a known format": tmp_path / "other.csv",
        "file not found": tmp_path / "missing.csv",
    }
    files["empty"].write_bytes(b"")
    files["blank"].write_text("\n  \n", encoding="utf-8")
    files["binary"].write_bytes(b"PK\x03\x04\x00\x00\x08\x00")
    files["not UTF-8"].write_bytes("id,gpu,n_gpus,days,metric\nr,h\xe9,1,1,x\n".encode("latin-1"))
    files["not a known format"].write_text("a,b\n1,2\n", encoding="utf-8")
    return files


def test_bad_files_get_one_clear_error(tmp_path: Path) -> None:
    for what, path in _bad_files(tmp_path).items():
        with pytest.raises(InputError) as info:
            validate_file(path)
        (problem,) = info.value.problems
        assert problem.file == str(path)
        message = problem.message if what != "blank" else problem.message.replace("empty", "blank")
        assert what in message, (what, message)
        if what != "file not found":
            assert "training needs" in message and "reliability needs" in message


def test_cli_reports_bad_files_without_a_traceback(tmp_path: Path) -> None:
    runner = CliRunner()
    for path in _bad_files(tmp_path).values():
        res = runner.invoke(app, ["validate", str(path)])
        assert res.exit_code == 2, res.output
        assert "Traceback" not in res.output and not isinstance(res.exception, InputError)


def test_a_header_without_rows_is_an_empty_report(tmp_path: Path) -> None:
    f = tmp_path / "h.csv"
    f.write_text("id,gpu,n_gpus,days,metric,value\n", encoding="utf-8")
    report = validate_file(f)
    assert report.kind == "reliability" and report.rows == []
    assert report.median_abs_error is None


# ---- one garbage cell never changes the other rows -------------------------------------
GARBAGE = st.one_of(
    st.sampled_from(["", "abc", "nan", "-inf", "inf", "-1", "0", "1e308", "1e20", "0.5", "true"]),
    st.integers(-(10**30), 10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12),
)


@pytest.fixture(scope="module")
def reference_sets(
    reference_dir: Path,
) -> list[tuple[list[str], list[list[str]], dict[str, object]]]:
    sets = []
    for path in (reference_dir / "training.csv", reference_dir / "serving.csv"):
        header, rows = _read(path)
        sets.append((header, rows, _numbers(validate_file(path))))
    header, rows = _read(DATA / "reliability_published.csv")
    sets.append((header, rows, _numbers(validate_file(DATA / "reliability_published.csv"))))
    return sets


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(which=st.integers(0, 2), pick=st.integers(0, 10**6), col=st.integers(0, 10**6), junk=GARBAGE)
@example(which=0, pick=0, col=0, junk="k22-full\rx")
def test_one_garbage_cell_leaves_the_other_rows_alone(
    reference_sets: list[tuple[list[str], list[list[str]], dict[str, object]]],
    which: int,
    pick: int,
    col: int,
    junk: str,
) -> None:
    header, rows, baseline = reference_sets[which]
    i, j = pick % len(rows), col % len(header)
    mutated = [list(r) for r in rows]
    if header[j] == "id":
        junk = f"{rows[i][j]}{junk}x"  # ids stay unique so the other rows can be found
    mutated[i][j] = junk
    with tempfile.TemporaryDirectory() as tmp:
        report = validate_file(_write(Path(tmp) / "m.csv", header, mutated))
    assert len(report.rows) == len(rows)
    for k, r in enumerate(report.rows):
        if k != i:
            assert (r.predicted, r.error) == baseline[r.id], r.id
        elif r.error is not None:
            assert f"m.csv:{i + 2}: row" in r.error
