"""The catalog and BM25 index derived from the collection, reloaded whenever its generation
stamp moves (after any write, by any process)."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from hashlib import sha256
from pathlib import Path
from typing import cast

import numpy as np

from qa.heap import trim_heap
from qa.store.catalog import (
    Catalog,
    CatalogBuilder,
    CatalogRow,
    load_catalog,
    reload_vectors,
    row_from_metadata,
    save_catalog,
    share_strings,
)
from qa.store.chunk_metadata import indexed_text
from qa.store.connection import chroma_errors
from qa.store.folder import CHROMA_DB
from qa.store.lexical import LexicalIndex
from qa.store.opening import OpenStore
from qa.store.passage_file import PassageWriter, load_passages
from qa.store.vector_copy import save_vectors

log = logging.getLogger(__name__)

PAGE_SIZE = 2000  # rows per Chroma get() when reading the whole collection
# Rows per get() with documents and metadatas: a chunk's metadata carries its packed sentence
# vectors, and 2,000 such rows take ~80 MB while Chroma converts them. 500 keep it ~20 MB; smaller
# pages get slow, since each get() skips `offset` rows again.
TEXT_PAGE_SIZE = 500
# A stamp read is reused while Chroma's file is unchanged, if the file was last written this
# long before the read: a file's mtime has clock-tick granularity, so a write within the same
# tick as the read could otherwise leave the file looking unchanged.
SETTLED_SECONDS = 1.0


class DerivedIndexes(OpenStore):
    """The store with its catalog and BM25 index, current with the collection's stamp."""

    _catalog: Catalog | None = None  # all three loaded together, by `refresh`
    _lexical: LexicalIndex | None = None
    _stamp: str | None = None
    _stamp_read: tuple[tuple, str] | None = None  # (the file's signature, the stamp read then)

    @property
    def stamp(self) -> str:
        """The collection's generation stamp (it moves on every write, by any process).

        Read from Chroma (about 0.9 ms, once per question) unless a local store's SQLite file
        is unchanged since a read made well after its last write (a stat: 0.03 ms).
        """
        signature = self._file_signature()
        seen = self._stamp_read
        if signature is not None and seen is not None and seen[0] == signature:
            return seen[1]
        read_at = time.time()
        with self._chroma():  # a fresh read: a handle's metadata is as of when it was fetched
            meta = self._client.get_collection(self.settings.collection).metadata or {}
        stamp = str(meta.get("generation", "empty"))
        if signature is not None and signature[1] / 1e9 < read_at - SETTLED_SECONDS:
            self._stamp_read = (signature, stamp)  # one assignment: safe across threads
        return stamp

    def _file_signature(self) -> tuple | None:
        """(inode, mtime in ns, size) of a local store's Chroma file, and of its write-ahead
        log if SQLite keeps one (Chroma 1.5 does not); None for a server."""
        if self.settings.uses_server:
            return None
        db = self.settings.store_dir / CHROMA_DB
        try:
            st = os.stat(db)
        except OSError:
            return None
        try:
            wal = os.stat(db.with_name(CHROMA_DB + "-wal"))
            log_mark = (wal.st_mtime_ns, wal.st_size)
        except OSError:
            log_mark = None
        return (
            st.st_ino,
            max(st.st_mtime_ns, log_mark[0] if log_mark else 0),
            st.st_size,
            log_mark,
        )

    def refresh(self) -> bool:
        """Reload the catalog and BM25 index if another write happened. True if it reloaded."""
        stamp = self.stamp
        if self._catalog is not None and stamp == self._stamp:
            return False
        self._reconnect(stamp)
        self._load_derived(stamp)
        return True

    def _reconnect(self, stamp: str) -> None:
        """Fresh Chroma handles after the stamp moved; a fresh Chroma client if another process
        wrote (`Connection.catch_up`), which every index on this path then picks up."""
        self._handle = None
        if not self.settings.uses_server:  # one server process holds the index: always current
            self._connection.catch_up(self.settings.collection, stamp)

    @property
    def catalog(self) -> Catalog:
        if self._catalog is None:
            self.refresh()
        return cast(Catalog, self._catalog)  # set by refresh

    @property
    def lexical(self) -> LexicalIndex:
        if self._lexical is None:
            self.refresh()
        return cast(LexicalIndex, self._lexical)

    def _cache_dir(self) -> Path:
        s = self.settings
        if not s.uses_server:
            return s.store_dir / "lexical" / s.collection
        key = sha256(f"{s.chroma_host}:{s.chroma_port}/{s.collection}".encode()).hexdigest()[:12]
        base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
        return base / "newsqa" / key

    def _load_derived(self, stamp: str) -> None:
        folder = self._cache_dir()
        catalog = load_catalog(folder, stamp)
        lexical = LexicalIndex.load(folder, stamp) if catalog is not None else None
        passages = load_passages(folder, stamp, len(catalog)) if catalog is not None else None
        if catalog is None or lexical is None or lexical.size != len(catalog) or passages is None:
            builder = CatalogBuilder()
            writer = PassageWriter(folder)
            try:
                lexical = LexicalIndex.build(self._indexed_texts(builder, writer))
            except BaseException:
                writer.discard()
                raise
            catalog = builder.build()
            del builder
            save_catalog(folder, stamp, catalog)
            lexical.save(folder, stamp)
            writer.save(stamp)
            catalog = load_catalog(folder, stamp) or catalog  # its ids mapped, not held
            passages = load_passages(folder, stamp, len(catalog))
        catalog.passages = passages
        if catalog.vectors is None and len(catalog):
            catalog.vectors = self._read_vectors(catalog)
            if catalog.vectors is not None:
                save_vectors(folder, stamp, catalog.vectors)
                reload_vectors(catalog, folder, stamp)  # mapped, with any reduced copy
        self._catalog, self._lexical, self._stamp = catalog, lexical, stamp

    def chunk_texts(self) -> tuple[list[CatalogRow], list[str]]:
        """Every chunk's catalog row and indexed text (title line and body), in one read of the
        whole collection: evaluation.eval's coverage."""
        rows: list[CatalogRow] = []
        texts: list[str] = []
        for row, text in self._chunk_rows():
            rows.append(row)
            texts.append(text)
        return rows, texts

    def _indexed_texts(self, rows: CatalogBuilder, passages: PassageWriter) -> Iterator[str]:
        """Each chunk's indexed text, its catalog row added to `rows` and its document and
        metadata to `passages` as it goes by.

        BM25 tokenizes the texts as they are read, and they are not kept: holding every text
        and page of a 46k-chunk store at once took ~360 MB at the end of an ingest.
        """
        for row, text in self._chunk_rows(passages):
            rows.add(row)
            yield text

    def _chunk_rows(
        self, passages: PassageWriter | None = None
    ) -> Iterator[tuple[CatalogRow, str]]:
        """Each chunk's catalog row and indexed text, in collection order, one page at a time:
        what the derived indexes are built from. An article's chunks share their row strings."""
        previous: CatalogRow | None = None
        for ids, docs, metas, _ in self._pages(
            include=["documents", "metadatas"], page_size=TEXT_PAGE_SIZE
        ):
            for cid, doc, meta in zip(ids, docs, metas, strict=True):
                row = share_strings(row_from_metadata(cid, meta or {}), previous)
                previous = row
                if passages is not None:
                    passages.add(doc, meta or {})
                yield row, indexed_text(row, doc or "")

    def _read_vectors(self, catalog: Catalog) -> np.ndarray | None:
        """Every chunk's vector in catalog row order, or None if Chroma cannot give them all.

        After an ingest killed before Chroma wrote its vector segment to disk, reading
        embeddings fails ("Nothing found on disk") while queries still work: dense searches
        then go to Chroma's own query until the next write.
        """
        chroma_error, _ = chroma_errors()

        vectors: np.ndarray | None = None
        found = 0
        try:
            for ids, _, _, embs in self._pages(include=["embeddings"]):
                part = np.asarray(embs, dtype=np.float32)
                if vectors is None:
                    vectors = np.zeros((len(catalog), part.shape[1]), dtype=np.float32)
                for cid, vector in zip(ids, part, strict=True):
                    if (row := catalog.row_of.get(cid)) is not None:
                        vectors[row] = vector
                        found += 1
        except chroma_error as e:
            log.info("chunk vectors not readable from %s (%s)", self.settings.store_label, e)
            return None
        return vectors if found == len(catalog) else None

    def _pages(
        self, include: list[str], *, page_size: int = PAGE_SIZE
    ) -> Iterator[tuple[list, list, list, list]]:
        """The whole collection in pages of (ids, documents, metadatas, embeddings).

        Each page's Chroma result is freed before the next is read, and the heap trimmed: the
        freed pages of a whole-store read otherwise stay resident (qa.heap).
        """
        offset = 0
        while True:
            with self._chroma() as collection:
                got = collection.get(limit=page_size, offset=offset, include=include)
            trim_heap()
            if not got["ids"]:
                return
            n = len(got["ids"])
            embs = got.get("embeddings")
            yield (
                got["ids"],
                got.get("documents") or [None] * n,
                got["metadatas"],
                embs if embs is not None else [None] * n,
            )
            offset += n
            del got
