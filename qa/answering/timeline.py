"""Timelines: the dated events about a query across articles, ordered by when they happened.

An event is a sentence of a retrieved passage that refers to a date (written out or resolved
against its article's publication date at ingest). An article's opening sentence with no date
of its own is dated by publication and marked so (`dated_by: "published"`): it is the news of
that day, but the text does not say so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from qa.answering.ask import clean_question
from qa.news.citations import cite
from qa.news.dates import EventDate, parse_event_date
from qa.news.sentences import sentence_spans
from qa.retrieval.retrieve import hybrid_search
from qa.store import NewsIndex
from qa.types import Citation, Passage, SearchFilters

DEFAULT_TIMELINE_K = 12  # passages read: a timeline spans more articles than one answer
# Hybrid search always returns k passages; these keep the unrelated ones out of a small store.
# Measured on the sample article: related chunks score cosine 0.3-0.6 for "Putin talks".
MIN_DENSE = 0.25
MIN_LEXICAL = 0.0  # any BM25 match: the passage shares a query word
MIN_EVENT_WORDS = 5  # fewer is a byline, dateline or caption ("Andrea Swan"), not an event


@dataclass
class TimelineEvent:
    """One dated event: its date (ISO, at the precision the text gives), sentence and source."""

    date: str
    event: str
    citation: Citation
    dated_by: str = "text"  # or "published": no date in the text, the article's date is used

    def to_dict(self) -> dict:
        return {
            "date": self.date,
            "event": self.event,
            "citation": self.citation.to_dict(),
            "dated_by": self.dated_by,
        }


def build_timeline(
    index: NewsIndex,
    query: str,
    *,
    k: int = DEFAULT_TIMELINE_K,
    filters: SearchFilters = SearchFilters(),
) -> list[TimelineEvent]:
    """The dated events of the passages about `query`, earliest first, each cited: one number
    per article, as in answers."""
    query = clean_question(query)  # as a question is: no escapes, controls or lone surrogates
    index.refresh()
    passages = [p for p in hybrid_search(index, query, k=k, filters=filters) if _related(p)]
    found: list[tuple[tuple, TimelineEvent]] = []
    seen: set[tuple[str, str]] = set()
    for p in passages:
        lead = p.start == 0  # the article's first chunk: its first real sentence is the lead
        for start, end in sentence_spans(p.text):
            key = (p.article_id, " ".join(p.text[start:end].split()))
            if key in seen:
                continue  # chunks overlap by a sentence
            seen.add(key)
            if len(key[1].split()) < MIN_EVENT_WORDS:
                continue  # a byline or dateline before the lead leaves the lead its place
            citation = cite(0, p, start, end)
            dated = _event_date(citation, lead=lead)
            lead = False
            if dated is not None:
                when, dated_by = dated
                order = (when.sort_key, p.published or 0, p.start + start)
                found.append((order, TimelineEvent(when.iso, citation.quote, citation, dated_by)))
    events = [event for _, event in sorted(found, key=lambda f: f[0])]
    numbers: dict[str, int] = {}  # one number per article, in order of first mention
    for event in events:
        event.citation.n = numbers.setdefault(event.citation.passage.article_id, len(numbers) + 1)
    return events


def _related(p: Passage) -> bool:
    return (p.lexical or 0.0) > MIN_LEXICAL or (p.dense or 0.0) >= MIN_DENSE


def _event_date(citation: Citation, *, lead: bool) -> tuple[EventDate, str] | None:
    """The sentence's earliest date, or its article's publication date for an undated `lead`
    (the article's first sentence of MIN_EVENT_WORDS words or more)."""
    dates = [d for iso in citation.dates if (d := parse_event_date(iso)) is not None]
    if dates:
        return min(dates, key=lambda d: d.sort_key), "text"
    p = citation.passage
    if lead and p.published is not None:
        day: date = datetime.fromtimestamp(p.published, UTC).date()
        return EventDate(day, "day"), "published"
    return None
