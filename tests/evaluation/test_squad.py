"""SQuAD groups for the reader, mined from hand-made paragraphs. No test trains a model."""

from __future__ import annotations

from evaluation.reader.squad import answer_sentence, mine_squad

FIRST = (
    "The 2008 Sichuan earthquake struck on May 12 in Sichuan province of China. "
    "It killed 69,197 people and left 18,222 missing. "
    "The earthquake was also known as the Wenchuan earthquake, after its epicenter."
)
SECOND = (
    "Rescue teams from Taiwan and Japan arrived within days of the disaster. "
    "Reconstruction of the region took three years and cost about 1 trillion yuan. "
    "Schools were rebuilt to stricter standards after many collapsed in the quake."
)


def row(i: int, question: str, context: str, answer: str, start: int | None = None) -> dict:
    start = context.index(answer) if start is None else start
    return {
        "id": f"q{i}",
        "question": question,
        "context": context,
        "answers": [{"text": answer, "start": start}],
        "title": "2008_Sichuan_earthquake",
    }


def test_the_positive_is_the_sentence_holding_the_answer_span():
    rows = [
        row(0, "How many people did the earthquake kill?", FIRST, "69,197"),
        row(1, "How long did reconstruction take?", SECOND, "three years"),
    ]
    groups, skipped = mine_squad(rows, seed=1, negatives=4)
    by_id = {g.question_id: g for g in groups}
    assert by_id["squad_q0"].positive == "It killed 69,197 people and left 18,222 missing."
    assert by_id["squad_q1"].answers == ["three years"]
    assert "three years" in by_id["squad_q1"].positive
    for g in groups:
        assert g.positive not in g.negatives
        assert not any(g.answers[0] in n for n in g.negatives)  # a negative never holds it
        assert len(g.negatives) == 3  # its paragraph's other two, then one of another
    assert not skipped


def test_the_paragraph_s_sentences_come_first_among_the_negatives():
    groups, _ = mine_squad(
        [row(0, "When did it strike?", FIRST, "May 12"), row(1, "x?", SECOND, "Taiwan")],
        seed=3,
        negatives=4,
    )
    g = next(g for g in groups if g.question_id == "squad_q0")
    own = [s for s in g.negatives if s in FIRST]
    assert g.negatives[: len(own)] == own and len(own) == 2  # then the other paragraph's


def test_a_span_crossing_a_sentence_boundary_is_skipped_and_named():
    across = "missing. The earthquake"
    start = FIRST.index(across)
    assert answer_sentence(FIRST, start, len(across)) == (None, "crosses")
    groups, skipped = mine_squad([row(0, "What?", FIRST, across, start)], seed=0)
    assert groups == [] and skipped["crosses"] == 1


def test_a_sentence_too_short_to_be_a_candidate_is_skipped_and_named():
    context = "Yes. " + SECOND
    assert answer_sentence(context, 0, 3) == (None, "length")


def test_a_larger_rung_starts_with_the_smaller_rung_s_groups():
    # --squad-from K relies on it: the groups after the first K are new questions
    rows = [row(i, f"Question {i}?", FIRST, "69,197") for i in range(3)]
    rows += [row(3 + i, f"Question {3 + i}?", SECOND, "three years") for i in range(3)]
    small, _ = mine_squad(rows, limit=2, seed=5, negatives=4)
    large, _ = mine_squad(rows, limit=5, seed=5, negatives=4)
    assert large[:2] == small and len(large) == 5
    assert not {g.question_id for g in large[2:]} & {g.question_id for g in small}
