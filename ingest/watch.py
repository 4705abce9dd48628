"""`python -m ingest --watch FEEDS.txt --every 15m`: poll feeds, ingest only their new items.

Seen entry ids are kept beside the store so nothing is fetched or embedded twice; a failing feed
backs off while the others go on; Ctrl-C and SIGTERM stop after the current feed, with a summary.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ingest.errors import RefusedURLError, SourceError, UsageError
from ingest.pipeline import IngestSummary, ingest_articles
from ingest.sources.articles import NO_DEFAULTS, ArticleDefaults, LoadFailure
from ingest.sources.fetch import fetch
from ingest.sources.web import article_from_entry, parse_feed
from qa.config import Settings
from qa.store import NewsIndex
from qa.types import Article, stable_hash

DEFAULT_EVERY = "15m"
DURATION_UNITS = {"s": 1, "m": 60, "h": 3600}
FIRST_RETRY_S = 5.0  # wait after a feed's first failure; doubles per failure, up to the interval
MAX_SEEN_PER_FEED = 5000  # feeds list tens of items, so this remembers months of them
STATE_FILE = "watch-state.json"

Log = Callable[[str], None]


def format_duration(seconds: float) -> str:
    """ "15 min" for 900, "1 h" for 3600, "45 s" for 45: a parsed --every, with its unit."""
    for unit, size in (("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g} {unit}"
    return f"{seconds:g} s"


def parse_duration(text: str) -> float:
    """Seconds in a duration like '30s', '15m', '1h' or '1.5h' (a bare number is seconds).

    Raises:
        UsageError: not a positive duration.
    """
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", text.lower())
    seconds = float(match.group(1)) * DURATION_UNITS[match.group(2) or "s"] if match else 0.0
    if seconds <= 0:
        raise UsageError(f"--every {text!r} is not a duration: use e.g. 30s, 15m or 1h")
    return seconds


def read_feed_list(path: Path) -> list[str]:
    """Feed URLs from a file: one per line; blank lines and '#' comments are skipped.

    Raises:
        UsageError: the file cannot be read or lists no feed.
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as e:
        raise UsageError(f"--watch {path}: cannot read it ({e.strerror or e})") from e
    feeds = [line.split(" #", 1)[0].strip() for line in lines]
    feeds = list(dict.fromkeys(f for f in feeds if f and not f.startswith("#")))
    if not feeds:
        raise UsageError(f"--watch {path} lists no feed URLs (one per line, '#' for comments)")
    return feeds


def entry_key(entry) -> str:
    """What identifies a feed entry across polls: its id (guid), else its link, else its text."""
    key = entry.get("id") or entry.get("link")
    return key or stable_hash(entry.get("title") or "", entry.get("summary") or "")


@dataclass
class WatchState:
    """Entry keys already ingested, per feed; saved atomically to a JSON file."""

    path: Path
    seen: dict[str, list[str]] = field(default_factory=dict)
    _sets: dict[str, set[str]] = field(default_factory=dict, repr=False)  # fast lookups

    @classmethod
    def load(cls, path: Path, log: Log) -> WatchState:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls(path)
        except (OSError, ValueError) as e:  # a damaged file costs one re-check of every item
            log(f"{path} is unreadable ({e}); starting with no items seen")
            return cls(path)
        return cls(path, {str(k): list(v) for k, v in data.items()})

    def is_seen(self, feed: str, key: str) -> bool:
        return key in self._seen_set(feed)

    def mark(self, feed: str, keys: list[str]) -> None:
        known = self.seen.setdefault(feed, [])
        known.extend(k for k in keys if k not in self._seen_set(feed))
        del known[:-MAX_SEEN_PER_FEED]
        self._sets.pop(feed, None)

    def save(self) -> None:
        tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(self.seen, indent=1), encoding="utf-8")
        os.replace(tmp, self.path)  # a kill mid-save leaves the old file, never half of one

    def _seen_set(self, feed: str) -> set[str]:
        if feed not in self._sets:
            self._sets[feed] = set(self.seen.get(feed, ()))
        return self._sets[feed]


@dataclass
class FeedSchedule:
    """When one feed is next due, and how many polls in a row have failed."""

    url: str
    due: float = 0.0  # time.monotonic() seconds
    failures: int = 0

    def succeeded(self, every: float) -> None:
        self.failures = 0
        self.due = time.monotonic() + every

    def failed(self, every: float) -> float:
        """Schedule the retry; returns the back-off in seconds."""
        self.failures += 1
        delay = min(every, FIRST_RETRY_S * 2 ** (self.failures - 1))
        self.due = time.monotonic() + delay
        return delay


@dataclass
class WatchSummary:
    """What a watch run did, over all its cycles."""

    feeds: int = 0
    cycles: int = 0
    polls: int = 0
    feed_errors: int = 0
    added: int = 0
    updated: int = 0
    failed: list[dict] = field(default_factory=list)

    def add(self, ingest: IngestSummary) -> None:
        self.added += ingest.added
        self.updated += ingest.updated
        self.failed.extend(ingest.failed)

    def line(self) -> str:
        return (
            f"watched {self.feeds} feeds for {self.cycles} cycles ({self.polls} polls): "
            f"added {self.added}, updated {self.updated}, items failed {len(self.failed)}, "
            f"feed errors {self.feed_errors}"
        )


