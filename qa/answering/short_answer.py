"""The short answer: the name, date or number inside a chosen sentence that answers the question,
shown in bold, found by rules when the reader is not sure of its own span."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import NamedTuple

from bm25s.stopwords import STOPWORDS_EN

from qa.answering.questions import NUMBER_RE
from qa.news.dates import date_span, date_spans, is_calendar_word

_CAP = r"[A-Z][\w'’&.-]*"
_NAME_RE = re.compile(rf"{_CAP}(?:\s+(?:(?:of|the|de|da|van|von|al|bin|and|&)\s+)?{_CAP})*")
_NUMBER_SPAN_RE = re.compile(
    r"(?:about |around |nearly |almost |more than |over |some )?[$£€]?\d[\d,.]*(?:\s?%|"
    r"\s+(?:million|billion|trillion|thousand|hundred|percent|per cent))?",
    re.IGNORECASE,
)


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
        return 1.0 if NUMBER_RE.search(sentence) else 0.0
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


def widened(kind: str | None, sentence: str, span: tuple[int, int]) -> tuple[int, int]:
    """The reader's `span` grown to the whole date or figure of the kind asked for that holds
    it ("February" -> "Thursday, February 24", "14,000" -> "about 14,000"); else as it is.
    A reader cuts a span where its tokens end; the rules know where such an expression does."""
    if kind == "date":
        found = date_spans(sentence)
    elif kind == "number":
        found = [m.span() for m in _NUMBER_SPAN_RE.finditer(sentence)]
    else:
        return span
    holding = [(a, b) for a, b in found if a <= span[0] and span[1] <= b]
    return min(holding, key=lambda s: s[1] - s[0]) if holding else span


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
