"""The chat page through Streamlit's AppTest, against real stores and the real model."""

from __future__ import annotations

import importlib.util
import shutil
from datetime import date
from pathlib import Path

import pytest
from helpers.articles import SAMPLE_TITLE, TRICKY_SOURCE
from helpers.page import ask_page as ask
from helpers.page import open_page
from helpers.paths import APP
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx
from streamlit.testing.v1 import AppTest

from ingest.pipeline import ingest_articles
from qa.config import Settings
from qa.interface import preload
from qa.news.dates import parse_date
from qa.store import NewsIndex
from qa.types import Article


def load_app_module():
    """app.py as a module, without running the page (it only runs as __main__)."""
    spec = importlib.util.spec_from_file_location("newsqa_app", APP)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


page = load_app_module()
MINSK = "Who proposed talks in Minsk?"
ABSTAINED = "couldn't find"


def unescape(markdown: str) -> str:
    """What an escaped Markdown string reads as (enough for assertions on plain text)."""
    return markdown.replace("\\", "")


def last_answer(at: AppTest) -> str:
    assistant = [m for m in at.chat_message if m.name == "assistant"][-1]
    return unescape(assistant.markdown[0].value)


def test_answer_cites_the_article(monkeypatch, sample_store):
    at = ask(open_page(monkeypatch, sample_store), MINSK)
    assert "Putin" in last_answer(at)
    assert "[1]" in last_answer(at)
    [source] = at.expander
    label = unescape(source.label)
    assert SAMPLE_TITLE in label and "Sample" in label and "2022-02-25" in label
    passage = source.markdown[-1].value
    assert ":orange-background[" in passage and "Putin reportedly said" in unescape(passage)
    # The answer leads with the headline; it is named above the passage, not a second source.
    assert "Quotes the headline" in unescape(source.caption[0].value)
    assert not at.error


def test_short_answer_leads_in_bold_above_the_cited_sentence(monkeypatch, sample_store):
    at = ask(open_page(monkeypatch, sample_store), MINSK)
    answer = last_answer(at)
    first, *rest = answer.split("\n\n")
    assert first == "**Putin**"  # what the reader found, first
    assert "Putin" in rest[-1] and rest[-1].rstrip().endswith("]")  # then the cited evidence


def test_unanswerable_question_abstains_without_sources(monkeypatch, sample_store):
    at = ask(open_page(monkeypatch, sample_store), "Who won the World Cup?")
    assert ABSTAINED in last_answer(at)
    assert not at.expander
    assert not at.error


def test_history_is_replayed_and_new_chat_clears_it(monkeypatch, sample_store):
    at = ask(ask(open_page(monkeypatch, sample_store), MINSK), "Who won the World Cup?")
    assert [m.name for m in at.chat_message] == ["user", "assistant", "user", "assistant"]
    assert len(at.expander) == 1  # the first answer's source survives the rerun
    at.button("new_chat").click().run()
    assert not at.exception
    assert not at.chat_message
    assert at.session_state.messages == []


def test_empty_store_explains_how_to_ingest(monkeypatch):
    at = open_page(monkeypatch)  # the autouse fixture points NEWSQA_STORE at an empty folder
    assert "python -m ingest" in at.info[0].value
    assert "make ingest" in at.info[0].value
    assert at.chat_input("question").disabled
    assert not at.error


def preload_until_asked(monkeypatch, store: Path) -> None:
    """A preload of `store` for the page, as `python app.py` starts it, still waiting to open it
    when the page first runs (it opens once the page asks)."""
    monkeypatch.setenv("NEWSQA_STORE", str(store))
    preload.preload(Settings.from_env(), after=lambda wanted: wanted.wait(30))


def test_the_first_page_load_draws_the_input_while_the_store_opens(
    monkeypatch, sample_store, tmp_path
):
    store = shutil.copytree(sample_store, tmp_path / "store")  # a store no page has opened yet
    preload_until_asked(monkeypatch, store)
    input_drawn: list[bool] = []  # when the page asks for the store
    take = preload.take

    def take_noting_the_input(settings):
        keys = get_script_run_ctx().shared.widget_user_keys_this_run
        input_drawn.append("question" in keys)
        return take(settings)

    monkeypatch.setattr(preload, "take", take_noting_the_input)
    at = open_page(monkeypatch)
    assert input_drawn == [True]
    assert len(at.chat_input) == 1 and not at.chat_input("question").disabled
    assert "Putin" in last_answer(ask(at, MINSK))


