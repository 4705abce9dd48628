"""Accounts and adding articles, end to end: `python app.py` over a store with a users file,
driven by real headless Chromium, each person in a browser context of their own (cookies)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest
from helpers.commands import child_env
from helpers.page import browser_only, served_page
from helpers.paths import FIXTURES, REPO

from evaluation.bench.page import launch_chromium

TIMEOUT_MS = 90_000  # the first answer includes the model warm-up; an upload is embedded too
PHONE = {"width": 390, "height": 844}  # an iPhone 12-15's viewport
USERS = (("alice", "alice-secret", "editor"), ("bob", "bob-secret-2", "reader"))

pytestmark = [pytest.mark.browser, browser_only]


@pytest.fixture
def accounts_url(sample_store, tmp_path):
    """The page over a copy of the sample store, with an editor (alice) and a reader (bob)."""
    store = tmp_path / "store"
    shutil.copytree(sample_store, store)
    for username, password, role in USERS:
        command = ["users", "add", username, "--role", role, "--password-stdin"]
        done = subprocess.run(
            [sys.executable, "-m", "qa", *command, "--store", str(store)],
            input=password + "\n",
            capture_output=True,
            text=True,
            cwd=REPO,
            env=child_env(),
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
    with served_page(store, tmp_path / "streamlit.log") as url:
        yield url


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            yield browser
        finally:
            browser.close()


def sign_in(page, url: str, username: str, password: str) -> None:
    from playwright.sync_api import expect

    page.goto(url)
    page.get_by_role("textbox", name="Username").fill(username, timeout=TIMEOUT_MS)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("stChatInputTextArea")).to_be_enabled(timeout=TIMEOUT_MS)


def ask(page, question: str, n: int, expected: str) -> None:
    from playwright.sync_api import expect

    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(question)
    box.press("Enter")
    answer = page.get_by_test_id("stChatMessage").nth(n)
    expect(answer).to_contain_text(expected, timeout=TIMEOUT_MS)
    expect(page.get_by_test_id("stChatInputTextArea")).to_be_enabled(timeout=TIMEOUT_MS)


def test_editor_adds_an_article_and_asks_it_a_reader_sees_neither(accounts_url, browser, tmp_path):
    """Issue 36's done-means: an editor uploads an article and gets its cited answer in the same
    chat; a reader cannot see the editor's chats or upload; a wrong password is refused."""
    from playwright.sync_api import expect

    editor = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(editor, accounts_url, "alice", "alice-secret")
    ask(editor, "Who proposed talks in Minsk?", 1, "Putin")
    sidebar = editor.get_by_test_id("stSidebar")
    expect(sidebar).to_contain_text("Signed in as alice (editor)")
    sidebar.get_by_text("Add articles").click()
    editor.locator("input[type=file]").set_input_files(str(FIXTURES / "article.md"))
    expect(editor.get_by_text("article.md")).to_be_visible()
    editor.get_by_role("button", name="Add", exact=True).click()
    expect(sidebar).to_contain_text(
        "added 1, updated 0, unchanged 0, duplicates 0, failed 0; store has 2 articles",
        timeout=TIMEOUT_MS,
    )
    editor.keyboard.press("Escape")  # the popover closes
    ask(editor, "What terms did Kyiv reject?", 3, "surrender")
    answer = editor.get_by_test_id("stChatMessage").nth(3)
    expect(answer.get_by_test_id("stExpander")).to_contain_text("Kyiv rejects surrender terms")
    editor.screenshot(path=tmp_path / "editor.png", full_page=True)
    chat_id = re.search(r"[?&]chat=(\d+)", editor.url)
    assert chat_id, editor.url
    editor.reload()  # the signed cookie keeps the editor in, with the chat the address names
    expect(editor.get_by_test_id("stChatMessage").nth(3)).to_contain_text("surrender")
    expect(editor.get_by_role("textbox", name="Username")).to_have_count(0)

    reader = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    reader.goto(accounts_url)
    reader.get_by_role("textbox", name="Username").fill("bob", timeout=TIMEOUT_MS)
    reader.get_by_role("textbox", name="Password").fill("alice-secret")
    reader.get_by_role("button", name="Sign in").click()
    expect(reader.get_by_text("Wrong username or password")).to_be_visible(timeout=TIMEOUT_MS)
    sign_in(reader, accounts_url, "bob", "bob-secret-2")
    reader_sidebar = reader.get_by_test_id("stSidebar")
    expect(reader_sidebar).to_contain_text("Signed in as bob (reader)")
    expect(reader_sidebar).to_contain_text("2 articles")  # the editor's article is everyone's
    expect(reader_sidebar.get_by_text("Add articles")).to_have_count(0)
    expect(reader_sidebar).not_to_contain_text("Kyiv")  # no chat of the editor's is listed
    expect(reader_sidebar).not_to_contain_text("Minsk")
    reader.goto(f"{accounts_url}/?chat={chat_id.group(1)}")  # the editor's chat, by address
    expect(reader.get_by_text("There is no saved chat")).to_be_visible(timeout=TIMEOUT_MS)
    expect(reader.get_by_test_id("stChatMessage")).to_have_count(0)
    ask(reader, "What terms did Kyiv reject?", 1, "surrender")  # answerable for every user
    reader.screenshot(path=tmp_path / "reader.png", full_page=True)
    reader_sidebar.get_by_role("button", name="Sign out").click()
    expect(reader.get_by_role("textbox", name="Username")).to_be_visible(timeout=TIMEOUT_MS)
    expect(reader.get_by_test_id("stChatMessage")).to_have_count(0)
    reader.reload()  # the cookie went with the sign-out
    expect(reader.get_by_role("textbox", name="Username")).to_be_visible(timeout=TIMEOUT_MS)


def test_on_a_phone_the_signed_in_sidebar_is_legible(accounts_url, browser, tmp_path):
    """A phone-sized window shows who is signed in, the chat list and its controls, each
    control a tap target and no text cut off."""
    from playwright.sync_api import expect

    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    sign_in(phone, accounts_url, "alice", "alice-secret")
    ask(phone, "Who proposed talks in Minsk?", 1, "Putin")
    phone.get_by_test_id("stExpandSidebarButton").click()
    sidebar = phone.get_by_test_id("stSidebar")
    expect(sidebar).to_contain_text("Signed in as alice (editor)")
    chat = sidebar.get_by_role("button", name=re.compile("^Proposed talks Minsk · "))
    delete = sidebar.get_by_role("button", name=re.compile("delete", re.IGNORECASE)).first
    chat.scroll_into_view_if_needed()
    phone.screenshot(path=tmp_path / "phone-accounts.png")
    for control in (
        sidebar.get_by_role("button", name="Sign out"),
        sidebar.get_by_role("button", name=re.compile("Add articles")),
        sidebar.get_by_role("button", name="New chat"),
        chat,
        delete,
    ):
        expect(control).to_be_visible()
        control.scroll_into_view_if_needed()
        box = control.bounding_box()
        assert box["height"] >= 24 and box["x"] >= 0, box  # a tap target, inside the screen
        assert box["x"] + box["width"] <= PHONE["width"], box
    row, cross = chat.bounding_box(), delete.bounding_box()
    assert abs((cross["y"] + cross["height"] / 2) - (row["y"] + row["height"] / 2)) < 12
    phone.screenshot(path=tmp_path / "phone-accounts.png")
