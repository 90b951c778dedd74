"""Reading a report for the claim desk: plain text, Markdown or HTML, with one clear error for
input that is not a readable text report.

HTML (by its suffix, or by a text that opens with a doctype or an ``<html>`` tag) is reduced to
its visible text: scripts, styles, comments and other non-text elements dropped, block ends as
line breaks, entities decoded. The page's publication date from its meta data (Open Graph /
``article:published_time``, schema.org ``datePublished``, Dublin Core) becomes a "Published:"
line under the title, as a byline would show it, so that the report's date is known to the
extractor. Claim spans then index into that text.
"""

from __future__ import annotations

import codecs
import html
import re
from pathlib import Path

from gigawatt.errors import InputError, Problem

# A long programme report is ~100 kB of text; 20 MB is two orders of magnitude above that,
# so a larger file is almost surely not a report (a dump, an archive) and is refused.
MAX_REPORT_BYTES = 20_000_000
HTML_SUFFIXES = (".html", ".htm", ".xhtml")
# a text file has almost no control characters but tab and line breaks; in a binary file
# (image, archive, office document) they are frequent: more than 1 in 100 is not text
MAX_CONTROL_SHARE = 0.01
SNIFF_BYTES = 65_536
_BOMS = ((codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f]")
_LOOKS_HTML = re.compile(r"\A\s*(?:<!doctype\s+html|<html\b|<\?xml[^>]*>\s*<html\b)", re.I)
_DROP = re.compile(
    r"<!--.*?(?:-->|\Z)|<(script|style|noscript|template|svg|head|iframe)\b.*?(?:</\1\s*>|\Z)",
    re.IGNORECASE | re.DOTALL,
)
_BREAK = re.compile(r"<(?:br|p|/p|div|/div|h\d|/h\d|li|/li|tr|/tr|/table|hr)\b[^>]*>", re.I)
_CELL = re.compile(r"<(?:td|th)\b[^>]*>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")
_TITLE = re.compile(r"<title\b[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)
# meta data naming the publication date: <meta property="article:published_time"
# content="2025-11-12T08:30:00+01:00">, either attribute order, or JSON-LD "datePublished"
_PUBLISHED_NAMES = (
    r"article:published_time|og:published_time|datePublished|date|dc\.date(?:\.issued)?"
    r"|dcterms\.(?:issued|created)|pubdate|publish[-_]date|publication[-_]date"
)
_ISO_DAY = r"((?:19|20)\d{2}-[01]\d-[0-3]\d)"
_PUBLISHED = re.compile(
    rf"<meta\b(?=[^>]*\b(?:property|name|itemprop)\s*=\s*[\"']?(?:{_PUBLISHED_NAMES})[\"'\s>])"
    rf"[^>]*\bcontent\s*=\s*[\"']?{_ISO_DAY}"
    rf"|[\"']datePublished[\"']\s*:\s*[\"']{_ISO_DAY}",
    re.IGNORECASE,
)


def html_text(markup: str) -> str:
    """The visible text of an HTML page: its title, then the body text with scripts, styles,
    comments and other non-text elements dropped, blocks on their own lines, entities decoded
    (claim spans then refer to this text)."""
    title = _TITLE.search(markup)
    head = f"{title.group(1).strip()}\n" if title else ""
    published = _PUBLISHED.search(markup)
    if published:
        head += f"Published: {published.group(1) or published.group(2)}\n"
    body = _TAG.sub("", _CELL.sub(" ", _BREAK.sub("\n", _DROP.sub("", markup))))
    return html.unescape(head + body)


def _is_binary(data: bytes) -> bool:
    sample = data[:SNIFF_BYTES]
    return b"\x00" in sample or len(_CONTROL.findall(sample)) > MAX_CONTROL_SHARE * len(sample)


def _decode(data: bytes, where: str) -> str:
    """The text of a file's bytes: UTF-16 when a byte-order mark says so, else UTF-8."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec)
            except UnicodeDecodeError:
                break
    if _is_binary(data):
        raise InputError([Problem(where, "file", "is binary; give plain text, Markdown or HTML")])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        message = f"is not UTF-8 (byte {exc.start}); save it as UTF-8"
        raise InputError([Problem(where, "file", message)]) from None


def _bytes(p: Path, where: str) -> bytes:
    """The bytes of a regular, readable file of allowed size, or one InputError."""
    if not p.exists():
        raise InputError([Problem(where, "file", "does not exist")])
    if p.is_dir():
        raise InputError([Problem(where, "file", "is a directory; give the report files in it")])
    if not p.is_file():
        raise InputError([Problem(where, "file", "is not a regular file (a device or pipe)")])
    size = p.stat().st_size
    if size == 0:
        raise InputError([Problem(where, "file", "is empty")])
    if size > MAX_REPORT_BYTES:
        limit = f"{MAX_REPORT_BYTES / 1e6:.0f} MB"
        raise InputError([Problem(where, "file", f"{size / 1e6:.0f} MB; allowed up to {limit}")])
    try:
        return p.read_bytes()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise InputError([Problem(where, "file", f"cannot be read ({reason})")]) from None


def read_report(path: str | Path) -> str:
    """The text of a report file; InputError naming the file when it is missing, a
    directory or not a regular file, unreadable, empty, larger than MAX_REPORT_BYTES, binary
    or not UTF-8 (UTF-16 with a byte-order mark is read)."""
    p = Path(path)
    where = str(path)
    text = _decode(_bytes(p, where), where)
    is_html = p.suffix.lower() in HTML_SUFFIXES or _LOOKS_HTML.match(text)
    if is_html:
        text = html_text(text)
    if not text.strip():
        what = "has no visible text" if is_html else "holds only white space"
        raise InputError([Problem(where, "file", what)])
    return text
