"""Reader training groups mined from SQuAD v1.1 (`../shared/data/squad`, CC BY-SA 4.0).

A SQuAD question comes with its paragraph and the answer's character offset. Its group is the
reader's usual shape: the positive is the paragraph's sentence that holds the answer span, the
negatives are the paragraph's other sentences (the hard ones: same subject, same words), topped
up with sentences of other paragraphs of the same Wikipedia article. A span that crosses a
sentence boundary has no single sentence to point at: such a question is skipped and counted.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path

from evaluation.reader.data import (
    MAX_SENTENCE_CHARS,
    MIN_SENTENCE_CHARS,
    NEGATIVES,
    Group,
    holds,
    read_jsonl,
)
from qa.news.sentences import sentence_spans

SQUAD = Path("../shared/data/squad/squad11_train.jsonl.gz")


def usable(sentence: str) -> bool:
    """A sentence the answerer would take as a candidate (its length floor and ceiling)."""
    return MIN_SENTENCE_CHARS <= len(sentence) <= MAX_SENTENCE_CHARS


def answer_sentence(context: str, start: int, length: int) -> tuple[str | None, str]:
    """The sentence of `context` holding the span [start, start + length), and why not if
    none: "crosses" (the span runs over a sentence boundary), "outside" (no sentence holds its
    start) or "length" (the sentence is too short or too long to be a candidate)."""
    end = start + length
    for s, e in sentence_spans(context):
        if s <= start < e:
            if end > e:
                return None, "crosses"
            sentence = context[s:e]
            return (sentence, "") if usable(sentence) else (None, "length")
    return None, "outside"


def mine_squad(
    rows: Iterable[dict], *, limit: int | None = None, seed: int = 0, negatives: int = NEGATIVES
) -> tuple[list[Group], Counter]:
    """Up to `limit` groups (one per question, questions in a seeded random order) and the
    count of questions skipped, by reason."""
    rows = [r for r in rows if r.get("answers")]
    by_article: dict[str, list[str]] = defaultdict(list)
    for context in dict.fromkeys((r["title"], r["context"]) for r in rows):
        by_article[context[0]].append(context[1])
    sentences_of: dict[str, list[str]] = {}

    def sentences(context: str) -> list[str]:
        if context not in sentences_of:
            sentences_of[context] = [context[s:e] for s, e in sentence_spans(context)]
        return sentences_of[context]

    rng = random.Random(seed)
    rng.shuffle(rows)
    groups: list[Group] = []
    skipped: Counter = Counter()
    for row in rows:
        if limit is not None and len(groups) >= limit:
            break
        first = row["answers"][0]
        positive, why = answer_sentence(row["context"], first["start"], len(first["text"]))
        if positive is None:
            skipped[why] += 1
            continue
        answers = list(dict.fromkeys(a["text"] for a in row["answers"]))
        # a sentence holding the answer elsewhere may state it too: never a negative
        unlike = [
            s
            for s in sentences(row["context"])
            if s != positive and usable(s) and not any(holds(s, a) for a in answers)
        ]
        picked = rng.sample(unlike, min(negatives, len(unlike)))
        others = [c for c in by_article[row["title"]] if c != row["context"]]
        rng.shuffle(others)
        for context in others:
            if len(picked) >= negatives:
                break
            pool = [
                s
                for s in sentences(context)
                if usable(s) and s not in picked and not any(holds(s, a) for a in answers)
            ]
            if pool:
                picked.append(rng.choice(pool))
        if len(picked) < min(3, negatives):
            skipped["negatives"] += 1
            continue
        groups.append(Group(f"squad_{row['id']}", row["question"], positive, picked, answers))
    return groups, skipped


def load_squad(path: Path, *, limit: int, seed: int, negatives: int = NEGATIVES) -> list[Group]:
    """`mine_squad` over a SQuAD JSONL file, printing what was skipped."""
    groups, skipped = mine_squad(read_jsonl(path), limit=limit, seed=seed, negatives=negatives)
    reasons = ", ".join(f"{n} {why}" for why, n in skipped.most_common()) or "none"
    print(f"SQuAD: {len(groups)} groups from {path.name}; skipped: {reasons}", flush=True)
    return groups
