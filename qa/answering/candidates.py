"""Candidate sentences and their scores: the sentences (and headlines) of the top passages, scored by
meaning (MiniLM cosine), rare question words, passage rank and answer type, then by the reader."""

from __future__ import annotations

import math
from bisect import bisect_left
from dataclasses import dataclass

import numpy as np

from qa.answering.questions import answer_type
from qa.answering.short_answer import common_words, type_match
from qa.encoders.embeddings import unpack_vectors
from qa.encoders.reader import ReaderBars, bars_of
from qa.news.furniture import is_furniture
from qa.news.sentences import sentence_spans
from qa.store.lexical import stem_offsets, stem_words
from qa.types import Passage

MIN_SENTENCE_CHARS = 25
# Sentences embedded per question when their passage carries no stored vectors (built by hand):
# the rest are ruled out first by the cheap signals (question words, passage rank, answer
# type). On the dev set the best 12 of ~35 candidates give the same answers as all of them.
SHORTLIST = 12
# Abstention: the best sentence must mean something close to the question, or share its rare
# words. Measured on the sample article: answering sentences score cosine 0.45-0.7, an
# unrelated question (the World Cup on war news) at most 0.2.
MIN_COSINE = 0.35
MIN_OVERLAP = 0.5
MIN_COSINE_WITH_OVERLAP = 0.2
W_COSINE, W_OVERLAP, W_RANK, W_TYPE = 1.0, 0.6, 0.15, 0.15
# The reader (qa.encoders.reader) reads the best READER_DEPTH candidates by the scores above and adds
# W_READER times its probability that the sentence answers; with it, the best must reach
# MIN_READ_SCORE and a further sentence READ_SENTENCE_RATIO of it. Chosen on the dev set with
# `python -m evaluation.reader.tune` (docs/eval.md): reading all ~50 candidates picks no better
# first sentences than reading the best 8, at six times the cost.
READER_DEPTH = 8
W_READER = 1.0
# When none of those reads as an answer (best probability under the reader's `bars.sure`,
# qa.encoders.reader.ReaderBars: 0.7 for the shipped one), the next
# READER_MORE are read too: the answer often ranks 9th to 16th then. On dev and held-out weeks
# this showed 2 answers more and gave 6 wrong ones fewer with the news-only reader, reading
# further for a quarter of the questions (reading 16 always: 4 and 7, at twice the cost). The
# shipped reader, whose probabilities are lower, reads further for 43 % of dev questions (29 %
# of held-out ones).
READER_MORE = 8
# Two versions of a story on two sites differ by a clause ("came word from the courtroom that
# the parties had settled"): a sentence that shares this much of its words with one already
# shown is not shown again, and better evidence takes its place (held-out weeks: 1 answer more).
SAME_SENTENCE_SHARE = 0.8


@dataclass(eq=False)  # compared by identity: two candidates may share offsets and vectors
class Candidate:
    passage: Passage
    start: int  # offsets in passage.text (in passage.title for a headline)
    end: int
    vector: np.ndarray | None = None  # stored at ingest; None: embedded when scored
    score: float = 0.0
    cosine: float = 0.0
    overlap: float = 0.0
    reading: float | None = None  # the reader's probability that it answers; None: not read
    span: tuple[int, int, float] | None = None  # the reader's answer in `text`, its probability
    headline: bool = False  # the article's title rather than a sentence of the passage

    @property
    def text(self) -> str:
        source = self.passage.title if self.headline else self.passage.text
        return source[self.start : self.end]


