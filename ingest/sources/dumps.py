"""JSON and JSON Lines dumps (also gzipped), streamed: a dump (a newsroom export, a crawler's
output) may be gigabytes, so memory holds one article at a time, never the file. The size limit
applies to each article, not to the dump.
"""

from __future__ import annotations

import codecs
import gzip
import json
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from io import BufferedReader
from pathlib import Path
from typing import Any

import ijson

from ingest.errors import SourceError
from ingest.sources.articles import (
    NO_DEFAULTS,
    TEXT_KEYS,
    ArticleDefaults,
    LoadFailure,
    ReadProgress,
    attempt,
    build_article,
    fields_from_mapping,
    kind_of,
    text_field,
)
from ingest.sources.decode import BINARY_SNIFF_BYTES, MAX_FILE_BYTES, TEXT_BOMS, reject_binary
from ingest.sources.fetch import format_size
from qa.types import Article

MAX_ITEM_CHARS = MAX_FILE_BYTES  # the same limit for one line or item of a JSON dump
MAX_JSON_DEPTH = 64  # an article object nests a few levels; thousands is an attack or a bug
READ_CHARS = 1 << 16  # dumps are decoded in pieces of this many bytes
DUMP_EXTENSIONS = (".jsonl", ".json", ".jsonl.gz", ".json.gz")  # streamed: any size


