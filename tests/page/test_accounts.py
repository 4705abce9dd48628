"""Accounts on the page (qa.page.accounts, qa.interface.users) and adding articles from it,
through Streamlit's AppTest against real stores and the real model."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import pytest
from helpers.page import ask_page as ask
from helpers.page import open_page
from helpers.web import PARAGRAPHS, news_page, send

from qa.interface.users import UsersFile
from qa.page.accounts import Visitor

MINSK = "Who proposed talks in Minsk?"


def test_each_account_has_its_own_chats_folder_and_only_editors_add():
    state = Path("/store")
    assert Visitor().chats_folder(state) == state and Visitor().can_add  # no accounts: one person
    bob = Visitor(username="bob", name="Bob", role="reader")
    assert bob.chats_folder(state) == state / "accounts" / "bob" and not bob.can_add
    assert Visitor(username="alice", role="editor").can_add


@pytest.fixture
def accounts_store(sample_store, tmp_path) -> Path:
    store = tmp_path / "store"
    shutil.copytree(sample_store, store)
    users = UsersFile(store / "users.yaml")
    users.add("alice", "alice-secret", role="editor")
    users.add("bob", "bob-secret-2", role="reader")
    return store


def sign_in(at, username: str, password: str):
    username_box, password_box = at.text_input[0], at.text_input[1]
    username_box.input(username)
    password_box.input(password)
    at.button[0].click().run()
    assert not at.exception
    return at


def sidebar_text(at) -> str:
    parts = [c.value for c in at.sidebar.caption] + [m.value for m in at.sidebar.markdown]
    return " ".join(parts + [b.label for b in at.sidebar.button])


def test_nothing_but_the_sign_in_form_shows_until_an_account_signs_in(monkeypatch, accounts_store):
    at = open_page(monkeypatch, accounts_store)
    assert [t.label for t in at.text_input] == ["Username", "Password"]
    assert not at.chat_input and not at.sidebar.markdown and not at.sidebar.button
    sign_in(at, "alice", "wrong password")
    assert "Wrong username or password" in at.error[0].value and "waits 0.5 s" in at.error[0].value
    sign_in(at, "alice", "still wrong")
    assert "waits 1 s" in at.error[0].value  # the account's next try waits twice as long
    sign_in(at, "nobody", "whatever1")  # a name that is no account is answered alike
    assert "waits 0.5 s" in at.error[0].value
    assert not at.chat_input
    sign_in(at, "Alice", "alice-secret")  # names are not case-sensitive
    assert not at.error and at.chat_input
    assert "Signed in as **alice** (editor)" in sidebar_text(at)


def test_chats_are_private_to_each_account_and_sign_out_clears_the_tab(monkeypatch, accounts_store):
    at = sign_in(open_page(monkeypatch, accounts_store), "alice", "alice-secret")
    ask(at, MINSK)
    assert "Proposed talks Minsk" in sidebar_text(at)
    assert (accounts_store / "accounts" / "alice" / "conversations.sqlite3").is_file()
    at.sidebar.button(key="sign_out").click().run()
    assert [t.label for t in at.text_input] == ["Username", "Password"]
    assert not at.chat_message  # nothing of alice's chat is left on the page
    sign_in(at, "bob", "bob-secret-2")
    assert "Signed in as **bob** (reader)" in sidebar_text(at)
    assert "Minsk" not in sidebar_text(at) and not at.chat_message
    assert "Add" not in [b.label for b in at.sidebar.button]  # a reader adds nothing
    assert "Putin" in ask(at, MINSK).chat_message[-1].markdown[0].value


def test_a_user_removed_from_the_file_is_signed_out_on_the_next_run(monkeypatch, accounts_store):
    at = sign_in(open_page(monkeypatch, accounts_store), "bob", "bob-secret-2")
    assert at.chat_input
    UsersFile(accounts_store / "users.yaml").remove("bob")
    at.run()
    assert not at.exception and not at.chat_input
    assert [t.label for t in at.text_input] == ["Username", "Password"]


def test_an_editor_adds_a_page_by_address_and_it_is_answerable_at_once(
    monkeypatch, sample_store, tmp_path, news_site
):
    """Without accounts, the one person is an editor; the ingest runs in the background and
    the page (its store line, the as-of day, the answers) follows it without a restart."""
    monkeypatch.setenv("NEWSQA_ALLOW_PRIVATE_URLS", "1")
    store = tmp_path / "store"
    shutil.copytree(sample_store, store)
    at = open_page(monkeypatch, store)
    at.sidebar.text_area[0].input("/etc/passwd")  # in a form: sent by its button
    at.sidebar.button[0].click().run()  # "Add"
    assert "'/etc/passwd' is not a web address" in at.sidebar.error[0].value
    at.sidebar.text_area[0].input(f"{news_site}/a/2")
    at.sidebar.button[0].click().run()
    deadline = time.monotonic() + 180
    while not at.sidebar.success and time.monotonic() < deadline:
        time.sleep(0.5)
        at.run()
    summary = at.sidebar.success[0].value.replace("\\", "")  # escaped Markdown, read plainly
    assert "added 1, updated 0, unchanged 0, duplicates 0, failed 0" in summary
    assert "2 articles" in sidebar_text(at)
    answer = ask(at, "What would Ukrainian officials not accept?").chat_message[-1]
    assert "surrender" in answer.markdown[0].value
    [source] = [e for e in at.expander if "Kyiv rejects surrender terms" in e.label]
    assert source


def test_questions_are_answered_while_an_ingest_runs(
    monkeypatch, sample_store, tmp_path, local_site
):
    """The page's ingest runs beside the page: a question asked meanwhile is answered while
    the ingest still waits on its source."""
    monkeypatch.setenv("NEWSQA_ALLOW_PRIVATE_URLS", "1")
    release = threading.Event()

    def held(handler) -> None:  # the page is served once the test has its answer
        release.wait(60)
        send(handler, 200, "text/html", news_page(*PARAGRAPHS["/a/2"]))

    local_site.routes["/held"] = held
    store = tmp_path / "store"
    shutil.copytree(sample_store, store)
    at = open_page(monkeypatch, store)
    at.sidebar.text_area[0].input(f"{local_site.base}/held")
    at.sidebar.button[0].click().run()
    try:
        answer = ask(at, MINSK).chat_message[-1]
        assert "Putin" in answer.markdown[0].value
        assert at.sidebar.get("progress"), "the ingest should still be running"
    finally:
        release.set()
    deadline = time.monotonic() + 180
    while not at.sidebar.success and time.monotonic() < deadline:
        time.sleep(0.5)
        at.run()
    assert "added 1" in at.sidebar.success[0].value.replace("\\", "")
