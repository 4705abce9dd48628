"""A local news site on 127.0.0.1 for test_fetch and test_web: article pages, feeds, redirects,
and misbehaving routes (stalls, endless bodies, errors). Nothing here touches any other host.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"
SLOW_SECONDS = 3.0  # how long /slow stalls; tests give up after TINY_TIMEOUT
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


@contextmanager
def running_news_site() -> Iterator[str]:
    """Serve NewsHandler from a thread; yields the base URL."""
    httpd = QuietServer(("127.0.0.1", 0), NewsHandler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