class Overlap:
    """How much of the question's (stemmed, stopword-free) vocabulary a sentence contains."""

    def __init__(self, question: str, passages: list[Passage]) -> None:
        self._terms = set(stem_words(question))
        # Each passage's words are stemmed once; a sentence's stems are a slice of them.
        self._words = {p.text: stem_offsets(p.text) for p in passages}
        docs = [
            set(found[1] if (found := self._words[p.text]) is not None else stem_words(p.text))
            for p in passages
        ] or [set()]
        # Rarity within the retrieved passages: words every passage shares say little.
        self._weight = {
            t: math.log(1 + (len(docs) + 1) / (1 + sum(t in d for d in docs))) for t in self._terms
        }

    def of_each(self, candidates: list[Candidate]) -> list[float]:
        """The share of the question's weighted words that each candidate contains."""
        total = sum(self._weight.values())
        if not total or not candidates:
            return [0.0] * len(candidates)
        return [
            sum(self._weight[t] for t in set(self.stems(c)) & self._terms) / total
            for c in candidates
        ]

    def stems(self, c: Candidate) -> list[str]:
        """`stem_words(c.text)`, sliced from its passage's stems where they are known."""
        found = None if c.headline else self._words.get(c.passage.text)
        if found is None:
            return stem_words(c.text)
        starts, stems = found
        return stems[bisect_left(starts, c.start) : bisect_left(starts, c.end)]


def candidates_from(passages: list[Passage], *, headlines: bool = False) -> list[Candidate]:
    """The sentences of `passages`, each once (chunks overlap), in passage order, with the
    vectors stored for them at ingest where there are any. With `headlines`, each article's
    title is a candidate too, before the sentences of its first passage, unless the title was
    made up at ingest (from a file name or the lead) for lack of one."""
    seen: set[str] = set()
    out = []
    for p in passages:
        if headlines and not p.title_derived and (title := p.title.strip()):
            key = " ".join(title.lower().split())
            if len(title) >= MIN_SENTENCE_CHARS and key not in seen and not _is_question(title):
                seen.add(key)
                head = unpack_vectors(p.head_vector) if p.head_vector else None
                vector = head[0] if head is not None and len(head) == 1 else None
                start = p.title.find(title)
                out.append(Candidate(p, start, start + len(title), vector=vector, headline=True))
        spans = sentence_spans(p.text)
        vectors = unpack_vectors(p.sentence_vectors) if p.sentence_vectors else None
        if vectors is not None and len(vectors) != len(spans):
            vectors = None  # split differently when stored: embed afresh
        for i, (start, end) in enumerate(spans):
            text = p.text[start:end]
            key = " ".join(text.lower().split())
            if len(text) < MIN_SENTENCE_CHARS or key in seen or _is_question(text):
                continue
            if is_furniture(text):  # a timestamp, byline or credit is never evidence
                continue
            seen.add(key)
            out.append(Candidate(p, start, end, vector=None if vectors is None else vectors[i]))
    return out


def _is_question(sentence: str) -> bool:
    """A sentence that asks ("Who spoke at the funeral?", an FAQ heading) never answers."""
    return sentence.rstrip(" \"'”’)").endswith("?")


def score_without_model(
    question: str,
    candidates: list[Candidate],
    passages: list[Passage],
    common: frozenset[str] | None = None,
    asked: str | None = None,
) -> None:
    """Set `overlap` and the model-free part of `score` (question words, passage rank, answer
    type) on every candidate. `common`: `common_words` of the passages, if already known;
    `asked`: the question whose answer type counts, when `question` carries a follow-up's
    context too."""
    overlaps = Overlap(question, passages).of_each(candidates)
    kind = answer_type(asked or question)
    if common is None:
        common = common_words(p.text for p in passages)
    for c, overlap in zip(candidates, overlaps, strict=True):
        c.overlap = overlap
        rank_prior = 1.0 / math.sqrt(max(c.passage.rank, 1))
        c.score = (
            W_OVERLAP * c.overlap
            + W_RANK * rank_prior
            + W_TYPE * type_match(kind, c.text, question, common, c.headline)
        )


def shortlist(candidates: list[Candidate], n: int = SHORTLIST) -> list[Candidate]:
    """The candidates with a stored vector, and the `n` without one that have the best `score`
    so far (the model runs on these alone), in their original order."""
    bare = [i for i, c in enumerate(candidates) if c.vector is None]
    if len(bare) <= n:
        return candidates
    dropped = set(sorted(bare, key=lambda i: candidates[i].score, reverse=True)[n:])
    return [c for i, c in enumerate(candidates) if i not in dropped]


