"""The ingest pipeline: load -> clean -> chunk -> NewsIndex.upsert, with a summary.

Loading and cleaning run in a background thread while the main thread embeds, and memory stays
flat however big a dump is (one article read at a time, bounded queues and batches).
`preview_sources` runs the same steps up to the model and counts what an ingest would do.
"""

from __future__ import annotations

import json
import os
import queue
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit

from tqdm import tqdm

from ingest.chunk import split_into_chunks
from ingest.clean import clean_article
from ingest.dedupe import CopyFinder, fingerprint
from ingest.sources.articles import ArticleDefaults, LoadFailure, ReadProgress
from ingest.sources.load import load_sources, source_bytes
from qa.config import Settings
from qa.errors import Interrupted, NewsQAError
from qa.heap import trim_heap
from qa.news.dates import dated_sentences
from qa.store import NewsIndex
from qa.types import Article, Chunk, web_url

BATCH_CHUNKS = 256  # chunks embedded per model call: large batches keep the model busy
QUEUE_SIZE = 64  # prepared articles waiting for the model
MAX_TITLE_CHARS = 300  # longer "titles" are whole paragraphs or broken markup: cut, with a warning
FUTURE_SLACK = timedelta(days=1)  # time zones and clock skew: up to a day ahead is "today"
URL_SHOWN_CHARS = 60  # of a refused URL, in its warning line
EARLIEST_NEWS_YEAR = 1600  # the first printed newspapers; an earlier date is an error
EMBED_SAMPLE_CHUNKS = 64  # a preview with no recorded throughput times the model on these
RECORD_MIN_CHUNKS = BATCH_CHUNKS  # an ingest this big records its throughput for previews
THROUGHPUT_FILE = "ingest-throughput.json"


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
    embed_seconds: float = 0.0  # time spent embedding and writing the chunks written

    def to_dict(self) -> dict:
        d = asdict(self)
        d.pop("chunks_written")
        d.pop("articles_written")
        d.pop("embed_seconds")
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


def prepare(
    item: Article | LoadFailure, known: dict[str, str] | None = None, *, dates: bool = True
) -> Prepared:
    """Clean and chunk one loaded item; a failure here stops only this article.

    An article stored unchanged (its id and content hash in `known`) is not chunked: a
    re-run of an interrupted ingest passes over what it already stored at reading speed.
    Without `dates` (a preview) the chunks' dated sentences, two thirds of the work, are
    not resolved.
    """
    if isinstance(item, LoadFailure):
        return Prepared(failure=item)
    try:
        warnings = check_metadata(item)
        article = clean_article(item)
        warnings += cap_title(article)
        if known and known.get(article.id) == article.content_hash:
            return Prepared(article=article, warnings=warnings)
        chunks = split_into_chunks(article)
        if dates:
            annotate(article, chunks)
        else:
            article.fingerprint = fingerprint(article.text)
        return Prepared(article=article, chunks=chunks, warnings=warnings)
    except NewsQAError as e:
        return Prepared(failure=LoadFailure(item.place, str(e)))
    except Exception as e:  # a bug on one article must not stop the batch
        name = item.place
        return Prepared(
            failure=LoadFailure(name, f"could not be processed ({type(e).__name__}: {e})")
        )


def check_metadata(article: Article, *, now: datetime | None = None) -> list[str]:
    """Drop a link or a publication date that cannot be true, saying why; returns the warnings.

    A date in the future would hide the article from every question asked "as of today", and
    one before the first newspapers is a typo or a broken export: either way the article is
    kept, undated (undated articles answer questions of any date). A link that is not an
    http(s) address (`javascript:`, `data:`, `file:`) is never shown: the article is kept
    without it.
    """
    return _check_url(article) + _check_date(article, now=now)


def _check_url(article: Article) -> list[str]:
    url = article.url.strip()
    if not url or web_url(url):
        return []
    article.url = ""
    shown = url if len(url) <= URL_SHOWN_CHARS else url[: URL_SHOWN_CHARS - 1] + "…"
    return [
        f"its URL {shown!r} is not an http(s) address; stored without a link (fix the URL and "
        "ingest it again)"
    ]


def _check_date(article: Article, *, now: datetime | None = None) -> list[str]:
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


