"""News intelligence: dates in the text, attributions, disputed figures, and how answers use them."""

from __future__ import annotations

import json
from datetime import date

import pytest

from ingest.pipeline import ingest_articles
from qa.ask import Asker, AskOptions, ask
from qa.cli import main as qa_main
from qa.config import Settings
from qa.dates import epoch, parse_date
from qa.models import Article, SearchFilters
from qa.news import (
    EventDate,
    date_span,
    disagreeing_figure,
    event_span,
    find_attribution,
    find_dates,
    find_figures,
    has_relative_date,
    is_calendar_word,
    parse_event_date,
    with_date_note,
)
from qa.retrieve import hybrid_search
from qa.sentences import split_sentences
from qa.store import NewsIndex

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


def test_date_note_shows_resolved_relative_dates_only():
    sentence = "The minister resigned yesterday."
    assert has_relative_date(sentence)
    assert (
        with_date_note(sentence, ["2022-02-24"], asked_when=False)
        == "The minister resigned yesterday (24 February 2022)."
    )
    written = "It was signed on 24 Feb 2022."
    assert with_date_note(written, ["2022-02-24"], asked_when=False) == written


@pytest.mark.parametrize(
    ("sentence", "reported_by", "speaker"),
    [
        (
            "Following their conversation Putin called Belarussian President Alexander "
            "Lukashenko to organise talks, the BBC reported.",
            "the BBC",
            None,
        ),
        (
            "The call comes a day after Kremlin spokesperson Dmitry Peskov confirmed Russia "
            "would be open to talks, per POLITICO.",
            "POLITICO",
            "Dmitry Peskov",
        ),
        (
            "Putin said he would send a delegation, according to a Chinese government readout.",
            "a Chinese government readout",
            "Putin",
        ),
        ("'We are ready,' Putin claimed, per The Independent.", "The Independent", "Putin"),
        ("The talks were postponed, as reported by Reuters.", "Reuters", None),
        (
            "In a statement spokesperson Maria Zakharova said Russia was open to talks.",
            None,
            "Maria Zakharova",
        ),
        ("'Talks are possible,' said Peskov.", None, "Peskov"),
        ("He said the talks would go ahead.", None, None),
        ("Inflation rose 2 per cent in March.", None, None),
    ],
)
def test_find_attribution(sentence, reported_by, speaker):
    found = find_attribution(sentence)
    assert (found.reported_by, found.speaker) == (reported_by, speaker)


def test_reporting_source_is_preferred_over_the_speaker():
    found = find_attribution("Peskov confirmed it, per POLITICO.")
    assert found.source == "POLITICO"
    assert find_attribution("Peskov confirmed it.").source == "Peskov"


def test_sample_sentences_carry_their_attribution(sample_article):
    by_key = {
        "Lukashenko": "the BBC",
        "Peskov": "POLITICO",
        "readout": "a Chinese government readout of the conversation",
    }
    sentences = split_sentences(sample_article.text)
    for key, expected in by_key.items():
        sentence = next(s for s in sentences if key in s)
        assert find_attribution(sentence).source == expected


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        (
            "At least 137 people were killed in the attack on Kyiv, officials said.",
            "At least 150 people were killed in the attack on Kyiv, officials said.",
            ("137 people", "150 people"),
        ),
        (
            "At least 137 people were killed in the attack on Kyiv, officials said.",
            "At least 137 people were killed in the attack on Kyiv, officials said.",
            None,
        ),
        (  # same noun, unrelated events
            "At least 137 people were killed in the attack on Kyiv, officials said.",
            "About 2,000 people attended the concert in Vienna on Saturday.",
            None,
        ),
    ],
)
def test_disagreeing_figure(first, second, expected):
    assert disagreeing_figure(first, second) == expected


def test_figures_ignore_dates_and_read_percentages():
    assert find_figures("On February 24, 2022 prices rose 3.5 per cent.") == {
        "percent": "3.5 per cent"
    }


# -- through the store and the answerer ---------------------------------------------------

