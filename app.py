"""The chat page: ask the ingested news, read short answers with numbered, highlighted sources.

Layout and rendering only. Answers come from `qa.answering.ask.Asker`, statistics from `qa.store.NewsIndex`;
this module composes them into the page, with the sections in `qa.page.views` (sign-in, adding
articles, a message and its sources). Everything taken from articles is escaped before
it reaches Markdown (`qa.page.markdown`), so an article can never inject HTML, links, math or formatting.
"""

from __future__ import annotations

import sys

if __name__ == "__main__" and "streamlit" not in sys.modules:
    # `python app.py [options]` (`make run`): `streamlit run app.py` that opens the store as soon
    # as the server listens, while the first browser loads the page (qa/interface/preload.py). Before the
    # page's imports, which would delay the server; after it listens, as both need the one GIL.
    from streamlit import config
    from streamlit.web import cli

    from qa.config import Settings
    from qa.interface import preload

    options = sys.argv[1:]
    port = int(preload.option_value(options, "server.port") or config.get_option("server.port"))
    preload.preload(
        Settings.from_env(),
        after=lambda wanted: preload.wait_for_listener(port, wanted),
        report=lambda line: print(line, file=sys.stderr, flush=True),
    )
    sys.argv = ["streamlit", "run", __file__, *options]
    sys.exit(cli.main())

import logging
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from datetime import time as clock
from pathlib import Path
from typing import Any, NamedTuple

import streamlit as st

from ingest.jobs import JobBoard, Upload
from ingest.sources.files import SUPPORTED_EXTENSIONS
from qa.answering.ask import MAX_QUESTION_CHARS, Asker, AskOptions
from qa.answering.coverage import Coverage
from qa.answering.timeline import build_timeline
from qa.config import Settings
from qa.conversation.saved import ConversationStore
from qa.errors import NewsQAError, StoreMissingError
from qa.interface import preload
from qa.news.citations import set_ages
from qa.page.accounts import Visitor
from qa.page.chats import (
    FILTER_PARAMS,
    address_params,
    chat_file_name,
    chat_labels,
    chat_markdown,
    filters_record,
    last_filters,
    record_from_address,
    widget_values,
)
from qa.page.markdown import (
    answer_markdown,
    answer_record,
    citation_record,
    escape_markdown,
    literal_markdown,
    store_line,
    timeline_line,
    welcome_line,
)
from qa.page.views.add_articles import show_add_articles
from qa.page.views.messages import show_message, show_sources
from qa.page.views.session import CHAT_PARAM, start_new_chat
from qa.page.views.sign_in import sign_in
from qa.store import NewsIndex
from qa.types import UNKNOWN_SOURCE, Answer, AnswerStream

PAGE_TITLE = "Ask the news"
ASK_PLACEHOLDER = "Ask about the news"
SOURCES_LISTED = 10  # sources named in the sidebar; the rest are counted
EARLIEST_DATE = date(1900, 1, 1)  # date pickers default to a 10-year window; archives are older
INGEST_HELP = """\
The store at `{store}` has no articles yet. Add some from a terminal, then reload this page:

```
python -m ingest FILE_OR_FOLDER_OR_URL ...
make ingest SOURCES="articles/ https://example.com/feed.xml"
```

For the bundled sample: `make run` ingests it when the store is empty.
"""
NO_STORE_HELP = INGEST_HELP.replace(
    "The store at `{store}` has no articles yet.", "There is no store at `{store}` yet."
)
log = logging.getLogger("newsqa.app")


def write_answer(asker: Asker, question: str, options: AskOptions) -> tuple[str, Answer]:
    """Write the answer to `question` into the current container; return its Markdown and Answer.

    An extractive answer is found whole, so it is shown whole as soon as it is found. An LLM's
    tokens are escaped and shown as they come.
    """
    with st.spinner("Searching the articles…"):
        stream = asker.ask_stream(question, options)
        if stream.live:
            return str(st.write_stream(escaped_tokens(stream))), stream.finish()
        answer = stream.finish()
    markdown = answer_markdown(answer)
    st.markdown(markdown)
    return markdown, answer


def escaped_tokens(stream: AnswerStream) -> Iterator[str]:
    """The stream's text as literal Markdown, chunk by chunk."""
    for chunk in stream:
        yield literal_markdown(chunk)


# -- page sections --------------------------------------------------------------------------


@st.cache_resource(show_spinner=False)
def open_index(settings: Settings) -> NewsIndex:
    """One index per store for the server's lifetime, shared by all sessions (`preload.take`)."""
    return preload.take(settings)


