"""What a question asks for: the kind of answer ("person", "date", ...), whether a short answer in bold
can be one, and whether a span is of the kind asked for."""

from __future__ import annotations

import re

from qa.news.dates import date_span, is_calendar_word

NUMBER_RE = re.compile(
    r"\b\d[\d,.]*\b|\b(one|two|three|four|five|six|seven|eight|nine|ten|"
    r"dozen|hundred|thousand|million|billion)s?\b",
    re.IGNORECASE,
)


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
    last = re.split(r"(?<=[.!?])\s+", question.strip())[-1]
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
    the reader marks, but a "who" answer is a name."""
    if kind == "date":
        return (
            date_span(span) is not None
            or any(is_calendar_word(w.strip(",.")) for w in span.split())
            or _TIME_WORDS.search(span) is not None
        )
    if kind == "number":
        return NUMBER_RE.search(span) is not None
    if kind == "person":  # a name, not "officials", a date or "24 years"
        return any(w[:1].isupper() for w in span.split()) and not of_kind("date", span)
    return True
