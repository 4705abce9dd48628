"""Who a sentence's claim comes from, and the figures outlets disagree on.

Attributions follow the patterns news prose uses ("per POLITICO", "the BBC reported",
"according to a Chinese government readout", "Peskov said"). Figures are numbers with the noun
they count ("137 people"), compared across outlets reporting one event.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.news.dates import without_dates
from qa.news.sentences import sentence_spans
from qa.types import Passage

# A proper name: capitalised words ("Dmitry Peskov", "The Independent", "POLITICO").
_NAME = r"[A-Z][\w.&'’-]*(?:\s+(?:of\s+)?[A-Z][\w.&'’-]*){0,4}"
_SPEECH_VERBS = (
    r"said|says|confirmed|claimed|announced|stated|added|warned|told|insisted|argued|denied"
    r"|acknowledged|wrote|tweeted"
)
_REPORTED_BY = [
    re.compile(r"\b[Aa]ccording to\s+(?P<who>(?:(?:the|a|an)\s+)?[\w'’-]+(?:\s+[\w'’-]+){0,7})"),
    re.compile(rf"\bper\s+(?P<who>{_NAME})"),
    re.compile(rf"\b(?:as\s+)?reported\s+by\s+(?P<who>(?:the\s+)?{_NAME})"),
    re.compile(rf"(?P<who>(?:\bthe\s+)?{_NAME})\s+(?:first\s+)?(?:has\s+)?report(?:ed|s)\b"),
]
_SPOKEN_BY = [
    re.compile(rf"(?P<who>{_NAME})(?:,\s+[^,]{{1,60}},)?\s+(?:\w+ly\s+)?(?:{_SPEECH_VERBS})\b"),
    re.compile(rf"[,'\"’”]\s*(?:{_SPEECH_VERBS})\s+(?P<who>{_NAME})(?=\s*(?:[,.;]|$))"),
]
# Capitalised words that start sentences but name nobody.
_NOT_NAMES = frozenset(
    {"The", "A", "An", "It", "He", "She", "They", "We", "I", "This", "That", "These", "Those"}
    | {"But", "And", "In", "On", "At", "As", "If", "When", "While", "After", "Before"}
    | {"Following", "Officials", "Reports", "Sources"}
)


@dataclass(frozen=True)
class Attribution:
    """Who a sentence's claim comes from: the source it is reported by, and who said it."""

    reported_by: str | None = None  # named by "per", "according to", "X reported"
    speaker: str | None = None  # named by "X said", "said X"

    @property
    def source(self) -> str | None:
        """The attribution a citation shows: the reporting source when named, else the speaker.

        "Peskov confirmed ..., per POLITICO": the reader's evidence is POLITICO's report of
        what Peskov said, so POLITICO is the attribution.
        """
        return self.reported_by or self.speaker


def find_attribution(sentence: str) -> Attribution:
    """Who `sentence` attributes its claim to (either part None when not named)."""
    return Attribution(_first_name(_REPORTED_BY, sentence), _first_name(_SPOKEN_BY, sentence))


_ASKS_REPORTER = re.compile(
    r"\b(which|what)\s+(news\s+)?(outlet|newspaper|paper|publication|broadcaster|agency|media"
    r"|website|site|source)s?\b|\bwho\s+(first\s+)?report(ed|s)\b|\baccording to (whom|who)\b",
    re.IGNORECASE,
)


def reporting_source(question: str, sentences: list[str]) -> str | None:
    """The outlet or source the sentences name as reporting, if the question asks for it."""
    if _ASKS_REPORTER.search(question) is None:
        return None
    return next((a for s in sentences if (a := find_attribution(s).reported_by)), None)


def _first_name(patterns: list[re.Pattern], sentence: str) -> str | None:
    for pattern in patterns:
        for m in pattern.finditer(sentence):
            name = _clean_name(m.group("who"))
            if name:
                return name
    return None


def _clean_name(name: str) -> str | None:
    name = name.strip(" ,.;:'\"’”")
    words = name.split()
    # "Kremlin spokesperson Dmitry Peskov": the name is the trailing run of capitalised words.
    while words and words[0] in _NOT_NAMES and len(words) > 1 and words[0] != "The":
        words.pop(0)
    if not words or (len(words) == 1 and words[0] in _NOT_NAMES):
        return None
    return " ".join(words)


# -- figures ------------------------------------------------------------------------------

MIN_SHARED_WORDS = 0.3  # word overlap for two sentences to be about the same event
_FIGURE_RE = re.compile(
    r"(?<![\w.,])(?P<value>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?![\w,.]\d)\s*"
    r"(?P<unit>%|per\s?cent\b|percent\b|(?:(?:more|fewer|new|other|additional)\s+)?[a-z]+)"
)
_WORD_RE = re.compile(r"[a-z]{3,}")


def find_figures(sentence: str) -> dict[str, str]:
    """Counted nouns and their figures, e.g. {"people": "137 people"}; dates are not figures."""
    text = without_dates(sentence)
    out: dict[str, str] = {}
    for m in _FIGURE_RE.finditer(text):
        unit = m.group("unit").split()[-1]
        noun = "percent" if unit in ("%", "cent", "percent") else unit.removesuffix("s")
        out.setdefault(noun, " ".join(m.group(0).split()))
    return out


def disagreeing_figure(first: str, second: str) -> tuple[str, str] | None:
    """The two figures when both sentences describe one event with different numbers.

    Conservative: the sentences must share a good part of their words and count the same noun.
    """
    a, b = find_figures(first), find_figures(second)
    words_a, words_b = set(_WORD_RE.findall(first.lower())), set(_WORD_RE.findall(second.lower()))
    if not words_a or not words_b:
        return None
    if len(words_a & words_b) / len(words_a | words_b) < MIN_SHARED_WORDS:
        return None
    for noun, figure in a.items():
        other = b.get(noun)
        if other is not None and _number(figure) != _number(other):
            return figure, other
    return None


def _number(figure: str) -> float:
    return float(re.match(r"[\d,.]+", figure).group(0).replace(",", ""))  # type: ignore[union-attr]


@dataclass(frozen=True)
class Disagreement:
    """Another outlet's sentence giving a different figure for the same event."""

    passage: Passage
    start: int
    end: int
    figure: str  # in the answer's sentence, e.g. "137 people"
    other_figure: str  # in the other outlet's sentence
    source: str  # the answer sentence's outlet

    def note(self, n: int, other_n: int) -> str:
        """One line for the answer, citing both: "Outlets disagree on this figure: ..."."""
        return (
            f"Outlets disagree on this figure: {self.figure} per {self.source} [{n}], "
            f"{self.other_figure} per {self.passage.source} [{other_n}]."
        )


def find_disagreement(
    sentence: str, passage: Passage, passages: list[Passage]
) -> Disagreement | None:
    """A sentence from another outlet's article among `passages` that disputes a figure."""
    if not find_figures(sentence):
        return None
    for p in passages:
        if p.article_id == passage.article_id or not p.source or p.source == passage.source:
            continue
        for start, end in sentence_spans(p.text):
            pair = disagreeing_figure(sentence, p.text[start:end])
            if pair is not None:
                return Disagreement(p, start, end, *pair, source=passage.source or "one outlet")
    return None
