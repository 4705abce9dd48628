"""`python -m qa ask|stats|timeline|reindex|users`: answers, store statistics and the page's
users from the terminal."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from dataclasses import asdict
from datetime import UTC, datetime, time

from qa.answering.ask import Asker, AskOptions, check_question, clean_question
from qa.answering.coverage import Coverage
from qa.answering.timeline import DEFAULT_TIMELINE_K, build_timeline
from qa.config import LLM_PROVIDERS, Settings
from qa.errors import EXIT_OK, StoreError, UsageError
from qa.interface.command import printable, run_command
from qa.interface.preload import models_loading
from qa.interface.users import ROLES, UsersFile, check_username
from qa.news.dates import parse_date_option
from qa.retrieval.retrieve import DEFAULT_K
from qa.store import NewsIndex
from qa.types import UNKNOWN_SOURCE, Answer, AnswerStream, Citation, SearchFilters

VERBOSE_HELP = "show tracebacks"
MAX_NAMES_LISTED = 20  # sources or topics named when a --source/--topic is not in the store


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m qa", description="Ask the ingested news.")
    p.add_argument("--verbose", action="store_true", help=VERBOSE_HELP)
    sub = p.add_subparsers(dest="command", required=True)

    a = sub.add_parser("ask", help="answer a question with citations")
    a.add_argument("question")
    a.add_argument("--k", type=at_least_one, default=DEFAULT_K, help="passages to retrieve")
    a.add_argument("--source", action="append", default=[], help="only this source (repeatable)")
    a.add_argument("--topic", action="append", default=[], help="only this topic (repeatable)")
    a.add_argument("--since", help="only articles published on or after DATE")
    a.add_argument("--until", help="only articles published on or before DATE")
    a.add_argument(
        "--as-of",
        help="answer as of DATE: later articles are ignored (default: today, or the newest "
        "article's day when it is over a week old)",
    )
    a.add_argument("--json", action="store_true", help="print one JSON object")
    a.add_argument("--llm", choices=LLM_PROVIDERS, help="answer with an LLM (default: $NEWSQA_LLM)")
    a.add_argument("--llm-model", help="the LLM's model name (default: $NEWSQA_LLM_MODEL)")
    a.add_argument("--llm-base-url", help="the LLM endpoint (default: $NEWSQA_LLM_BASE_URL)")
    a.add_argument(
        "--llm-api-key",
        help="the endpoint's API key (default: $NEWSQA_LLM_API_KEY or $OPENAI_API_KEY; prefer "
        "those, since a flag is visible in shell history and process lists)",
    )
    a.add_argument(
        "--llm-timeout",
        type=float,
        metavar="SECONDS",
        help="give up on the LLM after this long and answer extractively "
        "(default: $NEWSQA_LLM_TIMEOUT or 60)",
    )
    a.add_argument(
        "--reranker",
        metavar="FOLDER",
        help="rerank passages with the cross-encoder in FOLDER (default: $NEWSQA_RERANKER; "
        "'none': off)",
    )
    a.add_argument(
        "--reader",
        metavar="FOLDER",
        help="choose the answer's sentences with this reader (default: $NEWSQA_READER or the "
        "shipped one; 'none': off)",
    )
    _store_flag(a)

    s = sub.add_parser("stats", help="what the store holds")
    s.add_argument("--json", action="store_true")
    _store_flag(s)

    t = sub.add_parser("timeline", help="dated events about a query, ordered by event date")
    t.add_argument("query")
    t.add_argument("--k", type=at_least_one, default=DEFAULT_TIMELINE_K, help="passages to read")
    t.add_argument("--source", action="append", default=[], help="only this source (repeatable)")
    t.add_argument("--topic", action="append", default=[], help="only this topic (repeatable)")
    t.add_argument(
        "--json", action="store_true", help="print a JSON list of {date, event, citation}"
    )
    _store_flag(t)

    u = sub.add_parser("users", help="the page's accounts: add, list or remove users")
    users = u.add_subparsers(dest="action", required=True)
    ua = users.add_parser("add", help="add a user (asks for the password)")
    ua.add_argument("username")
    ua.add_argument(
        "--role",
        choices=ROLES,
        default="reader",
        help="reader asks; editor also adds articles (default: reader)",
    )
    ua.add_argument("--name", help="the name the page shows (default: the username)")
    ua.add_argument(
        "--replace", action="store_true", help="set an existing user's password and role"
    )
    ua.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input (scripts) instead of asking for it",
    )
    ul = users.add_parser("list", help="the users and their roles")
    ul.add_argument("--json", action="store_true")
    ur = users.add_parser("remove", help="remove a user (their saved chats are kept)")
    ur.add_argument("username")
    for action in (ua, ul, ur):
        _store_flag(action)
    _store_flag(u)

    r = sub.add_parser(
        "reindex", help="re-embed every chunk with the configured model (after a model change)"
    )
    _store_flag(r)
    return p


def at_least_one(text: str) -> int:
    """`--k`: a whole number of at least 1 (argparse turns the error into a usage error)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _store_flag(p: argparse.ArgumentParser) -> None:
    """--store, and --verbose after the command too (`qa ask Q --verbose`, as the errors say)."""
    p.add_argument("--store", help="store folder (default: $NEWSQA_STORE or vectorstore/)")
    p.add_argument("--verbose", action="store_true", default=argparse.SUPPRESS, help=VERBOSE_HELP)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return run_command(lambda: run(args), verbose=args.verbose, usage=_usage(parser, args.command))


