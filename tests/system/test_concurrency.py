"""Concurrency: a reader answering while a real ingest subprocess writes, and two ingests at once.

The reader here is what the page holds: one `Asker` over one `NewsIndex`, never restarted.
"""

from __future__ import annotations

import fcntl
import subprocess
import time
from pathlib import Path

from helpers.articles import question, town, write_articles
from helpers.commands import start_ingest

from ingest.pipeline import ingest_sources
from qa.answering.ask import Asker
from qa.config import Settings
from qa.store import LOCK_FILE, NewsIndex

N_FIRST, N_LATER = 5, 12
CHILD_BATCH_CHUNKS = 3  # the child writes every 3 chunks, so the reader meets several stamps
ASK_PAUSE_S = 0.05  # between questions: a page user types; the child gets the CPU too
CHILD_TIMEOUT_S = 120.0
WAIT_STEP_S = 0.02
LOCK_MESSAGE = "Another ingest is writing to"


def finish(proc: subprocess.Popen) -> tuple[int, str, str]:
    try:
        out, err = proc.communicate(timeout=CHILD_TIMEOUT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    return proc.returncode, out.decode(), err.decode()


def chunk_texts(index: NewsIndex) -> dict[str, str]:
    got = index.collection.get(include=["documents"])
    return dict(zip(got["ids"], got["documents"], strict=True))


def test_reader_answers_while_an_ingest_writes_and_sees_new_articles(
    tmp_path, embeddings, record_property
):
    store = tmp_path / "store"
    first = write_articles(tmp_path / "first", N_FIRST)
    later = write_articles(tmp_path / "later", N_LATER, start=N_FIRST)
    reader = NewsIndex(Settings(store_dir=store), embeddings=embeddings)
    ingest_sources([str(first)], settings=reader.settings, index=reader, progress=False)
    asker = Asker(reader)

    child = start_ingest(later, store, batch=CHILD_BATCH_CHUNKS)
    asked, errors = 0, []
    deadline = time.monotonic() + CHILD_TIMEOUT_S
    try:
        while child.poll() is None and time.monotonic() < deadline:
            i = asked % (N_FIRST + N_LATER)
            try:
                answer = asker.ask(question(i))
            except Exception as e:  # any error here is the failure being tested for
                errors.append(f"{question(i)}: {type(e).__name__}: {e}")
            else:
                assert all(
                    c.passage.article_id not in reader.catalog.broken for c in answer.citations
                )
                if i < N_FIRST:  # stored before the ingest began: always answerable
                    assert f"Quill{i}" in answer.text, answer.text
            asked += 1
            time.sleep(ASK_PAUSE_S)
    finally:
        code, _, err = finish(child)
    assert code == 0, err
    assert not errors, errors
    assert asked > 0
    record_property("questions_answered_during_ingest", asked)  # docs/reliability.md
    record_property("reader_errors", len(errors))
    # The same Asker, never restarted, now answers about the last article the child stored.
    last = N_FIRST + N_LATER - 1
    answer = asker.ask(question(last))
    assert not answer.abstained and f"Quill{last}" in answer.text
    assert reader.count_articles() == N_FIRST + N_LATER
    # Dense search sees the child's chunks too (Chroma's per-process cache was refreshed).
    hits = reader.dense_search(reader.embed_query(question(last)), k=3)
    assert hits and hits[0].title == f"New bridge opens in {town(last)}"


def lock_is_held(store: Path) -> bool:
    path = store / LOCK_FILE
    if not path.exists():
        return False
    with path.open("a+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(f, fcntl.LOCK_UN)
        return False


def test_two_ingests_at_once_serialise_on_the_lock(tmp_path, embeddings):
    store, clean_store = tmp_path / "store", tmp_path / "clean"
    a = write_articles(tmp_path / "a", 15)
    b = write_articles(tmp_path / "b", 15, start=15)
    first = start_ingest(a, store, batch=256)
    deadline = time.monotonic() + CHILD_TIMEOUT_S
    while not lock_is_held(store) and first.poll() is None and time.monotonic() < deadline:
        time.sleep(WAIT_STEP_S)
    assert first.poll() is None, "the first ingest ended before a second one could start"
    second = start_ingest(b, store, batch=256)
    (code_a, _, err_a), (code_b, out_b, err_b) = finish(first), finish(second)

    assert (code_a, code_b) == (0, 0), err_a + err_b
    assert LOCK_MESSAGE in err_b, err_b
    assert "store has 30 articles" in out_b
    clean = NewsIndex(Settings(store_dir=clean_store), embeddings=embeddings)
    ingest_sources([str(a), str(b)], settings=clean.settings, index=clean, progress=False)
    with NewsIndex(Settings(store_dir=store), embeddings=embeddings) as both:
        assert chunk_texts(both) == chunk_texts(clean)
        both.refresh()
        assert not both.catalog.broken
        assert both.lexical.size == len(both.catalog.rows) == both.collection.count()
