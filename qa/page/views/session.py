"""The tab's chat in Streamlit's session state: starting afresh, and forgetting it all."""

from __future__ import annotations

import streamlit as st

CHAT_PARAM = "chat"  # the page address's parameter naming the open chat (?chat=ID)


def start_new_chat() -> None:
    st.session_state.messages = []
    st.session_state.pending = []
    st.session_state.pop("asker", None)  # the asker holds the conversation for follow-ups
    st.session_state.pop("conversation_id", None)  # the next question starts a saved chat
    st.query_params.pop(CHAT_PARAM, None)


def forget_chat() -> None:
    """Nothing of one account's chat stays in the tab for the next one."""
    start_new_chat()
    for key in ("missing_chat", "deleting", "timeline_view", "timeline_query"):
        st.session_state.pop(key, None)
    st.session_state.address_read = True  # an address's chat was the last account's
