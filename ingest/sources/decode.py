"""Bytes to text, as every reader decodes them: a BOM decides, else UTF-8, else cp1252; binary
and wordless input is refused with a line that says what it is.
"""

from __future__ import annotations

import re

from ingest.errors import SourceError

MAX_FILE_BYTES = 20 * 1024 * 1024  # a larger .txt/.md/.html file is not one article: split it
BINARY_SNIFF_BYTES = 8192
BINARY_SIGNATURES = (
    (b"%PDF-", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"PK\x03\x04", "a ZIP archive or Office document"),
    (b"\x1f\x8b", "gzip-compressed data"),
)
TEXT_BOMS = (  # UTF-32 first: its little-endian BOM starts with UTF-16's
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
    (b"\xef\xbb\xbf", "utf-8-sig"),
)


def decode_text(name: str, data: bytes) -> str:
    """Decode file bytes: a BOM decides, else UTF-8, else cp1252, else latin-1 (never rejected).

    Raises:
        SourceError: the bytes are empty, whitespace only, or look binary.
    """
    encoding = next((enc for bom, enc in TEXT_BOMS if data.startswith(bom)), None)
    if encoding is None:
        reject_binary(name, data)
        encoding = "utf-8"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:  # cp1252 leaves five bytes undefined; latin-1 maps them all
            text = data.decode("latin-1")
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")  # lone CRs
    if not text.strip():
        raise SourceError(name, "is empty")
    return text


def check_has_words(name: str, text: str) -> None:
    """Refuse text with no letter or digit: only emoji, punctuation or invisible characters.

    Raises:
        SourceError: naming what the text holds instead.
    """
    if re.search(r"\w", text):
        return
    visible = "".join(ch for ch in text if not ch.isspace() and ch.isprintable())
    holds = "only punctuation, symbols or emoji" if visible else "only invisible characters"
    raise SourceError(name, f"has no words ({holds}); nothing in it can answer a question")


def reject_binary(name: str, data: bytes) -> None:
    kind = next((kind for magic, kind in BINARY_SIGNATURES if data.startswith(magic)), None)
    if kind is None and b"\x00" in data[:BINARY_SNIFF_BYTES]:
        kind = "it contains NUL bytes"
    if kind is not None:
        raise SourceError(name, f"looks binary ({kind}), not text; convert it to .txt/.html first")
