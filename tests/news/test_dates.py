"""qa.news.dates: dates as users and sources write them, and the dates a sentence refers to."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from qa.errors import ConfigError
from qa.news.dates import (
    EventDate,
    date_span,
    date_spans,
    epoch,
    event_span,
    find_dates,
    is_calendar_word,
    parse_date,
    parse_date_option,
    parse_event_date,
)
from qa.retrieval.retrieve import hybrid_search
from qa.types import SearchFilters

PUBLISHED = date(2022, 2, 25)  # a Friday, as the sample article


@pytest.mark.parametrize(
    ("sentence", "dates"),
    [
        ("The minister resigned yesterday.", ["2022-02-24"]),
        ("Relations were broken off on Thursday, February 24, after the invasion.", ["2022-02-24"]),
        ("The invasion began yesterday, February 24.", ["2022-02-24"]),
        ("The deal was signed on 24 Feb 2022 in Paris.", ["2022-02-24"]),
        ("The treaty dates from the 3rd of March 1994.", ["1994-03-03"]),
        ("Sales fell in 2021.", ["2021"]),
        ("Prices rose in December 2021.", ["2021-12"]),
        ("The summit ended on Monday.", ["2022-02-21"]),
        ("On Friday the minister spoke.", ["2022-02-25"]),  # publication day itself
        ("Last Friday the minister spoke.", ["2022-02-18"]),
        ("Talks will be held on Monday.", ["2022-02-28"]),  # future tense looks ahead
        ("The vote is next Tuesday.", ["2022-03-01"]),
        ("They met last week.", ["2022-W07"]),
        ("Earlier this month the bank raised rates.", ["2022-02"]),
        ("The call comes a day after Peskov confirmed it.", ["2022-02-24"]),
        ("Lavrov had claimed earlier in the day that the goal was not to occupy.", ["2022-02-25"]),
        ("He left two days ago.", ["2022-02-23"]),
        ("Talks begin on March 3 in Geneva.", ["2022-03-03"]),  # nearest year, not last year
        ("He said he may march on the capital.", []),  # verbs are not months
        ("At least 137 people were killed.", []),
    ],
)
def test_find_dates_resolves_against_publication(sentence, dates):
    assert [d.iso for d in find_dates(sentence, PUBLISHED)] == dates


@pytest.mark.parametrize(
    "sentence", ["The city was founded 2500 years ago.", "It formed 99999999 days ago."]
)
def test_ago_before_year_one_is_no_date_not_an_error(sentence):
    """Regression: "2500 years ago" raised ValueError (year -478) and failed the whole article."""
    assert find_dates(sentence, PUBLISHED) == []


def test_relative_dates_need_a_publication_date():
    assert find_dates("The minister resigned yesterday.", None) == []
    assert [d.iso for d in find_dates("It was signed on 24 Feb 2022.", None)] == ["2022-02-24"]


@pytest.mark.parametrize(
    ("iso", "label"),
    [
        ("2022-02-24", "24 February 2022"),
        ("2022-02", "February 2022"),
        ("2021", "2021"),
        ("2022-W07", "the week of 14 February 2022"),
    ],
)
def test_stored_dates_round_trip_with_labels(iso, label):
    parsed = parse_event_date(iso)
    assert parsed.iso == iso and parsed.label == label


def test_event_dates_sort_coarse_before_fine():
    isos = ["2022-02-24", "2022", "2021-12", "2022-02"]
    ordered = sorted((parse_event_date(i) for i in isos), key=EventDate.sort_key.fget)
    assert [d.iso for d in ordered] == ["2021-12", "2022", "2022-02", "2022-02-24"]


def test_event_span_covers_every_period_named():
    assert event_span([]) is None
    start, end = event_span(["2022-02-24", "2022-W09"])  # 28 February to 6 March
    assert (start, end + 1) == (epoch(parse_date("2022-02-24")), epoch(parse_date("2022-03-07")))


@pytest.mark.parametrize(
    ("sentence", "span"),
    [
        ("Relations were broken off on Thursday, February 24, after it.", "Thursday, February 24"),
        ("The law was passed in 2019 after a long fight.", "in 2019"),
        ("Prices rose last week, the agency said.", "last week"),
        ("The 2019 law stands.", "2019"),
        ("The Jan. 6 committee voted.", "Jan. 6"),
        ("The bill passed on 3/14/2021 after a vote.", "3/14/2021"),
        ("The strike ends in mid-March.", "mid-March"),
        ("Crowds may march on 300 streets.", None),  # the verbs "may" and "march", a number
    ],
)
def test_date_span_is_the_first_date_expression(sentence, span):
    found = date_span(sentence)
    assert (sentence[found[0] : found[1]] if found else None) == span


def test_date_spans_are_every_date_expression_in_order():
    sentence = "Talks held on Monday, March 7 resume in mid-April, not last week."
    assert [sentence[a:b] for a, b in date_spans(sentence)] == [
        "Monday, March 7",
        "mid-April",
        "last week",
    ]
    assert date_spans("No date here at all.") == []


def test_calendar_words():
    assert all(is_calendar_word(w) for w in ("Feb.", "February", "June", "Sunday", "Sept"))
    assert not any(is_calendar_word(w) for w in ("Junebug", "Mayor", "Sundance", "Marchetti"))


def test_chunks_store_their_sentence_dates(sample_index):
    sample_index.refresh()
    row = sample_index.catalog.rows[0]
    passages = sample_index.article_chunks(row.article_id)
    dated = [iso for p in passages for _, _, isos in p.dated_sentences for iso in isos]
    assert "2022-02-24" in dated
    hits = sample_index.collection.get(where={"event_dates": {"$contains": "2022-02-24"}})
    assert hits["ids"]


@pytest.mark.parametrize(
    ("since", "until", "titles"),
    [
        ("2022-02-24", "2022-02-24", {"Finance minister quits"}),  # "resigned yesterday"
        ("2022-03-01", "2022-03-01", {"Finance minister quits", "Strike on Kharkiv"}),
        ("2022-02-20", "2022-02-23", set()),
    ],
)
def test_search_by_the_dates_sentences_refer_to(news_index, since, until, titles):
    filters = SearchFilters(
        event_since=epoch(parse_date(since)), event_until=epoch(parse_date(until)) + 86399
    )
    for mode in ("dense", "lexical"):
        found = hybrid_search(news_index, "minister strike", k=5, filters=filters, mode=mode)
        assert {p.title.split(" (")[0] for p in found} == titles


@pytest.mark.parametrize(
    ("value", "refused"),
    [
        ("2022", "is not a day"),  # not 2022 with today's month and day
        ("Feb 2022", "is not a day"),
        ("2022-02", "is not a day"),
        ("2022-13-01", "is not a day"),  # not 13 January
        ("01/02/2022", "day-first or month-first"),
        ("2022-W07", "is not a day"),  # an ISO week, not its Monday
    ],
)
def test_a_date_option_names_a_whole_day(value, refused):
    with pytest.raises(ConfigError, match=refused) as caught:
        parse_date_option("--since", value)
    assert f"--since {value!r}" in str(caught.value) and "YYYY-MM-DD" in str(caught.value)


@pytest.mark.parametrize(
    "value", ["2022-02-25", "25 Feb 2022", "February 25, 2022", "25/02/2022", "25.02.2022"]
)
def test_a_date_option_reads_a_day_written_out(value):
    assert parse_date_option("--until", value).date() == date(2022, 2, 25)


@pytest.mark.parametrize("value", ["yesterday", "Friday", "25 Feb", "3 days ago"])
def test_a_date_option_without_a_year_is_the_latest_such_day(value):
    parsed = parse_date_option("--since", value)
    assert parsed is not None and parsed <= datetime.now(UTC)


def test_an_impossible_iso_day_in_a_source_is_no_date():
    assert parse_date("2023-13-01") is None  # the article is refused with its field named
    assert parse_date("2022-02-25 10:00:00 UTC").hour == 10  # a valid day with extras still reads
