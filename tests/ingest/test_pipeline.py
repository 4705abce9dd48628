"""ingest.pipeline on real dumps in tmp_path: a resumed ingest and a preview (--dry-run)."""

from __future__ import annotations

import json
from pathlib import Path

from helpers.articles import filler, town

from ingest.pipeline import ingest_sources, preview_sources
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


def test_a_preview_counts_what_the_ingest_then_does(tmp_path, embeddings):
    settings = Settings(store_dir=tmp_path / "store")
    stored = write_jsonl(tmp_path / "stored.jsonl", 0, 4)
    with NewsIndex(settings, embeddings=embeddings) as index:
        ingest_sources([str(stored)], settings=settings, index=index, progress=False)
    dump = write_jsonl(tmp_path / "dump.jsonl", 2, 6)  # two stored, four new
    with dump.open("a", encoding="utf-8") as f:
        f.write('{"title": "cut off", \n')
        f.write(dump.read_text(encoding="utf-8").splitlines()[-1] + "\n")  # the last one twice
    sources = [str(dump)]
    preview = preview_sources(sources, settings=settings, progress=False, measure=False)
    with NewsIndex(settings, embeddings=embeddings) as index:
        done = ingest_sources(sources, settings=settings, index=index, progress=False)
    counts = ("added", "updated", "unchanged", "duplicates", "failed")
    assert preview.summary.to_dict().items() >= {k: done.to_dict()[k] for k in counts}.items()
    assert (done.added, done.unchanged, done.duplicates, len(done.failed)) == (4, 2, 1, 1)
    assert preview.chunks == done.chunks_written
    assert preview.embed_chunks_per_s is None  # not measured: no estimate is made up
