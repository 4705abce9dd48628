"""A hostile but fair user on the chat page (input classes 2, 8 and 9 of test_hostile.py).

The page through AppTest (queued questions, the password gate, a missing store) and through a
real `python app.py` server driven by headless Chromium (the input disabled while an answer
streams; article text never a link). The LLM is a local stand-in that holds each answer for
a moment, so "while it streams" lasts long enough to look at.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from helpers.chat import ChatServer
from helpers.commands import child_env
from helpers.page import browser_only, chromium_page, open_page, served_page
from streamlit.testing.v1 import AppTest

from ingest.pipeline import ingest_articles
from qa.config import Settings
from qa.news.dates import parse_date
from qa.store import NewsIndex
from qa.types import Article

SERVER_START_S = 180  # model load and Streamlit start-up on a busy laptop
ANSWER_TIMEOUT_MS = 120_000
LLM_HOLD_S = 4.0  # the stand-in LLM holds every answer this long: the "while streaming" window
MINSK = "Who proposed talks in Minsk?"
PASSWORD = "hostile page password"  # its own: the wrong-try count is per password, per server
LINKS_TEXT = (
    "The ferry strike in Port Ellis ended on Monday after unions accepted a pay offer. "
    "Details were posted at www.evil.example/ferry and https://evil.example/strike, "
    "mirrored at <https://evil.example/mirror> and [the union page](https://evil.example/u), "
    "with questions to press@evil.example."
)
SOURCE_URL = "https://news.example/ferry-strike-ends"


# --- AppTest: a missing store, questions queued mid-answer, the password gate ----------------


def page_without_a_store(monkeypatch, sample_store, tmp_path) -> None:
    store = tmp_path / "typo-store"
    at = open_page(monkeypatch, store)
    assert "There is no store at" in at.info[0].value and "python -m ingest" in at.info[0].value
    assert at.chat_input("question").disabled and not at.error
    assert not store.exists()  # the page created nothing


def question_sent_while_answering(monkeypatch, sample_store, tmp_path) -> None:
    """A run interrupted mid-answer leaves its question queued; a second question then joins
    the queue, and the next run answers both in order: nothing is lost from the history."""
    at = open_page(monkeypatch, sample_store)
    at.session_state["pending"] = [MINSK]  # what the interrupted run left
    at.chat_input("question").set_value("Who won the World Cup?").run()
    assert not at.exception
    messages = at.session_state["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant"]
    assert messages[0]["content"] == MINSK and "Putin" in messages[1]["content"]
    assert messages[2]["content"] == "Who won the World Cup?"
    assert "couldn't find" in messages[3]["content"]
    assert at.session_state["pending"] == [] and not at.chat_input("question").disabled


def wrong_tries(at: AppTest, n: int) -> list[float]:
    waits = []
    for i in range(n):
        started = time.monotonic()
        at.text_input("password").input(f"wrong {i}").run()
        waits.append(time.monotonic() - started)
        assert at.error[0].value.startswith("Wrong password.")
    return waits


def gated_page(monkeypatch, sample_store) -> AppTest:
    monkeypatch.setenv("NEWSQA_PASSWORD", PASSWORD)
    return open_page(monkeypatch, sample_store)


def wrong_passwords_wait_twice_as_long(monkeypatch, sample_store, tmp_path) -> None:
    at = gated_page(monkeypatch, sample_store)
    at.text_input("password").input(PASSWORD).run()  # starts the count at zero
    at = gated_page(monkeypatch, sample_store)
    waits = wrong_tries(at, 3)
    assert waits[0] >= 0.5 and waits[1] >= 1.0 and waits[2] >= 2.0, waits
    assert "Waited 2 s" in at.error[0].value


def right_password_is_not_delayed(monkeypatch, sample_store, tmp_path) -> None:
    at = gated_page(monkeypatch, sample_store)
    at.text_input("password").input(PASSWORD).run()  # starts the count at zero
    at = gated_page(monkeypatch, sample_store)
    wrong_tries(at, 4)  # 0.5 + 1 + 2 + 4 s: the next wrong try would wait 8 s
    started = time.monotonic()
    at.text_input("password").input(PASSWORD).run()
    assert time.monotonic() - started < 8.0  # page load only, however slow the machine
    assert not at.text_input and not at.error and at.chat_input("question")


def new_session_does_not_reset_the_delay(monkeypatch, sample_store, tmp_path) -> None:
    at = gated_page(monkeypatch, sample_store)
    at.text_input("password").input(PASSWORD).run()  # reset
    wrong_tries(gated_page(monkeypatch, sample_store), 2)  # 0.5 s, 1 s
    fresh = gated_page(monkeypatch, sample_store)  # another tab: the count is the server's
    [wait] = wrong_tries(fresh, 1)
    assert wait >= 2.0 and "Waited 2 s" in fresh.error[0].value
    fresh.text_input("password").input(PASSWORD).run()  # and the right one still opens it
    assert fresh.chat_input("question")


APPTEST_CASES = {
    "no store: the page says so and creates none": page_without_a_store,
    "a question sent while another is answered": question_sent_while_answering,
    "wrong passwords wait twice as long each time": wrong_passwords_wait_twice_as_long,
    "the right password is never delayed": right_password_is_not_delayed,
    "a new session does not reset the delay": new_session_does_not_reset_the_delay,
}


@pytest.mark.parametrize("case", list(APPTEST_CASES))
def test_page_under_real_use(case, monkeypatch, sample_store, tmp_path):
    APPTEST_CASES[case](monkeypatch, sample_store, tmp_path)


# --- headless Chromium against `python app.py` ---------------------------------------------


@pytest.fixture(scope="module")
def links_store(tmp_path_factory, embeddings) -> Path:
    store = tmp_path_factory.mktemp("links") / "store"
    article = Article(
        title="Ferry strike ends",
        text=LINKS_TEXT,
        source="Harbour News",
        url=SOURCE_URL,
        published=parse_date("2024-05-06"),
    )
    with NewsIndex(Settings(store_dir=store), embeddings=embeddings) as index:
        ingest_articles([article], index, progress=False)
    return store


@pytest.fixture(scope="module")
def browser_page(links_store, tmp_path_factory):
    """The page served by `python app.py` with a slow stand-in LLM, open in headless Chromium."""
    chat = ChatServer("The strike ended on Monday [1].")
    chat.hang_s = LLM_HOLD_S
    log = tmp_path_factory.mktemp("streamlit") / "streamlit.log"
    llm = {"NEWSQA_LLM": "openai", "NEWSQA_LLM_BASE_URL": chat.url, "NEWSQA_LLM_API_KEY": "dummy"}
    env = child_env(**llm, NEWSQA_LLM_TIMEOUT="60")
    env.pop("NEWSQA_PASSWORD", None)
    try:
        with (
            served_page(links_store, log, env, timeout_s=SERVER_START_S) as url,
            chromium_page() as page,
        ):
            page.goto(url)
            page.get_by_test_id("stChatInputTextArea").wait_for(timeout=ANSWER_TIMEOUT_MS)
            yield page
    finally:
        chat.close()


def ask_in_browser(page, question: str, n_messages: int):
    """Send `question`; check the input is disabled while it is answered and enabled after."""
    from playwright.sync_api import expect

    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(question)
    box.press("Enter")
    expect(box).to_be_disabled(timeout=LLM_HOLD_S * 1000 * 0.75)  # while the LLM holds it
    answer = page.get_by_test_id("stChatMessage").nth(n_messages - 1)
    expect(answer).to_contain_text("The strike ended on Monday", timeout=ANSWER_TIMEOUT_MS)
    expect(box).to_be_enabled(timeout=ANSWER_TIMEOUT_MS)
    expect(page.get_by_test_id("stChatMessage")).to_have_count(n_messages)
    return answer


@browser_only
def test_input_is_disabled_while_streaming_and_history_is_kept(browser_page):
    ask_in_browser(browser_page, "When did the ferry strike end?", 2)
    ask_in_browser(browser_page, "How did the ferry strike end?", 4)
    texts = browser_page.get_by_test_id("stChatMessage").all_inner_texts()
    assert texts[0].strip().endswith("When did the ferry strike end?")
    assert texts[2].strip().endswith("How did the ferry strike end?")


@browser_only
@pytest.mark.parametrize(
    "address",
    [
        "www.evil.example/ferry",
        "https://evil.example/strike",
        "https://evil.example/mirror",
        "https://evil.example/u",
        "press@evil.example",
    ],
)
def test_article_text_is_never_a_link(browser_page, address):
    from playwright.sync_api import expect

    page = browser_page
    if not page.get_by_test_id("stChatMessage").count():
        ask_in_browser(page, "When did the ferry strike end?", 2)
    source = page.get_by_test_id("stChatMessage").nth(1).get_by_test_id("stExpander").first
    if not source.get_by_text("www.evil.example").first.is_visible():
        source.get_by_text("Ferry strike ends").first.click()
    expect(source).to_contain_text("evil.example")
    assert address in source.inner_text().replace("\u2060", "")  # the word joiner is invisible
    links = source.locator("a")
    assert [links.nth(i).get_attribute("href") for i in range(links.count())] == [SOURCE_URL]
    whole_page = [a.get_attribute("href") or "" for a in page.locator("a").all()]
    assert not [href for href in whole_page if "evil" in href]
