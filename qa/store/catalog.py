"""The catalog: every chunk's metadata in row order, derived from Chroma and cached beside it.

It answers filtered searches without Chroma, so both translations of `SearchFilters` live here
side by side: `Catalog.mask` (numpy, for the catalog's own vectors and BM25) and `chroma_where`
(for a query Chroma answers). The two must keep the same rows.
"""

from __future__ import annotations

import json
import os
import time
from array import array
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from hashlib import sha256
from pathlib import Path
from typing import Any, cast, overload

import numpy as np

from qa.store.folder import save_npy
from qa.store.passage_file import PassageFile
from qa.store.search.lists import InvertedLists, load_lists
from qa.store.search.top import top_rows
from qa.store.vector_copy import Reduced, load_vectors
from qa.types import SearchFilters

NO_DATE = -1  # `published` or `event_*` of a chunk without one
RESCORED = 1_000
# A ranking restricted to part of the store (a time window, an outlet) rescores the same share
# of its rows, and at least this many: its near-ties are as many as the rows it keeps.
MIN_RESCORED = 400
MASKS_KEPT = 16  # filters whose masks a catalog remembers (a page asks under a few)


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


# The fields an article's chunks share: one tuple per distinct combination (`Catalog.groups`).
GROUP_FIELDS = (
    "article_id",
    "n_chunks",
    "content_hash",
    "title",
    "source",
    "url",
    "topics",
    "also_published_by",
)
Group = tuple  # the values of GROUP_FIELDS, in that order


