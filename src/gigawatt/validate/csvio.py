"""Reading a measurements file: CSV text in UTF-8 with a header line, one record per row.

Anything else (a directory, binary data, another encoding, an empty file) is one clear error
about the file, never a traceback; rows keep the line on which they start, so errors name it.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from gigawatt.errors import InputError, Problem


@dataclass(frozen=True)
class Record:
    """One data row: the line it starts on and its cells by column name."""

    line: int
    data: dict[str, str]


@dataclass(frozen=True)
class CsvTable:
    """The header's column names and the data rows of one file."""

    columns: tuple[str, ...]
    records: list[Record]


def _fail(path: str, message: str, line: int | None = None) -> InputError:
    return InputError([Problem(path, "file", message, line)])


def _text(path: str, expected: str) -> str:
    """The file's text, or an error saying why it is not a CSV file."""
    p = Path(path)
    if not p.exists():
        raise InputError([Problem(path, "-", "file not found")])
    if p.is_dir():
        raise _fail(path, f"is a directory (expected {expected})")
    if not p.is_file():
        raise _fail(path, f"is not a regular file (expected {expected})")
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise _fail(path, f"cannot be read ({exc.strerror}); expected {expected}") from None
    if b"\x00" in data:
        at = data.index(b"\x00")
        raise _fail(path, f"binary data (NUL byte at offset {at}); expected {expected}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _fail(
            path, f"not UTF-8 text (invalid byte at offset {exc.start}); expected {expected}"
        ) from None
    if not text.strip():
        raise _fail(path, f"empty; expected {expected}")
    return text


def read_csv(path: str | Path, expected: str = "a CSV file with a header line") -> CsvTable:
    """Columns and rows of ``path``; ``expected`` says in errors what the file should be."""
    name = str(path)
    reader = csv.reader(io.StringIO(_text(name, expected), newline=""))
    header: list[str] | None = None
    records: list[Record] = []
    try:
        while True:
            start = reader.line_num + 1
            cells = next(reader, None)
            if cells is None:
                break
            if not any(c.strip() for c in cells):
                continue  # blank line
            if header is None:
                header = [c.strip() for c in cells]
                continue
            records.append(Record(start, dict(zip(header, cells, strict=False))))
    except csv.Error as exc:
        raise _fail(name, f"not valid CSV ({exc}); expected {expected}", reader.line_num) from None
    return CsvTable(tuple(header or ()), records)
