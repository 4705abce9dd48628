"""What every source reader shares: the defaults from the command line, a failure line per bad
source or item, the metadata a source gives, titles, and assembling the `Article`.

A source's own metadata always wins; the defaults fill only what it lacks and win over guesses
(a URL's host name as the source).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from ingest.errors import SourceError
from qa.news.dates import is_relative_date, parse_date
from qa.types import Article

TITLE_LINE_MAX_CHARS = 200  # a longer first line is a paragraph, not a headline
DERIVED_TITLE_CHARS = 100
# "notes.txt" or "article-12.txt" say nothing as a title; "putin-ready-for-talks" does.
MIN_NAME_TITLE_WORDS = 3

# Field names seen in news exports (NewsAPI, GDELT, scrapers, CMS dumps), in order of preference.
TITLE_KEYS = ("title", "headline")
TEXT_KEYS = ("body", "text", "content", "articleBody", "description")
SOURCE_KEYS = ("source", "publisher", "site", "site_name", "source_name")
DATE_KEYS = ("published_at", "published", "date", "publishedAt", "pubDate", "datePublished")
URL_KEYS = ("url", "link")
AUTHOR_KEYS = ("authors", "author")
TOPIC_KEYS = ("topics", "tags", "categories", "keywords")
EPOCH_MILLIS_ABOVE = 10**11  # epoch numbers above this are milliseconds (year 5138 in seconds)


@dataclass(frozen=True)
class ArticleDefaults:
    """Metadata from CLI flags, applied to articles that lack it."""

    title: str | None = None
    source: str | None = None
    published: datetime | None = None
    url: str | None = None


NO_DEFAULTS = ArticleDefaults()


@dataclass
class LoadFailure:
    """One source or item that gave no article, and why."""

    source: str  # the path/URL/feed as the user named it (plus '#item' detail if useful)
    error: str  # one clear line: what is wrong and what to do


@dataclass
class ReadProgress:
    """How many bytes of the named files have been read: a progress bar's ETA for a dump.

    The loader (in the ingest's background thread) moves it; the bar only reads it.
    """

    total: int | None = None  # bytes of all the sources, None when unknown (URLs, stdin)
    done: int = 0  # bytes of the files finished
    current: int = 0  # bytes read of the file being read

    def reading(self, position: int) -> None:
        self.current = position

    def finished(self, size: int) -> None:
        self.done += size
        self.current = 0

    @property
    def read(self) -> int:
        return self.done + self.current


@dataclass
class SourceFields:
    """Metadata a source provides itself; None or empty where it has none."""

    title: str | None = None
    source: str | None = None
    url: str | None = None
    published: datetime | None = None
    authors: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)


def guarded(name: str, items: Iterator[Article | LoadFailure]) -> Iterator[Article | LoadFailure]:
    """Pass items through; turn an exception into a failure for `name`, keeping what came before."""
    try:
        yield from items
    except Exception as e:  # one bad source must not stop the batch
        yield _failure(name, e)


def attempt(name: str, make: Callable[[], Article]) -> Article | LoadFailure:
    try:
        return make()
    except Exception as e:  # one bad item must not stop its file or feed
        return _failure(name, e)


def _failure(name: str, error: Exception) -> LoadFailure:
    if isinstance(error, SourceError):
        return LoadFailure(error.source, error.reason)
    if isinstance(error, RecursionError):
        return LoadFailure(name, "is nested too deeply to read")
    if isinstance(error, OSError):
        return LoadFailure(name, f"could not be read ({error.strerror or error})")
    return LoadFailure(name, f"could not be loaded ({type(error).__name__}: {error})")


# --- titles ------------------------------------------------------------------------------


def split_title_line(text: str) -> tuple[str | None, str]:
    """Split off the first line as a title when it reads like one.

    It does when it is short (under TITLE_LINE_MAX_CHARS), does not end like a sentence (`.`,
    `,`, `:` or `;`), and is followed by a blank line or by a line that does not start in lower
    case (which would make it a hard-wrapped sentence). Used for `.txt`, stdin, plain-text pages
    and Markdown without a heading.

    Returns:
        (title or None, the rest of the text), both stripped.
    """
    stripped = text.strip()
    first, _, rest = stripped.partition("\n")
    first = first.strip()
    if not rest.strip() or not _looks_like_title(first):
        return None, stripped
    wrapped = rest[:1].islower()  # "...talks with\nukraine..." is one hard-wrapped sentence
    blank_after = not rest.split("\n", 1)[0].strip()
    if wrapped and not blank_after:
        return None, stripped
    return first, rest.strip()


def _looks_like_title(line: str) -> bool:
    # Headlines may end with "?" or "!" but not with sentence or clause punctuation.
    bare = line.rstrip("\"'”’)]*_ ")
    has_words = any(char.isalnum() for char in line)  # not "---" or "***"
    return (
        has_words and len(line) < TITLE_LINE_MAX_CHARS and not bare.endswith((".", ",", ":", ";"))
    )


def derive_title(text: str, name_hint: str | None = None) -> str:
    """A title for an article that has none: its file name if it reads like words, else its lead.

    "putin-ready-for-talks-in-minsk.txt" gives "Putin ready for talks in minsk"; a lead is cut
    to about DERIVED_TITLE_CHARS. `build_article` tries the `--title` default before this.
    """
    from_name = _title_from_name(name_hint) if name_hint else None
    return from_name or _title_from_lead(text)


def _title_from_name(stem: str) -> str | None:
    words = [word for word in re.split(r"[\W_]+", stem) if word]
    while words and words[0].isdigit():  # "2022-02-25-putin-..." : the date is not the title
        words.pop(0)
    if sum(word.isalpha() for word in words) < MIN_NAME_TITLE_WORDS:
        return None
    title = " ".join(words)
    return title[0].upper() + title[1:]


def _title_from_lead(text: str) -> str:
    lead = " ".join(re.split(r"(?<=[.!?])\s", text.strip(), maxsplit=1)[0].split())
    if len(lead) <= DERIVED_TITLE_CHARS:
        return lead
    cut = lead[:DERIVED_TITLE_CHARS].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


# --- metadata fields ---------------------------------------------------------------------


def fields_from_mapping(name: str, mapping: Mapping[str, Any]) -> SourceFields:
    """Read title, source, url, date, authors and topics from a JSON object or front matter.

    Raises:
        SourceError: a field has the wrong type, or a date cannot be read.
    """
    return SourceFields(
        title=text_field(name, mapping, TITLE_KEYS),
        source=_source_field(name, mapping),
        url=text_field(name, mapping, URL_KEYS),
        published=_date_field(name, mapping),
        authors=_list_field(name, mapping, AUTHOR_KEYS, separators=";"),
        topics=_list_field(name, mapping, TOPIC_KEYS, separators=",;"),
    )


def _first_present(mapping: Mapping[str, Any], keys: tuple[str, ...]) -> tuple[str, Any]:
    for key in keys:
        value = mapping.get(key)
        if value is not None and value != "" and value != []:
            return key, value
    return keys[0], None


def text_field(name: str, mapping: Mapping[str, Any], keys: tuple[str, ...]) -> str | None:
    key, value = _first_present(mapping, keys)
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)  # YAML reads "title: 1984" as a number
    raise SourceError(name, f"field {key!r} should be text, not {kind_of(value)}")


def _source_field(name: str, mapping: Mapping[str, Any]) -> str | None:
    key, value = _first_present(mapping, SOURCE_KEYS)
    if isinstance(value, dict):  # NewsAPI: "source": {"id": "bbc-news", "name": "BBC News"}
        value = value.get("name")
        if value is None or isinstance(value, str):
            return (value or "").strip() or None
        raise SourceError(name, f"field {key!r} should have a text 'name', not {kind_of(value)}")
    return text_field(name, {key: value}, (key,))


def _date_field(name: str, mapping: Mapping[str, Any]) -> datetime | None:
    key, value = _first_present(mapping, DATE_KEYS)
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _from_epoch(name, key, value)
    if not isinstance(value, str | date):  # YAML gives date/datetime objects
        raise SourceError(
            name, f"field {key!r} should be a date like 2022-02-25, not {kind_of(value)}"
        )
    if isinstance(value, str) and is_relative_date(value):
        raise SourceError(
            name,
            f"field {key!r} is {value!r}, a date relative to when it was written, which a source "
            "cannot tell; use a calendar date, e.g. 2022-02-25",
        )
    parsed = parse_date(value)
    if parsed is None:
        raise SourceError(name, f"field {key!r} is not a date: {value!r}; use e.g. 2022-02-25")
    return parsed


def _from_epoch(name: str, key: str, value: float) -> datetime:
    seconds = value / 1000 if abs(value) > EPOCH_MILLIS_ABOVE else value
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError) as e:
        raise SourceError(name, f"field {key!r} is not a valid timestamp: {value!r}") from e


def _list_field(
    name: str, mapping: Mapping[str, Any], keys: tuple[str, ...], *, separators: str
) -> list[str]:
    key, value = _first_present(mapping, keys)
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in re.split(f"[{separators}]", value) if part.strip()]
    values = value if isinstance(value, list) else [value]
    return [_list_item(name, key, item) for item in values if item not in (None, "")]


def _list_item(name: str, key: str, item: Any) -> str:
    if isinstance(item, dict):  # {"name": "Jane Doe"} authors, {"term": "Ukraine"} tags
        item = item.get("name") or item.get("term")
    if isinstance(item, str) and item.strip():
        return item.strip()
    raise SourceError(name, f"field {key!r} should be text or a list of texts, not {kind_of(item)}")


def kind_of(value: Any) -> str:
    kinds = {dict: "an object", list: "a list", str: "text", bool: "true/false", type(None): "null"}
    return kinds.get(
        type(value), "a number" if isinstance(value, int | float) else type(value).__name__
    )


# --- assembling --------------------------------------------------------------------------


def build_article(
    text: str,
    fields: SourceFields,
    *,
    origin: str,
    defaults: ArticleDefaults,
    name_hint: str | None = None,
    fallback_source: str | None = None,
) -> Article:
    """Fill what the source lacks: its own fields first, then the defaults, then guesses."""
    text = text.strip()
    title = fields.title or defaults.title
    return Article(
        title=title or derive_title(text, name_hint),
        title_derived=not title,
        text=text,
        source=fields.source or defaults.source or fallback_source or "",
        url=fields.url or defaults.url or "",
        published=fields.published or defaults.published,
        authors=fields.authors,
        topics=fields.topics,
        origin=origin,
    )
