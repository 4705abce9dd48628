"""`python -m ingest SOURCE...`: add articles to the store and print a summary.

Exit status: 0 nothing failed, 1 some sources failed (the rest were stored), 2 usage error.
`--dry-run` reads, cleans, dedupes and chunks, prints what an ingest would do, writes nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

from ingest.errors import UsageError
from ingest.pipeline import device_notice, ingest_sources
from ingest.preview import preview_sources
from ingest.shards import Shard, parse_shard
from ingest.sources.articles import ArticleDefaults
from ingest.watch import (
    DEFAULT_EVERY,
    format_duration,
    log_to_stderr,
    parse_duration,
    read_feed_list,
    watch_feeds,
)
from qa.config import Settings
from qa.errors import EXIT_FAILED, EXIT_OK, ConfigError
from qa.interface.command import printable, run_command
from qa.news.dates import parse_date_option
from qa.store import NewsIndex


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m ingest",
        description="Add news articles (files, folders, URLs, RSS/Atom feeds, JSON, '-' for stdin).",
    )
    p.add_argument("sources", nargs="*", metavar="SOURCE", help="file, folder, URL, feed or -")
    p.add_argument("--store", help="store folder (default: $NEWSQA_STORE or vectorstore/)")
    p.add_argument("--title", help="title for sources that have none")
    p.add_argument("--source", help="publisher name for sources that have none")
    p.add_argument("--published", help="publication date for sources that have none (YYYY-MM-DD)")
    p.add_argument("--url", help="URL for sources that have none")
    p.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="read, clean, dedupe and chunk; print what an ingest would do and the time it "
        "would take to embed; write nothing",
    )
    p.add_argument(
        "--if-empty", action="store_true", help="do nothing when the store already has articles"
    )
    p.add_argument(
        "--shard",
        metavar="I/N",
        help="read all the sources but embed and write only part I of N (1-based): N such "
        "ingests, at once on a Chroma server, store what one would (docs/scale.md)",
    )
    p.add_argument("--watch", metavar="FEEDS.txt", help="poll the feeds listed (one URL a line)")
    p.add_argument(
        "--every", default=DEFAULT_EVERY, help=f"with --watch: how often (default {DEFAULT_EVERY})"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--verbose", action="store_true", help="show tracebacks")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_command(
        lambda: run(args), verbose=args.verbose, usage_errors=(UsageError, ConfigError)
    )


def run(args: argparse.Namespace) -> int:
    if args.watch:
        return run_watch(args)
    if not args.sources:
        raise UsageError("name at least one SOURCE (a file, folder, URL, feed, or - for stdin)")
    if args.url and (len(args.sources) > 1 or Path(args.sources[0]).is_dir()):
        # One URL is one article id: shared by many articles, they would overwrite each other.
        raise UsageError("--url applies to a single article: name exactly one file, page or '-'")
    shard = parse_shard(args.shard) if args.shard is not None else None
    if shard and args.if_empty:
        # The shards that start later would find the first one's articles and do nothing.
        raise UsageError("--if-empty and --shard do not go together: drop --if-empty")
    settings = Settings.from_env(store_dir=args.store)
    if args.if_empty and not store_is_empty(settings):
        print(f"{settings.store_label} already has articles; nothing to do.")
        return EXIT_OK
    defaults = ArticleDefaults(
        title=args.title,
        source=args.source,
        published=parse_date_option("--published", args.published),
        url=args.url,
    )
    if args.dry_run:
        return run_preview(args, settings, defaults, shard)
    if notice := device_notice(settings):
        print(notice, file=sys.stderr)
    summary = ingest_sources(
        args.sources,
        settings=settings,
        defaults=defaults,
        stdin=sys.stdin,
        progress=not (args.quiet or args.json),
        on_message=lambda m: print(m, file=sys.stderr),
        shard=shard,
    )
    if args.json:
        print(json.dumps(summary.to_dict(), ensure_ascii=False))
    else:
        for failure in summary.failed:
            print(
                f"failed: {one_line(failure['source'])}: {one_line(failure['error'])}",
                file=sys.stderr,
            )
        for warning in summary.warnings:
            print(
                f"warning: {one_line(warning['source'])}: {one_line(warning['warning'])}",
                file=sys.stderr,
            )
        print(summary.line())
    return EXIT_FAILED if summary.failed else EXIT_OK


def run_preview(
    args: argparse.Namespace, settings: Settings, defaults: ArticleDefaults, shard: Shard | None
) -> int:
    """`--dry-run`: what an ingest would do, with the same exit status, and nothing written."""
    preview = preview_sources(
        args.sources,
        settings=settings,
        defaults=defaults,
        stdin=sys.stdin,
        progress=not (args.quiet or args.json),
        shard=shard,
    )
    if args.json:
        print(json.dumps(preview.to_dict(), ensure_ascii=False))
    else:
        for failure in preview.summary.failed:
            print(f"failed: {failure['source']}: {failure['error']}", file=sys.stderr)
        print("\n".join(preview.lines()))
    return EXIT_FAILED if preview.summary.failed else EXIT_OK


def run_watch(args: argparse.Namespace) -> int:
    """`--watch FEEDS.txt`: poll until Ctrl-C/SIGTERM, then print the summary (exit 0)."""
    if args.sources:
        raise UsageError("--watch reads its feeds from FEEDS.txt; name no SOURCE with it")
    if args.shard is not None:
        raise UsageError("--shard splits the sources named; --watch polls feeds whole: drop one")
    feeds = read_feed_list(Path(args.watch))
    every = parse_duration(args.every)
    settings = Settings.from_env(store_dir=args.store)
    log_to_stderr(f"watching {len(feeds)} feeds every {format_duration(every)}; Ctrl-C stops")
    summary = watch_feeds(
        feeds,
        settings=settings,
        every=every,
        defaults=ArticleDefaults(source=args.source),
    )
    print(json.dumps(asdict(summary), ensure_ascii=False) if args.json else summary.line())
    return EXIT_OK


def one_line(text: str) -> str:
    """A file, source or reason as one printable line: a name with a line break or a terminal
    escape in it is shown escaped, so it cannot forge a line or recolour the terminal."""
    return printable(text)


def store_is_empty(settings: Settings) -> bool:
    with NewsIndex(settings) as index:
        return index.count_chunks() == 0
