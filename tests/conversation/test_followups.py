"""Follow-up questions: rewriting with and without an LLM, and chats kept across page sessions."""

from __future__ import annotations

import shutil

import pytest
from helpers.page import ask_page, open_page
from helpers.web import free_port
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from streamlit.testing.v1 import AppTest

from qa.answering.ask import Asker
from qa.answering.llm import make_chat_model
from qa.config import Settings
from qa.conversation.followups import (
    Standalone,
    carry_context,
    is_followup,
    names_in,
    rewrite_followup,
    swap_subject,
    topic_of,
)
from qa.conversation.saved import DB_FILE

MINSK = "Who proposed talks in Minsk?"
LAVROV = "And what did Lavrov say?"
HISTORY = [
    {"role": "user", "content": MINSK},
    {"role": "assistant", "content": "Putin called Belarussian President Alexander Lukashenko."},
]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        (LAVROV, True),
        ("What about Zelensky?", True),
        ("Why?", True),
        ("What did he say about it?", True),
        ("When were diplomatic relations broken off?", False),
        # a pronoun after the question's own words refers to them: it stands alone
        ("Which holiday did Trump mention in his inauguration speech?", False),
        ("Which automaker is facing a new investigation into its self-driving features?", False),
        ("Which country's leader said there was no chance of ceding territory?", False),
        ("What happened this week in Ukraine?", False),  # "this week" is a time
        # a pronoun before anything is named, or closing the question, leans on the turn before
        ("How did his opponent react?", True),
        ("When did that happen?", True),
        ("How many people died there?", True),
        ("What did the Kremlin say about it?", True),
    ],
)
def test_is_followup(question, expected):
    assert is_followup(question) is expected


def test_names_and_topic():
    assert names_in("Foreign minister Sergei Lavrov met Xi Jinping. The talks ended.") == [
        "Sergei Lavrov",
        "Xi Jinping",
    ]
    assert topic_of(MINSK) == "proposed talks in Minsk"
    assert topic_of("And what about the ceasefire?") == "the ceasefire"


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        (LAVROV, Standalone(LAVROV, ("proposed talks in Minsk",))),
        (
            "What did he do next?",
            Standalone(
                "What did he do next?",
                ("proposed talks in Minsk", "Putin", "Belarussian President Alexander Lukashenko"),
            ),
        ),
        ("When were diplomatic relations broken off?", None),  # stands alone
        # a new question in the same chat: the Minsk talks must not be searched with it
        ("Which automaker is facing a new investigation into its self-driving features?", None),
    ],
)
def test_context_is_carried_without_an_llm(question, expected):
    assert carry_context(question, HISTORY) == expected


def test_an_older_topic_does_not_linger():
    history = [*HISTORY, {"role": "user", "content": LAVROV}, {"role": "assistant", "content": "x"}]
    # the previous question asked of Zelensky; the Minsk talks before it are not carried
    assert carry_context("What about Zelensky?", history) == Standalone("What did Zelensky say?")


def test_llm_condenses_the_follow_up_and_a_failure_falls_back():
    model = FakeListChatModel(responses=['"What did Sergei Lavrov say about talks in Minsk?"'])
    assert rewrite_followup(LAVROV, HISTORY, model) == Standalone(
        "What did Sergei Lavrov say about talks in Minsk?"
    )
    nobody = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens: the endpoint is down
    broken = make_chat_model(Settings(llm="openai", llm_base_url=nobody, llm_timeout=2))
    assert rewrite_followup(LAVROV, HISTORY, broken) == carry_context(LAVROV, HISTORY)
    assert rewrite_followup(MINSK, [], model) is None  # the first question stands alone


def test_follow_up_answered_in_extractive_mode(sample_index):
    asker = Asker(sample_index)
    first = asker.ask(MINSK)
    assert "Putin" in first.text and first.rewritten_question is None
    answer = asker.ask(LAVROV)
    assert "not to occupy" in answer.text and answer.citations
    assert answer.question == LAVROV
    assert answer.rewritten_question is None  # its words are searched as asked, ...
    assert answer.followup_context == ["proposed talks in Minsk"]  # ... with the topic before
    assert answer.to_dict()["followup_context"] == ["proposed talks in Minsk"]


# -- chats kept across page sessions ------------------------------------------------------------


def chat_buttons(at: AppTest) -> list:
    return [b for b in at.sidebar.button if b.key.startswith("open_chat_")]


