"""Store maintenance: the helpers of `NewsIndex.reindex` (copying re-embedded chunks, finishing
a swap cut short) and the read-only preview of stored versions. Clients and collections are
passed in by the store's other modules; this one imports no chromadb.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from qa.encoders.embeddings import embed_by_sentence
from qa.store.catalog import row_from_metadata
from qa.store.chunk_metadata import chunk_head, reindexed_metadata

REINDEX_SUFFIX = ".reindex"  # the collection a reindex builds before it takes the store's name
RETIRED_SUFFIX = ".retired"  # the old collection, between the swap and its deletion


@dataclass(frozen=True)
class StoredVersion:
    """What an ingest compares a new article with: the stored version's identity and content."""

    article_id: str
    content_hash: str
    source: str
    fingerprint: str


def copy_embedded(
    old, new, model, on_progress: Callable[[int], None] | None, *, page_size: int
) -> int:
    """Re-embed every chunk of collection `old` with `model` into `new`, `page_size` at a time."""
    done, offset = 0, 0
    while got := old.get(limit=page_size, offset=offset, include=["documents", "metadatas"]):
        if not got["ids"]:
            return done
        heads = [
            chunk_head(row_from_metadata(cid, m or {}))
            for cid, m in zip(got["ids"], got["metadatas"], strict=True)
        ]
        vectors, sentence_vectors, head_vectors = embed_by_sentence(
            model, [d or "" for d in got["documents"]], heads
        )
        metadatas = [
            reindexed_metadata(m or {}, doc or "", sv, hv)
            for m, doc, sv, hv in zip(
                got["metadatas"], got["documents"], sentence_vectors, head_vectors, strict=True
            )
        ]
        new.add(
            ids=got["ids"],
            embeddings=vectors,
            documents=got["documents"],
            metadatas=metadatas,
        )
        done += len(got["ids"])
        offset += len(got["ids"])
        if on_progress:
            on_progress(done)
    return done


def finish_interrupted_reindex(client, name: str) -> None:
    """Complete a reindex that was killed mid-swap, so the store never opens empty.

    Chroma cannot rename atomically: the swap renames the old collection away, then the new one
    to `name`, then deletes the old. A kill between the renames leaves no collection called
    `name`, and opening would silently create an empty store.
    """
    names = {c.name for c in client.list_collections()}
    if name not in names:
        for leftover in (name + REINDEX_SUFFIX, name + RETIRED_SUFFIX):
            if leftover in names:
                client.get_collection(leftover).modify(name=name)
                names = {name} | names - {leftover}
                break
    if name in names and name + RETIRED_SUFFIX in names:
        client.delete_collection(name + RETIRED_SUFFIX)


def delete_if_present(client, name: str) -> None:
    if name in {c.name for c in client.list_collections()}:
        client.delete_collection(name)


def version_from_metadata(meta: dict) -> StoredVersion:
    return StoredVersion(
        str(meta["article_id"]),
        str(meta["content_hash"]),
        str(meta["source"]),
        str(meta.get("fingerprint", "")),
    )


# Chroma 1.x's SQLite layout, read because any Chroma client writes to a local store when it
# opens it and a preview must change nothing: a collection's metadata segment holds one
# `embeddings` row per chunk, and its metadata as key/value rows in `embedding_metadata`.
# tests/test_store_maintenance.py fails if the installed Chroma lays its file out otherwise.
_SEGMENT_ROWS_SQL = """
SELECT e.id FROM collections c
JOIN segments s ON s.collection = c.id AND s.scope = 'METADATA'
JOIN embeddings e ON e.segment_id = s.id
WHERE c.name = :collection
"""
_FIRST_CHUNKS_SQL = f"""
SELECT m.id, m.key, m.string_value, m.int_value FROM embedding_metadata m
WHERE m.id IN ({_SEGMENT_ROWS_SQL})
AND m.id IN (SELECT id FROM embedding_metadata WHERE key = 'n' AND int_value = 0)
AND m.key IN ('article_id', 'content_hash', 'source', 'fingerprint', 'n_chunks')
"""
_CHUNK_COUNTS_SQL = f"""
SELECT a.string_value, h.string_value, COUNT(*) FROM embedding_metadata a
JOIN embedding_metadata h ON h.id = a.id AND h.key = 'content_hash'
WHERE a.key = 'article_id' AND a.id IN ({_SEGMENT_ROWS_SQL})
GROUP BY a.string_value, h.string_value
"""


def read_stored_versions(path: Path, collection: str) -> list[StoredVersion]:
    """Stored versions of the complete articles (every chunk of one version present), read
    from a local Chroma file opened read-only. A killed ingest's half-written articles are
    left out, as `NewsIndex.repair` deletes them before any ingest."""
    first: dict[int, dict] = defaultdict(dict)
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)) as db:
        params = {"collection": collection}
        for row_id, key, text, number in db.execute(_FIRST_CHUNKS_SQL, params):
            first[row_id][key] = number if key == "n_chunks" else text
        counts = {(a, h): n for a, h, n in db.execute(_CHUNK_COUNTS_SQL, params)}
    return [
        version_from_metadata(meta)
        for meta in first.values()
        if "article_id" in meta
        and counts.get((meta["article_id"], meta.get("content_hash"))) == meta.get("n_chunks")
    ]
