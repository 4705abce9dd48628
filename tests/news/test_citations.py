"""qa.news.citations: quoted sentences and headlines with their attribution, dates and age."""

from __future__ import annotations

from datetime import UTC, datetime

from qa.answering.ask import AskOptions, ask
from qa.news.citations import cite_headline, with_date_note
from qa.news.dates import epoch, has_relative_date, parse_date
from qa.types import Passage


def test_date_note_shows_resolved_relative_dates_only():
    sentence = "The minister resigned yesterday."
    assert has_relative_date(sentence)
    assert (
        with_date_note(sentence, ["2022-02-24"], asked_when=False)
        == "The minister resigned yesterday. (24 February 2022)"  # the quote stays verbatim
    )
    written = "It was signed on 24 Feb 2022."
    assert with_date_note(written, ["2022-02-24"], asked_when=False) == written


def test_a_date_note_names_each_date_once():
    sentence = "The vote is on Tuesday, the last of 2026."
    noted = with_date_note(sentence, ["2026-04-28", "2026-04-28", "2026"], asked_when=True)
    assert noted == f"{sentence} (28 April 2026)"  # not "(28 April 2026, 28 April 2026, 2026)"


def test_a_headline_s_date_note_stands_outside_its_quotation_marks(embeddings):
    from qa.answering.candidates import Candidate
    from qa.answering.extractive import compose

    title = "Who won the Masters last weekend, according to USA Today"
    body = "Rory McIlroy won the Masters at Augusta last weekend, completing the career slam."
    passage = Passage(
        chunk_id="a:0",
        article_id="a",
        text=body,
        title=title,
        published=epoch(parse_date("2026-04-14")),
        rank=1,
    )
    head = Candidate(passage, 0, len(title), headline=True)
    answer = compose("When did McIlroy win the Masters?", [head], [passage])
    line = answer.text.splitlines()[0]
    assert line.startswith("Headline: “" + title + "”")  # the article's words, nothing added
    assert "(" not in line.split("”")[0]


def test_relative_date_is_resolved_in_the_answer(news_index):
    answer = ask(news_index, "When did the minister resign?")
    assert not answer.abstained
    assert "2022-02-24" in answer.citations[0].dates
    assert "(24 February 2022)" in answer.text


def test_citation_age_is_relative_to_as_of(news_index):
    options = AskOptions(as_of=parse_date("2022-03-07"))
    answer = ask(news_index, "When did the minister resign?", options)
    assert answer.citations[0].to_dict()["age_days"] == 10


def test_sample_citations_carry_attribution_and_dates(sample_index):
    answer = ask(sample_index, "Which outlet reported that Putin called Lukashenko?")
    first = answer.citations[0].to_dict()
    assert "Lukashenko" in first["quote"]
    assert first["attribution"] == "the BBC"
    assert answer.text.startswith("According to the BBC:")
    answer = ask(sample_index, "When were diplomatic relations broken off?")
    assert answer.citations[0].dates == ["2022-02-24"]


def test_a_headline_citation_resolves_its_dates():
    passage = Passage(
        chunk_id="z:0",
        article_id="z",
        title="Zelensky addressed the European Parliament yesterday",
        text="He will speak by video link.",
        published=epoch(datetime(2022, 2, 25, tzinfo=UTC)),
    )
    citation = cite_headline(1, passage)
    assert citation.headline and citation.dates == ["2022-02-24"]
