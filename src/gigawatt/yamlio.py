"""YAML loading that remembers the line of every value, so errors can point at it.

A scenario file is untrusted input: no file may crash, hang or exhaust the loader. So the file
is read once, parsed once by libyaml's event stream (no recursion: deep nesting cannot overflow
a stack), and built here with limits that are part of the schema (size, depth, nodes, aliases;
see ``Limits``). Duplicate keys are errors. Plain scalars are resolved by the YAML 1.2 core
schema (https://yaml.org/spec/1.2.2/#1032-tag-resolution): only ``true``/``false`` are
booleans, so YAML 1.1's ``yes``/``no``/``on``/``off`` stay text and can never become 1 or 0
where a number is expected; ``1e12`` is a number, ``1:30`` and ``2026-01-01`` are text.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from gigawatt.errors import Problem, ScenarioError

Loc = tuple[str | int, ...]

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when it is built
_MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """What a scenario file may hold. Shipped scenarios are a few kB, a few hundred values
    and six levels deep; the limits leave orders of magnitude of room while keeping the
    worst file to a fraction of a second and a few hundred MB."""

    max_bytes: int = 5 * _MIB
    max_depth: int = 64
    max_nodes: int = 250_000  # values after alias expansion, so an alias bomb counts in full
    max_aliases: int = 1_000  # alias uses (``*name``)


LIMITS = Limits()

_CORE = "tag:yaml.org,2002:"
_NULL = frozenset({"", "~", "null", "Null", "NULL"})
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_NUMBER_START = frozenset("0123456789+-.")
_NUMBER = re.compile(
    r"(?P<int>[-+]?[0-9]+)|(?P<oct>0o[0-7]+)|(?P<hex>0x[0-9a-fA-F]+)"
    r"|(?P<float>[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?)"
    r"|(?P<special>[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))"
)
_FIELD_CHARS = 120  # an error names at most this much of a (deeply nested) field path


class _Refused(Exception):
    """A problem found while building; becomes a ScenarioError naming the file."""

    def __init__(self, field_: str, message: str, line: int | None) -> None:
        super().__init__(message)
        self.field = field_
        self.message = message
        self.line = line


def field_path(loc: Loc) -> str:
    """``("training", 0, "gpus")`` -> ``training[0].gpus`` (the form errors use)."""
    text = ".".join(f"[{x}]" if isinstance(x, int) else str(x) for x in loc)
    text = text.replace(".[", "[") or "-"
    return text if len(text) <= _FIELD_CHARS else "..." + text[-_FIELD_CHARS:]


def _number(text: str, kind: str, found: re.Match[str] | None) -> int | float:
    """A core-schema number (``found``: ``text`` matched against _NUMBER); ValueError (with
    what is allowed) for anything else."""
    group = found.lastgroup if found is not None else None
    if group is None or (kind == "int" and group not in ("int", "oct", "hex")):
        raise ValueError(f"{text[:40]!r} is not a valid {kind}")
    finite = f"{text[:40]!r}: numbers must be finite (allowed: |x| <= {sys.float_info.max:.3g})"
    if group == "special":
        raise ValueError(finite)
    if group == "float":
        value = float(text)
        if not math.isfinite(value):
            raise ValueError(finite)
        return value
    try:
        return int(text) if group == "int" else int(text[2:], 8 if group == "oct" else 16)
    except ValueError as exc:  # more digits than Python converts
        raise ValueError(f"{text[:40]!r}: {exc}") from None


def _scalar(event: yaml.ScalarEvent) -> Any:
    """Resolve a scalar by the YAML 1.2 core schema, or by its explicit core tag; ValueError
    says what is wrong."""
    text, tag = event.value, event.tag
    if tag is None or tag == "!":
        if not event.implicit[0]:  # quoted: always text
            return text
        if text in _NULL:
            return None
        if text in _BOOL:
            return _BOOL[text]
        found = _NUMBER.fullmatch(text) if text[0] in _NUMBER_START else None
        return text if found is None else _number(text, "number", found)
    kind = tag[len(_CORE) :] if tag.startswith(_CORE) else ""
    if kind == "str":
        return text
    if kind in ("int", "float"):
        return _number(text, kind, _NUMBER.fullmatch(text))
    if kind == "bool" and text in _BOOL:
        return _BOOL[text]
    if kind == "null" and text in _NULL:
        return None
    raise ValueError(
        f"tag {tag!r} is not allowed here (allowed: !!str, !!int, !!float, !!bool, !!null, "
        "!!seq, !!map)"
    )


@dataclass
class _Frame:
    """A sequence or mapping being built."""

    obj: list[Any] | dict[Any, Any]
    loc: Loc
    anchor: str | None
    line: int
    size: int = 1
    key: Any = None
    has_key: bool = False
    seen: dict[tuple[type, Any], int] = field(default_factory=dict)


class _Builder:
    """Build Python data from parser events with an explicit stack, counting as it goes."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.stack: list[_Frame] = []
        self.anchors: dict[str, tuple[Any, int | None]] = {}  # size None: still open
        self.lines: dict[Loc, int] = {}
        self.nodes = 0
        self.aliases = 0
        self.documents = 0
        self.root: Any = None

    def next_loc(self) -> Loc:
        if not self.stack:
            return ()
        top = self.stack[-1]
        if isinstance(top.obj, list):
            return (*top.loc, len(top.obj))
        return (*top.loc, top.key) if top.has_key else top.loc

    def feed(self, event: yaml.Event) -> None:
        mark = event.start_mark
        line = mark.line + 1 if mark is not None else 0
        if isinstance(event, yaml.ScalarEvent):
            try:
                value = _scalar(event)
            except ValueError as exc:
                raise _Refused(field_path(self.next_loc()), str(exc), line) from None
            self.add(value, 1, line, event.anchor)
        elif isinstance(event, yaml.AliasEvent):
            self.alias(str(event.anchor), line)
        elif isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            self.open(event, line)
        elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            frame = self.stack.pop()
            if frame.anchor is not None:
                self.anchors[frame.anchor] = (frame.obj, frame.size)
            self.add(frame.obj, frame.size, frame.line, None, opened=True)
        elif isinstance(event, yaml.DocumentStartEvent):
            self.documents += 1
            if self.documents > 1:
                raise _Refused("-", "a second YAML document (---); allowed: one document", line)

    def open(self, event: yaml.CollectionStartEvent, line: int) -> None:
        loc = self.next_loc()
        if self.stack and isinstance(self.stack[-1].obj, dict) and not self.stack[-1].has_key:
            raise _Refused(field_path(loc), "a key must be a plain value, not a list/mapping", line)
        is_map = isinstance(event, yaml.MappingStartEvent)
        if event.tag not in (None, "!", _CORE + ("map" if is_map else "seq")):
            raise _Refused(field_path(loc), f"tag {event.tag!r} is not allowed here", line)
        if len(self.stack) + 1 > self.limits.max_depth:
            raise _Refused(
                field_path(loc),
                f"nested more than {self.limits.max_depth} levels deep "
                f"(allowed: at most {self.limits.max_depth})",
                line,
            )
        self.lines.setdefault(loc, line)
        obj: list[Any] | dict[Any, Any] = {} if is_map else []
        self.stack.append(_Frame(obj, loc, event.anchor, line))
        if event.anchor is not None:
            self.anchors[event.anchor] = (obj, None)

    def alias(self, anchor: str, line: int) -> None:
        loc = self.next_loc()
        self.aliases += 1
        if self.aliases > self.limits.max_aliases:
            raise _Refused(
                field_path(loc),
                f"more than {self.limits.max_aliases} aliases (allowed: at most "
                f"{self.limits.max_aliases})",
                line,
            )
        if anchor not in self.anchors:
            raise _Refused(
                field_path(loc), f"alias *{anchor} has no anchor &{anchor} before it", line
            )
        value, size = self.anchors[anchor]
        if size is None:
            raise _Refused(
                field_path(loc), f"alias *{anchor} refers to a value containing it", line
            )
        self.add(value, size, line, None)

    def add(
        self, value: Any, size: int, line: int, anchor: str | None, opened: bool = False
    ) -> None:
        """Place a finished value in its parent; ``size`` counts it with aliases expanded."""
        self.nodes += 1 if opened else size  # a closed container's values are counted
        if self.nodes > self.limits.max_nodes:
            raise _Refused(
                field_path(self.next_loc()),
                f"more than {self.limits.max_nodes:,} values, counting aliases expanded "
                f"(allowed: at most {self.limits.max_nodes:,})",
                line,
            )
        if anchor is not None:
            self.anchors[anchor] = (value, size)
        if not self.stack:
            self.root = value
            self.lines.setdefault((), line)
            return
        top = self.stack[-1]
        top.size += size
        obj = top.obj
        if isinstance(obj, list):
            if not opened:
                self.lines[(*top.loc, len(obj))] = line
            obj.append(value)
        elif top.has_key:
            obj[top.key] = value
            top.has_key = False
        else:
            self.key(top, value, line)

    def key(self, top: _Frame, key: Any, line: int) -> None:
        if isinstance(key, (list, dict)):
            raise _Refused(
                field_path(top.loc), "a key must be a plain value, not a list/mapping", line
            )
        first = top.seen.get((type(key), key))
        if first is not None:
            raise _Refused(
                field_path((*top.loc, key)),
                f"field {str(key)!r} given twice (first at line {first}; allowed: once)",
                line,
            )
        top.seen[(type(key), key)] = line
        top.key, top.has_key = key, True
        self.lines[(*top.loc, key)] = line