def _usage(parser: argparse.ArgumentParser, command: str) -> str:
    """The subcommand's own usage line, printed above a usage error."""
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices[command].format_usage()


def run(args: argparse.Namespace) -> int:
    settings = Settings.from_env(
        store_dir=args.store,
        llm=getattr(args, "llm", None),
        llm_model=getattr(args, "llm_model", None),
        llm_base_url=getattr(args, "llm_base_url", None),
        llm_api_key=getattr(args, "llm_api_key", None),
        llm_timeout=getattr(args, "llm_timeout", None),
        reranker=getattr(args, "reranker", None),
        reader=getattr(args, "reader", None),
    )
    if args.command == "users":
        return cmd_users(args, settings)
    check_options(args)
    # A reader never creates a store: a mistyped --store must not answer "I couldn't find this".
    with NewsIndex(settings, create=False) as index:
        return COMMANDS[args.command](args, index)


def require_articles(index: NewsIndex) -> None:
    """Nor does an empty store answer "I couldn't find this" (a first ingest whose sources all
    failed leaves one). Called once the store is open: opening it runs beside the models'
    loading, which this must not hold up."""
    if index.count_chunks() == 0:
        label = index.settings.store_label
        raise StoreError(
            f"The store at {label} has no articles yet: add some with "
            f"`python -m ingest SOURCE... --store {label}`, then ask again."
        )


def check_options(args: argparse.Namespace) -> None:
    """Refuse options no article can satisfy, before the store is opened (exit status 2)."""
    if args.command == "timeline" and not clean_question(args.query).strip():
        raise UsageError("the timeline query is empty: name a subject, e.g. 'talks in Minsk'")
    if args.command != "ask":
        return
    check_question(args.question)
    since = parse_date_option("--since", args.since)
    until = parse_date_option("--until", args.until)
    as_of = parse_date_option("--as-of", args.as_of)
    if since and until and since > until:
        raise UsageError(
            f"--since {args.since} is after --until {args.until}: no article can match"
        )
    if since and as_of and since > as_of:
        raise UsageError(
            f"--since {args.since} is after --as-of {args.as_of}: no article can match"
        )


def check_names(index: NewsIndex, sources: list[str], topics: list[str]) -> None:
    """Refuse a --source or --topic the store does not have, naming the ones it has."""
    for flag, wanted, known in (
        ("--source", sources, index.catalog.source_names),
        ("--topic", topics, index.catalog.topic_names),
    ):
        # articles without a source have "", which statistics and --source call "(unknown)"
        known = [name or (UNKNOWN_SOURCE if flag == "--source" else "") for name in known]
        known = [name for name in known if name]
        lower = {name.lower() for name in known}
        missing = [name for name in wanted if name.lower() not in lower]
        if missing:
            have = ", ".join(repr(n) for n in known[:MAX_NAMES_LISTED]) or "none"
            more = (
                f" and {len(known) - MAX_NAMES_LISTED} more"
                if len(known) > MAX_NAMES_LISTED
                else ""
            )
            raise UsageError(
                f"{flag} {missing[0]!r}: the store has no articles from it; it has {have}{more}"
            )


def source_filters(names: list[str]) -> tuple[str, ...]:
    """--source values as stored: "(unknown)" is the articles without a source."""
    return tuple("" if name.lower() == UNKNOWN_SOURCE else name for name in names)


def cmd_ask(args: argparse.Namespace, index: NewsIndex) -> int:
    with models_loading(index.settings):  # loaded beside the store's opening, as the page does
        index.refresh()
        require_articles(index)
        check_names(index, args.source, args.topic)
    options = AskOptions(
        k=args.k,
        sources=source_filters(args.source),
        topics=tuple(args.topic),
        since=parse_date_option("--since", args.since),
        until=parse_date_option("--until", args.until),
        as_of=parse_date_option("--as-of", args.as_of) or default_as_of(index),
    )
    stream = Asker(index).ask_stream(args.question, options)
    if args.json:
        print(json.dumps(stream.finish().to_dict(), ensure_ascii=False))
        return EXIT_OK
    if stream.live:
        answer = print_stream(stream)
    else:  # found whole: lead with the short answer
        answer = stream.finish()
        if answer.short_answer and not answer.abstained:
            print(bold(answer.short_answer))
        print(answer.text, flush=True)
    if answer.notice:
        print(f"note: {answer.notice}", file=sys.stderr)
    listed: set[int] = set()
    for c in answer.citations:
        if c.n in listed:
            continue  # sentences (or the headline) of one article share its [n]
        listed.add(c.n)
        p = c.passage
        meta = ", ".join(x for x in (p.source, p.published_date, p.url) if x)
        line = f"  [{c.n}] {p.title or '(untitled)'}" + (f" ({meta})" if meta else "")
        print(printable(line))
    return EXIT_OK


