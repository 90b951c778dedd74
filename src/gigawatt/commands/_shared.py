"""What the commands share so that the command line speaks one language.

* One option name per concept: the accelerator is ``--accelerator/-a`` and a count of them
  ``--count/-n`` in every command; quantities carry their unit in the name (``--ttft-ms``).
* Old spellings (``--gpu``, ``--gpus``, ``--currency``...) still work, so scripts do not
  break, but help shows one name: :func:`accepting` gives a command class that renames them
  before parsing.
* The library names fields, never flags; :func:`flags_for_fields` re-words its problems in
  terms of the flags that set those fields, from a small dict per command.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from functools import wraps
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import typer
from typer.core import TyperCommand

from gigawatt import limits as L
from gigawatt.errors import CatalogError, GigawattError, InputError, Problem

if TYPE_CHECKING:
    from rich.table import Table
    from typer import _click

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")

ACCELERATOR = ("--accelerator", "-a")
COUNT = ("--count", "-n")
JSON_HELP = "print one JSON object (SI units)"

# Old spellings -> today's name, per concept; commands combine the ones they had.
OLD_ACCELERATOR = {"--gpu": "--accelerator"}
OLD_COUNT = {"--gpus": "--count"}


def renamed(args: Iterable[str], aliases: Mapping[str, str]) -> list[str]:
    """Command-line words with old option spellings replaced by today's (``--gpu X`` and
    ``--gpu=X`` alike); nothing after ``--`` is touched."""
    result: list[str] = []
    words = iter(args)
    for word in words:
        if word == "--":
            result.append(word)
            result.extend(words)
            break
        name, eq, value = word.partition("=")
        if name in aliases:
            word = f"{aliases[name]}{eq}{value}"
        result.append(word)
    return result


@dataclass(frozen=True)
class FlagRange:
    """The values a numeric flag allows, in the flag's own unit (what the user typed)."""

    low: float
    high: float
    unit: str = ""
    low_open: bool = False  # low itself is not allowed
    high_open: bool = False

    def allows(self, value: float) -> bool:
        if not math.isfinite(value):
            return False
        above = value > self.low if self.low_open else value >= self.low
        below = value < self.high if self.high_open else value <= self.high
        return above and below

    def __str__(self) -> str:
        low = "<" if self.low_open else "<="
        high = "<" if self.high_open else "<="
        unit = f" ({self.unit})" if self.unit else ""
        return f"{_number(self.low)} {low} x {high} {_number(self.high)}{unit}"


# Every numeric flag of every command: its range in the flag's unit (``command.name`` for a
# range that differs from the flag of the same name elsewhere). The bounds are those of the
# scenario schema (gigawatt.limits), so a flag allows what a scenario allows.
FLAG_RANGES: dict[str, FlagRange] = {
    "count": FlagRange(1, L.MAX_ACCELERATORS, "accelerators"),
    "cost.count": FlagRange(0, L.MAX_ACCELERATORS, "accelerators"),
    "wafers.count": FlagRange(0, L.MAX_ACCELERATORS, "accelerators", low_open=True),
    "global_batch": FlagRange(1, L.MAX_GLOBAL_BATCH, "sequences"),
    "seq_tokens": FlagRange(1, L.MAX_SEQ_LEN, "tokens"),
    "top": FlagRange(1, L.MAX_TOP, "rows"),
    "tp": FlagRange(1, L.MAX_ACCELERATORS),
    "pp": FlagRange(1, L.MAX_ACCELERATORS),
    "cp": FlagRange(1, L.MAX_ACCELERATORS),
    "ep": FlagRange(1, L.MAX_ACCELERATORS),
    "vpp": FlagRange(1, L.MAX_LAYERS),
    "micro_batch": FlagRange(1, L.MAX_GLOBAL_BATCH, "sequences"),
    "zero": FlagRange(0, 3),
    "oversubscription": FlagRange(1, 16),
    "years": FlagRange(1, L.MAX_YEARS, "years"),
    "site_price_usd_per_mwh": FlagRange(0, L.MAX_ENERGY_PRICE_USD_PER_MWH, "USD/MWh"),
    "water_price_usd_per_m3": FlagRange(0, L.MAX_WATER_PRICE_USD_PER_M3, "USD/m3"),
    "pue": FlagRange(1, 3),
    "accelerator_storage_tb": FlagRange(0, L.MAX_STORAGE_TB_PER_ACCELERATOR, "TB"),
    "accelerator_power_kw": FlagRange(0, L.MAX_KW_PER_ACCELERATOR, "kW", low_open=True),
    "wacc": FlagRange(0, 1, "a fraction per year", high_open=True),
    "utilisation": FlagRange(0, 1, "a fraction", low_open=True),
    "purchase_year": FlagRange(L.MIN_YEAR, L.MAX_YEAR),
    "amount": FlagRange(0, L.MAX_AMOUNT, "in --currency", low_open=True),
    "it_mw": FlagRange(0, L.MAX_SITE_MW, "MW", low_open=True),
    "days": FlagRange(0, L.MAX_DAYS, "days", low_open=True),
    "budget.years": FlagRange(0, L.MAX_BUDGET_RUN_YEARS, "years"),
    "ops.days": FlagRange(0, L.MAX_OPS_DAYS, "days", low_open=True),
    "step_h": FlagRange(L.MIN_STEP_H, L.MAX_OPS_DAYS * 24, "hours"),
    "age_years": FlagRange(0, 30, "years"),
    "temperature_c": FlagRange(-40, 150, "degC"),
    "spare_fraction": FlagRange(0, 1, "a fraction"),
    "min_interval_s": FlagRange(0, L.MAX_MINUTES * 60, "s"),
    "seed": FlagRange(0, L.MAX_SEED),
    "ttft_ms": FlagRange(0, L.MAX_SLO_S * 1e3, "ms", low_open=True),
    "tpot_ms": FlagRange(0, L.MAX_SLO_S * 1e3, "ms", low_open=True),
    "input_tokens": FlagRange(1, L.MAX_TOKENS_PER_REQUEST, "tokens"),
    "output_tokens": FlagRange(1, L.MAX_TOKENS_PER_REQUEST, "tokens"),
    "users": FlagRange(0, L.MAX_USERS, "daily active users", low_open=True),
    "requests_per_user_per_day": FlagRange(0, L.MAX_REQUESTS_PER_USER_PER_DAY, low_open=True),
    "peak_to_mean": FlagRange(1, 20),
    "headroom": FlagRange(0, 5, "a fraction"),
    "wafers_per_month": FlagRange(0, L.MAX_WAFERS_PER_MONTH, "wafers", low_open=True),
    "samples": FlagRange(0, L.MAX_SAMPLES),
}


