"""`python -m evaluation.eval` end to end on a tiny hand-written article and question set."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from helpers.paths import EVAL_ARTICLES, EVAL_QUESTIONS

from evaluation.eval import (
    CONFIGURATIONS,
    KEPT_HEADING,
    NO_READER,
    NO_RERANK,
    Question,
    coverage,
    main,
)
from evaluation.metrics import METRIC_KEYS
from qa.config import Settings
from qa.news.dates import parse_date
from qa.store import NewsIndex


def run_eval(tmp_path, capsys, *extra):
    argv = ["--articles", str(EVAL_ARTICLES), "--questions", str(EVAL_QUESTIONS)]
    argv += ["--store", str(tmp_path / "store"), "--json", "--quiet", *extra]
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_eval_scores_answers_and_writes_predictions(tmp_path, capsys, embeddings):
    out = tmp_path / "predictions.jsonl"
    report = tmp_path / "eval.md"
    result = run_eval(
        tmp_path,
        capsys,
        "--k",
        "3",
        "--predictions",
        str(out),
        "--ablation",
        "--report",
        str(report),
    )
    for key in METRIC_KEYS:
        assert key in result
    assert result["n"] == 5
    for key in ("shown@300", "hits@1", "hits@5", "hits@10", "mrr@10", "abstained"):
        assert 0.0 <= result[key] <= 1.0
    assert result["hits@1"] <= result["hits@5"] <= result["hits@10"]
    assert result["hits@10"] >= 0.6  # four of the five answers are written in the articles
    assert result["shown@300"] >= 0.2
    assert 0 < result["p50_ms"] <= result["p95_ms"]
    assert set(result["ablation"]) == set(CONFIGURATIONS) - {NO_RERANK}  # no reranker set
    assert 0.0 <= result["reading"] <= 1.0 and NO_READER in result["ablation"]
    # q5's "Atlantis United" is in no article: four of five questions can be answered at all.
    assert result["coverage"] == {"gold_by_as_of": 0.8, "gold_in_window": 0.8}
    assert result["hits@10"] <= result["coverage"]["gold_by_as_of"]

    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert [x["id"] for x in lines] == ["q1", "q2", "q3", "q4", "q5"]
    for line in lines:
        assert {
            "id",
            "question",
            "answer",
            "abstained",
            "citations",
            "passages",
            "latency_ms",
        } <= set(line)
        assert 1 <= len(line["passages"]) <= 10
        assert line["latency_ms"] > 0
        assert line["gold_by_as_of"] is (line["id"] != "q5")
    # k=3 is raised to 10, so every chunk published by q5's as_of date (all five) comes back.
    assert len(lines[4]["passages"]) == 5
    q2 = lines[1]
    assert not q2["abstained"] and "Verhoeven" in q2["answer"]
    assert q2["citations"][0]["chunk_id"].startswith(q2["citations"][0]["article_id"])

    text = report.read_text()
    assert "| full |" in text and "| dense |" in text and "shown@300" in text
    assert "Gold answers in the store: 4 of 5 questions by their as-of date" in text


def test_the_hand_written_section_of_the_report_survives_a_rerun(tmp_path, capsys, embeddings):
    report = tmp_path / "eval.md"
    hand = f"{KEPT_HEADING}\n\n| answerer | shown@300 |\n|---|---:|\n| one sentence | 0.2 |\n"
    report.write_text("# Evaluation\n\nold table\n\n" + hand)
    run_eval(tmp_path, capsys, "--limit", "1", "--report", str(report))
    text = report.read_text()
    assert "old table" not in text and "| full |" in text
    assert text.endswith(hand) and text.count(KEPT_HEADING) == 1


def test_a_second_run_reuses_the_store(tmp_path, capsys, embeddings):
    run_eval(tmp_path, capsys, "--limit", "1")
    again = run_eval(tmp_path, capsys, "--limit", "2")
    assert again["n"] == 2
    assert "ablation" not in again


def test_coverage_sees_only_what_a_question_asked_then_could_see(tmp_path, capsys, embeddings):
    run_eval(tmp_path, capsys, "--limit", "1")  # ingests the five articles
    conductor = ["Tomas Verhoeven"]  # in "Orchestra names new conductor", 2025-01-08
    questions = [
        Question("later", "Who conducts?", conductor, as_of=parse_date("2025-01-10")),
        Question("long after", "Who conducts?", conductor, as_of=parse_date("2025-03-01")),
        Question("before", "Who conducts?", conductor, as_of=parse_date("2025-01-05")),
    ]
    settings = Settings.from_env(store_dir=str(tmp_path / "store"))
    with NewsIndex(settings, embeddings=embeddings) as index:
        found = coverage(index, questions)
    assert found.by_as_of == [True, True, False]
    assert found.in_window == [True, False, False]  # 52 days old on 2025-03-01


def test_eval_without_the_reader_has_no_reader_row(tmp_path, capsys, embeddings):
    result = run_eval(tmp_path, capsys, "--reader", "none", "--ablation", "--limit", "2")
    assert NO_READER not in result["ablation"]
    assert result["ablation"]["full"] == {k: result[k] for k in result["ablation"]["full"]}


def eval_failure(tmp_path, capsys, articles: Path, store: Path) -> str:
    argv = ["--articles", str(articles), "--questions", str(EVAL_QUESTIONS), "--store", str(store)]
    assert main([*argv, "--quiet"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""  # no table of zeros
    errors = [line for line in captured.err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    return errors[0]


def test_eval_refuses_to_score_an_empty_store(tmp_path, capsys):
    """Regression: an unreadable articles file must not be scored as 0.0 everywhere with exit 0."""
    missing = tmp_path / "missing.jsonl"
    error = eval_failure(tmp_path, capsys, missing, tmp_path / "store")
    assert "is empty: no article of" in error and "no such file or folder" in error

    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"title": "cut off", \n[1, 2]\n', encoding="utf-8")
    error = eval_failure(tmp_path, capsys, broken, tmp_path / "store")
    assert f"{broken}:1: is not valid JSON" in error


def test_eval_refuses_articles_that_could_not_be_ingested(tmp_path, capsys, sample_store):
    store = tmp_path / "store"
    shutil.copytree(sample_store, store)  # a store with articles, and an unreadable file
    unreadable = tmp_path / "articles.jsonl"
    unreadable.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    error = eval_failure(tmp_path, capsys, unreadable, store)
    assert f"None of the articles in {unreadable} could be ingested" in error
    assert "looks binary" in error
