"""The store, and the only package that imports chromadb.

Chroma holds every chunk (text, embedding, metadata) and is the source of truth. Beside it the
index keeps a catalog of chunk metadata and a BM25 index, both derived from Chroma and rebuilt
whenever the collection's generation stamp moves (after any write, by any process).
`NewsIndex` (`qa.store.index`) is built in layers: `connection` (Chroma clients), `opening`,
`derived`, `writing`.
"""

from qa.store.derived import PAGE_SIZE
from qa.store.index import Hit, NewsIndex
from qa.store.opening import DIMENSION_KEY, SCHEMA_VERSION
from qa.store.writing import CHROMA_FILE, LOCK_FILE, WRITE_BATCH

__all__ = [
    "CHROMA_FILE",
    "DIMENSION_KEY",
    "LOCK_FILE",
    "PAGE_SIZE",
    "SCHEMA_VERSION",
    "WRITE_BATCH",
    "Hit",
    "NewsIndex",
]
