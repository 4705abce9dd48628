"""Crash safety: a real `python -m ingest` subprocess SIGKILLed mid-batch, then re-run.

The store it leaves must, after one more ingest, equal a clean ingest of the same folder: same
articles and chunks, no duplicates, the lexical index agreeing with Chroma, nothing
half-written searchable. The child writes in small batches (BATCH_CHUNKS patched in the
child only) so that a 40-article ingest makes many separate writes to be killed between.
"""

from __future__ import annotations

import signal
import subprocess
import time

import pytest
from helpers.articles import question, write_articles
from helpers.commands import start_ingest

from ingest.pipeline import ingest_sources
from qa.answering.ask import Asker
from qa.config import Settings
from qa.store import NewsIndex

N_ARTICLES = 40
CHILD_BATCH_CHUNKS = 4  # chunks per write in the child: 10 writes for 40 one-chunk articles
# Kill once the store holds this many chunks: after the first write, mid-way, near the end.
KILL_AT_CHUNKS = (1, N_ARTICLES // 2, N_ARTICLES - 6)
POLL_S = 0.01
CHILD_TIMEOUT_S = 120.0  # bounded waits: the child needs ~10 s (imports and model load)


def kill_when_store_has(proc: subprocess.Popen, index: NewsIndex, chunks: int) -> int:
    """SIGKILL `proc` as soon as Chroma holds at least `chunks` chunks; returns the count seen."""
    deadline = time.monotonic() + CHILD_TIMEOUT_S
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            count = index.collection.count()
            if count >= chunks:
                proc.send_signal(signal.SIGKILL)
                proc.wait(timeout=10)
                return count
            time.sleep(POLL_S)
        pytest.fail(f"the ingest ended before the store held {chunks} chunks: {proc.returncode}")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        proc.stdout.close()  # never read; left open, each killed child's pipes leak
        proc.stderr.close()


def snapshot(index: NewsIndex) -> dict[str, list[tuple[str, str]]]:
    """Every complete article's chunks as (chunk id, text), from Chroma itself."""
    index.refresh()
    got = index.collection.get(include=["documents", "metadatas"])
    by_article: dict[str, list[tuple[str, str]]] = {}
    for cid, doc, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True):
        by_article.setdefault(meta["article_id"], []).append((cid, doc))
    return {aid: sorted(chunks) for aid, chunks in by_article.items()}


def assert_consistent(index: NewsIndex) -> None:
    """The derived indexes agree with Chroma, and nothing is half-written or duplicated."""
    index.refresh()
    catalog = index.catalog
    assert len(catalog.rows) == index.collection.count()
    assert index.lexical.size == len(catalog.rows)
    assert not catalog.broken
    ids = [r.id for r in catalog.rows]
    assert len(ids) == len(set(ids))
    per_article = {r.article_id: r.n_chunks for r in catalog.rows}
    assert sum(per_article.values()) == len(ids)


def test_ingest_killed_three_times_then_rerun_equals_a_clean_ingest(
    tmp_path, embeddings, record_property
):
    folder = write_articles(tmp_path / "articles", N_ARTICLES)
    clean_store, crashed_store = tmp_path / "clean", tmp_path / "crashed"
    clean = NewsIndex(Settings(store_dir=clean_store), embeddings=embeddings)
    ingest_sources([str(folder)], settings=clean.settings, index=clean, progress=False)
    crashed = NewsIndex(Settings(store_dir=crashed_store), embeddings=embeddings)
    crashed.collection  # noqa: B018 - create the store first, so the child and we share it

    kills = []
    for threshold in KILL_AT_CHUNKS:
        kills.append(
            kill_when_store_has(
                start_ingest(folder, crashed_store, "--quiet", batch=CHILD_BATCH_CHUNKS),
                crashed,
                threshold,
            )
        )
        # What a reader sees right after the kill: consistent, and only whole articles.
        assert_consistent(crashed)
        hits = crashed.lexical_search("bridge mayor", k=100)
        assert all(p.article_id not in crashed.catalog.broken for p in hits)
    assert len(kills) == 3 and kills == sorted(kills)
    record_property("kills", len(kills))  # figures for docs/reliability.md (--junitxml)
    record_property("chunks_stored_at_each_kill", kills)

    # The re-run, in this process (a fourth child would only repeat the model load).
    summary = ingest_sources([str(folder)], settings=crashed.settings, index=crashed)
    assert not summary.failed and summary.articles_total == N_ARTICLES
    assert summary.added + summary.unchanged == N_ARTICLES
    assert snapshot(crashed) == snapshot(clean)
    record_property("articles_compared_with_clean_ingest", len(snapshot(clean)))
    assert_consistent(crashed)
    answer = Asker(crashed).ask(question(N_ARTICLES - 1))
    assert not answer.abstained
    assert f"Quill{N_ARTICLES - 1}" in answer.text
