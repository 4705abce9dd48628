"""Turn what the user names (files, folders, stdin, web pages, feeds) into raw Articles.

`load_sources` is the one way in. It yields `Article`s (text as found, not yet
cleaned) and `LoadFailure`s, one per bad source or bad item, and never raises
for a single bad source, so one broken file cannot stop a batch.

Titles, when a source has none of its own:

- `.txt` (and stdin, and `.md` without a heading): the first line is the title
  when it is short (under TITLE_LINE_MAX_CHARS), does not end like a sentence
  (`.`, `,`, `:` or `;`), and is followed by a blank line or by a line that does
  not start in lower case (which would make it a hard-wrapped sentence).
- Otherwise the `--title` flag (`ArticleDefaults.title`), else the file name when
  it reads like words ("putin-ready-for-talks-in-minsk.txt" -> "Putin ready for
  talks in minsk"), else the first sentence, cut to about DERIVED_TITLE_CHARS.

The other `ArticleDefaults` fields likewise fill only what the source lacks; a
source's own metadata always wins, and the defaults win over guesses (a URL's
host name as the source).
"""

from __future__ import annotations

import codecs
import gzip
import json
import os
import re
import stat
import sys
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, BinaryIO, TextIO
from urllib.parse import urlsplit

import feedparser
import ijson
import trafilatura
import yaml

from ingest.errors import FetchError, SourceError
from ingest.fetch import FetchedPage, fetch, format_size
from qa.config import Settings
from qa.dates import is_relative_date, parse_date
from qa.models import Article

MAX_FILE_BYTES = 20 * 1024 * 1024  # a larger .txt/.md/.html file is not one article: split it
MAX_ITEM_CHARS = MAX_FILE_BYTES  # the same limit for one line or item of a JSON dump
MAX_JSON_DEPTH = 64  # an article object nests a few levels; thousands is an attack or a bug
READ_CHARS = 1 << 16  # dumps are decoded in pieces of this many bytes
MARKDOWN_EXTENSIONS = (".md", ".markdown")
HTML_EXTENSIONS = (".html", ".htm")
DUMP_EXTENSIONS = (".jsonl", ".json", ".jsonl.gz", ".json.gz")  # streamed: any size
SUPPORTED_EXTENSIONS = (".txt", *MARKDOWN_EXTENSIONS, *HTML_EXTENSIONS, *DUMP_EXTENSIONS)
TITLE_LINE_MAX_CHARS = 200  # a longer first line is a paragraph, not a headline
DERIVED_TITLE_CHARS = 100
MIN_NAME_TITLE_WORDS = (
    3  # "notes.txt" or "article-12.txt" say nothing; "putin-ready-for-talks" does
)
FILE_KINDS = (  # what a path can be instead of a regular file, for the failure line
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISDIR, "a folder"),
)
MIN_PAGE_TEXT_CHARS = 100  # less than this from an HTML page is menus and footers, not an article
FEED_CONTENT_MIN_CHARS = 400  # shorter feed content is a teaser: fetch the linked page instead
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
FEED_SNIFF_BYTES = 1024
FEED_MEDIA_TYPES = frozenset(
    {"application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/rss"}
)

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
class _Fields:
    """Metadata a source provides itself; None or empty where it has none."""

    title: str | None = None
    source: str | None = None
    url: str | None = None
    published: datetime | None = None
    authors: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)


def load_sources(
    sources: Iterable[str],
    *,
    defaults: ArticleDefaults = NO_DEFAULTS,
    settings: Settings | None = None,
    stdin: TextIO | None = None,
    progress: ReadProgress | None = None,
) -> Iterator[Article | LoadFailure]:
    """Yield articles (raw text, not yet cleaned) and failures, never raising for one bad source.

    JSON and JSON Lines files (also gzipped) are streamed: memory holds one article at a time.

    Args:
        sources: file and folder paths, http(s) URLs of pages or RSS/Atom feeds, or "-" for stdin.
        defaults: metadata applied where a source lacks it (see the module docstring).
        settings: decides whether private addresses may be fetched; default `Settings()`,
            which refuses them.
        stdin: the stream "-" reads; default `sys.stdin`.
        progress: moved forward as files are read (see `source_bytes` for its total).

    Yields:
        Articles in source order (folders recursively, sorted by name), and a `LoadFailure`
        for each source, file, JSON item or feed entry that could not be loaded.
    """
    settings = settings or Settings()
    progress = progress or ReadProgress()
    for source in sources:
        yield from _guarded(source, _load_source(source, defaults, settings, stdin, progress))


