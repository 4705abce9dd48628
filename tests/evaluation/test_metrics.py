"""The evaluation metrics on hand-made cases: normalisation, multi-answer questions, abstentions."""

from __future__ import annotations

import pytest

from evaluation.metrics import (
    Corpus,
    Outcome,
    contains_answer,
    first_hit_rank,
    hits_at,
    normalize_answer,
    percentile_ms,
    reciprocal_rank,
    shown_at,
    summarize,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The Quick, Brown Fox!", "quick brown fox"),
        ("An apple a day", "apple day"),
        ("  U.S.   trade  ", "us trade"),
        ("Theatre and Anthem", "theatre and anthem"),  # articles only as whole words
    ],
)
def test_normalize_answer_is_squad_style(text, expected):
    assert normalize_answer(text) == expected


@pytest.mark.parametrize(
    ("text", "gold", "found"),
    [
        ("Putin proposed talks in Minsk [1]", "minsk", True),
        ("It was vetoed by the governor.", "It was vetoed by the Governor", True),
        ("Through an open adoption process", "Through open adoption", True),  # articles ignored
        ("The U.S. said so", "US", True),
        ("It usually rains", "US", False),  # word boundaries, not substrings
        ("Iranian officials", "Iran", False),
        ("", "anything", False),
        ("The The", "The", True),  # a gold made only of articles keeps its words
    ],
)
def test_contains_answer(text, gold, found):
    assert contains_answer(text, gold) is found


CORPUS_TEXTS = [
    "Putin proposed talks in Minsk [1]",
    "It usually rains",
    "The U.S. said so",
    "Iranian officials met in Minsk",
    "",
    "The The",
    "Talks in",  # a match may not run on into the next text: "in Iranian"
]


@pytest.mark.parametrize("gold", ["minsk", "US", "Iran", "The", "talks in", "in Iranian", "x"])
def test_corpus_finds_what_contains_answer_finds(gold):
    expected = {i for i, t in enumerate(CORPUS_TEXTS) if contains_answer(t, gold)}
    assert Corpus(CORPUS_TEXTS).holding(gold) == expected


def test_corpus_needs_every_gold_among_the_allowed_texts():
    corpus = Corpus(CORPUS_TEXTS)
    assert corpus.all_found(["Minsk", "US"])
    marks = [[i in chosen for i in range(len(CORPUS_TEXTS))] for chosen in ((2, 3), (0, 1))]
    assert corpus.all_found(["Minsk", "US"], visible=marks[0])
    assert not corpus.all_found(["Minsk", "US"], visible=marks[1])  # US only in text 2
    assert not corpus.all_found([])


def test_shown_at_looks_only_at_the_first_chars():
    text = "x" * 300 + " Minsk is where talks were proposed."
    assert not shown_at(text, ["Minsk"])
    assert shown_at(text, ["Minsk"], chars=340)
    assert shown_at("Talks in Minsk [1]", ["minsk"])


def test_shown_at_multi_answer_needs_every_answer():
    text = "Leo Marchetti beat the champion [1]."
    assert not shown_at(text, ["Leo Marchetti", "Anna Kovacs"])
    assert shown_at(text + " He beat Anna Kovacs.", ["Leo Marchetti", "Anna Kovacs"])


def test_an_abstention_is_never_shown():
    assert not shown_at("Minsk", ["Minsk"], abstained=True)


def test_no_golds_is_never_a_hit():
    assert not shown_at("anything", [])
    assert not hits_at(["anything"], [], 10)
    assert reciprocal_rank(["anything"], []) == 0.0


PASSAGES = ["nothing here", "Leo Marchetti won", "still nothing", "he beat Anna Kovacs"]


@pytest.mark.parametrize(
    ("golds", "k", "hit"),
    [
        (["Leo Marchetti"], 1, False),
        (["Leo Marchetti"], 2, True),
        (["Leo Marchetti", "Anna Kovacs"], 2, False),
        (["Leo Marchetti", "Anna Kovacs"], 4, True),  # found in different passages: a hit
        (["Leo Marchetti", "Anna Kovacs"], 10, True),
        (["Batumi"], 10, False),
    ],
)
def test_hits_at(golds, k, hit):
    assert hits_at(PASSAGES, golds, k) is hit


