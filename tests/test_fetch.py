"""ingest.fetch, and loading web pages and feeds, against a real HTTP server on 127.0.0.1.

The server runs in a thread for the module; nothing here touches any other host.
Because it is on a loopback address, tests pass Settings(allow_private_urls=True),
except the ones checking that such addresses are refused by default.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from ingest import fetch as fetch_module
from ingest.errors import FetchError
from ingest.fetch import FetchedPage, check_url_allowed, decode_body, fetch, format_size
from ingest.load import ArticleDefaults, LoadFailure, load_sources
from qa.config import Settings
from qa.models import Article

FIXTURES = Path(__file__).parent / "fixtures"
LOCAL = Settings(allow_private_urls=True)
SLOW_SECONDS = 3.0  # how long /slow stalls; tests give up after TINY_TIMEOUT
TINY_TIMEOUT = 0.5
ENDLESS_CAP_BYTES = 64 * 1024
ENDLESS_GIVE_UP_BYTES = 64 * 1024 * 1024  # the handler stops even if the client never does
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

PARAGRAPHS = {
    "/a/1": (
        "Lavrov says Russia is ready for talks",
        "Russian foreign minister Sergei Lavrov said on Friday that Moscow was ready for "
        "negotiations with Kyiv once the Ukrainian army laid down its arms.",
        "Speaking at a press conference in Moscow, Lavrov said the Kremlin did not intend to "
        "occupy Ukraine and repeated the demand that the country adopt a neutral status.",
    ),
    "/a/2": (
        "Kyiv rejects surrender terms",
        "Ukrainian officials said they were open to discussing a ceasefire but would not accept "
        "conditions that amounted to surrender, and asked partners for more sanctions.",
        "President Volodymyr Zelensky said in a video address that the capital remained under "
        "Ukrainian control and that the defenders would not lay down their weapons.",
    ),
}


def news_page(title: str, *paragraphs: str) -> bytes:
    """A plain article page with no site name, as a small news site might serve it."""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<html><head><title>{title}</title></head><body><nav><a href='/'>Home</a></nav>"
        f"<article><h1>{title}</h1>{body}</article></body></html>"
    ).encode()


class NewsHandler(BaseHTTPRequestHandler):
    """Routes for every case the tests need; each route is one small method."""

    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        base = f"http://{self.headers['Host']}"
        route = {
            "/article.html": lambda: self._send(
                200, "text/html; charset=utf-8", (FIXTURES / "article.html").read_bytes()
            ),
            "/empty.html": lambda: self._send(
                200, "text/html", (FIXTURES / "no-article.html").read_bytes()
            ),
            "/rss": lambda: self._send(
                200, "application/rss+xml", self._feed("feed-rss.xml", base)
            ),
            "/atom": lambda: self._send(
                200, "application/atom+xml", self._feed("feed-atom.xml", base)
            ),
            "/feed-as-html": lambda: self._send(200, "text/html", self._feed("feed-rss.xml", base)),
            "/bad-feed": lambda: self._send(
                200, "application/rss+xml", b"<rss><channel><item><title>a</ti"
            ),
            "/plain.txt": lambda: self._send(
                200, "text/plain; charset=utf-8", b"Plain title\n\nPlain text body."
            ),
            "/image.png": lambda: self._send(200, "image/png", PNG),
            "/paper.pdf": lambda: self._send(200, "application/pdf", b"%PDF-1.4"),
            "/loop": lambda: self._redirect("/loop"),
            "/hop": lambda: self._redirect("/article.html"),
            "/to-metadata": lambda: self._redirect("http://169.254.169.254/latest/meta-data/"),
            "/to-loopback": lambda: self._redirect(f"http://127.0.0.2:{self.server.server_port}/"),
            "/slow": self._slow,
            "/endless": self._endless,
            "/500": lambda: self._send(500, "text/html", b"<h1>oops</h1>"),
        }.get(self.path)
        if route is None and self.path in PARAGRAPHS:
            route = lambda: self._send(200, "text/html", news_page(*PARAGRAPHS[self.path]))  # noqa: E731
        (route or (lambda: self._send(404, "text/html", b"<h1>Not found</h1>")))()

    def _send(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _feed(self, name: str, base: str) -> bytes:
        return (FIXTURES / name).read_text(encoding="utf-8").replace("{base}", base).encode()

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _slow(self) -> None:
        time.sleep(SLOW_SECONDS)
        self._send(200, "text/html", news_page(*PARAGRAPHS["/a/1"]))

    def _endless(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        chunk = b"<p>" + b"x" * 8187 + b"</p>"
        for _ in range(ENDLESS_GIVE_UP_BYTES // len(chunk)):
            self.wfile.write(chunk)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        pass  # keep test output clean


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True  # a stalled /slow handler must not hold up shutdown

    def handle_error(self, request, client_address) -> None:
        pass  # clients hanging up on /slow and /endless is the point of those routes


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = QuietServer(("127.0.0.1", 0), NewsHandler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


# --- fetch -------------------------------------------------------------------------------


def test_fetch_html_page(server):
    page = fetch(f"{server}/article.html", settings=LOCAL)
    assert (page.status, page.content_type, page.charset) == (200, "text/html", "utf-8")
    assert page.url == f"{server}/article.html"
    assert "Sergei Lavrov" in page.text


def test_fetch_follows_a_redirect_to_the_final_url(server):
    page = fetch(f"{server}/hop", settings=LOCAL)
    assert page.url == f"{server}/article.html"


@pytest.mark.parametrize(
    ("path", "options", "expected"),
    [
        ("/missing", {}, "the server answered HTTP 404 Not Found"),
        ("/500", {}, "the server answered HTTP 500 Internal Server Error"),
        ("/loop", {}, "too many redirects (more than 5)"),
        ("/image.png", {}, "is image/png, not a web page or feed"),
        ("/paper.pdf", {}, "is application/pdf, not a web page or feed"),
        ("/slow", {"timeout": TINY_TIMEOUT}, "timed out after 0.5 s"),
        ("/endless", {"max_bytes": ENDLESS_CAP_BYTES}, "is larger than the 64 KB limit"),
        ("/article.html", {"max_bytes": 100}, "over the 100 bytes limit"),
    ],
)
def test_fetch_errors_name_the_url_and_the_problem(server, path, options, expected):
    started = time.monotonic()
    with pytest.raises(FetchError) as caught:
        fetch(f"{server}{path}", settings=LOCAL, **options)
    assert caught.value.source == f"{server}{path}"
    assert expected in caught.value.reason
    assert time.monotonic() - started < SLOW_SECONDS  # bounded, never waits the server out


def test_private_address_is_refused_by_default(server):
    with pytest.raises(FetchError) as caught:
        fetch(f"{server}/article.html", settings=Settings())
    assert "resolves to a private address (127.0.0.1)" in caught.value.reason
    assert "set NEWSQA_ALLOW_PRIVATE_URLS=1 to allow it" in caught.value.reason


@pytest.fixture
def only_this_server_is_public(monkeypatch):
    """Treat 127.0.0.1 (this test server) as a public address and nothing else new.

    No public host is reachable offline, so this is the one seam the redirect and
    DNS-rebinding tests need: every other address is judged by the real rule.
    """
    real = fetch_module._is_public
    monkeypatch.setattr(fetch_module, "_is_public", lambda a: str(a) == "127.0.0.1" or real(a))
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    ("path", "refused"),
    [("/to-metadata", "169.254.169.254"), ("/to-loopback", "127.0.0.2")],
)
def test_a_redirect_to_a_private_address_is_refused(
    server, only_this_server_is_public, path, refused
):
    """The first hop is allowed; the hop it redirects to is checked before it is requested."""
    with pytest.raises(FetchError) as caught:
        fetch(f"{server}{path}", settings=Settings())
    assert caught.value.source == f"{server}{path}"
    assert f"{refused} resolves to a private address ({refused})" in caught.value.reason
    assert "NEWSQA_ALLOW_PRIVATE_URLS=1" in caught.value.reason


def test_dns_rebinding_is_refused_at_the_connected_address(server, monkeypatch):
    """The check's DNS answer is public, the connection lands on loopback: refused."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    rebinding = [ipaddress.ip_address("93.184.216.34")]  # what a hostile DNS answers first
    monkeypatch.setattr(fetch_module, "_resolve", lambda host, port, *, source: rebinding)
    url = server.replace("127.0.0.1", "localhost") + "/article.html"
    with pytest.raises(FetchError) as caught:
        fetch(url, settings=Settings())
    assert caught.value.source == url
    assert "localhost connected to a private address (127.0.0.1)" in caught.value.reason
    assert "NEWSQA_ALLOW_PRIVATE_URLS=1" in caught.value.reason
    fetch(url, settings=LOCAL)  # allowed when the user says so


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost/",
        "http://127.0.0.1:8080/admin",
        "http://127.0.0.2:8080/a",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://10.1.2.3/",
        "http://192.168.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://0.0.0.0/",
        "http://224.0.0.1/",
        "http://100.64.0.1/",
    ],
)
def test_non_public_addresses_are_refused(url):
    with pytest.raises(FetchError, match="resolves to a private address") as caught:
        check_url_allowed(url, settings=Settings())
    assert "NEWSQA_ALLOW_PRIVATE_URLS=1" in caught.value.reason  # says how to allow it
    check_url_allowed(url, settings=LOCAL)  # allowed when the user says so