def source_bytes(sources: Iterable[str]) -> int | None:
    """The bytes of the supported files that `sources` name, or None if some are not files."""
    total = 0
    try:
        for source in sources:
            path = Path(source).expanduser()
            if source == "-" or "://" in source or not path.exists():
                return None
            if path.is_dir():
                files = [item for _, item in _walk_supported(source, path, set())]
            else:
                files = [path]
            total += sum(f.stat().st_size for f in files if isinstance(f, Path) and f.is_file())
    except OSError:  # a file went away: the loader will say so; the bar counts articles
        return None
    return total


def _load_source(
    source: str,
    defaults: ArticleDefaults,
    settings: Settings,
    stdin: TextIO | None,
    progress: ReadProgress,
) -> Iterator[Article | LoadFailure]:
    if source == "-":
        yield _load_stdin(stdin or sys.stdin, defaults)
    elif source.lower().startswith(("http://", "https://")):
        yield from _load_url(source, defaults, settings)
    elif "://" in source:
        raise SourceError(source, "only http:// and https:// URLs can be fetched")
    else:
        yield from _load_path(source, defaults, progress)


def _guarded(name: str, items: Iterator[Article | LoadFailure]) -> Iterator[Article | LoadFailure]:
    """Pass items through; turn an exception into a failure for `name`, keeping what came before."""
    try:
        yield from items
    except Exception as e:  # one bad source must not stop the batch
        yield _failure(name, e)


def _attempt(name: str, make: Callable[[], Article]) -> Article | LoadFailure:
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


# --- files and folders -------------------------------------------------------------------


def _load_path(
    name: str, defaults: ArticleDefaults, progress: ReadProgress
) -> Iterator[Article | LoadFailure]:
    path = Path(name).expanduser()
    if path.is_dir():
        yield from _load_folder(name, path, defaults, progress)
    elif path.exists():
        yield from _load_file(name, path, defaults, progress)
    elif path.is_symlink():
        raise SourceError(name, _broken_link(path))
    else:
        raise SourceError(name, "no such file or folder")


def _broken_link(path: Path) -> str:
    """Why a symbolic link cannot be read: it loops, or what it points to is gone."""
    try:
        path.stat()
    except OSError as e:
        if e.errno == 40:  # ELOOP
            return "is a symbolic link that loops back on itself; point it at a file"
    return f"is a symbolic link to {os.readlink(path)}, which does not exist"


def _not_regular(mode: int) -> str | None:
    """What a file mode is when it is not a regular file's (None for a regular file)."""
    if stat.S_ISREG(mode):
        return None
    kind = next((kind for test, kind in FILE_KINDS if test(mode)), "not a regular file")
    return f"is {kind}, not a regular file; only files and folders of articles can be read"


def _load_folder(
    name: str, folder: Path, defaults: ArticleDefaults, progress: ReadProgress
) -> Iterator[Article | LoadFailure]:
    found = False
    for shown, item in _walk_supported(name, folder, set()):
        found = True
        if isinstance(item, LoadFailure):
            yield item
            continue
        yield from _guarded(shown, _load_file(shown, item, defaults, progress))
    if not found:
        kinds = ", ".join(SUPPORTED_EXTENSIONS)
        raise SourceError(name, f"has no {kinds} files (hidden files and folders are skipped)")


def _walk_supported(
    shown: str, folder: Path, seen: set[tuple[int, int]]
) -> Iterator[tuple[str, Path | LoadFailure]]:
    """(name to show, path) of each supported file under `folder`, sorted by name, lazily;
    hidden entries skipped.

    Links to folders are followed once: a folder already read (a link cycle, or two links to
    one folder) gets a failure line instead, so no cycle loops for ever. A supported name that
    is not a readable regular file (a pipe, a socket, a device, a broken or looping link) is
    passed on to `_load_file`, whose failure line names it.
    """
    try:
        info = folder.stat()
        key = (info.st_dev, info.st_ino)
        if key in seen:
            yield shown, LoadFailure(shown, "is a link to a folder already read; skipped")
            return
        seen.add(key)
        with os.scandir(folder) as scan:
            entries = sorted(scan, key=lambda entry: entry.name)
    except OSError as e:
        yield shown, LoadFailure(shown, f"could not be listed ({e.strerror or e})")
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        inner = os.path.join(shown, entry.name)
        if _is_dir(entry):
            yield from _walk_supported(inner, Path(entry.path), seen)
        elif _extension(Path(entry.name)) in SUPPORTED_EXTENSIONS:
            yield inner, Path(entry.path)


