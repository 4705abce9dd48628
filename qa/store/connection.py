"""The store's Chroma clients: one shared client per local store path in a process, replaced
(through chromadb's public `close()`) when another process has written."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from qa.config import Settings
from qa.errors import StoreError
from qa.store.folder import open_failure


class Connection:
    """One Chroma client and the calls in flight on it, so that it can be replaced between calls.

    Chroma's local Rust backend keeps one system per store path per process, with its HNSW
    segments in memory, and never reloads them: another process's writes stay invisible to dense
    search until the client is closed (the system stops once its last client closes) and a new
    one opened. Every Chroma call runs inside `use()`; `catch_up` waits until none is in flight,
    closes the client, and the next `use()` opens a fresh one (about 0.05 s for 1,500 chunks).
    """

    def __init__(self, open_client: Callable[[], object]) -> None:
        self._open_client = open_client
        self._client: Any = None  # a chromadb client, opened on first use
        self.generation = 0  # moves each time the client is replaced: handles on it are stale
        self._in_flight = 0
        self._replacing = 0  # replacements waiting for the calls in flight
        self._changed = threading.Condition()
        self._current: dict[str, str] = {}  # collection -> the stamp this client has seen
        self._depth = threading.local()

    @property
    def client(self):
        return self._client

    @contextmanager
    def use(self) -> Iterator:
        """The client, kept open for the calls made inside (and `generation` unchanged)."""
        depth = getattr(self._depth, "n", 0)
        with self._changed:
            # A replacement waiting goes first, or a steady flow of calls would starve it.
            self._changed.wait_for(lambda: not self._replacing or depth > 0)
            if self._client is None:
                self._client = self._open_client()
            self._in_flight += 1
            client = self._client
        self._depth.n = depth + 1
        try:
            yield client
        finally:
            self._depth.n = depth
            with self._changed:
                self._in_flight -= 1
                self._changed.notify_all()

    def note(self, collection: str, stamp: str) -> None:
        """Record a stamp this process writes: its own client sees its own writes."""
        with self._changed:
            self._current[collection] = stamp

    def catch_up(self, collection: str, stamp: str) -> bool:
        """Replace the client if another process moved `collection` to `stamp`. True if replaced."""
        if getattr(self._depth, "n", 0):  # it would wait for its own call: a deadlock
            raise RuntimeError("a Chroma client cannot be replaced from inside one of its calls")
        with self._changed:
            if self._current.setdefault(collection, stamp) == stamp:
                return False
            self._replacing += 1
            try:
                self._changed.wait_for(lambda: self._in_flight == 0)
            finally:
                self._replacing -= 1
                self._changed.notify_all()
            if self._current.get(collection) == stamp:  # another thread replaced it meanwhile
                return False
            if self._client is not None:
                self._client.close()  # public API: the last client of a path stops its system
                self._client = None
            self.generation += 1
            self._current = {collection: stamp}
            return True


_local_connections: dict[str, Connection] = {}  # one per store path: see Connection
_connections_lock = threading.Lock()


def connect(settings: Settings) -> Connection:
    """The connection to the store: shared by every index on one local path; its own for a server.

    A second client on a local path would keep Chroma's system alive when the first is closed.
    """
    if settings.uses_server:
        return Connection(lambda: _server_client(settings))
    with _connections_lock:
        key = str(settings.store_dir)
        if key not in _local_connections:
            _local_connections[key] = Connection(lambda: _local_client(settings))
        return _local_connections[key]


def chroma_errors() -> tuple[type[Exception], type[Exception]]:
    """chromadb's (ChromaError, NotFoundError), imported here like the clients: this module is
    the store's one importer of chromadb."""
    from chromadb.errors import ChromaError, NotFoundError

    return ChromaError, NotFoundError


def _chroma_settings():
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False)


def _local_client(settings: Settings):
    import chromadb

    try:
        return chromadb.PersistentClient(path=str(settings.store_dir), settings=_chroma_settings())
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as e:  # chromadb raises several unrelated types (a Rust panic too)
        raise StoreError(open_failure(settings.store_label, e)) from e


def _server_client(settings: Settings):
    import chromadb

    s = settings
    headers = {"Authorization": f"Bearer {s.chroma_auth_token}"} if s.chroma_auth_token else None
    try:
        return chromadb.HttpClient(
            host=s.chroma_host,  # type: ignore[arg-type]
            port=s.chroma_port,
            headers=headers,
            settings=_chroma_settings(),
        )
    except Exception as e:
        raise StoreError(
            f"Cannot reach the Chroma server at {s.chroma_host}:{s.chroma_port} ({e}): "
            "start it (`chroma run --path DIR --port PORT`) or unset CHROMA_HOST."
        ) from e
