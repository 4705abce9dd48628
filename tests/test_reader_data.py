"""Mining the reader's training pairs, on hand-made quiz questions and articles."""

from __future__ import annotations

import random

import pytest

from evaluation.reader_data import (
    candidate_texts,
    holds,
    is_positive,
    is_skipped,
    mine,
    mine_question,
)

QUESTION = {
    "id": "20230101_0",
    "question": "Which automaker recalled two million vehicles over a faulty Autopilot system?",
    "answers": ["Tesla"],
    "choices": ["Ford", "Tesla", "Toyota", "Honda"],
    "evidence": "Tesla is recalling more than 2 million vehicles to fix its Autopilot system.",
}
ANSWERING = "Tesla recalled two million vehicles on Wednesday to fix a faulty Autopilot system."
PASSING = "Tesla shares rose 3% in early trading as investors shrugged off the news."
WRONG_CHOICE = "Ford said last month that it would recall 200,000 vehicles over a brake defect."
FILLER = [
    "Regulators opened the investigation after a series of crashes on highways.",
    "The agency said it had reviewed nearly 1,000 crashes over two years of data.",
    "Safety advocates have long called for tighter rules on driver assistance software.",
    "The recall covers nearly every vehicle the company has sold in the United States.",
    "Owners will receive an over-the-air software update at no cost, officials said.",
]


@pytest.mark.parametrize(
    ("text", "answer", "expected"),
    [
        ("Tesla recalled cars.", "Tesla", True),
        ("Teslas everywhere.", "Tesla", False),  # whole words only
        ("He watched “Squid Game” again.", "“Squid Game”", True),  # curly quotes ignored
        ("The Green Bay Packers won.", "Green Bay Packers", True),
        ("Green Bay beat the Packers.", "Green Bay Packers", False),  # a phrase, in order
        ("A $5 national average", "$5", True),
    ],
)
def test_holds_matches_whole_words(text, answer, expected):
    assert holds(text, answer) is expected


@pytest.mark.parametrize(
    "answers",
    [["True"], ["False"], ["All of the above"], ["None of the above"], ["Yes"], []],
)
def test_true_false_and_all_of_the_above_questions_are_skipped(answers):
    question = dict(QUESTION, answers=answers)
    assert is_skipped(question)
    assert mine_question(question, [ANSWERING, *FILLER], random.Random(0)) == []


def test_a_sentence_holding_the_answer_but_not_about_the_question_is_not_positive():
    assert is_positive(ANSWERING, QUESTION)
    assert not is_positive(PASSING, QUESTION)  # holds "Tesla", shares no question word


def test_a_sentence_holding_a_wrong_choice_is_a_negative():
    sentences = [ANSWERING, PASSING, WRONG_CHOICE, *FILLER]
    groups = mine_question(QUESTION, sentences, random.Random(0))
    assert [g.positive for g in groups] == [ANSWERING]
    negatives = groups[0].negatives
    assert WRONG_CHOICE in negatives
    assert ANSWERING not in negatives
    assert PASSING not in negatives  # holds the gold answer: never a negative


def test_a_question_without_a_positive_gives_no_group():
    assert mine_question(QUESTION, [PASSING, WRONG_CHOICE, *FILLER], random.Random(0)) == []


def test_mine_reads_the_question_s_own_articles_once_each():
    articles = {
        "a1": {"id": "a1", "title": "Tesla recalls two million vehicles", "text": " ".join(FILLER)},
        "a2": {"id": "a2", "title": "Unrelated", "text": ANSWERING + " " + WRONG_CHOICE},
        "a3": {"id": "a3", "title": "Not returned for this question", "text": ANSWERING},
    }
    question = dict(QUESTION, results=["a1", "a2", "missing"])
    groups = mine([question], articles, seed=0)
    positives = {g.positive for g in groups}
    assert positives == {"Tesla recalls two million vehicles", ANSWERING}  # headline counts too
    assert all(WRONG_CHOICE in g.negatives for g in groups)


def test_candidate_texts_drops_boilerplate_and_short_lines():
    article = {"title": "Short", "text": "Advert\n\n" + ANSWERING + "\n\nOK.\n"}
    assert candidate_texts(article) == [ANSWERING]


def test_each_text_keeps_its_article_s_headline():
    articles = {
        "a1": {"id": "a1", "title": "Tesla recalls two million vehicles", "text": " ".join(FILLER)},
        "a2": {"id": "a2", "title": "Car news of the week", "text": ANSWERING + " " + WRONG_CHOICE},
    }
    groups = mine([dict(QUESTION, results=["a1", "a2"])], articles, seed=0)
    title_of = {s: "Tesla recalls two million vehicles" for s in FILLER}
    title_of.update({ANSWERING: "Car news of the week", WRONG_CHOICE: "Car news of the week"})
    title_of["Tesla recalls two million vehicles"] = ""  # a headline is read without itself
    for g in groups:
        texts = [g.positive, *g.negatives]
        assert len(g.titles) == len(texts)
        assert g.titles == [title_of[t] for t in texts]
