"""The ingest pipeline: load -> clean -> chunk -> NewsIndex.upsert, with a summary.

Loading and cleaning run in a background thread while the main thread embeds, and memory stays
flat however big a dump is (one article read at a time, bounded queues and batches).
`ingest.preview` runs the same steps up to the model and counts what an ingest would do;
`ingest.metadata` checks dates and titles; `ingest.throughput` keeps the embedding rate.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import TextIO, cast
from urllib.parse import urlsplit

from tqdm import tqdm

from ingest.chunk import split_into_chunks
from ingest.clean import clean_article
from ingest.dedupe import CopyFinder, fingerprint
from ingest.metadata import cap_title, check_metadata
from ingest.shards import Shard
from ingest.sources.articles import ArticleDefaults, LoadFailure, ReadProgress
from ingest.sources.load import load_sources, source_bytes
from ingest.throughput import engine_key, record_throughput
from qa.config import Settings
from qa.errors import Interrupted, NewsQAError
from qa.heap import trim_heap
from qa.news.dates import dated_sentences
from qa.store import NewsIndex
from qa.types import Article, Chunk

BATCH_CHUNKS = 256  # chunks embedded per model call: large batches keep the model busy
QUEUE_SIZE = 64  # prepared articles waiting for the model
RECORD_MIN_CHUNKS = BATCH_CHUNKS  # an ingest this big records its throughput for previews


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
    shard: str | None = None  # "1/4" for `--shard 1/4`: the counts are of its articles only

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
        part = f"shard {self.shard}: " if self.shard else ""
        return (
            f"{part}added {self.added}, updated {self.updated}, unchanged {self.unchanged}, "
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
    owned: bool = True  # False: another shard writes it (not chunked, its warnings not ours)


def prepare(
    item: Article | LoadFailure,
    known: dict[str, str] | None = None,
    *,
    dates: bool = True,
    owns: Callable[[str], bool] | None = None,
) -> Prepared:
    """Clean and chunk one loaded item; a failure here stops only this article.

    An article stored unchanged (its id and content hash in `known`) is not chunked: a
    re-run of an interrupted ingest passes over what it already stored at reading speed.
    Neither is one that `owns` (a shard's) says another shard writes: it is cleaned and
    fingerprinted, what deciding the copies among all articles needs. Without `dates` (a
    preview) the chunks' dated sentences, two thirds of the work, are not resolved.
    """
    if isinstance(item, LoadFailure):
        return Prepared(failure=item)
    try:
        warnings = check_metadata(item)
        article = clean_article(item)
        warnings += cap_title(article)
        if owns is not None and not owns(article.id):
            if not (known and known.get(article.id) == article.content_hash):
                article.fingerprint = fingerprint(article.text)
            return Prepared(article=article, owned=False)
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

    A syndicated copy is one of an article kept before it (stored, or earlier in the run);
    once the run is read, `publishers` credits each copy's outlet to the kept article it is
    most like, which no order of reading changes: an ingest that finds some of the kept
    articles already stored (by another process, by itself before a crash, or by another
    shard: ingest.shards) credits alike.

    What it keeps grows with the run: the ids seen (to spot an article twice in one run,
    about 100 bytes each), the copy finder's index of kept articles (about 1.4 KB each) and
    each copy's signature and outlet (about 0.8 KB each).
    """

    def __init__(self, known: dict[str, str], copies: CopyFinder) -> None:
        self.known = known  # stored article id -> content hash
        self.copies = copies
        self._copies_seen: list[tuple[str, str, str]] = []  # (signature, outlet, id) of copies
        self._seen: set[str] = set()

    def status(self, article: Article) -> str:
        """ "added", "updated", "unchanged" or "duplicates" (the summary's field names)."""
        status = _status(article, self.known, self._seen)
        self._seen.add(article.id)
        if status == "added" and self._is_copy(article):
            status = "duplicates"
        if status in ("added", "updated"):
            self.copies.add(article.id, article.source, article.fingerprint)
        return status

    def _is_copy(self, article: Article) -> bool:
        """True if `article` copies a kept one; its outlet is noted for `publishers`."""
        if self.copies.original_of(article.fingerprint, article_id=article.id) is None:
            return False
        outlet = article.source or urlsplit(article.url).netloc
        if outlet:
            self._copies_seen.append((article.fingerprint, outlet, article.id))
        return True

    def publishers(self) -> dict[str, list[str]]:
        """Kept article id -> the other outlets that published a copy of it, in the order the
        copies came; call once the run is read."""
        credited: dict[str, list[str]] = defaultdict(list)
        for signature, outlet, article_id in self._copies_seen:
            original = self.copies.closest_original(signature, article_id=article_id)
            if original is not None and outlet != original.source:
                credited[original.article_id].append(outlet)
        return dict(credited)


class Progress:
    """The ingest's progress bar: bytes read of the sources (so a dump gets an ETA) when their
    size is known, else articles; with articles and chunks per second beside it."""

    def __init__(
        self,
        read: ReadProgress,
        *,
        enabled: bool,
        desc: str = "Ingesting",
        report: Callable[[Progress], None] | None = None,
    ) -> None:
        self.read = read
        self.report = report  # told after each article (the page's progress bar)
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
        if self.report is not None:
            self.report(self)
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
    on_progress: Callable[[Progress], None] | None = None,
    shard: Shard | None = None,
) -> IngestSummary:
    """Write `items` into `index`: new ones added, edited ones replaced, the rest counted.

    Articles are written in batches as they come, so an interrupted ingest keeps what it
    wrote, and a re-run skips those as unchanged without embedding them again. With a
    `shard`, every item is read and sorted but only the shard's own articles are counted and
    written, and only their copies' outlets recorded (ingest.shards).

    Raises:
        Interrupted: Ctrl-C or SIGTERM; says how many articles were stored. The batches written
            are kept, and the next ingest repairs an article cut off mid-write.
    """
    summary = IngestSummary(shard=str(shard) if shard else None)
    owns = shard.owns if shard else None
    with index.writing(on_wait=on_message, part=shard):
        stored = index.catalog.articles()  # read once: every write below invalidates it
        known = {aid: row.content_hash for aid, row in stored.items()}
        sorter = Sorter(known, CopyFinder.from_stored(index.fingerprints()))
        bar = Progress(read or ReadProgress(), enabled=progress, report=on_progress)
        try:
            _write_all(items, index, summary, stored=stored, sorter=sorter, bar=bar, owns=owns)
        except KeyboardInterrupt:
            raise Interrupted(
                f"{summary.articles_written} new or changed articles were stored before the "
                "stop; run the same command again to finish (what is stored is kept)"
            ) from None
        finally:
            bar.close()
        for article_id, outlets in sorter.publishers().items():
            if owns is None or owns(article_id):  # one writer per article, as for its chunks
                index.add_publishers(article_id, outlets)
        index.refresh()
        summary.articles_total = index.count_articles()
        summary.chunks_total = index.count_chunks()
    if summary.chunks_written >= RECORD_MIN_CHUNKS:
        engine = engine_key(index.settings.embedding_model, index.embeddings)
        record_throughput(engine, summary.chunks_written / summary.embed_seconds)
    return summary


