"""Errors a user can act on.

Every error names where the bad value came from (file, line, field) and what is allowed, so
the CLI can print it as one line per problem instead of a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where it is, what is wrong, what is allowed."""

    file: str
    field: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.field}: {self.message}"


class GigawattError(Exception):
    """Base class of errors caused by input, shown to the user without a traceback."""

    def __init__(self, problems: list[Problem] | str) -> None:
        if isinstance(problems, str):
            problems = [Problem(file="<input>", field="-", message=problems)]
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class CatalogError(GigawattError):
    """A catalog file is malformed, or an id is not in the catalog."""


class ScenarioError(GigawattError):
    """A scenario file does not validate."""


class InputError(GigawattError):
    """A command-line argument or a data file (e.g. a validation CSV) is out of range."""


class StoreError(InputError):
    """The results store cannot be used as asked: not a store, damaged, or missing a table."""


class StoreBusyError(StoreError):
    """Another process held the results store for longer than the allowed wait."""
