"""Saved conversations: a real SQLite file on tmp_path, reopened by a new store object."""

from __future__ import annotations

from qa.conversation.saved import DB_FILE, TITLE_CHARS, ConversationStore

ANSWER = {"answer": "Putin [1]", "citations": [{"n": 1, "quote": "Putin said ..."}]}


def test_conversation_survives_a_new_store_object(tmp_path):
    first = ConversationStore(tmp_path)
    cid = first.create("Who proposed talks in Minsk?")
    first.append(cid, {"role": "user", "content": "Who proposed talks in Minsk?"})
    first.append(cid, {"role": "assistant", "content": "Putin [1]", "answer": ANSWER})

    again = ConversationStore(tmp_path)  # as after a restart
    [saved] = again.list()
    assert (saved.id, saved.title) == (cid, "Who proposed talks in Minsk?")
    assert saved.day == saved.created[:10] and saved.updated >= saved.created
    assert again.messages(cid) == [
        {"role": "user", "content": "Who proposed talks in Minsk?"},
        {"role": "assistant", "content": "Putin [1]", "answer": ANSWER},
    ]
    assert (tmp_path / DB_FILE).is_file()


def test_list_is_newest_first_and_delete_removes_messages(tmp_path):
    store = ConversationStore(tmp_path)
    older, newer = store.create("first"), store.create("second")
    store.append(older, {"role": "user", "content": "again"})  # touched last: listed first
    assert [c.title for c in store.list()] == ["first", "second"]
    store.delete(older)
    store.delete(older)  # already gone: nothing happens
    assert [c.id for c in store.list()] == [newer]
    assert store.messages(older) == []


def test_long_first_question_is_shortened_for_the_title(tmp_path):
    store = ConversationStore(tmp_path)
    store.create("word " * 100)
    [saved] = store.list()
    assert len(saved.title) == TITLE_CHARS and saved.title.endswith("…")
