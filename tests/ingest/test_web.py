"""ingest.sources.web: web pages and RSS/Atom feeds loaded as articles from the local news site.

Because it is on a loopback address, tests pass Settings(allow_private_urls=True),
except the ones checking that such addresses are refused by default.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ingest.sources.articles import ArticleDefaults, LoadFailure
from ingest.sources.load import load_sources
from qa.config import Settings
from qa.types import Article

LOCAL = Settings(allow_private_urls=True)


def load(*sources: str, settings: Settings = LOCAL, **options) -> list[Article | LoadFailure]:
    return list(load_sources(list(sources), settings=settings, **options))


def test_html_url_becomes_an_article(news_site):
    [article] = load(f"{news_site}/article.html")
    assert article.title == "Lavrov says Russia is ready for talks"
    assert article.source == "Example News"
    assert article.url == article.origin == f"{news_site}/article.html"
    assert article.published == datetime(2022, 2, 25, tzinfo=UTC)
    assert article.authors == ["Jane Reporter"]
    assert article.text.startswith("Russian foreign minister")


@pytest.mark.parametrize(
    ("defaults", "expected_source"),
    [(ArticleDefaults(), "127.0.0.1"), (ArticleDefaults(source="Wire"), "Wire")],
)
def test_page_without_site_name_is_sourced_from_defaults_else_host(
    news_site, defaults, expected_source
):
    [article] = load(f"{news_site}/a/2", defaults=defaults)
    assert article.source == expected_source
    assert article.title == "Kyiv rejects surrender terms"


def test_plain_text_url_becomes_an_article(news_site):
    [article] = load(f"{news_site}/plain.txt")
    assert (article.title, article.text) == ("Plain title", "Plain text body.")


def test_rss_feed_with_full_content_is_not_fetched_further(news_site):
    articles = load(f"{news_site}/rss")
    assert all(isinstance(a, Article) for a in articles), articles  # links would 404 if fetched
    first, second = articles
    assert first.title == "Putin ready for talks in Minsk"
    assert first.source == "Example World News"
    assert first.url == first.origin == f"{news_site}/never-fetched/1"
    assert first.published == datetime(2022, 2, 25, 9, 15, tzinfo=UTC)
    assert first.authors == ["Jane Reporter"]
    assert first.topics == ["Ukraine", "Diplomacy"]
    assert first.text.startswith("Russian president Vladimir Putin has said")
    assert "\nIn a call with" in first.text and "trackPageView" not in first.text
    assert second.title == "EU agrees second package of sanctions"


def test_feed_served_as_html_is_still_read_as_a_feed(news_site):
    assert len([a for a in load(f"{news_site}/feed-as-html") if isinstance(a, Article)]) == 2


def test_atom_feed_with_links_fetches_each_entry_and_fails_per_entry(news_site):
    first, second, third = load(f"{news_site}/atom")
    assert isinstance(first, Article) and isinstance(second, Article), (first, second)
    assert first.title == "Lavrov says Russia is ready for talks"
    assert first.source == "Example Wire"
    assert first.authors == ["Wire Staff"]
    assert first.published == datetime(2022, 2, 25, 10, 30, tzinfo=UTC)
    assert first.text.startswith("Russian foreign minister Sergei Lavrov said on Friday")
    assert second.url == f"{news_site}/a/2"  # the relative link, resolved against the feed
    assert second.text.startswith("Ukrainian officials said")
    assert third.source == f"{news_site}/atom#3"
    assert "HTTP 404" in third.error and f"{news_site}/missing" in third.error


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/bad-feed", "is not a valid RSS/Atom feed"),
        ("/empty.html", "has no article text"),
        ("/missing", "HTTP 404"),
        ("/image.png", "is image/png"),
    ],
)
def test_bad_url_is_one_failure(news_site, path, expected):
    [failure] = load(f"{news_site}{path}")
    assert isinstance(failure, LoadFailure) and failure.source == f"{news_site}{path}"
    assert expected in failure.error


def test_private_url_is_a_failure_with_the_hint_by_default(news_site):
    [failure] = load(f"{news_site}/article.html", settings=Settings())
    assert isinstance(failure, LoadFailure)
    assert "NEWSQA_ALLOW_PRIVATE_URLS=1" in failure.error


def test_without_settings_private_urls_are_refused(news_site):
    [failure] = list(load_sources([f"{news_site}/rss"]))
    assert isinstance(failure, LoadFailure) and "private address" in failure.error
