"""ingest.metadata: dates that cannot be true and titles that are paragraphs are corrected, with
a warning, and the article is kept."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ingest.metadata import MAX_TITLE_CHARS, cap_title, check_metadata
from qa.types import Article

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("published", "kept", "warning"),
    [
        (datetime(2022, 2, 25, tzinfo=UTC), True, None),
        (datetime(2026, 12, 7, 6, 0, tzinfo=UTC), True, None),  # within a day: time zones
        (datetime(2027, 1, 1, tzinfo=UTC), False, "2027-01-01 is in the future"),
        (datetime(1492, 10, 12, tzinfo=UTC), False, "1492-10-12 is before 1600"),
        (None, True, None),
    ],
)
def test_impossible_dates_are_dropped_with_a_warning(published, kept, warning):
    article = Article(title="Harbour reopens", text="The harbour reopened.", published=published)
    warnings = check_metadata(article, now=NOW)
    assert (article.published == published) is kept
    if warning is None:
        assert warnings == []
    else:
        (line,) = warnings
        assert warning in line and "stored without a date" in line


def test_a_paragraph_for_a_title_is_cut_at_a_word():
    article = Article(title="word " * 100, text="The harbour reopened.")
    (warning,) = cap_title(article)
    assert len(article.title) <= MAX_TITLE_CHARS + 1 and article.title.endswith("word…")
    assert "499 characters long; cut to 300" in warning
    assert cap_title(Article(title="Harbour reopens", text="x")) == []
