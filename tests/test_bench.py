"""`python -m qa.bench` smoke test at a tiny size: structure and positivity, no timing limits."""

from __future__ import annotations

import json
from pathlib import Path

from qa.bench import cycled_items, main

ARTICLES = Path(__file__).parent / "fixtures" / "eval_articles.jsonl"


def test_bench_runs_at_a_tiny_size(tmp_path, capsys, embeddings):
    report = tmp_path / "benchmarks.md"
    argv = [
        "--data",
        str(ARTICLES),
        "--quick",
        "--sizes",
        "40",
        "--ingest-chunks",
        "50",
        "--questions",
        "3",
    ]
    argv += ["--workdir", str(tmp_path), "--report", str(report), "--json"]
    assert main(argv) == 0
    result = json.loads(capsys.readouterr().out)

    ingest = result["ingest"]
    assert ingest["chunks"] > 0
    for key in ("chunks_per_s", "raw_chunks_per_s", "ratio"):
        assert ingest[key] > 0
    [query] = result["query"]
    assert query["chunks"] == 40
    for key in ("p50_ms", "p95_ms", "raw_p50_ms", "ratio", "rss_mb"):
        assert query[key] > 0
    assert query["p50_ms"] <= query["p95_ms"]
    assert result["cold_start_s"] > 0
    assert "| 40 |" in report.read_text()
    assert report.with_suffix(".png").stat().st_size > 0


def test_cycled_items_make_exactly_the_size_with_unit_vectors():
    import numpy as np

    from qa.models import Article, Chunk

    a = Article(title="T", text="one. two. three.", url="https://x.example/a")
    chunks = [Chunk(article_id=a.id, n=i, text=f"c{i}", start=0, end=1) for i in range(3)]
    vectors = np.eye(3, 4, dtype=np.float32)
    items, v = cycled_items([(a, chunks)], vectors, 7)
    assert sum(len(cs) for _, cs in items) == 7 == len(v)
    assert len({art.id for art, _ in items}) == 3
    assert all(c.article_id == art.id for art, cs in items for c in cs)
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
