"""End to end: `python app.py` (what `make run` starts) as a real server, driven by a real headless
Chromium."""

from __future__ import annotations

import re

import pytest
from helpers.page import browser_only, chromium_page
from helpers.web import free_port

from evaluation.bench.page import start_streamlit, stop_server, wait_until_healthy

ANSWER_TIMEOUT_MS = 60_000  # the first answer includes the model warm-up on first page load

pytestmark = [pytest.mark.browser, browser_only]


@pytest.fixture
def server_url(tricky_store, tmp_path):
    """The chat page served over the sample article and the injection-trying article."""
    port = free_port()
    log = tmp_path / "streamlit.log"
    server = start_streamlit(tricky_store, port, log)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_healthy(url, server, log)
        yield url
    finally:
        stop_server(server)


@pytest.fixture
def page():
    with chromium_page() as page:
        yield page


def ask(page, question: str) -> None:
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(question)
    box.press("Enter")


def test_question_answered_in_a_real_browser(server_url, page, tmp_path):
    from playwright.sync_api import expect

    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(server_url)
    expect(page.get_by_test_id("stChatInputTextArea")).to_be_visible(timeout=ANSWER_TIMEOUT_MS)

    ask(page, "Who proposed talks in Minsk?")
    answer = page.get_by_test_id("stChatMessage").nth(1)
    expect(answer).to_contain_text("Putin", timeout=ANSWER_TIMEOUT_MS)
    source = answer.get_by_test_id("stExpander")
    expect(source).to_contain_text("Putin ready for talks in Minsk · Sample · 2022-02-25")
    source.get_by_text("[1] Putin ready for talks in Minsk").click()
    expect(source).to_contain_text("Russian president Vladimir Putin has said")
    expect(source).to_contain_text("Quotes the headline: “Putin ready for talks in Minsk”")
    page.screenshot(path=tmp_path / "answer.png", full_page=True)

    ask(page, "What did the organisers post on the festival website?")
    answer = page.get_by_test_id("stChatMessage").nth(3)
    expect(answer).to_contain_text("<script>alert(1)</script>", timeout=ANSWER_TIMEOUT_MS)
    source = answer.get_by_test_id("stExpander")
    expect(source).to_contain_text("Harbour festival <b>returns</b> **tonight**")
    source.get_by_text(re.compile("Harbour festival")).click()
    expect(source).to_contain_text("**spectacular** and linked to [tickets](javascript:alert(2))")
    expect(source).to_contain_text("pause [organisers say].")
    assert source.locator("a").count() == 0  # neither the javascript: URL nor the fake link
    source.screenshot(path=tmp_path / "escaped-source.png")
    assert dialogs == []
