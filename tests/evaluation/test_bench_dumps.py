"""evaluation.bench.dumps's dumps and report, without the hours of measuring (make bench-dumps)."""

from __future__ import annotations

import json

from helpers.paths import EVAL_ARTICLES

from evaluation.bench.dumps import make_dump, targets, write_report
from evaluation.bench.report import DUMPS_HEADING
from ingest.dedupe import THRESHOLD, fingerprint, to_minhash


def test_a_dump_repeats_the_articles_as_distinct_ones(tmp_path):
    size = EVAL_ARTICLES.stat().st_size
    dump = make_dump(EVAL_ARTICLES, 2.5 * size / 1024 / 1024, tmp_path / "dump.jsonl")
    items = [json.loads(line) for line in dump.read_text(encoding="utf-8").splitlines()]
    originals = len(EVAL_ARTICLES.read_text(encoding="utf-8").splitlines())
    assert len(items) > 2 * originals and dump.stat().st_size >= 2.5 * size
    assert len({i["url"] for i in items}) == len(items)  # new ids: no article twice
    first, copy = items[0], items[originals]
    assert copy["title"] == first["title"]
    # Not a syndicated copy either: the copy finder would merge it and grow no further.
    similarity = to_minhash(fingerprint(first["text"])).jaccard(
        to_minhash(fingerprint(copy["text"]))
    )
    assert similarity < THRESHOLD


def test_the_report_replaces_only_its_own_section(tmp_path):
    report = tmp_path / "benchmarks.md"
    report.write_text("# Benchmarks\n\n## Query latency\n\nkept\n", encoding="utf-8")
    result = {
        "machine": {"cpu": "cpu", "cores": 2, "load_average_before": 1.0},
        "resume": {
            "articles": 10,
            "stored_when_killed": 6,
            "first_run_s": 9.0,
            "rerun_added": 4,
            "rerun_unchanged": 6,
            "rerun_failed": 0,
            "rerun_s": 5.0,
            "articles_total": 10,
        },
    }
    write_report(report, result, ["--only", "resume"])
    write_report(report, result, ["--only", "resume"])
    text = report.read_text(encoding="utf-8")
    assert text.startswith("# Benchmarks\n\n## Query latency\n\nkept\n")
    assert text.count(DUMPS_HEADING) == 1
    assert "| 4 embedded, 6 skipped as stored, 0 as duplicates, of 10" in text
    assert "| met |" in text


def test_a_duplicate_line_is_not_a_missed_resume():
    """Regression: a dump line repeating an earlier article is skipped by the re-run too, which
    the resume target counted as an article the re-run failed to embed."""
    resume = {
        "articles": 114,
        "stored_when_killed": 57,
        "first_run_s": 191.8,
        "rerun_added": 56,
        "rerun_unchanged": 57,
        "rerun_duplicates": 1,
        "rerun_failed": 0,
        "rerun_s": 415.7,
        "articles_total": 113,
    }
    (row,) = targets({"resume": resume})
    assert row.endswith("| met |")