def test_a_store_missing_at_the_first_page_load_disables_the_input(monkeypatch, tmp_path):
    preload_until_asked(monkeypatch, tmp_path / "no-store")
    at = open_page(monkeypatch)
    assert "There is no store" in at.info[0].value
    assert len(at.chat_input) == 1 and at.chat_input("question").disabled


def test_sidebar_shows_store_statistics(monkeypatch, tricky_store):
    at = open_page(monkeypatch, tricky_store)
    assert not at.sidebar.metric  # no big "Chunks 12,247" pushing the filters down on a phone
    summary = unescape(at.sidebar.markdown[0].value)
    assert summary == "**2 articles** from 2 sources, published 2022-02-25 to 2024-06-01"
    assert "chunk" not in " ".join(unescape(m.value).lower() for m in at.sidebar.markdown)
    sources = [unescape(m.value) for m in at.sidebar.markdown if "Sample: 1" in m.value]
    assert sources and f"{TRICKY_SOURCE}: 1" in sources[0]
    assert "Last updated: 20" in at.sidebar.caption[-1].value
    assert set(at.multiselect("topics").options) == {"Russia", "Ukraine", "World News"}


def test_article_text_is_shown_literally(monkeypatch, tricky_store):
    at = ask(
        open_page(monkeypatch, tricky_store),
        "What did the organisers post on the festival website?",
    )
    answer = at.chat_message[-1].markdown[0].value
    assert r"\<script\>alert\(1\)\<\/script\>" in answer
    assert "<script>" not in answer
    [source] = at.expander
    assert "<b>" not in source.label and "**tonight**" not in source.label
    assert unescape(source.label).startswith("**[1]** Harbour festival <b>returns</b> **tonight**")
    assert source.caption[0].value == "No link stored"  # a javascript: URL is never a link
    passage = source.markdown[0].value
    assert "**spectacular**" not in passage and "](javascript" not in passage
    assert r"\[tickets\]\(javascript\:alert\(2\)\)" in passage
    assert r"\$5" in passage
    assert r"pause \[organisers say\]\." in passage  # brackets inside text are escaped


def test_source_links_to_the_article(monkeypatch, tmp_path, embeddings):
    article = Article(
        title="Ferry strike ends",
        text="The ferry strike in Port Ellis ended on Monday after unions accepted a pay offer.",
        source="Harbour News",
        url="https://news.example/ferry strike (update)",
        published=parse_date("2024-05-06"),
    )
    store = tmp_path / "store"
    with NewsIndex(Settings(store_dir=store), embeddings=embeddings) as index:
        ingest_articles([article], index, progress=False)
    at = ask(open_page(monkeypatch, store), "When did the ferry strike end?")
    [source] = at.expander
    link, *_ = source.caption[0].value.split("  \n")
    assert link == (
        r"[Read the article on news\.example](https://news.example/ferry%20strike%20%28update%29)"
    )


@pytest.mark.parametrize(
    ("key", "value", "answered"),
    [
        ("sources", ["Sample"], True),
        ("sources", [TRICKY_SOURCE], False),
        ("topics", ["Ukraine"], True),
        ("since", date(2023, 1, 1), False),
        ("until", date(2022, 2, 25), True),  # the until day itself is included
        ("until", date(2022, 2, 24), False),
        ("as_of", date(2022, 2, 25), True),
        ("as_of", date(2022, 2, 24), False),  # the article's day is after it
    ],
)
def test_sidebar_filters_restrict_the_articles(monkeypatch, tricky_store, key, value, answered):
    at = open_page(monkeypatch, tricky_store)
    widget = at.multiselect(key) if key in ("sources", "topics") else at.date_input(key)
    widget.set_value(value).run()
    at = ask(at, MINSK)
    assert ("Putin" in last_answer(at)) is answered
    assert (ABSTAINED in last_answer(at)) is not answered
    # nothing found under a filter says which, and how to search everything
    hints = [unescape(c.value) for c in at.caption if "Searched only" in c.value]
    shown = value[0] if isinstance(value, list) else str(value)
    assert bool(hints) is not answered
    assert all(shown in h and "remove these filters" in h for h in hints)


