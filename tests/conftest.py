"""Shared fixtures: real MiniLM loaded once, real Chroma stores on temporary folders."""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import shutil
import socket
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from ingest.clean import clean_article
from ingest.pipeline import ingest_articles
from ingest.sources.articles import LoadFailure
from ingest.sources.load import load_sources
from qa.answering.ask import Asker
from qa.config import Settings
from qa.encoders.embeddings import load_embeddings
from qa.encoders.reader import MODEL_FILE, SHIPPED
from qa.news.dates import parse_date
from qa.store import NewsIndex
from qa.types import Article

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLE = FIXTURES / "putin-ready-for-talks-in-minsk.txt"
SAMPLE_TITLE = "Putin ready for talks in Minsk"
SAMPLE_DATE = "2022-02-25"
# An article whose every field tries to inject HTML, Markdown or a script into the page.
TRICKY_TITLE = "Harbour festival <b>returns</b> **tonight**"
TRICKY_SOURCE = "Port <i>Ellis</i> Gazette"
TRICKY_TEXT = """\
The harbour festival in Port Ellis returns on Saturday after a two-year pause [organisers say].
By mistake, the organisers posted the code <script>alert(1)</script> on the festival website.
The mayor called the programme **spectacular** and linked to [tickets](javascript:alert(2)) in her statement.
Tickets cost $5 for children and $10 for adults."""


# A developer's own LLM configuration must not reach the tests (nor their API key a stand-in).
HOST_LLM_VARIABLES = (
    "NEWSQA_LLM",
    "NEWSQA_LLM_MODEL",
    "NEWSQA_LLM_BASE_URL",
    "NEWSQA_LLM_API_KEY",
    "NEWSQA_LLM_TIMEOUT",
    "OPENAI_API_KEY",
)


