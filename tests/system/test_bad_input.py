"""Hostile and broken input through the real CLIs (`python -m ingest`, `python -m qa ask`).

Every bad source goes into a batch with one good article: the bad one gets one clear line
naming it, the exit status is 1, and the good one is stored and answerable.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from conftest import town, write_articles

from ingest.cli import main as ingest_main
from ingest.sources import fetch as fetch_module
from qa.answering.answer import ABSTAIN_TEXT
from qa.interface.cli import main as qa_main

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n"
BIG_FILE_BYTES = 50 * 1024 * 1024
NESTING = 100_000
SHORT_TIMEOUT_S = 0.5  # the fetch limit, shortened for the stalling server
STALL_S = 3.0
ENDLESS_CHUNK = b"<p>more</p>" * 1000
ENDLESS_GIVE_UP_BYTES = 64 * 1024 * 1024  # the server stops even if the client never does
MANY_FILES = 10_000
NO_ARTICLE_HTML = (
    b"<html><head><title>Menu</title></head><body><nav>Home | News</nav></body></html>"
)


def stall(handler) -> None:
    time.sleep(STALL_S)
    _send(handler, 200, "text/html", b"<html>late</html>")


def endless(handler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html")
    handler.end_headers()
    sent = 0
    try:
        while sent < ENDLESS_GIVE_UP_BYTES:
            handler.wfile.write(ENDLESS_CHUNK)
            sent += len(ENDLESS_CHUNK)
    except OSError:
        pass  # the client hung up at its limit, as it should


def loop(handler) -> None:
    handler.send_response(302)
    handler.send_header("Location", "/loop")
    handler.send_header("Content-Length", "0")
    handler.end_headers()


def _send(handler, status: int, kind: str, body: bytes) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", kind)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def make_file(name: str, data: bytes | None = None, *, size: int | None = None):
    """A case that writes `name` (bytes, or a sparse file of `size`) and names it."""

    def make(tmp: Path, _site) -> str:
        path = tmp / name
        if size is not None:
            with path.open("wb") as f:
                f.truncate(size)  # sparse: instant, and no disk used
        else:
            path.write_bytes(data or b"")
        return str(path)

    return make


def make_url(route: str, response):
    def make(_tmp: Path, site) -> str:
        site.routes[route] = response
        return site.base + route

    return make


BAD_SOURCES = {
    "missing path": (lambda tmp, _site: str(tmp / "no-such-file.txt"), "no such file or folder"),
    "empty file": (make_file("empty.txt", b""), "is empty"),
    "whitespace-only file": (make_file("blank.txt", b"  \n\t\n   \n"), "is empty"),
    "PNG image": (make_file("photo.png", PNG), ".png files are not supported"),
    "PNG bytes named .txt": (make_file("photo.txt", PNG), "looks binary (a PNG image)"),
    "PDF renamed .txt": (make_file("report.txt", PDF), "looks binary (a PDF document)"),
    "50 MB text file": (make_file("huge.txt", size=BIG_FILE_BYTES), "over the 20 MB limit"),
    "malformed JSON": (make_file("bad.json", b'{"title": "x", "text": '), "is not valid JSON"),
    "deeply nested JSON": (
        make_file("deep.json", b"[" * NESTING + b"]" * NESTING),
        "nested too deeply",
    ),
    "JSON with wrong field types": (
        make_file("types.json", b'{"title": ["a", "list"], "text": "Some text here."}'),
        "field 'title' should be text, not a list",
    ),
    "JSON with an object for its text": (
        make_file("object.json", b'{"title": "Budget", "text": {"html": "<p>Text.</p>"}}'),
        "field 'text' should be text, not an object",
    ),
    "JSON with an object for its date": (
        make_file("date.json", b'{"title": "Budget", "text": "Text.", "published": {"y": 1}}'),
        "field 'published' should be a date like 2022-02-25, not an object",
    ),
    "HTML with no article text": (make_file("menu.html", NO_ARTICLE_HTML), "has no article text"),
    "malformed feed XML": (
        make_url("/bad-feed", (200, "application/rss+xml", b"<rss><channel><item><title>a</ti")),
        "is not a valid RSS/Atom feed",
    ),
    "URL answering 404": (make_url("/missing", (404, "text/html", b"gone")), "HTTP 404"),
    "URL answering 500": (make_url("/broken", (500, "text/html", b"oops")), "HTTP 500"),
    "URL timing out": (make_url("/slow", stall), f"timed out after {SHORT_TIMEOUT_S:g} s"),
    "redirect loop": (make_url("/loop", loop), "too many redirects"),
    "non-HTML content type": (
        make_url("/file.pdf", (200, "application/pdf", PDF)),
        "is application/pdf, not a web page or feed",
    ),
    "endless body": (make_url("/endless", endless), "larger than the 10 MB limit"),
}


@pytest.fixture
def good(tmp_path) -> Path:
    """One good article: it must be stored whatever else in the batch fails."""
    return next(write_articles(tmp_path / "good", 1).iterdir())


@pytest.fixture
def private_ok(monkeypatch):
    """The local site is on 127.0.0.1: allowed here, as a user would for an intranet."""
    monkeypatch.setenv("NEWSQA_ALLOW_PRIVATE_URLS", "1")
    monkeypatch.setitem(fetch_module.fetch.__kwdefaults__, "timeout", SHORT_TIMEOUT_S)


def ingest(argv: list[str], capsys) -> tuple[int, dict, list[str]]:
    code = ingest_main([*argv, "--json"])
    out, err = capsys.readouterr()
    return code, json.loads(out), [line for line in err.splitlines() if line.strip()]


def assert_good_is_answerable(capsys) -> None:
    code = qa_main(["ask", f"Who opened the new river bridge in {town(0)}?", "--json"])
    answer = json.loads(capsys.readouterr().out)
    assert code == 0 and not answer["abstained"] and "Quill0" in answer["answer"]


@pytest.mark.parametrize("case", list(BAD_SOURCES))
def test_bad_source_fails_alone_with_one_clear_line(
    case, tmp_path, good, local_site, private_ok, capsys
):
    make, expected = BAD_SOURCES[case]
    bad = make(tmp_path, local_site)
    code = ingest_main([bad, str(good), "--quiet"])
    out, err = capsys.readouterr()
    assert code == 1
    failures = [line for line in err.splitlines() if line.startswith("failed:")]
    assert len(failures) == 1 and failures[0].startswith(f"failed: {bad}: "), err
    assert expected in failures[0]
    assert "added 1," in out and "failed 1;" in out and "store has 1 articles" in out
    assert_good_is_answerable(capsys)


@pytest.mark.parametrize(
    ("encoding", "data"),
    [
        (
            "latin-1",
            "Café owners in Zürich protest\n\nThe café owners of Zürich said the "
            "new rent rules were unfair, and the mayor promised a review.\n".encode("latin-1"),
        ),
        (
            "utf-16 with BOM",
            "Café owners in Zürich protest\n\nThe café owners of Zürich "
            "said the new rent rules were unfair, and the mayor promised a review.\n".encode(
                "utf-16"
            ),
        ),
    ],
)
def test_other_encodings_are_decoded_and_stored(encoding, data, tmp_path, good, capsys):
    path = tmp_path / "cafe.txt"
    path.write_bytes(data)
    code, summary, _ = ingest([str(path), str(good)], capsys)
    assert code == 0 and summary["added"] == 2, encoding
    code = qa_main(["ask", "What did the café owners of Zürich protest against?", "--json"])
    answer = json.loads(capsys.readouterr().out)
    assert code == 0 and "Zürich" in answer["answer"]
    assert_good_is_answerable(capsys)


def test_a_folder_of_ten_thousand_small_files(tmp_path, good, capsys):
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(MANY_FILES):
        (folder / f"{i:05d}.txt").write_text(f"Brief {i}\n\nCouncil note number {i} was filed.\n")
    code, summary, _ = ingest([str(folder), str(good)], capsys)
    assert code == 0 and summary["failed"] == []
    assert summary["articles_total"] == MANY_FILES + 1
    assert_good_is_answerable(capsys)


QUESTION_CASES = {
    "empty": ("", "The question is empty"),
    "10,000 characters": ("why " * 2500, "keep it under"),
    "only punctuation": ("?!?! ... ???", "has no words in it"),
}


@pytest.mark.parametrize("case", list(QUESTION_CASES))
def test_unaskable_questions_get_a_clear_message(case, sample_store, capsys):
    question, expected = QUESTION_CASES[case]
    code = qa_main(["ask", question, "--store", str(sample_store)])
    out, err = capsys.readouterr()
    assert code == 2 and expected in err and err.count("\n") == 1 and not out  # usage


@pytest.mark.parametrize(
    "question",
    [
        "Wer hat Gespräche in Minsk vorgeschlagen?",
        "谁提议在明斯克举行会谈？",
        "Кто предложил переговоры?",
    ],
)
def test_questions_in_other_languages_are_answered_honestly(question, sample_store, capsys):
    """Either an honest abstention or an answer citing the one article that is about it."""
    code = qa_main(["ask", question, "--store", str(sample_store), "--json"])
    answer = json.loads(capsys.readouterr().out)
    assert code == 0
    if answer["abstained"]:
        assert answer["answer"] == ABSTAIN_TEXT and not answer["citations"]
    else:
        assert all("Minsk" in c["title"] for c in answer["citations"])


def test_private_url_is_refused_end_to_end_and_never_requested(local_site, good, capsys):
    """Through the CLI, with the default settings: the local page is never even requested."""
    local_site.routes["/secret"] = (200, "text/html", b"<html>router admin</html>")
    local_site.routes["/feed.xml"] = (200, "application/rss+xml", b"<rss/>")
    for path in ("/secret", "/feed.xml"):
        url = local_site.base + path
        code, summary, _ = ingest([url, str(good)], capsys)
        assert code == 1 and summary["failed"][0]["source"] == url
        assert "private address" in summary["failed"][0]["error"]
    assert sum(local_site.hits.values()) == 0
    assert os.environ.get("NEWSQA_ALLOW_PRIVATE_URLS") is None
