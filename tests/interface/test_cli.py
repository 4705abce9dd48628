"""The command-line contracts of `python -m ingest` and `python -m qa` (CONTRACTS.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.commands import run_json

from ingest.cli import main as ingest_main
from qa.errors import EXIT_PIPE_CLOSED
from qa.interface.cli import main as qa_main

SUMMARY_KEYS = {
    "added",
    "updated",
    "unchanged",
    "duplicates",
    "failed",
    "articles_total",
    "chunks_total",
}
CITATION_KEYS = {
    "n",
    "quote",
    "headline",
    "title",
    "source",
    "url",
    "published",
    "article_id",
    "chunk_id",
}


@pytest.fixture
def store(tmp_path):
    return str(tmp_path / "store")


def ingest_sample(store, sample_path, capsys):
    argv = [
        str(sample_path),
        "--store",
        store,
        "--published",
        "2022-02-25",
        "--title",
        "Putin ready for talks in Minsk",
        "--source",
        "Sample",
        "--json",
    ]
    return run_json(ingest_main, argv, capsys)


def test_ingest_then_reingest(store, sample_path, capsys):
    code, summary = ingest_sample(store, sample_path, capsys)
    assert code == 0
    assert set(summary) == SUMMARY_KEYS | {"warnings", "shard"} and summary["shard"] is None
    assert (summary["added"], summary["articles_total"]) == (1, 1)
    assert summary["chunks_total"] > 1
    code, again = ingest_sample(store, sample_path, capsys)
    assert code == 0
    assert (again["added"], again["unchanged"]) == (0, 1)
    assert again["chunks_total"] == summary["chunks_total"]


def test_one_bad_source_fails_alone(store, sample_path, tmp_path, capsys):
    missing = tmp_path / "nope.txt"
    code, summary = run_json(
        ingest_main, [str(missing), str(sample_path), "--store", store, "--json"], capsys
    )
    assert code == 1
    assert summary["added"] == 1
    assert [f["source"] for f in summary["failed"]] == [str(missing)]
    assert summary["failed"][0]["error"]


@pytest.mark.parametrize("argv", [[], ["x.txt", "--published", "not a date"]])
def test_ingest_usage_errors_exit_2(store, argv, capsys):
    code = ingest_main([*argv, "--store", store])
    assert code == 2
    assert "error:" in capsys.readouterr().err


def test_ask_json_contract(store, sample_path, capsys):
    ingest_sample(store, sample_path, capsys)
    code, out = run_json(
        qa_main, ["ask", "Who proposed talks in Minsk?", "--store", store, "--json"], capsys
    )
    assert code == 0
    assert out["question"] == "Who proposed talks in Minsk?"
    assert "Putin" in out["answer"]
    assert out["abstained"] is False and out["mode"] == "extractive"
    citation = out["citations"][0]
    assert set(citation) >= CITATION_KEYS
    assert (citation["n"], citation["published"], citation["source"]) == (1, "2022-02-25", "Sample")
    assert citation["quote"] in out["answer"]


def test_ask_lists_each_cited_passage_once(store, sample_path, capsys):
    ingest_sample(store, sample_path, capsys)
    assert qa_main(["ask", "Who proposed talks in Minsk?", "--store", store]) == 0
    out = capsys.readouterr().out
    short, *answer, source = out.strip().splitlines()
    assert short == "Putin"  # the short answer leads, then the cited evidence
    # The headline and sentences of the same passage are all cited as [1]: one source line.
    assert " ".join(answer).count("[1]") >= 2
    assert source.strip().startswith("[1] ")
    assert not any(line.strip().startswith("[1] ") for line in answer)


def test_ask_abstains_and_filters(store, sample_path, capsys):
    ingest_sample(store, sample_path, capsys)
    _, out = run_json(
        qa_main, ["ask", "Who won the World Cup?", "--store", store, "--json"], capsys
    )
    assert out["abstained"] is True and out["citations"] == []
    _, out = run_json(
        qa_main,
        [
            "ask",
            "Who proposed talks in Minsk?",
            "--store",
            store,
            "--since",
            "2023-01-01",
            "--json",
        ],
        capsys,
    )
    assert out["abstained"] is True  # and says which filter searched too narrowly
    assert out["notice"] == (
        "Searched only articles published on or after 2023-01-01: "
        "remove these filters to search every article. "
        "The articles cover 2022-02-25 to 2022-02-25."
    )
    _, out = run_json(
        qa_main,
        [
            "ask",
            "Who proposed talks in Minsk?",
            "--store",
            store,
            "--source",
            "sample",
            "--until",
            "2022-03-01",
            "--json",
        ],
        capsys,
    )
    assert out["abstained"] is False


def test_ask_on_an_empty_store_says_to_ingest_first(tmp_path, capsys):
    store = str(tmp_path / "store")
    assert ingest_main([str(tmp_path / "missing.txt"), "--store", store]) == 1  # all failed
    capsys.readouterr()
    assert qa_main(["ask", "Who proposed talks in Minsk?", "--store", store]) == 1
    err = capsys.readouterr().err
    assert "has no articles yet" in err and "python -m ingest" in err and err.count("\n") == 1
    assert qa_main(["stats", "--store", store]) == 0  # statistics of an empty store are fine


def test_verbose_after_the_command_and_a_bad_k_name_the_problem(store, sample_path, capsys):
    ingest_sample(store, sample_path, capsys)
    assert qa_main(["stats", "--store", store, "--verbose"]) == 0
    with pytest.raises(SystemExit) as usage:  # argparse's usage error
        qa_main(["ask", "Who?", "--store", store, "--k", "abc"])
    assert usage.value.code == 2
    assert "argument --k: 'abc' is not a whole number" in capsys.readouterr().err


def test_unknown_source_names_the_articles_without_one(store, tmp_path, capsys):
    article = tmp_path / "note.txt"
    article.write_text("Putin has said he is prepared to hold talks with Ukraine in Minsk.\n")
    run_json(ingest_main, [str(article), "--store", store, "--json"], capsys)
    argv = ["ask", "Who is prepared to hold talks?", "--store", store, "--json"]
    _, out = run_json(qa_main, [*argv, "--source", "(unknown)", "--as-of", "2100-01-01"], capsys)
    assert out["abstained"] is False and "Putin" in out["answer"]


def test_an_undecodable_byte_in_a_question_is_dropped(store, sample_path, capsys):
    ingest_sample(store, sample_path, capsys)
    _, out = run_json(
        qa_main, ["ask", "Who proposed talks in \udcffMinsk?", "--store", store, "--json"], capsys
    )
    assert out["question"] == "Who proposed talks in Minsk?" and "Putin" in out["answer"]
    assert qa_main(["timeline", "talks in \udcffMinsk", "--store", store]) == 0


def test_ask_bad_date_is_usage_error(store, capsys):
    assert qa_main(["ask", "Who?", "--store", store, "--since", "someday soonish"]) == 2
    assert "--since" in capsys.readouterr().err


def test_empty_question_is_one_line_error(store, capsys):
    assert qa_main(["ask", "  ", "--store", store]) == 2  # a usage error, like an empty query
    err = capsys.readouterr().err
    assert err.startswith("error: The question") and err.count("\n") == 1


def test_a_store_path_that_is_no_store_is_a_usage_error(tmp_path, sample_path, capsys):
    a_file = tmp_path / "dump.jsonl"
    a_file.write_text("{}\n")
    assert ingest_main([str(sample_path), "--store", str(a_file)]) == 2
    assert "is a file, not a store folder" in capsys.readouterr().err
    assert qa_main(["ask", "Who?", "--store", str(a_file)]) == 2


def test_ask_with_an_altered_reader_is_one_line_naming_the_fix(
    store, sample_path, altered_reader, capsys
):
    """The reader loads beside the store's opening; its failure still ends the command."""
    ingest_sample(store, sample_path, capsys)
    argv = [
        "ask",
        "Who proposed talks in Minsk?",
        "--store",
        store,
        "--reader",
        str(altered_reader),
    ]
    code = qa_main(argv)
    captured = capsys.readouterr()
    assert code == 1 and captured.out == ""
    assert captured.err.startswith("error: ") and captured.err.count("\n") == 1
    assert str(altered_reader) in captured.err and "git checkout" in captured.err


