"""Question understanding: time windows against the as-of date, outlets named in questions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from qa.news.dates import epoch, parse_date
from qa.retrieval.query import named_sources, understand

AS_OF = datetime(2022, 2, 25, tzinfo=UTC)  # a Friday


def day(iso: str) -> int:
    return epoch(parse_date(iso))


@pytest.mark.parametrize(
    ("question", "start", "end"),
    [
        ("What happened yesterday in Kyiv?", "2022-02-24", "2022-02-26"),
        ("Who resigned this week?", "2022-02-19", "2022-02-26"),
        ("What did the minister say last week?", "2022-02-12", "2022-02-21"),
        ("What happened on Thursday?", "2022-02-23", "2022-02-26"),
        ("Who proposed talks in Minsk?", "2022-02-12", "2022-02-26"),
    ],
)
def test_time_window(question, start, end):
    assert understand(question, as_of=AS_OF, known_sources=[]).window == (day(start), day(end))


def test_no_window_without_as_of():
    assert understand("What happened yesterday?", as_of=None, known_sources=[]).window is None


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("What happened according to Reuters?", ("reuters.com",)),
        ("What did the BBC report about Minsk?", ()),
        ("Who called Lukashenko, per The BBC?", ("BBC News",)),
        ("Who called Lukashenko?", ()),
    ],
)
def test_named_sources(question, expected):
    assert named_sources(question, ["reuters.com", "BBC News", "usatoday.com"]) == expected


@pytest.mark.parametrize(
    ("question", "names_time"),
    [
        ("Who resigned this week?", True),
        ("What happened on Friday?", True),
        ("Who proposed talks in Minsk?", False),
        ("Who was recently hospitalized?", False),  # the same days as the default window
    ],
)
def test_understand_says_whether_the_question_names_its_own_time(question, names_time):
    info = understand(question, as_of=AS_OF, known_sources=[])
    assert info.names_time is names_time
    assert info.window is not None