def _decode_as_cp1252(error: UnicodeError) -> tuple[str, int]:
    """Codec error handler: bytes that are not UTF-8 are read as cp1252 (else latin-1)."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    bad = error.object[error.start : error.end]
    text = "".join(
        bytes([b]).decode("cp1252", errors="ignore") or chr(b)  # 5 bytes cp1252 leaves undefined
        for b in bad
    )
    return text, error.end


codecs.register_error("newsqa-cp1252", _decode_as_cp1252)


class _DumpReader:
    """One dump file as a stream of text lines or UTF-8 bytes, gunzipped and decoded on the fly.

    `position` is how far the file on disk has been read (for a progress bar); `consumed`
    counts the decoded characters handed out (for the per-article size limit).
    """

    def __init__(self, name: str, path: Path) -> None:
        self.name = name
        self.gzipped = path.name.lower().endswith(".gz")
        self._raw = path.open("rb")
        self._bytes: gzip.GzipFile | BufferedReader = (
            gzip.GzipFile(fileobj=self._raw) if self.gzipped else self._raw
        )
        self._buffer = ""
        self.consumed = 0
        try:
            head = self._head()
        except BaseException:  # a refused file is closed here: no reader is returned to close it
            self.close()
            raise
        # The BOM decides (utf-8-sig and utf-16/32 codecs drop it), else UTF-8 with cp1252
        # for the bytes that are not UTF-8.
        encoding = next((enc for bom, enc in TEXT_BOMS if head.startswith(bom)), "utf-8")
        self._decoder = codecs.getincrementaldecoder(encoding)(errors="newsqa-cp1252")

    def _head(self) -> bytes:
        try:
            head = self._bytes.peek(BINARY_SNIFF_BYTES)[:BINARY_SNIFF_BYTES]
        except (OSError, EOFError, zlib.error) as e:
            raise self._broken(e) from e
        if not head.strip():
            raise SourceError(self.name, "is empty")
        if head.startswith(b"\x1f\x8b"):
            raise SourceError(self.name, f"is gzip-compressed: name it {self.name}.gz")
        if not any(head.startswith(bom) for bom, _ in TEXT_BOMS):
            reject_binary(self.name, head)
        return head

    @property
    def position(self) -> int:
        return self._raw.tell()

    def _broken(self, error: BaseException) -> SourceError:
        return SourceError(
            self.name, f"is not a complete gzip file ({error}); compress or download it again"
        )

    def read(self, size: int = -1) -> bytes:
        """The next UTF-8 bytes of the text: what ijson reads."""
        if size == 0:
            return b""
        text = self._buffer or self._decode(size)
        self._buffer = ""
        self.consumed += len(text)
        return text.encode("utf-8")

    def readline(self, limit: int) -> str:
        """The next line with its "\\n" (at most `limit` characters), or "" at the end."""
        parts: list[str] = []
        size = 0
        while size < limit:
            if not self._buffer:
                self._buffer = self._decode(READ_CHARS)
                if not self._buffer:
                    break
            cut = self._buffer.find("\n", 0, limit - size)
            end = cut + 1 if cut >= 0 else min(len(self._buffer), limit - size)
            parts.append(self._buffer[:end])
            self._buffer = self._buffer[end:]
            size += end
            if cut >= 0:
                break
        self.consumed += size
        return "".join(parts)

    def _decode(self, size: int) -> str:
        try:
            data = self._bytes.read(size)
        except (OSError, EOFError, zlib.error) as e:
            raise self._broken(e) from e
        return self._decoder.decode(data, final=not data)

    def close(self) -> None:
        self._bytes.close()
        self._raw.close()


@contextmanager
def _open_dump(name: str, path: Path) -> Iterator[_DumpReader]:
    reader = _DumpReader(name, path)
    try:
        yield reader
    finally:
        reader.close()


def _load_jsonl(
    name: str, path: Path, defaults: ArticleDefaults, progress: ReadProgress
) -> Iterator[Article | LoadFailure]:
    """One article per line; a bad or oversized line fails alone, named `file:line`."""
    with _open_dump(name, path) as dump:
        for number, line in _numbered_lines(dump):
            progress.reading(dump.position)
            item_name = f"{name}:{number}"
            if line is None:
                yield LoadFailure(item_name, _too_big_item())
            elif line.strip():
                yield attempt(
                    item_name,
                    lambda n=item_name, s=line: article_from_item(  # type: ignore[misc]
                        n, _parse_json(n, s), defaults=defaults
                    ),
                )


def _numbered_lines(dump: _DumpReader) -> Iterator[tuple[int, str | None]]:
    """(line number, line) for each line; None for a line over the limit, which is skipped."""
    # Lines end at "\n" only, not as splitlines() says: U+2028 may appear unescaped in JSON.
    number = 0
    while line := dump.readline(MAX_ITEM_CHARS + 1):
        number += 1
        if len(line) > MAX_ITEM_CHARS:
            while (rest := dump.readline(READ_CHARS)) and not rest.endswith("\n"):
                pass
            yield number, None
        else:
            yield number, line


def _too_big_item() -> str:
    return (
        f"is over the {format_size(MAX_ITEM_CHARS)} limit for one article; "
        "is it several articles in one?"
    )


def _load_json(
    name: str, path: Path, defaults: ArticleDefaults, progress: ReadProgress
) -> Iterator[Article | LoadFailure]:
    """An article object, a list of them, or {"articles": [...]}, streamed item by item."""
    with _open_dump(name, path) as dump:
        for item_name, item in _JsonItems(name, dump):
            progress.reading(dump.position)
            if item is _TOO_BIG:
                yield LoadFailure(item_name, _too_big_item())
            else:
                yield attempt(
                    item_name,
                    lambda n=item_name, i=item: article_from_item(n, i, defaults=defaults),  # type: ignore[misc]
                )


_TOO_BIG = object()  # stands for an item over the per-article limit
_SHAPE_HINT = 'should hold an article object, a list of them, or {"articles": [...]}'


class _JsonItems:
    """(name, item) for each article of a JSON document, built one at a time from ijson events.

    A top-level list streams its items (named `file#n`); a top-level object streams its
    "articles" list and keeps its other (small) keys; an object without "articles" is one
    article (named `file`).
    """

    def __init__(self, name: str, dump: _DumpReader) -> None:
        self.name = name
        self.dump = dump
        # Floats, not Decimals: an epoch date may be fractional, and Decimal is no number here.
        self._events = ijson.basic_parse(dump, use_float=True)  # no prefixes: they cost O(depth)

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        try:
            event, _ = self._next()
            if event == "start_array":
                yield from self._array()
            elif event == "start_map":
                yield from self._object()
            else:
                raise SourceError(self.name, _SHAPE_HINT)
        except ijson.JSONError as e:
            raise SourceError(self.name, f"is not valid JSON ({_first_line(e)})") from e

    def _array(self) -> Iterator[tuple[str, Any]]:
        number = 0
        while True:
            start = self.dump.consumed
            event, value = self._next()
            if event == "end_array":
                break
            number += 1
            item = self._value(event, value, start)
            too_big = self.dump.consumed - start > MAX_ITEM_CHARS + READ_CHARS
            yield f"{self.name}#{number}", _TOO_BIG if too_big else item
        if not number:
            raise SourceError(self.name, "has no articles (the list is empty)")

    def _object(self) -> Iterator[tuple[str, Any]]:
        fields: dict[str, Any] = {}
        has_articles = False
        while True:
            event, key = self._next()
            if event == "end_map":
                break
            event, value = self._next()
            if key == "articles" and event == "start_array":
                has_articles = True
                yield from self._array()
            elif key == "articles":
                raise SourceError(self.name, _SHAPE_HINT)
            else:
                fields[key] = self._value(event, value)
                if not has_articles and self.dump.consumed > MAX_ITEM_CHARS + READ_CHARS:
                    raise SourceError(self.name, _too_big_item())
        if not has_articles:
            yield self.name, fields

    def _value(self, event: str, value: Any, start: int | None = None) -> Any:
        """The whole value that starts with this event (a container is built from its events).

        From `start` (the item's offset), a value read past the per-article limit is no longer
        built, only read to its end: _TOO_BIG, and its size never held in memory."""
        if event not in ("start_map", "start_array"):
            return value
        builder: Any = ijson.ObjectBuilder()  # None once the value is past the limit
        builder.event(event, value)
        depth = 1
        while depth:
            event, value = self._next()
            depth += (event in ("start_map", "start_array")) - (event in ("end_map", "end_array"))
            if depth > MAX_JSON_DEPTH:
                raise SourceError(
                    self.name, "is JSON nested too deeply to read; expected article objects"
                )
            if builder is not None:
                builder.event(event, value)
                if start is not None and self.dump.consumed - start > MAX_ITEM_CHARS + READ_CHARS:
                    builder = None
        return _TOO_BIG if builder is None else builder.value

    def _next(self) -> tuple[str, Any]:
        got = next(self._events, None)
        if got is None:
            raise SourceError(self.name, "is not valid JSON (it ends too early)")
        return got


def _first_line(error: Exception) -> str:
    return " ".join(str(error).split("\n", 1)[0].split())


def _parse_json(name: str, text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise SourceError(
            name, f"is not valid JSON ({e.msg} at line {e.lineno}, column {e.colno})"
        ) from e
    except RecursionError as e:
        raise SourceError(
            name, "is JSON nested too deeply to read; expected article objects"
        ) from e


def article_from_item(name: str, item: Any, *, defaults: ArticleDefaults = NO_DEFAULTS) -> Article:
    """Build an article from one JSON object, accepting the common field names.

    Raises:
        SourceError: the item is not an object, has no text, or has a field of the wrong type.
    """
    if not isinstance(item, dict):
        raise SourceError(name, f"is {kind_of(item)}, not an article object")
    fields = fields_from_mapping(name, item)
    text = text_field(name, item, TEXT_KEYS)
    if not text:
        raise SourceError(name, f"has no text: give it one of the fields {', '.join(TEXT_KEYS)}")
    # An item with a URL is identified by it; without one, by its title and text (origin "").
    article = build_article(text, fields, origin=fields.url or "", defaults=defaults)
    article.loaded_from = name  # "dump.jsonl:4", as a failure of the item would be named
    return article


DUMP_LOADERS: dict[str, Callable[[str, Path, ArticleDefaults, ReadProgress], Iterator[Any]]] = {
    **dict.fromkeys((".json", ".json.gz"), _load_json),
    **dict.fromkeys((".jsonl", ".jsonl.gz"), _load_jsonl),
}
