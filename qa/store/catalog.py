"""The catalog: every chunk's metadata in row order, derived from Chroma and cached beside it.

It answers filtered searches without Chroma, so both translations of `SearchFilters` live here
side by side: `Catalog.mask` (numpy, for the catalog's own vectors and BM25) and `chroma_where`
(for a query Chroma answers). The two must keep the same rows.
"""

from __future__ import annotations

import json
import os
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, cast

import numpy as np

from qa.types import SearchFilters

NO_DATE = -1  # `published` or `event_*` of a chunk without one


@dataclass
class CatalogRow:
    id: str
    article_id: str
    n: int
    n_chunks: int
    content_hash: str
    title: str
    source: str
    url: str
    published: int  # NO_DATE when unknown
    topics: tuple[str, ...]
    also_published_by: tuple[str, ...] = ()
    event_start: int = NO_DATE  # qa.news.dates.event_span of the chunk's dated sentences
    event_end: int = NO_DATE


class Catalog:
    """Chunk metadata in row order, with arrays for fast filter masks, and the chunk vectors.

    `vectors` (rows x d, float32) is a local copy of the collection's embeddings: a search with
    a filter is answered exactly from it, since Chroma's filtered queries cost 60-90 ms at 20k
    chunks against 4 ms unfiltered.
    """

    def __init__(self, rows: list[CatalogRow], vectors: np.ndarray | None = None) -> None:
        self.rows = rows
        self.vectors = vectors
        self.row_of = {r.id: i for i, r in enumerate(rows)}
        self.published = np.array([r.published for r in rows], dtype=np.int64)
        self.sources = np.array([r.source for r in rows], dtype=object)
        self.event_start = np.array([r.event_start for r in rows], dtype=np.int64)
        self.event_end = np.array([r.event_end for r in rows], dtype=np.int64)
        self.broken = self._find_broken(rows)
        self._last_similarities: tuple[bytes, np.ndarray] | None = None

    @staticmethod
    def _find_broken(rows: list[CatalogRow]) -> set[str]:
        """Articles left half-written (chunks missing, or two versions mixed) by a crash."""
        by_article: dict[str, list[CatalogRow]] = defaultdict(list)
        for r in rows:
            by_article[r.article_id].append(r)
        return {
            aid
            for aid, rs in by_article.items()
            if len(rs) != rs[0].n_chunks or len({r.content_hash for r in rs}) > 1
        }

    @cached_property
    def source_names(self) -> list[str]:
        """The distinct source names, sorted (read per question; the catalog is immutable)."""
        return sorted(set(self.sources))

    @cached_property
    def published_span(self) -> tuple[int, int] | None:
        """The oldest and newest publication times (epoch seconds) of the dated chunks, None
        when nothing is dated: what the store covers, read per question."""
        dated = self.published[self.published != NO_DATE]
        return (int(dated.min()), int(dated.max())) if dated.size else None

    def articles(self) -> dict[str, CatalogRow]:
        """The first row of each complete article."""
        out: dict[str, CatalogRow] = {}
        for r in self.rows:
            if r.article_id not in self.broken and r.article_id not in out:
                out[r.article_id] = r
        return out

    def similarities(self, vector) -> np.ndarray:
        """`vector`'s cosine with every row. The last query's are kept: a question's filtered
        rankings (its time window, the events it names, an outlet) share one product."""
        query = np.asarray(vector, dtype=np.float32)
        key = query.tobytes()
        last = self._last_similarities
        if last is not None and last[0] == key:
            return last[1]
        scores = cast(np.ndarray, self.vectors) @ query  # only called with vectors
        self._last_similarities = (key, scores)  # one assignment: safe across the page's threads
        return scores

    def mask(self, filters: SearchFilters) -> np.ndarray:
        keep = np.ones(len(self.rows), dtype=bool)
        # Undated rows hold NO_DATE (-1): below any `since`, within any `until`.
        if filters.since is not None:
            keep &= self.published >= filters.since
        if filters.until is not None:
            keep &= self.published <= filters.until
            if not filters.include_undated:
                keep &= self.published != NO_DATE
        if filters.event_since is not None:
            keep &= self.event_end >= filters.event_since
        if filters.event_until is not None:
            keep &= (self.event_start <= filters.event_until) & (self.event_start != NO_DATE)
        if filters.sources:
            keep &= np.isin(self._sources_lower, [s.lower() for s in filters.sources])
        if filters.topics:
            wanted = {t.lower() for t in filters.topics}
            keep &= np.array(
                [any(t.lower() in wanted for t in r.topics) for r in self.rows], dtype=bool
            )
        if self.broken:
            keep &= self._complete
        return keep

    # Masks of a whole-catalog scan, made once: every search of a question (dense and BM25, for
    # each preferred window or outlet) builds a mask, and the catalog never changes.
    @cached_property
    def _sources_lower(self) -> np.ndarray:
        return np.array([s.lower() for s in self.sources], dtype=str)

    @cached_property
    def _complete(self) -> np.ndarray:
        """False for the rows of half-written articles."""
        return np.array([r.article_id not in self.broken for r in self.rows], dtype=bool)


