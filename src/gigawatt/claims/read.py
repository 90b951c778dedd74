"""Reading a report for the claim desk: plain text, Markdown or HTML, with one clear error for
input that is not a readable text report."""

from __future__ import annotations

import html
import re
from pathlib import Path

from gigawatt.errors import InputError, Problem

# A long programme report is ~100 kB of text; 20 MB is two orders of magnitude above that,
# so a larger file is almost surely not a report (a dump, an archive) and is refused.
MAX_REPORT_BYTES = 20_000_000
HTML_SUFFIXES = (".html", ".htm")
_BLOCK = re.compile(r"<(?:script|style)\b.*?</(?:script|style)>", re.IGNORECASE | re.DOTALL)
_BREAK = re.compile(r"<(?:br|/p|/div|/h\d|/li|/tr)\b[^>]*>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")


def html_text(markup: str) -> str:
    """The visible text of an HTML page: scripts and styles dropped, blocks on their own
    lines, entities decoded (claim spans then refer to this text)."""
    text = _TAG.sub("", _BREAK.sub("\n", _BLOCK.sub("", markup)))
    return html.unescape(text)


def read_report(path: str | Path) -> str:
    """The text of a report file; InputError naming the file when it is missing, a
    directory, empty, larger than MAX_REPORT_BYTES, binary or not UTF-8."""
    p = Path(path)
    where = str(path)
    if not p.exists():
        raise InputError([Problem(where, "file", "does not exist")])
    if p.is_dir():
        raise InputError([Problem(where, "file", "is a directory; give the report files in it")])
    size = p.stat().st_size
    if size == 0:
        raise InputError([Problem(where, "file", "is empty")])
    if size > MAX_REPORT_BYTES:
        limit = f"{MAX_REPORT_BYTES / 1e6:.0f} MB"
        raise InputError([Problem(where, "file", f"{size / 1e6:.0f} MB; allowed up to {limit}")])
    data = p.read_bytes()
    if b"\x00" in data:
        raise InputError([Problem(where, "file", "is binary; give plain text, Markdown or HTML")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        message = f"is not UTF-8 (byte {exc.start}); save it as UTF-8"
        raise InputError([Problem(where, "file", message)]) from None
    if not text.strip():
        raise InputError([Problem(where, "file", "holds only white space")])
    return html_text(text) if p.suffix.lower() in HTML_SUFFIXES else text
