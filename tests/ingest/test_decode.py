"""ingest.sources.decode through real files: encodings decoded; empty and binary files refused."""

from __future__ import annotations

import pytest
from helpers.loading import assert_fails_in_one_line, load_article, write

TEXT = "Café talks in Zürich “tomorrow” – officials said.\nMore text here."


@pytest.mark.parametrize(
    ("label", "data"),
    [
        ("utf-8", TEXT.encode("utf-8")),
        ("utf-8 with BOM", b"\xef\xbb\xbf" + TEXT.encode("utf-8")),
        ("utf-16 with BOM", TEXT.encode("utf-16")),
        ("utf-16-be with BOM", b"\xfe\xff" + TEXT.encode("utf-16-be")),
        ("cp1252", TEXT.encode("cp1252")),
    ],
)
def test_text_encodings_are_decoded(tmp_path, label, data):
    article = load_article(write(tmp_path / "enc.txt", data))
    assert article.text.startswith(TEXT.split("\n")[0]), label


def test_latin1_text_is_decoded(tmp_path):
    text = "Gespräche in Zürich über Öl und Gas.\nMehr Text."
    article = load_article(write(tmp_path / "latin.txt", text.encode("latin-1")))
    assert article.text.startswith("Gespräche in Zürich über Öl")


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("empty.txt", b"", "is empty"),
        ("blank.txt", b"  \n\t\r\n  ", "is empty"),
        ("blank16.txt", "  \n ".encode("utf-16"), "is empty"),
        ("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "looks binary (a PNG image)"),
        ("paper.txt", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj", "looks binary (a PDF document)"),
        ("nul.txt", b"some text\x00\x01\x02 more", "looks binary (it contains NUL bytes)"),
    ],
)
def test_bad_file_is_a_failure_naming_it(tmp_path, name, content, expected):
    assert_fails_in_one_line(write(tmp_path / name, content), expected)
