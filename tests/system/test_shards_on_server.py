"""`python -m ingest --shard I/N` against a real `chroma run`: two shards of one dump written at
once end with the store one ingest writes, and a shard killed mid-run, run again, embeds only
what is missing. The dump (helpers.sharded) puts syndicated copies and their kept articles in
different shards. Every ingest is a real subprocess; the reference store is another collection
on the same server, written by one unsharded ingest.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from helpers.chroma import running_chroma
from helpers.commands import INGEST_CHILD, child_env
from helpers.sharded import SHARDS, write_sharded_dump

from ingest.pipeline import BATCH_CHUNKS
from qa.config import Settings
from qa.store import NewsIndex

pytestmark = pytest.mark.server

CHILD_TIMEOUT_S = 300.0  # one ingest of the dump needs ~10 s (imports, model) on an idle machine
POLL_S = 0.01
# Vectors of one chunk embedded in other batches differ by the int8 model's batch-wide
# activation scale (measured: cosine 0.990 at worst, one text alone against five together).
MIN_COSINE = 0.98
QUERY = "tidal power plant seal colony turbines"


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory) -> Iterator[tuple[str, int]]:
    with running_chroma(tmp_path_factory.mktemp("chroma-server")) as address:
        yield address


@pytest.fixture(scope="module")
def dump(tmp_path_factory) -> Path:
    return write_sharded_dump(tmp_path_factory.mktemp("dump") / "dump.jsonl")


def server_env(address: tuple[str, int], collection: str, cache: Path) -> dict[str, str]:
    """A child's environment: the server, a collection, and a cache folder (one per machine)."""
    host, port = address
    return child_env(
        CHROMA_HOST=host,
        CHROMA_PORT=str(port),
        NEWSQA_COLLECTION=collection,
        XDG_CACHE_HOME=str(cache),
    )


def start(dump: Path, env: dict[str, str], *options: str, batch: int = BATCH_CHUNKS):
    """`python -m ingest DUMP --json OPTIONS` as a child writing every `batch` chunks."""
    return subprocess.Popen(
        [sys.executable, "-c", INGEST_CHILD.format(batch=batch), str(dump), "--json", *options],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(proc: subprocess.Popen) -> tuple[dict, str]:
    """The child's summary and stderr, once it exits with 1: the dump's one failing item."""
    try:
        out, err = proc.communicate(timeout=CHILD_TIMEOUT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=10)
    assert proc.returncode == 1, err[-2000:]
    assert out.strip(), err[-4000:]
    summary = json.loads(out)
    assert len(summary["failed"]) == 1 and "has no text" in summary["failed"][0]["error"]
    return summary, err


@pytest.fixture(scope="module")
def one_ingest(chroma_server, dump, tmp_path_factory) -> tuple[dict, Settings]:
    """The reference: the dump ingested by one unsharded process, and its store's settings."""
    env = server_env(chroma_server, "one", tmp_path_factory.mktemp("cache"))
    summary, _ = finish(start(dump, env))
    assert (summary["added"], summary["duplicates"], summary["shard"]) == (19, 5, None)
    return summary, Settings.from_env(env)


def contents(settings: Settings) -> dict:
    """What a fresh reader finds: each chunk's catalog row and text, each article's outlets of
    copies, BM25's best chunks for QUERY, and the chunk vectors (by chunk id)."""
    with NewsIndex(settings) as index:
        catalog = index.catalog
        assert not catalog.broken and index.lexical.size == len(catalog.rows)
        assert catalog.vectors is not None
        rows, texts = index.chunk_texts()
        return {
            "rows": sorted((r.id, r.__dict__, t) for r, t in zip(rows, texts, strict=True)),
            "counts": (index.count_articles(), index.count_chunks()),
            "publishers": {a: r.also_published_by for a, r in catalog.articles().items()},
            "bm25": [
                (p.chunk_id, round(p.lexical or 0, 4)) for p in index.lexical_search(QUERY, k=5)
            ],
            "vectors": {r.id: catalog.vectors[i] for i, r in enumerate(catalog.rows)},
        }


def assert_same_store(split: Settings, one: Settings) -> None:
    got, want = contents(split), contents(one)
    vectors, want_vectors = got.pop("vectors"), want.pop("vectors")
    assert got == want
    assert vectors.keys() == want_vectors.keys()
    cosines = [float(np.dot(vectors[c], want_vectors[c])) for c in vectors]
    assert min(cosines) >= MIN_COSINE


def test_two_shards_at_once_store_what_one_ingest_stores(chroma_server, dump, one_ingest, tmp_path):
    """Both shards on one machine (one cache folder): each holds its own lock, so neither waits."""
    whole, one = one_ingest
    env = server_env(chroma_server, "split", tmp_path / "cache")
    procs = [start(dump, env, "--shard", f"{i}/{SHARDS}") for i in range(1, SHARDS + 1)]
    parts, errors = zip(*(finish(p) for p in procs), strict=True)

    assert [p["shard"] for p in parts] == ["1/2", "2/2"]
    assert not [e for e in errors if "waiting" in e]  # they ran at once
    for name in ("added", "updated", "unchanged", "duplicates"):
        assert sum(p[name] for p in parts) == whole[name], name
    assert all(p["added"] and p["duplicates"] for p in parts)  # copies fell in both shards
    assert max(p["articles_total"] for p in parts) == whole["articles_total"]  # the last to end
    assert_same_store(Settings.from_env(env), one)


def kill_when_stored(proc: subprocess.Popen, index: NewsIndex, chunks: int) -> None:
    """SIGKILL `proc` once Chroma holds at least `chunks` chunks."""
    deadline = time.monotonic() + CHILD_TIMEOUT_S
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if index.collection.count() >= chunks:
                proc.send_signal(signal.SIGKILL)
                proc.wait(timeout=10)
                return
            time.sleep(POLL_S)
        pytest.fail(f"the shard ended before the store held {chunks} chunks: {proc.returncode}")
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=10)


def test_a_shard_killed_and_run_again_embeds_only_what_is_missing(
    chroma_server, dump, one_ingest, tmp_path
):
    """Each shard on its own machine (its own cache folder); shard 1 is killed after its first
    writes, one article a write, then run again, and again; then shard 2 runs."""
    _, one = one_ingest
    machines = [server_env(chroma_server, "crash", tmp_path / f"cache{i}") for i in (1, 2)]
    settings = Settings.from_env(machines[0])
    killed = start(dump, machines[0], "--shard", "1/2", batch=1)
    kill_when_stored(killed, NewsIndex(settings), chunks=1)
    assert killed.returncode == -signal.SIGKILL
    with NewsIndex(settings) as index:
        kept = index.count_articles()

    rerun, _ = finish(start(dump, machines[0], "--shard", "1/2"))
    again, _ = finish(start(dump, machines[0], "--shard", "1/2"))
    owned = again["unchanged"]
    assert 0 < kept < owned  # killed part-way: some written, some not
    assert (rerun["added"], rerun["unchanged"]) == (owned - kept, kept)  # embeds only the rest
    assert (again["added"], again["updated"], again["duplicates"]) == (0, 0, rerun["duplicates"])

    finish(start(dump, machines[1], "--shard", "2/2"))
    assert_same_store(settings, one)