@st.cache_resource(show_spinner=False)
def job_board(settings: Settings) -> JobBoard:
    """The server's page ingests into this store (one board, every session); uploads wait in
    the store folder (a Chroma server's: the system's temporary folder) while they are read."""
    folder = Path(tempfile.gettempdir()) / "newsqa" if settings.uses_server else settings.store_dir
    return JobBoard(settings, folder)


UPLOAD_TYPES = sorted({ext.rsplit(".", 1)[-1] for ext in SUPPORTED_EXTENSIONS})


def start_ingest(board: JobBoard, visitor: Visitor):
    """What the Add articles form calls: a job of `visitor`'s with the uploaded files."""

    def start(files: list[tuple[str, bytes]], addresses: str) -> None:
        uploads = [Upload(name, data) for name, data in files]
        board.start(owner=visitor.username, uploads=uploads, addresses=addresses)

    return start


def add_articles(settings: Settings, visitor: Visitor) -> None:
    board = job_board(settings)
    show_add_articles(board, visitor, UPLOAD_TYPES, start_ingest(board, visitor))


def show_store_line(stats: dict) -> None:
    """One line above the filters: how many articles, from when to when (nothing that pushes
    the filters below the fold on a phone)."""
    st.markdown(store_line(stats), help="Articles are searched in passages of a few sentences.")


def show_sources_list(stats: dict) -> None:
    """The sources and when the store last changed, folded away below the filters (a
    popover: the page's expanders are its answers' sources)."""
    sources = list(stats["sources"].items())
    lines = [f"- {escape_markdown(name)}: {count:,}" for name, count in sources[:SOURCES_LISTED]]
    if len(sources) > SOURCES_LISTED:
        lines.append(f"- and {len(sources) - SOURCES_LISTED:,} more")
    updated = stats.get("last_updated")
    if updated:
        updated = datetime.fromisoformat(updated).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    with st.popover(f"Sources ({len(sources):,})", width="stretch"):
        if lines:
            st.markdown("\n".join(lines))
        st.caption(f"Last updated: {updated or '–'}")


@st.cache_resource(show_spinner=False)
def open_conversations(folder: str) -> ConversationStore:
    """The saved chats of the store whose local state lives in `folder`."""
    return ConversationStore(Path(folder))


def open_chat(conversations: ConversationStore, conversation_id: int, stats: dict) -> None:
    """Replace the chat on the page with a saved one; follow-ups continue it, under the
    filters its last answer was given (restored in the sidebar). The page's address names it
    (`?chat=ID`), so a reload or a bookmark opens it again."""
    st.session_state.messages = conversations.messages(conversation_id)
    st.session_state.conversation_id = conversation_id
    st.session_state.pop("asker", None)  # rebuilt from the reopened messages
    st.session_state.timeline_view = False  # a reopened chat is read in the chat view
    st.query_params[CHAT_PARAM] = str(conversation_id)
    if (filters := last_filters(st.session_state.messages)) is not None:
        known = {"sources": list(stats["sources"]), "topics": list(stats.get("topics") or [])}
        for key, value in widget_values(filters, **known).items():
            st.session_state[key] = value  # before the widgets are drawn: they show it


def reopen_from_address(conversations: ConversationStore, stats: dict) -> None:
    """On a session's first run, the chat its address names (`?chat=ID`), else the filters it
    names (`?source=...&since=...`); a chat that is not saved here is said, once, and a new
    chat is open."""
    if st.session_state.get("address_read"):
        return
    st.session_state.address_read = True
    wanted = st.query_params.get(CHAT_PARAM, "")
    if wanted.isdigit() and conversations.find(int(wanted)) is not None:
        open_chat(conversations, int(wanted), stats)
        return
    if wanted:
        st.query_params.pop(CHAT_PARAM, None)
        st.session_state.missing_chat = wanted
    named = {key: st.query_params.get_all(key) for key in FILTER_PARAMS}
    if (filters := record_from_address(named)) is not None:
        known = {"sources": list(stats["sources"]), "topics": list(stats.get("topics") or [])}
        for key, value in widget_values(filters, **known).items():
            st.session_state[key] = value  # before the widgets are drawn: they show it


def filters_to_address(options: AskOptions, default_as_of: date) -> None:
    """Keep the sidebar's filters in the page address, so a reload or a link keeps them."""
    for key, values in address_params(filters_record(options), default_as_of=default_as_of).items():
        if values:
            if st.query_params.get_all(key) != values:
                st.query_params[key] = values
        elif key in st.query_params:
            del st.query_params[key]


