"""Mining the reader's training pairs, on hand-made quiz questions and articles."""

from __future__ import annotations

import random

import pytest

from evaluation.reader.data import (
    NEGATIVES,
    candidate_texts,
    headline_names,
    holds,
    is_positive,
    is_skipped,
    mine,
    mine_cloze,
    mine_cloze_article,
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


# -- headline cloze ----------------------------------------------------------------------

CLOZE_ARTICLE = {
    "id": "c1",
    "title": "Tesla recalls two million vehicles over Autopilot flaw",
    "text": "\n\n".join(
        [
            "Tesla is recalling two million vehicles in the United States to fix a flaw in its"
            " Autopilot system, regulators said on Wednesday.",
            "The recall of two million vehicles follows a two-year investigation by the agency.",
            *FILLER,
            "Critics of Tesla say the software update will not go far enough to prevent misuse.",
            "Shares of the electric carmaker fell slightly in early trading on the news.",
        ]
    ),
}


def test_headline_names_are_the_words_the_body_writes_as_names():
    body = CLOZE_ARTICLE["text"]
    # "Tesla" and "Autopilot" are capitalised inside the body's sentences; "Recalls" and
    # "Vehicles" of a Title Case headline are written in lower case there
    title = "Tesla Recalls Two Million Vehicles Over Autopilot Flaw"
    assert headline_names(title, body) == ["Tesla", "Autopilot"]


def test_a_cloze_question_blanks_a_headline_name_and_its_positive_states_it():
    group = mine_cloze_article(CLOZE_ARTICLE, random.Random(0))
    assert group is not None
    name = group.answers[0]
    assert name in ("Tesla", "Autopilot")
    assert name not in group.question and "which name" in group.question
    assert holds(group.positive, name)
    assert group.positive.startswith("Tesla is recalling")  # shares the headline's words
    assert len(group.negatives) == NEGATIVES
    # no negative names the answer: it might state it
    assert not any(holds(s, name) for s in group.negatives)
    # the sentence closest to the headline in words without the name is among them
    assert any(s.startswith("The recall of two million vehicles") for s in group.negatives)


def test_a_blank_inside_a_longer_name_gives_no_question():
    # "Aaron" opens a sentence only, so the body's casing does not make it a name, and
    # blanking "Judge" alone would leave "Aaron which name": no group
    body = "\n\n".join(
        ["Aaron Judge said yes to the home run derby on Friday, the league said.", *FILLER]
        + [
            "The slugger, Judge, has hit more home runs than anyone this season so far.",
            "Tickets for the event in Seattle sold out within hours of going on sale.",
            "The contest will be broadcast live on national television next month.",
        ]
    )
    article = dict(CLOZE_ARTICLE, title="Aaron Judge agrees to join the Home Run Derby", text=body)
    assert headline_names(article["title"], body) == ["Judge"]
    assert mine_cloze_article(article, random.Random(0)) is None
    # the same article with his full name written inside a sentence gives one
    body += "\n\nFans cheered for Aaron Judge at the stadium on Friday night."
    group = mine_cloze_article(dict(article, text=body), random.Random(0))
    assert group is not None and group.answers == ["Aaron Judge"]


def test_cloze_mining_skips_excluded_articles_and_stops_at_its_limit():
    articles = [dict(CLOZE_ARTICLE, id=f"c{i}") for i in range(5)]
    groups = mine_cloze(articles, limit=3, seed=0, exclude={"c0", "c1"})
    assert len(groups) == 3
    assert {g.question_id for g in groups} == {"cloze_c2", "cloze_c3", "cloze_c4"}


def test_a_blank_beside_a_case_name_s_v_gives_no_question():
    # "Roe" is a name, "v." is not: blanking "Roe" would leave half of the case's name in the
    # question ("which name v. Wade")
    body = "\n\n".join(
        ["The ruling in Roe v. Wade was overturned by the court on Friday, judges said.", *FILLER]
        + [
            "Protesters gathered outside the building in Washington as the ruling came down.",
            "Several states moved at once to restrict the procedure, officials said on Friday.",
            "The decision is expected to shape the coming elections, analysts said.",
        ]
    )
    title = "Supreme court overturns Roe v. Wade ruling"
    article = dict(CLOZE_ARTICLE, title=title, text=body)
    assert "Roe" in headline_names(title, body)
    assert mine_cloze_article(article, random.Random(0)) is None
