"""`python -m evaluation.bench` smoke test at a tiny size: structure and positivity, no timing limits."""

from __future__ import annotations

import json

from helpers.paths import EVAL_ARTICLES

from evaluation.bench.page import CHROMIUM
from evaluation.bench.run import main
from qa.encoders.reader import SHIPPED, SUMS_FILE

# The trained reader ships in its own commit; until its files are there the bench runs without.
HAVE_READER = (SHIPPED / SUMS_FILE).is_file()


def test_bench_runs_at_a_tiny_size(tmp_path, capsys, embeddings, monkeypatch):
    monkeypatch.setenv("NEWSQA_READER", "default" if HAVE_READER else "none")
    monkeypatch.setattr("evaluation.bench.run.PAIRED_SIZES", (40, 60))  # as 100k and 1M are
    report = tmp_path / "benchmarks.md"
    argv = [
        "--data",
        str(EVAL_ARTICLES),
        "--quick",
        "--sizes",
        "40,60",
        "--ingest-chunks",
        "50",
        "--questions",
        "3",
        "--cold-runs",
        "2",
    ]
    argv += ["--workdir", str(tmp_path), "--report", str(report), "--json"]
    assert main(argv) == 0
    result = json.loads(capsys.readouterr().out)

    ingest = result["ingest"]
    assert ingest["chunks"] > 0
    for key in ("chunks_per_s", "raw_chunks_per_s", "ratio"):
        assert ingest[key] > 0
    assert ingest["engine"].startswith("all-MiniLM-L6-v2 int8 onnx")  # the product's engine
    query, larger = result["query"]
    assert (query["chunks"], larger["chunks"]) == (40, 60)
    # The scaling pair is also asked in turn in one process: one p50 a store.
    paired = result["paired"]
    assert paired["chunks"] == [40, 60] and paired["questions"] == 3
    assert len(paired["p50_ms"]) == 2 and min(paired["p50_ms"]) > 0
    assert not list(tmp_path.glob("newsqa-bench-*"))  # both stores gone with the work folder
    for key in ("p50_ms", "p95_ms", "raw_p50_ms", "ratio", "rss_mb"):
        assert query[key] > 0
    assert query["p50_ms"] <= query["p95_ms"]
    # The answering process answers as the product does: ONNX question embedder, no torch.
    assert query["question_embedder"] == "OnnxEmbeddings"
    assert query["torch_loaded"] is False
    stages = query["stages_p50_ms"]
    assert stages["embed_query"] > 0 and stages["answer"] > 0
    if HAVE_READER:
        assert query["reader"] and stages["read"] > 0
    else:
        assert query["reader"] is None and "read" not in stages

    cli_runs = result["cold_start_runs_s"]
    assert len(cli_runs) == 2 and min(cli_runs) > 0
    assert result["cold_start_s"] == min(cli_runs)  # the lower middle of two
    page = result["page_cold_start"]
    if CHROMIUM.exists():
        assert result["page_cold_start_error"] is None, result["page_cold_start_error"]
        assert 0 < page["server_up_s"] <= page["input_ready_s"] <= page["seconds"]
        assert len(page["runs_s"]) == 2 and page["seconds"] == min(page["runs_s"])  # median_low
    else:
        assert page is None and result["page_cold_start_error"].startswith("not measured")

    text = report.read_text()
    assert "| 40 |" in text
    assert "CLI cold start" in text and "page cold start" in text
    assert report.with_suffix(".png").stat().st_size > 0


def test_the_raw_baseline_encodes_what_the_pipeline_writes(tmp_path, embeddings):
    """A syndicated copy and a repeated article are skipped by the ingest pipeline: the raw
    baseline the ingest ratio is measured against leaves them out too."""
    from evaluation.bench.run import prepare_file
    from ingest.pipeline import ingest_sources
    from qa.config import Settings
    from qa.store import NewsIndex

    story = json.loads(EVAL_ARTICLES.read_text().splitlines()[0])["text"]
    one, two = "https://one.example/wire", "https://two.example/news/wire"
    rows = [
        {"title": "Wire story", "text": story, "source": "one.example", "url": one},
        {"title": "Wire story", "text": story, "source": "two.example", "url": two},  # a copy
        {"title": "Wire story", "text": story, "source": "one.example", "url": one},  # again
    ]
    data = tmp_path / "articles.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")

    items = prepare_file(data)
    assert [article.source for article, _ in items] == ["one.example"]
    settings = Settings(store_dir=tmp_path / "store")
    with NewsIndex(settings, embeddings=embeddings) as index:
        summary = ingest_sources([str(data)], settings=settings, index=index, progress=False)
    assert summary.duplicates == 2
    assert summary.chunks_written == sum(len(chunks) for _, chunks in items)
