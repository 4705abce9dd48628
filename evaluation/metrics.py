"""Evaluation metrics, as `../shared/data/README.md` defines them.

A gold answer appears in a text when its SQuAD-normalised form occurs there on word boundaries
("US" never matches "usually"), and every gold answer of a question must appear. `shown@300`:
in the first 300 characters of the displayed answer (never an abstention); `bold`: in the
short answer; `hits@k`, `mrr@10`: in the top-k passages; `reading`: `shown@300` among the
questions with `hits@10`; `wrong`: answered, yet not `shown@300`; `abstained`; `abstained@hit`:
the number of abstentions with `hits@10`; `p50_ms`, `p95_ms` (numpy's interpolation).
"""

from __future__ import annotations

import bisect
import re
import string
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

SHOWN_CHARS = 300  # what a reader takes in at a glance; the answerer's own cap
MRR_DEPTH = 10
HITS_DEPTHS = (1, 5, 10)
METRIC_KEYS = (
    "shown@300",
    "wrong",
    "bold",
    "hits@1",
    "hits@5",
    "hits@10",
    "mrr@10",
    "abstained",
    "abstained@hit",
    "reading",
    "p50_ms",
    "p95_ms",
    "n",
)

COUNT_KEYS = ("abstained@hit", "n")  # whole numbers of questions; the rest are shares
PER_QUESTION_KEYS = tuple(k for k in METRIC_KEYS if k not in ("reading", "p50_ms", "p95_ms", "n"))

_ARTICLES_RE = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = str.maketrans("", "", string.punctuation)


def normalize_answer(text: str) -> str:
    """SQuAD's normalisation: lower case, no punctuation, no articles, single spaces."""
    text = text.lower().translate(_PUNCTUATION)
    text = _ARTICLES_RE.sub(" ", text)
    return " ".join(text.split())


def _keep_articles(text: str) -> str:
    return " ".join(text.lower().translate(_PUNCTUATION).split())


def contains_answer(text: str, gold: str) -> bool:
    """True if `gold` appears in `text`, normalised, on word boundaries.

    A gold answer made only of articles ("The") is compared with the articles kept.
    """
    needle, haystack = normalize_answer(gold), normalize_answer(text)
    if not needle:
        needle, haystack = _keep_articles(gold), _keep_articles(text)
    return bool(needle) and f" {needle} " in f" {haystack} "


def all_found(texts: Iterable[str], golds: Sequence[str]) -> bool:
    """True if every gold answer appears in at least one of `texts` (False for no golds)."""
    texts = list(texts)
    return bool(golds) and all(any(contains_answer(t, g) for t in texts) for g in golds)


def shown_at(
    answer_text: str, golds: Sequence[str], chars: int = SHOWN_CHARS, *, abstained: bool = False
) -> bool:
    """Every gold answer appears in the first `chars` characters of the displayed answer.

    Args:
        answer_text: the answer as displayed (citation markers included).
        golds: the gold answers; all must appear.
        chars: how much of the answer a reader is assumed to take in.
        abstained: an abstention never counts as showing the answer.
    """
    if abstained:
        return False
    return all_found([answer_text[:chars]], golds)


def _text_of(passage) -> str:
    return passage if isinstance(passage, str) else passage.text


def hits_at(passages: Sequence, golds: Sequence[str], k: int) -> bool:
    """Every gold answer appears in one of the top-`k` passages (strings or `Passage`s)."""
    return all_found((_text_of(p) for p in passages[:k]), golds)


def first_hit_rank(passages: Sequence, golds: Sequence[str], depth: int = MRR_DEPTH) -> int | None:
    """The smallest r <= `depth` at which `hits_at(passages, golds, r)` holds, else None."""
    if not golds:
        return None
    missing = set(golds)
    for rank, p in enumerate(passages[:depth], 1):
        text = _text_of(p)
        missing -= {g for g in missing if contains_answer(text, g)}
        if not missing:
            return rank
    return None


def reciprocal_rank(passages: Sequence, golds: Sequence[str], depth: int = MRR_DEPTH) -> float:
    """1/r for the first rank r at which all golds have been found, 0 if not within `depth`."""
    rank = first_hit_rank(passages, golds, depth)
    return 0.0 if rank is None else 1.0 / rank


