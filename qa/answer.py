"""The extractive answerer: the sentences of the retrieved passages that best answer the question.

No instruction-tuned model can be installed offline here, so the default answer is made of
the passages' own sentences, each cited. A sentence is scored by its meaning (MiniLM cosine
to the question), by the question words it contains (stemmed, weighted by rarity), by how well
its passage ranked, and by whether it holds the kind of thing the question asks for (a person
for "who", a date for "when", a number for "how many"). Weak evidence means abstaining.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from qa.lexical import make_tokenizer
from qa.models import Answer, Citation, Passage
from qa.sentences import sentence_spans

ABSTAIN_TEXT = "I couldn't find this in the ingested articles."
PASSAGES_READ = 6  # top passages whose sentences are candidates
MAX_ANSWER_SENTENCES = 2
MAX_ANSWER_CHARS = 300  # what a reader takes in at a glance
SECOND_SENTENCE_RATIO = 0.92  # a second sentence must score this close to the best
MIN_SENTENCE_CHARS = 25

# Abstention: the best sentence must mean something close to the question, or share its rare
# words. Measured on the sample article: answering sentences score cosine 0.45-0.7, an
# unrelated question (the World Cup on war news) at most 0.2.
MIN_COSINE = 0.35
MIN_OVERLAP = 0.5
MIN_COSINE_WITH_OVERLAP = 0.2

W_COSINE, W_OVERLAP, W_RANK, W_TYPE = 1.0, 0.6, 0.15, 0.15

_MONTHS = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_WEEKDAYS = r"(mon|tues|wednes|thurs|fri|satur|sun)day"
_DATE_RE = re.compile(
    rf"\b({_MONTHS}\s+\d{{1,2}}|\d{{1,2}}\s+{_MONTHS}|{_WEEKDAYS}|(19|20)\d\d|yesterday|today|"
    r"last (week|month|year)|\d{1,2}/\d{1,2}/\d{2,4})\b",
    re.IGNORECASE,
)
_NUMBER_RE = re.compile(
    r"\b\d[\d,.]*\b|\b(one|two|three|four|five|six|seven|eight|nine|ten|"
    r"dozen|hundred|thousand|million|billion)s?\b",
    re.IGNORECASE,
)
_NAME_RE = re.compile(r"\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)+\b|\b[A-Z]{2,}\b")


@dataclass
class Candidate:
    passage: Passage
    start: int  # offsets in passage.text
    end: int
    score: float = 0.0
    cosine: float = 0.0
    overlap: float = 0.0

    @property
    def text(self) -> str:
        return self.passage.text[self.start : self.end]


def answer_type(question: str) -> str | None:
    """What the question asks for: "person", "date", "number", "place", or None."""
    q = question.lower().strip()
    if re.match(r"(who|whom|whose)\b", q) or re.search(
        r"\b(which|what) (person|company|outlet|country|organi[sz]ation)\b", q
    ):
        return "person"
    if re.match(r"when\b", q) or re.search(r"\b(what|which) (date|day|year|month|time)\b", q):
        return "date"
    if re.match(r"how (many|much|long|old|far)\b", q) or re.search(
        r"\bwhat (number|percentage|amount)\b", q
    ):
        return "number"
    if re.match(r"where\b", q):
        return "place"
    return None


def type_match(kind: str | None, sentence: str, question: str) -> float:
    """1.0 if `sentence` holds what the question asks for (beyond the question's own words)."""
    if kind is None:
        return 0.0
    if kind == "date":
        return 1.0 if _DATE_RE.search(sentence) else 0.0
    if kind == "number":
        return 1.0 if _NUMBER_RE.search(sentence) else 0.0
    asked = question.lower()
    names = [m.group(0) for m in _NAME_RE.finditer(sentence)]
    return 1.0 if any(n.lower() not in asked for n in names) else 0.0


class Overlap:
    """How much of the question's (stemmed, stopword-free) vocabulary a sentence contains."""

    def __init__(self, question: str, passages: list[Passage]) -> None:
        self._tokenizer = make_tokenizer()
        self._terms = set(self._stems(question))
        docs = [set(self._stems(p.text)) for p in passages] or [set()]
        # Rarity within the retrieved passages: words every passage shares say little.
        self._weight = {
            t: math.log(1 + (len(docs) + 1) / (1 + sum(t in d for d in docs))) for t in self._terms
        }

    def _stems(self, text: str) -> list[str]:
        return self._tokenizer.tokenize(
            [text], update_vocab=True, return_as="string", show_progress=False
        )[0]

    def __call__(self, sentence: str) -> float:
        total = sum(self._weight.values())
        if not total:
            return 0.0
        found = set(self._stems(sentence)) & self._terms
        return sum(self._weight[t] for t in found) / total


def candidates_from(passages: list[Passage]) -> list[Candidate]:
    """The sentences of `passages`, each once (chunks overlap), in passage order."""
    seen: set[str] = set()
    out = []
    for p in passages:
        for start, end in sentence_spans(p.text):
            text = p.text[start:end]
            key = " ".join(text.lower().split())
            if len(text) < MIN_SENTENCE_CHARS or key in seen:
                continue
            seen.add(key)
            out.append(Candidate(p, start, end))
    return out


def score_candidates(
    question: str, candidates: list[Candidate], passages: list[Passage], embeddings
) -> None:
    """Set `score`, `cosine` and `overlap` on every candidate."""
    if not candidates:
        return
    vectors = np.asarray(embeddings.embed_documents([c.text for c in candidates]))
    q = np.asarray(embeddings.embed_query(question))
    cosines = vectors @ q
    overlap = Overlap(question, passages)
    kind = answer_type(question)
    for c, cos in zip(candidates, cosines, strict=True):
        c.cosine = float(cos)
        c.overlap = overlap(c.text)
        rank_prior = 1.0 / math.sqrt(max(c.passage.rank, 1))
        c.score = (
            W_COSINE * c.cosine
            + W_OVERLAP * c.overlap
            + W_RANK * rank_prior
            + W_TYPE * type_match(kind, c.text, question)
        )


def is_evidence(c: Candidate) -> bool:
    """Strong enough to answer from, rather than abstain."""
    return c.cosine >= MIN_COSINE or (
        c.overlap >= MIN_OVERLAP and c.cosine >= MIN_COSINE_WITH_OVERLAP
    )


def answer_extractive(question: str, passages: list[Passage], embeddings) -> Answer:
    """A short cited answer from the top passages' sentences, or an honest abstention."""
    top = passages[:PASSAGES_READ]
    candidates = candidates_from(top)
    score_candidates(question, candidates, top, embeddings)
    ranked = sorted(candidates, key=lambda c: c.score, reverse=True)
    if not ranked or not is_evidence(ranked[0]):
        return Answer(question=question, text=ABSTAIN_TEXT, abstained=True, passages=passages)
    chosen = [ranked[0]]
    for c in ranked[1:]:
        if len(chosen) >= MAX_ANSWER_SENTENCES or c.score < SECOND_SENTENCE_RATIO * ranked[0].score:
            break
        if is_evidence(c) and sum(len(x.text) for x in chosen) + len(c.text) <= MAX_ANSWER_CHARS:
            chosen.append(c)
    return compose(question, chosen, passages)


def compose(question: str, chosen: list[Candidate], passages: list[Passage]) -> Answer:
    """The answer text with [n] markers, one citation per sentence (one number per passage)."""
    numbers: dict[str, int] = {}
    citations: list[Citation] = []
    parts = []
    for c in chosen:
        n = numbers.setdefault(c.passage.chunk_id, len(numbers) + 1)
        parts.append(f"{c.text} [{n}]")
        citations.append(
            Citation(n=n, passage=c.passage, quote=c.text, quote_start=c.start, quote_end=c.end)
        )
    return Answer(question=question, text=" ".join(parts), citations=citations, passages=passages)
