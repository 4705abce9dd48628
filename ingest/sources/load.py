"""The one way in: `load_sources` picks the reader for each source the user names (a file or
folder, "-" for stdin, a web page or feed) and turns every error into a failure line, so one
broken source cannot stop a batch.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TextIO

from ingest.errors import SourceError
from ingest.sources.articles import NO_DEFAULTS, ArticleDefaults, LoadFailure, ReadProgress, guarded
from ingest.sources.files import load_path, load_stdin, walk_supported
from ingest.sources.web import load_url
from qa.config import Settings
from qa.types import Article


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
        defaults: metadata applied where a source lacks it; the source's own always wins.
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
        yield from guarded(source, _load_source(source, defaults, settings, stdin, progress))


def source_bytes(sources: Iterable[str]) -> int | None:
    """The bytes of the supported files that `sources` name, or None if some are not files."""
    total = 0
    try:
        for source in sources:
            path = Path(source).expanduser()
            if source == "-" or "://" in source or not path.exists():
                return None
            if path.is_dir():
                files = [item for _, item in walk_supported(source, path, set())]
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
        yield from load_stdin(stdin or sys.stdin, defaults, progress)
    elif source.lower().startswith(("http://", "https://")):
        yield from load_url(source, defaults, settings)
    elif "://" in source:
        raise SourceError(source, "only http:// and https:// URLs can be fetched")
    else:
        yield from load_path(source, defaults, progress)