def show_missing_chat() -> None:
    """The one line for an address naming a chat that is not saved (shown until a question)."""
    wanted = st.session_state.get("missing_chat")
    if wanted and not st.session_state.get("messages"):
        st.warning(
            f"There is no saved chat {wanted!r} on this server (it was deleted, or the link is "
            "from another server): a new chat is open; pick a saved one in the sidebar.",
            icon=":material/link_off:",
        )


def ask_to_delete(conversation_id: int | None) -> None:
    st.session_state.deleting = conversation_id


def delete_chat(conversations: ConversationStore, conversation_id: int) -> None:
    conversations.delete(conversation_id)
    st.session_state.deleting = None
    if st.session_state.get("conversation_id") == conversation_id:
        start_new_chat()


def save_turn(conversations: ConversationStore, question: str, reply: dict) -> None:
    """Keep the question and its answer; the first question of a chat names it."""
    if reply.get("error"):
        return  # nothing worth reopening
    if st.session_state.get("conversation_id") is None:
        st.session_state.conversation_id = conversations.create(question)
        st.query_params[CHAT_PARAM] = str(st.session_state.conversation_id)
    conversation_id = st.session_state.conversation_id
    conversations.append(conversation_id, {"role": "user", "content": question})
    conversations.append(conversation_id, reply)


def show_conversations(conversations: ConversationStore, stats: dict) -> None:
    """Saved chats, newest first, by the first question's key words and when it was asked:
    open each, or delete it after a second click that confirms. Each chat is one row, on a
    phone too (a horizontal container does not stack as columns do)."""
    saved = conversations.list()
    if saved:
        st.header("Chats")
    labels = chat_labels(saved)
    for chat in saved:
        title = escape_markdown(chat.title)
        label = escape_markdown(labels[chat.id])
        if chat.id == st.session_state.get("deleting"):
            st.caption(f"Delete “{label}”?")
            delete, keep = st.columns(2, gap="small")
            delete.button(
                "Delete",
                key=f"delete_chat_{chat.id}",
                on_click=delete_chat,
                args=(conversations, chat.id),
                type="primary",
                width="stretch",
            )
            keep.button(
                "Keep",
                key=f"keep_chat_{chat.id}",
                on_click=ask_to_delete,
                args=(None,),
                width="stretch",
            )
            continue
        current = chat.id == st.session_state.get("conversation_id")
        row = st.container(horizontal=True, wrap=False, gap="small", vertical_alignment="center")
        row.button(
            label,
            key=f"open_chat_{chat.id}",
            help=title,  # the whole first question, which the label shortens
            on_click=open_chat,
            args=(conversations, chat.id, stats),
            type="primary" if current else "secondary",
            width="stretch",
        )
        row.button(  # an icon whose text (and so its accessible name) is "delete"
            ":material/delete:",
            key=f"ask_delete_chat_{chat.id}",
            help=f"Delete the chat “{label}”",
            on_click=ask_to_delete,
            args=(chat.id,),
            width="content",  # about 40 px: a tap target that leaves the row to the title
        )


def show_download(conversations: ConversationStore, newest: date | None) -> None:
    """The open chat as a Markdown file, with its answers' filters and sources."""
    messages = st.session_state.get("messages") or []
    if not messages:
        return
    chat = conversations.find(st.session_state.get("conversation_id") or -1)
    title = chat.title if chat else messages[0]["content"]
    st.download_button(
        "Download chat",
        data=chat_markdown(title, messages, newest=newest),
        file_name=chat_file_name(title, chat.created if chat else None),
        mime="text/markdown",
        key="download_chat",
        icon=":material/download:",
        help="The questions, answers and their sources as a Markdown file",
        on_click="ignore",
        width="stretch",
    )


def choose_llm(settings: Settings) -> str | None:
    """The answerer picked in the sidebar when an LLM is configured (None: no choice to make)."""
    if settings.llm == "none":
        return None
    labels = {
        settings.llm: f"LLM ({settings.llm_model or settings.llm})",
        "none": "Extractive (no LLM)",
    }
    return st.selectbox("Answer with", list(labels), format_func=labels.get, key="llm")  # type: ignore[arg-type]


