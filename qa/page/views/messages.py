"""A chat message on the page: an answer (streamed, or rebuilt from its saved record) with its
sources folded below it, each cited passage shown once with the quoted sentences marked."""

from __future__ import annotations

from datetime import date

import streamlit as st

from qa.page.chats import filters_caption
from qa.page.markdown import (
    escape_markdown,
    highlight_markdown,
    record_markdown,
    searched_label,
    source_details,
    source_label,
    sources_to_show,
)


def show_sources(record: dict, newest: date | None = None) -> None:
    """The answer's notices and filters, then one folded entry per cited source."""
    if record.get("notice"):
        st.caption(escape_markdown(record["notice"]))
    if caption := filters_caption(record, newest=newest):
        st.caption(caption)
    if searched := searched_label(record):
        st.caption(escape_markdown(searched))
    if record.get("as_of") and record.get("citations"):
        st.caption(f"Ages as of {escape_markdown(record['as_of'])}")
    for label, headline, cited in sources_to_show(record.get("citations", [])):
        with st.expander(source_label(label)):
            st.caption(source_details(label, headline))
            passages = set()
            for citation in cited:  # each passage once, marked at the first sentence it holds
                if citation.get("chunk_id") in passages:
                    continue
                passages.add(citation.get("chunk_id"))
                quote = (citation["quote_start"], citation["quote_end"])
                st.markdown(highlight_markdown(citation.get("passage", ""), *quote))


def show_message(message: dict, newest: date | None) -> None:
    if message.get("error"):
        st.error(message["content"])
    elif message.get("markdown"):
        st.markdown(message["markdown"])
        show_sources(message.get("answer") or {}, newest)
    elif message.get("answer"):  # a reopened chat: its answers are rebuilt from their records
        st.markdown(record_markdown(message["answer"]))
        show_sources(message["answer"], newest)
    else:
        st.markdown(escape_markdown(message["content"]))