@pytest.fixture(autouse=True)
def _isolated_state(tmp_path, monkeypatch):
    """Every test gets its own default store and no LLM or server settings from the host."""
    monkeypatch.setenv("NEWSQA_STORE", str(tmp_path / "default-store"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    for name in ("CHROMA_HOST", "NEWSQA_PASSWORD", "NEWSQA_READER", *HOST_LLM_VARIABLES):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def embeddings():
    """The real all-MiniLM-L6-v2, loaded once for the whole run."""
    return load_embeddings()


@pytest.fixture(scope="session")
def sample_path() -> Path:
    return SAMPLE


@pytest.fixture(scope="session")
def sample_text() -> str:
    return SAMPLE.read_text(encoding="utf-8")


def sample_raw_article() -> Article:
    return Article(
        title=SAMPLE_TITLE,
        text=SAMPLE.read_text(encoding="utf-8"),
        source="Sample",
        published=parse_date(SAMPLE_DATE),
        origin=str(SAMPLE),
    )


@pytest.fixture(scope="session")
def sample_article() -> Article:
    return clean_article(sample_raw_article())


@pytest.fixture(scope="session")
def sample_store(tmp_path_factory, embeddings) -> Path:
    """A store folder holding the sample article, built once per run. Treat it as read-only."""
    folder = tmp_path_factory.mktemp("sample-store")
    with NewsIndex(Settings(store_dir=folder), embeddings=embeddings) as index:
        ingest_articles([sample_raw_article()], index, progress=False)
    return folder


@pytest.fixture(scope="session")
def sample_index(sample_store, embeddings) -> NewsIndex:
    return NewsIndex(Settings(store_dir=sample_store), embeddings=embeddings)


@pytest.fixture
def altered_reader(tmp_path) -> Path:
    """A copy of the shipped reader's folder whose model file has one byte changed."""
    altered = tmp_path / "reader_model"
    shutil.copytree(SHIPPED, altered)
    data = bytearray((altered / MODEL_FILE).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (altered / MODEL_FILE).write_bytes(bytes(data))
    return altered


@pytest.fixture(scope="module")
def asker(sample_index) -> Asker:
    """An Asker on the sample store, one per test module (its history carries over)."""
    return Asker(sample_index)


def tricky_article() -> Article:
    return Article(
        title=TRICKY_TITLE,
        text=TRICKY_TEXT,
        source=TRICKY_SOURCE,
        url="javascript:alert(3)",
        published=parse_date("2024-06-01"),
    )


@pytest.fixture(scope="session")
def tricky_store(tmp_path_factory, embeddings) -> Path:
    """A store with the sample article and `tricky_article()`, built once. Read-only."""
    folder = tmp_path_factory.mktemp("tricky-store")
    with NewsIndex(Settings(store_dir=folder), embeddings=embeddings) as index:
        ingest_articles([sample_raw_article(), tricky_article()], index, progress=False)
    return folder


# A resignation dated "yesterday" and two outlets giving different casualty figures: what the
# dates, attribution and citation tests ask about through the store.
MINISTER = Article(
    title="Finance minister quits",
    text=(
        "The finance minister resigned yesterday after a week of protests over the budget. "
        "Opposition leaders welcomed the decision and called for early elections. "
        "The prime minister will name a successor next week, officials said."
    ),
    source="Daily Ledger",
    published=parse_date("2022-02-25"),
    origin="minister-quits",
)
CASUALTIES = [
    Article(
        title=f"Strike on Kharkiv ({outlet})",
        text=(
            f"At least {n} people were killed in the missile strike on Kharkiv on Tuesday, "
            f"regional officials said. {tail}"
        ),
        source=outlet,
        published=parse_date("2022-03-02"),
        origin=f"kharkiv-{outlet}",
    )
    for outlet, n, tail in [
        ("North Wire", 21, "Rescue teams searched the rubble through the night."),
        ("South Herald", 34, "The city council declared three days of mourning."),
    ]
]


@pytest.fixture(scope="session")
def news_store(tmp_path_factory, embeddings) -> Path:
    """A store with MINISTER and CASUALTIES, built once per run. Treat it as read-only."""
    folder = tmp_path_factory.mktemp("news-store")
    with NewsIndex(Settings(store_dir=folder), embeddings=embeddings) as index:
        ingest_articles([MINISTER, *CASUALTIES], index, progress=False)
    return folder


@pytest.fixture
def news_index(news_store, embeddings):
    with NewsIndex(Settings(store_dir=news_store), embeddings=embeddings) as index:
        yield index


# --- real local stand-ins for the reliability tests (servers, subprocesses, article folders) ---

REPO = Path(__file__).parent.parent
TOWNS = ("Veld", "Kor", "Mar", "Tal", "Bro", "Fen", "Gal", "Hul", "Isk", "Jor")
TOWN_ENDS = ("haven", "vath", "brook", "mere", "stad", "wick", "dorf", "ness", "holm", "ford")


def free_port() -> int:
    """A TCP port nothing listens on right now, on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def town(i: int) -> str:
    """A made-up town name, distinct for i < 100, so each article answers its own question."""
    return TOWNS[i % 10] + TOWN_ENDS[i // 10 % 10]


FILLER_SUBJECTS = (
    "The council",
    "A spokesperson",
    "Local traders",
    "The ministry",
    "Engineers",
    "Farmers",
    "The opposition",
    "Teachers",
    "Police",
    "Nurses",
    "Bankers",
    "The museum",
    "Students",
    "The union",
    "Fishermen",
    "Residents",
)
FILLER_VERBS = (
    "praised",
    "questioned",
    "delayed",
    "funded",
    "opposed",
    "reviewed",
    "welcomed",
    "criticised",
    "postponed",
    "approved",
    "debated",
    "audited",
    "cancelled",
)
FILLER_OBJECTS = (
    "the harbour tax",
    "a new school",
    "the tram plan",
    "winter heating aid",
    "the flood wall",
    "a cycling lane",
    "the orchestra budget",
    "a hospital wing",
    "the rail timetable",
    "library hours",
    "a solar farm",
    "the market square",
    "water prices",
    "a youth centre",
    "the airport expansion",
    "parking fees",
)
FILLER_TIMES = (
    "last week",
    "on Thursday",
    "in March",
    "after a long debate",
    "without a vote",
    "despite protests",
    "for the third time",
    "at a late session",
    "this spring",
)


def filler(seed: int, sentences: int = 5) -> str:
    """Distinct, deterministic news-like sentences, so templated test articles are not near
    duplicates of each other (ingest merges syndicated copies)."""
    rng = random.Random(seed)
    return " ".join(
        f"{rng.choice(FILLER_SUBJECTS)} {rng.choice(FILLER_VERBS)} {rng.choice(FILLER_OBJECTS)} "
        f"{rng.choice(FILLER_TIMES)}, said {rng.choice(TOWNS)}{rng.randrange(1000)}."
        for _ in range(sentences)
    )


def write_articles(folder: Path, count: int, *, start: int = 0) -> Path:
    """`count` small distinct news articles as .txt files (one chunk each) in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(start, start + count):
        name = town(i)
        (folder / f"{i:03d}-bridge-opens-in-{name.lower()}.txt").write_text(
            f"New bridge opens in {name}\n\n"
            f"The mayor of {name}, Ada Quill{i}, opened the new river bridge on Monday. "
            f"The bridge in {name} cost {i + 2} million euros and took three years to build. "
            f"Residents of {name} said the crossing would cut their commute in half. "
            f"{filler(i)}\n",
            encoding="utf-8",
        )
    return folder


def child_env(**extra: str) -> dict[str, str]:
    """Environment for a real `python -m ...` subprocess: offline, this repo, test settings."""
    env = {k: v for k, v in os.environ.items() if k != "CHROMA_HOST"}
    env.update(HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false", PYTHONPATH=str(REPO))
    env.update(extra)
    return env


@pytest.fixture
def local_site() -> Iterator[LocalSite]:
    """A real HTTP server on 127.0.0.1 serving `site.routes` (path -> (status, type, body))."""
    site = LocalSite()
    try:
        yield site
    finally:
        site.close()


def serve(handler: type[BaseHTTPRequestHandler]) -> ThreadingHTTPServer:
    """A threaded HTTP server on 127.0.0.1 and a free port, serving `handler` from a daemon
    thread until `stop`."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def stop(server: ThreadingHTTPServer) -> None:
    server.shutdown()
    server.server_close()


class LocalSite:
    """A threaded HTTP server whose routes tests can change while it runs.

    A route is (status, content type, body), or a function given the request handler, for
    misbehaving servers (stalls, endless bodies).
    """

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, str, bytes] | Callable] = {}
        self.hits: Counter[str] = Counter()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
                site.hits[self.path] += 1
                route = site.routes.get(self.path, (404, "text/plain", b"not found"))
                if callable(route):
                    route(self)
                    return
                status, kind, body = route
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:  # keep the test output clean
                pass

        self.server = serve(Handler)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        stop(self.server)


# --- a local OpenAI-compatible chat server, the stand-in for any LLM endpoint ---

HANG_LIMIT_S = 10.0  # a "hanging" reply gives up after this, so no test can wait forever


class ChatServer:
    """A real HTTP server on 127.0.0.1 serving POST /v1/chat/completions like OpenAI does:
    server-sent events when the request asks to stream, one JSON object otherwise.

    Replies are scripted: `replies` are given in order, the last one repeats. `hang_s` holds
    every reply back that long (the client's timeout fires first); `status` makes every
    request fail with that HTTP status. `requests` keeps the JSON bodies received.
    """

    def __init__(self, *replies: str) -> None:
        self.replies = list(replies) or ["I couldn't find this in the ingested articles."]
        self.requests: list[dict] = []
        self.authorizations: list[str | None] = []  # each request's Authorization header
        self.hang_s = 0.0
        self.status = 200
        self._released = threading.Event()
        chat = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                chat.requests.append(body)
                chat.authorizations.append(self.headers.get("Authorization"))
                if chat.hang_s:
                    chat._released.wait(min(chat.hang_s, HANG_LIMIT_S))
                if chat.status != 200:
                    return self._send(chat.status, "application/json", b'{"error": "scripted"}')
                reply = chat.next_reply()
                if body.get("stream"):
                    return self._stream(reply)
                self._send(200, "application/json", json.dumps(_completion(reply)).encode())

            def _send(self, status: int, kind: str, data: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                with contextlib.suppress(ConnectionError):  # the client timed out and left
                    self.wfile.write(data)

            def _stream(self, reply: str) -> None:
                events = [_chunk({"role": "assistant", "content": ""})]
                events += [_chunk({"content": t}) for t in re.findall(r"\S+\s*|\s+", reply)]
                events.append(_chunk({}, finish="stop"))
                data = "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"
                self._send(200, "text/event-stream", data.encode())

            def log_message(self, *args) -> None:
                pass

        self.server = serve(Handler)

    @property
    def url(self) -> str:
        """The base URL an OpenAI client is given (`NEWSQA_LLM_BASE_URL`)."""
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def next_reply(self) -> str:
        return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]

    def close(self) -> None:
        self._released.set()
        stop(self.server)


def _chunk(delta: dict, *, finish: str | None = None) -> dict:
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "stand-in",
        "choices": [choice],
    }


def _completion(reply: str) -> dict:
    message = {"role": "assistant", "content": reply}
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 0,
        "model": "stand-in",
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


@pytest.fixture
def chat_server() -> Iterator[ChatServer]:
    """A scripted OpenAI-compatible endpoint; set `.replies` in the test."""
    server = ChatServer()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def llm_env(monkeypatch, chat_server) -> ChatServer:
    """The process configured to answer with `chat_server` (a 5 s timeout, a dummy key)."""
    monkeypatch.setenv("NEWSQA_LLM", "openai")
    monkeypatch.setenv("NEWSQA_LLM_BASE_URL", chat_server.url)
    monkeypatch.setenv("NEWSQA_LLM_API_KEY", "dummy-key")
    monkeypatch.setenv("NEWSQA_LLM_TIMEOUT", "5")
    return chat_server


# --- the chat page through Streamlit's AppTest ---------------------------------------------------

APP = str(Path(__file__).parent.parent / "app.py")


def open_page(monkeypatch=None, store: Path | None = None):
    """The chat page in AppTest after its first run, on `store` when given (else $NEWSQA_STORE)."""
    from streamlit.testing.v1 import AppTest

    if store is not None:
        monkeypatch.setenv("NEWSQA_STORE", str(store))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception
    return at


def ask_page(at, question: str):
    """Type `question` into the page's chat input and run the page; returns `at`."""
    at.chat_input("question").set_value(question).run()
    assert not at.exception
    return at


# --- loading sources: test_load, test_files, test_dumps, test_decode, test_articles -----------

BODY = "Russian president Vladimir Putin has said he is prepared to hold talks with Ukraine."
FEB_25 = datetime(2022, 2, 25, tzinfo=UTC)


def load(*sources: str | Path, **options) -> list[Article | LoadFailure]:
    return list(load_sources([str(s) for s in sources], **options))


def load_article(source: str | Path, **options) -> Article:
    results = load(source, **options)
    assert len(results) == 1 and isinstance(results[0], Article), results
    return results[0]


def load_failure(source: str | Path, **options) -> LoadFailure:
    results = load(source, **options)
    assert len(results) == 1 and isinstance(results[0], LoadFailure), results
    return results[0]


def assert_fails_in_one_line(path: Path, expected: str) -> None:
    """`path` loads as one failure, named by its path, whose one-line error says `expected`."""
    failure = load_failure(path)
    assert failure.source == str(path)
    assert expected in failure.error
    assert "\n" not in failure.error


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path
