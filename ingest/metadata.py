"""Checks of an article's metadata before it is stored: links that are not web addresses, dates
that cannot be true, titles that are whole paragraphs. Each returns its warnings; the article is kept, corrected."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from qa.types import Article, web_url

MAX_TITLE_CHARS = 300  # longer "titles" are whole paragraphs or broken markup: cut, with a warning
FUTURE_SLACK = timedelta(days=1)  # time zones and clock skew: up to a day ahead is "today"
EARLIEST_NEWS_YEAR = 1600  # the first printed newspapers; an earlier date is an error
URL_SHOWN_CHARS = 60  # of a refused URL, in its warning line


def check_metadata(article: Article, *, now: datetime | None = None) -> list[str]:
    """Drop a link or a publication date that cannot be true, saying why; returns the warnings.

    A date in the future would hide the article from every question asked "as of today", and
    one before the first newspapers is a typo or a broken export: either way the article is
    kept, undated (undated articles answer questions of any date). A link that is not an
    http(s) address (`javascript:`, `data:`, `file:`) is never shown: the article is kept
    without it.
    """
    return _check_url(article) + _check_date(article, now=now)


def _check_url(article: Article) -> list[str]:
    url = article.url.strip()
    if not url or web_url(url):
        return []
    article.url = ""
    shown = url if len(url) <= URL_SHOWN_CHARS else url[: URL_SHOWN_CHARS - 1] + "…"
    return [
        f"its URL {shown!r} is not an http(s) address; stored without a link (fix the URL and "
        "ingest it again)"
    ]


def _check_date(article: Article, *, now: datetime | None = None) -> list[str]:
    when = article.published
    if when is None:
        return []
    now = now or datetime.now(UTC)
    if when > now + FUTURE_SLACK:
        problem = "is in the future"
    elif when.year < EARLIEST_NEWS_YEAR:
        problem = f"is before {EARLIEST_NEWS_YEAR}, older than any newspaper"
    else:
        return []
    article.published = None
    return [
        f"its publication date {when.date().isoformat()} {problem}; stored without a date, so "
        "questions of any date can find it (fix the date and ingest it again)"
    ]


def cap_title(article: Article) -> list[str]:
    """Cut a title over MAX_TITLE_CHARS at a word boundary; returns the warning, if any."""
    title = " ".join(article.title.split())
    if len(title) <= MAX_TITLE_CHARS:
        return []
    cut = title[:MAX_TITLE_CHARS].rsplit(" ", 1)[0] or title[:MAX_TITLE_CHARS]
    article.title = cut.rstrip(",;:") + "…"
    return [f"its title is {len(title):,} characters long; cut to {MAX_TITLE_CHARS}"]
