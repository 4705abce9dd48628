"""`--dry-run`: what an ingest of some sources would do, and how long its embedding would take,
found by running the pipeline's steps up to the model and writing nothing."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TextIO, cast

from ingest.dedupe import CopyFinder
from ingest.pipeline import IngestSummary, Progress, Sorter, count_status, prepared_in_background
from ingest.shards import Shard
from ingest.sources.articles import ArticleDefaults, ReadProgress
from ingest.sources.load import load_sources, source_bytes
from ingest.throughput import planned_engine_key, recorded_throughput
from qa.config import Settings
from qa.store import NewsIndex
from qa.types import Article, Chunk

EMBED_SAMPLE_CHUNKS = 64  # a preview with no recorded throughput times the model on these


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
        part = f"shard {s.shard}: " if s.shard else ""
        out = [
            f"dry run: {part}would add {s.added}, update {s.updated}; unchanged {s.unchanged}, "
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
                f"estimated embedding time: {format_duration(cast(float, self.embed_seconds))} at "
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
    shard: Shard | None = None,
) -> Preview:
    """Read, clean, dedupe and chunk `sources` as an ingest would (of `shard`, that shard's
    articles), and count what it would do.

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
    summary = IngestSummary(shard=str(shard) if shard else None)
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
    owns = shard.owns if shard else None
    for prepared in prepared_in_background(items, known, dates=False, owns=owns):
        if prepared.failure is not None:
            summary.fail(prepared.failure.source, prepared.failure.error)
            bar.advance()
            continue
        article = cast(Article, prepared.article)  # there when there is no failure
        for warning in prepared.warnings:  # what the ingest would warn about, named alike
            summary.warn(article.place, warning)
        status = sorter.status(article)
        if not prepared.owned:  # another shard's: sorted, for the copies, but not counted
            bar.advance()
            continue
        count_status(summary, status)
        chunks = prepared.chunks if status in ("added", "updated") else []
        preview.chunks += len(chunks)
        sample.extend(chunks[: max(0, EMBED_SAMPLE_CHUNKS - len(sample))])
        bar.advance(len(chunks))
    bar.close()
    preview.articles_per_s = bar.rates()[0]
    del sorter, copies  # the model needs the memory more
    preview.embed_chunks_per_s = recorded_throughput(planned_engine_key(settings))
    if preview.embed_chunks_per_s is None and measure and sample:
        preview.embed_chunks_per_s = _embedding_throughput(settings, sample)
        preview.sample_chunks = len(sample)
    return preview


def _embedding_throughput(settings: Settings, chunks: list[Chunk]) -> float:
    """Chunks per second through the model an ingest would use, as `NewsIndex.upsert` embeds
    them, timed after a warm-up call (the first call pays for lazy initialisation)."""
    from qa.encoders.embeddings import embed_by_sentence, is_minilm, load_embeddings
    from qa.encoders.onnx_embeddings import INGEST_PRECISION, load_ingest_embeddings

    if is_minilm(settings.embedding_model):
        model = load_ingest_embeddings(INGEST_PRECISION)
    else:
        model = load_embeddings(settings.embedding_model)
    embed_by_sentence(model, [c.text for c in chunks[:4]], [c.head for c in chunks[:4]])
    started = time.perf_counter()
    embed_by_sentence(model, [c.text for c in chunks], [c.head for c in chunks])
    return len(chunks) / max(time.perf_counter() - started, 1e-6)