def test_public_address_literal_is_allowed():
    check_url_allowed("https://93.184.216.34/news", settings=Settings())


@pytest.mark.parametrize("url", ["ftp://example.com/a", "file:///etc/passwd", "http:///nohost"])
def test_only_http_urls_are_allowed(url):
    with pytest.raises(FetchError, match="is not an http"):
        check_url_allowed(url, settings=LOCAL)


@pytest.mark.parametrize(
    ("body", "declared", "expected"),
    [
        ("Zürich".encode("latin-1"), "iso-8859-1", "Zürich"),
        ("Zürich".encode(), None, "Zürich"),
        ("“Zürich”".encode("cp1252"), None, "“Zürich”"),
        ("<meta charset='windows-1251'>Киев".encode("cp1251"), None, "Киев"),
        (b"\xef\xbb\xbfZ\xc3\xbcrich", None, "Zürich"),
        ("Zürich".encode("utf-16"), None, "Zürich"),
        ("Zürich".encode(), "no-such-charset", "Zürich"),
    ],
)
def test_decode_body(body, declared, expected):
    assert decode_body(body, declared).endswith(expected)


@pytest.mark.parametrize(
    ("n_bytes", "expected"),
    [(100, "100 bytes"), (64 * 1024, "64 KB"), (10 * 1024 * 1024, "10 MB"), (1536, "1.5 KB")],
)
def test_format_size(n_bytes, expected):
    assert format_size(n_bytes) == expected