def chroma_where(filters: SearchFilters, catalog: Catalog) -> dict | None:
    """`filters` as a Chroma `where` clause: what `Catalog.mask` keeps, for Chroma's own query.

    The catalog supplies the stored spellings of sources and topics (Chroma compares exactly)
    and the half-written articles to leave out.
    """
    clauses: list[dict] = []
    # Undated chunks store NO_DATE (-1): below any `since`, within any `until`.
    if filters.since is not None:
        clauses.append({"published": {"$gte": filters.since}})
    if filters.until is not None:
        clauses.append({"published": {"$lte": filters.until}})
        if not filters.include_undated:
            clauses.append({"published": {"$gt": NO_DATE}})
    # Chunks without dated sentences have no event_* keys, so these clauses exclude them.
    if filters.event_since is not None:
        clauses.append({"event_end": {"$gte": filters.event_since}})
    if filters.event_until is not None:
        clauses.append({"event_start": {"$lte": filters.event_until}})
    if filters.sources:
        names = _matching_sources(catalog, filters.sources)
        clauses.append({"source": {"$in": names or ["\x00none"]}})
    if filters.topics:
        topic_clauses: list[dict[str, Any]] = [
            {"topics": {"$contains": t}} for t in _matching_topics(catalog, filters.topics)
        ]
        if not topic_clauses:
            topic_clauses = [{"source": "\x00none"}]
        clauses.append(topic_clauses[0] if len(topic_clauses) == 1 else {"$or": topic_clauses})
    if catalog.broken:
        clauses.append({"article_id": {"$nin": sorted(catalog.broken)}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _matching_sources(catalog: Catalog, wanted: Sequence[str]) -> list[str]:
    """Stored source names matching `wanted` case-insensitively (Chroma compares exactly)."""
    lower = {w.lower() for w in wanted}
    return sorted({s for s in catalog.sources if s.lower() in lower})


def _matching_topics(catalog: Catalog, wanted: Sequence[str]) -> list[str]:
    lower = {w.lower() for w in wanted}
    return sorted({t for r in catalog.rows for t in r.topics if t.lower() in lower})


def row_from_metadata(cid: str, meta: dict) -> CatalogRow:
    return CatalogRow(
        id=cid,
        article_id=str(meta["article_id"]),
        n=int(meta["n"]),
        n_chunks=int(meta["n_chunks"]),
        content_hash=str(meta["content_hash"]),
        title=str(meta["title"]),
        source=str(meta["source"]),
        url=str(meta["url"]),
        published=int(meta["published"]),
        topics=tuple(meta.get("topics") or ()),
        also_published_by=tuple(meta.get("also_published_by") or ()),
        event_start=int(meta.get("event_start", NO_DATE)),  # absent without dated sentences
        event_end=int(meta.get("event_end", NO_DATE)),
    )


SHARED_FIELDS = (
    "article_id",
    "content_hash",
    "title",
    "source",
    "url",
    "topics",
    "also_published_by",
)


def share_strings(row: CatalogRow, previous: CatalogRow | None) -> CatalogRow:
    """`row`, holding the very objects of `previous` (a chunk read just before it) where their
    values are equal: an article's chunks then share one copy of its title, URL and hash."""
    if previous is None or previous.article_id != row.article_id:
        return row
    for name in SHARED_FIELDS:
        if getattr(row, name) == getattr(previous, name):
            setattr(row, name, getattr(previous, name))
    return row


def save_catalog(folder: Path, stamp: str, rows: list[CatalogRow]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f"catalog.{os.getpid()}.{time.monotonic_ns()}.tmp"
    tmp.write_text(json.dumps({"stamp": stamp, "rows": [list(r.__dict__.values()) for r in rows]}))
    os.replace(tmp, folder / "catalog.json")  # atomic: readers see the old or the new file


def save_vectors(folder: Path, stamp: str, vectors: np.ndarray) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f"vectors.{os.getpid()}.{time.monotonic_ns()}.tmp.npy"
    np.save(tmp, vectors)
    os.replace(tmp, folder / "vectors.npy")
    (folder / "vectors.json").write_text(json.dumps({"stamp": stamp, "rows": len(vectors)}))


def _load_vectors(folder: Path, stamp: str, rows: int) -> np.ndarray | None:
    try:
        info = json.loads((folder / "vectors.json").read_text())
        if info.get("stamp") != stamp or info.get("rows") != rows:
            return None
        vectors = np.load(folder / "vectors.npy", mmap_mode="r")
    except (OSError, ValueError):
        return None
    return vectors if len(vectors) == rows else None


def load_catalog(folder: Path, stamp: str) -> Catalog | None:
    try:
        data = json.loads((folder / "catalog.json").read_text())
    except (OSError, ValueError):
        return None
    if data.get("stamp") != stamp:
        return None
    rows = [CatalogRow(*r[:9], tuple(r[9]), tuple(r[10]), r[11], r[12]) for r in data["rows"]]  # type: ignore[call-arg]
    return Catalog(rows, _load_vectors(folder, stamp, len(rows)))
