"""Fetch one web page or feed over HTTP(S), safely: bounded in size, time and redirects.

Every hop, and the address each connection really reached, must be public unless
`Settings.allow_private_urls` is set, so a feed cannot make the ingester read a router page or
a cloud metadata endpoint. Any failure is a `FetchError` naming the URL and what to do.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import time
import urllib.request
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

from ingest.errors import FetchError, RefusedURLError
from qa.config import Settings

MAX_FETCH_BYTES = 10 * 1024 * 1024  # no news page or feed is near this; stops endless bodies
FETCH_TIMEOUT = 15.0  # seconds for the whole fetch, redirects included
MAX_REDIRECTS = 5
USER_AGENT = "newsqa/0.1 (offline news question answering; article ingester)"
DEFAULT_ACCEPT = (
    "text/html,application/xhtml+xml,application/rss+xml,application/atom+xml,"
    "application/xml;q=0.9,text/*;q=0.8"
)
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
CHARSET_SNIFF_BYTES = 2048  # <meta charset> must appear this early (HTML spec: 1024)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w.:-]+)""", re.IGNORECASE)


@dataclass(frozen=True)
class FetchedPage:
    """A successful response: final URL after redirects, status, media type and raw body."""

    url: str
    status: int
    content_type: str  # media type only, lower-case ("text/html"); "" when the server sent none
    body: bytes
    charset: str | None = None  # as declared in the Content-Type header

    @property
    def text(self) -> str:
        """The body decoded with the declared charset, else the one the page declares or implies."""
        return decode_body(self.body, self.charset)


def fetch(
    url: str,
    *,
    settings: Settings,
    max_bytes: int = MAX_FETCH_BYTES,
    timeout: float = FETCH_TIMEOUT,
    accept: str = DEFAULT_ACCEPT,
) -> FetchedPage:
    """Fetch `url`, following up to MAX_REDIRECTS redirects by hand so every hop is checked.

    Args:
        url: an http(s) URL.
        settings: `allow_private_urls` decides whether private/loopback hosts may be fetched.
        max_bytes: the body is refused once it grows past this many bytes.
        timeout: seconds allowed for the whole fetch, redirects included.
        accept: the Accept header sent.

    Returns:
        The final page, with a status below 400 and an HTML, XML, feed or text media type.

    Raises:
        FetchError: refused address, network error, timeout, redirect loop, HTTP error
            status, unsupported media type, or a body over `max_bytes`.
    """
    deadline = time.monotonic() + timeout
    headers = {"User-Agent": USER_AGENT, "Accept": accept}
    # trust_env stays on: users behind a proxy configure it through HTTP(S)_PROXY.
    with httpx.Client(headers=headers, timeout=timeout, follow_redirects=False) as client:
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            check_url_allowed(current, settings=settings, source=url)
            try:
                page = _request(
                    client,
                    current,
                    settings=settings,
                    source=url,
                    deadline=deadline,
                    max_bytes=max_bytes,
                )
            except httpx.TimeoutException as e:
                raise FetchError(url, f"timed out after {timeout:g} s") from e
            except httpx.HTTPError as e:
                raise FetchError(url, f"could not be fetched ({_describe(e)})") from e
            if isinstance(page, FetchedPage):
                return page
            current = page  # a redirect target
    raise FetchError(
        url, f"too many redirects (more than {MAX_REDIRECTS}); the site may redirect in a loop"
    )


