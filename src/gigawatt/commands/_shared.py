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

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from functools import wraps
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from typer.core import TyperCommand

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


class AliasedCommand(TyperCommand):
    """A command that also accepts the old spellings in ``aliases`` (hidden from help)."""

    aliases: ClassVar[Mapping[str, str]] = {}

    def parse_args(self, ctx: _click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, renamed(args, self.aliases))


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
