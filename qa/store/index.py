"""`NewsIndex`, the one object that reads or writes the store: the read side and statistics here,
the layers under it in `qa.store.opening`, `qa.store.derived` and `qa.store.writing`."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from qa.store.catalog import NO_DATE, chroma_where
from qa.store.chunk_metadata import iso_day, passage_from_metadata
from qa.store.writing import WritableStore
from qa.types import UNKNOWN_SOURCE, Passage, SearchFilters


@dataclass
class Hit:
    """A chunk found by one search, before its text and metadata are read."""

    chunk_id: str
    dense: float | None = None  # cosine similarity
    lexical: float | None = None  # BM25 score
    score: float = 0.0  # fused score
    rank: int = 0
    row: int | None = None  # the chunk's catalog row, where the search knew it


class NewsIndex(WritableStore):
    """The news store: a Chroma collection plus its derived catalog and BM25 index.

    Open it with `NewsIndex(settings)` (or as a context manager); nothing heavy happens until
    it is used. The embedding model loads on the first search or write. Writers hold a lock
    file so two ingests into one store run one after the other.
    """

    def embed_query(self, text: str) -> list[float]:
        return self.query_embeddings.embed_query(text)

    def dense_search(
        self, vector: Sequence[float], *, k: int, filters: SearchFilters = SearchFilters()
    ) -> list[Passage]:
        """The `k` chunks nearest to `vector` (cosine), as passages with `dense` set."""
        return self.passages(self.dense_hits(vector, k=k, filters=filters))

    def lexical_search(
        self, query: str, *, k: int, filters: SearchFilters = SearchFilters()
    ) -> list[Passage]:
        """The `k` best BM25 chunks for `query`, as passages with `lexical` set."""
        return self.passages(self.lexical_hits(query, k=k, filters=filters))

    def dense_hits(
        self, vector: Sequence[float], *, k: int, filters: SearchFilters = SearchFilters()
    ) -> list[Hit]:
        """The `k` chunks nearest to `vector` (cosine), best first, as ids with `dense` set.

        Exact, on the catalog's local copy of the vectors: one matrix product serves every
        ranking of a question (the whole store, its time window, a named outlet), where Chroma's
        HNSW query costs 2-3 ms at 10k chunks and a filtered one 60-90 ms at 20k. Chroma answers
        only for a store whose vectors could not be copied.
        """
        catalog = self.catalog
        total = len(catalog)
        if total == 0:
            return []
        rows = catalog.selection(filters)
        if catalog.vectors is not None:  # a copy has a row for every chunk
            return self._exact_dense_hits(catalog, vector, k, rows)
        unfiltered = rows is None  # e.g. "as of today": nothing is excluded
        with self._chroma() as collection:
            res = collection.query(
                query_embeddings=[list(vector)],
                n_results=min(k, total),
                where=None if unfiltered else chroma_where(filters, catalog),
                include=["distances"],
            )
        return [
            Hit(cid, dense=1.0 - float(dist))
            for cid, dist in zip(res["ids"][0], res["distances"][0], strict=True)
        ]

    @staticmethod
    def _exact_dense_hits(catalog, vector, k: int, rows: np.ndarray | None) -> list[Hit]:
        return [
            Hit(catalog.chunk_id(i), dense=score, row=i)
            for i, score in catalog.dense_top(vector, k, rows)
        ]

    def lexical_hits(
        self, query: str, *, k: int, filters: SearchFilters = SearchFilters()
    ) -> list[Hit]:
        """The `k` best BM25 chunks for `query`, best first, as ids with `lexical` set."""
        catalog = self.catalog
        rows = None if filters.empty and not catalog.broken else catalog.selection(filters)
        return [
            Hit(catalog.chunk_id(row), lexical=score, row=row)
            for row, score in self.lexical.top(query, k, rows=rows)
        ]

    def passages(self, hits: Sequence[Hit]) -> list[Passage]:
        """The passages of `hits`, with their scores: read from the catalog's passage file
        (qa.store.passage_file) where the hit's row is known, else from Chroma in one call."""
        found = self._saved_passages(hits)
        missing = [h.chunk_id for h in hits if h.chunk_id not in found]
        if missing:
            found.update((p.chunk_id, p) for p in self.get(missing))
        out = []
        for h in hits:
            if (p := found.get(h.chunk_id)) is not None:
                p.dense, p.lexical, p.score, p.rank = h.dense, h.lexical, h.score, h.rank
                out.append(p)
        return out

    def _saved_passages(self, hits: Sequence[Hit]) -> dict[str, Passage]:
        catalog = self.catalog
        saved = catalog.passages
        if saved is None:
            return {}
        found = {}
        for h in hits:
            # A hit from a catalog since replaced (another thread refreshed) has another row.
            if h.row is not None and h.row < len(catalog) and catalog.chunk_id(h.row) == h.chunk_id:
                found[h.chunk_id] = passage_from_metadata(h.chunk_id, *saved.read(h.row))
        return found

    def raw_query(self, vector: Sequence[float], *, k: int) -> dict:
        """One bare Chroma query for the `k` nearest chunks: the benchmarks' raw baseline.

        No catalog, filters or conversion to passages; what a minimal Chroma app would do.
        """
        with self._chroma() as collection:
            return collection.query(
                query_embeddings=[list(vector)],
                n_results=k,
                include=["documents", "metadatas", "distances"],
            )

    def get(self, chunk_ids: Sequence[str]) -> list[Passage]:
        """Passages for `chunk_ids`, in the same order."""
        if not chunk_ids:
            return []
        with self._chroma() as collection:
            res = collection.get(ids=list(chunk_ids), include=["documents", "metadatas"])
        found = {
            cid: passage_from_metadata(cid, doc, meta or {})
            for cid, doc, meta in zip(res["ids"], res["documents"], res["metadatas"], strict=True)
        }
        return [found[c] for c in chunk_ids if c in found]

    def article_chunks(self, article_id: str) -> list[Passage]:
        """All chunks of one article, in order."""
        with self._chroma() as collection:
            res = collection.get(
                where={"article_id": article_id}, include=["documents", "metadatas"]
            )
        passages = [
            passage_from_metadata(cid, doc, meta or {})
            for cid, doc, meta in zip(res["ids"], res["documents"], res["metadatas"], strict=True)
        ]
        return sorted(passages, key=lambda p: int(p.chunk_id.rsplit(":", 1)[1]))

    # -- statistics ----------------------------------------------------------------------

    def count_chunks(self) -> int:
        return len(self.catalog)

    def count_articles(self) -> int:
        return len(self.catalog.articles())

    def stats(self) -> dict:
        """What `qa stats` and the page's sidebar show."""
        articles = self.catalog.articles().values()
        dates = [r.published for r in articles if r.published != NO_DATE]
        with self._chroma() as collection:
            meta = collection.metadata or {}
        topics = Counter(t for r in articles for t in r.topics)
        return {
            "articles": len(articles),
            "chunks": len(self.catalog),
            "sources": dict(Counter(r.source or UNKNOWN_SOURCE for r in articles).most_common()),
            "topics": dict(topics.most_common()),
            "embedding_model": meta.get("embedding_model", self.settings.embedding_model),
            "embedding_precision": self.stored_precision(),
            "oldest": iso_day(min(dates)) if dates else None,
            "newest": iso_day(max(dates)) if dates else None,
            "last_updated": meta.get("updated_at") or None,
            "store": self.settings.store_label,
        }
