"""Where `gigawatt run` writes: scenarios whose names read alike keep their own folders, a bad
output place or store is refused before planning, and a run the store refuses is not lost."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gigawatt.cli import app
from gigawatt.errors import InputError
from gigawatt.outdir import folder_name, output_folders, prepare_folder
from gigawatt.plan import Plan

runner = CliRunner()
MINIMAL = (
    "name: {name}\ntraining:\n  - name: t\n    model: llama3-8b\n    tokens: 1.0e+12\n"
    "    accelerator: h100-sxm\n    gpus: 64\n"
)


def _scenario(tmp_path: Path, file: str, name: str) -> Path:
    f = tmp_path / file
    f.write_text(MINIMAL.format(name=name), encoding="utf-8")
    return f


def test_names_that_slug_alike_get_their_own_folders() -> None:
    names = ["Lab 1024", "lab-1024", "LAB_1024", "lab 1024!"]
    folders = {folder_name(n) for n in names}
    assert len(folders) == len(names)
    assert all(f.startswith("lab-1024-") for f in folders)
    assert folder_name("Lab 1024") == folder_name("Lab 1024")  # stable across runs
    assert folder_name("!!!").startswith("scenario-")


def test_output_folders_for_one_or_several_scenarios(tmp_path: Path) -> None:
    one = output_folders([("a.yaml", "A")], tmp_path / "x")
    assert one == [tmp_path / "x"]
    two = output_folders([("a.yaml", "Lab 1024"), ("b.yaml", "lab-1024")], tmp_path)
    assert two[0] != two[1] and {f.parent for f in two} == {tmp_path}
    assert output_folders([("a.yaml", "A")], None)[0].parent == Path("out")
    with pytest.raises(InputError, match=r"also the name of a\.yaml"):
        output_folders([("a.yaml", "Same"), ("b.yaml", "Same")], None)


def test_an_output_place_that_is_a_file_or_under_a_file(tmp_path: Path) -> None:
    file = tmp_path / "report.txt"
    file.write_text("keep me\n", encoding="utf-8")
    with pytest.raises(InputError, match="is a file"):
        prepare_folder(file)
    with pytest.raises(InputError, match="cannot create the folder"):
        prepare_folder(file / "sub")
    assert file.read_text(encoding="utf-8") == "keep me\n"


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root writes anywhere")
def test_an_unwritable_output_folder(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(InputError, match=r"not writable|cannot create"):
            prepare_folder(locked / "out")
    finally:
        locked.chmod(0o700)


def test_cli_two_alike_names_do_not_overwrite_each_other(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gigawatt.report

    def plan_json_only(plan: Plan, folder: Path) -> list[Path]:  # the HTML report is slow
        (folder / "plan.json").write_text(json.dumps({"scenario": plan.scenario}), "utf-8")
        return [folder / "plan.json"]

    monkeypatch.setattr(gigawatt.report, "write_report", plan_json_only)
    monkeypatch.chdir(tmp_path)
    a = _scenario(tmp_path, "a.yaml", "Lab 1024")
    b = _scenario(tmp_path, "b.yaml", "lab-1024")
    res = runner.invoke(app, ["run", str(a), str(b), "--json"])
    assert res.exit_code == 0, res.output
    plans = sorted(
        json.loads(p.read_text(encoding="utf-8"))["scenario"]
        for p in (tmp_path / "out").glob("*/plan.json")
    )
    assert plans == ["Lab 1024", "lab-1024"]


def test_cli_out_onto_a_file_is_one_error_before_planning(tmp_path: Path) -> None:
    a = _scenario(tmp_path, "a.yaml", "A")
    target = tmp_path / "taken"
    target.write_text("x", encoding="utf-8")
    res = runner.invoke(app, ["run", str(a), "--out", str(target)])
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert res.output.count("error") == 1 and "is a file" in res.output


def test_cli_wrong_store_is_refused_before_planning(tmp_path: Path) -> None:
    a = _scenario(tmp_path, "a.yaml", "A")
    store = tmp_path / "notes.txt"
    store.write_text("not a store\n", encoding="utf-8")
    res = runner.invoke(app, ["run", str(a), "--out", str(tmp_path / "o"), "--store", str(store)])
    assert res.exit_code == 2 and "not a DuckDB database" in res.output
    assert not (tmp_path / "o" / "plan.json").exists()


def test_cli_a_run_the_store_refuses_says_where_its_tables_are(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gigawatt.store as store_module
    from gigawatt.errors import StoreBusyError, StoreError

    def busy(*_: object, **__: object) -> str:
        raise StoreBusyError([store_module.Problem("r.duckdb", "store", "in use by process 1")])

    monkeypatch.setattr(store_module, "save_plan", busy)
    a = _scenario(tmp_path, "a.yaml", "A")
    out = tmp_path / "o"
    res = runner.invoke(app, ["run", str(a), "--out", str(out), "--store", str(tmp_path / "r")])
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert (
        "in use by process 1" in res.output
        and f"{out}: tables: this run was not stored" in res.output
    )
    assert (out / "tables" / "fleet.csv").exists() or any((out / "tables").iterdir())
    assert issubclass(StoreBusyError, StoreError)