def _request(
    client: httpx.Client,
    url: str,
    *,
    settings: Settings,
    source: str,
    deadline: float,
    max_bytes: int,
) -> FetchedPage | str:
    """One hop: the page, or the absolute URL it redirects to."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise httpx.ReadTimeout("total time limit")
    with client.stream("GET", url, timeout=remaining) as response:
        _check_peer(response, settings=settings, source=source)
        if response.status_code in REDIRECT_STATUSES and "location" in response.headers:
            return urljoin(url, response.headers["location"])
        if response.status_code >= 400:
            reason = f"{response.status_code} {response.reason_phrase}".strip()
            raise FetchError(source, f"the server answered HTTP {reason}")
        media_type, charset = _parse_content_type(response.headers.get("content-type", ""))
        _check_media_type(media_type, source=source)
        _check_declared_length(response, source=source, max_bytes=max_bytes)
        body = _read_capped(response, source=source, deadline=deadline, max_bytes=max_bytes)
        return FetchedPage(str(response.url), response.status_code, media_type, body, charset)


def _check_peer(response: httpx.Response, *, settings: Settings, source: str) -> None:
    """Refuse a response from a non-public address, whatever the earlier DNS answer said.

    `check_url_allowed` resolved the host before the request; the connection resolves it
    again, and a hostile DNS server can answer differently the second time (DNS rebinding).
    The address actually connected to is checked here, before any of the body is read.
    Behind a proxy the peer is the proxy, so the check is left to `check_url_allowed`.
    """
    if settings.allow_private_urls or _uses_proxy(str(response.url)):
        return
    stream = response.extensions.get("network_stream")
    peer = stream.get_extra_info("server_addr") if stream is not None else None
    if not peer:
        return
    address = ipaddress.ip_address(str(peer[0]).split("%")[0])
    if not _is_public(address):
        host = urlsplit(str(response.url)).hostname
        raise RefusedURLError(
            source,
            f"{host} connected to a private address ({address}); "
            "set NEWSQA_ALLOW_PRIVATE_URLS=1 to allow it",
        )


def _uses_proxy(url: str) -> bool:
    proxies = urllib.request.getproxies()
    scheme = urlsplit(url).scheme
    if not (proxies.get(scheme) or proxies.get("all")):
        return False
    return not urllib.request.proxy_bypass(urlsplit(url).hostname or "")


def _read_capped(
    response: httpx.Response, *, source: str, deadline: float, max_bytes: int
) -> bytes:
    # Per-read timeouts alone let a server trickle one byte at a time for ever.
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise FetchError(source, f"is larger than the {format_size(max_bytes)} limit")
        if time.monotonic() > deadline:
            raise httpx.ReadTimeout("total time limit", request=response.request)
        chunks.append(chunk)
    return b"".join(chunks)


def _check_declared_length(response: httpx.Response, *, source: str, max_bytes: int) -> None:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise FetchError(
            source, f"is {format_size(int(declared))}, over the {format_size(max_bytes)} limit"
        )


def _parse_content_type(header: str) -> tuple[str, str | None]:
    media_type, _, params = header.partition(";")
    match = re.search(r"charset\s*=\s*\"?([\w.:-]+)", params, re.IGNORECASE)
    return media_type.strip().lower(), match.group(1) if match else None


def is_readable_media_type(media_type: str) -> bool:
    """HTML, XML (feeds included) and plain text are readable; images, PDFs, binaries are not."""
    if not media_type or media_type.startswith("text/"):
        return True  # no type at all: let the body decide
    return media_type.endswith(("/xml", "+xml")) or media_type in {
        "application/rss",
        "application/atom",
    }


def _check_media_type(media_type: str, *, source: str) -> None:
    if not is_readable_media_type(media_type):
        raise FetchError(
            source,
            f"is {media_type}, not a web page or feed; newsqa reads HTML pages and RSS/Atom "
            "feeds (download and convert other documents to .txt first)",
        )


def check_url_allowed(url: str, *, settings: Settings, source: str | None = None) -> None:
    """Refuse non-http(s) URLs, and hosts resolving to non-public addresses unless allowed.

    The check resolves the host itself; httpx resolves it again when connecting, so
    `fetch` also checks the address it actually connected to (`_check_peer`): a DNS
    answer that changes in between (rebinding) is refused before the body is read.

    Raises:
        FetchError: naming the URL, the address, and `NEWSQA_ALLOW_PRIVATE_URLS`.
    """
    source = source or url
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RefusedURLError(source, f"{url!r} is not an http(s) URL")
    if settings.allow_private_urls:
        return
    for address in _resolve(parts.hostname, parts.port, source=source):
        if not _is_public(address):
            raise RefusedURLError(
                source,
                f"{parts.hostname} resolves to a private address ({address}); "
                "set NEWSQA_ALLOW_PRIVATE_URLS=1 to allow it",
            )


def _resolve(
    host: str, port: int | None, *, source: str
) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port or 443, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as e:
        raise FetchError(source, f"could not resolve host {host!r} ({e})") from e
    # IPv6 socket addresses may carry a zone ("fe80::1%eth0"); ipaddress wants it off.
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


def _is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 is loopback too
    return not (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
        or not address.is_global  # e.g. 100.64.0.0/10 shared address space
    )


def decode_body(body: bytes, declared: str | None = None) -> str:
    """Decode a response body: declared charset, else BOM or <meta charset>, else UTF-8, else cp1252.

    Never raises: undecodable bytes become U+FFFD rather than losing the page.
    """
    for encoding in (declared, _sniff_charset(body)):
        if encoding:
            try:
                return body.decode(encoding, errors="replace")
            except LookupError:
                continue  # an unknown charset name: fall through to detection
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("cp1252", errors="replace")


def _sniff_charset(body: bytes) -> str | None:
    if body.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if body.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    head = body[:CHARSET_SNIFF_BYTES]
    match = _META_CHARSET.search(head) or re.search(rb"<\?xml[^>]+encoding=[\"']([\w.:-]+)", head)
    return match.group(1).decode("ascii") if match else None


def format_size(n_bytes: int) -> str:
    """A byte count as people write limits: '10 MB', '64 KB', '500 bytes'."""
    for unit, size in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n_bytes >= size:
            return f"{n_bytes / size:.3g} {unit}"
    return f"{n_bytes} bytes"


def _describe(error: httpx.HTTPError) -> str:
    return str(error) or type(error).__name__
