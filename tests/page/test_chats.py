"""Saved chats on the page (issue 36): titles that tell chats apart, the filters kept with each
answer and restored with the chat, a missing chat said, and a chat downloaded as Markdown."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from helpers.page import ask_page as ask
from helpers.page import open_page
from helpers.paths import APP
from streamlit.testing.v1 import AppTest

from qa.conversation.saved import DB_FILE, Conversation, ConversationStore
from qa.page.chats import (
    address_params,
    chat_file_name,
    chat_labels,
    chat_markdown,
    key_words,
    record_from_address,
)

MINSK = "Who proposed talks in Minsk?"


def unescape(markdown: str) -> str:
    return markdown.replace("\\", "")


@pytest.fixture
def own_store(sample_store, tmp_path) -> Path:
    """A copy of the sample store with no saved chats (the shared one collects other tests')."""
    store = shutil.copytree(sample_store, tmp_path / "store")
    for db in store.rglob(DB_FILE):
        db.unlink()
    return store


@pytest.mark.parametrize(
    ("question", "words"),
    [
        ("Who proposed talks in Minsk?", "Proposed talks Minsk"),
        ("What did the minister say about the budget?", "Minister budget"),
        ("What happened yesterday?", "Yesterday"),
        ("Why?", "Why"),  # nothing but question words: the question itself
    ],
)
def test_key_words(question, words):
    assert key_words(question) == words


def chat(id: int, title: str, created: str) -> Conversation:
    return Conversation(id, title, created, created)


def test_chats_asking_alike_get_labels_that_differ():
    chats = [
        chat(1, "What did the minister say about the budget?", "2026-12-06T15:48:01+00:00"),
        chat(2, "What did the minister say about the budget?", "2026-12-06T15:48:30+00:00"),
        chat(3, "What did the minister say about the strike?", "2026-12-06T15:48:40+00:00"),
        chat(4, "What did the minister say about the budget?", "2025-03-01T09:05:00+00:00"),
    ]
    labels = chat_labels(chats)
    assert labels[1] == "Minister budget · 6 Dec 15:48"
    assert labels[2] == "Minister budget · 6 Dec 15:48 (2)"  # same minute: numbered
    assert labels[3] == "Minister strike · 6 Dec 15:48"
    assert labels[4] == "Minister budget · 1 Mar 2025 09:05"  # another year: it is named
    assert len(set(labels.values())) == len(chats)


def test_a_chat_downloads_as_markdown_with_its_sources():
    record = {
        "answer": "Putin said he was ready [1].",
        "short_answer": "Putin",
        "abstained": False,
        "notice": None,
        "filters": {"sources": ["Sample"], "topics": [], "since": None, "until": None},
        "citations": [
            {"n": 1, "title": "Talks *in* Minsk", "source": "Sample", "published": "2022-02-25",
             "url": "https://news.example/minsk"},
            {"n": 1, "title": "Talks *in* Minsk", "source": "Sample", "published": "2022-02-25",
             "url": "https://news.example/minsk"},
            {"n": 2, "title": "Evil", "source": "X", "published": None, "url": "javascript:x()"},
        ],
    }  # fmt: skip
    messages = [
        {"role": "user", "content": MINSK},
        {"role": "assistant", "content": record["answer"], "answer": record},
    ]
    text = chat_markdown(MINSK, messages)
    assert text.startswith("# Who proposed talks in Minsk?\n")
    assert "## Who proposed talks in Minsk?" in text and "**Putin**" in text
    assert "*Searched articles from Sample*" in text
    assert (
        "- \\[1\\] Talks \\*in\\* Minsk · Sample · 2022-02-25 · <https://news.example/minsk>"
        in (text)
    )
    assert text.count("\\[1\\]") == 2  # the answer's [1] and one source line, not two
    assert "- \\[2\\] Evil · X" in text and "javascript" not in text
    assert chat_file_name(MINSK, "2026-12-06T15:48:01+00:00") == (
        "chat-proposed-talks-minsk-2026-12-06.md"
    )


def sidebar_filters(at: AppTest) -> dict:
    return {
        "sources": at.multiselect("sources").value,
        "topics": at.multiselect("topics").value,
        "since": at.date_input("since").value,
        "as_of": at.date_input("as_of").value,
    }


def test_a_reopened_chat_restores_its_filters_and_shows_them(monkeypatch, own_store):
    at = open_page(monkeypatch, own_store)
    assert at.date_input("as_of").value == date(2022, 2, 25)  # an archive: its newest day
    at.multiselect("sources").set_value(["Sample"])
    at.multiselect("topics").set_value(["Ukraine"])
    at.date_input("since").set_value(date(2022, 2, 1))
    at.date_input("as_of").set_value(date(2022, 3, 1)).run()
    at = ask(at, MINSK)
    wanted = sidebar_filters(at)
    shown = [unescape(c.value) for c in at.caption if c.value.startswith("Searched")]
    assert shown == [
        "Searched articles from Sample on Ukraine, published on or after 2022-02-01, "
        "as of 2022-03-01"
    ]
    at.button("new_chat").click().run()
    at.multiselect("sources").set_value([])
    at.date_input("since").set_value(None).run()
    [cid] = [c.id for c in ConversationStore(own_store).list()] or [None]
    at.button(f"open_chat_{cid}").click().run()
    assert not at.exception
    assert sidebar_filters(at) == wanted
    assert shown[0] in [unescape(c.value) for c in at.caption]

    reloaded = AppTest.from_file(APP, default_timeout=60)  # a reload of the chat's address
    reloaded.query_params["chat"] = str(cid)
    reloaded.run()
    assert not reloaded.exception
    assert sidebar_filters(reloaded) == wanted
    assert [m.name for m in reloaded.chat_message] == ["user", "assistant"]


def test_an_address_naming_no_saved_chat_says_so(monkeypatch, own_store):
    monkeypatch.setenv("NEWSQA_STORE", str(own_store))
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["chat"] = "99"
    at.run()
    [warning] = at.warning
    assert "no saved chat '99'" in warning.value and "a new chat is open" in warning.value
    assert "\n" not in warning.value
    assert not at.chat_message and "chat" not in at.query_params
    ask(at, MINSK)
    assert not at.warning  # said once; gone once the new chat starts


def test_the_open_chat_can_be_downloaded(monkeypatch, own_store):
    at = open_page(monkeypatch, own_store)
    assert not at.get("download_button")  # nothing to download yet
    at = ask(at, MINSK)
    [download] = at.get("download_button")
    assert download.proto.label == "Download chat"
    assert download.proto.help.startswith("The questions, answers and their sources")


def test_each_chat_has_a_labelled_delete_control_that_asks_first(monkeypatch, own_store):
    at = ask(open_page(monkeypatch, own_store), MINSK)
    at.button("new_chat").click().run()
    at = ask(at, MINSK)
    opens = [b for b in at.sidebar.button if b.key.startswith("open_chat_")]
    assert len(opens) == 2 and len({b.label for b in opens}) == 2  # told apart
    delete = at.button(opens[0].key.replace("open_chat_", "ask_delete_chat_"))
    assert delete.label == ":material/delete:"  # an icon whose text reads "delete"
    assert delete.help.startswith("Delete the chat “Proposed talks Minsk")
    delete.click().run()
    at.button(opens[0].key.replace("open_chat_", "delete_chat_")).click().run()
    assert len([b for b in at.sidebar.button if b.key.startswith("open_chat_")]) == 1


def test_filters_go_to_the_address_and_back_without_the_default_as_of_day():
    record = {"sources": ["BBC", "Reuters"], "topics": [], "since": "2026-04-01"}
    record |= {"until": None, "as_of": "2026-05-20"}
    params = address_params(record, default_as_of=date(2026, 5, 20))
    assert params == {
        "source": ["BBC", "Reuters"],
        "topic": [],
        "since": ["2026-04-01"],
        "until": [],
        "as_of": [],  # the default: an address without it follows the store
    }
    assert record_from_address(params) == record | {"as_of": None}
    moved = address_params(record, default_as_of=date(2026, 6, 1))["as_of"]
    assert moved == ["2026-05-20"]
    assert record_from_address({"since": ["not a day"], "source": ["BBC"]})["since"] is None
    assert record_from_address({"chat": ["3"]}) is None


def test_a_reload_keeps_the_filters_of_a_page_with_no_chat_open(monkeypatch, own_store):
    at = open_page(monkeypatch, own_store)
    at.multiselect("sources").set_value(["Sample"])
    at.date_input("since").set_value(date(2022, 2, 1)).run()
    address = {k: v if isinstance(v, list) else [v] for k, v in at.query_params.items()}
    assert address == {"source": ["Sample"], "since": ["2022-02-01"]}  # no default as-of day
    wanted = sidebar_filters(at)

    reloaded = AppTest.from_file(APP, default_timeout=60)  # the same address, a new session
    reloaded.query_params.update(address)
    reloaded.query_params["source"] = ["Sample", "No such outlet"]  # a stale link: no error
    reloaded.run()
    assert not reloaded.exception
    assert sidebar_filters(reloaded) == wanted
    assert not reloaded.chat_message
