"""The chat page under test: in Streamlit's AppTest, and in the one headless Chromium."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from evaluation.bench.page import (
    CHROMIUM,
    launch_chromium,
    start_streamlit,
    stop_server,
    wait_until_healthy,
)
from helpers.paths import APP
from helpers.web import free_port

# Where Chromium is missing, the browser tests skip, except in CI, where they must run (and fail).
browser_only = pytest.mark.skipif(
    not CHROMIUM.exists() and os.environ.get("CI") != "true",
    reason=f"{CHROMIUM} is missing: install the Debian package `chromium` to run this test",
)


@contextmanager
def chromium_page(**options) -> Iterator:
    """A new page in headless Chromium (1280 x 900 unless `options` say otherwise: a phone's
    viewport, `is_mobile`, `has_touch`), closed with its browser afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            yield browser.new_page(**({"viewport": {"width": 1280, "height": 900}} | options))
        finally:
            browser.close()


@contextmanager
def served_page(store: Path, log: Path, env: dict[str, str] | None = None, **wait) -> Iterator[str]:
    """`python app.py` (what `make run` starts) over `store` on a free 127.0.0.1 port, its output
    in `log`; yields its URL once healthy, and stops it afterwards."""
    port = free_port()
    server = start_streamlit(store, port, log, env)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_healthy(url, server, log, **wait)
        yield url
    finally:
        stop_server(server)


def open_page(monkeypatch=None, store: Path | None = None):
    """The chat page in AppTest after its first run, on `store` when given (else $NEWSQA_STORE)."""
    from streamlit.testing.v1 import AppTest

    if store is not None:
        monkeypatch.setenv("NEWSQA_STORE", str(store))
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    assert not at.exception
    return at


def ask_page(at, question: str):
    """Type `question` into the page's chat input and run the page; returns `at`."""
    at.chat_input("question").set_value(question).run()
    assert not at.exception
    return at