def add_cosines(question: str, candidates: list[Candidate], embeddings, query_vector=None) -> None:
    """Set `cosine` (MiniLM, sentence to question) on every candidate and add it to `score`.

    Sentences without a stored vector are embedded now; `query_vector` saves embedding the
    question again when retrieval already did."""
    if not candidates:
        return
    missing = [c for c in candidates if c.vector is None]
    if missing:
        fresh = embeddings.embed_documents([c.text for c in missing])
        for c, v in zip(missing, fresh, strict=True):
            c.vector = np.asarray(v, dtype=np.float32)
    if query_vector is None:
        query_vector = embeddings.embed_query(question)
    q = np.asarray(query_vector, dtype=np.float32)
    vectors = np.stack([c.vector for c in candidates])  # type: ignore[misc]
    for c, cos in zip(candidates, vectors @ q, strict=True):
        c.cosine = float(cos)
        c.score += W_COSINE * c.cosine


def add_readings(question: str, candidates: list[Candidate], reader) -> None:
    """Set `reading` on the best READER_DEPTH candidates (by score so far), and on the next
    READER_MORE when none of those reads at the reader's `bars.sure`, and add it to their score:
    the reader tells the sentence that answers from the one that only resembles the question."""
    ranked = sorted(candidates, key=lambda c: c.score, reverse=True)
    best = ranked[:READER_DEPTH]
    _read(question, best, reader)
    if best and READER_MORE and max(c.reading or 0.0 for c in best) < bars_of(reader).sure:
        _read(question, ranked[READER_DEPTH : READER_DEPTH + READER_MORE], reader)


def _read(question: str, read: list[Candidate], reader) -> None:
    if not read:
        return
    titles = [reading_title(c) for c in read] if reader.titles else None
    for c, r in zip(read, reader.read(question, [c.text for c in read], titles), strict=True):
        c.reading = 1.0 / (1.0 + math.exp(-r.logit))
        c.score += W_READER * c.reading
        if r.start is not None:
            c.span = (r.start, r.end, r.span_probability)


def reading_title(c: Candidate) -> str:
    """The headline a reader trained with headlines reads before `c`: its article's, unless `c`
    is that headline or the title was made up at ingest."""
    return "" if c.headline or c.passage.title_derived else c.passage.title.strip()


def score_candidates(
    question: str, candidates: list[Candidate], passages: list[Passage], embeddings
) -> None:
    """Set `score`, `cosine` and `overlap` on every candidate."""
    score_without_model(question, candidates, passages)
    add_cosines(question, candidates, embeddings)


def near_copies(a: Candidate, b: Candidate) -> bool:
    """The same sentence in two versions of a story: SAME_SENTENCE_SHARE of the shorter one's
    words (stemmed, stopwords left out) are the other's."""
    words_a, words_b = set(stem_words(a.text)), set(stem_words(b.text))
    if not words_a or not words_b:
        return False
    return len(words_a & words_b) >= SAME_SENTENCE_SHARE * min(len(words_a), len(words_b))


def is_evidence(c: Candidate, read_evidence: float = ReaderBars.evidence) -> bool:
    """Strong enough to answer from, rather than abstain: close to the question in meaning or
    words, or read as its answer by the reader at `read_evidence` (its `bars.evidence`, 0.95 for
    the shipped one). An answer often shares few words with the question ("Which app is back
    online after shutting itself down?" against "TikTok abruptly shut down ..., only to say it
    was working to restore service", cosine 0.35): both dev abstentions with the answer in a
    top-ten passage were such."""
    return (
        c.cosine >= MIN_COSINE
        or (c.overlap >= MIN_OVERLAP and c.cosine >= MIN_COSINE_WITH_OVERLAP)
        or (c.reading is not None and c.reading >= read_evidence)
    )
