"""ingest.sources.fetch against the local news site (tests/news_site.py) on 127.0.0.1.

The site runs in a thread for the module. Because it is on a loopback address, tests pass
Settings(allow_private_urls=True), except the ones checking that such addresses are refused.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Iterator

import pytest
from news_site import SLOW_SECONDS, running_news_site

from ingest.errors import FetchError
from ingest.sources import fetch as fetch_module
from ingest.sources.fetch import FetchedPage, check_url_allowed, decode_body, fetch, format_size
from qa.config import Settings

LOCAL = Settings(allow_private_urls=True)
TINY_TIMEOUT = 0.5
ENDLESS_CAP_BYTES = 64 * 1024


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with running_news_site() as base:
        yield base


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
