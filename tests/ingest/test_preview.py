"""ingest.preview (--dry-run) on real dumps in tmp_path: what it counts, what it estimates."""

from __future__ import annotations

import pytest
from test_pipeline import write_jsonl

from ingest.pipeline import ingest_sources
from ingest.preview import format_duration, preview_sources
from ingest.throughput import planned_engine_key, record_throughput
from qa.config import Settings
from qa.store import NewsIndex


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


def test_a_preview_estimates_from_the_rate_this_engine_recorded(tmp_path):
    settings = Settings(store_dir=tmp_path / "store")
    dump = write_jsonl(tmp_path / "dump.jsonl", 0, 3)
    record_throughput(planned_engine_key(settings), 2.0)
    preview = preview_sources([str(dump)], settings=settings, progress=False)
    assert preview.embed_chunks_per_s == 2.0 and preview.sample_chunks == 0
    assert preview.embed_seconds == preview.chunks / 2.0
    assert "as the last ingest on this machine ran" in preview.lines()[-1]


def test_with_no_rate_recorded_a_preview_times_the_ingest_engine(tmp_path):
    settings = Settings(store_dir=tmp_path / "store")
    dump = write_jsonl(tmp_path / "dump.jsonl", 0, 2)
    preview = preview_sources([str(dump)], settings=settings, progress=False)
    assert preview.sample_chunks == preview.chunks > 0
    assert preview.embed_chunks_per_s > 0
    assert f"measured here on {preview.chunks} of them" in preview.lines()[-1]


@pytest.mark.parametrize(
    ("seconds", "shown"), [(45, "45 s"), (720, "12 min"), (12_000, "3 h 20 min")]
)
def test_durations_read_as_a_person_says_them(seconds, shown):
    assert format_duration(seconds) == shown
