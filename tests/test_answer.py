"""Hybrid retrieval and extractive answers on the sample article."""

from __future__ import annotations

import pytest

from qa.answer import ABSTAIN_TEXT, answer_type
from qa.ask import Asker, AskOptions, check_question
from qa.errors import QuestionError
from qa.retrieve import fuse, hybrid_search


@pytest.fixture(scope="module")
def asker(sample_index):
    return Asker(sample_index)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Who proposed talks in Minsk?", "Putin"),
        ("When were diplomatic relations broken off?", "February 24"),
        ("Whom did Putin call after the conversation with Xi?", "Lukashenko"),
        ("What did Lavrov say the goal of the Russian military was?", "not to occupy"),
        ("What did Zelensky say about a neutral state?", "neutral state"),
    ],
)
def test_sample_questions_are_answered_with_citations(asker, question, expected):
    answer = asker.ask(question)
    assert not answer.abstained
    assert expected in answer.text.split("[")[0]
    assert answer.citations and "[1]" in answer.text
    first = answer.citations[0]
    assert first.quote in first.passage.text
    assert first.passage.text[first.quote_start : first.quote_end] == first.quote
    assert first.passage.published_date == "2022-02-25"


@pytest.mark.parametrize(
    "question",
    [
        "Who won the World Cup?",
        "What is the recipe for banana bread?",
        "How tall is Mount Everest?",
    ],
)
def test_unrelated_questions_abstain(asker, question):
    answer = asker.ask(question)
    assert answer.abstained
    assert answer.text == ABSTAIN_TEXT
    assert answer.citations == []


def test_source_filter_excluding_everything_abstains(asker):
    answer = asker.ask("Who proposed talks in Minsk?", AskOptions(sources=("Nobody",)))
    assert answer.abstained


@pytest.mark.parametrize("mode", ["dense", "lexical", "hybrid"])
def test_each_retrieval_mode_finds_the_minsk_passage(sample_index, mode):
    passages = hybrid_search(sample_index, "talks in Minsk", k=3, mode=mode)
    assert any("Minsk" in p.text for p in passages)
    assert [p.rank for p in passages] == list(range(1, len(passages) + 1))


def test_fusion_rewards_agreement(sample_index):
    dense = sample_index.dense_search(sample_index.embed_query("Lavrov occupy"), k=6)
    lexical = sample_index.lexical_search("Lavrov occupy", k=6)
    fused = fuse([dense, lexical])
    assert fused[0].dense is not None and fused[0].lexical is not None
    assert "Lavrov" in fused[0].text


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Who proposed talks?", "person"),
        ("When were relations broken off?", "date"),
        ("How many troops were sent?", "number"),
        ("Where will the talks be held?", "place"),
        ("Why did the talks fail?", None),
    ],
)
def test_answer_type(question, kind):
    assert answer_type(question) == kind


@pytest.mark.parametrize("question", ["", "   ", "?!...", "x" * 5000])
def test_bad_questions_get_a_clear_error(question):
    with pytest.raises(QuestionError):
        check_question(question)