def _is_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()  # follows links; a looping or broken link is not a folder
    except OSError:
        return False


def _extension(path: Path) -> str:
    """The file's kind: ".jsonl.gz" for a gzipped dump, else its last suffix, lower case."""
    name = path.name.lower()
    return next((ext for ext in DUMP_EXTENSIONS if name.endswith(ext)), path.suffix.lower())


def _load_file(
    name: str, path: Path, defaults: ArticleDefaults, progress: ReadProgress
) -> Iterator[Article | LoadFailure]:
    try:
        info = path.stat()
    except FileNotFoundError:
        if path.is_symlink():
            raise SourceError(name, _broken_link(path)) from None
        raise SourceError(
            name, "no longer exists (it was moved or deleted while reading)"
        ) from None
    except OSError as e:
        if path.is_symlink():
            raise SourceError(name, _broken_link(path)) from e
        raise
    if (kind := _not_regular(info.st_mode)) is not None:
        raise SourceError(name, kind)
    extension, size = _extension(path), info.st_size
    if extension in _DUMP_LOADERS:
        yield from _DUMP_LOADERS[extension](name, path, defaults, progress)
    elif extension in _FILE_LOADERS:
        text = read_text_file(name, path)
        yield from _FILE_LOADERS[extension](name, path, text, defaults)
    else:
        kind = f"{extension} files" if extension else "files without an extension"
        supported = ", ".join(SUPPORTED_EXTENSIONS)
        raise SourceError(name, f"{kind} are not supported; use one of {supported}")
    progress.finished(size)


def read_text_file(name: str, path: Path) -> str:
    """Read a file as text: size-checked before reading, binary refused, encoding detected.

    Raises:
        SourceError: the file is over MAX_FILE_BYTES, empty, or binary.
    """
    # O_NONBLOCK: if the file was swapped for a named pipe since it was listed, opening it must
    # not wait for a writer; fstat() then tells what was really opened.
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise SourceError(
            name, "no longer exists (it was moved or deleted while reading)"
        ) from None
    with open(fd, "rb") as f:
        info = os.fstat(fd)
        if (kind := _not_regular(info.st_mode)) is not None:
            raise SourceError(name, kind)
        if info.st_size > MAX_FILE_BYTES:
            raise SourceError(name, _too_big(info.st_size))
        data = f.read(MAX_FILE_BYTES + 1)  # the file may have grown since fstat()
    if len(data) > MAX_FILE_BYTES:
        raise SourceError(name, _too_big(len(data)))
    return decode_text(name, data)


def _too_big(size: int) -> str:
    return (
        f"is {format_size(size)}, over the {format_size(MAX_FILE_BYTES)} limit for one file; "
        "split it into smaller files"
    )


def decode_text(name: str, data: bytes) -> str:
    """Decode file bytes: a BOM decides, else UTF-8, else cp1252, else latin-1 (never rejected).

    Raises:
        SourceError: the bytes are empty, whitespace only, or look binary.
    """
    encoding = next((enc for bom, enc in TEXT_BOMS if data.startswith(bom)), None)
    if encoding is None:
        _reject_binary(name, data)
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


def _reject_binary(name: str, data: bytes) -> None:
    kind = next((kind for magic, kind in BINARY_SIGNATURES if data.startswith(magic)), None)
    if kind is None and b"\x00" in data[:BINARY_SNIFF_BYTES]:
        kind = "it contains NUL bytes"
    if kind is not None:
        raise SourceError(name, f"looks binary ({kind}), not text; convert it to .txt/.html first")


def _load_txt(name: str, path: Path, text: str, defaults: ArticleDefaults) -> Iterator[Article]:
    check_has_words(name, text)
    title, body = split_title_line(text)
    yield _build_article(
        body, _Fields(title=title), origin=_origin(path), defaults=defaults, name_hint=path.stem
    )