class Sorter:
    """Decides what an ingest does with each prepared article: add it, replace the stored
    version, or skip it as unchanged or a duplicate. A real ingest and a preview share it.

    What it keeps grows with the run: the ids seen (to spot an article twice in one run,
    about 100 bytes each) and the copy finder's index of kept articles (about 1.4 KB each).
    """

    def __init__(self, known: dict[str, str], copies: CopyFinder) -> None:
        self.known = known  # stored article id -> content hash
        self.copies = copies
        self.copied: dict[str, list[str]] = defaultdict(list)  # kept id -> copies' outlets
        self._seen: set[str] = set()

    def status(self, article: Article) -> str:
        """ "added", "updated", "unchanged" or "duplicates" (the summary's field names)."""
        status = _status(article, self.known, self._seen)
        self._seen.add(article.id)
        if status == "added" and _is_copy(article, self.copies, self.copied):
            status = "duplicates"
        if status in ("added", "updated"):
            self.copies.add(article.id, article.source, article.fingerprint)
        return status


class Progress:
    """The ingest's progress bar: bytes read of the sources (so a dump gets an ETA) when their
    size is known, else articles; with articles and chunks per second beside it."""

    def __init__(self, read: ReadProgress, *, enabled: bool, desc: str = "Ingesting") -> None:
        self.read = read
        disable = None if enabled else True  # None: shown on a terminal only
        if read.total:
            self.bar = tqdm(desc=desc, total=read.total, unit="B", unit_scale=True, disable=disable)
        else:
            self.bar = tqdm(desc=desc, unit=" articles", disable=disable)
        self.articles = 0
        self.chunks = 0
        self._started = time.monotonic()

    def advance(self, chunks: int = 0) -> None:
        """One more article read, and `chunks` more chunks for the model."""
        self.articles += 1
        self.chunks += chunks
        if self.bar.disable:
            return
        elapsed = max(time.monotonic() - self._started, 1e-6)
        self.bar.set_postfix_str(
            f"{self.articles / elapsed:.0f} articles/s, {self.chunks / elapsed:.0f} chunks/s",
            refresh=False,
        )
        self.bar.update(self.read.read - self.bar.n if self.read.total else 1)

    def rates(self) -> tuple[float, float]:
        """Articles and chunks per second so far."""
        elapsed = max(time.monotonic() - self._started, 1e-6)
        return self.articles / elapsed, self.chunks / elapsed

    def close(self) -> None:
        self.bar.close()


def ingest_articles(
    items: Iterable[Article | LoadFailure],
    index: NewsIndex,
    *,
    progress: bool = True,
    on_message: Callable[[str], None] | None = None,
    read: ReadProgress | None = None,
) -> IngestSummary:
    """Write `items` into `index`: new ones added, edited ones replaced, the rest counted.

    Articles are written in batches as they come, so an interrupted ingest keeps what it
    wrote, and a re-run skips those as unchanged without embedding them again.

    Raises:
        Interrupted: Ctrl-C or SIGTERM; says how many articles were stored. The batches written
            are kept, and the next ingest repairs an article cut off mid-write.
    """
    summary = IngestSummary()
    with index.writing(on_wait=on_message):
        stored = index.catalog.articles()  # read once: every write below invalidates it
        known = {aid: row.content_hash for aid, row in stored.items()}
        sorter = Sorter(known, CopyFinder.from_stored(index.fingerprints()))
        bar = Progress(read or ReadProgress(), enabled=progress)
        try:
            _write_all(items, index, summary, stored=stored, sorter=sorter, bar=bar)
        except KeyboardInterrupt:
            raise Interrupted(
                f"{summary.articles_written} new or changed articles were stored before the "
                "stop; run the same command again to finish (what is stored is kept)"
            ) from None
        finally:
            bar.close()
        for article_id, outlets in sorter.copied.items():
            index.add_publishers(article_id, outlets)
        index.refresh()
        summary.articles_total = index.count_articles()
        summary.chunks_total = index.count_chunks()
    if summary.chunks_written >= RECORD_MIN_CHUNKS:
        record_throughput(index.settings, summary.chunks_written / summary.embed_seconds)
    return summary


