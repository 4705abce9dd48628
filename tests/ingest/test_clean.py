"""Cleaning: scraped boilerplate out, prose kept, topics footer read."""

from __future__ import annotations

import pytest

from ingest.clean import clean_article, clean_text, is_boilerplate, split_topics
from ingest.errors import SourceError
from qa.types import Article


@pytest.mark.parametrize(
    "line",
    [
        "Advert",
        "Advertisement",
        "ADVERTISEMENT",
        "Story continues below advertisement",
        "Read more: Russia's invasion in maps",
        "Sign up to our free newsletter for the latest updates",
        "We use cookies to improve your experience on our site.",
        "Accept all cookies",
        "If you would like to donate to the Red Cross Emergency Appeal, which will help provide "
        "food, medicines and basic medical supplies, shelter and water to those in Ukraine, "
        "click here for more information",
        "Share this article",
        "Follow us on Twitter",
    ],
)
def test_boilerplate_lines_are_recognised(line):
    assert is_boilerplate(line)


@pytest.mark.parametrize(
    "line",
    [
        "The advert campaign cost the ministry $5m, officials said.",
        "Regulators said the site uses tracking that goes beyond cookies.",
        "Putin called Belarussian President Alexander Lukashenko to organise talks, the BBC reported.",
        "Read the full statement below, the ministry said, before publishing it on Thursday evening "
        "along with a list of demands." * 3,
    ],
)
def test_prose_is_kept(line):
    assert not is_boilerplate(line)


@pytest.mark.parametrize(
    ("line", "topics"),
    [
        ("Topics: Russia, Ukraine, World News", ["Russia", "Ukraine", "World News"]),
        ("Tags: economy; inflation", ["economy", "inflation"]),
        ("Putin said the topics were many.", None),
    ],
)
def test_topics_footer(line, topics):
    assert split_topics(line) == topics


def test_sample_article_is_cleaned(sample_text):
    text, topics = clean_text(sample_text)
    assert "Advert" not in text.split("\n")
    assert "Red Cross" not in text
    assert "Topics:" not in text
    assert topics == ["Russia", "Ukraine", "World News"]
    assert text.startswith("Russian president Vladimir Putin has said")
    assert "Diplomatic relations between Russia and Ukraine were broken off" in text


def test_whitespace_and_unicode_are_normalised():
    text, _ = clean_text("Caf\u0065\u0301  au\u00a0lait\r\n\r\n\r\nsecond\tline  \n")
    assert text == "Café au lait\nsecond line"


def test_repeated_lines_are_dropped():
    text, _ = clean_text("Same line here.\nSame line here.\nOther line.")
    assert text == "Same line here.\nOther line."


def test_article_with_only_boilerplate_is_refused():
    with pytest.raises(SourceError, match="no article text"):
        clean_article(Article(title="x", text="Advert\nRead more\n", origin="ads.txt"))


def test_clean_article_keeps_identity_and_merges_topics():
    raw = Article(title="  A  title ", text="Body text here.\nTopics: Politics", topics=["World"])
    cleaned = clean_article(raw)
    assert cleaned.id == raw.id
    assert cleaned.title == "A title"
    assert cleaned.topics == ["World", "Politics"]
