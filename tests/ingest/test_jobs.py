"""ingest.jobs: the page's ingests (uploads and web addresses) in a background thread, through
the real pipeline into a real store."""

from __future__ import annotations

import time

import pytest
from helpers.paths import FIXTURES

from ingest.jobs import (
    MAX_URLS,
    UPLOADS,
    JobBoard,
    JobInputError,
    Upload,
    parse_addresses,
    safe_name,
    save_uploads,
)
from qa.config import Settings
from qa.store import NewsIndex

DONE_WITHIN_S = 180


def finished(job) -> None:
    deadline = time.monotonic() + DONE_WITHIN_S
    while job.running and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not job.running, f"the job is still {job.state} after {DONE_WITHIN_S} s"


def test_uploads_and_addresses_are_ingested_and_failures_name_the_uploaded_file(
    tmp_path, news_site, monkeypatch
):
    settings = Settings(store_dir=tmp_path / "store", allow_private_urls=True)
    board = JobBoard(settings, settings.store_dir)
    uploads = [
        Upload("article.md", (FIXTURES / "article.md").read_bytes()),
        Upload("../../notes.txt", b""),  # empty: fails, named as uploaded (no temporary path)
    ]
    job = board.start(owner="alice", uploads=uploads, addresses=f"\n{news_site}/a/1\n")
    assert board.latest("alice") is job and board.latest("bob") is None
    finished(job)
    assert job.state == "done", job.error
    summary = job.summary
    assert (summary.added, len(summary.failed)) == (2, 1), summary
    [failure] = summary.failed
    assert failure["source"] == "notes.txt" and str(tmp_path) not in failure["error"]
    assert job.articles == 3 and job.chunks > 0 and "added 2" in job.status_line()
    assert not list((settings.store_dir / UPLOADS).iterdir())  # the uploads are deleted
    with NewsIndex(settings, create=False) as index:
        titles = {row.title for row in index.catalog.articles().values()}
    assert {
        "Ukraine: Kyiv rejects surrender terms",
        "Lavrov says Russia is ready for talks",
    } <= titles

    again = board.start(owner="alice", uploads=uploads[:1], addresses="")  # nothing new
    finished(again)
    assert (again.summary.added, again.summary.unchanged) == (0, 1)
    assert board.latest("alice") is again


def test_private_addresses_are_refused_as_on_the_command_line(tmp_path, news_site):
    settings = Settings(store_dir=tmp_path / "store")  # NEWSQA_ALLOW_PRIVATE_URLS unset
    job = JobBoard(settings, settings.store_dir).start(
        owner="", uploads=[], addresses=f"{news_site}/a/1"
    )
    finished(job)
    [failure] = job.summary.failed
    assert "private address" in failure["error"] and job.summary.added == 0


@pytest.mark.parametrize(
    "text",
    ["/etc/passwd", "file:///etc/passwd", "javascript:alert(1)", "example.com/news", "https://"],
)
def test_only_web_addresses_are_read_from_the_text_box(text):
    with pytest.raises(JobInputError, match="is not a web address"):
        parse_addresses(f"https://example.com/a\n{text}")


def test_addresses_are_deduplicated_bounded_and_something_must_be_given(tmp_path):
    assert parse_addresses(" https://a.example/1 \n\nhttps://a.example/1\nHTTP://b.example/") == [
        "https://a.example/1",
        "HTTP://b.example/",
    ]
    with pytest.raises(JobInputError, match=f"more than {MAX_URLS}"):
        parse_addresses("\n".join(f"https://a.example/{i}" for i in range(MAX_URLS + 1)))
    board = JobBoard(Settings(store_dir=tmp_path / "store"), tmp_path / "store")
    with pytest.raises(JobInputError, match="Nothing to add"):
        board.start(owner="", uploads=[], addresses=" \n ")
    assert board.latest("") is None


def test_uploaded_names_never_leave_their_folder_and_never_collide(tmp_path):
    assert safe_name("../../etc/cron.d/evil.txt") == "evil.txt"
    assert safe_name("C:\\Users\\x\\story.md") == "story.md"
    assert safe_name(".hidden.html") == "hidden.html"
    assert safe_name("") == "upload"
    assert safe_name("a" * 300 + ".jsonl.gz").endswith(".jsonl.gz")
    paths = save_uploads([Upload("x/a.md", b"1"), Upload("y/a.md", b"2")], tmp_path / "up")
    assert [p.name for p in paths] == ["a.md", "2-a.md"]
    assert all(p.parent == tmp_path / "up" for p in paths)
    assert [p.read_bytes() for p in paths] == [b"1", b"2"]
