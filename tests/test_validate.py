"""Accuracy against published measurements (read from ../shared/reference)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gigawatt.errors import InputError
from gigawatt.validate import validate_file


def test_training_reference_meets_target(reference_dir: Path) -> None:
    report = validate_file(reference_dir / "training.csv")
    assert report.kind == "training"
    assert all(r.error is None for r in report.rows), [r.error for r in report.rows]
    assert len(report.rows) >= 9
    assert report.median_abs_error is not None and report.median_abs_error <= 0.05
    assert report.max_abs_error is not None and report.max_abs_error <= 0.12
    for r in report.rows:
        assert r.within, r.id


def test_blank_execution_fields_are_chosen_and_reported(reference_dir: Path) -> None:
    report = validate_file(reference_dir / "training.csv")
    llama = next(r for r in report.rows if r.id.startswith("llama3"))
    assert {"vpp", "micro_batch", "recompute"} <= set(llama.chosen)


def test_other_formats_are_recognised_without_crashing(reference_dir: Path) -> None:
    for name, kind in (("serving.csv", "serving"), ("reliability.csv", "reliability")):
        report = validate_file(reference_dir / name)
        assert report.kind == kind
        assert report.rows


HEADER = (
    "id,source,model,n_layers,d_model,n_heads,n_kv_heads,d_ff,ffn,vocab_size,seq_len,"
    "moe_experts,moe_top_k,gpu,n_gpus,tp,pp,dp,cp,ep,vpp,micro_batch,global_batch,"
    "recompute,sequence_parallel,precision,metric,value,tolerance,note\n"
)


def test_unseen_rows_are_predicted(tmp_path: Path) -> None:
    f = tmp_path / "new.csv"
    f.write_text(
        HEADER + "a,x,L70,80,8192,64,8,28672,swiglu,128256,8192,,,h100-sxm,1024,8,,,,,,,512,,,bf16,"
        "step_time_s,10,0.2,\n"
        + "b,x,moe,32,4096,32,8,14336,swiglu,32000,4096,8,2,h100-sxm,64,,,,,,,,256,,,bf16,"
        "step_time_s,5,0.2,\n",
        encoding="utf-8",
    )
    report = validate_file(f)
    assert [r.error for r in report.rows] == [None, None]
    assert all(r.predicted and r.predicted > 0 for r in report.rows)
    assert report.rows[0].chosen["pp"] >= 1 and "tp" not in report.rows[0].chosen


TAIL = "step_time_s,1,0.1,\n"


def test_bad_rows_name_file_line_row_and_field(tmp_path: Path) -> None:
    f = tmp_path / "bad.csv"
    f.write_text(
        HEADER
        + "r1,x,m,-3,8192,64,8,,swiglu,128256,8192,,,h100-sxm,64,,,,,,,,64,,,bf16,"
        + TAIL
        + "r2,x,m,8,512,8,8,,swiglu,1000,512,,,h900,64,,,,,,,,64,,,bf16,"
        + TAIL
        + "r3,x,m,8,512,8,8,,swiglu,1000,512,,,h100-sxm,64,,,,,,,,64,sometimes,,bf16,"
        + TAIL,
        encoding="utf-8",
    )
    report = validate_file(f)
    errors = [r.error or "" for r in report.rows]
    assert "bad.csv:2: row r1: n_layers" in errors[0] and "integer >= 1" in errors[0]
    assert "bad.csv:3: row r2: gpu" in errors[1] and "h100-sxm" in errors[1]
    assert "row r3: recompute" in errors[2] and "selective" in errors[2]
    assert report.median_abs_error is None


def test_unknown_format_and_missing_file(tmp_path: Path) -> None:
    f = tmp_path / "x.csv"
    f.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(InputError, match="not a known format"):
        validate_file(f)
    with pytest.raises(InputError, match="file not found"):
        validate_file(tmp_path / "nope.csv")