def choose_options(stats: dict, coverage: Coverage) -> AskOptions:
    """The sidebar filters, as options for the next question. "Answer as of" starts at
    today for a live feed and at the newest article's day for an archive (`Coverage`)."""
    sources = st.multiselect(
        "Sources", list(stats["sources"]), key="sources", placeholder="All sources"
    )
    topics = []
    if stats.get("topics"):
        topics = st.multiselect("Topics", list(stats["topics"]), key="topics", placeholder="All")
    window: dict[str, Any] = {"min_value": EARLIEST_DATE, "format": "YYYY-MM-DD"}
    since = st.date_input("Published since", value=None, key="since", **window)
    until = st.date_input("Published until", value=None, key="until", **window)
    default = coverage.default_as_of()
    if st.session_state.get("as_of", default) == st.session_state.get("as_of_default", default):
        st.session_state.as_of = default  # untouched: follows the store (new articles count)
    st.session_state.as_of_default = default
    as_of = st.date_input(
        "Answer as of",
        key="as_of",
        help="Later articles are ignored; “yesterday” or “last week” are read from this day.",
        **window,
    )
    if since and until and since > until:
        st.warning("“Published since” is after “Published until”: no article can match.")
    return AskOptions(
        sources=tuple("" if s == UNKNOWN_SOURCE else s for s in sources),
        topics=tuple(topics),
        since=_day_start(since),
        until=_day_end(until),
        as_of=_day_end(as_of),
    )


def _day_start(day: date | None) -> datetime | None:
    return datetime.combine(day, clock.min, tzinfo=UTC) if day else None


def _day_end(day: date | None) -> datetime | None:
    """The last moment of `day`, so articles published during it pass an `until` bound."""
    return datetime.combine(day, clock.max, tzinfo=UTC) if day else None


def respond(question: str, options: AskOptions, newest: date | None) -> dict:
    """Show the answer to `question` in the current container; return its history entry."""
    try:
        markdown, answer = write_answer(st.session_state.asker, question, options)
    except NewsQAError as e:
        return show_error(str(e))
    except Exception:  # the page shows one line; the traceback goes to the server log
        log.exception("answering %r failed", question)
        return show_error("Something went wrong while answering; the server log has details.")
    record = answer_record(answer)
    record["as_of"] = options.as_of.date().isoformat() if options.as_of else None
    record["filters"] = filters_record(options)  # shown, saved, and restored with the chat
    show_sources(record, newest)
    return {
        "role": "assistant",
        "content": answer.text,
        "markdown": markdown,
        "answer": record,
    }


def show_timeline(index: NewsIndex, options: AskOptions) -> None:
    """The Timeline view: dated events about a query, earliest first, each cited.

    The sidebar's filters apply, so "as of" hides later articles and sets the citations' ages.
    """
    st.subheader("Timeline")
    query = st.text_input(
        "Events about", key="timeline_query", placeholder="e.g. talks between Russia and Ukraine"
    )
    if not query.strip():
        st.caption("Type a subject to see the dated events the articles report about it.")
        return
    try:
        events = build_timeline(index, query, filters=options.filters())
    except NewsQAError as e:
        st.error(str(e))
        return
    if not events:
        st.info("No dated events found for this subject in the ingested articles.")
        return
    set_ages([e.citation for e in events], options.as_of)
    st.markdown("\n".join(timeline_line(e.to_dict()) for e in events))
    as_of = options.as_of.date().isoformat() if options.as_of else None
    show_sources({"citations": [citation_record(e.citation) for e in events], "as_of": as_of})


def show_error(message: str) -> dict:
    st.error(message)
    return {"role": "assistant", "content": message, "error": True}


class Loaded(NamedTuple):
    """What a page run works with once the visitor is in and the store is open."""

    settings: Settings
    visitor: Visitor
    news_index: NewsIndex
    stats: dict


def load_page(with_input: bool = True) -> Loaded | None:
    """Sign-in, settings, index and statistics; on failure shows one line (and a disabled chat
    input, `with_input`) and returns None. An editor may add articles to a missing store."""
    settings: Settings | None = None
    visitor: Visitor | None = None
    try:
        settings = Settings.from_env()
        visitor = sign_in(settings)
        if visitor is None:
            return None
        with st.spinner("Loading the embedding model (once per server start)…"):
            index = open_index(settings)
        index.refresh()  # show articles ingested since the last page load
        return Loaded(settings, visitor, index, index.stats())
    except StoreMissingError:
        assert settings is not None and visitor is not None  # signed in before the store
        st.info(NO_STORE_HELP.format(store=settings.store_label) + add_hint(visitor))
        if visitor.can_add:
            with st.sidebar:
                add_articles(settings, visitor)
        if with_input:
            st.chat_input("Add some articles first", key="question", disabled=True)
    except NewsQAError as e:
        st.error(str(e))
    except Exception as e:
        log.exception("opening the store failed")
        st.error(f"Could not open the store ({type(e).__name__}); the server log has details.")
    return None


