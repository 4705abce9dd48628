"""Sentence boundaries for news text: fast, rule-based, with character offsets.

A trained splitter (pysbd, spaCy) would be several times slower than the embedding model on
this machine, and ingest must stay close to raw encode speed; news prose is regular enough
for rules that know its abbreviations.
"""

from __future__ import annotations

import re

ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "gen",
        "sen",
        "rep",
        "gov",
        "lt",
        "col",
        "sgt",
        "capt",
        "cmdr",
        "adm",
        "st",
        "jr",
        "sr",
        "inc",
        "ltd",
        "co",
        "corp",
        "plc",
        "llc",
        "dept",
        "univ",
        "no",
        "nos",
        "vs",
        "etc",
        "fig",
        "al",
        "approx",
        "est",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "mon",
        "tue",
        "tues",
        "wed",
        "thu",
        "thur",
        "thurs",
        "fri",
        "sat",
        "sun",
        "u.s",
        "u.k",
        "u.n",
        "e.u",
        "a.m",
        "p.m",
        "e.g",
        "i.e",
        "d.c",
        "n.y",
        "calif",
        "mass",
        "fla",
        "pa",
        "wash",
        "ft",
        "mt",
        "rev",
        "hon",
        "pres",
    ]
)
# A candidate end: terminal punctuation, optional closing quotes/brackets, then space and a
# plausible sentence start (capital, digit, opening quote).
_BOUNDARY = re.compile(r"""[.!?…]+['"’”)\]]*\s+(?=['"‘“(\[]?[A-Z0-9])""")
_LINE_BREAK = re.compile(r"\n\s*\n|\n")
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)\.$")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences of `text`, whitespace trimmed; lines always split."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for line_end in [m.start() for m in _LINE_BREAK.finditer(text)] + [len(text)]:
        spans.extend(_split_line(text, pos, line_end))
        pos = line_end
    return spans


def split_sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in sentence_spans(text)]


def _split_line(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans = []
    cursor = start
    for m in _BOUNDARY.finditer(text, start, end):
        if _is_abbreviation(text[cursor : m.start() + 1]):
            continue
        spans.append((cursor, m.end()))
        cursor = m.end()
    spans.append((cursor, end))
    return [t for s, e in spans if (t := _trim(text, s, e))]


def _is_abbreviation(before: str) -> bool:
    m = _WORD_BEFORE.search(before)
    if not m:
        return False
    word = m.group(1).lower().rstrip(".")
    # Single letters are initials ("J. K. Rowling"); dotted forms like "U.S." are listed.
    return len(word) == 1 or word in ABBREVIATIONS


def _trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if end > start else None
