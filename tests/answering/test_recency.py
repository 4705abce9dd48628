"""Evidence from the time asked about: a question about the present is answered from recent
articles, on a real store of two articles a year apart."""

from __future__ import annotations

import pytest

from ingest.pipeline import ingest_articles
from qa.answering.ask import AskOptions, ask
from qa.answering.recency import asks_about_present
from qa.config import Settings
from qa.news.dates import parse_date
from qa.store import NewsIndex
from qa.types import Article

AS_OF = parse_date("2026-04-30")
OLD = Article(
    title="Riverside marathon won by Kenyan runner",
    text=(
        "Kenyan runner Daniel Kiprop won the Riverside marathon this week in a course record. "
        "Thousands of spectators lined the route along the river. "
        "The race organisers said next year's edition would start earlier."
    ),
    source="City Post",
    published=parse_date("2025-04-27"),
    origin="marathon-2025",
)
NEW = Article(
    title="Ethiopian runner takes Riverside marathon",
    text=(
        "Ethiopian runner Tigist Alemu won the Riverside marathon this week after a late sprint. "
        "Heavy rain slowed the field for most of the race. "
        "Organisers said a record number of runners finished."
    ),
    source="City Post",
    published=parse_date("2026-04-26"),
    origin="marathon-2026",
)


@pytest.fixture(scope="module")
def two_years(tmp_path_factory, embeddings):
    folder = tmp_path_factory.mktemp("two-years")
    with NewsIndex(Settings(store_dir=folder), embeddings=embeddings) as index:
        ingest_articles([OLD, NEW], index, progress=False)
    with NewsIndex(Settings(store_dir=folder), embeddings=embeddings) as index:
        yield index


def test_a_this_week_question_is_answered_from_the_recent_article(two_years, monkeypatch):
    from qa.answering import extractive

    monkeypatch.setattr(extractive, "TIME_RULES", True)  # off by default, as measured
    answer = ask(two_years, "Who won the Riverside marathon this week?", AskOptions(as_of=AS_OF))
    assert not answer.abstained
    assert answer.citations[0].passage.title == NEW.title  # the recent one leads
    assert "Tigist Alemu" in answer.text and "Kiprop" not in answer.text


def test_without_the_rule_the_old_article_is_shown_too(two_years):
    """The store is a fair test: the year-old article matches the question as well."""
    from qa.answering import extractive

    assert extractive.TIME_RULES is False  # the shipped default
    answer = ask(two_years, "Who won the Riverside marathon this week?", AskOptions(as_of=AS_OF))
    assert "Kiprop" in answer.text


def test_a_question_naming_last_year_is_not_about_the_present(two_years):
    assert not asks_about_present("Who won the Riverside marathon in 2025?", AS_OF)
    assert not asks_about_present("Who has won the marathon most often ever?", AS_OF)
    assert asks_about_present("Who won the Riverside marathon?", AS_OF)
    answer = ask(two_years, "Who won the Riverside marathon in 2025?", AskOptions(as_of=AS_OF))
    assert "Daniel Kiprop" in answer.text  # the old article still answers what it is about


def test_an_answer_about_the_present_from_old_articles_says_so(tmp_path, embeddings):
    from qa.answering.recency import OLD_EVENT_DAYS

    with NewsIndex(Settings(store_dir=tmp_path), embeddings=embeddings) as index:
        ingest_articles([OLD], index, progress=False)
        answer = ask(index, "Who won the Riverside marathon this week?", AskOptions(as_of=AS_OF))
        assert not answer.abstained and "Kiprop" in answer.text  # the answer stays, flagged
        assert answer.citations[0].age_days == 368 > OLD_EVENT_DAYS
        assert answer.notice is not None
        assert "at least 368 days older than the as-of date 2026-04-30" in answer.notice
        # Asked about that time, or as of a day soon after the article, nothing is said of it
        # (the store's own span is: its newest article is a year before the as-of date).
        asked_then = ask(index, "Who won the Riverside marathon in 2025?", AskOptions(as_of=AS_OF))
        assert not asked_then.abstained and "older than" not in (asked_then.notice or "")
        soon = ask(
            index,
            "Who won the Riverside marathon this week?",
            AskOptions(as_of=parse_date("2025-05-01")),
        )
        assert not soon.abstained and soon.notice is None


def test_a_recent_citation_beside_old_ones_needs_no_note(two_years):
    answer = ask(two_years, "Who won the Riverside marathon this week?", AskOptions(as_of=AS_OF))
    assert any(c.age_days is not None and c.age_days <= 7 for c in answer.citations)
    assert answer.notice is None or "older than the as-of date" not in answer.notice


def test_old_evidence_the_reader_is_not_sure_of_is_no_answer_about_the_present(
    tmp_path, embeddings
):
    from qa.answering.recency import STALE_AND_UNSURE

    question = "When will next year's Riverside marathon start?"  # read low against its sentence
    with NewsIndex(Settings(store_dir=tmp_path), embeddings=embeddings) as index:
        ingest_articles([OLD], index, progress=False)
        days_after = ask(index, question, AskOptions(as_of=parse_date("2025-04-28")))
        assert not days_after.abstained and "start earlier" in days_after.text
        a_year_after = ask(index, question, AskOptions(as_of=AS_OF))
        assert a_year_after.abstained
        said = STALE_AND_UNSURE.format(days=368, as_of="2026-04-30")
        assert a_year_after.notice is not None and a_year_after.notice.startswith(said)


def test_the_bar_for_old_evidence_is_the_reader_s_own(tmp_path, embeddings):
    """A reader calibrated to be sure at lower probabilities answers what the shipped one
    abstains on (its bars come with it, in its reader.json)."""
    import json
    import shutil

    from qa.encoders.reader import SHIPPED

    folder = tmp_path / "reader"
    shutil.copytree(SHIPPED, folder)
    config = json.loads((folder / "reader.json").read_text())
    (folder / "reader.json").write_text(json.dumps({**config, "sure": 0.0}))
    question = "When will next year's Riverside marathon start?"
    with NewsIndex(Settings(store_dir=tmp_path / "store"), embeddings=embeddings) as index:
        ingest_articles([OLD], index, progress=False)
    for reader, abstains in (("default", True), (str(folder), False)):
        settings = Settings(store_dir=tmp_path / "store", reader=reader)
        with NewsIndex(settings, embeddings=embeddings) as index:
            answer = ask(index, question, AskOptions(as_of=AS_OF))
        assert answer.abstained is abstains
