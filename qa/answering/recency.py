"""Evidence from the time asked about.

A news question names no date when it is about the present: "Who won the election?" asked in
April 2026 means this spring's election, and an article of a year before about another one
shares every word of it. So when a question names no other time, evidence published well before
the as-of day loses to recent evidence that answers it, and a sentence whose own dates lie
months before the as-of day never leads the answer.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from qa.answering.candidates import Candidate, is_evidence
from qa.news.citations import passage_dates
from qa.news.dates import epoch, parse_event_date

STALE_DAYS = 45  # published this long before the as-of day: not the news asked about
STALE_FACTOR = 0.5  # a stale candidate's score, against recent evidence
OLD_EVENT_DAYS = 90  # a sentence about days this long before the as-of day is history

# A question that names another time than the present: a past year, "last year", "ever".
_OTHER_TIME = re.compile(
    r"\b(last year|years? ago|decades?|century|centuries|history|historic(al)?|all[- ]time|"
    r"ever|first time|since|in the past|previous(ly)?|former(ly)?|originally)\b",
    re.IGNORECASE,
)
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")


def asks_about_present(question: str, as_of: datetime | None) -> bool:
    """Whether the question is about the days before `as_of`: it names no past year and no
    other time ("last year", "ever", "since")."""
    if as_of is None or _OTHER_TIME.search(question):
        return False
    return all(int(year) >= as_of.year for year in _YEAR.findall(question))


def is_stale(candidate: Candidate, as_of: datetime) -> bool:
    """Published more than STALE_DAYS before the as-of day (an undated article is not)."""
    published = candidate.passage.published
    return published is not None and published < epoch(as_of - timedelta(days=STALE_DAYS))


def refers_to_the_past(candidate: Candidate, as_of: datetime) -> bool:
    """The latest date the sentence itself refers to is more than OLD_EVENT_DAYS before the
    as-of day ("the week of 28 April 2025", asked in May 2026); False for an undated one."""
    if candidate.headline:
        return False
    dates = [
        d.start
        for iso in passage_dates(candidate.passage, candidate.start, candidate.end)
        if (d := parse_event_date(iso)) is not None
    ]
    cutoff = (as_of.astimezone(UTC) if as_of.tzinfo else as_of).date()
    return bool(dates) and max(dates) < cutoff - timedelta(days=OLD_EVENT_DAYS)


def prefer_recent(candidates: list[Candidate], bar: float, as_of: datetime) -> None:
    """Scale down the stale candidates' scores when a recent one is evidence enough to answer."""
    recent = [c for c in candidates if not is_stale(c, as_of)]
    if any(is_evidence(c) and c.score >= bar for c in recent):
        for c in candidates:
            if is_stale(c, as_of):
                c.score *= STALE_FACTOR


def recent_lead(ranked: list[Candidate], as_of: datetime) -> list[Candidate]:
    """`ranked` without the candidates that speak of months before the as-of day, so none of
    them leads an answer about the present."""
    return [c for c in ranked if not refers_to_the_past(c, as_of)]
