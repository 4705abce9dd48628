"""`NewsIndex`: the one place that reads or writes the store.

Chroma holds every chunk (text, embedding, metadata) and is the source of truth. Beside it the
index keeps a catalog of chunk metadata and a BM25 index, both derived from Chroma and rebuilt
whenever the collection's generation stamp moves (after any write, by any process).
"""

from __future__ import annotations

import fcntl
import logging
import os
import sqlite3
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from hashlib import sha256
from pathlib import Path

import numpy as np

from qa.catalog import (
    NO_DATE,
    Catalog,
    CatalogRow,
    chroma_where,
    load_catalog,
    row_from_metadata,
    save_catalog,
    save_vectors,
    share_strings,
)
from qa.chunk_metadata import chunk_metadata, indexed_text, iso_day, passage_from_metadata
from qa.config import Settings
from qa.embeddings import embed_by_sentence, pack_vectors
from qa.errors import StoreError, StoreLockedError
from qa.heap import trim_heap
from qa.lexical import LexicalIndex
from qa.maintenance import (
    REINDEX_SUFFIX,
    RETIRED_SUFFIX,
    StoredVersion,
    copy_embedded,
    delete_if_present,
    finish_interrupted_reindex,
    read_stored_versions,
    version_from_metadata,
)
from qa.models import Article, Chunk, Passage, SearchFilters
from qa.store_folder import CHROMA_DB, STORE_HINT, check_folder, open_failure

log = logging.getLogger(__name__)

SCHEMA_VERSION = 2  # 2: every chunk carries its dated sentences and sentence vectors
PAGE_SIZE = 2000  # rows per Chroma get() when reading the whole collection
# Rows per get() with documents and metadatas: a chunk's metadata carries its packed sentence
# vectors, and 2,000 such rows take ~80 MB while Chroma converts them. 500 keep it ~20 MB; smaller
# pages get slow, since each get() skips `offset` rows again.
TEXT_PAGE_SIZE = 500
WRITE_BATCH = 1000  # rows per Chroma upsert; well under Chroma's max batch size
LOCK_FILE = ".newsqa.lock"
CHROMA_FILE = CHROMA_DB  # read directly, read-only, by previews
DIMENSION_KEY = "embedding_dimension"

# The generation each in-process Chroma system (one per store path) is known to be current with.
# Chroma's local Rust backend keeps HNSW segments in memory per process and never reloads them,
# so another process's writes stay invisible to dense search until that system is re-created.
_system_generation: dict[str, str] = {}


@dataclass
class Hit:
    """A chunk found by one search, before its text and metadata are read."""

    chunk_id: str
    dense: float | None = None  # cosine similarity
    lexical: float | None = None  # BM25 score
    score: float = 0.0  # fused score
    rank: int = 0


