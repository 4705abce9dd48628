"""The reader's training labels: where the answer is in a positive, on hand-made groups.
No test trains a model."""

from __future__ import annotations

import pytest

from evaluation.reader.data import Group
from evaluation.reader.train import IGNORE, answer_span, encode_groups


@pytest.mark.parametrize(
    ("sentence", "answers", "expected"),
    [
        ("The Tony Awards were held on Sunday.", ["The Tony Awards"], "Tony Awards"),
        ("Fans of “Squid Game” queued for hours.", ["“Squid Game”"], "Squid Game"),
        ("Tickets cost $5 at the door.", ["$5"], "5"),
        ("Shares of Tesla, Inc. fell.", ["Tesla Inc"], "Tesla, Inc"),
        ("Teslas were recalled.", ["Tesla"], None),  # whole words only
        ("Nothing here.", ["Ford", "Nothing"], "Nothing"),  # the first answer that is there
    ],
)
def test_answer_span_finds_the_answer_as_whole_words(sentence, answers, expected):
    span = answer_span(sentence, answers)
    assert (sentence[span[0] : span[1]] if span else None) == expected


@pytest.fixture(scope="module")
def tokenizer():
    from transformers import AutoTokenizer

    from qa.encoders.embeddings import MINILM, resolve_model_path

    return AutoTokenizer.from_pretrained(resolve_model_path(MINILM))


def test_span_labels_point_at_the_answer_tokens_of_each_positive(tokenizer):
    groups = [
        Group("w_0", "Who won?", "Argentina beat France in the final.", ["Fans sang."], ["France"]),
        Group("w_1", "Who lost?", "The final was in Qatar.", ["Argentina won."], ["Croatia"]),
    ]
    batch, starts, ends = encode_groups(tokenizer, groups)
    ids = batch["input_ids"][0][starts[0] : ends[0] + 1]
    assert tokenizer.decode(ids) == "france"
    assert (starts[1], ends[1]) == (IGNORE, IGNORE)  # no answer in the positive: no span loss


def test_with_titles_the_headline_is_read_with_the_question(tokenizer):
    group = Group("w_0", "Who won?", "Argentina beat France.", ["Fans sang."], ["France"])
    group.titles = ["World Cup final", ""]
    batch, starts, ends = encode_groups(tokenizer, [group], titles=True)
    ids, kinds = batch["input_ids"][0], batch["token_type_ids"][0]
    first = tokenizer.decode([t for t, kind in zip(ids, kinds, strict=True) if kind == 0])
    assert first == "[CLS] who won? [SEP] world cup final [SEP]"
    assert tokenizer.decode(batch["input_ids"][0][starts[0] : ends[0] + 1]) == "france"
    plain, _, _ = encode_groups(tokenizer, [group])  # without titles: the question alone
    assert "world" not in tokenizer.decode(plain["input_ids"][0])


def test_the_pointwise_loss_rewards_a_high_positive_and_skips_padding():
    import torch

    from evaluation.reader.train import pointwise_loss

    padded = -1e4  # a group with fewer negatives, as group_outputs pads it
    good = torch.tensor([[4.0, -4.0, -4.0], [4.0, -4.0, padded]])
    bad = torch.tensor([[-4.0, 4.0, 4.0], [-4.0, 4.0, padded]])
    assert float(pointwise_loss(good)) < 0.05 < 3.0 < float(pointwise_loss(bad))
    assert torch.isfinite(pointwise_loss(good))


def test_a_fraction_keeps_whole_questions_and_the_same_ones_for_a_seed():
    from evaluation.reader.train import subsample_questions

    groups = [
        Group(f"2023010{w}_{q}", "q?", f"p{i}")
        for w in range(5)
        for q in range(4)
        for i in range(3)
    ]
    half = subsample_questions(groups, 0.5, seed=13)
    kept = {g.question_id for g in half}
    assert len(kept) == 10 and len(half) == 30  # every group of a kept question
    assert [g.positive for g in half] == [g.positive for g in subsample_questions(groups, 0.5, 13)]
    assert kept != {g.question_id for g in subsample_questions(groups, 0.5, seed=14)}
    assert len(subsample_questions(groups, 0.01, seed=13)) == 3  # never empty
