"""Citations: the quoted sentence or headline with its attribution and dates, and its age."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from qa.news.attribution import find_attribution
from qa.news.dates import dates_within, find_dates, has_relative_date, parse_event_date
from qa.types import Citation, Passage


def passage_dates(passage: Passage, start: int, end: int) -> list[str]:
    """ISO dates that `passage.text[start:end]` refers to: stored at ingest, else resolved now."""
    if passage.dated_sentences is not None:
        return dates_within(passage.dated_sentences, start, end)
    return resolved_dates(passage.text[start:end], passage)


def resolved_dates(text: str, passage: Passage) -> list[str]:
    """ISO dates that `text` (from `passage`'s article) refers to, resolved against the day the
    article was published."""
    published = None
    if passage.published is not None:
        published = datetime.fromtimestamp(passage.published, UTC).date()
    return [d.iso for d in find_dates(text, published)]


def date_note(sentence: str, isos: list[str], *, asked_when: bool) -> str | None:
    """The note of a sentence's resolved dates ("(24 February 2022)"), or None where it adds
    nothing: the sentence's dates are not relative and the question does not ask when. A date
    another one already names ("2026" beside "28 April 2026") is left out, and each once."""
    if not isos or not (asked_when or has_relative_date(sentence)):
        return None
    labels = list(dict.fromkeys(d.label for iso in isos if (d := parse_event_date(iso))))
    labels = [
        label
        for label in labels
        if not any(
            other != label and re.search(rf"\b{re.escape(label)}\b", other) for other in labels
        )
    ]
    return f"({', '.join(labels)})" if labels else None


def with_date_note(sentence: str, isos: list[str], *, asked_when: bool) -> str:
    """The sentence, word for word, followed by its resolved dates: "The minister resigned
    yesterday. (24 February 2022)". The note stands outside the quote, so the quote is what the
    article says."""
    note = date_note(sentence, isos, asked_when=asked_when)
    return f"{sentence.rstrip()} {note}" if note else sentence


def cite(n: int, passage: Passage, start: int, end: int) -> Citation:
    """Citation [n] of the sentence `passage.text[start:end]`, with its dates and attribution."""
    quote = passage.text[start:end]
    return Citation(
        n=n,
        passage=passage,
        quote=quote,
        quote_start=start,
        quote_end=end,
        attribution=find_attribution(quote).source,
        dates=passage_dates(passage, start, end),
        also_published_by=list(passage.also_published_by),
    )


def cite_headline(n: int, passage: Passage) -> Citation:
    """Citation [n] of the headline of `passage`'s article (its title, not in the passage text)."""
    quote = passage.title.strip()
    return Citation(
        n=n,
        passage=passage,
        quote=quote,
        headline=True,
        attribution=find_attribution(quote).source,
        dates=resolved_dates(quote, passage),
        also_published_by=list(passage.also_published_by),
    )


def age_in_days(published: int | None, as_of: datetime | None) -> int | None:
    """Whole days from publication (epoch seconds) to `as_of` (default: now)."""
    if published is None:
        return None
    now = as_of or datetime.now(UTC)
    now = now.replace(tzinfo=UTC) if now.tzinfo is None else now
    return (now.date() - datetime.fromtimestamp(published, UTC).date()).days


def set_ages(citations: list[Citation], as_of: datetime | None) -> None:
    """Stamp each citation with its article's age relative to the question's "as of" date."""
    for c in citations:
        c.age_days = age_in_days(c.passage.published, as_of)
