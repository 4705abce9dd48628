"""Adding articles from the page (editors): files and addresses in, a progress bar while the
ingest runs in the background, then its summary line and failures."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from qa.errors import NewsQAError
from qa.page.accounts import Visitor
from qa.page.markdown import escape_markdown


def show_add_articles(
    board: Any, visitor: Visitor, upload_types: list[str], start: Callable[[list, str], object]
) -> None:
    """Files and web addresses in, through the ingest pipeline in the background; the page
    and other users go on meanwhile. `board` is the server's `ingest.jobs.JobBoard`, `start`
    starts one of its jobs for this visitor from [(file name, bytes)] and the addresses' text
    (a `NewsQAError` when they cannot be read)."""
    with st.popover("Add articles", icon=":material/add:", width="stretch"):
        with st.form("add_articles", clear_on_submit=True, border=False):
            files = st.file_uploader(
                "Files",
                type=upload_types,
                accept_multiple_files=True,
                help="Articles as .txt, .md or .html, or JSON/JSONL dumps (.gz too), as "
                "`python -m ingest` reads them.",
            )
            addresses = st.text_area(
                "Page or feed addresses, one a line",
                placeholder="https://example.com/news/story.html\nhttps://example.com/feed.xml",
            )
            added = st.form_submit_button("Add", type="primary", width="stretch")
        if added:
            try:
                start([(f.name, f.getvalue()) for f in files or []], addresses)
            except NewsQAError as e:
                st.error(str(e))
    show_job(board, visitor)


def show_job(board: Any, visitor: Visitor) -> None:
    """The visitor's latest ingest: a bar while it runs, then its summary line."""
    job = board.latest(visitor.username)
    if job is None or st.session_state.get("job_dismissed") == job.id:
        return
    if job.running:
        st.fragment(job_progress, run_every=1.0)(board, visitor, job.id)
        return
    if job.state == "failed":
        st.error(escape_markdown(job.status_line()))
    else:
        show_job_summary(job)
    st.button("Dismiss", key="dismiss_job", on_click=dismiss_job, args=(job.id,))


def job_progress(board: Any, visitor: Visitor, job_id: int) -> None:
    """Redrawn each second; the whole page once the ingest ends (new articles, new counts)."""
    job = board.latest(visitor.username)
    if job is None or job.id != job_id or not job.running:
        st.rerun()
        return
    st.progress(job.fraction or 0.0, text=escape_markdown(job.status_line()))


def show_job_summary(job: Any) -> None:
    summary = job.summary
    if summary is None:
        return
    show = st.warning if summary.failed else st.success
    show(escape_markdown(summary.line()))
    lines = [
        f"- {escape_markdown(f['source'])}: {escape_markdown(f['error'])}" for f in summary.failed
    ]
    lines += [
        f"- {escape_markdown(w['source'])}: {escape_markdown(w['warning'])}"
        for w in summary.warnings
    ]
    if lines:
        st.markdown("\n".join(lines))


def dismiss_job(job_id: int) -> None:
    st.session_state.job_dismissed = job_id
