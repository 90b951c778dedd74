"""Reading reports for the claim desk: HTML reduced to its visible text (spans index into it)
and one clear error, never a traceback, for input that is not a text report."""

from __future__ import annotations

import codecs
import os
from pathlib import Path

import pytest

from gigawatt.claims import extract_claims
from gigawatt.claims.read import MAX_REPORT_BYTES, html_text, read_report
from gigawatt.errors import InputError

PAGE = """<!DOCTYPE html><html><head><title>Stargate</title>
<script>var price = "500 Milliarden Dollar"; if (a < b) {}</script>
<style>.x { width: 300 MW; }</style></head>
<body><!-- 9 GW im Kommentar --><nav>Menü</nav>
<p>Bis zu 500&nbsp;Milliarden Dollar sollen fließen.</p><p>Das Land will 1&nbsp;GW pro Woche
zubauen.</p><table><tr><td>Kosten</td><td>2,5 Billionen Won</td></tr></table>
<noscript>3 GW</noscript></body></html>"""


def test_html_keeps_visible_text_and_drops_scripts_styles_and_comments() -> None:
    text = html_text(PAGE)
    assert "var price" not in text and "width" not in text and "Kommentar" not in text
    assert text.startswith("Stargate\n") and "Kosten 2,5 Billionen Won" in text
    found = extract_claims(text)
    assert [c.text for c in found] == [
        "Bis zu 500\u00a0Milliarden Dollar",
        "1\u00a0GW pro Woche",
        "2,5 Billionen Won",
    ]
    assert all(text[c.start : c.end] == c.text for c in found)


def test_html_is_recognised_by_its_content_whatever_the_suffix(tmp_path: Path) -> None:
    f = tmp_path / "saved.txt"
    f.write_text(PAGE, encoding="utf-8")
    assert "<p>" not in read_report(f) and "Bis zu 500" in read_report(f)


def test_an_unclosed_script_is_dropped_to_the_end() -> None:
    assert html_text("<p>1 GW</p><script>var x = '9 GW';").strip() == "1 GW"


def test_utf16_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    f = tmp_path / "report.txt"
    f.write_bytes(codecs.BOM_UTF16_LE + "Über 3 GW werden gebaut.".encode("utf-16-le"))
    assert read_report(f) == "Über 3 GW werden gebaut."


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.txt", b"", "is empty"),
        ("blank.md", b" \n\t\n", "only white space"),
        ("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "is binary"),
        ("controls.txt", bytes(range(1, 9)) * 50, "is binary"),
        ("latin.txt", "Über 3 GW für 2 Mrd. Euro".encode("latin-1"), "not UTF-8"),
        ("empty.html", b"<html><script>var a = 1;</script></html>", "no visible text"),
    ],
)
def test_bad_files_raise_one_clear_input_error(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    f = tmp_path / name
    f.write_bytes(content)
    with pytest.raises(InputError) as err:
        read_report(f)
    assert message in str(err.value) and name in str(err.value)
    assert "\n" not in str(err.value)


def test_directories_missing_large_and_special_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a directory"):
        read_report(tmp_path)
    with pytest.raises(InputError, match="does not exist"):
        read_report(tmp_path / "missing.txt")
    big = tmp_path / "big.txt"
    with big.open("wb") as f:
        f.truncate(MAX_REPORT_BYTES + 1)
    with pytest.raises(InputError, match="allowed up to"):
        read_report(big)
    if hasattr(os, "mkfifo"):
        pipe = tmp_path / "pipe.txt"
        os.mkfifo(pipe)
        with pytest.raises(InputError, match="not a regular file"):
            read_report(pipe)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_file_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "secret.txt"
    f.write_text("3 GW", encoding="utf-8")
    f.chmod(0)
    try:
        with pytest.raises(InputError, match="cannot be read"):
            read_report(f)
    finally:
        f.chmod(0o600)
