"""The ingest pipeline: load -> clean -> chunk -> NewsIndex.upsert, with a summary.

Loading and cleaning run in a background thread while the main thread embeds: the model
releases the GIL while it computes, so the pipeline around it costs almost nothing.
"""

from __future__ import annotations

import queue
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TextIO
from urllib.parse import urlsplit

from tqdm import tqdm

from ingest.chunk import split_into_chunks
from ingest.clean import clean_article
from ingest.dedupe import CopyFinder, fingerprint
from ingest.load import ArticleDefaults, LoadFailure, load_sources
from qa.config import Settings
from qa.errors import Interrupted, NewsQAError
from qa.models import Article, Chunk
from qa.news import dated_sentences
from qa.store import NewsIndex

BATCH_CHUNKS = 256  # chunks embedded per model call: large batches keep the model busy
QUEUE_SIZE = 64  # prepared articles waiting for the model
MAX_TITLE_CHARS = 300  # longer "titles" are whole paragraphs or broken markup: cut, with a warning
FUTURE_SLACK = timedelta(days=1)  # time zones and clock skew: up to a day ahead is "today"
EARLIEST_NEWS_YEAR = 1600  # the first printed newspapers; an earlier date is an error


@dataclass
class IngestSummary:
    """What an ingest did; `--json` prints `to_dict()`."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    failed: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)  # stored, but changed: {source, warning}
    articles_total: int = 0
    chunks_total: int = 0
    chunks_written: int = 0
    articles_written: int = 0

    def to_dict(self) -> dict:
        d = asdict(self)
        d.pop("chunks_written")
        d.pop("articles_written")
        return d

    def fail(self, source: str, error: str) -> None:
        self.failed.append({"source": source, "error": error})

    def warn(self, source: str, warning: str) -> None:
        self.warnings.append({"source": source, "warning": warning})

    def line(self) -> str:
        return (
            f"added {self.added}, updated {self.updated}, unchanged {self.unchanged}, "
            f"duplicates {self.duplicates}, failed {len(self.failed)}; "
            f"store has {self.articles_total} articles, {self.chunks_total} chunks"
        )


@dataclass
class Prepared:
    """An article ready to write, or the failure that stopped it."""

    article: Article | None = None
    chunks: list[Chunk] = field(default_factory=list)
    failure: LoadFailure | None = None
    warnings: list[str] = field(default_factory=list)


def prepare(item: Article | LoadFailure) -> Prepared:
    """Clean and chunk one loaded item; a failure here stops only this article."""
    if isinstance(item, LoadFailure):
        return Prepared(failure=item)
    try:
        warnings = check_metadata(item)
        article = clean_article(item)
        warnings += cap_title(article)
        chunks = split_into_chunks(article)
        annotate(article, chunks)
        return Prepared(article=article, chunks=chunks, warnings=warnings)
    except NewsQAError as e:
        return Prepared(failure=LoadFailure(item.origin or item.title, str(e)))
    except Exception as e:  # a bug on one article must not stop the batch
        name = item.origin or item.title
        return Prepared(
            failure=LoadFailure(name, f"could not be processed ({type(e).__name__}: {e})")
        )


def check_metadata(article: Article, *, now: datetime | None = None) -> list[str]:
    """Drop a publication date that cannot be true, saying why; returns the warnings.

    A date in the future would hide the article from every question asked "as of today", and
    one before the first newspapers is a typo or a broken export: either way the article is
    kept, undated (undated articles answer questions of any date).
    """
    when = article.published
    if when is None:
        return []
    now = now or datetime.now(UTC)
    if when > now + FUTURE_SLACK:
        problem = "is in the future"
    elif when.year < EARLIEST_NEWS_YEAR:
        problem = f"is before {EARLIEST_NEWS_YEAR}, older than any newspaper"
    else:
        return []
    article.published = None
    return [
        f"its publication date {when.date().isoformat()} {problem}; stored without a date, so "
        "questions of any date can find it (fix the date and ingest it again)"
    ]


def cap_title(article: Article) -> list[str]:
    """Cut a title over MAX_TITLE_CHARS at a word boundary; returns the warning, if any."""
    title = " ".join(article.title.split())
    if len(title) <= MAX_TITLE_CHARS:
        return []
    cut = title[:MAX_TITLE_CHARS].rsplit(" ", 1)[0] or title[:MAX_TITLE_CHARS]
    article.title = cut.rstrip(",;:") + "…"
    return [f"its title is {len(title):,} characters long; cut to {MAX_TITLE_CHARS}"]


def annotate(article: Article, chunks: list[Chunk]) -> None:
    """Add the article's MinHash fingerprint and each chunk's dated sentences (chunk offsets).

    Dates are resolved once per article (chunks overlap) against its publication date.
    """
    article.fingerprint = fingerprint(article.text)
    spans = dated_sentences(article.text, article.published)
    for chunk in chunks:
        chunk.dated_sentences = [
            (max(s, chunk.start) - chunk.start, min(e, chunk.end) - chunk.start, isos)
            for s, e, isos in spans
            if s < chunk.end and e > chunk.start
        ]


def ingest_articles(
    items: Iterable[Article | LoadFailure],
    index: NewsIndex,
    *,
    progress: bool = True,
    on_message: Callable[[str], None] | None = None,
) -> IngestSummary:
    """Write `items` into `index`: new ones added, edited ones replaced, the rest counted.

    Raises:
        Interrupted: Ctrl-C or SIGTERM; says how many articles were stored. The batches written
            are kept, and the next ingest repairs an article cut off mid-write.
    """
    summary = IngestSummary()
    with index.writing(on_wait=on_message):
        bar = tqdm(desc="Ingesting", unit=" articles", disable=None if progress else True)
        try:
            copied = _write_all(items, index, summary, on_item=bar.update)
        except KeyboardInterrupt:
            raise Interrupted(
                f"{summary.articles_written} new or changed articles were stored before the "
                "stop; run the same command again to finish (what is stored is kept)"
            ) from None
        finally:
            bar.close()
        for article_id, outlets in copied.items():
            index.add_publishers(article_id, outlets)
        index.refresh()
        summary.articles_total = index.count_articles()
        summary.chunks_total = index.count_chunks()
    return summary


def _write_all(
    items: Iterable[Article | LoadFailure],
    index: NewsIndex,
    summary: IngestSummary,
    *,
    on_item: Callable[[int], object],
) -> dict[str, list[str]]:
    """Prepare every item in the background and write in batches, counting into `summary`.

    Returns the outlets of syndicated copies found, by the id of the article they copy.
    """
    stored = index.catalog.articles()  # read once: every write below invalidates it
    known = {aid: row.content_hash for aid, row in stored.items()}
    copies = CopyFinder.from_stored(index.fingerprints())
    copied: dict[str, list[str]] = defaultdict(list)  # kept article id -> copies' outlets
    seen: set[str] = set()
    batch: list[tuple[Article, list[Chunk]]] = []
    for prepared in _prepared_in_background(items):
        on_item(1)
        if prepared.failure is not None:
            summary.fail(prepared.failure.source, prepared.failure.error)
            continue
        article = prepared.article
        for warning in prepared.warnings:
            summary.warn(article.origin or article.url or article.title, warning)
        status = _status(article, known, seen)
        seen.add(article.id)
        if status == "added" and _is_copy(article, copies, copied):
            status = "duplicates"
        setattr(summary, status, getattr(summary, status) + 1)
        if status in ("unchanged", "duplicates"):
            continue
        copies.add(article.id, article.source, article.fingerprint)
        if status == "updated":  # an edit keeps the outlets its copies came from
            kept = stored.get(article.id)
            article.also_published_by = list(kept.also_published_by) if kept else []
        batch.append((article, prepared.chunks))
        if sum(len(cs) for _, cs in batch) >= BATCH_CHUNKS:
            _flush(index, batch, summary)
    _flush(index, batch, summary)
    return copied


def _status(article: Article, known: dict[str, str], seen: set[str]) -> str:
    if article.id in seen:
        return "duplicates"  # the same article twice in one run
    old = known.get(article.id)
    if old is None:
        return "added"
    return "unchanged" if old == article.content_hash else "updated"


def _is_copy(article: Article, copies: CopyFinder, copied: dict[str, list[str]]) -> bool:
    """True if `article` is a syndicated copy of a kept one; notes the copy's outlet there."""
    original = copies.original_of(article.fingerprint, article_id=article.id)
    if original is None:
        return False
    outlet = article.source or urlsplit(article.url).netloc
    if outlet and outlet != original.source:
        copied[original.article_id].append(outlet)
    return True


