"""No scenario file can crash, hang or exhaust the loader: every bad file is one clear error
naming the file, line, field and what is allowed."""

from __future__ import annotations

import os
import tracemalloc
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from gigawatt.cli import app
from gigawatt.errors import ScenarioError
from gigawatt.scenario import load_scenario
from gigawatt.yamlio import LIMITS, Limits, load_yaml_with_lines

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()

RUN = """name: t
training:
  - name: r
    model: llama3-8b
    tokens: 1.0e+12
    accelerator: h100-sxm
    gpus: {gpus}
"""


def _write(tmp_path: Path, text: str | bytes, name: str = "s.yaml") -> Path:
    f = tmp_path / name
    if isinstance(text, bytes):
        f.write_bytes(text)
    else:
        f.write_text(text, encoding="utf-8")
    return f


def _error(path: Path, limits: Limits = LIMITS) -> str:
    with pytest.raises(ScenarioError) as info:
        load_yaml_with_lines(path, limits)
    assert len(info.value.problems) == 1
    return str(info.value)


def _bomb(levels: int) -> str:
    """The billion-laughs file: each level lists the one before nine times."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]")
    return "\n".join(lines) + "\n"


def test_alias_bomb_is_refused_with_little_memory(tmp_path: Path) -> None:
    f = _write(tmp_path, _bomb(9))
    assert f.stat().st_size < 600
    tracemalloc.start()
    try:
        text = _error(f)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert f"{f}:" in text and "counting aliases expanded" in text and "250,000" in text
    assert peak < 5_000_000  # refused while counting, long before 9**10 values exist


def test_aliases_within_the_limits_still_work(tmp_path: Path) -> None:
    f = _write(tmp_path, "base: &b {gpus: 8}\nrun: *b\nother: *b\n")
    data, lines = load_yaml_with_lines(f)
    assert data["run"] == {"gpus": 8} and lines[("other",)] == 3
    assert "aliases" in _error(f, Limits(max_aliases=1))


def test_recursive_and_unknown_aliases(tmp_path: Path) -> None:
    assert "containing it" in _error(_write(tmp_path, "a: &a [1, *a]\n"))
    assert "no anchor" in _error(_write(tmp_path, "a: *nope\n"))


def test_nesting_depth_is_limited_and_never_a_recursion_error(tmp_path: Path) -> None:
    deep_map = "".join(" " * i + f"k{i}:\n" for i in range(LIMITS.max_depth + 1)) + " " * 99 + "1"
    text = _error(_write(tmp_path, deep_map))
    assert ":65: " in text and "at most 64" in text
    brackets = _write(tmp_path, "[" * 200_000 + "]" * 200_000, "deep.yaml")
    assert "at most 64" in _error(brackets)
    ok = "".join(" " * i + f"k{i}:\n" for i in range(LIMITS.max_depth - 1)) + " " * 63 + "x: 1"
    assert load_yaml_with_lines(_write(tmp_path, ok, "ok.yaml"))[0]["k0"]["k1"] is not None


def test_node_and_size_limits_name_the_limit(tmp_path: Path) -> None:
    many = _write(tmp_path, "[" + "1, " * 200 + "]")
    assert "more than 100 values" in _error(many, Limits(max_nodes=100))
    assert len(load_yaml_with_lines(many)[0]) == 200
    big = _write(tmp_path, b"a: 1\n" + b"#" * LIMITS.max_bytes, "big.yaml")
    text = _error(big)
    assert "larger than 5 MB" in text and "5,242,880 bytes" in text


def test_duplicate_keys_name_both_lines(tmp_path: Path) -> None:
    f = _write(tmp_path, RUN.format(gpus=8) + "    gpus: 16\n")
    text = _error(f)
    assert f"{f}:8: training[0].gpus" in text and "given twice (first at line 7" in text
    top = _write(tmp_path, "name: a\nname: b\n", "top.yaml")
    assert ":2: name: field 'name' given twice" in _error(top)


@pytest.mark.parametrize("word", ["yes", "no", "on", "off", "Yes", "true", "false"])
def test_booleans_are_not_numbers(tmp_path: Path, word: str) -> None:
    f = _write(tmp_path, RUN.format(gpus=word))
    with pytest.raises(ScenarioError) as info:
        load_scenario(f)
    assert f"{f}:7: training[0].gpus" in str(info.value)


def test_yaml11_words_still_mean_true_where_a_flag_is_expected(tmp_path: Path) -> None:
    text = RUN.format(gpus=8) + "    plan: {sequence_parallel: yes}\n"
    scenario = load_scenario(_write(tmp_path, text))
    assert scenario.training[0].plan is not None
    assert scenario.training[0].plan.sequence_parallel is True


def test_core_schema_scalars(tmp_path: Path) -> None:
    f = _write(tmp_path, "a: 15.6e12\nb: 0x10\nc: 010\nd: 1:30\ne: 2026-01-01\nf: ~\ng: '8'\n")
    data = load_yaml_with_lines(f)[0]
    assert data == {
        "a": 15.6e12,
        "b": 16,
        "c": 10,
        "d": "1:30",
        "e": "2026-01-01",
        "f": None,
        "g": "8",
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: .inf\n", "must be finite"),
        ("a: 1e999\n", "must be finite"),
        ("a: " + "9" * 5000 + "\n", "digits"),
        ("a: !!python/object:os.system x\n", "not allowed"),
        ("a: !!binary aGk=\n", "not allowed"),
        ("a: !!set {x}\n", "not allowed"),
        ("a: !!int 1.5\n", "not a valid int"),
        ("? [a, b]\n: 1\n", "key must be a plain value"),
        ("a: 1\n---\nb: 2\n", "one document"),
        ("a: [1, 2\nb: 3\n", "not valid YAML"),
        ("a: \x07\n", "not allowed in YAML"),
    ],
)
def test_unsafe_or_malformed_values_are_one_error_with_a_line(
    tmp_path: Path, text: str, expected: str
) -> None:
    f = _write(tmp_path, text)
    message = _error(f)
    assert expected in message and message.startswith(f"{f}:")


def test_files_that_are_not_yaml_text(tmp_path: Path) -> None:
    assert "file not found" in _error(tmp_path / "missing.yaml")
    assert "is a folder" in _error(tmp_path)
    assert ":1: -: the file is empty" in _error(_write(tmp_path, "", "empty.yaml"))
    assert "the file is empty" in _error(_write(tmp_path, "# only a comment\n", "c.yaml"))
    assert ":2: -: byte 0xff is not UTF-8" in _error(_write(tmp_path, b"a: 1\nb: \xff\n", "l.yaml"))
    assert "binary data" in _error(_write(tmp_path, b"\x7fELF\x00\x01", "bin.yaml"))
    assert "UTF-16" in _error(_write(tmp_path, "a: 1\n".encode("utf-16"), "u16.yaml"))
    assert load_yaml_with_lines(_write(tmp_path, "\ufeffa: 1\n", "bom.yaml"))[0] == {"a": 1}


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_named_pipe_is_refused_without_blocking(tmp_path: Path) -> None:
    pipe = tmp_path / "pipe.yaml"
    os.mkfifo(pipe)
    assert "not a regular file" in _error(pipe)


@pytest.mark.skipif(os.geteuid() == 0 if hasattr(os, "geteuid") else True, reason="root reads all")
def test_an_unreadable_file_is_one_error(tmp_path: Path) -> None:
    f = _write(tmp_path, "a: 1\n")
    f.chmod(0)
    assert "cannot read" in _error(f)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_load_or_give_a_scenario_error(
    tmp_path_factory: pytest.TempPathFactory, raw: bytes
) -> None:
    f = tmp_path_factory.mktemp("fuzz") / "s.yaml"
    f.write_bytes(raw)
    try:
        load_scenario(f)
    except ScenarioError as exc:
        assert exc.problems and all(p.file == str(f) for p in exc.problems)


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet="ab:-[]{}&*!? \n,#'\"0.1yes", max_size=120))
def test_yaml_like_text_loads_or_gives_a_scenario_error(
    tmp_path_factory: pytest.TempPathFactory, text: str
) -> None:
    f = tmp_path_factory.mktemp("fuzz") / "s.yaml"
    f.write_text(text, encoding="utf-8")
    try:
        load_scenario(f)
    except ScenarioError as exc:
        assert exc.problems


@pytest.mark.parametrize("path", sorted((ROOT / "scenarios").rglob("*.yaml")), ids=lambda p: p.name)
def test_shipped_files_read_as_pyyaml_reads_them(path: Path) -> None:
    data, lines = load_yaml_with_lines(path)
    assert data == yaml.safe_load(path.read_text(encoding="utf-8"))
    assert lines[()] >= 1 and all(line >= 1 for line in lines.values())


def test_cli_check_prints_one_line_per_bad_file(tmp_path: Path) -> None:
    for f in (
        _write(tmp_path, _bomb(9), "bomb.yaml"),
        _write(tmp_path, b"\x00\x01", "bin.yaml"),
        tmp_path,
        _write(tmp_path, RUN.format(gpus="yes"), "yes.yaml"),
    ):
        res = runner.invoke(app, ["check", str(f)])
        assert res.exit_code == 2 and "Traceback" not in res.output
        assert res.output.count("error") == 1, res.output
