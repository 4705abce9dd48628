"""Timelines: the dated events about a query across articles, ordered by when they happened.

An event is a sentence of a retrieved passage that refers to a date (written out or resolved
against its article's publication date at ingest). An article's opening sentence with no date
of its own is dated by publication and marked so (`dated_by: "published"`): it is the news of
that day, but the text does not say so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from qa.answering.ask import clean_question
from qa.news.citations import cite
from qa.news.dates import PRECISIONS, EventDate, parse_event_date, without_dates
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
# Two events sharing this share of the shorter one's words are one event told twice (wire copies,
# a lead repeated in a summary box): the first found, from the more relevant passage, is kept.
NEAR_COPY_OVERLAP = 0.8

# A page's stamp ("Updated March 27, 2026, 5:48 p.m. ET") or byline ("By Andrea Swan and
# Li Wei, Reuters") is not an event, however many words its date and names take.
_STAMP = re.compile(
    r"^\W*(?:[Ll]ast\s+)?(?:[Uu]pdated|[Pp]ublished|[Pp]osted|[Mm]odified|[Ff]irst\s+published)"
    r"\s*(?::|on|at)?\s*(?:\d|[A-Z][a-z]{2})"  # then a date or time: "Published reports" is news
)
_CLOCK = re.compile(
    r"\b\d{1,2}[:.]\d{2}\b|\b[ap]\.?m\b\.?|\b(?:ET|EST|EDT|CT|PT|PST|PDT|GMT|UTC|BST|CET|CEST)\b",
    re.IGNORECASE,
)
_NAME = r"[A-Z][\w.'’-]*"
_BYLINE = re.compile(
    rf"^\s*By\s+{_NAME}(?:\s+{_NAME}){{0,3}}(?:\s*(?:,|and|&)\s*{_NAME}(?:\s+{_NAME}){{0,3}})*"
    r"\s*(?:[,|/–—-]\s*[\w .'’&-]{0,40})?[.]?\s*$"
)
_EVENT_WORD = re.compile(r"[^\W\d_]{2,}")


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
    kept: list[set[str]] = []  # the words of each event so far, to merge near-copies
    for p in passages:
        lead = p.start == 0  # the article's first chunk: its first real sentence is the lead
        for start, end in sentence_spans(p.text):
            key = (p.article_id, " ".join(p.text[start:end].split()))
            if key in seen:
                continue  # chunks overlap by a sentence
            seen.add(key)
            if len(key[1].split()) < MIN_EVENT_WORDS or is_stamp(key[1]):
                continue  # a byline or dateline before the lead leaves the lead its place
            citation = cite(0, p, start, end)
            dated = _event_date(citation, lead=lead)
            lead = False
            if dated is not None and not _near_copy(key[1], kept):
                kept.append(_words(key[1]))
                when, dated_by = dated
                order = (when.sort_key, p.published or 0, p.start + start)
                found.append((order, TimelineEvent(when.iso, citation.quote, citation, dated_by)))
    events = [event for _, event in sorted(found, key=lambda f: f[0])]
    numbers: dict[str, int] = {}  # one number per article, in order of first mention
    for event in events:
        event.citation.n = numbers.setdefault(event.citation.passage.article_id, len(numbers) + 1)
    return events


def is_stamp(sentence: str) -> bool:
    """A page's timestamp or byline rather than an event: "Updated March 27, 2026, 5:48 p.m.
    ET", "By Andrea Swan and Li Wei, Reuters", or a sentence that is little but a date."""
    if _STAMP.match(sentence) or _BYLINE.match(sentence):
        return True
    words = _EVENT_WORD.findall(_CLOCK.sub(" ", without_dates(sentence)))
    return len(words) < MIN_EVENT_WORDS - 1  # "Monday, 2 March 2026 at 10:00 GMT"


def _words(sentence: str) -> set[str]:
    return {w.lower() for w in _EVENT_WORD.findall(without_dates(sentence))}


def _near_copy(sentence: str, kept: list[set[str]]) -> bool:
    """True when an event already kept says the same in nearly the same words."""
    words = _words(sentence)
    return any(
        len(words & other) >= NEAR_COPY_OVERLAP * min(len(words), len(other))
        for other in kept
        if words and other
    )


def _related(p: Passage) -> bool:
    return (p.lexical or 0.0) > MIN_LEXICAL or (p.dense or 0.0) >= MIN_DENSE


def _event_date(citation: Citation, *, lead: bool) -> tuple[EventDate, str] | None:
    """The sentence's most precise date (the earliest of those), or its article's publication
    date for an undated `lead` (the article's first sentence of MIN_EVENT_WORDS words or more).

    "Talks that began the week of 2 March resumed on 11 April" happened on 11 April: a day
    written out says when more surely than a week or month the sentence also mentions."""
    dates = [d for iso in citation.dates if (d := parse_event_date(iso)) is not None]
    if dates:
        finest = max(PRECISIONS.index(d.precision) for d in dates)
        precise = [d for d in dates if PRECISIONS.index(d.precision) == finest]
        return min(precise, key=lambda d: d.sort_key), "text"
    p = citation.passage
    if lead and p.published is not None:
        day: date = datetime.fromtimestamp(p.published, UTC).date()
        return EventDate(day, "day"), "published"
    return None