def _read_text(p: Path, limits: Limits) -> str:
    """The file's text, or one clear problem: missing, a folder, too big, binary, not UTF-8."""
    file = str(p)
    if not p.exists():
        raise ScenarioError([Problem(file, "-", "file not found")])
    if p.is_dir():
        raise ScenarioError([Problem(file, "-", "is a folder; a scenario is a YAML file")])
    if not p.is_file():
        raise ScenarioError([Problem(file, "-", "not a regular file (a device or pipe?)")])
    too_big = (
        f"larger than {limits.max_bytes / _MIB:g} MB (allowed: at most {limits.max_bytes:,} bytes)"
    )
    try:
        size = p.stat().st_size
        if size > limits.max_bytes:
            raise ScenarioError([Problem(file, "-", too_big)])
        with p.open("rb") as fh:
            raw = fh.read(size + 1)  # a file that grew since stat() is read up to the limit
            if len(raw) > size:
                raw += fh.read(limits.max_bytes + 1 - len(raw))
    except OSError as exc:
        raise ScenarioError([Problem(file, "-", f"cannot read: {exc.strerror or exc}")]) from None
    if len(raw) > limits.max_bytes:
        raise ScenarioError([Problem(file, "-", too_big)])
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ScenarioError([Problem(file, "-", "UTF-16 text; allowed: UTF-8", 1)])
    if b"\x00" in raw:
        line = raw[: raw.index(b"\x00")].count(b"\n") + 1
        raise ScenarioError(
            [Problem(file, "-", "binary data (a NUL byte); allowed: UTF-8 text", line)]
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ScenarioError(
            [
                Problem(
                    file,
                    "-",
                    f"byte 0x{raw[exc.start]:02x} is not UTF-8; allowed: UTF-8 text",
                    line,
                )
            ]
        ) from None


def _events(text: str) -> Iterator[yaml.Event]:
    loader = _Loader(text)
    try:
        while (event := loader.get_event()) is not None:
            yield event
            if isinstance(event, yaml.StreamEndEvent):
                break
    finally:
        loader.dispose()


def _syntax_problem(file: str, text: str, exc: yaml.YAMLError, limits: Limits) -> Problem:
    """libyaml's complaint, with its line (reader errors give a character position)."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = mark.line + 1 if mark is not None else None
    if isinstance(exc, yaml.reader.ReaderError):
        line = text.count("\n", 0, exc.position) + 1
        return Problem(file, "-", f"character {exc.character!r} is not allowed in YAML", line)
    problem = str(getattr(exc, "problem", None) or exc)
    if "nesting depth" in problem:
        problem += f" (allowed: at most {limits.max_depth} levels)"
    return Problem(file, "-", f"not valid YAML: {problem}", line)


def load_yaml_with_lines(path: str | Path, limits: Limits = LIMITS) -> tuple[Any, dict[Loc, int]]:
    """Parse ``path`` once; return (data, {location tuple: line number}).

    Raises ScenarioError naming the file, line, field and limit for anything that is not one
    well-formed YAML document within ``limits``.
    """
    file = str(path)
    text = _read_text(Path(path), limits)
    builder = _Builder(limits)
    try:
        for event in _events(text):
            builder.feed(event)
    except _Refused as exc:
        raise ScenarioError([Problem(file, exc.field, exc.message, exc.line)]) from None
    except yaml.YAMLError as exc:
        raise ScenarioError([_syntax_problem(file, text, exc, limits)]) from None
    except (RecursionError, MemoryError):
        raise ScenarioError(
            [Problem(file, "-", "too large or too deeply nested to load")]
        ) from None
    if builder.documents == 0:
        raise ScenarioError([Problem(file, "-", "the file is empty (no YAML document)", 1)])
    return builder.root, builder.lines


def line_of(lines: dict[Loc, int], loc: Loc) -> int | None:
    """Line of the deepest known prefix of ``loc``."""
    for n in range(len(loc), -1, -1):
        if loc[:n] in lines:
            return lines[loc[:n]]
    return None
