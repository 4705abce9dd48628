"""qa.answering.ask: the question check, AskOptions' filters and the Asker's soft preferences."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from qa.answering.ask import Asker, AskOptions, check_question, clean_question
from qa.errors import QuestionError
from qa.news.dates import epoch, parse_date

AS_OF = datetime(2022, 2, 25, tzinfo=UTC)  # the sample article's day


@pytest.mark.parametrize("question", ["", "   ", "?!...", "x" * 5000])
def test_bad_questions_get_a_clear_error(question):
    with pytest.raises(QuestionError):
        check_question(question)


def test_escapes_and_invisible_characters_are_cleaned_from_a_question():
    dirty = "\x1b[31mWho\u200b proposed\x07 talks\tin\u202e Minsk?\x1b]0;title\x07"
    assert check_question(dirty) == "Who proposed talks in Minsk?"
    assert clean_question("ab\u200dc") == "ab\u200dc"  # a joiner spells words in some scripts
    # a byte the terminal's encoding could not decode reaches sys.argv as a lone surrogate
    assert check_question("Who proposed talks in \udcffMinsk?") == "Who proposed talks in Minsk?"


def test_as_of_ends_the_filters_at_the_end_of_its_day():
    last_second = epoch(AS_OF) + 86399  # the next day's midnight is not in it
    assert AskOptions(as_of=AS_OF).filters().until == last_second
    # the page passes a day's last moment, the CLI its midnight, `now` a time between
    for as_of in (
        AS_OF.replace(hour=23, minute=59, second=59, microsecond=999999),
        AS_OF.replace(hour=14, minute=30),
    ):
        assert AskOptions(as_of=as_of).filters().until == last_second
    earlier = datetime(2022, 2, 1, tzinfo=UTC)  # --until's day counts whole too
    assert AskOptions(until=earlier, as_of=AS_OF).filters().until == epoch(earlier) + 86399


def test_source_filter_excluding_everything_abstains(asker):
    answer = asker.ask("Who proposed talks in Minsk?", AskOptions(sources=("Nobody",)))
    assert answer.abstained


def test_as_of_hides_later_articles(sample_index):
    asker = Asker(sample_index)
    for day in (20, 24):  # the day before the article's: its midnight is the next day
        before = AskOptions(as_of=datetime(2022, 2, day, 23, 59, 59, 999999, tzinfo=UTC))
        assert asker.ask("Who proposed talks in Minsk?", before).abstained
    on_the_day = AskOptions(as_of=AS_OF)
    assert "Putin" in asker.ask("Who proposed talks in Minsk?", on_the_day).text


def test_a_named_time_is_preferred_by_event_dates_too(news_index):
    asker = Asker(news_index)
    as_of = AskOptions(as_of=parse_date("2022-03-02"))
    named = asker.preferences("What happened last week?", as_of)
    assert any(f.event_since is not None for f in named)
    plain = asker.preferences("What did the minister do?", as_of)
    assert not any(f.event_since is not None for f in plain)