def add_hint(visitor: Visitor) -> str:
    """Where this visitor can add articles on the page, if they may."""
    if visitor.can_add:
        return "\nOr add files and web addresses here: **Add articles** in the sidebar."
    return "\nOnly an editor can add articles from this page."


def main() -> None:
    st.set_page_config(page_title=PAGE_TITLE, page_icon="📰")
    st.title(PAGE_TITLE)
    early = input_first()
    loaded = load_page(with_input=not early)
    if early and (loaded is None or not loaded.stats["chunks"]):
        st.rerun()  # the page of that state, with its input (a failed open is tried again)
    if loaded is None:
        return
    settings, visitor, index, stats = loaded
    coverage = Coverage.of(index)
    conversations = open_conversations(str(visitor.chats_folder(index.state_dir())))
    if stats["chunks"]:  # before the widgets: a chat opens in the chat view, with its filters
        reopen_from_address(conversations, stats)
    with st.sidebar:
        show_store_line(stats)
        if visitor.can_add:
            add_articles(settings, visitor)
        options = replace(choose_options(stats, coverage), llm=choose_llm(settings))
        if stats["chunks"]:
            filters_to_address(options, coverage.default_as_of())
        st.toggle("Timeline view", key="timeline_view", help="Dated events about a subject")
        st.button("New chat", key="new_chat", on_click=start_new_chat, width="stretch")
        chats = st.container()  # filled last, so a chat saved on this run is listed at once
        show_sources_list(stats)
    if not stats["chunks"]:
        st.info(INGEST_HELP.format(store=settings.store_label) + add_hint(visitor))
        st.chat_input("Add some articles first", key="question", disabled=True)
        return
    if st.session_state.get("timeline_view"):
        show_timeline(index, options)
        with chats:
            show_conversations(conversations, stats)
        return

    st.session_state.setdefault("messages", [])
    st.session_state.setdefault("pending", [])
    if "asker" not in st.session_state:
        st.session_state.asker = Asker(index, history=list(st.session_state.messages))
    show_missing_chat()
    for message in st.session_state.messages:
        with st.chat_message(message["role"]):
            show_message(message, coverage.newest)

    busy = bool(st.session_state.pending)  # disabled while answering: one question at a time
    if not st.session_state.messages and not busy:
        st.caption(welcome_line(stats))  # what can be asked, where the sidebar is folded away
    if not early:
        placeholder = "Answering…" if busy else ASK_PLACEHOLDER
        st.chat_input(
            placeholder,
            key="question",
            on_submit=queue_question,
            disabled=busy,
            max_chars=MAX_QUESTION_CHARS,
        )
    with chats:
        show_download(conversations, coverage.newest)
        show_conversations(conversations, stats)
    if busy:
        answer_pending(options, conversations, coverage.newest)
        st.rerun()  # the history and saved chats are complete: show them with the input enabled


def input_first() -> bool:
    """Draws the chat input before the page if the store is still opening (the server's first
    page load, qa/interface/preload.py), so a question can be typed meanwhile; it is queued and answered
    once the store is open. `main` draws the page again if the store turns out unusable."""
    try:
        settings = Settings.from_env()
    except NewsQAError:
        return False  # `load_page` shows it
    if not preload.in_flight(settings) or settings.password or settings.users_path.is_file():
        return False  # the sign-in comes first
    st.chat_input(
        ASK_PLACEHOLDER, key="question", on_submit=queue_question, max_chars=MAX_QUESTION_CHARS
    )
    return True


def queue_question() -> None:
    """The chat input's on_submit: runs before the page does, so a question sent while another
    is being answered (which interrupts that run) is queued, never lost."""
    question = st.session_state.get("question")
    if question and question.strip():  # an empty or blank message is not a question
        st.session_state.setdefault("pending", []).append(question)


def answer_pending(
    options: AskOptions, conversations: ConversationStore, newest: date | None
) -> None:
    """Answer the queued questions in order. A question and its answer enter the history
    together, once the answer is complete: an interrupted answer is simply given again."""
    while st.session_state.pending:
        question = st.session_state.pending[0]
        with st.chat_message("user"):
            st.markdown(escape_markdown(question))
        with st.chat_message("assistant"):
            reply = respond(question, options, newest)
        st.session_state.messages += [{"role": "user", "content": question}, reply]
        st.session_state.pending.pop(0)
        save_turn(conversations, question, reply)


# `streamlit run` and AppTest run this file as __main__; tests import the helpers above.
if __name__ == "__main__":
    main()