def test_reciprocal_rank_is_the_rank_where_the_last_answer_turns_up():
    assert first_hit_rank(PASSAGES, ["Leo Marchetti"]) == 2
    assert reciprocal_rank(PASSAGES, ["Leo Marchetti"]) == 0.5
    assert first_hit_rank(PASSAGES, ["Anna Kovacs", "Leo Marchetti"]) == 4
    assert reciprocal_rank(PASSAGES, ["Anna Kovacs", "Leo Marchetti"]) == 0.25
    assert reciprocal_rank(PASSAGES, ["Batumi"]) == 0.0


def test_reciprocal_rank_stops_at_depth():
    passages = ["no"] * 10 + ["Minsk"]
    assert reciprocal_rank(passages, ["Minsk"]) == 0.0
    assert reciprocal_rank(passages, ["Minsk"], depth=11) == pytest.approx(1 / 11)


def test_hits_at_accepts_passage_objects():
    from qa.types import Passage

    passages = [Passage(chunk_id="a:0", article_id="a", text="talks in Minsk")]
    assert hits_at(passages, ["Minsk"], 1)


def test_percentiles():
    assert percentile_ms([], 50) == 0.0
    assert percentile_ms([10, 20, 30, 40], 50) == 25.0
    assert percentile_ms(list(range(101)), 95) == 95.0


def test_summarize_hand_made_run():
    outcomes = [
        Outcome(["Minsk"], "Talks in Minsk [1]", False, ["Minsk talks", "x"], 100.0),
        Outcome(["Minsk"], "I couldn't find this.", True, ["x", "Minsk talks"], 200.0),
        Outcome(["A B", "C D"], "A B and C D [1]", False, ["A B", "x", "C D"], 300.0),
        Outcome(["Nowhere"], "Something else [1]", False, ["x"] * 12, 400.0),
    ]
    m = summarize(outcomes)
    assert m["n"] == 4
    assert m["shown@300"] == 0.5  # the abstention holds no answer; the last is wrong
    assert m["hits@1"] == 0.25
    assert m["hits@5"] == 0.75
    assert m["hits@10"] == 0.75
    assert m["mrr@10"] == pytest.approx((1 + 0.5 + 1 / 3 + 0) / 4)
    assert m["abstained"] == 0.25
    assert m["wrong"] == 0.25  # the last: answered, without the answer
    assert m["abstained@hit"] == 1  # the second abstained with Minsk in its top ten
    assert m["p50_ms"] == 250.0
    assert 300.0 < m["p95_ms"] <= 400.0


def test_summarize_empty_run():
    m = summarize([])
    assert m["n"] == 0 and m["shown@300"] == 0.0 and m["p50_ms"] == 0.0


def test_bold_counts_only_a_short_answer_holding_every_gold():
    outcomes = [
        Outcome(["Putin"], "Putin proposed talks [1]", False, short_answer="Putin"),
        Outcome(["Putin"], "Putin proposed talks [1]", False, short_answer="Minsk"),
        Outcome(["Putin"], "Putin proposed talks [1]", False),  # shown, but nothing in bold
        Outcome(["A B", "C D"], "A B and C D [1]", False, short_answer="A B"),  # one of two
        Outcome(["Putin"], "I couldn't find this.", True, short_answer="Putin"),  # abstained
    ]
    m = summarize(outcomes)
    assert m["shown@300"] == 0.8 and m["bold"] == 0.2
    assert summarize([])["bold"] == 0.0


def test_reading_is_shown_among_the_questions_whose_answer_was_retrieved():
    found = ["Putin proposed talks in Minsk."]
    outcomes = [
        Outcome(["Putin"], "Putin proposed talks [1]", False, passages=found),  # read right
        Outcome(["Putin"], "Talks were proposed [1]", False, passages=found),  # misread
        Outcome(["Putin"], "I couldn't find this.", True, passages=found),  # abstained
        Outcome(["Lavrov"], "Lavrov said [1]", False, passages=found),  # not retrieved
    ]
    m = summarize(outcomes)
    assert m["reading"] == pytest.approx(1 / 3)  # the fourth was never retrieved
    assert summarize(outcomes[3:])["reading"] == 0.0
