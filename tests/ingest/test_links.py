"""Article links: only http(s) addresses are stored or returned (issue 36: a `javascript:` URL
was stored and came back in `qa ask --json`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.cli import main as ingest_main
from qa.interface.cli import main as qa_main
from qa.store.chunk_metadata import passage_from_metadata
from qa.types import web_url

TEXT = (
    "The harbour council of Veldhaven approved a new flood wall on Tuesday after a long debate. "
    "The wall will cost four million euros and protect the old town from winter storms."
)
QUESTION = "What did the harbour council of Veldhaven approve?"


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("https://news.example/flood-wall", True),
        ("http://news.example/flood-wall?id=3", True),
        ("javascript:alert(1)", False),
        ("  JavaScript:alert(1)", False),
        ("data:text/html,<script>alert(1)</script>", False),
        ("file:///etc/passwd", False),
        ("vbscript:msgbox(1)", False),
        ("https://", False),  # no host
        ("news.example/flood-wall", False),  # no scheme: not a link a browser would follow
    ],
)
def test_web_url_keeps_only_http_addresses(url, kept):
    assert (web_url(url) == url.strip()) is kept
    assert bool(web_url(url)) is kept


def ingest_json(tmp_path: Path, url: str, capsys) -> tuple[int, str, list[str], Path]:
    dump = tmp_path / "wall.json"
    dump.write_text(
        json.dumps({"title": "Flood wall approved", "text": TEXT, "url": url, "source": "Ledger"})
    )
    store = tmp_path / "store"
    code = ingest_main([str(dump), "--store", str(store), "--quiet"])
    out, err = capsys.readouterr()
    return code, out, [line for line in err.splitlines() if line.strip()], store


def test_a_javascript_url_is_refused_at_ingest_and_never_returned(tmp_path, capsys, embeddings):
    code, out, err, store = ingest_json(tmp_path, "javascript:alert(document.cookie)", capsys)
    assert code == 0 and "added 1," in out  # the article is kept
    [warning] = [line for line in err if line.startswith("warning:")]
    assert str(tmp_path / "wall.json") in warning
    assert "'javascript:alert(document.cookie)' is not an http(s) address" in warning
    assert "stored without a link" in warning
    assert qa_main(["ask", QUESTION, "--store", str(store), "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["citations"] and all(c["url"] == "" for c in answer["citations"])
    assert "flood wall" in answer["answer"]


def test_an_https_url_is_stored_without_a_warning(tmp_path, capsys, embeddings):
    code, out, err, store = ingest_json(tmp_path, "https://news.example/wall", capsys)
    assert code == 0 and not [line for line in err if line.startswith("warning:")]
    assert qa_main(["ask", QUESTION, "--store", str(store), "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert {c["url"] for c in answer["citations"]} == {"https://news.example/wall"}


def test_a_link_stored_before_the_check_is_never_returned():
    """Stores ingested before ingest refused such links still hold them: reading drops them."""
    meta = {
        "article_id": "a",
        "title": "t",
        "source": "s",
        "url": "javascript:alert(1)",
        "published": -1,
        "start": 0,
        "dated_sentences": "[]",
    }
    assert passage_from_metadata("a:0", "text", meta).url == ""
