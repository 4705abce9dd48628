"""Web pages and RSS/Atom feeds as articles: a fetched page is read like an HTML file; a feed
entry that is only a teaser has its linked page fetched.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import feedparser

from ingest.errors import FetchError, SourceError
from ingest.sources.articles import (
    ArticleDefaults,
    LoadFailure,
    SourceFields,
    attempt,
    build_article,
    split_title_line,
)
from ingest.sources.fetch import FetchedPage, fetch
from ingest.sources.files import extract_html
from qa.config import Settings
from qa.types import Article

FEED_CONTENT_MIN_CHARS = 400  # shorter feed content is a teaser: fetch the linked page instead
FEED_SNIFF_BYTES = 1024
FEED_MEDIA_TYPES = frozenset(
    {"application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/rss"}
)


class _TextCollector(HTMLParser):
    """Collects the text of an HTML fragment, with a line break around each block element."""

    BLOCK_TAGS = frozenset(
        {"p", "div", "br", "hr", "li", "ul", "ol", "blockquote", "pre", "tr", "table", "section"}
        | {"article", "h1", "h2", "h3", "h4", "h5", "h6"}
    )
    SKIPPED_TAGS = frozenset({"script", "style", "template"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._mark(tag, +1)

    def handle_endtag(self, tag: str) -> None:
        self._mark(tag, -1)

    def _mark(self, tag: str, step: int) -> None:
        if tag in self.SKIPPED_TAGS:
            self._skipping = max(0, self._skipping + step)
        elif tag in self.BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment (feed content): paragraphs on their own lines."""
    collector = _TextCollector()
    collector.feed(fragment)
    collector.close()
    lines = (" ".join(line.split()) for line in "".join(collector.parts).split("\n"))
    return "\n".join(line for line in lines if line)


def load_url(
    url: str, defaults: ArticleDefaults, settings: Settings
) -> Iterator[Article | LoadFailure]:
    page = fetch(url, settings=settings)
    if _looks_like_feed(page):
        yield from _load_feed(url, page, defaults, settings)
    else:
        yield _article_from_page(url, page, defaults)


def _looks_like_feed(page: FetchedPage) -> bool:
    head = page.body[:FEED_SNIFF_BYTES].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if b"<html" in head:
        return False
    if re.search(rb"<(rss|feed|rdf:rdf)[\s>]", head):
        return True
    return page.content_type in FEED_MEDIA_TYPES or page.content_type.endswith("/xml")


def _article_from_page(name: str, page: FetchedPage, defaults: ArticleDefaults) -> Article:
    host = _host_name(page.url)
    if page.content_type == "text/plain":
        title, text = split_title_line(page.text)
        fields = SourceFields(title=title)
    else:
        text, fields = extract_html(name, page.text, url=page.url)
    # The fetched URL, not the page's canonical one: a wrong canonical (the home page) would
    # give many articles the same id.
    fields.url = page.url
    return build_article(text, fields, origin=page.url, defaults=defaults, fallback_source=host)


def _load_feed(
    url: str, page: FetchedPage, defaults: ArticleDefaults, settings: Settings
) -> Iterator[Article | LoadFailure]:
    feed_source, entries = parse_feed(url, page)
    for number, entry in enumerate(entries, start=1):
        name = f"{url}#{number}"
        yield attempt(
            name,
            lambda n=name, e=entry: article_from_entry(n, e, feed_source, defaults, settings),  # type: ignore[misc]
        )


def parse_feed(url: str, page: FetchedPage) -> tuple[str | None, list[Any]]:
    """The feed's title (the articles' source) and its feedparser entries.

    Raises:
        SourceError: the XML is broken beyond use, or the feed has no entries.
    """
    headers = {"content-type": page.content_type or "application/xml", "content-location": page.url}
    if page.charset:
        headers["content-type"] += f"; charset={page.charset}"
    parsed = feedparser.parse(page.body, response_headers=headers)
    # feedparser recovers what it can from broken XML; keep that unless it is nothing usable.
    usable = any(entry.get("link") or _entry_text(entry) for entry in parsed.entries)
    if parsed.bozo and not usable:
        reason = parsed.get("bozo_exception") or "malformed XML"
        raise SourceError(url, f"is not a valid RSS/Atom feed ({reason}); check the feed URL")
    if not parsed.entries:
        raise SourceError(url, "is a feed with no entries")
    feed_source = (parsed.feed.get("title") or "").strip() or None
    return feed_source, list(parsed.entries)


def article_from_entry(
    name: str, entry: Any, feed_source: str | None, defaults: ArticleDefaults, settings: Settings
) -> Article:
    """One feed entry as an article; the linked page is fetched when the entry is only a teaser."""
    link = (entry.get("link") or "").strip()
    fields = _entry_fields(entry, feed_source, link)
    text = _entry_text(entry)
    if len(text) < FEED_CONTENT_MIN_CHARS and link:
        text = _fetch_entry_page(name, link, fields, settings)
    if not text:
        raise SourceError(name, "has no content and no link to fetch it from")
    return build_article(
        text, fields, origin=link, defaults=defaults, fallback_source=_host_name(link)
    )


def _entry_fields(entry: Any, feed_source: str | None, link: str) -> SourceFields:
    when = entry.get("published_parsed") or entry.get("updated_parsed")
    authors = [a.get("name", "").strip() for a in entry.get("authors") or [] if a.get("name")]
    if not authors and entry.get("author"):
        authors = [entry["author"].strip()]
    title = html_to_text(entry.get("title") or "")  # feedparser may leave inline markup in
    return SourceFields(
        title=title or None,
        source=feed_source,
        url=link or None,
        published=datetime(*when[:6], tzinfo=UTC) if when else None,  # type: ignore[misc]
        authors=authors,
        topics=[
            t["term"].strip() for t in entry.get("tags") or [] if (t.get("term") or "").strip()
        ],
    )


def _entry_text(entry: Any) -> str:
    contents = [c.get("value", "") for c in entry.get("content") or []]
    best = max(contents, key=len, default="") or entry.get("summary") or ""
    return html_to_text(best)


def _fetch_entry_page(name: str, link: str, fields: SourceFields, settings: Settings) -> str:
    """The linked article's text; fills the date and authors the entry lacks."""
    try:
        page = fetch(link, settings=settings)
    except FetchError as e:
        raise SourceError(name, f"its link {link}: {e.reason}") from e
    text, page_fields = extract_html(f"{name} ({link})", page.text, url=page.url)
    fields.published = fields.published or page_fields.published
    fields.authors = fields.authors or page_fields.authors
    fields.topics = fields.topics or page_fields.topics
    fields.title = fields.title or page_fields.title
    return text


def _host_name(url: str) -> str | None:
    host = urlsplit(url).hostname or ""
    return host.removeprefix("www.") or None
