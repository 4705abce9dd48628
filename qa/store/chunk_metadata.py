"""Chroma metadata of a chunk, both ways: written from an `Article` and `Chunk`, read back as a
`Passage` or a catalog row's indexed text. Plain dicts in and out; `qa.store` does the I/O."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import cast

from qa.encoders.embeddings import pack_vectors
from qa.news.dates import dated_sentences, event_span
from qa.store.catalog import NO_DATE, CatalogRow
from qa.types import Article, Chunk, Passage, head_line, web_url


def chunk_metadata(article: Article, chunk: Chunk, n_chunks: int) -> dict:
    meta = {
        "article_id": article.id,
        "n": chunk.n,
        "n_chunks": n_chunks,
        "start": chunk.start,
        "end": chunk.end,
        "content_hash": article.content_hash,
        "title": article.title,
        "source": article.source,
        "url": article.url,
        "published": chunk.published if chunk.published is not None else NO_DATE,
    }
    if article.topics:  # Chroma refuses empty lists
        meta["topics"] = list(article.topics)
    if article.authors:
        meta["authors"] = list(article.authors)
    if article.also_published_by:
        meta["also_published_by"] = list(article.also_published_by)
    if article.title_derived:
        meta["title_derived"] = True
    if chunk.n == 0 and article.fingerprint:  # one signature per article is enough
        meta["fingerprint"] = article.fingerprint
    if chunk.sentence_vectors is not None:
        meta["sentence_vectors"] = chunk.sentence_vectors
    if chunk.head_vector is not None:
        meta["head_vector"] = chunk.head_vector
    if chunk.dated_sentences is not None:
        meta.update(date_metadata(chunk.dated_sentences))
    return meta


def date_metadata(dated: list[tuple[int, int, list[str]]]) -> dict:
    """A chunk's dated sentences and the span of the dates they name, as Chroma metadata."""
    meta: dict = {"dated_sentences": json.dumps(dated, separators=(",", ":"))}
    event_dates = sorted({iso for _, _, isos in dated for iso in isos})
    if event_dates:  # a list, so `{"event_dates": {"$contains": "2022-02-24"}}` filters
        meta["event_dates"] = event_dates
        meta["event_start"], meta["event_end"] = cast(tuple[int, int], event_span(event_dates))
    return meta


def reindexed_metadata(meta: dict, text: str, sentence_vectors, head_vector) -> dict:
    """`meta` of a chunk being reindexed: its new sentence and head vectors (none without a
    head), and its dated sentences if a schema-1 store never stored them."""
    out = {k: v for k, v in meta.items() if k != "head_vector"}
    out["sentence_vectors"] = pack_vectors(sentence_vectors)
    if head_vector is not None:
        out["head_vector"] = pack_vectors(head_vector)
    if "dated_sentences" not in out:
        # Resolved within the chunk: the article's whole text is not kept. Ingest resolves
        # across it, so a sentence cut at the chunk's start may read differently.
        published = int(out["published"])
        day = None if published == NO_DATE else datetime.fromtimestamp(published, UTC)
        out.update(date_metadata(dated_sentences(text, day)))
    return out


def chunk_head(row: CatalogRow) -> str:
    return head_line(row.title, None if row.published == NO_DATE else row.published)


def indexed_text(row: CatalogRow, text: str) -> str:
    """What BM25 indexes: the chunk headed by its title and date, as `Chunk.embed_text`."""
    head = chunk_head(row)
    return f"{head}\n{text}" if head else text


def passage_from_metadata(cid: str, doc: str | None, meta: dict) -> Passage:
    published = int(meta["published"])
    return Passage(
        chunk_id=cid,
        article_id=str(meta["article_id"]),
        text=doc or "",
        title=str(meta["title"]),
        source=str(meta["source"]),
        url=web_url(str(meta["url"])),  # stores from before ingest refused others
        published=None if published == NO_DATE else published,
        topics=list(meta.get("topics") or []),
        start=int(meta["start"]),
        dated_sentences=stored_dated_sentences(meta),
        also_published_by=list(meta.get("also_published_by") or []),
        sentence_vectors=meta.get("sentence_vectors"),
        head_vector=meta.get("head_vector"),
        title_derived=bool(meta.get("title_derived", False)),
    )


def stored_dated_sentences(meta: dict) -> list[tuple[int, int, list[str]]]:
    """The chunk's stored sentence dates: (start, end, ISO dates) in chunk offsets."""
    return [(int(s), int(e), list(isos)) for s, e, isos in json.loads(meta["dated_sentences"])]


def iso_day(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).date().isoformat()