class NewsIndex:
    """The news store: a Chroma collection plus its derived catalog and BM25 index.

    Open it with `NewsIndex(settings)` (or as a context manager); nothing heavy happens until
    it is used. The embedding model loads on the first search or write. Writers hold a lock
    file so two ingests into one store run one after the other.
    """

    def __init__(self, settings: Settings, *, embeddings=None, create: bool = True) -> None:
        """`create=False` (every reader: `qa ask`, `qa stats`, the page) refuses to open a store
        that does not exist yet instead of creating an empty one."""
        self.settings = settings
        self._create = create
        self._embeddings = embeddings
        self._query_embeddings = None
        self._dimension_checked = False
        self._client = None
        self._collection = None
        self._catalog: Catalog | None = None
        self._lexical: LexicalIndex | None = None
        self._stamp: str | None = None

    def __enter__(self) -> NewsIndex:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._collection = None
        self._client = None

    # -- opening -------------------------------------------------------------------------

    @property
    def embeddings(self):
        """The embedding model, loaded on first use and checked against the store's dimension."""
        model = self._model()
        if not self._dimension_checked:
            self._check_dimension(model)
        return model

    @property
    def query_embeddings(self):
        """The model that embeds questions: MiniLM on ONNX Runtime (no torch on the question
        path, qa.onnx_embeddings) unless a model was given or another one is configured."""
        if self._query_embeddings is None:
            from qa.embeddings import is_minilm

            if self._embeddings is None and is_minilm(self.settings.embedding_model):
                from qa.onnx_embeddings import load_onnx_embeddings

                model = load_onnx_embeddings()
                self._check_dimension(model)
            else:
                model = self.embeddings
            self._query_embeddings = model
        return self._query_embeddings

    def _model(self):
        if self._embeddings is None:
            from qa.embeddings import load_embeddings

            self._embeddings = load_embeddings(self.settings.embedding_model)
        return self._embeddings

    def _check_dimension(self, model) -> None:
        """Refuse a model whose vectors do not fit the store (same name, other weights)."""
        from qa.embeddings import model_dimension

        recorded = (self.collection.metadata or {}).get(DIMENSION_KEY)
        actual = model_dimension(model) if recorded is not None else None
        if recorded is not None and actual != recorded:
            raise StoreError(
                f"The store at {self.settings.store_label} holds {recorded}-dimensional vectors, "
                f"but the embedding model {self.settings.embedding_model!r} makes {actual}: "
                "re-embed it with `python -m qa reindex`, or set NEWSQA_EMBEDDING_MODEL to the "
                "model that built it."
            )
        self._dimension_checked = True

    @property
    def collection(self):
        if self._collection is None:
            self._collection = self._open_collection()
        return self._collection

    def _open_collection(self, *, check: bool = True):
        try:
            client = self._client = self._make_client()
            finish_interrupted_reindex(client, self.settings.collection)
            if not self._create and not self.settings.uses_server:
                collection = self._existing_collection(client)
            else:
                collection = client.get_or_create_collection(
                    self.settings.collection,
                    embedding_function=None,  # never Chroma's default: it downloads a model
                    configuration={"hnsw": {"space": "cosine"}},
                    metadata=self._new_metadata(),
                )
        except StoreError:
            raise
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as e:  # chromadb raises several unrelated types (a Rust panic too)
            raise StoreError(open_failure(self.settings.store_label, e)) from e
        if check:
            self._check_guards(collection.metadata or {})
        return collection

    def _existing_collection(self, client):
        names = {getattr(c, "name", c) for c in client.list_collections()}
        if self.settings.collection not in names:
            raise StoreError(
                f"{self.settings.store_label} is a Chroma database without the collection "
                f"{self.settings.collection!r}, not a newsqa store: {STORE_HINT}."
            )
        return client.get_collection(self.settings.collection, embedding_function=None)

    def _make_client(self):
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False)
        s = self.settings
        if s.uses_server:
            headers = (
                {"Authorization": f"Bearer {s.chroma_auth_token}"} if s.chroma_auth_token else None
            )
            try:
                return chromadb.HttpClient(
                    host=s.chroma_host,
                    port=s.chroma_port,
                    headers=headers,
                    settings=chroma_settings,
                )
            except Exception as e:
                raise StoreError(
                    f"Cannot reach the Chroma server at {s.chroma_host}:{s.chroma_port} ({e}): "
                    "start it (`chroma run --path DIR --port PORT`) or unset CHROMA_HOST."
                ) from e
        check_folder(self.settings, create=self._create)
        try:
            s.store_dir.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StoreError(
                f"Could not create the store folder {s.store_label} ({e.strerror or e}): "
                "choose a folder you can write to."
            ) from e
        return chromadb.PersistentClient(path=str(s.store_dir), settings=chroma_settings)

    def _new_metadata(self, **extra) -> dict:
        return {
            "schema_version": SCHEMA_VERSION,
            "embedding_model": self.settings.embedding_model,
            "generation": "empty",
            "updated_at": "",
            **extra,
        }

    def _check_guards(self, meta: dict) -> None:
        built_with = meta.get("embedding_model")
        if built_with and built_with != self.settings.embedding_model:
            raise StoreError(
                f"The store at {self.settings.store_label} was built with the embedding model "
                f"{built_with!r}, not {self.settings.embedding_model!r}: set "
                f"NEWSQA_EMBEDDING_MODEL={built_with}, or re-embed it with `python -m qa reindex`."
            )
        version = meta.get("schema_version", SCHEMA_VERSION)
        if isinstance(version, int) and version > SCHEMA_VERSION:
            raise StoreError(
                f"The store at {self.settings.store_label} was written by a newer newsqa (schema "
                f"version {version}; this one reads {SCHEMA_VERSION}): upgrade newsqa to use it. "
                "Nothing was changed."
            )
        if version != SCHEMA_VERSION:
            raise StoreError(
                f"The store at {self.settings.store_label} has schema version {version}; this "
                f"newsqa reads version {SCHEMA_VERSION}: run `python -m qa reindex` to upgrade it."
            )

    # -- the derived catalog and lexical index -------------------------------------------

    @property
    def stamp(self) -> str:
        """The collection's generation stamp, read fresh from Chroma (it moves on every write)."""
        collection = self._client.get_collection(self.settings.collection) if self._client else None
        meta = (collection or self.collection).metadata or {}
        return str(meta.get("generation", "empty"))

    def refresh(self) -> bool:
        """Reload the catalog and BM25 index if another write happened. True if it reloaded."""
        stamp = self.stamp
        if self._catalog is not None and stamp == self._stamp:
            return False
        self._reconnect(stamp)
        self._load_derived(stamp)
        return True

    def _reconnect(self, stamp: str) -> None:
        """Fresh Chroma handles after the stamp moved; a fresh Chroma system if another process wrote.

        Chroma shares one system per path within a process, so a stale one is evicted from its
        cache and re-created (about 0.05 s for 1,500 chunks). Other NewsIndex objects in this
        process keep their old handles until their own refresh, which then picks up the new system.
        """
        self._collection = None
        self._client = None
        if self.settings.uses_server:
            return  # one server process holds the index: its answers are always current
        key = str(self.settings.store_dir)
        if _system_generation.get(key, stamp) != stamp:
            _evict_chroma_system(key)
        _system_generation[key] = stamp

    @property
    def catalog(self) -> Catalog:
        if self._catalog is None:
            self.refresh()
        return self._catalog

    @property
    def lexical(self) -> LexicalIndex:
        if self._lexical is None:
            self.refresh()
        return self._lexical

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
        if catalog is None or lexical is None or lexical.size != len(catalog.rows):
            rows: list[CatalogRow] = []
            lexical = LexicalIndex.build(self._indexed_texts(rows))
            catalog = Catalog(rows)
            save_catalog(folder, stamp, rows)
            lexical.save(folder, stamp)
        if catalog.vectors is None and catalog.rows:
            catalog.vectors = self._read_vectors(catalog)
            if catalog.vectors is not None:
                save_vectors(folder, stamp, catalog.vectors)
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

    def _indexed_texts(self, rows: list[CatalogRow]) -> Iterator[str]:
        """Each chunk's indexed text, its catalog row appended to `rows` as it goes by.

        BM25 tokenizes the texts as they are read, and they are not kept: holding every text
        and page of a 46k-chunk store at once took ~360 MB at the end of an ingest.
        """
        for row, text in self._chunk_rows():
            rows.append(row)
            yield text

    def _chunk_rows(self) -> Iterator[tuple[CatalogRow, str]]:
        """Each chunk's catalog row and indexed text, in collection order, one page at a time:
        what the derived indexes are built from.

        The chunks of one article share its title, URL and the other strings of their rows.
        """
        previous: CatalogRow | None = None
        for ids, docs, metas, _ in self._pages(
            include=["documents", "metadatas"], page_size=TEXT_PAGE_SIZE
        ):
            for cid, doc, meta in zip(ids, docs, metas, strict=True):
                row = share_strings(row_from_metadata(cid, meta or {}), previous)
                previous = row
                yield row, indexed_text(row, doc or "")

    def _read_vectors(self, catalog: Catalog) -> np.ndarray | None:
        """Every chunk's vector in catalog row order, or None if Chroma cannot give them all.

        After an ingest killed before Chroma wrote its vector segment to disk, reading
        embeddings fails ("Nothing found on disk") while queries still work: filtered searches
        then go to Chroma's own filtered query until the next write.
        """
        from chromadb.errors import ChromaError

        vectors: np.ndarray | None = None
        found = 0
        try:
            for ids, _, _, embs in self._pages(include=["embeddings"]):
                part = np.asarray(embs, dtype=np.float32)
                if vectors is None:
                    vectors = np.zeros((len(catalog.rows), part.shape[1]), dtype=np.float32)
                for cid, vector in zip(ids, part, strict=True):
                    if (row := catalog.row_of.get(cid)) is not None:
                        vectors[row] = vector
                        found += 1
        except ChromaError as e:
            log.info("chunk vectors not readable from %s (%s)", self.settings.store_label, e)
            return None
        return vectors if found == len(catalog.rows) else None

    def _pages(
        self, include: list[str], *, page_size: int = PAGE_SIZE
    ) -> Iterator[tuple[list, list, list, list]]:
        """The whole collection in pages of (ids, documents, metadatas, embeddings).

        Each page's Chroma result is freed before the next is read, and the heap trimmed: the
        freed pages of a whole-store read otherwise stay resident (qa.heap).
        """
        offset = 0
        while True:
            got = self.collection.get(limit=page_size, offset=offset, include=include)
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

    # -- writing -------------------------------------------------------------------------

    @contextmanager
    def writing(self, *, on_wait: Callable[[str], None] | None = None) -> Iterator[NewsIndex]:
        """Hold the store's write lock, repairing what a killed ingest left; see `_write_lock`."""
        with self._write_lock(on_wait=on_wait):
            self.repair()
            yield self

    @contextmanager
    def _write_lock(self, *, on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
        """Hold the store's write lock; waits (telling `on_wait`) while another ingest runs."""
        path = self._lock_path()
        with path.open("a+") as f:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if on_wait:
                    on_wait(
                        f"Another ingest is writing to {self.settings.store_label}; waiting for it to finish."
                    )
                try:
                    fcntl.flock(f, fcntl.LOCK_EX)
                except OSError as e:
                    raise StoreLockedError(f"Could not lock {path}: {e}") from e
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    def _lock_path(self) -> Path:
        return self.state_dir() / LOCK_FILE

    def state_dir(self) -> Path:
        """The local folder for this store's lock and small state files (the store folder, or a
        cache folder for a Chroma server)."""
        folder = self._cache_dir().parent if self.settings.uses_server else self.settings.store_dir
        if not self.settings.uses_server:
            check_folder(self.settings, create=self._create)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StoreError(f"Could not create {folder} ({e.strerror or e}).") from e
        return folder

    def repair(self) -> list[str]:
        """Delete articles a killed ingest left half-written; the next ingest adds them again."""
        self.refresh()
        broken = sorted(self.catalog.broken)
        for article_id in broken:
            self.collection.delete(where={"article_id": article_id})
        if broken:
            self._bump()
        return broken

    def upsert(self, items: Sequence[tuple[Article, list[Chunk]]]) -> None:
        """Write articles and their chunks, replacing any older version of each.

        Embeds the sentences of all chunks of the batch in one call; each chunk's vector is the
        mean of its sentences' and its title's (qa.embeddings.embed_by_sentence). Call inside
        `writing()`.
        """
        chunks = [c for _, cs in items for c in cs]
        if not chunks:
            return
        vectors, sentence_vectors, head_vectors = embed_by_sentence(
            self.embeddings, [c.text for c in chunks], [c.head for c in chunks]
        )
        for chunk, sv, hv in zip(chunks, sentence_vectors, head_vectors, strict=True):
            chunk.sentence_vectors = pack_vectors(sv)
            chunk.head_vector = None if hv is None else pack_vectors(hv)
        self.write_vectors(items, vectors)

    def write_vectors(self, items: Sequence[tuple[Article, list[Chunk]]], vectors) -> None:
        """Write precomputed vectors for the chunks of `items`, in order."""
        chunks = [(a, c) for a, cs in items for c in cs]
        n_chunks = {a.id: len(cs) for a, cs in items}
        old_counts = self._stored_chunk_counts([a.id for a, _ in items])
        # Move the stamp before writing too: if this process is killed mid-write, every reader's
        # cached catalog is stale and rebuilt from Chroma, where the half-written article shows.
        self._bump(dimension=len(vectors[0]) if len(vectors) else None)
        for start in range(0, len(chunks), WRITE_BATCH):
            part = chunks[start : start + WRITE_BATCH]
            self.collection.upsert(
                ids=[c.id for _, c in part],
                embeddings=np.asarray(vectors[start : start + WRITE_BATCH], dtype=np.float32),
                documents=[c.text for _, c in part],
                metadatas=[chunk_metadata(a, c, n_chunks[a.id]) for a, c in part],
            )
        stale = [f"{a.id}:{n}" for a, cs in items for n in range(len(cs), old_counts.get(a.id, 0))]
        if stale:
            self.collection.delete(ids=stale)
        self._bump()

    def _stored_chunk_counts(self, article_ids: Sequence[str]) -> dict[str, int]:
        """How many chunks the stored version of each article has, read from its chunk 0.

        A lookup by id, not the catalog: the catalog is rebuilt from the whole collection after
        every write, so consulting it per batch would make a large ingest quadratic.
        """
        got = self.collection.get(ids=[f"{aid}:0" for aid in article_ids], include=["metadatas"])
        return {str(meta["article_id"]): int(meta["n_chunks"]) for meta in got["metadatas"] if meta}

    def fingerprints(self) -> Iterator[tuple[str, str, str]]:
        """(article_id, source, fingerprint) of each stored article that has a MinHash signature.

        Signatures live in chunk 0's metadata; only those rows are read.
        """
        offset = 0
        while True:
            got = self.collection.get(
                where={"n": 0}, limit=PAGE_SIZE, offset=offset, include=["metadatas"]
            )
            if not got["ids"]:
                return
            for meta in got["metadatas"]:
                if meta and meta.get("fingerprint"):
                    yield str(meta["article_id"]), str(meta["source"]), meta["fingerprint"]
            offset += len(got["ids"])

    def stored_versions(self) -> list[StoredVersion]:
        """The id, content hash, outlet and MinHash signature of each complete stored article,
        read without writing anything: what a preview (`python -m ingest --dry-run`) compares.

        Chroma writes to a local store's files whenever a client opens it (measured: a bare
        `get()` changes chroma.sqlite3 and the HNSW length.bin), so a local store is read
        from Chroma's SQLite file directly, read-only (`read_stored_versions`). A Chroma server
        is read through its API; a collection that does not exist is not created.
        """
        if self.settings.uses_server:
            return self._server_stored_versions()
        path = self.settings.store_dir / CHROMA_FILE
        if not path.exists():
            return []
        try:
            return read_stored_versions(path, self.settings.collection)
        except sqlite3.Error as e:
            raise StoreError(
                f"Could not read the store at {self.settings.store_label} for a preview ({e}); "
                "an ingest without --dry-run still works."
            ) from e

    def _server_stored_versions(self) -> list[StoredVersion]:
        from chromadb.errors import NotFoundError

        client = self._client or self._make_client()
        try:
            collection = client.get_collection(self.settings.collection)
        except (NotFoundError, ValueError):
            return []
        out: list[StoredVersion] = []
        offset = 0
        while metas := collection.get(
            where={"n": 0}, limit=PAGE_SIZE, offset=offset, include=["metadatas"]
        )["metadatas"]:
            out.extend(version_from_metadata(m) for m in metas if m and "article_id" in m)
            offset += len(metas)
        return out

    def add_publishers(self, article_id: str, outlets: Sequence[str]) -> list[str]:
        """Record that `outlets` also published this article (syndicated copies).

        Returns the article's full list; writes (and moves the stamp) only when it grew.
        """
        got = self.collection.get(where={"article_id": article_id}, include=["metadatas"])
        if not got["ids"]:
            return []
        current = list(got["metadatas"][0].get("also_published_by") or [])
        merged = current + [o for o in dict.fromkeys(outlets) if o and o not in current]
        if merged != current:
            metas = [{**(m or {}), "also_published_by": merged} for m in got["metadatas"]]
            self.collection.update(ids=got["ids"], metadatas=metas)
            self._bump()
        return merged

    def _bump(self, *, dimension: int | None = None) -> None:
        """Move the generation stamp so every reader reloads its derived indexes."""
        meta = dict(self.collection.metadata or {})
        meta.update(
            generation=uuid.uuid4().hex,
            updated_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        if dimension is not None:
            meta[DIMENSION_KEY] = int(dimension)
        meta.pop("hnsw:space", None)
        self.collection.modify(metadata=meta)
        if not self.settings.uses_server:  # our own write is visible to our own Chroma system
            _system_generation[str(self.settings.store_dir)] = meta["generation"]
        self._catalog = None

    # -- re-embedding --------------------------------------------------------------------

    def reindex(self, *, on_progress: Callable[[int], None] | None = None) -> int:
        """Re-embed every chunk with the configured model into a new collection, then swap it in.

        The new collection is built beside the old one and only takes its name once complete, so
        an interrupted reindex leaves the old store readable (`finish_interrupted_reindex` ends
        a swap cut short). Returns the number of chunks re-embedded; `on_progress` gets counts.
        """
        with self._write_lock():
            old = self._open_collection(check=False)
            client, name = self._client, self.settings.collection
            delete_if_present(client, name + REINDEX_SUFFIX)  # left by a killed reindex
            model = self._model()
            new = client.create_collection(
                name + REINDEX_SUFFIX,
                embedding_function=None,
                configuration={"hnsw": {"space": "cosine"}},
                metadata=self._new_metadata(),
            )
            done = copy_embedded(old, new, model, on_progress, page_size=PAGE_SIZE)
            meta = self._new_metadata(generation=uuid.uuid4().hex, reindexed=True)
            meta[DIMENSION_KEY] = len(model.embed_query("dimension probe"))
            new.modify(metadata=meta)
            old.modify(name=name + RETIRED_SUFFIX)
            new.modify(name=name)
            client.delete_collection(name + RETIRED_SUFFIX)
        self.close()
        self._catalog, self._dimension_checked = None, False
        return done

    # -- reading -------------------------------------------------------------------------

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

        Unfiltered, Chroma's HNSW index answers. With a filter the search is exact, on the local
        copy of the vectors: Chroma's filtered queries cost 60-90 ms at 20k chunks.
        """
        catalog = self.catalog
        total = len(catalog.rows)
        if total == 0:
            return []
        mask = catalog.mask(filters)
        unfiltered = bool(mask.all())  # e.g. "as of today": nothing is excluded
        if not unfiltered and catalog.vectors is not None:  # a copy has a row for every chunk
            return self._filtered_dense_hits(vector, k, mask)
        res = self.collection.query(
            query_embeddings=[list(vector)],
            n_results=min(k, total),
            where=None if unfiltered else chroma_where(filters, catalog),
            include=["distances"],
        )
        return [
            Hit(cid, dense=1.0 - float(dist))
            for cid, dist in zip(res["ids"][0], res["distances"][0], strict=True)
        ]

    def _filtered_dense_hits(self, vector, k: int, mask: np.ndarray) -> list[Hit]:
        kept = int(mask.sum())
        if kept == 0:
            return []
        # One product over all rows beats gathering the kept rows first (no copy of the matrix).
        scores = np.asarray(self.catalog.vectors @ np.asarray(vector, dtype=np.float32))
        scores = np.where(mask, scores, -np.inf)
        k = min(k, kept)
        best = np.argpartition(-scores, k - 1)[:k]
        best = best[np.argsort(-scores[best])]
        return [Hit(self.catalog.rows[i].id, dense=float(scores[i])) for i in best]

    def lexical_hits(
        self, query: str, *, k: int, filters: SearchFilters = SearchFilters()
    ) -> list[Hit]:
        """The `k` best BM25 chunks for `query`, best first, as ids with `lexical` set."""
        catalog = self.catalog
        mask = None if filters.empty and not catalog.broken else catalog.mask(filters)
        return [
            Hit(catalog.rows[row].id, lexical=score)
            for row, score in self.lexical.top(query, k, mask)
        ]

    def passages(self, hits: Sequence[Hit]) -> list[Passage]:
        """The passages of `hits` (text and metadata read in one call), with their scores."""
        found = {p.chunk_id: p for p in self.get([h.chunk_id for h in hits])}
        out = []
        for h in hits:
            if (p := found.get(h.chunk_id)) is not None:
                p.dense, p.lexical, p.score, p.rank = h.dense, h.lexical, h.score, h.rank
                out.append(p)
        return out

    def raw_query(self, vector: Sequence[float], *, k: int) -> dict:
        """One bare Chroma query for the `k` nearest chunks: the benchmarks' raw baseline.

        No catalog, filters or conversion to passages; what a minimal Chroma app would do.
        """
        return self.collection.query(
            query_embeddings=[list(vector)],
            n_results=k,
            include=["documents", "metadatas", "distances"],
        )

    def get(self, chunk_ids: Sequence[str]) -> list[Passage]:
        """Passages for `chunk_ids`, in the same order."""
        if not chunk_ids:
            return []
        res = self.collection.get(ids=list(chunk_ids), include=["documents", "metadatas"])
        found = {
            cid: passage_from_metadata(cid, doc, meta or {})
            for cid, doc, meta in zip(res["ids"], res["documents"], res["metadatas"], strict=True)
        }
        return [found[c] for c in chunk_ids if c in found]

    def article_chunks(self, article_id: str) -> list[Passage]:
        """All chunks of one article, in order."""
        res = self.collection.get(
            where={"article_id": article_id}, include=["documents", "metadatas"]
        )
        passages = [
            passage_from_metadata(cid, doc, meta or {})
            for cid, doc, meta in zip(res["ids"], res["documents"], res["metadatas"], strict=True)
        ]
        return sorted(passages, key=lambda p: int(p.chunk_id.rsplit(":", 1)[1]))

    # -- statistics ----------------------------------------------------------------------

    def count_chunks(self) -> int:
        return len(self.catalog.rows)

    def count_articles(self) -> int:
        return len(self.catalog.articles())

    def stats(self) -> dict:
        """What `qa stats` and the page's sidebar show."""
        articles = self.catalog.articles().values()
        dates = [r.published for r in articles if r.published != NO_DATE]
        meta = self.collection.metadata or {}
        topics = Counter(t for r in articles for t in r.topics)
        return {
            "articles": len(articles),
            "chunks": len(self.catalog.rows),
            "sources": dict(Counter(r.source or "(unknown)" for r in articles).most_common()),
            "topics": dict(topics.most_common()),
            "embedding_model": meta.get("embedding_model", self.settings.embedding_model),
            "oldest": iso_day(min(dates)) if dates else None,
            "newest": iso_day(max(dates)) if dates else None,
            "last_updated": meta.get("updated_at") or None,
            "store": self.settings.store_label,
        }


def _evict_chroma_system(path: str) -> None:
    """Make the next PersistentClient for `path` in this process load the store afresh.

    The evicted system is not stopped, so handles still on it keep working.
    """
    # Private chromadb 1.5 API: the public clear_system_cache() (meant for tests) drops every
    # store's system, even one an ingest in this process still writes through.
    from chromadb.api.shared_system_client import SharedSystemClient

    SharedSystemClient._identifier_to_system.pop(path, None)
    SharedSystemClient._identifier_to_refcount.pop(path, None)
