"""The store's write side: the write lock, upserts, the generation stamp, repair and reindex."""

from __future__ import annotations

import fcntl
import sqlite3
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol, Self

import numpy as np

from qa.encoders.embeddings import embed_by_sentence, pack_vectors
from qa.errors import StoreError, StoreLockedError
from qa.store.chunk_metadata import chunk_metadata
from qa.store.connection import chroma_errors
from qa.store.derived import PAGE_SIZE, DerivedIndexes
from qa.store.folder import CHROMA_DB, check_folder
from qa.store.maintenance import (
    REINDEX_SUFFIX,
    RETIRED_SUFFIX,
    StoredVersion,
    copy_embedded,
    delete_if_present,
    read_stored_versions,
    version_from_metadata,
)
from qa.store.opening import DIMENSION_KEY
from qa.types import Article, Chunk

WRITE_BATCH = 1000  # rows per Chroma upsert; well under Chroma's max batch size
LOCK_FILE = ".newsqa.lock"
CHROMA_FILE = CHROMA_DB  # read directly, read-only, by previews


class Part(Protocol):
    """The share of the articles that one of several writers owns (ingest's `--shard I/N`):
    it alone writes them, so several parts write to one Chroma server at once."""

    @property
    def name(self) -> str: ...  # safe in a file name; names the part's lock

    def owns(self, article_id: str) -> bool: ...


