"""qa.news.attribution: who a claim comes from, and figures outlets disagree on."""

from __future__ import annotations

import pytest

from qa.answering.ask import ask
from qa.news.attribution import disagreeing_figure, find_attribution, find_figures
from qa.news.sentences import split_sentences


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


def test_disputed_figure_is_noted_with_both_outlets(news_index):
    answer = ask(news_index, "How many people were killed in the strike on Kharkiv?")
    assert "Outlets disagree on this figure" in answer.text
    sources = {c.passage.source for c in answer.citations}
    assert sources == {"North Wire", "South Herald"}
    assert "21 people" in answer.text and "34 people" in answer.text