def _flush(
    index: NewsIndex, batch: list[tuple[Article, list[Chunk]]], summary: IngestSummary
) -> None:
    if not batch:
        return
    index.upsert(batch)
    summary.chunks_written += sum(len(cs) for _, cs in batch)
    summary.articles_written += len(batch)
    batch.clear()


def _prepared_in_background(items: Iterable[Article | LoadFailure]) -> Iterator[Prepared]:
    """Load, clean and chunk in a worker thread, handing results over in order."""
    done = object()
    q: queue.Queue = queue.Queue(maxsize=QUEUE_SIZE)

    def work() -> None:
        try:
            for item in items:
                q.put(prepare(item))
        except Exception as e:  # a loader bug: report it as a failure, end the stream
            q.put(Prepared(failure=LoadFailure("(loader)", f"{type(e).__name__}: {e}")))
        finally:
            q.put(done)

    threading.Thread(target=work, name="ingest-prepare", daemon=True).start()
    while (got := q.get()) is not done:
        yield got


def ingest_sources(
    sources: Iterable[str],
    *,
    settings: Settings,
    defaults: ArticleDefaults | None = None,
    index: NewsIndex | None = None,
    stdin: TextIO | None = None,
    progress: bool = True,
    on_message: Callable[[str], None] | None = None,
) -> IngestSummary:
    """Load every source and ingest it; the CLI, `make run` and the evaluation all call this."""
    own = index is None
    index = index or NewsIndex(settings)
    try:
        items = load_sources(
            sources, defaults=defaults or ArticleDefaults(), settings=settings, stdin=stdin
        )
        return ingest_articles(items, index, progress=progress, on_message=on_message)
    finally:
        if own:
            index.close()