class WritableStore(DerivedIndexes):
    """The store with its write side: one writer at a time, across processes (one per part on
    a Chroma server: see `writing`)."""

    @contextmanager
    def writing(
        self, *, on_wait: Callable[[str], None] | None = None, part: Part | None = None
    ) -> Iterator[Self]:
        """Hold the store's write lock, repairing what a killed ingest left; see `_write_lock`.

        A writer of one `part` on a Chroma server holds that part's lock only, so the other
        parts write at the same time, and repairs only its own articles: another part's half
        written article is most likely being written right now. A local store takes one writer
        at a time whatever its part (Chroma's local files take one process's writes).
        """
        shared = part is not None and self.settings.uses_server
        with self._write_lock(on_wait=on_wait, part=part if shared else None):
            self.repair(only=part.owns if part is not None and shared else None)
            yield self

    @contextmanager
    def _write_lock(
        self, *, on_wait: Callable[[str], None] | None = None, part: Part | None = None
    ) -> Iterator[None]:
        """Hold the store's write lock (or `part`'s); waits, telling `on_wait`, while another
        ingest holds it."""
        path = self._lock_path(part)
        with path.open("a+") as f:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if on_wait:
                    who = f"of part {part.name} " if part else ""
                    on_wait(
                        f"Another ingest {who}is writing to {self.settings.store_label}; waiting for it to finish."
                    )
                try:
                    fcntl.flock(f, fcntl.LOCK_EX)
                except OSError as e:
                    raise StoreLockedError(f"Could not lock {path}: {e}") from e
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    def _lock_path(self, part: Part | None = None) -> Path:
        name = LOCK_FILE if part is None else f"{LOCK_FILE}.{part.name}"
        return self.state_dir() / name

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

    def repair(self, *, only: Callable[[str], bool] | None = None) -> list[str]:
        """Delete articles a killed ingest left half-written (those `only` accepts); the next
        ingest adds them again.

        Each is read again before it goes: the catalog is read a page at a time, and a page
        read while another process writes can miss rows of a complete article.
        """
        self.refresh()
        broken = []
        with self._chroma() as collection:
            for article_id in sorted(self.catalog.broken):
                if (only is None or only(article_id)) and _half_written(collection, article_id):
                    collection.delete(where={"article_id": article_id})
                    broken.append(article_id)
        if broken:
            self._bump()
        return broken

    def upsert(self, items: Sequence[tuple[Article, list[Chunk]]]) -> None:
        """Write articles and their chunks, replacing any older version of each.

        Embeds the sentences of all chunks of the batch in one call; each chunk's vector is the
        mean of its sentences' and its title's (qa.encoders.embeddings.embed_by_sentence). Call inside
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
            with self._chroma() as collection:
                collection.upsert(
                    ids=[c.id for _, c in part],
                    embeddings=np.asarray(vectors[start : start + WRITE_BATCH], dtype=np.float32),
                    documents=[c.text for _, c in part],
                    metadatas=[chunk_metadata(a, c, n_chunks[a.id]) for a, c in part],
                )
        stale = [f"{a.id}:{n}" for a, cs in items for n in range(len(cs), old_counts.get(a.id, 0))]
        if stale:
            with self._chroma() as collection:
                collection.delete(ids=stale)
        self._bump()

    def _stored_chunk_counts(self, article_ids: Sequence[str]) -> dict[str, int]:
        """How many chunks the stored version of each article has, read from its chunk 0.

        A lookup by id, not the catalog: the catalog is rebuilt from the whole collection after
        every write, so consulting it per batch would make a large ingest quadratic.
        """
        ids = [f"{aid}:0" for aid in article_ids]
        with self._chroma() as collection:
            got = collection.get(ids=ids, include=["metadatas"])
        return {str(meta["article_id"]): int(meta["n_chunks"]) for meta in got["metadatas"] if meta}

    def fingerprints(self) -> Iterator[tuple[str, str, str]]:
        """(article_id, source, fingerprint) of each stored article that has a MinHash signature.

        Signatures live in chunk 0's metadata; only those rows are read.
        """
        offset = 0
        while True:
            with self._chroma() as collection:
                got = collection.get(
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
        _, not_found = chroma_errors()

        out: list[StoredVersion] = []
        with self._connection.use() as client:  # no collection handle: it would create one
            try:
                collection = client.get_collection(self.settings.collection)
            except (not_found, ValueError):
                return []
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
        with self._chroma() as collection:
            got = collection.get(where={"article_id": article_id}, include=["metadatas"])
            if not got["ids"]:
                return []
            current = list(got["metadatas"][0].get("also_published_by") or [])
            merged = current + [o for o in dict.fromkeys(outlets) if o and o not in current]
            if merged != current:
                metas = [{**(m or {}), "also_published_by": merged} for m in got["metadatas"]]
                collection.update(ids=got["ids"], metadatas=metas)
        if merged != current:
            self._bump()
        return merged

    def _bump(self, *, dimension: int | None = None) -> None:
        """Move the generation stamp so every reader reloads its derived indexes."""
        with self._chroma() as collection:
            # Read afresh: metadata replaces the whole record, and on a server another writer
            # (a shard) may have added a key since this handle was fetched.
            meta = dict(self._client.get_collection(self.settings.collection).metadata or {})
            meta.update(
                generation=uuid.uuid4().hex,
                updated_at=datetime.now(UTC).isoformat(timespec="seconds"),
            )
            if dimension is not None:
                meta[DIMENSION_KEY] = int(dimension)
            # Noted first, so that no thread here takes the new stamp for another process's.
            self._connection.note(self.settings.collection, meta["generation"])
            collection.modify(metadata=meta)
        self._catalog = None

    # -- re-embedding --------------------------------------------------------------------

    def reindex(self, *, on_progress: Callable[[int], None] | None = None) -> int:
        """Re-embed every chunk with the configured model into a new collection, then swap it in.

        The new collection is built beside the old one and only takes its name once complete, so
        an interrupted reindex leaves the old store readable (`finish_interrupted_reindex` ends
        a swap cut short). Returns the number of chunks re-embedded; `on_progress` gets counts.
        """
        # One block of calls: no thread here replaces the client while collections are swapped.
        with self._write_lock(), self._connection.use() as client:
            old = self._open_collection(client, check=False)
            name = self.settings.collection
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
        self._query_embeddings = None  # the new vectors' precision may differ from the old's
        return done


def _half_written(collection, article_id: str) -> bool:
    """True if the article's stored chunks are not all of one complete version."""
    got = collection.get(where={"article_id": article_id}, include=["metadatas"])
    metas = [m for m in got["metadatas"] if m]
    return len(metas) != len(got["ids"]) or any(
        len(metas) != int(m["n_chunks"]) or m["content_hash"] != metas[0]["content_hash"]
        for m in metas
    )
