"""The store's Chroma connection: one client per local store path in a process, replaced when
another process writes, without breaking a call in flight or an index holding an old handle."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest
from helpers.articles import question, town, write_articles
from helpers.commands import child_env

from ingest.pipeline import ingest_sources
from qa.config import Settings
from qa.store import CHROMA_FILE, NewsIndex
from qa.store.connection import Connection, connect
from qa.store.derived import SETTLED_SECONDS

CHILD_TIMEOUT_S = 120.0
# The other process embeds as ingest does, with MiniLM on ONNX Runtime in the store's precision
# (fp32 here: the store was written with torch): no torch to import, so it starts fast.
CHILD = """
import sys
from pathlib import Path
from ingest.pipeline import ingest_sources
from qa.config import Settings
from qa.store import NewsIndex
index = NewsIndex(Settings(store_dir=Path(sys.argv[2])))
ingest_sources([sys.argv[1]], settings=index.settings, index=index, progress=False)
"""


def ingest_in_another_process(folder, store) -> None:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(folder), str(store)],
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT_S,
    )
    assert done.returncode == 0, done.stderr[-2000:]


def finds(index: NewsIndex, i: int) -> bool:
    """Whether dense search (on the catalog's vectors), Chroma's own HNSW query and BM25 all put
    article `i` first."""
    vector = index.embed_query(question(i))
    dense = index.dense_search(vector, k=1)
    lexical = index.lexical_search(question(i), k=1)
    chroma = index.raw_query(vector, k=1)["metadatas"][0]
    titles = [p.title for p in dense + lexical] + [m["title"] for m in chroma]
    return titles == [f"New bridge opens in {town(i)}"] * 3


@pytest.fixture
def store(tmp_path, embeddings):
    """A store of three articles, written by this process."""
    index = NewsIndex(Settings(store_dir=tmp_path / "store"), embeddings=embeddings)
    first = write_articles(tmp_path / "first", 3)
    ingest_sources([str(first)], settings=index.settings, index=index, progress=False)
    return index.settings.store_dir


def test_a_long_lived_index_sees_what_another_process_ingested(tmp_path, store, embeddings):
    reader = NewsIndex(Settings(store_dir=store), embeddings=embeddings, create=False)
    assert finds(reader, 0)  # Chroma's index is now loaded in this process
    ingest_in_another_process(write_articles(tmp_path / "later", 1, start=3), store)
    assert reader.refresh() is True
    assert finds(reader, 3)
    assert reader.count_articles() == 4


def test_two_indexes_on_one_path_both_see_what_another_process_ingested(
    tmp_path, store, embeddings
):
    first, second = (NewsIndex(Settings(store_dir=store), embeddings=embeddings) for _ in "12")
    assert finds(first, 0) and finds(second, 0)
    ingest_in_another_process(write_articles(tmp_path / "later", 1, start=3), store)
    assert first.refresh() is True  # replaces the client both indexes share
    assert second.raw_query(second.embed_query(question(0)), k=1)["ids"][0]  # old handle re-fetched
    assert second.refresh() is True
    assert finds(first, 3) and finds(second, 3)


def test_a_settled_store_s_stamp_is_reused_until_another_process_writes(
    tmp_path, store, embeddings, monkeypatch
):
    reader = NewsIndex(Settings(store_dir=store), embeddings=embeddings, create=False)
    assert finds(reader, 0)
    db = store / CHROMA_FILE
    settled = time.time() - 10 * SETTLED_SECONDS
    os.utime(db, (settled, settled))  # as if last written well before this read
    stamp = reader.stamp
    with monkeypatch.context() as m:  # a stat answers now: Chroma is not asked
        m.setattr(reader, "_chroma", lambda: pytest.fail("the stamp was read from Chroma"))
        assert reader.stamp == stamp and reader.refresh() is False
    ingest_in_another_process(write_articles(tmp_path / "later", 1, start=3), store)
    assert reader.stamp != stamp  # the file changed: read from Chroma again
    assert reader.refresh() is True and finds(reader, 3)


def test_a_stamp_read_just_after_a_write_is_not_reused(store, embeddings):
    reader = NewsIndex(Settings(store_dir=store), embeddings=embeddings, create=False)
    os.utime(store / CHROMA_FILE)  # written now: a write in the same clock tick would not show
    assert reader.stamp  # read from Chroma
    assert reader._stamp_read is None


def test_one_connection_per_local_path_and_one_per_server_index(tmp_path):
    local = Settings(store_dir=tmp_path / "store")
    assert connect(local) is connect(Settings(store_dir=tmp_path / "store"))
    assert connect(local) is not connect(Settings(store_dir=tmp_path / "other"))
    server = Settings(chroma_host="127.0.0.1", chroma_port=1)
    assert connect(server) is not connect(server)


class Client:
    """A stand-in Chroma client: it only records being closed."""

    def __init__(self) -> None:
        self.closed = False

    def close(self) -> None:
        self.closed = True


def test_the_client_is_replaced_only_when_no_call_is_in_flight():
    connection = Connection(Client)
    connection.note("news", "ours")
    inside, leave = threading.Event(), threading.Event()

    def call() -> None:
        with connection.use():
            inside.set()
            leave.wait(10)

    caller = threading.Thread(target=call)
    caller.start()
    inside.wait(10)
    old = connection.client
    replacing = threading.Thread(target=connection.catch_up, args=("news", "theirs"))
    replacing.start()
    replacing.join(0.2)
    assert replacing.is_alive() and not old.closed  # it waits for the call in flight
    leave.set()
    caller.join(10)
    replacing.join(10)
    assert old.closed and connection.generation == 1
    with connection.use() as client:
        assert client is not old and not client.closed
    assert connection.catch_up("news", "theirs") is False  # already current


def test_a_client_cannot_be_replaced_from_inside_one_of_its_calls():
    connection = Connection(Client)
    connection.note("news", "ours")
    with connection.use(), pytest.raises(RuntimeError, match="inside one of its calls"):
        connection.catch_up("news", "theirs")


def test_searches_in_threads_survive_the_client_being_replaced(store, embeddings):
    index = NewsIndex(Settings(store_dir=store), embeddings=embeddings)
    vector = index.embed_query(question(1))
    errors: list[Exception] = []
    stop = threading.Event()

    def search() -> None:
        while not stop.is_set():
            try:
                hits = index.dense_hits(vector, k=1)
                assert index.passages(hits)[0].title == f"New bridge opens in {town(1)}"
                assert index.raw_query(vector, k=1)["ids"][0] == [hits[0].chunk_id]
            except Exception as e:  # any error here is the failure being tested for
                errors.append(e)
                return

    threads = [threading.Thread(target=search) for _ in range(3)]
    for t in threads:
        t.start()
    connection = connect(index.settings)
    try:
        for n in range(20):  # as if another process wrote 20 times
            assert connection.catch_up(index.settings.collection, f"elsewhere {n}")
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    assert not errors, errors
