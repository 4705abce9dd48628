"""The extractive answerer: the sentences of the retrieved passages that best answer the question.

No instruction-tuned model installs offline here, so answers are the passages' own sentences,
each cited, scored by meaning, question words, passage rank and answer type; headlines compete
too. Weak evidence means abstaining.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import NamedTuple

import numpy as np
from bm25s.stopwords import STOPWORDS_EN

from qa.conversation.followups import split_context
from qa.encoders.embeddings import unpack_vectors
from qa.news.attribution import find_disagreement, reporting_source
from qa.news.citations import cite, cite_headline, with_date_note
from qa.news.dates import date_span, is_calendar_word
from qa.news.sentences import sentence_spans
from qa.store.lexical import stem_offsets, stem_words
from qa.types import Answer, Citation, Passage

ABSTAIN_TEXT = "I couldn't find this in the ingested articles."
HEADLINE_LABEL = "Headline: "  # a quoted headline reads as one, not as a sentence of the article
PASSAGES_READ = 10  # top passages whose sentences are candidates
MAX_ANSWER_SENTENCES = 3
MAX_ANSWER_CHARS = 300  # what a reader takes in at a glance
# A further sentence must score this close to the best. Measured on the dev set (docs/eval.md):
# filling the 300 characters with the next-best evidence shows the answer more often than
# stopping at one sentence, when the best sentence is not the one that holds it.
SECOND_SENTENCE_RATIO = 0.8
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
# ... and its whole score (meaning, question words, passage rank, answer type) must reach this.
# On the dev set, best sentences below it were wrong 14 times and right once (docs/eval.md):
# a wrong answer said with confidence is worse than saying nothing was found. The sample
# article's answers score 0.82 to 1.39.
MIN_BEST_SCORE = 0.75

W_COSINE, W_OVERLAP, W_RANK, W_TYPE = 1.0, 0.6, 0.15, 0.15

# The reader (qa.encoders.reader) reads the best READER_DEPTH candidates by the scores above and adds
# W_READER times its probability that the sentence answers; with it, the best must reach
# MIN_READ_SCORE and a further sentence READ_SENTENCE_RATIO of it. Chosen on the dev set with
# `python -m evaluation.reader.tune` (docs/eval.md): reading all ~50 candidates picks no better
# first sentences than reading the best 8, at six times the cost.
READER_DEPTH = 8
W_READER = 1.0
MIN_READ_SCORE = 0.75
READ_SENTENCE_RATIO = 0.7
# The reader also marks the answer inside a sentence; its span is shown in bold when the
# reader gives it at least this probability, else the rules below choose (dev set, tune_reader).
SPAN_MIN_PROBABILITY = 0.4

_NUMBER_RE = re.compile(
    r"\b\d[\d,.]*\b|\b(one|two|three|four|five|six|seven|eight|nine|ten|"
    r"dozen|hundred|thousand|million|billion)s?\b",
    re.IGNORECASE,
)
_CAP = r"[A-Z][\w'’&.-]*"
_NAME_RE = re.compile(rf"{_CAP}(?:\s+(?:(?:of|the|de|da|van|von|al|bin|and|&)\s+)?{_CAP})*")
_NUMBER_SPAN_RE = re.compile(
    r"(?:about |around |nearly |almost |more than |over |some )?[$£€]?\d[\d,.]*(?:\s?%|"
    r"\s+(?:million|billion|trillion|thousand|hundred|percent|per cent))?",
    re.IGNORECASE,
)


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


def answer_type(question: str) -> str | None:
    """What the question asks for: "person", "entity", "date", "number", "place", or None."""
    q = question.lower().strip()
    # Quiz questions often open with context: "Trump was sworn in Monday. Which holiday ...?"
    last = re.split(r"(?<=[.!?])\s+", q)[-1]
    if re.search(r"\b(when|what (date|day|year|month|time)|which (date|day|year|month))\b", last):
        return "date"
    if re.search(r"\bhow (many|much|long|old|far)\b|\bwhat (number|percentage|amount)\b", last):
        return "number"
    if re.search(r"\b(who|whom|whose)\b", last):
        return "person"
    if re.search(r"^where\b|\bin which (city|country|state|town|region)\b", last):
        return "place"
    if re.search(
        r"\b(which|what)\s+(?!is\b|are\b|was\b|were\b|did\b|does\b|do\b|has\b|have\b)\w+", last
    ):
        return "entity"
    return None


class Name(NamedTuple):
    """A capitalised name found in a sentence: its offsets and text."""

    start: int
    end: int
    text: str


_STOPWORDS = frozenset(w.lower() for w in STOPWORDS_EN)
_LOWER_WORD_RE = re.compile(r"(?<![\w'’-])[a-z][a-z'’-]*")


def common_words(texts: Iterable[str]) -> frozenset[str]:
    """The words `texts` use in lower case: a capitalised word among them opening a headline
    ("Regulators open ...") is an ordinary word, not a name."""
    return frozenset(w for t in texts for w in _LOWER_WORD_RE.findall(t))


_WORD_RE = re.compile(r"\S+")


def _ordinary(word: str) -> bool:
    """An article, preposition, month or weekday: not (the start of) a name."""
    return word.lower() in _STOPWORDS or is_calendar_word(word.rstrip(","))


@lru_cache(maxsize=256)  # the question's form is asked for by every candidate sentence
def _as_words(text: str) -> str:
    """` text ` in lower case, dots and apostrophes dropped ("U.S." is "us"), other punctuation
    a space, single spaces: `_as_words(name) in _as_words(question)` compares whole words."""
    plain = re.sub(r"[^\w\s]", " ", re.sub(r"[.'’]", "", text.lower()))
    return f" {' '.join(plain.split())} "


def names_not_in(
    sentence: str, question: str, common: frozenset[str] = frozenset(), headline: bool = False
) -> list[Name]:
    """Capitalised names in `sentence` that the question does not already contain.

    A leading article, preposition, month or weekday is dropped ("The FDA" -> "FDA", "Sunday
    the U.S." -> "U.S."); months and weekdays alone are not names. A single capitalised word
    opening a sentence is not evidence of a name; opening a `headline` it is, when `common`
    (the passages' lower-case words) shows it is never written in lower case ("Tesla faces new
    probe"). A name the question already holds ("U.S." for "US") is not an answer.
    """
    return list(_names_not_in(sentence, question, common, headline))


def _names_not_in(
    sentence: str, question: str, common: frozenset[str], headline: bool
) -> Iterator[Name]:
    """`names_not_in`, one at a time: `type_match` needs only the first."""
    asked = _as_words(question)
    for m in _NAME_RE.finditer(sentence):
        end = m.start() + len(m.group(0).rstrip("."))
        words = list(_WORD_RE.finditer(sentence, m.start(), end))
        while len(words) > 1 and _ordinary(words[0].group(0)):
            words = words[1:]
        start = words[0].start()
        name = sentence[start:end]
        if start == 0 and len(words) == 1 and not (headline and name.lower() not in common):
            continue  # a capital at the sentence start is not evidence of a name
        if all(_ordinary(w.group(0)) for w in words):
            continue
        if len(name) > 1 and _as_words(name) not in asked:
            yield Name(start, end, name)


def type_match(
    kind: str | None,
    sentence: str,
    question: str,
    common: frozenset[str] = frozenset(),
    headline: bool = False,
) -> float:
    """1.0 if `sentence` holds what the question asks for (beyond the question's own words)."""
    if kind is None:
        return 0.0
    if kind == "date":
        return 1.0 if date_span(sentence) else 0.0
    if kind == "number":
        return 1.0 if _NUMBER_RE.search(sentence) else 0.0
    return 1.0 if next(_names_not_in(sentence, question, common, headline), None) else 0.0


def short_answer(
    kind: str | None,
    sentence: str,
    question: str,
    common: frozenset[str] = frozenset(),
    headline: bool = False,
) -> tuple[int, int] | None:
    """Offsets of the answer span inside `sentence` (shown in bold), or None if unsure."""
    if kind == "date":
        return date_span(sentence)
    if kind == "number":
        m = _NUMBER_SPAN_RE.search(sentence)
        return (m.start(), m.end()) if m else None
    if kind in ("person", "entity", "place"):
        names = names_not_in(sentence, question, common, headline)
        if not names:
            return None
        wants_object = bool(_OBJECT_QUESTION.match(question.strip()))
        best = max(names, key=lambda n: _name_salience(n, sentence, kind, wants_object))
        return best.start, best.end
    return None


_PREPOSITION_BEFORE = re.compile(
    r"\b(with|to|of|by|from|for|at|on|about|against|between)\s+(the\s+)?$", re.IGNORECASE
)
_VERB_AFTER = re.compile(
    r"^,?\s+(?:has |had |have |was |is |will |would |reportedly |also )?[a-z]+(ed|s)\b"
)


_OBJECT_QUESTION = re.compile(r"(whom|who (did|does|do|will|would|has|had))\b", re.IGNORECASE)
_VERB_BEFORE = re.compile(r"\b[a-z]+(ed|s)\s+$")
_ATTRIBUTION_AFTER = re.compile(r"^\s+(reported|said|says|reports|told|wrote)\b")


def _name_salience(name: Name, sentence: str, kind: str, wants_object: bool) -> float:
    """How likely a name is the answer: a clause's subject ("Putin called ...") rather than a
    name inside a prepositional phrase ("In a call with Xi Jinping, ..."); the object for
    "whom" questions; never the outlet of a trailing "the BBC reported". Places usually
    follow "in"/"at", so they are not penalised for it."""
    before, after = sentence[: name.start], sentence[name.end :]
    score = 0.0
    if kind != "place" and _PREPOSITION_BEFORE.search(before):
        score -= 1.0
    if _ATTRIBUTION_AFTER.match(after):
        score -= 1.0
    elif wants_object:
        score += 0.5 if _VERB_BEFORE.search(before) else 0.0
    elif kind != "place" and _VERB_AFTER.match(after):
        score += 0.5
    return score - name.start / 1000  # ties go to the earlier name


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
) -> None:
    """Set `overlap` and the model-free part of `score` (question words, passage rank, answer
    type) on every candidate. `common`: `common_words` of the passages, if already known."""
    overlaps = Overlap(question, passages).of_each(candidates)
    kind = answer_type(question)
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
    for c, cos in zip(candidates, np.stack([c.vector for c in candidates]) @ q, strict=True):  # type: ignore[misc]
        c.cosine = float(cos)
        c.score += W_COSINE * c.cosine


def add_readings(question: str, candidates: list[Candidate], reader) -> None:
    """Set `reading` on the best READER_DEPTH candidates (by score so far) and add it to their
    score: the reader tells the sentence that answers from the one that only resembles the
    question."""
    best = sorted(candidates, key=lambda c: c.score, reverse=True)[:READER_DEPTH]
    if not best:
        return
    titles = [reading_title(c) for c in best] if reader.titles else None
    for c, r in zip(best, reader.read(question, [c.text for c in best], titles), strict=True):
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


def is_evidence(c: Candidate) -> bool:
    """Strong enough to answer from, rather than abstain."""
    return c.cosine >= MIN_COSINE or (
        c.overlap >= MIN_OVERLAP and c.cosine >= MIN_COSINE_WITH_OVERLAP
    )


def answer_extractive(
    question: str, passages: list[Passage], embeddings, query_vector=None, reader=None
) -> Answer:
    """A short cited answer from the top passages' sentences, or an honest abstention.

    `reader` (qa.encoders.reader), when given, rescores the best candidates by reading each with the
    question."""
    top = passages[:PASSAGES_READ]
    candidates = candidates_from(top, headlines=True)
    common = common_words(p.text for p in top)
    score_without_model(question, candidates, top, common)
    candidates = shortlist(candidates)  # of those without a stored vector
    add_cosines(question, candidates, embeddings, query_vector)
    if reader is not None:
        add_readings(question, candidates, reader)
    bar = MIN_READ_SCORE if reader is not None else MIN_BEST_SCORE
    ratio = READ_SENTENCE_RATIO if reader is not None else SECOND_SENTENCE_RATIO
    ranked = sorted(candidates, key=lambda c: c.score, reverse=True)
    # A headline is shown only with a sentence of its article a reader can check (and is cited
    # with that sentence's passage), and never leads on weak evidence.
    supports = {id(c): supporting_sentence(c, ranked) for c in ranked if c.headline}
    ranked = [c for c in ranked if not c.headline or (is_evidence(c) and supports[id(c)])]
    if not ranked or not is_evidence(ranked[0]) or ranked[0].score < bar:
        return Answer(question=question, text=ABSTAIN_TEXT, abstained=True, passages=passages)
    chosen: list[Candidate] = []
    for c in ranked:
        if len(chosen) >= MAX_ANSWER_SENTENCES or c.score < ratio * ranked[0].score:
            break
        if c in chosen or not is_evidence(c):
            continue
        support = supports.get(id(c))
        shown = [replace(c, passage=support.passage), support] if support else [c]
        shown = [x for x in shown if x not in chosen]
        fits = (
            sum(len(x.text) for x in chosen + shown) <= MAX_ANSWER_CHARS
            and len(chosen) + len(shown) <= MAX_ANSWER_SENTENCES
        )
        if not chosen or fits:  # the best is shown whatever its length
            chosen.extend(shown)
    answer = compose(question, chosen, passages)
    kind = answer_type(question)
    for c in chosen if asks_for_a_short_answer(question) else []:
        # the first shown sentence (or headline) that holds one: the reader's span when it is
        # sure of it and it is of the kind asked for (a date for "when"), else the rules'
        reader_span = c.span if c.span is not None and c.span[2] >= SPAN_MIN_PROBABILITY else None
        if reader_span and of_kind(kind, c.text[reader_span[0] : reader_span[1]]):
            span: tuple[int, int] | None = reader_span[:2]
        else:
            span = short_answer(kind, c.text, question, common, c.headline)
        if span is not None:
            answer.short_answer = c.text[span[0] : span[1]]
            break
    return answer


# Questions whose answer is an explanation or a statement, not a name, date or number: a word
# in bold would stand for a sentence ("What did Zelensky say about Russia?" -> "ceasefire").
_QUANTITIES = (
    "many|much|long|old|far|often|tall|big|large|high|deep|fast|soon|late|early|wide|heavy|hot|"
    "cold|close|few|small|low|expensive|cheap|short"
)
_STATEMENT_VERBS = (
    "say|says|said|tell|tells|told|announce|announced|claim|claimed|warn|warned|write|wrote|"
    "argue|argued|reflect|reflected|think|thought|mean|meant|respond|responded|reply|replied|"
    "react|reacted|describe|described"
)
_OPEN_QUESTION = re.compile(
    rf"^(?:and\s+|so\s+|but\s+)?(?:why\b|how\s+(?!(?:{_QUANTITIES})\b)\w+"
    rf"|what\s+(?:did|does|do|has|have|had|will|would)\s+.+\b(?:{_STATEMENT_VERBS})\b"
    r"(?:\s+\S+){0,4}\??$)",
    re.IGNORECASE,
)


def asks_for_a_short_answer(question: str) -> bool:
    """Whether the question asks for something a short answer in bold can be: not "why ...",
    "how did ...", "what did X say ..." (the last sentence of a quiz question decides)."""
    asked, _ = split_context(question.strip())  # a follow-up's "(context: ...)" is not asked
    last = re.split(r"(?<=[.!?])\s+", asked)[-1]
    return _OPEN_QUESTION.match(last) is None


_TIME_WORDS = re.compile(
    r"\b(?:spring|summer|autumn|fall|winter|weekend|week|month|year|decade|century|morning|"
    r"afternoon|evening|night|eve|christmas|easter|thanksgiving|ramadan|new year)s?\b"
    r"|\b(?:1[5-9]|20)\d\d(?:s)?\b|\b\d{1,2}(?:st|nd|rd|th)\b",
    re.IGNORECASE,
)


def of_kind(kind: str | None, span: str) -> bool:
    """Whether `span` can be what a question of `kind` asks for: a "when" answer names a time (a
    date, month, season, holiday or year), a "how many" answer a number; a name may be anything
    the reader marks."""
    if kind == "date":
        return (
            date_span(span) is not None
            or any(is_calendar_word(w.strip(",.")) for w in span.split())
            or _TIME_WORDS.search(span) is not None
        )
    if kind == "number":
        return _NUMBER_RE.search(span) is not None
    return True


def supporting_sentence(headline: Candidate, ranked: list[Candidate]) -> Candidate | None:
    """The best-scored sentence of the headline's own article: a headline alone is a summary,
    not evidence a reader can check."""
    article = headline.passage.article_id
    return next((c for c in ranked if not c.headline and c.passage.article_id == article), None)


def compose(question: str, chosen: list[Candidate], passages: list[Passage]) -> Answer:
    """The answer text with [n] markers, one citation per sentence, one number per article (its
    sentences from several passages are one source to the reader).

    Each citation carries its sentence's resolved dates, attribution and the outlets that
    published copies; relative dates are shown resolved in the text. A "which outlet reported"
    question is answered by the attribution, and a figure another outlet disputes is noted.
    """
    numbers: dict[str, int] = {}
    citations: list[Citation] = []
    headlines, sentences = [], []
    asked_when = answer_type(question) == "date"
    for c in chosen:
        n = numbers.setdefault(c.passage.article_id, len(numbers) + 1)
        citation = cite_headline(n, c.passage) if c.headline else cite(n, c.passage, c.start, c.end)
        shown = with_date_note(c.text, citation.dates, asked_when=asked_when)
        if c.headline:
            headlines.append(f"{HEADLINE_LABEL}“{shown}” [{n}]")
        else:
            sentences.append(f"{shown} [{n}]")
        citations.append(citation)
    # A quoted headline is a line of its own, so it reads as a headline, not as a sentence.
    text = "\n".join([*headlines, " ".join(sentences)] if sentences else headlines)
    reporter = reporting_source(question, [c.text for c in chosen])
    if reporter:
        text = f"According to {reporter}: {text}"
    top = passages[:PASSAGES_READ]
    if chosen and (other := find_disagreement(chosen[0].text, chosen[0].passage, top)):
        n = numbers.setdefault(other.passage.article_id, len(numbers) + 1)
        citations.append(cite(n, other.passage, other.start, other.end))
        text = f"{text} {other.note(numbers[chosen[0].passage.article_id], n)}"
    return Answer(
        question=question,
        text=text,
        citations=citations,
        passages=passages,
        short_answer=reporter,
    )