def watch_feeds(
    feeds: list[str],
    *,
    settings: Settings,
    every: float,
    cycles: int | None = None,
    defaults: ArticleDefaults = NO_DEFAULTS,
    index: NewsIndex | None = None,
    log: Log | None = None,
    stop: threading.Event | None = None,
) -> WatchSummary:
    """Poll `feeds` every `every` seconds until stopped (or for `cycles` rounds, for tests).

    A cycle polls every feed that is due: on schedule, or after its back-off ran out.
    """
    log = log or log_to_stderr
    stop = stop or threading.Event()
    own = index is None
    index = index or NewsIndex(settings)
    state = WatchState.load(index.state_dir() / STATE_FILE, log)
    schedules = [FeedSchedule(url) for url in feeds]
    summary = WatchSummary(feeds=len(feeds))
    try:
        with stop_on_signals(stop, log):
            while not stop.is_set() and (cycles is None or summary.cycles < cycles):
                _run_cycle(
                    schedules,
                    index=index,
                    state=state,
                    settings=settings,
                    defaults=defaults,
                    every=every,
                    summary=summary,
                    log=log,
                    stop=stop,
                )
                if not schedules:
                    log("no feed left to watch")
                    break
                if cycles is None or summary.cycles < cycles:
                    stop.wait(max(0.0, min(s.due for s in schedules) - time.monotonic()))
    finally:
        if own:
            index.close()
    return summary


def _run_cycle(
    schedules: list[FeedSchedule],
    *,
    index: NewsIndex,
    state: WatchState,
    settings: Settings,
    defaults: ArticleDefaults,
    every: float,
    summary: WatchSummary,
    log: Log,
    stop: threading.Event,
) -> None:
    for feed in [s for s in schedules if s.due <= time.monotonic()]:
        if stop.is_set():
            return
        summary.polls += 1
        try:
            ingest = poll_feed(
                feed.url, index=index, state=state, settings=settings, defaults=defaults, log=log
            )
        except RefusedURLError as e:  # the settings refuse it: polling again cannot help
            summary.feed_errors += 1
            schedules.remove(feed)
            log(f"{e}; not polled again (fix it and restart the watch)")
            continue
        except SourceError as e:  # network error, HTTP error, broken XML: try again later
            summary.feed_errors += 1
            delay = feed.failed(every)
            log(f"{e}; retrying in {delay:g} s")
            continue
        feed.succeeded(every)
        summary.add(ingest)
    summary.cycles += 1


def poll_feed(
    url: str,
    *,
    index: NewsIndex,
    state: WatchState,
    settings: Settings,
    defaults: ArticleDefaults = NO_DEFAULTS,
    log: Log = print,
) -> IngestSummary:
    """Fetch one feed and ingest the entries not seen before; remember the ones stored.

    Raises:
        SourceError: the feed itself could not be fetched or parsed.
    """
    feed_source, entries = parse_feed(url, fetch(url, settings=settings))
    new = [(entry_key(e), e) for e in entries]
    new = [(key, e) for key, e in new if not state.is_seen(url, key)]
    if not new:
        return IngestSummary()
    items: list[Article | LoadFailure] = []
    keys: dict[str, str] = {}  # article origin/title -> entry key, to mark what got stored
    for key, entry in new:
        item = _load_entry(f"{url}#{key}", entry, feed_source, defaults, settings)
        items.append(item)
        if isinstance(item, Article):
            keys[item.origin or item.title] = key
    ingest = ingest_articles(items, index, progress=False, on_message=log)
    failed = {f["source"] for f in ingest.failed}
    state.mark(url, [key for name, key in keys.items() if name not in failed])
    state.save()
    for failure in ingest.failed:
        log(f"failed: {failure['source']}: {failure['error']}")
    log(f"{url}: {len(new)} new items; {ingest.line()}")
    return ingest


def _load_entry(
    name: str, entry, feed_source: str | None, defaults: ArticleDefaults, settings: Settings
) -> Article | LoadFailure:
    try:
        return article_from_entry(name, entry, feed_source, defaults, settings)
    except SourceError as e:
        return LoadFailure(e.source, e.reason)
    except Exception as e:  # one bad entry must not stop the feed
        return LoadFailure(name, f"could not be loaded ({type(e).__name__}: {e})")


@contextmanager
def stop_on_signals(stop: threading.Event, log: Log) -> Iterator[None]:
    """SIGINT/SIGTERM set `stop` (the loop ends after the current feed); a second Ctrl-C aborts."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be installed by the main thread
        return

    def handle(signum: int, _frame) -> None:
        if stop.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt
        stop.set()
        log(f"{signal.Signals(signum).name}: stopping after the current feed")

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def log_to_stderr(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)
