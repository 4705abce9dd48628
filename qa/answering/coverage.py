"""What the store covers (its oldest and newest article), the "as of" day that suits it, and
the notes an answer carries when its question is asked outside that span.

A store of spring news asked "What happened yesterday?" in December found nothing and said
only "I couldn't find this": these notes say why, and the default "as of" day avoids it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from qa.store import NewsIndex
from qa.types import Answer

# A store whose newest article is at most this old is a live feed: "yesterday" means the real
# yesterday. Older, it is an archive, answered as of its newest article's day. A week covers
# a feed polled daily that missed a weekend, and a weekly batch ingest.
LIVE_FEED_DAYS = 7
# An as-of day this long after the newest article is said with the answer: "this week" or
# "yesterday" then reaches past the end of the news.
STALE_AFTER_DAYS = 7


@dataclass(frozen=True)
class Coverage:
    """The publication days of a store's oldest and newest dated articles (None: none dated)."""

    oldest: date | None = None
    newest: date | None = None

    @classmethod
    def of(cls, index: NewsIndex) -> Coverage:
        span = index.catalog.published_span
        if span is None:
            return cls()
        first, last = (datetime.fromtimestamp(t, UTC).date() for t in span)
        return cls(first, last)

    def default_as_of(self, today: date | None = None) -> date:
        """The day questions are answered as of when none is given: today for a live feed
        (newest article within LIVE_FEED_DAYS), else the newest article's day."""
        today = today or datetime.now(UTC).date()
        if self.newest is None or self.newest >= today - timedelta(days=LIVE_FEED_DAYS):
            return today
        return self.newest

    def span(self) -> str | None:
        """ "2026-03-02 to 2026-05-20", or None when no article is dated."""
        if self.oldest is None or self.newest is None:
            return None
        return f"{self.oldest.isoformat()} to {self.newest.isoformat()}"

    def notes(self, as_of: datetime | None, *, found: bool) -> list[str]:
        """Sentences for an answer asked `as_of`: the as-of day being well past the newest
        article, and, when nothing was `found`, what the articles cover."""
        notes = []
        if as_of is not None and self.newest is not None:
            gap = (as_of.date() - self.newest).days
            if gap > STALE_AFTER_DAYS:
                notes.append(
                    f"The newest article is from {self.newest.isoformat()}, {gap:,} days before "
                    f"the as-of date {as_of.date().isoformat()}: there is no news after that."
                )
        if not found and (span := self.span()):
            notes.append(f"The articles cover {span}.")
        return notes


def note_coverage(answer: Answer, index: NewsIndex, as_of: datetime | None) -> None:
    """Add to `answer.notice` what the store covers, when the question fell outside it."""
    notes = Coverage.of(index).notes(as_of, found=not answer.abstained)
    if notes:
        answer.notice = " ".join(filter(None, [answer.notice, *notes]))
