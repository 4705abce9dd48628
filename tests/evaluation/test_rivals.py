"""Retrieved rivals for the reader's groups, from hand-made articles. No test trains a model."""

from __future__ import annotations

from evaluation.reader.data import Group
from evaluation.reader.rivals import add_rivals, spellings

QUESTION = "How many astronauts will fly around the moon on the Artemis II mission?"


def article(aid: str, title: str, *sentences: str) -> dict:
    return {"id": aid, "title": title, "text": " ".join(sentences)}


ARTICLES = [
    article(
        "own",
        "NASA names the Artemis II crew for its trip around the moon",
        "NASA named four astronauts for the Artemis II mission around the moon on Monday.",
        "The agency said the crew would train for eighteen months in Houston.",
    ),
    article(
        "same-week",
        "Artemis II crew: who they are and what they will do on the mission",
        "The Artemis II mission will carry its crew of astronauts around the moon next year.",
    ),
    article(
        "older",
        "Artemis I flies around the moon with no astronauts aboard",
        "The Artemis I mission flew around the moon with mannequins instead of astronauts.",
        "Artemis I lifted off from Florida after months of delays.",
    ),
    article(
        "number",
        "A 4-person crew for the Artemis II moon mission",
        "Artemis II will fly 4 astronauts around the moon, the first crew since Apollo.",
    ),
    article(
        "unrelated",
        "Local bakery wins a prize for its sourdough bread",
        "The bakery on Main Street won the county prize for sourdough bread this year.",
    ),
]
QUESTIONS = [
    {"id": "20230407_1", "question": QUESTION, "answers": ["four"], "results": ["own"]},
    {
        "id": "20230407_2",
        "question": "Who leads the crew?",
        "answers": ["x"],
        "results": ["same-week"],
    },
    {"id": "20221118_1", "question": "When did it fly?", "answers": ["y"], "results": ["older"]},
]


def group(negatives: list[str]) -> Group:
    return Group(
        "20230407_1",
        QUESTION,
        "NASA named four astronauts for the Artemis II mission around the moon on Monday.",
        negatives,
        ["four"],
        titles=["NASA names the Artemis II crew for its trip around the moon"] + ["t"] * 3,
    )


def test_rivals_are_other_weeks_sentences_that_share_the_questions_words():
    own = ["The agency said the crew would train for eighteen months in Houston.", "a", "b"]
    (got,) = add_rivals([group(own)], ARTICLES, QUESTIONS, k=2)
    older = ARTICLES[2]
    # only the older week's Artemis I article is left, and it gives one sentence (one a story)
    assert got.negatives[:2] == own[:2]  # the hardest, own-article negatives stay in front
    assert len(got.negatives) == 3 and got.negatives[2] in older["text"] + older["title"]
    assert got.titles[-1] in ("", older["title"])
    assert len(got.titles) == 1 + len(got.negatives)


def test_a_rival_never_holds_the_answer_in_any_spelling_nor_comes_from_the_same_week():
    (got,) = add_rivals([group(["a", "b", "c"])], ARTICLES, QUESTIONS, k=3)
    texts = " ".join(got.negatives)
    assert "4 astronauts" not in texts  # "4" is "four", the gold answer
    assert "next year" not in texts  # the same quiz week's article may answer in other words
    assert spellings("4") == ["4", "four"] and spellings("Four") == ["Four", "4"]
    assert spellings("Europe") == ["Europe"]


def test_a_group_with_no_rival_is_left_as_it_was():
    lone = Group("20230407_1", "sourdough?", "p", ["a", "b"], ["bakery"])
    (got,) = add_rivals([lone], ARTICLES, QUESTIONS, k=2)
    assert got == lone  # the only match holds the answer