def test_chat_is_saved_reopened_in_a_new_session_and_deleted(monkeypatch, tmp_path, sample_store):
    store = tmp_path / "store"
    shutil.copytree(sample_store, store)  # other page tests may have saved chats in the copy:
    (store / DB_FILE).unlink(missing_ok=True)  # start with none
    monkeypatch.setenv("NEWSQA_STORE", str(store))
    first = ask_page(ask_page(open_page(), MINSK), LAVROV)
    rewritten = [c.value for c in first.caption if "Searched for" in c.value]
    assert rewritten and "Minsk" in rewritten[0]
    [button] = chat_buttons(first)
    assert button.label.replace("\\", "").startswith("Proposed talks Minsk · ")  # key words, time
    assert button.help.replace("\\", "") == "Who proposed talks in Minsk?"  # the whole question

    second = open_page()  # a new browser session, as after a reload or restart
    assert not second.chat_message
    [button] = chat_buttons(second)
    button.click().run()
    assert not second.exception
    assert [m.name for m in second.chat_message] == ["user", "assistant"] * 2
    # shown as it was given: the short answer in bold, the quoted headline a line of its own
    live = [m.markdown[0].value for m in first.chat_message if m.name == "assistant"]
    reopened = [m.markdown[0].value for m in second.chat_message if m.name == "assistant"]
    assert reopened == live
    assert reopened[0].startswith("**Putin**\n\nHeadline\\:")
    assert "not to occupy" in reopened[-1]
    assert len(second.expander) == 2  # each answer's source comes back
    assert second.query_params["chat"] == button.key.removeprefix("open_chat_")
    ask_page(second, "What about Zelensky?")  # the reopened chat goes on with its history
    assert "Zelensky" in second.chat_message[-1].markdown[0].value

    chat_id = button.key.removeprefix("open_chat_")
    second.button(f"ask_delete_chat_{chat_id}").click().run()  # asks first: nothing deleted
    assert any("Delete" in c.value for c in second.sidebar.caption) and second.chat_message
    second.button(f"keep_chat_{chat_id}").click().run()
    assert chat_buttons(second) and not any(b.key.startswith("delete_") for b in second.button)
    second.button(f"ask_delete_chat_{chat_id}").click().run()
    second.button(f"delete_chat_{chat_id}").click().run()
    assert not chat_buttons(second) and not second.chat_message
    assert "chat" not in second.query_params


def test_a_reload_of_a_chat_s_address_reopens_it(monkeypatch, tmp_path, sample_store):
    store = tmp_path / "store"
    shutil.copytree(sample_store, store)
    (store / DB_FILE).unlink(missing_ok=True)
    monkeypatch.setenv("NEWSQA_STORE", str(store))
    first = ask_page(open_page(), MINSK)
    chat_id = first.query_params["chat"]  # the address names the chat once it is saved
    assert chat_id.isdigit()

    reloaded = AppTest.from_file(first._script_path, default_timeout=60)
    reloaded.query_params["chat"] = chat_id
    reloaded.run()
    assert [m.name for m in reloaded.chat_message] == ["user", "assistant"]
    assert reloaded.chat_message[-1].markdown[0].value.startswith("**Putin**")

    gone = AppTest.from_file(first._script_path, default_timeout=60)
    gone.query_params["chat"] = "999"  # deleted, or from another store: a new chat, no error
    gone.run()
    assert not gone.exception and not gone.chat_message and "chat" not in gone.query_params


@pytest.mark.parametrize(
    ("question", "previous", "swapped"),
    [
        ("what about Zelensky?", "And what did Zakharova say?", "What did Zelensky say?"),
        (
            "And how about the US?",
            "How did China react to the tariffs?",
            "How did the US react to the tariffs?",
        ),
        ("What about Zelensky?", "What did Putin say about Minsk?", None),  # which name?
        ("What about in Berlin?", "Who did Biden meet in Paris?", None),  # not a name
        ("What about Macron's response?", "What did Putin say?", None),
        ("What about it?", "What did Putin say?", None),  # no one named: context carries it
        ("What about Zelensky?", "What was said about the talks?", None),
    ],
)
def test_what_about_asks_the_previous_question_of_someone_else(question, previous, swapped):
    assert swap_subject(question, previous) == swapped


def test_what_about_keeps_the_context_the_previous_question_carried():
    history = [
        *HISTORY,
        {"role": "user", "content": LAVROV},
        {
            "role": "assistant",
            "content": "Lavrov said ...",
            "answer": {"followup_context": list(carry_context(LAVROV, HISTORY).context)},
        },
    ]
    assert carry_context("What about Zelensky?", history) == Standalone(
        "What did Zelensky say?", ("proposed talks in Minsk",)
    )


def test_a_chat_saved_with_the_context_in_its_question_is_still_read():
    history = [
        *HISTORY,
        {"role": "user", "content": LAVROV},
        {
            "role": "assistant",
            "content": "Lavrov said ...",
            "answer": {"rewritten_question": f"{LAVROV} (context: proposed talks in Minsk)"},
        },
    ]
    assert carry_context("What about Zelensky?", history) == Standalone(
        "What did Zelensky say?", ("proposed talks in Minsk",)
    )


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("What happened yesterday?", False),  # names its own time: a fresh question
        ("Who is Zelensky?", False),  # names its own subject
        ("Why?", True),
        ("Who won?", True),
    ],
)
def test_a_short_question_is_a_follow_up_only_when_it_names_nothing(question, expected):
    assert is_followup(question) is expected
    assert (carry_context(question, HISTORY) is not None) is expected


def test_a_follow_up_naming_its_subject_is_answered_about_that_subject():
    standalone = carry_context(LAVROV, HISTORY)
    assert standalone.context == ("proposed talks in Minsk",)  # searched with the topic ...
    assert standalone.answer_context == ()  # ... but Lavrov's words answer it
    pronoun = carry_context("What did he do next?", HISTORY)
    assert pronoun.answer_context == pronoun.context  # who "he" is lives in the context