class Catalog:
    """Chunk metadata in row order, held in columns, and the chunk vectors.

    Columns, not an object per chunk: a chunk's own fields (its id, number, dates) are numpy
    arrays (the ids memory-mapped from the saved catalog), and the fields its article's chunks
    share (title, source, URL, topics...) are one tuple per article in `groups`, so a row costs
    about 70 bytes and not the ~1 KB of a Python object. `rows` still reads as a list of
    `CatalogRow`, each made on demand.

    `vectors` (rows x d, float32) is a local copy of the collection's embeddings: a search with
    a filter is answered exactly from it, since Chroma's filtered queries cost 60-90 ms at 20k
    chunks against 4 ms unfiltered.
    """

    def __init__(self, rows: Sequence[CatalogRow], vectors: np.ndarray | None = None) -> None:
        builder = CatalogBuilder()
        for row in rows:
            builder.add(row)
        self._set(*builder.columns())
        self.vectors = vectors

    @classmethod
    def from_columns(
        cls,
        groups: list[Group],
        ids: np.ndarray,
        columns: np.ndarray,
        vectors: np.ndarray | None = None,
    ) -> Catalog:
        catalog = cls.__new__(cls)
        catalog._set(groups, ids, columns)
        catalog.vectors = vectors
        return catalog

    def _set(self, groups: list[Group], ids: np.ndarray, columns: np.ndarray) -> None:
        """`ids` (bytes, UTF-8) and `columns` (5 x rows: group, n, published, event_start,
        event_end) in row order; `groups` the shared fields the group column points to."""
        self.groups = groups
        self.ids = ids
        self.group = columns[0].astype(np.int32)
        self.n = columns[1].astype(np.int32)
        self.published = columns[2]
        self.event_start = columns[3]
        self.event_end = columns[4]
        self.rows = CatalogRows(self)
        self.passages: PassageFile | None = None  # each row's text and metadata, if saved
        self.reduced: Reduced | None = None  # a large store's reduced vectors (REDUCED_FROM)
        self.lists: InvertedLists | None = None  # and its inverted lists (qa.store.search.lists)
        self.broken = self._find_broken()
        self._last_similarities: tuple[bytes, np.ndarray] | None = None
        self._selections: dict[SearchFilters, tuple[np.ndarray, np.ndarray | None]] = {}

    def __len__(self) -> int:
        return len(self.ids)

    def chunk_id(self, row: int) -> str:
        return bytes(self.ids[row]).decode()

    def row(self, i: int) -> CatalogRow:
        g = self.groups[self.group[i]]
        return CatalogRow(
            self.chunk_id(i),
            g[0],
            int(self.n[i]),
            g[1],
            g[2],
            g[3],
            g[4],
            g[5],
            int(self.published[i]),
            g[6],
            g[7],
            int(self.event_start[i]),
            int(self.event_end[i]),
        )

    @cached_property
    def row_of(self) -> dict[str, int]:
        """Each chunk id's row (made when first asked: only a rebuild of the vectors asks)."""
        return {self.chunk_id(i): i for i in range(len(self))}

    def _find_broken(self) -> set[str]:
        """Articles left half-written (chunks missing, or two versions mixed) by a crash."""
        counts = np.bincount(self.group, minlength=len(self.groups))
        chunks: dict[str, int] = defaultdict(int)
        expected: dict[str, int] = {}
        hashes: dict[str, set[str]] = defaultdict(set)
        # Groups are numbered in the order of their first row: an article's first group holds
        # its first row, whose n_chunks is the one expected.
        for g, count in zip(self.groups, counts.tolist(), strict=True):
            if count == 0:
                continue
            aid = g[0]
            chunks[aid] += count
            expected.setdefault(aid, g[1])
            hashes[aid].add(g[2])
        return {aid for aid in chunks if chunks[aid] != expected[aid] or len(hashes[aid]) > 1}

    @cached_property
    def source_names(self) -> list[str]:
        """The distinct source names, sorted (read per question; the catalog is immutable)."""
        return sorted({g[4] for g in self._used_groups})

    @cached_property
    def topic_names(self) -> list[str]:
        """The distinct topics, sorted."""
        return sorted({t for g in self._used_groups for t in g[6]})

    @cached_property
    def _used_groups(self) -> list[Group]:
        used = np.bincount(self.group, minlength=len(self.groups)) > 0
        return [g for g, u in zip(self.groups, used.tolist(), strict=True) if u]

    @cached_property
    def published_span(self) -> tuple[int, int] | None:
        """The oldest and newest publication times (epoch seconds) of the dated chunks, None
        when nothing is dated: what the store covers, read per question."""
        dated = self.published[self.published != NO_DATE]
        return (int(dated.min()), int(dated.max())) if dated.size else None

    def articles(self) -> dict[str, CatalogRow]:
        """The first row of each complete article."""
        firsts: dict[str, int] = {}
        _, first_rows = np.unique(self.group, return_index=True)
        for row in sorted(first_rows.tolist()):
            aid = self.groups[self.group[row]][0]
            if aid not in self.broken and aid not in firsts:
                firsts[aid] = row
        return {aid: self.row(row) for aid, row in firsts.items()}

    def similarities(self, vector) -> np.ndarray:
        """`vector`'s cosine with every row (with a reduced copy: its approximation from the
        reduced vectors, see `dense_top`). The last query's are kept: a question's filtered
        rankings (its time window, the events it names, an outlet) share one product."""
        query = np.asarray(vector, dtype=np.float32)
        key = query.tobytes()
        last = self._last_similarities
        if last is not None and last[0] == key:
            return last[1]
        if self.reduced is not None:
            basis, low, _ = self.reduced
            scores = low @ (query @ basis)
        else:
            scores = cast(np.ndarray, self.vectors) @ query  # only called with vectors
        self._last_similarities = (key, scores)  # one assignment: safe across the page's threads
        return scores

    def dense_top(self, vector, k: int, rows: np.ndarray | None = None) -> list[tuple[int, float]]:
        """The `k` rows nearest to `vector` among `rows` (every row when None; see
        `selection`), best first, with their cosines.

        Exact from the vector copy; for a store with a reduced copy, the best rows by the
        reduced vectors (`RESCORED` of the whole store, the same share of `rows`) are rescored
        exactly (at 100k chunks the exact best 40 were all among the reduced copy's best 800
        for 43 real questions). With inverted lists (qa.store.search.lists), a whole-store ranking
        reads the rows of the lists nearest the question, and a filter's ranking its own rows'
        reduced vectors: no ranking scans every row.
        """
        kept = len(self) if rows is None else len(rows)
        if kept == 0:
            return []
        if self.reduced is not None:
            return self._reduced_top(vector, k, kept, rows)
        scores = self.similarities(vector)
        return [(int(i), float(scores[i])) for i in top_rows(scores, k, rows)]

    def _reduced_top(self, vector, k: int, kept: int, rows) -> list[tuple[int, float]]:
        """`dense_top` of a store with a reduced copy: its best rows by the reduced vectors,
        rescored exactly."""
        assert self.reduced is not None
        basis, low, exact_rows = self.reduced
        query = np.asarray(vector, dtype=np.float32)
        n = min(RESCORED, max(MIN_RESCORED, RESCORED * kept // max(len(self), 1)), kept)
        if self.lists is None:
            # One product over all rows, shared by the question's rankings, then a gather of
            # the kept rows' scores: cheaper than gathering their vectors.
            candidates = top_rows(self.similarities(vector), n, rows)
        elif rows is None:
            found, approximate = self.lists.candidates(query @ basis, n)
            candidates = found[top_rows(approximate, n)]
        else:  # gathered: 3 ms for a window's 57k rows of 1M, and the scores a full scan gives
            candidates = rows[top_rows(low[rows] @ (query @ basis), n)]
        candidates = np.sort(candidates)
        exact = exact_rows.read(candidates) @ query
        return [(int(candidates[i]), float(exact[i])) for i in top_rows(exact, k)]

    def selection(self, filters: SearchFilters) -> np.ndarray | None:
        """The rows `filters` keep, in order; None when they keep every row."""
        return self._selected(filters)[1]

    def mask(self, filters: SearchFilters) -> np.ndarray:
        """One bool a row: True where `filters` keep it (read-only, remembered per filters:
        every ranking of every question in one time window shares it)."""
        return self._selected(filters)[0]

    def _selected(self, filters: SearchFilters) -> tuple[np.ndarray, np.ndarray | None]:
        found = self._selections.get(filters)
        if found is None:
            mask = self._mask(filters)
            mask.flags.writeable = False
            rows = None if mask.all() else np.flatnonzero(mask)
            if len(self._selections) >= MASKS_KEPT:
                self._selections = {}  # a new dict, not clear(): other threads may read the old
            found = self._selections[filters] = (mask, rows)
        return found

    def _mask(self, filters: SearchFilters) -> np.ndarray:
        keep = np.ones(len(self), dtype=bool)
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
            wanted = {s.lower() for s in filters.sources}
            keep &= self._per_row([g[4].lower() in wanted for g in self.groups])
        if filters.topics:
            wanted = {t.lower() for t in filters.topics}
            keep &= self._per_row([any(t.lower() in wanted for t in g[6]) for g in self.groups])
        if self.broken:
            keep &= self._complete
        return keep

    def _per_row(self, per_group: list[bool]) -> np.ndarray:
        """A row mask from one answer per group."""
        return np.array(per_group + [False], dtype=bool)[self.group]

    # Made once: every search of a question builds a mask, and the catalog never changes.
    @cached_property
    def _complete(self) -> np.ndarray:
        """False for the rows of half-written articles."""
        return self._per_row([g[0] not in self.broken for g in self.groups])


class CatalogRows(Sequence[CatalogRow]):
    """A catalog's rows as `CatalogRow`s, each made when read."""

    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog

    def __len__(self) -> int:
        return len(self._catalog)

    @overload
    def __getitem__(self, i: int) -> CatalogRow: ...
    @overload
    def __getitem__(self, i: slice) -> list[CatalogRow]: ...
    def __getitem__(self, i: int | slice) -> CatalogRow | list[CatalogRow]:
        if isinstance(i, slice):
            return [self._catalog.row(j) for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        return self._catalog.row(i)

    def __iter__(self) -> Iterator[CatalogRow]:
        for i in range(len(self)):
            yield self._catalog.row(i)


class CatalogBuilder:
    """A catalog's columns, made row by row as the store's pages stream by."""

    def __init__(self) -> None:
        self._group_of: dict[Group, int] = {}
        self._ids: list[bytes] = []
        self._columns: list[array] = [array("q") for _ in range(5)]

    def add(self, row: CatalogRow) -> None:
        key = tuple(getattr(row, name) for name in GROUP_FIELDS)
        group = self._group_of.setdefault(key, len(self._group_of))
        self._ids.append(row.id.encode())
        for column, value in zip(
            self._columns,
            (group, row.n, row.published, row.event_start, row.event_end),
            strict=True,
        ):
            column.append(value)

    def __len__(self) -> int:
        return len(self._ids)

    def columns(self) -> tuple[list[Group], np.ndarray, np.ndarray]:
        """(groups, ids, columns), as `Catalog.from_columns` takes them."""
        ids = np.array(self._ids, dtype=bytes) if self._ids else np.zeros(0, dtype="S1")
        columns = np.array([np.frombuffer(c, dtype=np.int64) for c in self._columns])
        return list(self._group_of), ids, columns.reshape(5, len(self._ids))

    def build(self, vectors: np.ndarray | None = None) -> Catalog:
        return Catalog.from_columns(*self.columns(), vectors)


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
    return [s for s in catalog.source_names if s.lower() in lower]


def _matching_topics(catalog: Catalog, wanted: Sequence[str]) -> list[str]:
    lower = {w.lower() for w in wanted}
    return [t for t in catalog.topic_names if t.lower() in lower]


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


CATALOG_FORMAT = 2  # columns (.npy beside catalog.json); 1 was one JSON list per row


def _columns_files(folder: Path, stamp: str) -> tuple[Path, Path]:
    """The stamp's id and column files: named after it, so that a reader never pairs one
    stamp's catalog.json with another's columns."""
    key = sha256(stamp.encode()).hexdigest()[:16]
    return folder / f"catalog-{key}.ids.npy", folder / f"catalog-{key}.columns.npy"


def save_catalog(folder: Path, stamp: str, catalog: Catalog) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    ids_file, columns_file = _columns_files(folder, stamp)
    columns = np.array(
        [catalog.group, catalog.n, catalog.published, catalog.event_start, catalog.event_end],
        dtype=np.int64,
    ).reshape(5, len(catalog))
    save_npy(ids_file, np.asarray(catalog.ids))
    save_npy(columns_file, columns)
    tmp = folder / f"catalog.{os.getpid()}.{time.monotonic_ns()}.tmp"
    groups = [list(g) for g in catalog.groups]
    tmp.write_text(
        json.dumps(
            {"stamp": stamp, "format": CATALOG_FORMAT, "rows": len(catalog), "groups": groups}
        )
    )
    os.replace(tmp, folder / "catalog.json")  # atomic: readers see the old or the new file
    for old in folder.glob("catalog-*.npy"):  # other stamps' (a reader's mapping outlives this)
        if old not in (ids_file, columns_file) and not old.name.endswith(".tmp.npy"):
            old.unlink(missing_ok=True)


def load_catalog(folder: Path, stamp: str) -> Catalog | None:
    """The saved catalog if it was built for `stamp`, its ids memory-mapped; else None."""
    try:
        data = json.loads((folder / "catalog.json").read_text())
        if data.get("stamp") != stamp or data.get("format") != CATALOG_FORMAT:
            return None
        ids_file, columns_file = _columns_files(folder, stamp)
        ids = np.load(ids_file, mmap_mode="r") if data["rows"] else np.zeros(0, dtype="S1")
        columns = np.load(columns_file)
    except (OSError, ValueError, KeyError):
        return None
    rows = data["rows"]
    if len(ids) != rows or columns.shape != (5, rows):
        return None
    groups = [(*g[:6], tuple(g[6]), tuple(g[7])) for g in data["groups"]]
    catalog = Catalog.from_columns(groups, ids, columns)
    reload_vectors(catalog, folder, stamp)
    return catalog


def reload_vectors(catalog: Catalog, folder: Path, stamp: str) -> None:
    """The saved vector copies of `catalog`'s stamp, memory-mapped, in place of its own."""
    catalog.vectors, catalog.reduced = load_vectors(folder, stamp, len(catalog))
    catalog.lists = load_lists(folder, len(catalog)) if catalog.reduced is not None else None
