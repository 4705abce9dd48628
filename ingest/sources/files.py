"""Files and folders on disk, and stdin: plain text, Markdown and HTML files read whole, dumps
handed to `ingest.sources.dumps`; folders walked recursively in name order.
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

import trafilatura
import yaml

from ingest.errors import SourceError
from ingest.sources.articles import (
    ArticleDefaults,
    LoadFailure,
    ReadProgress,
    SourceFields,
    build_article,
    fields_from_mapping,
    guarded,
    split_title_line,
)
from ingest.sources.decode import MAX_FILE_BYTES, check_has_words, decode_text
from ingest.sources.dumps import DUMP_EXTENSIONS, DUMP_LOADERS
from ingest.sources.fetch import format_size
from qa.news.dates import parse_date
from qa.types import Article

MARKDOWN_EXTENSIONS = (".md", ".markdown")
HTML_EXTENSIONS = (".html", ".htm")
SUPPORTED_EXTENSIONS = (".txt", *MARKDOWN_EXTENSIONS, *HTML_EXTENSIONS, *DUMP_EXTENSIONS)
FILE_KINDS = (  # what a path can be instead of a regular file, for the failure line
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISDIR, "a folder"),
)
MIN_PAGE_TEXT_CHARS = 100  # less than this from an HTML page is menus and footers, not an article


def load_path(
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
    for shown, item in walk_supported(name, folder, set()):
        found = True
        if isinstance(item, LoadFailure):
            yield item
            continue
        yield from guarded(shown, _load_file(shown, item, defaults, progress))
    if not found:
        kinds = ", ".join(SUPPORTED_EXTENSIONS)
        raise SourceError(name, f"has no {kinds} files (hidden files and folders are skipped)")


def walk_supported(
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
            yield from walk_supported(inner, Path(entry.path), seen)
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
    if extension in DUMP_LOADERS:
        yield from DUMP_LOADERS[extension](name, path, defaults, progress)
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


def _load_txt(name: str, path: Path, text: str, defaults: ArticleDefaults) -> Iterator[Article]:
    check_has_words(name, text)
    title, body = split_title_line(text)
    yield build_article(
        body,
        SourceFields(title=title),
        origin=_origin(path),
        defaults=defaults,
        name_hint=path.stem,
    )


def load_stdin(
    stream: TextIO, defaults: ArticleDefaults, progress: ReadProgress
) -> Iterator[Article | LoadFailure]:
    """What is piped in, read as the file it would be: a JSON or JSONL dump (gzipped or not)
    streamed item by item, an HTML page cleaned, anything else one plain-text article."""
    # The bytes, when there are any, decoded as files are (BOMs, UTF-16, cp1252), not in the
    # locale's encoding: `iconv -t UTF-16 a.txt | python -m ingest -` stores what `a.txt` would.
    binary = getattr(stream, "buffer", None)
    raw = binary.read(MAX_FILE_BYTES + 1) if binary is not None else stream.read(MAX_FILE_BYTES + 1)
    if not raw.strip():
        raise SourceError("-", "is empty (nothing was piped in)")
    data = raw if isinstance(raw, bytes) else raw.encode("utf-8", "surrogateescape")
    if (extension := _dump_kind(data)) is not None:
        yield from _load_piped_dump(extension, data, binary, defaults, progress)
        return
    if len(raw) > MAX_FILE_BYTES:
        raise SourceError("-", _too_big(len(raw)))
    text = decode_text("-", raw) if isinstance(raw, bytes) else raw
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    check_has_words("-", text)
    if _looks_like_html(text):
        body, fields = extract_html("-", text)
    else:
        title, body = split_title_line(text)
        fields = SourceFields(title=title)
    # origin "-" makes the id derive from title and text: stdin has no lasting identity.
    yield build_article(body, fields, origin="-", defaults=defaults)


_GZIP_MAGIC = b"\x1f\x8b"
_HTML_START = re.compile(
    r"\A\s*(?:<!doctype html|<html\b|<head\b|<body\b|<article\b|<meta\b)", re.I
)


_SNIFF_BYTES = 16 << 20  # decompressed bytes read to find a gzipped dump's first line
_BLANK = b"\xef\xbb\xbf \t\r\n"


def _dump_kind(data: bytes) -> str | None:
    """The dump extension piped bytes have (".jsonl", ".json", ".jsonl.gz", ".json.gz"), or None
    for a page or text. A JSON array opens with "[" and an object, "[{" or "[]"; JSONL's first
    line is a whole object (one holding an "articles" list is a JSON document), and a first
    line that is not is JSONL when later lines open with "{" (it fails alone), else one JSON
    object over several lines. Text that merely opens with a bracket ("[Updated] ...") is text."""
    suffix = ""
    if data.startswith(_GZIP_MAGIC):
        try:
            data = _first_line_decompressed(data)
        except ValueError:
            return ".jsonl.gz"  # damaged: the dump loader names the damage
        suffix = ".gz"
    head = data.lstrip(_BLANK)
    kind = None
    if head.startswith(b"["):
        kind = ".json" if head[1:].lstrip(_BLANK)[:1] in (b"{", b"]") else None
    elif head.startswith(b"{") and head[1:].lstrip(_BLANK)[:1] in (b'"', b"}"):
        first, _, rest = head.partition(b"\n")
        try:
            item = json.loads(first)
        except ValueError:
            item = None
        if isinstance(item, dict):
            kind = ".json" if isinstance(item.get("articles"), list) else ".jsonl"
        else:
            kind = ".jsonl" if re.search(rb"^\{", rest, re.MULTILINE) else ".json"
    if kind is None and suffix:
        raise SourceError("-", "is gzip-compressed text, not a JSON dump: pipe it through gunzip")
    return kind and kind + suffix


def _first_line_decompressed(data: bytes) -> bytes:
    """The start of gzipped `data`, decompressed up to its first line's end (at most
    _SNIFF_BYTES): a long first article must not pass for a one-object document."""
    import zlib

    inflate, out = zlib.decompressobj(16 + zlib.MAX_WBITS), b""
    try:
        for i in range(0, len(data), 1 << 16):
            out += inflate.decompress(data[i : i + (1 << 16)], _SNIFF_BYTES - len(out))
            if b"\n" in out.lstrip(_BLANK) or len(out) >= _SNIFF_BYTES or inflate.eof:
                break
    except zlib.error as e:
        raise ValueError(str(e)) from e
    return out


def _looks_like_html(text: str) -> bool:
    return _HTML_START.match(text) is not None


def _load_piped_dump(
    extension: str,
    head: bytes,
    rest,
    defaults: ArticleDefaults,
    progress: ReadProgress,
) -> Iterator[Article | LoadFailure]:
    """A dump piped in, copied to a temporary file (dumps stream from a file of any size) and
    loaded as that file would be, its items named "-#n" or "-:line"."""
    import shutil
    import tempfile

    with tempfile.TemporaryDirectory(prefix="newsqa-stdin-") as folder:
        path = Path(folder) / f"stdin{extension}"
        with path.open("wb") as out:
            out.write(head)
            if rest is not None:
                shutil.copyfileobj(rest, out)
        yield from DUMP_LOADERS[extension]("-", path, defaults, progress)


def _origin(path: Path) -> str:
    return str(path.resolve())


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
    yield build_article(body, fields, origin=_origin(path), defaults=defaults, name_hint=path.stem)


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
    yield build_article(body, fields, origin=_origin(path), defaults=defaults, name_hint=path.stem)


def extract_html(name: str, html: str, *, url: str | None = None) -> tuple[str, SourceFields]:
    """Extract the article text and metadata of an HTML page with trafilatura.

    The URL is taken from the page's canonical link or og:url when it has one.

    Raises:
        SourceError: the page has no article text (menus, scripts, or a very short page).
    """
    # Reader comments are not the article; keeping them would let answers cite commenters.
    # A trafilatura Document (not as_dict), or None; past the length check below, a Document.
    doc: Any = trafilatura.bare_extraction(
        html, url=url, with_metadata=True, include_comments=False
    )
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
    fields = SourceFields(
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


_FILE_LOADERS: dict[str, Callable[[str, Path, str, ArticleDefaults], Iterator[Any]]] = {
    ".txt": _load_txt,
    **dict.fromkeys(MARKDOWN_EXTENSIONS, _load_markdown),
    **dict.fromkeys(HTML_EXTENSIONS, _load_html_file),
}