def _write_all(
    items: Iterable[Article | LoadFailure],
    index: NewsIndex,
    summary: IngestSummary,
    *,
    stored: dict,
    sorter: Sorter,
    bar: Progress,
) -> None:
    """Prepare every item in the background and write in batches, counting into `summary`."""
    known = {aid: row.content_hash for aid, row in stored.items()}
    batch: list[tuple[Article, list[Chunk]]] = []
    for prepared in _prepared_in_background(items, known):
        if prepared.failure is not None:
            summary.fail(prepared.failure.source, prepared.failure.error)
            bar.advance()
            continue
        article = prepared.article
        for warning in prepared.warnings:
            summary.warn(article.place, warning)
        status = sorter.status(article)
        _count(summary, status)
        if status in ("unchanged", "duplicates"):
            bar.advance()
            continue
        if status == "updated":  # an edit keeps the outlets its copies came from
            kept = stored.get(article.id)
            article.also_published_by = list(kept.also_published_by) if kept else []
        batch.append((article, prepared.chunks))
        bar.advance(len(prepared.chunks))
        if sum(len(cs) for _, cs in batch) >= BATCH_CHUNKS:
            _flush(index, batch, summary)
    _flush(index, batch, summary)


def _count(summary: IngestSummary, status: str) -> None:
    setattr(summary, status, getattr(summary, status) + 1)


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
    started = time.perf_counter()
    index.upsert(batch)
    trim_heap()  # the model's freed activations, a new size each batch, otherwise pile up
    summary.embed_seconds += time.perf_counter() - started
    summary.chunks_written += sum(len(cs) for _, cs in batch)
    summary.articles_written += len(batch)
    batch.clear()


def _throughput_path() -> Path:
    """Where ingests note their embedding throughput: per machine and user, not per store."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "newsqa" / THROUGHPUT_FILE


def record_throughput(settings: Settings, chunks_per_s: float) -> None:
    """Note the chunks per second (embedded and written) an ingest of this model achieved."""
    path = _throughput_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        known = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        known[settings.embedding_model] = round(chunks_per_s, 2)
        path.write_text(json.dumps(known), encoding="utf-8")
    except (OSError, ValueError):
        pass  # a figure for previews only: never a reason to fail an ingest


def recorded_throughput(settings: Settings) -> float | None:
    """The chunks per second the last sizeable ingest of this model achieved on this machine."""
    try:
        rate = json.loads(_throughput_path().read_text(encoding="utf-8")).get(
            settings.embedding_model
        )
    except (OSError, ValueError, AttributeError):
        return None
    return float(rate) if isinstance(rate, int | float) and rate > 0 else None


def _prepared_in_background(
    items: Iterable[Article | LoadFailure],
    known: dict[str, str] | None = None,
    *,
    dates: bool = True,
) -> Iterator[Prepared]:
    """Load, clean and chunk in a worker thread, handing results over in order."""
    done = object()
    q: queue.Queue = queue.Queue(maxsize=QUEUE_SIZE)

    def work() -> None:
        try:
            for item in items:
                q.put(prepare(item, known, dates=dates))
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
    sources = list(sources)
    own = index is None
    index = index or NewsIndex(settings)
    read = ReadProgress(total=source_bytes(sources) if progress else None)
    try:
        items = load_sources(
            sources,
            defaults=defaults or ArticleDefaults(),
            settings=settings,
            stdin=stdin,
            progress=read,
        )
        return ingest_articles(items, index, progress=progress, on_message=on_message, read=read)
    finally:
        if own:
            index.close()


# --- preview (--dry-run) -------------------------------------------------------------------


@dataclass
class Preview:
    """What an ingest of the same sources would do, found without embedding or writing."""

    summary: IngestSummary
    chunks: int = 0  # chunks the model would embed (of the added and updated articles)
    articles_per_s: float = 0.0  # how fast this preview read, cleaned, deduped and chunked
    embed_chunks_per_s: float | None = None  # recorded by an ingest here, or measured on a sample
    sample_chunks: int = 0  # 0: the rate is the one the last sizeable ingest recorded

    @property
    def embed_seconds(self) -> float | None:
        if not self.chunks:
            return 0.0
        return self.chunks / self.embed_chunks_per_s if self.embed_chunks_per_s else None

    def to_dict(self) -> dict:
        d = self.summary.to_dict()
        for key in ("articles_total", "chunks_total"):
            d.pop(key)
        return d | {
            "dry_run": True,
            "chunks": self.chunks,
            "articles_per_s": round(self.articles_per_s, 1),
            "embed_chunks_per_s": _rounded(self.embed_chunks_per_s),
            "estimated_embedding_s": _rounded(self.embed_seconds),
        }

    def lines(self) -> list[str]:
        s = self.summary
        out = [
            f"dry run: would add {s.added}, update {s.updated}; unchanged {s.unchanged}, "
            f"duplicates {s.duplicates}, failed {len(s.failed)}; nothing was written",
            f"chunks to embed: {self.chunks} (read at {self.articles_per_s:.0f} articles/s)",
        ]
        if self.chunks and self.embed_chunks_per_s:
            how = (
                f"measured here on {self.sample_chunks} of them"
                if self.sample_chunks
                else "as the last ingest on this machine ran"
            )
            out.append(
                f"estimated embedding time: {format_duration(self.embed_seconds)} at "
                f"{self.embed_chunks_per_s:.1f} chunks/s ({how})"
            )
        return out


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def format_duration(seconds: float) -> str:
    """ "45 s", "12 min", "3 h 20 min"."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    minutes = round(seconds / 60)
    return f"{minutes} min" if minutes < 90 else f"{minutes // 60} h {minutes % 60} min"


