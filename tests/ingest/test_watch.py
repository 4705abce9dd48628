"""`python -m ingest --watch FEEDS.txt --every 15m` against real feeds served on 127.0.0.1."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest
from helpers.articles import filler
from helpers.commands import child_env
from helpers.web import free_port

from ingest.errors import UsageError
from ingest.watch import (
    STATE_FILE,
    FeedSchedule,
    format_duration,
    parse_duration,
    read_feed_list,
    watch_feeds,
)
from qa.answering.ask import Asker
from qa.config import Settings
from qa.store import NewsIndex

FAST_EVERY_S = 0.2  # tests poll five times a second; the back-off caps at this too
CHILD_TIMEOUT_S = 120.0
WAIT_STEP_S = 0.05
LONG_TEXT = (
    "The harbour authority of {town} confirmed on Tuesday that the new ferry line will start "
    "in May, linking the old port with the islands twice a day. Officials said the ferries "
    "would run on electric power and that tickets would cost the same as the bus. Local "
    "fishermen welcomed the plan but asked for more berths, and the council promised to "
    "build them before the summer season. The harbour master of {town}, Ines Dorr{n}, said "
    "the line had been planned for ten years."
)


def rss(items: list[tuple[str, str, str]]) -> bytes:
    """An RSS 2.0 feed of (guid, title, description) items."""
    body = "".join(
        f"<item><guid>{guid}</guid><title>{title}</title><link>http://news.invalid/{guid}</link>"
        f"<description>{text}</description><pubDate>Tue, 01 Mar 2022 10:00:00 GMT</pubDate></item>"
        for guid, title, text in items
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Harbour News</title>'
        f"{body}</channel></rss>"
    ).encode()


def item(n: int, town: str) -> tuple[str, str, str]:
    return f"ferry-{n}", f"Ferry line for {town}", article_text(town, n)


def article_text(town: str, n: int) -> str:
    return f"{LONG_TEXT.format(town=town, n=n)} {filler(100 + n, sentences=8)}"


def teaser_item(n: int, site_base: str) -> bytes:
    return (
        f"<item><guid>teaser-{n}</guid><title>Teaser {n}</title>"
        f"<link>{site_base}/a/{n}</link><description>Short teaser.</description></item>"
    ).encode()


def page(town: str, n: int) -> bytes:
    paragraphs = article_text(town, n)
    return (
        f"<html><head><title>Ferry line for {town}</title></head><body><article>"
        f"<h1>Ferry line for {town}</h1><p>{paragraphs}</p></article></body></html>"
    ).encode()


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("15m", 900), ("1h", 3600), ("1.5h", 5400), ("45", 45), (" 2M ", 120)],
)
def test_parse_duration(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "0s", "-5m", "fortnightly", "15 minutes", "1d"])
def test_parse_duration_refuses_nonsense(text):
    with pytest.raises(UsageError, match="e.g. 30s, 15m or 1h"):
        parse_duration(text)


def test_read_feed_list_skips_comments_blanks_and_repeats(tmp_path):
    feeds = tmp_path / "feeds.txt"
    feeds.write_text(
        "# my feeds\n\nhttp://a.example/rss  # the A feed\nhttp://b.example/atom\n"
        "http://a.example/rss\n"
    )
    assert read_feed_list(feeds) == ["http://a.example/rss", "http://b.example/atom"]
    feeds.write_text("# nothing yet\n")
    with pytest.raises(UsageError, match="lists no feed URLs"):
        read_feed_list(feeds)
    with pytest.raises(UsageError, match="cannot read it"):
        read_feed_list(tmp_path / "missing.txt")


def test_back_off_doubles_and_is_capped_at_the_interval():
    feed = FeedSchedule("http://a.example/rss")
    assert [feed.failed(60.0) for _ in range(6)] == [5, 10, 20, 40, 60, 60]
    feed.succeeded(60.0)
    assert feed.failures == 0


def test_watch_ingests_only_new_items_and_survives_a_dead_feed(tmp_path, local_site, embeddings):
    settings = Settings(store_dir=tmp_path / "store", allow_private_urls=True)
    index = NewsIndex(settings, embeddings=embeddings)
    feed, dead = f"{local_site.base}/feed.xml", f"{local_site.base}/gone.xml"
    refused = f"http://127.0.0.1:{free_port()}/feed.xml"  # nothing listens: a network error
    items = [item(1, "Porthaven"), item(2, "Eastwick")]
    local_site.routes["/feed.xml"] = (200, "application/rss+xml", rss(items))
    local_site.routes["/a/3"] = (200, "text/html", page("Northmere", 3))
    logs: list[str] = []

    first = watch_feeds(
        [feed, dead, refused],
        settings=settings,
        every=FAST_EVERY_S,
        cycles=3,
        index=index,
        log=logs.append,
    )
    assert (first.added, first.cycles, first.failed) == (2, 3, [])
    # The dead feed is retried after its back-off; by the third cycle at the latest.
    assert first.feed_errors >= 2
    assert any("HTTP 404" in line and "retrying in 0.2 s" in line for line in logs)
    assert any(refused in line and "could not be fetched" in line for line in logs), logs
    assert (settings.store_dir / STATE_FILE).exists()

    # A new full item and a teaser whose page must be fetched; the old two are not re-read.
    body = rss([*items, item(4, "Southford")]).replace(
        b"</channel>", teaser_item(3, local_site.base) + b"</channel>"
    )
    local_site.routes["/feed.xml"] = (200, "application/rss+xml", body)
    second = watch_feeds(
        [feed], settings=settings, every=FAST_EVERY_S, cycles=2, index=index, log=logs.append
    )
    assert (second.added, second.updated, second.failed) == (2, 0, [])
    assert local_site.hits["/a/3"] == 1  # fetched once, then remembered as seen
    assert index.count_articles() == 4
    answer = Asker(index).ask("Who is the harbour master of Northmere?")
    assert "Dorr3" in answer.text


def test_watch_stops_cleanly_on_sigint(tmp_path, local_site):
    """A real `python -m ingest --watch` process: Ctrl-C ends it with a summary and status 0."""
    local_site.routes["/feed.xml"] = (200, "application/rss+xml", rss([item(1, "Porthaven")]))
    feeds = tmp_path / "feeds.txt"
    feeds.write_text(f"# test feed\n{local_site.base}/feed.xml\n")
    store = tmp_path / "store"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ingest",
            "--watch",
            str(feeds),
            "--every",
            "1h",
            "--store",
            str(store),
        ],
        env=child_env(NEWSQA_ALLOW_PRIVATE_URLS="1"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + CHILD_TIMEOUT_S
        while not (store / STATE_FILE).exists() and time.monotonic() < deadline:
            assert proc.poll() is None, proc.communicate()[1].decode()
            time.sleep(WAIT_STEP_S)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=CHILD_TIMEOUT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    assert proc.returncode == 0, err.decode()
    assert "SIGINT: stopping" in err.decode()
    assert "watched 1 feeds for 1 cycles (1 polls): added 1" in out.decode()
    assert "Traceback" not in err.decode()


@pytest.mark.parametrize(
    ("text", "shown"),
    [("15m", "15 min"), ("1h", "1 h"), ("15", "15 s"), ("90s", "90 s"), ("1.5h", "90 min")],
)
def test_the_interval_is_echoed_with_its_unit(text, shown):
    assert format_duration(parse_duration(text)) == shown


def test_a_feed_the_settings_refuse_is_dropped_not_retried(tmp_path, local_site, embeddings):
    settings = Settings(store_dir=tmp_path / "store")  # private addresses refused
    index = NewsIndex(settings, embeddings=embeddings)
    local_site.routes["/feed.xml"] = (200, "application/rss+xml", rss([item(1, "Porthaven")]))
    logs: list[str] = []
    summary = watch_feeds(
        [f"{local_site.base}/feed.xml"],
        settings=settings,
        every=FAST_EVERY_S,
        cycles=5,
        index=index,
        log=logs.append,
    )
    assert (summary.polls, summary.feed_errors, summary.added) == (1, 1, 0)  # asked once
    assert any("private address" in line and "not polled again" in line for line in logs)
    assert logs[-1] == "no feed left to watch" and local_site.hits.get("/feed.xml", 0) == 0