def test_fetched_page_text_uses_declared_charset():
    page = FetchedPage("http://x/", 200, "text/html", "Zürich".encode("latin-1"), "latin-1")
    assert page.text == "Zürich"


# --- loading pages and feeds -------------------------------------------------------------


def load(*sources: str, settings: Settings = LOCAL, **options) -> list[Article | LoadFailure]:
    return list(load_sources(list(sources), settings=settings, **options))


def test_html_url_becomes_an_article(server):
    [article] = load(f"{server}/article.html")
    assert article.title == "Lavrov says Russia is ready for talks"
    assert article.source == "Example News"
    assert article.url == article.origin == f"{server}/article.html"
    assert article.published == datetime(2022, 2, 25, tzinfo=UTC)
    assert article.authors == ["Jane Reporter"]
    assert article.text.startswith("Russian foreign minister")


@pytest.mark.parametrize(
    ("defaults", "expected_source"),
    [(ArticleDefaults(), "127.0.0.1"), (ArticleDefaults(source="Wire"), "Wire")],
)
def test_page_without_site_name_is_sourced_from_defaults_else_host(
    server, defaults, expected_source
):
    [article] = load(f"{server}/a/2", defaults=defaults)
    assert article.source == expected_source
    assert article.title == "Kyiv rejects surrender terms"


def test_plain_text_url_becomes_an_article(server):
    [article] = load(f"{server}/plain.txt")
    assert (article.title, article.text) == ("Plain title", "Plain text body.")


def test_rss_feed_with_full_content_is_not_fetched_further(server):
    articles = load(f"{server}/rss")
    assert all(isinstance(a, Article) for a in articles), articles  # links would 404 if fetched
    first, second = articles
    assert first.title == "Putin ready for talks in Minsk"
    assert first.source == "Example World News"
    assert first.url == first.origin == f"{server}/never-fetched/1"
    assert first.published == datetime(2022, 2, 25, 9, 15, tzinfo=UTC)
    assert first.authors == ["Jane Reporter"]
    assert first.topics == ["Ukraine", "Diplomacy"]
    assert first.text.startswith("Russian president Vladimir Putin has said")
    assert "\nIn a call with" in first.text and "trackPageView" not in first.text
    assert second.title == "EU agrees second package of sanctions"


def test_feed_served_as_html_is_still_read_as_a_feed(server):
    assert len([a for a in load(f"{server}/feed-as-html") if isinstance(a, Article)]) == 2


def test_atom_feed_with_links_fetches_each_entry_and_fails_per_entry(server):
    first, second, third = load(f"{server}/atom")
    assert isinstance(first, Article) and isinstance(second, Article), (first, second)
    assert first.title == "Lavrov says Russia is ready for talks"
    assert first.source == "Example Wire"
    assert first.authors == ["Wire Staff"]
    assert first.published == datetime(2022, 2, 25, 10, 30, tzinfo=UTC)
    assert first.text.startswith("Russian foreign minister Sergei Lavrov said on Friday")
    assert second.url == f"{server}/a/2"  # the relative link, resolved against the feed
    assert second.text.startswith("Ukrainian officials said")
    assert third.source == f"{server}/atom#3"
    assert "HTTP 404" in third.error and f"{server}/missing" in third.error


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/bad-feed", "is not a valid RSS/Atom feed"),
        ("/empty.html", "has no article text"),
        ("/missing", "HTTP 404"),
        ("/image.png", "is image/png"),
    ],
)
def test_bad_url_is_one_failure(server, path, expected):
    [failure] = load(f"{server}{path}")
    assert isinstance(failure, LoadFailure) and failure.source == f"{server}{path}"
    assert expected in failure.error


def test_private_url_is_a_failure_with_the_hint_by_default(server):
    [failure] = load(f"{server}/article.html", settings=Settings())
    assert isinstance(failure, LoadFailure)
    assert "NEWSQA_ALLOW_PRIVATE_URLS=1" in failure.error


def test_without_settings_private_urls_are_refused(server):
    [failure] = list(load_sources([f"{server}/rss"]))
    assert isinstance(failure, LoadFailure) and "private address" in failure.error