def _write_all(
    items: Iterable[Article | LoadFailure],
    index: NewsIndex,
    summary: IngestSummary,
    *,
    stored: dict,
    sorter: Sorter,
    bar: Progress,
    owns: Callable[[str], bool] | None = None,
) -> None:
    """Prepare every item in the background and write in batches, counting into `summary`.

    Every article goes through `sorter`, the other shards' too (`owns`): what is a copy of
    what is decided over the whole run, the same in every shard. Failures are counted by
    every shard: each read the item that failed."""
    known = {aid: row.content_hash for aid, row in stored.items()}
    batch: list[tuple[Article, list[Chunk]]] = []
    for prepared in prepared_in_background(items, known, owns=owns):
        if prepared.failure is not None:
            summary.fail(prepared.failure.source, prepared.failure.error)
            bar.advance()
            continue
        article = cast(Article, prepared.article)  # there when there is no failure
        for warning in prepared.warnings:
            summary.warn(article.place, warning)
        status = sorter.status(article)
        if not prepared.owned:
            bar.advance()
            continue
        count_status(summary, status)
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


def count_status(summary: IngestSummary, status: str) -> None:
    setattr(summary, status, getattr(summary, status) + 1)


def _status(article: Article, known: dict[str, str], seen: set[str]) -> str:
    if article.id in seen:
        return "duplicates"  # the same article twice in one run
    old = known.get(article.id)
    if old is None:
        return "added"
    return "unchanged" if old == article.content_hash else "updated"


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


def prepared_in_background(
    items: Iterable[Article | LoadFailure],
    known: dict[str, str] | None = None,
    *,
    dates: bool = True,
    owns: Callable[[str], bool] | None = None,
) -> Iterator[Prepared]:
    """Load, clean and chunk in a worker thread, handing results over in order."""
    done = object()
    q: queue.Queue = queue.Queue(maxsize=QUEUE_SIZE)

    def work() -> None:
        try:
            for item in items:
                q.put(prepare(item, known, dates=dates, owns=owns))
        except Exception as e:  # a loader bug: report it as a failure, end the stream
            q.put(Prepared(failure=LoadFailure("(loader)", f"{type(e).__name__}: {e}")))
        finally:
            q.put(done)

    threading.Thread(target=work, name="ingest-prepare", daemon=True).start()
    while (got := q.get()) is not done:
        yield got


def device_notice(settings: Settings) -> str | None:
    """The line an ingest starts with when it embeds on a GPU; None on the CPU (nothing said)."""
    from qa.encoders.embeddings import is_minilm
    from qa.encoders.onnx_embeddings import CPU, available_providers, choose_providers, device_name

    if not is_minilm(settings.embedding_model):
        return None
    providers = choose_providers(available_providers())
    if providers[0] == CPU:
        return None
    return f"embedding on the {device_name(providers)} with ONNX Runtime"


def ingest_sources(
    sources: Iterable[str],
    *,
    settings: Settings,
    defaults: ArticleDefaults | None = None,
    index: NewsIndex | None = None,
    stdin: TextIO | None = None,
    progress: bool = True,
    on_message: Callable[[str], None] | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    shard: Shard | None = None,
) -> IngestSummary:
    """Load every source and ingest it (or a `shard` of it); the CLI, `make run`, the page and
    the evaluation all call this. `on_progress` is told after each article (a bar other than
    the terminal's)."""
    sources = list(sources)
    own = index is None
    index = index or NewsIndex(settings)
    measured = progress or on_progress is not None
    read = ReadProgress(total=source_bytes(sources) if measured else None)
    try:
        items = load_sources(
            sources,
            defaults=defaults or ArticleDefaults(),
            settings=settings,
            stdin=stdin,
            progress=read,
        )
        return ingest_articles(
            items,
            index,
            progress=progress,
            on_message=on_message,
            read=read,
            on_progress=on_progress,
            shard=shard,
        )
    finally:
        if own:
            index.close()