def _number(x: float) -> str:
    """A bound as the user would type it: whole numbers in full up to ten digits."""
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e10 else f"{x:g}"


def flag_range(command: str, name: str) -> FlagRange | None:
    """The range of the numeric flag ``name`` of ``command``, if one is declared."""
    return FLAG_RANGES.get(f"{command}.{name}", FLAG_RANGES.get(name))


def check_numbers(command: str, ctx: _click.Context) -> None:
    """Every numeric flag the user gave is finite and in its range, or an InputError names
    the flag, the range and the value (before any work is done)."""
    for param in ctx.command.params:
        value = ctx.params.get(param.name or "")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        allowed = flag_range(command, param.name or "")
        if allowed is None:
            allowed = FlagRange(-math.inf, math.inf)  # still: finite numbers only
            ok = math.isfinite(value)
        else:
            ok = allowed.allows(value)
        if not ok:
            shown = f"{value:g}" if isinstance(value, float) else str(value)
            flag = next((o for o in param.opts if o.startswith("--")), param.opts[0])
            message = f"must be in {allowed}, got {shown}"
            raise InputError([Problem(command, flag, message)])


class AliasedCommand(TyperCommand):
    """A command that also accepts the old spellings in ``aliases`` (hidden from help), and
    refuses numeric flags that are not finite or out of their range (:data:`FLAG_RANGES`)."""

    aliases: ClassVar[Mapping[str, str]] = {}

    def parse_args(self, ctx: _click.Context, args: list[str]) -> list[str]:
        from gigawatt.console import print_problems

        rest = super().parse_args(ctx, renamed(args, self.aliases))
        try:
            check_numbers(self.name or "", ctx)
        except InputError as exc:
            print_problems(exc)
            raise typer.Exit(2) from None
        return rest


def accepting(*aliases: Mapping[str, str]) -> type[TyperCommand]:
    """The command class (``app.command(cls=...)``) that accepts these old spellings."""
    merged = {old: new for group in aliases for old, new in group.items()}

    class Command(AliasedCommand):
        pass

    Command.aliases = merged
    return Command


def flags_for_fields(command: str, flags: Mapping[str, str]) -> Callable[[F], F]:
    """Re-word problems the library reports about a field (``accelerators``) as problems
    about the flag that sets it (``cost: --count: ...``); other problems pass unchanged.

    ``flags`` maps field names to flags; it lists the names the library uses today.
    """

    def decorate(fn: F) -> F:
        @wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except GigawattError as exc:
                problems = [_as_flag(p, command, flags) for p in exc.problems]
                raise type(exc)(problems) from None

        return wrapper  # type: ignore[return-value]

    return decorate


def _as_flag(problem: Problem, command: str, flags: Mapping[str, str]) -> Problem:
    flag = flags.get(problem.field)
    if flag is None:
        return problem
    return replace(problem, file=command, field=flag, line=None)


def looked_up(command: str, flag: str, value: str, lookup: Callable[[str], T]) -> T:
    """``lookup(value)`` for a catalog id the user gave with ``flag``: an unknown id is
    reported against that flag."""
    try:
        return lookup(value)
    except CatalogError as exc:
        raise InputError([Problem(command, flag, f"{value}: {exc.problems[0].message}")]) from None


def table(title: str, columns: Iterable[str], left: Iterable[str] = ()) -> Table:
    """A left-titled table whose columns are right-aligned except those in ``left``."""
    from rich.table import Table

    keep_left = set(left)
    result = Table(title=title, title_justify="left")
    for col in columns:
        result.add_column(col, justify="left" if col in keep_left else "right")
    return result