MINISTER = Article(
    title="Finance minister quits",
    text=(
        "The finance minister resigned yesterday after a week of protests over the budget. "
        "Opposition leaders welcomed the decision and called for early elections. "
        "The prime minister will name a successor next week, officials said."
    ),
    source="Daily Ledger",
    published=parse_date("2022-02-25"),
    origin="minister-quits",
)
CASUALTIES = [
    Article(
        title=f"Strike on Kharkiv ({outlet})",
        text=(
            f"At least {n} people were killed in the missile strike on Kharkiv on Tuesday, "
            f"regional officials said. {tail}"
        ),
        source=outlet,
        published=parse_date("2022-03-02"),
        origin=f"kharkiv-{outlet}",
    )
    for outlet, n, tail in [
        ("North Wire", 21, "Rescue teams searched the rubble through the night."),
        ("South Herald", 34, "The city council declared three days of mourning."),
    ]
]


@pytest.fixture(scope="module")
def news_store(tmp_path_factory, embeddings):
    folder = tmp_path_factory.mktemp("news-store")
    with NewsIndex(Settings(store_dir=folder), embeddings=embeddings) as index:
        ingest_articles([MINISTER, *CASUALTIES], index, progress=False)
    return folder


@pytest.fixture
def news_index(news_store, embeddings):
    with NewsIndex(Settings(store_dir=news_store), embeddings=embeddings) as index:
        yield index


def test_relative_date_is_resolved_in_the_answer(news_index):
    answer = ask(news_index, "When did the minister resign?")
    assert not answer.abstained
    assert "2022-02-24" in answer.citations[0].dates
    assert "(24 February 2022)" in answer.text


def test_citation_age_is_relative_to_as_of(news_index):
    options = AskOptions(as_of=parse_date("2022-03-07"))
    answer = ask(news_index, "When did the minister resign?", options)
    assert answer.citations[0].to_dict()["age_days"] == 10


def test_disputed_figure_is_noted_with_both_outlets(news_index):
    answer = ask(news_index, "How many people were killed in the strike on Kharkiv?")
    assert "Outlets disagree on this figure" in answer.text
    sources = {c.passage.source for c in answer.citations}
    assert sources == {"North Wire", "South Herald"}
    assert "21 people" in answer.text and "34 people" in answer.text


def test_sample_citations_carry_attribution_and_dates(sample_index):
    answer = ask(sample_index, "Which outlet reported that Putin called Lukashenko?")
    first = answer.citations[0].to_dict()
    assert "Lukashenko" in first["quote"]
    assert first["attribution"] == "the BBC"
    assert answer.text.startswith("According to the BBC:")
    answer = ask(sample_index, "When were diplomatic relations broken off?")
    assert answer.citations[0].dates == ["2022-02-24"]


def test_chunks_store_their_sentence_dates(sample_index):
    sample_index.refresh()
    row = sample_index.catalog.rows[0]
    passages = sample_index.article_chunks(row.article_id)
    dated = [iso for p in passages for _, _, isos in p.dated_sentences for iso in isos]
    assert "2022-02-24" in dated
    hits = sample_index.collection.get(where={"event_dates": {"$contains": "2022-02-24"}})
    assert hits["ids"]


def test_ask_topic_filter_and_topic_counts(sample_store, capsys):
    argv = ["ask", "Who proposed talks in Minsk?", "--store", str(sample_store), "--json"]
    assert qa_main([*argv, "--topic", "ukraine"]) == 0
    assert json.loads(capsys.readouterr().out)["abstained"] is False
    assert qa_main([*argv, "--topic", "Sport"]) == 2  # a topic the store does not have
    assert "Ukraine" in capsys.readouterr().err  # the line names the topics it has
    assert qa_main(["stats", "--store", str(sample_store), "--json"]) == 0
    topics = json.loads(capsys.readouterr().out)["topics"]
    assert topics == {"Russia": 1, "Ukraine": 1, "World News": 1}


def test_event_span_covers_every_period_named():
    assert event_span([]) is None
    start, end = event_span(["2022-02-24", "2022-W09"])  # 28 February to 6 March
    assert (start, end + 1) == (epoch(parse_date("2022-02-24")), epoch(parse_date("2022-03-07")))


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


def test_a_named_time_is_preferred_by_event_dates_too(news_index):
    asker = Asker(news_index)
    as_of = AskOptions(as_of=parse_date("2022-03-02"))
    named = asker.preferences("What happened last week?", as_of)
    assert any(f.event_since is not None for f in named)
    plain = asker.preferences("What did the minister do?", as_of)
    assert not any(f.event_since is not None for f in plain)


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


def test_calendar_words():
    assert all(is_calendar_word(w) for w in ("Feb.", "February", "June", "Sunday", "Sept"))
    assert not any(is_calendar_word(w) for w in ("Junebug", "Mayor", "Sundance", "Marchetti"))
