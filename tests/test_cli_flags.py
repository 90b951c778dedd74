"""The command line speaks one language: one option name per concept in every command, old
spellings still accepted but hidden, help readable at 80 columns, a light start-up."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.core import TyperCommand, TyperGroup
from typer.testing import CliRunner

from gigawatt.cli import app
from gigawatt.commands._shared import flags_for_fields, renamed
from gigawatt.errors import InputError, Problem

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()

# concept -> the one spelling every command uses for it
CONCEPTS = {"accelerator": ["--accelerator", "-a"], "count": ["--count", "-n"]}
OLD_SPELLINGS = {
    "--gpu",
    "--gpus",
    "--currency",
    "--seq",
    "--input-len",
    "--output-len",
    "--weights",
    "--per-month",
    "--year",
    "--site",  # only in reliability, where it is a site type
    "--storage-tb-per-gpu",
    "--power-per-gpu-kw",
    "--requests-per-user",
}
COMMANDS_WITH_ACCELERATOR = {"train", "serve", "cost", "budget", "reliability", "wafers"}


def _commands() -> Iterator[tuple[str, TyperCommand]]:
    """Every leaf command of the application with its full name ('catalog list')."""

    def walk(prefix: str, group: TyperGroup) -> Iterator[tuple[str, TyperCommand]]:
        for name, cmd in group.commands.items():
            full = f"{prefix} {name}".strip()
            if isinstance(cmd, TyperGroup):
                yield from walk(full, cmd)
            else:
                yield full, cmd

    root = typer.main.get_command(app)
    assert isinstance(root, TyperGroup)
    return walk("", root)


ALL = dict(_commands())


def _visible_options(cmd: TyperCommand) -> dict[str, list[str]]:
    return {
        str(p.name): [*p.opts, *p.secondary_opts]
        for p in cmd.params
        if p.param_type_name == "option" and not getattr(p, "hidden", False)
    }


def test_every_command_is_found() -> None:
    assert COMMANDS_WITH_ACCELERATOR | {"check", "run", "ops", "facility", "catalog list"} <= set(
        ALL
    )


@pytest.mark.parametrize("name", sorted(ALL))
def test_one_name_per_concept(name: str) -> None:
    options = _visible_options(ALL[name])
    for concept, spelling in CONCEPTS.items():
        if concept in options:
            assert options[concept] == spelling, (name, concept)
    if name in COMMANDS_WITH_ACCELERATOR:
        assert options["accelerator"] == CONCEPTS["accelerator"]
    words = {w for opts in options.values() for w in opts}
    if name != "facility":  # facility's --site is a site id, as in the scenario
        assert not words & OLD_SPELLINGS, name
    if "as_json" in options:
        assert options["as_json"] == ["--json"]
    # a currency option says which currency it is
    assert not any(w == "--currency" for w in words)


def test_currencies_say_what_they_mean() -> None:
    assert "--display-currency" in _visible_options(ALL["cost"])["display_currency"]
    assert "--amount-currency" in _visible_options(ALL["budget"])["amount_currency"]


@pytest.mark.parametrize("name", ["", *sorted(ALL), "catalog"])
def test_help_fits_80_columns_and_hides_old_spellings(name: str) -> None:
    res = runner.invoke(app, [*name.split(), "--help"], env={"COLUMNS": "80"})
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "…" not in res.output  # no option name cut short
    shown = set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", res.output))
    if name != "facility":
        assert not shown & OLD_SPELLINGS, (name, shown & OLD_SPELLINGS)


def test_renamed_replaces_old_spellings_only_as_option_names() -> None:
    aliases = {"--gpu": "--accelerator", "--gpus": "--count"}
    assert renamed(["--gpu", "h200", "--gpus=8", "--model", "x"], aliases) == [
        "--accelerator",
        "h200",
        "--count=8",
        "--model",
        "x",
    ]
    assert renamed(["--gpuss", "--", "--gpu"], aliases) == ["--gpuss", "--", "--gpu"]


def _json(args: list[str]) -> object:
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (
            ["cost", "--gpu", "h100-sxm", "--gpus", "64", "--currency", "EUR", "--year", "2027"],
            [
                *("cost", "-a", "h100-sxm", "-n", "64"),
                *("--display-currency", "EUR", "--purchase-year", "2027"),
            ],
        ),
        (
            ["budget", "--amount", "1e9", "--currency", "EUR", "--gpu", "h200"],
            ["budget", "--amount", "1e9", "--amount-currency", "EUR", "--accelerator", "h200"],
        ),
        (
            ["reliability", "--gpu", "h100-sxm", "--gpus", "512", "--site=subsea"],
            ["reliability", "-a", "h100-sxm", "--count", "512", "--site-type", "subsea"],
        ),
        (
            ["wafers", "--per-month", "1000", "--samples", "0"],
            ["wafers", "--wafers-per-month", "1000", "--samples", "0"],
        ),
    ],
)
def test_old_spellings_still_work(old: list[str], new: list[str]) -> None:
    assert _json([*old, "--json"]) == _json([*new, "--json"])


def test_library_fields_are_reported_as_flags() -> None:
    @flags_for_fields("cost", {"accelerators": "--count"})
    def fails(field: str) -> None:
        raise InputError([Problem("cluster", field, "must be >= 0")])

    with pytest.raises(InputError) as mapped:
        fails("accelerators")
    assert str(mapped.value) == "cost: --count: must be >= 0"
    with pytest.raises(InputError) as unmapped:
        fails("years")
    assert str(unmapped.value) == "cluster: years: must be >= 0"
    res = runner.invoke(app, ["cost", "-a", "gb200", "-n", "8", "--network", "copper"])
    assert res.exit_code == 2 and "cost: --network:" in res.output


def test_yield_model_help_lists_every_model() -> None:
    from gigawatt.commands.wafers import YIELD_MODEL_HELP
    from gigawatt.supply.yields import YIELD_MODELS

    assert YIELD_MODEL_HELP.split(": ")[1].split(", ") == list(YIELD_MODELS)


def test_package_exposes_plan_and_load_scenario() -> None:
    import gigawatt
    import gigawatt.plan  # the submodule of the same name must not shadow the function
    from gigawatt import load_scenario, plan

    assert plan is sys.modules["gigawatt.plan"].plan
    assert callable(plan) and callable(load_scenario)
    assert load_scenario.__module__ == "gigawatt.scenario"
    with pytest.raises(AttributeError):
        _ = gigawatt.no_such_name  # type: ignore[attr-defined]


def _heavy_imported_by_check(scenario: str) -> list[str]:
    heavy = ("pandas", "scipy", "CoolProp", "plotly", "duckdb", "pyarrow", "simpy")
    code = (
        "import json, sys\n"
        "from typer.testing import CliRunner\n"
        "from gigawatt.cli import app\n"
        f"r = CliRunner().invoke(app, ['check', {scenario!r}])\n"
        "assert r.exit_code == 0, r.output\n"
        f"print(json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    found: list[str] = json.loads(done.stdout)
    return found


def test_start_up_imports_no_heavy_library(tmp_path: Path) -> None:
    """`gigawatt check` imports only what it uses (timing is measured by bench/startup.py):
    nothing heavy for a scenario without services; for one with services, the SLO pre-flight
    needs SciPy's special functions (the tail latencies), nothing else: its quick test reads
    the serving search's candidates without pandas."""
    import yaml

    data = yaml.safe_load((ROOT / "scenarios" / "stargate.yaml").read_text(encoding="utf-8"))
    data.pop("serving", None)
    no_services = tmp_path / "no-services.yaml"
    no_services.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    assert _heavy_imported_by_check(str(no_services)) == []
    assert _heavy_imported_by_check("scenarios/stargate.yaml") == ["scipy"]