def test_stats_json(store, sample_path, capsys):
    ingest_sample(store, sample_path, capsys)
    code, stats = run_json(qa_main, ["stats", "--store", store, "--json"], capsys)
    assert code == 0
    assert (stats["articles"], stats["sources"]) == (1, {"Sample": 1})
    assert stats["topics"] == {"Russia": 1, "Ukraine": 1, "World News": 1}
    assert stats["oldest"] == stats["newest"] == "2022-02-25"
    assert stats["embedding_model"] == "all-MiniLM-L6-v2"


def test_stats_text_lists_sources_and_topics(store, sample_path, capsys):
    ingest_sample(store, sample_path, capsys)
    assert qa_main(["stats", "--store", store]) == 0
    out = capsys.readouterr().out
    assert out.startswith("1 articles, ")
    sources, topics = out.split("sources:\n")[1].split("topics:\n")
    assert sources.split() == ["1", "Sample"]
    assert "1  Russia" in topics and "1  World News" in topics


def test_module_entry_points_run(store, sample_path):
    """`python -m ingest` as a user runs it: a real process, stdin as a source."""
    done = subprocess.run(
        [sys.executable, "-m", "ingest", "-", "--store", store, "--title", "Stdin story", "--json"],
        input="A stdin article says the harbour reopened on Monday.",
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["added"] == 1
    assert "Loading weights" not in done.stderr  # --json output stays the only output


def test_ask_into_a_closed_pipe_ends_quietly(store, sample_path, capsys):
    """`qa ask ... | head -1`: the reader of the output leaves first; no error line for that."""
    ingest_sample(store, sample_path, capsys)
    with subprocess.Popen(
        [sys.executable, "-m", "qa", "ask", "Who proposed talks in Minsk?", "--store", store],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        process.stdout.close()  # before the answer is written: every write meets a closed pipe
        err = process.stderr.read()
        assert process.wait(timeout=180) == EXIT_PIPE_CLOSED, err
    assert "error" not in err and "Traceback" not in err


def test_url_flag_needs_a_single_source(store, sample_path, tmp_path, capsys):
    code = ingest_main(
        [str(sample_path), str(tmp_path), "--url", "https://x.test/a", "--store", store]
    )
    assert code == 2
    assert "--url" in capsys.readouterr().err


def store_files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_dry_run_writes_nothing_and_says_what_an_ingest_would_do(
    store, sample_path, tmp_path, capsys
):
    ingest_sample(store, sample_path, capsys)
    before = store_files(Path(store))
    dump = tmp_path / "dump.jsonl"
    article = {"title": "Talks in Minsk", "text": "Delegations met in Minsk on Monday. " * 30}
    dump.write_text(json.dumps(article) + "\n{broken\n", encoding="utf-8")
    argv = [str(sample_path), str(dump), "--store", store, "--json", "--dry-run"]
    argv += ["--published", "2022-02-25", "--title", "Putin ready for talks in Minsk"]
    code, preview = run_json(ingest_main, [*argv, "--source", "Sample"], capsys)
    assert code == 1  # a line failed: the same exit status the ingest would give
    assert (preview["added"], preview["unchanged"], preview["dry_run"]) == (1, 1, True)
    assert preview["failed"] == [{"source": f"{dump}:2", "error": preview["failed"][0]["error"]}]
    assert preview["chunks"] >= 1 and preview["embed_chunks_per_s"] > 0
    expected = preview["chunks"] / preview["embed_chunks_per_s"]
    assert preview["estimated_embedding_s"] == pytest.approx(expected, rel=0.1, abs=0.1)
    assert store_files(Path(store)) == before  # byte-identical: Chroma was never opened


def test_dry_run_on_a_new_store_creates_nothing(tmp_path, sample_path, capsys):
    store = tmp_path / "new-store"
    assert ingest_main([str(sample_path), "--store", str(store), "--dry-run", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "would add 1, update 0; unchanged 0" in out and "nothing was written" in out
    assert "estimated embedding time" in out
    assert not store.exists()


def test_ask_topic_filter_and_topic_counts(sample_store, capsys):
    argv = ["ask", "Who proposed talks in Minsk?", "--store", str(sample_store), "--json"]
    assert qa_main([*argv, "--topic", "ukraine"]) == 0
    assert json.loads(capsys.readouterr().out)["abstained"] is False
    assert qa_main([*argv, "--topic", "Sport"]) == 2  # a topic the store does not have
    assert "Ukraine" in capsys.readouterr().err  # the line names the topics it has
    assert qa_main(["stats", "--store", str(sample_store), "--json"]) == 0
    topics = json.loads(capsys.readouterr().out)["topics"]
    assert topics == {"Russia": 1, "Ukraine": 1, "World News": 1}


def test_warnings_name_the_dump_line_in_a_dry_run_as_in_an_ingest(tmp_path, capsys):
    items = [
        {
            "title": "Harbour reopens",
            "text": "The council voted on Monday to reopen the harbour.",
            "published": "2999-01-01",
            "url": "https://n.example/1",
        },
        {"title": "T" * 400, "text": "The port authority approved a new budget on Monday."},
    ]
    dump = tmp_path / "meta.jsonl"
    dump.write_text("".join(json.dumps(item) + "\n" for item in items))
    store = str(tmp_path / "store")
    expected = [f"{dump}:1", f"{dump}:2"]  # where to fix them, as failures are named
    for dry_run in (["--dry-run"], []):
        _, summary = run_json(
            ingest_main, [str(dump), "--store", store, "--json", *dry_run], capsys
        )
        assert [w["source"] for w in summary["warnings"]] == expected, summary["warnings"]
        assert "in the future" in summary["warnings"][0]["warning"]
