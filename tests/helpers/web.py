"""The tests' one local HTTP server: threaded, on 127.0.0.1 and a free port, with timeouts.

`LocalSite` serves routes that a test may change while it runs; a route is (status, content
type, body), or a function given the request handler, for misbehaving servers. The helpers
below make such functions (redirects, stalls, endless bodies); `news_site_routes` is the small
news site of test_fetch and test_web. `serve` runs any handler (the stand-in LLM uses it).
Nothing here touches any other host.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from helpers.paths import FIXTURES

HOST = "127.0.0.1"
REQUEST_TIMEOUT_S = 30.0  # a client that stops reading or writing cannot hold a thread longer
JOIN_TIMEOUT_S = 5.0
SLOW_SECONDS = 3.0  # how long the news site's /slow stalls; clients give up well before
ENDLESS_GIVE_UP_BYTES = 64 * 1024 * 1024  # an endless body stops even if the client never does
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

Route = tuple[int, str, bytes] | Callable[[BaseHTTPRequestHandler], None]


def free_port() -> int:
    """A TCP port nothing listens on right now, on 127.0.0.1."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class QuietHandler(BaseHTTPRequestHandler):
    """A request handler with a socket timeout that logs nothing (keeps the test output clean)."""

    timeout = REQUEST_TIMEOUT_S

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        pass


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True  # a stalled handler must not hold up shutdown
    thread: threading.Thread | None = None

    def handle_error(self, request, client_address) -> None:
        pass  # clients hanging up on stalls and endless bodies is the point of those routes


def serve(handler: type[QuietHandler]) -> QuietServer:
    """`handler` served on 127.0.0.1 and a free port from a daemon thread, until `stop`."""
    server = QuietServer((HOST, 0), handler)
    server.thread = threading.Thread(target=server.serve_forever, daemon=True)
    server.thread.start()
    return server


def stop(server: QuietServer) -> None:
    server.shutdown()
    server.server_close()
    if server.thread is not None:
        server.thread.join(timeout=JOIN_TIMEOUT_S)


def base_url(server: ThreadingHTTPServer) -> str:
    return f"http://{HOST}:{server.server_address[1]}"


class LocalSite:
    """A threaded HTTP server whose routes tests can change while it runs; `hits` counts the
    requests for each path. An unknown path answers 404."""

    def __init__(self, routes: dict[str, Route] | None = None) -> None:
        self.routes: dict[str, Route] = dict(routes or {})
        self.hits: Counter[str] = Counter()
        site = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
                site.hits[self.path] += 1
                route = site.routes.get(self.path, (404, "text/html", b"<h1>Not found</h1>"))
                if callable(route):
                    route(self)
                else:
                    send(self, *route)

        self.server = serve(Handler)

    @property
    def base(self) -> str:
        return base_url(self.server)

    def close(self) -> None:
        stop(self.server)


# --- routes that misbehave, or answer by the request ---------------------------------------


def send(handler: BaseHTTPRequestHandler, status: int, kind: str, body: bytes) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", kind)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    with contextlib.suppress(ConnectionError):  # the client timed out and left
        handler.wfile.write(body)


def redirect(location: str) -> Route:
    """A 302 to `location`."""

    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(302)
        handler.send_header("Location", location)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return route


def stall(seconds: float, kind: str, body: bytes) -> Route:
    """Waits `seconds`, then answers 200 with `body`."""

    def route(handler: BaseHTTPRequestHandler) -> None:
        time.sleep(seconds)
        send(handler, 200, kind, body)

    return route


def endless(chunk: bytes) -> Route:
    """A 200 text/html body of `chunk` repeated, with no length, until the client hangs up (or
    ENDLESS_GIVE_UP_BYTES)."""

    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.end_headers()
        with contextlib.suppress(OSError):  # the client hung up at its limit, as it should
            for _ in range(ENDLESS_GIVE_UP_BYTES // len(chunk)):
                handler.wfile.write(chunk)

    return route


# --- the news site of test_fetch and test_web ------------------------------------------------

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


def feed(name: str, kind: str) -> Route:
    """The fixture feed `name`, its links pointing at the site that serves it."""

    def route(handler: BaseHTTPRequestHandler) -> None:
        text = (FIXTURES / name).read_text(encoding="utf-8")
        send(
            handler, 200, kind, text.replace("{base}", f"http://{handler.headers['Host']}").encode()
        )

    return route


def to_loopback(handler: BaseHTTPRequestHandler) -> None:
    """A redirect to this very server by another loopback address."""
    redirect(f"http://127.0.0.2:{handler.server.server_address[1]}/")(handler)


def news_site_routes() -> dict[str, Route]:
    """Article pages, feeds, redirects, and misbehaving routes (stalls, endless bodies, errors)."""
    return {
        "/article.html": (
            200,
            "text/html; charset=utf-8",
            (FIXTURES / "article.html").read_bytes(),
        ),
        "/empty.html": (200, "text/html", (FIXTURES / "no-article.html").read_bytes()),
        "/rss": feed("feed-rss.xml", "application/rss+xml"),
        "/atom": feed("feed-atom.xml", "application/atom+xml"),
        "/feed-as-html": feed("feed-rss.xml", "text/html"),
        "/bad-feed": (200, "application/rss+xml", b"<rss><channel><item><title>a</ti"),
        "/plain.txt": (200, "text/plain; charset=utf-8", b"Plain title\n\nPlain text body."),
        "/image.png": (200, "image/png", PNG),
        "/paper.pdf": (200, "application/pdf", b"%PDF-1.4"),
        "/loop": redirect("/loop"),
        "/hop": redirect("/article.html"),
        "/to-metadata": redirect("http://169.254.169.254/latest/meta-data/"),
        "/to-loopback": to_loopback,
        "/slow": stall(SLOW_SECONDS, "text/html", news_page(*PARAGRAPHS["/a/1"])),
        "/endless": endless(b"<p>" + b"x" * 8187 + b"</p>"),
        "/500": (500, "text/html", b"<h1>oops</h1>"),
        **{path: (200, "text/html", news_page(*page)) for path, page in PARAGRAPHS.items()},
    }
