"""Evidence from the time asked about.

A news question names no date when it is about the present: "Who won the election?" asked in
April 2026 means this spring's election, and an article of a year before about another one
shares every word of it. So when a question names no other time, a sentence whose own dates lie
months before the as-of day ("the week of 28 April 2025") never leads the answer.

When every article an answer about the present would cite is older than that, it is no answer
unless the reader is sure of it (`stale_and_unsure`): on the dev set the 14 such answers were all
wrong, on held-out weeks 16 of 18. When the reader is sure, the answer is shown and says its
evidence is old (`note_old_evidence`): such answers were still wrong 28 times in 40 on dev and 55
in 67 on held-out weeks, but abstaining would lose 12 right answers on each.

Measured and left out (docs/eval.md): halving the score of candidates published over 45 days
before the as-of day when a recent one was evidence enough cost the dev set 4 answers of 150
(shown@300 0.293 -> 0.267; 0.273 at 30 days or at a factor of 0.7).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from qa.answering.candidates import Candidate
from qa.news.citations import age_in_days, passage_dates
from qa.news.dates import parse_event_date
from qa.types import Answer

OLD_EVENT_DAYS = 90  # a sentence about days this long before the as-of day is history
STALE_AND_UNSURE = (
    "The closest evidence is in articles at least {days:,} days older than the as-of date "
    "{as_of}, and the reader does not read it as an answer."
)
OLD_EVIDENCE = (
    "Every cited article is at least {days:,} days older than the as-of date {as_of}: "
    "the answer may tell of an earlier event."
)

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


def recent_lead(ranked: list[Candidate], as_of: datetime) -> list[Candidate]:
    """`ranked` without the candidates that speak of months before the as-of day, so none of
    them leads an answer about the present."""
    return [c for c in ranked if not refers_to_the_past(c, as_of)]


def note_old_evidence(answer: Answer, question: str, as_of: datetime | None) -> None:
    """Add to `answer.notice` that its evidence is old, when the question is about the present
    and every cited article was published more than OLD_EVENT_DAYS before `as_of` (the
    citations' `age_days` set): the evidence may be about an earlier event, or still hold
    ("the world's largest coral reef")."""
    if answer.abstained or as_of is None or not asks_about_present(question, as_of):
        return
    if (days := all_old([c.age_days for c in answer.citations])) is not None:
        note = OLD_EVIDENCE.format(days=days, as_of=as_of.date())
        answer.notice = " ".join(filter(None, [answer.notice, note]))


def stale_and_unsure(
    question: str, chosen: list[Candidate], as_of: datetime | None, sure: float
) -> str | None:
    """Why an answer about the present is no answer: every sentence `chosen` comes from an
    article published more than OLD_EVENT_DAYS before `as_of`, and the reader read none of them
    at `sure` (its `bars.sure`). None when the answer may stand (or nothing was read)."""
    if as_of is None or not chosen or not asks_about_present(question, as_of):
        return None
    readings = [c.reading for c in chosen if c.reading is not None]
    if not readings or max(readings) >= sure:
        return None
    days = all_old([age_in_days(c.passage.published, as_of) for c in chosen])
    return None if days is None else STALE_AND_UNSURE.format(days=days, as_of=as_of.date())


def all_old(ages: list[int | None]) -> int | None:
    """The youngest of `ages` (days before the as-of day) when every one is known and over
    OLD_EVENT_DAYS, else None (no ages, an undated article, or a recent one)."""
    if not ages or any(a is None or a <= OLD_EVENT_DAYS for a in ages):
        return None
    return min(a for a in ages if a is not None)