def default_as_of(index: NewsIndex) -> datetime:
    """Now for a live feed; the end of the newest article's day for an archive (Coverage)."""
    day = Coverage.of(index).default_as_of()
    now = datetime.now(UTC)
    return now if day == now.date() else datetime.combine(day, time.max, tzinfo=UTC)


def bold(text: str) -> str:
    """`text` in bold on a terminal, as it is on a pipe."""
    return f"\033[1m{text}\033[0m" if sys.stdout.isatty() else text


def print_stream(stream: AnswerStream) -> Answer:
    """Print the answer's text as it arrives (LLM tokens as they are written); return the Answer."""
    for chunk in stream:
        print(printable(chunk, keep_newlines=True), end="", flush=True)
    print(flush=True)
    return stream.finish()


def cmd_stats(args: argparse.Namespace, index: NewsIndex) -> int:
    stats = index.stats()
    stats["as_of_default"] = default_as_of(index).date().isoformat()
    if args.json:
        print(json.dumps(stats, ensure_ascii=False))
        return EXIT_OK
    print(printable(f"{stats['articles']} articles, {stats['chunks']} chunks in {stats['store']}"))
    print(f"embedding model: {stats['embedding_model']}")
    print(f"covers: articles published {stats['oldest'] or '-'} to {stats['newest'] or '-'}")
    print(f"answers as of: {stats['as_of_default']} unless --as-of is given")
    print(f"last updated: {stats['last_updated'] or '-'}")
    print("sources:")
    for name, count in stats["sources"].items():
        print(f"  {count:6d}  {printable(name)}")
    if stats.get("topics"):
        print("topics:")
        for name, count in stats["topics"].items():
            print(f"  {count:6d}  {printable(name)}")
    return EXIT_OK


def cmd_timeline(args: argparse.Namespace, index: NewsIndex) -> int:
    require_articles(index)
    check_names(index, args.source, args.topic)
    filters = SearchFilters(sources=source_filters(args.source), topics=tuple(args.topic))
    events = build_timeline(index, args.query, k=args.k, filters=filters)
    if args.json:
        print(json.dumps([e.to_dict() for e in events], ensure_ascii=False))
        return EXIT_OK
    if not events:
        print("No dated events found for this query in the ingested articles.")
        return EXIT_OK
    for e in events:
        marker = " (published)" if e.dated_by == "published" else ""
        print(printable(f"{e.date}{marker}  {e.event}  [{e.citation.n}]"))
    print("sources:")
    print_sources([e.citation for e in events])
    return EXIT_OK


def print_sources(citations: list[Citation]) -> None:
    """One line per article cited, as `qa ask` lists them: [n] title (source, date, url)."""
    listed: set[int] = set()
    for c in citations:
        if c.n in listed:
            continue
        listed.add(c.n)
        p = c.passage
        meta = ", ".join(x for x in (p.source, p.published_date, p.url) if x)
        print(printable(f"  [{c.n}] {p.title or '(untitled)'}" + (f" ({meta})" if meta else "")))


def cmd_reindex(args: argparse.Namespace, index: NewsIndex) -> int:
    """Re-embed the store with NEWSQA_EMBEDDING_MODEL; the guards then accept it."""
    label, model = index.settings.store_label, index.settings.embedding_model
    print(f"Re-embedding {label} with {model}...", file=sys.stderr)
    done = index.reindex()
    print(f"Re-embedded {done} chunks in {label} with {model}.")
    return EXIT_OK


def cmd_users(args: argparse.Namespace, settings: Settings) -> int:
    """`qa users add|list|remove`: the page's users file (`Settings.users_path`)."""
    users = UsersFile(settings.users_path)
    if args.action == "list":
        found = users.users()
        if args.json:
            print(json.dumps([asdict(u) for u in found], ensure_ascii=False))
        elif not found:
            print(f"No users in {users.path}: the page asks no one to sign in (see the README).")
        width = max((len(u.username) for u in found), default=0)
        for user in [] if args.json else found:
            print(printable(f"{user.username:<{width}}  {user.role:<6}  {user.name}"))
        return EXIT_OK
    if args.action == "remove":
        users.remove(args.username)
        print(f"Removed {args.username} from {users.path}.")
        return EXIT_OK
    check_username(args.username)
    password = read_password(args)
    user = users.add(args.username, password, role=args.role, name=args.name, replace=args.replace)
    print(
        f"{'Updated' if args.replace else 'Added'} {user.username} ({user.role}) in {users.path}."
    )
    return EXIT_OK


def read_password(args: argparse.Namespace) -> str:
    """The new user's password: one line of stdin with --password-stdin, else asked twice."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise UsageError("no terminal to ask the password on: pipe it in with --password-stdin")
    first = getpass.getpass(f"Password for {args.username}: ")
    if getpass.getpass("Again: ") != first:
        raise UsageError("the two passwords differ: run the command again")
    return first


COMMANDS = {"ask": cmd_ask, "stats": cmd_stats, "timeline": cmd_timeline, "reindex": cmd_reindex}
