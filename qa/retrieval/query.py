"""Question understanding for news: when the question is about, and which outlet it names.

News questions are asked at a date ("as of"): "this week", "yesterday" and "on Friday" mean
different days depending on when they are asked, and an article published after that date
cannot be the answer. The results are soft preferences, not filters, except for "as of".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from qa.news.dates import WEEKDAY_NAMES, epoch

DAY = timedelta(days=1)
WEEKDAYS = [name.lower() for name in WEEKDAY_NAMES]
# Without a time word, news questions are about the recent past: the weekly quiz's "this week".
DEFAULT_WINDOW_DAYS = 14

# Relative expressions -> (days back to the window's start, days back to its end).
_WINDOWS = [
    (r"\btoday\b|\bthis morning\b|\btonight\b", (1, 0)),
    (r"\byesterday\b|\blast night\b", (2, 0)),
    (r"\bthis week(end)?\b|\bthe past week\b|\bthe last week\b|\bin recent days\b", (7, 0)),
    (r"\blast week(end)?\b", (14, 5)),
    (r"\bthis month\b|\bthe past month\b", (31, 0)),
    (r"\blast month\b", (62, 25)),
    (r"\bthis year\b", (366, 0)),
    (r"\blast year\b", (731, 300)),
    (r"\brecent(ly)?\b|\blatest\b|\bnew(ly)?\b|\bjust\b", (14, 0)),
]
_SOURCE_CUES = re.compile(
    r"\b(?:according to|reported by|per|says?|said|reports?|reported)\s+(?:the\s+)?"
    r"([A-Z][\w.&'-]*(?:\s+[A-Z][\w.&'-]*){0,3})",
)


@dataclass(frozen=True)
class QueryInfo:
    """What retrieval should prefer: a time window (epoch seconds) and named outlets."""

    window: tuple[int, int] | None = None
    names_time: bool = False  # the question names a window other than the default one
    sources: tuple[str, ...] = ()


def default_window(as_of: datetime | None) -> tuple[int, int] | None:
    """The `DEFAULT_WINDOW_DAYS` up to and including the as-of day; None without one."""
    if as_of is None:
        return None
    end = as_of + DAY
    return epoch(end - DEFAULT_WINDOW_DAYS * DAY), epoch(end)


def named_window(question: str, as_of: datetime | None) -> tuple[int, int] | None:
    """The days a question names ("this week", "on Friday"), resolved against `as_of`; None
    when it names none or there is no as-of date."""
    if as_of is None:
        return None
    q = question.lower()
    end = as_of + DAY  # the whole as-of day
    for pattern, (back_start, back_end) in _WINDOWS:
        if re.search(pattern, q):
            return epoch(end - back_start * DAY), epoch(end - back_end * DAY)
    m = re.search(r"\bon (" + "|".join(WEEKDAYS) + r")\b", q)
    if m:
        # "on Friday": the most recent Friday on or before the as-of date.
        back = (as_of.weekday() - WEEKDAYS.index(m.group(1))) % 7
        day = as_of - back * DAY
        return epoch(day - DAY), epoch(day + 2 * DAY)
    return None


def named_sources(question: str, known: list[str]) -> tuple[str, ...]:
    """Stored source names the question names as the outlet ("according to Reuters")."""
    found = []
    for m in _SOURCE_CUES.finditer(question):
        phrase = _key(m.group(1))
        found += [s for s in known if _same_outlet(phrase, _key(s))]
    return tuple(dict.fromkeys(found))


def _same_outlet(phrase: str, key: str) -> bool:
    """ "bbc" names "bbc news" and "reuters world desk" names "reuters": one is a word prefix."""
    if not phrase or not key:
        return False
    short, long = sorted((phrase, key), key=len)
    return long == short or long.startswith(short + " ")


def _key(source: str) -> str:
    """Comparable form of an outlet name: "bbc.co.uk" and "The BBC" both give "bbc"."""
    s = source.lower().strip()
    s = re.sub(r"^(the\s+|www\.)", "", s)
    s = re.sub(r"\.(com|co\.uk|org|net|co|news|uk)(/.*)?$", "", s)
    return re.sub(r"[^a-z0-9]+", " ", s).strip()


def understand(question: str, *, as_of: datetime | None, known_sources: list[str]) -> QueryInfo:
    named, default = named_window(question, as_of), default_window(as_of)
    return QueryInfo(
        window=named or default,
        names_time=named not in (None, default),  # "recently" names the default window
        sources=named_sources(question, known_sources),
    )
