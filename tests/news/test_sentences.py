"""Sentence splitting for news prose."""

from __future__ import annotations

import pytest

from qa.news.sentences import sentence_spans, split_sentences


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("One. Two.", ["One.", "Two."]),
        ("Mr. Smith met Dr. Jones. They talked.", ["Mr. Smith met Dr. Jones.", "They talked."]),
        ("The U.S. economy grew. Stocks rose.", ["The U.S. economy grew.", "Stocks rose."]),
        ("He met J. K. Rowling. Then left.", ["He met J. K. Rowling.", "Then left."]),
        ("It rose 2.5% on Jan. 5 in London. Fine.", ["It rose 2.5% on Jan. 5 in London.", "Fine."]),
        ("'We are ready,' he said. 'Go.'", ["'We are ready,' he said.", "'Go.'"]),
        ("Is it? Yes! Done.", ["Is it?", "Yes!", "Done."]),
        ("Line one\nLine two", ["Line one", "Line two"]),
        ("", []),
    ],
)
def test_split_sentences(text, expected):
    assert split_sentences(text) == expected


def test_spans_point_into_the_text():
    text = "  First sentence here.   Second one!\n\nThird?"
    for start, end in sentence_spans(text):
        assert text[start:end] == text[start:end].strip()
        assert text[start:end]