def preview_sources(
    sources: Iterable[str],
    *,
    settings: Settings,
    defaults: ArticleDefaults | None = None,
    stdin: TextIO | None = None,
    progress: bool = True,
    measure: bool = True,
) -> Preview:
    """Read, clean, dedupe and chunk `sources` as an ingest would, and count what it would do.

    Nothing is embedded or written: the store is read without opening it for writing (it
    stays byte-identical). The embedding time is estimated at the throughput the last
    sizeable ingest recorded on this machine; with none recorded and `measure`, the model
    embeds a sample of the chunks to time it (loading the model costs about 700 MB).
    """
    sources = list(sources)
    read = ReadProgress(total=source_bytes(sources) if progress else None)
    stored = NewsIndex(settings).stored_versions()
    known = {v.article_id: v.content_hash for v in stored}
    copies = CopyFinder.from_stored((v.article_id, v.source, v.fingerprint) for v in stored)
    del stored
    sorter = Sorter(known, copies)
    summary = IngestSummary()
    preview = Preview(summary)
    sample: list[Chunk] = []
    bar = Progress(read, enabled=progress, desc="Previewing")
    items = load_sources(
        sources,
        defaults=defaults or ArticleDefaults(),
        settings=settings,
        stdin=stdin,
        progress=read,
    )
    for prepared in _prepared_in_background(items, known, dates=False):
        if prepared.failure is not None:
            summary.fail(prepared.failure.source, prepared.failure.error)
            bar.advance()
            continue
        for warning in prepared.warnings:  # what the ingest would warn about, named alike
            summary.warn(prepared.article.place, warning)
        status = sorter.status(prepared.article)
        _count(summary, status)
        chunks = prepared.chunks if status in ("added", "updated") else []
        preview.chunks += len(chunks)
        sample.extend(chunks[: max(0, EMBED_SAMPLE_CHUNKS - len(sample))])
        bar.advance(len(chunks))
    bar.close()
    preview.articles_per_s = bar.rates()[0]
    del sorter, copies  # the model needs the memory more
    preview.embed_chunks_per_s = recorded_throughput(settings)
    if preview.embed_chunks_per_s is None and measure and sample:
        preview.embed_chunks_per_s = _embedding_throughput(settings, sample)
        preview.sample_chunks = len(sample)
    return preview


def _embedding_throughput(settings: Settings, chunks: list[Chunk]) -> float:
    """Chunks per second through the model as `NewsIndex.upsert` embeds them, timed after a
    warm-up call (the first call pays for lazy initialisation)."""
    from qa.encoders.embeddings import embed_by_sentence, load_embeddings

    model = load_embeddings(settings.embedding_model)
    embed_by_sentence(model, [c.text for c in chunks[:4]], [c.head for c in chunks[:4]])
    started = time.perf_counter()
    embed_by_sentence(model, [c.text for c in chunks], [c.head for c in chunks])
    return len(chunks) / max(time.perf_counter() - started, 1e-6)
