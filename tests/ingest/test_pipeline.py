"""ingest.pipeline on real dumps in tmp_path: a resumed ingest."""

from __future__ import annotations

import json
from pathlib import Path

from helpers.articles import filler, town

from ingest.pipeline import ingest_sources
from qa.config import Settings
from qa.store import NewsIndex

DUMP_ARTICLES = 12


def write_jsonl(path: Path, start: int, count: int) -> Path:
    """`count` distinct articles (one or two chunks each), one JSON object a line."""
    with path.open("w", encoding="utf-8") as f:
        for i in range(start, start + count):
            name = town(i)
            text = f"The harbour of {name} reopened on Monday. {filler(i, sentences=12)}"
            item = {
                "title": f"Harbour reopens in {name}",
                "text": text,
                "url": f"https://ex.com/{i}",
            }
            f.write(json.dumps(item) + "\n")
    return path


def test_a_dump_ingested_again_after_an_interruption_embeds_only_the_rest(tmp_path, embeddings):
    half = write_jsonl(tmp_path / "first-half.jsonl", 0, DUMP_ARTICLES // 2)
    whole = write_jsonl(tmp_path / "dump.jsonl", 0, DUMP_ARTICLES)
    settings = Settings(store_dir=tmp_path / "store")
    with NewsIndex(settings, embeddings=embeddings) as index:
        # What an ingest killed half way leaves: the first half stored (test_crash.py kills real
        # ingests mid-batch; the half-written article a kill leaves is repaired, then re-added).
        first = ingest_sources([str(half)], settings=settings, index=index, progress=False)
        again = ingest_sources([str(whole)], settings=settings, index=index, progress=False)
        chunks_total = index.count_chunks()
    assert (first.added, first.failed) == (DUMP_ARTICLES // 2, [])
    assert (again.added, again.unchanged, again.failed) == (
        DUMP_ARTICLES // 2,
        DUMP_ARTICLES // 2,
        [],
    )
    assert again.chunks_written == chunks_total - first.chunks_written  # the rest, only
