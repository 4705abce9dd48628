"""Chroma server mode: a real `chroma run` on 127.0.0.1, selected only by CHROMA_HOST/PORT.

One server serves the module; each test uses its own collection (NEWSQA_COLLECTION).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator

import pytest
from helpers.articles import SAMPLE_TITLE, question, town, write_articles
from helpers.chroma import running_chroma
from helpers.commands import run_json
from helpers.paths import APP
from helpers.web import free_port

from evaluation.eval import main as eval_main
from ingest.cli import main as ingest_main
from ingest.pipeline import ingest_sources
from qa.answering.ask import Asker, AskOptions
from qa.config import Settings
from qa.errors import StoreError
from qa.interface.cli import main as qa_main
from qa.store import NewsIndex

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory) -> Iterator[tuple[str, int]]:
    """A real Chroma server on a free local port, stopped (killed if need be) at the end."""
    with running_chroma(tmp_path_factory.mktemp("chroma-server")) as address:
        yield address


@pytest.fixture
def server_env(chroma_server, monkeypatch, request) -> Settings:
    """Point every command at the server, with a collection of this test's own."""
    host, port = chroma_server
    monkeypatch.setenv("CHROMA_HOST", host)
    monkeypatch.setenv("CHROMA_PORT", str(port))
    name = hashlib.sha256(request.node.name.encode()).hexdigest()[:12]
    monkeypatch.setenv("NEWSQA_COLLECTION", f"test-{name}")
    return Settings.from_env()


def test_ingest_ask_and_stats_work_unchanged_on_a_server(server_env, sample_path, capsys):
    argv = [str(sample_path), "--title", SAMPLE_TITLE, "--published", "2022-02-25", "--json"]
    code, summary = run_json(ingest_main, argv, capsys)
    assert code == 0 and summary["added"] == 1 and summary["chunks_total"] > 1
    code, again = run_json(ingest_main, argv, capsys)
    assert (code, again["unchanged"], again["added"]) == (0, 1, 0)

    code, answer = run_json(qa_main, ["ask", "Who proposed talks in Minsk?", "--json"], capsys)
    assert code == 0 and not answer["abstained"]
    assert "Putin" in answer["answer"] and answer["citations"][0]["title"] == SAMPLE_TITLE
    code, stats = run_json(qa_main, ["stats", "--json"], capsys)
    assert code == 0
    assert (stats["articles"], stats["chunks"]) == (1, summary["chunks_total"])
    assert stats["store"].startswith("Chroma server 127.0.0.1:")


def test_two_page_instances_see_each_others_ingest(server_env, tmp_path, embeddings):
    """Two readers (two page instances); the lexical index is cached locally and refreshed."""
    first = NewsIndex(server_env, embeddings=embeddings)
    second = NewsIndex(server_env, embeddings=embeddings)
    folder = write_articles(tmp_path / "a", 3)
    ingest_sources([str(folder)], settings=server_env, index=first, progress=False)
    assert second.count_articles() == 3
    cache = second._cache_dir()
    assert (cache / "catalog.json").exists()  # derived from the server, cached on this machine
    stamp = json.loads((cache / "catalog.json").read_text())["stamp"]

    more = write_articles(tmp_path / "b", 2, start=3)
    ingest_sources([str(more)], settings=server_env, index=first, progress=False)
    asker = Asker(second)  # the page's reader, never restarted
    answer = asker.ask(question(3))  # Talhaven
    assert "Quill3" in answer.text
    assert second.count_articles() == 5 and second.lexical.size == len(second.catalog.rows)
    assert json.loads((cache / "catalog.json").read_text())["stamp"] != stamp


def test_eval_style_batch_of_questions(server_env, tmp_path, embeddings):
    """What the evaluation does: ingest a set, then ask many questions through one Asker."""
    folder = write_articles(tmp_path / "articles", 6)
    index = NewsIndex(server_env, embeddings=embeddings)
    ingest_sources([str(folder)], settings=server_env, index=index, progress=False)
    asker = Asker(index)
    towns = ["Veldhaven", "Korhaven", "Marhaven", "Talhaven", "Brohaven", "Fenhaven"]
    for i, name in enumerate(towns):
        answer = asker.ask(f"Who opened the bridge in {name}?", AskOptions(k=5))
        assert f"Quill{i}" in answer.text, (name, answer.text)


def test_auth_token_header_is_sent_without_breaking(server_env, monkeypatch, capsys, sample_path):
    monkeypatch.setenv("CHROMA_AUTH_TOKEN", "test-token")
    settings = Settings.from_env()
    assert settings.chroma_auth_token == "test-token"
    code = ingest_main([str(sample_path), "--quiet"])
    assert code == 0, capsys.readouterr().err
    index = NewsIndex(settings)
    assert index.count_articles() == 1
    index.collection  # noqa: B018 - opens the HTTP client read below
    headers = index._client._server.get_request_headers()  # chromadb's HTTP client (1.5)
    assert headers["authorization"] == "Bearer test-token"  # httpx lower-cases names


def test_unreachable_server_is_one_clear_error(monkeypatch, capsys):
    port = free_port()
    monkeypatch.setenv("CHROMA_HOST", "127.0.0.1")
    monkeypatch.setenv("CHROMA_PORT", str(port))
    with pytest.raises(StoreError, match=f"127.0.0.1:{port}.*chroma run"):
        NewsIndex(Settings.from_env()).count_chunks()
    assert qa_main(["stats"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and f"127.0.0.1:{port}" in err and "unset CHROMA_HOST" in err


def test_page_answers_from_the_server_and_sees_a_later_ingest(server_env, tmp_path, embeddings):
    """The chat page (AppTest), selected onto the server by the environment only."""
    from streamlit.testing.v1 import AppTest

    index = NewsIndex(server_env, embeddings=embeddings)
    ingest_sources([str(write_articles(tmp_path / "a", 2))], settings=server_env, index=index)
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.run()
    assert not at.exception and not at.error
    summary = at.sidebar.markdown[0].value  # articles, read from the server
    assert summary.startswith("**2 articles** from 1 source")

    more = write_articles(tmp_path / "b", 1, start=2)
    ingest_sources([str(more)], settings=server_env, index=index, progress=False)
    at.chat_input("question").set_value(question(2)).run()  # Marhaven
    assert not at.exception and not at.error
    assistant = [m for m in at.chat_message if m.name == "assistant"][-1]
    assert "Quill2" in assistant.markdown[0].value.replace("\\", "")


def test_eval_command_runs_on_the_server(server_env, tmp_path, capsys):
    """`python -m evaluation.eval` ingests and scores through the server, with no --store."""
    articles, questions = tmp_path / "articles.jsonl", tmp_path / "questions.jsonl"
    rows = []
    for path in sorted(write_articles(tmp_path / "src", 3).iterdir()):
        title, _, text = path.read_text().partition("\n\n")
        rows.append({"title": title, "text": text, "published": "2024-05-01"})
    articles.write_text("".join(json.dumps(r) + "\n" for r in rows))
    asked = [
        {"id": str(i), "question": f"Who opened the bridge in {town(i)}?", "answers": [f"Quill{i}"]}
        for i in range(3)
    ]
    questions.write_text("".join(json.dumps(q) + "\n" for q in asked))
    code = eval_main(
        ["--articles", str(articles), "--questions", str(questions), "--json", "--quiet"]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    metrics = json.loads(captured.out)
    assert metrics["n"] == 3 and metrics["hits@5"] == 1.0
    assert NewsIndex(server_env).count_articles() == 3  # stored on the server, not on disk
    assert not (tmp_path / "default-store").exists()