def test_an_empty_chat_says_what_the_store_holds(monkeypatch, sample_store):
    at = open_page(monkeypatch, sample_store)
    [welcome] = [unescape(c.value) for c in at.caption if "Ask about" in c.value]
    assert welcome.startswith("Ask about 1 article from 1 source, 2022-02-25 to 2022-02-25.")
    ask(at, MINSK)
    assert not [c for c in at.caption if "Ask about" in c.value]  # gone once a chat starts


def test_a_blank_message_is_not_sent(monkeypatch, sample_store):
    at = ask(open_page(monkeypatch, sample_store), "   ")
    assert not at.chat_message and not at.error


def test_citation_shows_attribution_resolved_dates_and_age(monkeypatch, sample_store):
    at = open_page(monkeypatch, sample_store)
    at.date_input("as_of").set_value(date(2022, 3, 7)).run()
    at = ask(at, "Which outlet reported that Putin called Lukashenko?")
    [source] = at.expander
    label = unescape(source.label)
    assert "2022-02-25 (10 days old)" in label and label.endswith("per the BBC")
    assert "Ages as of 2022-03-07" in [unescape(c.value) for c in at.caption]
    at = ask(at, "When were diplomatic relations broken off?")
    assert "Refers to 24 February 2022" in unescape(at.expander[-1].caption[0].value)


def test_timeline_view_lists_dated_events_with_citations(monkeypatch, sample_store):
    at = open_page(monkeypatch, sample_store)
    at.toggle("timeline_view").set_value(True).run()
    assert not at.exception and not at.chat_input
    at.text_input("timeline_query").input("Putin talks with Ukraine").run()
    assert not at.exception
    lines = unescape(at.markdown[0].value).split("\n")
    assert lines[0].startswith("- **24 February 2022**:") and lines[0].endswith("[1]")
    assert lines[-1].startswith("- **25 February 2022")
    assert all(line.endswith("[1]") for line in lines)  # one article, one number
    [source] = at.expander  # and one source, showing the passages its events come from
    assert unescape(source.label).startswith("**[1]** Putin ready for talks in Minsk")
    assert "per POLITICO" not in source.label  # one event's attribution is not the article's
    assert len(source.markdown) >= 2 and all(
        ":orange-background[" in m.value for m in source.markdown
    )
    at.toggle("timeline_view").set_value(False).run()
    assert at.chat_input("question") and not at.exception


def test_timeline_view_without_matching_events(monkeypatch, sample_store):
    at = open_page(monkeypatch, sample_store)
    at.toggle("timeline_view").set_value(True).run()
    at.text_input("timeline_query").input("World Cup football final").run()
    assert "No dated events" in at.info[0].value
    assert not at.expander and not at.exception


def test_question_errors_show_one_line(monkeypatch, sample_store):
    at = ask(open_page(monkeypatch, sample_store), "?" * 5)
    [error] = at.error
    assert "no words" in error.value and "\n" not in error.value


@pytest.mark.parametrize(
    ("variable", "make_value", "message"),
    [
        ("NEWSQA_LLM", lambda tmp: "bogus", "NEWSQA_LLM='bogus' is not supported"),
        ("NEWSQA_STORE", lambda tmp: str(tmp / "a-file"), "is a file, not a store folder"),
    ],
)
def test_broken_configuration_shows_one_line(monkeypatch, tmp_path, variable, make_value, message):
    (tmp_path / "a-file").write_text("not a folder")
    monkeypatch.setenv(variable, make_value(tmp_path))
    at = open_page(monkeypatch)
    [error] = at.error
    assert message in error.value and "\n" not in error.value
    assert not at.chat_input


def test_password_gate(monkeypatch, sample_store):
    monkeypatch.setenv("NEWSQA_PASSWORD", "open sesame")
    at = open_page(monkeypatch, sample_store)
    assert not at.chat_input and not at.sidebar.metric and not at.markdown
    at.text_input("password").input("wrong").run()
    assert at.error[0].value.startswith("Wrong password.")
    assert not at.chat_input
    at.text_input("password").input("open sesame").run()
    assert not at.exception
    assert not at.text_input and not at.error
    assert "Putin" in last_answer(ask(at, MINSK))