def percentile_ms(latencies_ms: Sequence[float], q: float) -> float:
    """The `q`-th percentile of `latencies_ms` (0.0 for none)."""
    return float(np.percentile(latencies_ms, q)) if len(latencies_ms) else 0.0


@dataclass
class Outcome:
    """What one question produced: enough to score it, nothing more."""

    golds: list[str]
    answer_text: str
    abstained: bool
    passages: list[str] = field(default_factory=list)  # chunk texts in rank order
    latency_ms: float = 0.0
    short_answer: str | None = None  # the span shown in bold, if any

    def scores(self) -> dict[str, float]:
        """This question's per-question metrics (1.0/0.0 flags, and the reciprocal rank)."""
        row = {"shown@300": float(shown_at(self.answer_text, self.golds, abstained=self.abstained))}
        short = None if self.abstained else self.short_answer
        row["bold"] = float(bool(short) and all_found([short or ""], self.golds))
        for k in HITS_DEPTHS:
            row[f"hits@{k}"] = float(hits_at(self.passages, self.golds, k))
        row["mrr@10"] = reciprocal_rank(self.passages, self.golds, MRR_DEPTH)
        row["abstained"] = float(self.abstained)
        # shown, but without the answer: what a user may take for true
        row["wrong"] = float(not self.abstained and not row["shown@300"])
        # nothing shown though a top-ten passage holds the answer
        row["abstained@hit"] = float(self.abstained and bool(row["hits@10"]))
        return row


def summarize(outcomes: Sequence[Outcome]) -> dict[str, float | int]:
    """The metrics of a run: means of the per-question scores, latency percentiles, and `n`."""
    rows = [o.scores() for o in outcomes]
    n = len(rows)
    summary: dict[str, float | int] = {
        key: (sum(r[key] for r in rows) / n if n else 0.0) for key in PER_QUESTION_KEYS
    }
    summary["abstained@hit"] = int(sum(r["abstained@hit"] for r in rows))
    retrieved = [r for r in rows if r["hits@10"]]
    summary["reading"] = (
        sum(r["shown@300"] for r in retrieved) / len(retrieved) if retrieved else 0.0
    )
    latencies = [o.latency_ms for o in outcomes]
    summary["p50_ms"] = percentile_ms(latencies, 50)
    summary["p95_ms"] = percentile_ms(latencies, 95)
    summary["n"] = n
    return summary


class Corpus:
    """Many texts normalised once, to ask which of them hold a gold answer (the coverage of a
    whole store: the upper bound of hits@k for any retriever).

    `holding(gold)` gives the same answer as `{i for i, t in enumerate(texts) if
    contains_answer(t, gold)}`, by one search through the joined normalised texts.
    """

    _SEPARATOR = "\x00"  # never in a normalised answer, so no match spans two texts

    def __init__(self, texts: Sequence[str]) -> None:
        self._texts = list(texts)
        parts, starts, at = [], [], 0
        for text in self._texts:
            part = f" {normalize_answer(text)} {self._SEPARATOR}"
            starts.append(at)
            parts.append(part)
            at += len(part)
        self._joined = "".join(parts)
        self._starts = starts
        self._held: dict[str, set[int]] = {}  # gold -> holding(gold), asked again per filter

    def holding(self, gold: str) -> set[int]:
        """Indexes of the texts in which `gold` appears (as `contains_answer` decides)."""
        if gold not in self._held:
            self._held[gold] = self._search(gold)
        return self._held[gold]

    def _search(self, gold: str) -> set[int]:
        needle = normalize_answer(gold)
        if not needle:  # an answer made only of articles: compared with the articles kept
            return {i for i, t in enumerate(self._texts) if contains_answer(t, gold)}
        found: set[int] = set()
        needle = f" {needle} "
        at = self._joined.find(needle)
        while at >= 0:
            found.add(bisect.bisect_right(self._starts, at) - 1)
            at = self._joined.find(needle, at + 1)
        return found

    def all_found(self, golds: Sequence[str], visible: Sequence[bool] | None = None) -> bool:
        """Every gold answer appears in at least one text (one that `visible` marks, if given)."""
        return bool(golds) and all(
            any(visible is None or visible[i] for i in self.holding(g)) for g in golds
        )