def _load_stdin(stream: TextIO, defaults: ArticleDefaults) -> Article:
    # The bytes, when there are any, decoded as files are (BOMs, UTF-16, cp1252), not in the
    # locale's encoding: `iconv -t UTF-16 a.txt | python -m ingest -` stores what `a.txt` would.
    binary = getattr(stream, "buffer", None)
    raw = binary.read(MAX_FILE_BYTES + 1) if binary is not None else stream.read(MAX_FILE_BYTES + 1)
    if len(raw) > MAX_FILE_BYTES:
        raise SourceError("-", _too_big(len(raw)))
    if not raw.strip():
        raise SourceError("-", "is empty (nothing was piped in)")
    text = decode_text("-", raw) if isinstance(raw, bytes) else raw
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    check_has_words("-", text)
    title, body = split_title_line(text)
    # origin "-" makes the id derive from title and text: stdin has no lasting identity.
    return _build_article(body, _Fields(title=title), origin="-", defaults=defaults)


def _origin(path: Path) -> str:
    return str(path.resolve())


# --- titles ------------------------------------------------------------------------------


def split_title_line(text: str) -> tuple[str | None, str]:
    """Split off the first line as a title when it reads like one (see the module docstring).

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
    """A title for an article that has none: its file name if it reads like words, else its lead."""
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


# --- Markdown ----------------------------------------------------------------------------

_FRONT_MATTER_END = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.MULTILINE)
_FRONT_MATTER_KEY = re.compile(r"[A-Za-z_][\w-]*:(?:[ \t]|$)", re.MULTILINE)
_ATX_HEADING = re.compile(r"#\s+(.+?)(?:\s+#+)?\s*")
_SETEXT_UNDERLINE = re.compile(r"=+\s*")


def _load_markdown(
    name: str, path: Path, text: str, defaults: ArticleDefaults
) -> Iterator[Article]:
    check_has_words(name, text)
    front, body = split_front_matter(name, text)
    fields = fields_from_mapping(name, front)
    heading, body = _split_heading(body)
    if fields.title is None and heading is None:
        heading, body = split_title_line(body)
    fields.title = fields.title or heading
    if not body.strip():
        raise SourceError(name, "has no text")
    yield _build_article(body, fields, origin=_origin(path), defaults=defaults, name_hint=path.stem)


def split_front_matter(name: str, text: str) -> tuple[dict[str, Any], str]:
    """Split YAML front matter (between `---` lines at the very top) from the Markdown body.

    Raises:
        SourceError: the front matter is not valid YAML or not `key: value` pairs.
    """
    if not re.match(r"---[ \t]*\r?\n", text):
        return {}, text
    first_newline = text.index("\n") + 1
    end = _FRONT_MATTER_END.search(text, first_newline)
    if end is None:  # a leading horizontal rule, not front matter, unless `key: value` follows
        if _FRONT_MATTER_KEY.match(text[first_newline:].lstrip("\n")):
            raise SourceError(
                name, "has front matter that never closes: add a `---` line after its last field"
            )
        return {}, text
    try:
        front = yaml.safe_load(text[first_newline : end.start()])
    except ValueError as e:  # a value YAML reads but Python cannot hold: a +25:00 time zone
        raise SourceError(name, f"has front matter with an impossible value ({e})") from e
    except yaml.YAMLError as e:
        where = getattr(e, "problem_mark", None)
        line = f" near line {where.line + 1}" if where else ""
        raise SourceError(
            name, f"has front matter that is not valid YAML{line}; fix or remove it"
        ) from e
    if front is None:
        front = {}
    if not isinstance(front, dict):
        raise SourceError(name, "has front matter that is not `key: value` lines")
    return front, text[end.end() :]


def _split_heading(body: str) -> tuple[str | None, str]:
    lines = body.strip().split("\n")
    atx = _ATX_HEADING.fullmatch(lines[0].strip())
    if atx:
        return atx.group(1).strip(), "\n".join(lines[1:]).strip()
    if len(lines) > 1 and lines[0].strip() and _SETEXT_UNDERLINE.fullmatch(lines[1].strip()):
        return lines[0].strip(), "\n".join(lines[2:]).strip()
    return None, body.strip()


# --- HTML --------------------------------------------------------------------------------


def _load_html_file(
    name: str, path: Path, text: str, defaults: ArticleDefaults
) -> Iterator[Article]:
    body, fields = extract_html(name, text)
    yield _build_article(body, fields, origin=_origin(path), defaults=defaults, name_hint=path.stem)


def extract_html(name: str, html: str, *, url: str | None = None) -> tuple[str, _Fields]:
    """Extract the article text and metadata of an HTML page with trafilatura.

    The URL is taken from the page's canonical link or og:url when it has one.

    Raises:
        SourceError: the page has no article text (menus, scripts, or a very short page).
    """
    # Reader comments are not the article; keeping them would let answers cite commenters.
    doc = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False)
    text = (doc.text or "").strip() if doc else ""
    title = (doc.title or "").strip() if doc else ""
    if title and text.startswith(title):  # trafilatura repeats the <h1> as the first line
        text = text[len(title) :].strip()
    if len(text) < MIN_PAGE_TEXT_CHARS:
        raise SourceError(
            name,
            "has no article text (only menus, scripts or a very short page); "
            "save the article page itself or paste its text into a .txt file",
        )
    fields = _Fields(
        title=title or None,
        source=_site_name(doc.sitename, url),
        url=doc.url or None,
        published=parse_date(doc.date) if doc.date else None,
        authors=[a.strip() for a in (doc.author or "").split(";") if a.strip()],
        topics=_as_list(doc.categories) + _as_list(doc.tags),
    )
    return text, fields


def _site_name(sitename: str | None, url: str | None) -> str | None:
    # Without a site name in the page, trafilatura falls back to the URL's host ("host:port");
    # that guess is ours to make, after the user's --source.
    if not sitename or (url and sitename in (urlsplit(url).netloc, urlsplit(url).hostname)):
        return None
    return sitename.strip()


def _as_list(value: list[str] | str | None) -> list[str]:
    if not value:
        return []
    items = value if isinstance(value, list) else value.split(",")
    return [item.strip() for item in items if item and item.strip()]


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


# --- JSON and JSON Lines dumps, streamed ------------------------------------------------
#
# A dump (a newsroom export, a crawler's output) may be gigabytes: it is read as a stream, one
# line or one array item at a time, so memory holds one article, never the file. The 20 MB
# limit applies to each article, not to the dump.


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
        self._bytes: BinaryIO = gzip.GzipFile(fileobj=self._raw) if self.gzipped else self._raw
        self._buffer = ""
        self.consumed = 0
        head = self._head()
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
            _reject_binary(self.name, head)
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
                yield _attempt(
                    item_name,
                    lambda n=item_name, s=line: article_from_item(
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
                yield _attempt(
                    item_name,
                    lambda n=item_name, i=item: article_from_item(n, i, defaults=defaults),
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
            item = self._value(event, value)
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

    def _value(self, event: str, value: Any) -> Any:
        """The whole value that starts with this event (a container is built from its events)."""
        if event not in ("start_map", "start_array"):
            return value
        builder = ijson.ObjectBuilder()
        builder.event(event, value)
        depth = 1
        while depth:
            event, value = self._next()
            depth += (event in ("start_map", "start_array")) - (event in ("end_map", "end_array"))
            if depth > MAX_JSON_DEPTH:
                raise SourceError(
                    self.name, "is JSON nested too deeply to read; expected article objects"
                )
            builder.event(event, value)
        return builder.value

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
        raise SourceError(name, f"is {_kind(item)}, not an article object")
    fields = fields_from_mapping(name, item)
    text = _text_field(name, item, TEXT_KEYS)
    if not text:
        raise SourceError(name, f"has no text: give it one of the fields {', '.join(TEXT_KEYS)}")
    # An item with a URL is identified by it; without one, by its title and text (origin "").
    return _build_article(text, fields, origin=fields.url or "", defaults=defaults)


# --- metadata fields ---------------------------------------------------------------------


def fields_from_mapping(name: str, mapping: Mapping[str, Any]) -> _Fields:
    """Read title, source, url, date, authors and topics from a JSON object or front matter.

    Raises:
        SourceError: a field has the wrong type, or a date cannot be read.
    """
    return _Fields(
        title=_text_field(name, mapping, TITLE_KEYS),
        source=_source_field(name, mapping),
        url=_text_field(name, mapping, URL_KEYS),
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


def _text_field(name: str, mapping: Mapping[str, Any], keys: tuple[str, ...]) -> str | None:
    key, value = _first_present(mapping, keys)
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)  # YAML reads "title: 1984" as a number
    raise SourceError(name, f"field {key!r} should be text, not {_kind(value)}")


def _source_field(name: str, mapping: Mapping[str, Any]) -> str | None:
    key, value = _first_present(mapping, SOURCE_KEYS)
    if isinstance(value, dict):  # NewsAPI: "source": {"id": "bbc-news", "name": "BBC News"}
        value = value.get("name")
        if value is None or isinstance(value, str):
            return (value or "").strip() or None
        raise SourceError(name, f"field {key!r} should have a text 'name', not {_kind(value)}")
    return _text_field(name, {key: value}, (key,))


def _date_field(name: str, mapping: Mapping[str, Any]) -> datetime | None:
    key, value = _first_present(mapping, DATE_KEYS)
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _from_epoch(name, key, value)
    if not isinstance(value, str | date):  # YAML gives date/datetime objects
        raise SourceError(
            name, f"field {key!r} should be a date like 2022-02-25, not {_kind(value)}"
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
    raise SourceError(name, f"field {key!r} should be text or a list of texts, not {_kind(item)}")


def _kind(value: Any) -> str:
    kinds = {dict: "an object", list: "a list", str: "text", bool: "true/false", type(None): "null"}
    return kinds.get(
        type(value), "a number" if isinstance(value, int | float) else type(value).__name__
    )


# --- web pages and feeds -----------------------------------------------------------------


def _load_url(
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
        fields = _Fields(title=title)
    else:
        text, fields = extract_html(name, page.text, url=page.url)
    # The fetched URL, not the page's canonical one: a wrong canonical (the home page) would
    # give many articles the same id.
    fields.url = page.url
    return _build_article(text, fields, origin=page.url, defaults=defaults, fallback_source=host)


def _load_feed(
    url: str, page: FetchedPage, defaults: ArticleDefaults, settings: Settings
) -> Iterator[Article | LoadFailure]:
    feed_source, entries = parse_feed(url, page)
    for number, entry in enumerate(entries, start=1):
        name = f"{url}#{number}"
        yield _attempt(
            name, lambda n=name, e=entry: article_from_entry(n, e, feed_source, defaults, settings)
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
    return _build_article(
        text, fields, origin=link, defaults=defaults, fallback_source=_host_name(link)
    )


def _entry_fields(entry: Any, feed_source: str | None, link: str) -> _Fields:
    when = entry.get("published_parsed") or entry.get("updated_parsed")
    authors = [a.get("name", "").strip() for a in entry.get("authors") or [] if a.get("name")]
    if not authors and entry.get("author"):
        authors = [entry["author"].strip()]
    title = html_to_text(entry.get("title") or "")  # feedparser may leave inline markup in
    return _Fields(
        title=title or None,
        source=feed_source,
        url=link or None,
        published=datetime(*when[:6], tzinfo=UTC) if when else None,
        authors=authors,
        topics=[
            t["term"].strip() for t in entry.get("tags") or [] if (t.get("term") or "").strip()
        ],
    )


def _entry_text(entry: Any) -> str:
    contents = [c.get("value", "") for c in entry.get("content") or []]
    best = max(contents, key=len, default="") or entry.get("summary") or ""
    return html_to_text(best)


def _fetch_entry_page(name: str, link: str, fields: _Fields, settings: Settings) -> str:
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


# --- assembling --------------------------------------------------------------------------


def _build_article(
    text: str,
    fields: _Fields,
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


_FILE_LOADERS: dict[str, Callable[[str, Path, str, ArticleDefaults], Iterator[Any]]] = {
    ".txt": _load_txt,
    **dict.fromkeys(MARKDOWN_EXTENSIONS, _load_markdown),
    **dict.fromkeys(HTML_EXTENSIONS, _load_html_file),
}
_DUMP_LOADERS: dict[str, Callable[[str, Path, ArticleDefaults, ReadProgress], Iterator[Any]]] = {
    **dict.fromkeys((".json", ".json.gz"), _load_json),
    **dict.fromkeys((".jsonl", ".jsonl.gz"), _load_jsonl),
}
