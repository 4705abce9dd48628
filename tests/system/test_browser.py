"""End to end: `python app.py` (what `make run` starts) as a real server, driven by a real headless
Chromium."""

from __future__ import annotations

import re

import pytest
from helpers.page import browser_only, chromium_page, served_page

ANSWER_TIMEOUT_MS = 60_000  # the first answer includes the model warm-up on first page load

pytestmark = [pytest.mark.browser, browser_only]


@pytest.fixture
def server_url(tricky_store, tmp_path):
    """The chat page served over the sample article and the injection-trying article."""
    with served_page(tricky_store, tmp_path / "streamlit.log") as url:
        yield url


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


PHONE = {"width": 390, "height": 844}  # an iPhone 12-15's viewport


@pytest.fixture
def phone():
    with chromium_page(viewport=PHONE, is_mobile=True, has_touch=True) as page:
        yield page


def _boxes_once_still(*locators, attempts: int = 3) -> list[dict]:
    """The bounding boxes of `locators`, scrolled into view; a rerun that redraws the sidebar
    between finding an element and scrolling to it detaches it, so that is tried again."""
    from playwright.sync_api import Error

    for attempt in range(attempts):
        try:
            locators[-1].scroll_into_view_if_needed(timeout=5_000)
            return [locator.bounding_box() for locator in locators]
        except Error:
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


def test_on_a_phone_each_chat_is_one_row_with_a_small_labelled_delete(server_url, phone, tmp_path):
    """Issue 36: on a phone each ✕ took a full-width row of its own and looked like a blank
    button; the sidebar's "Chunks" metric pushed the filters below the fold."""
    from playwright.sync_api import expect

    phone.goto(server_url)
    expect(phone.get_by_test_id("stChatInputTextArea")).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    ask(phone, "Who proposed talks in Minsk?")
    expect(phone.get_by_test_id("stChatMessage").nth(1)).to_contain_text(
        "Putin", timeout=ANSWER_TIMEOUT_MS
    )
    expect(phone.get_by_test_id("stChatInputTextArea")).to_be_enabled()  # the last rerun is done
    phone.get_by_test_id("stExpandSidebarButton").click()
    sidebar = phone.get_by_test_id("stSidebar")
    # the first chat's row (other tests may have saved chats about other things before it)
    opening = sidebar.get_by_role("button", name=re.compile(r" · \d+ \w+ (\d{4} )?\d\d:\d\d")).first
    expect(
        sidebar.get_by_role("button", name=re.compile("^Proposed talks Minsk · "))
    ).not_to_have_count(0)
    delete = sidebar.get_by_role("button", name=re.compile("delete", re.IGNORECASE)).first
    expect(delete).to_be_visible()  # named "delete" for a screen reader, not "✕"
    expect(sidebar).not_to_contain_text("Chunks")
    row, cross = _boxes_once_still(opening, delete)
    assert 24 <= cross["width"] < 60  # a tap target, yet small beside the chat's title
    assert abs((cross["y"] + cross["height"] / 2) - (row["y"] + row["height"] / 2)) < 12
    assert cross["x"] > row["x"] + row["width"] - 5  # on the same row, to its right
    assert sidebar.get_by_text("Answer as of").bounding_box()["y"] < PHONE["height"]
    phone.screenshot(path=tmp_path / "phone-sidebar.png")
    delete.click()
    expect(sidebar.get_by_role("button", name="Delete", exact=True)).to_be_visible()
