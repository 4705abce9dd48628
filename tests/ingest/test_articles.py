"""ingest.sources.articles through real .txt files: the title rules and the defaults from flags."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from helpers.loading import BODY, FEB_25, load_article, write
from helpers.paths import SAMPLE

from ingest.sources.articles import ArticleDefaults


def test_sample_article_without_title_line_is_titled_from_its_file_name():
    article = load_article(SAMPLE)
    assert article.title == "Putin ready for talks in minsk"
    assert article.text.startswith("Russian president Vladimir Putin has said")
    assert article.origin == str(SAMPLE.resolve())
    assert (article.source, article.url, article.published) == ("", "", None)


LONG_LEAD = "Word " * 40 + "end."


@pytest.mark.parametrize(
    ("name", "content", "title", "text_start"),
    [
        ("a1.txt", f"Putin ready for talks\n\n{BODY}", "Putin ready for talks", "Russian"),
        ("a1.txt", f"Putin ready for talks\n{BODY}", "Putin ready for talks", "Russian"),
        ("a1.txt", f"Will Putin talk?\n\n{BODY}", "Will Putin talk?", "Russian"),
        # A first line ending like a sentence is the lead, not a title: the lead names it.
        ("a1.txt", f"{BODY}\nMore follows.", BODY, "Russian"),
        # A hard-wrapped sentence: the next line continues in lower case.
        (
            "a1.txt",
            "Putin said he was\nready for talks. More.",
            "Putin said he was ready for talks.",
            "Putin said",
        ),
        # A file name that reads like words names the article; a leading date is dropped.
        (
            "2022-02-25_kyiv-rejects-surrender.txt",
            f"{BODY}\nMore.",
            "Kyiv rejects surrender",
            "Russian",
        ),
        # A single line is all text; a line over 200 characters is a paragraph.
        ("notes.txt", "Short note without a period", "Short note without a period", "Short"),
        ("notes.txt", "x" * 250 + f"\n{BODY}", "x" * 100 + "…", "xxx"),
        ("notes.txt", LONG_LEAD, ("Word " * 19 + "Word…"), "Word"),
    ],
)
def test_txt_title_rule(tmp_path, name, content, title, text_start):
    article = load_article(write(tmp_path / name, content))
    assert article.title == title
    assert article.text.startswith(text_start)


def test_a_made_up_title_is_marked_as_such(tmp_path):
    """A title from the file name or the lead is not a headline the answerer may quote."""
    assert load_article(SAMPLE).title_derived
    assert load_article(write(tmp_path / "a.txt", f"{BODY}\nMore.")).title_derived
    assert not load_article(write(tmp_path / "b.txt", f"Putin ready\n\n{BODY}")).title_derived
    flagged = load_article(SAMPLE, defaults=ArticleDefaults(title="From the flag"))
    assert not flagged.title_derived
    # A store written before the mark was kept sees the article as changed, and rewrites it.
    assert replace(flagged, title_derived=True).content_hash != flagged.content_hash


def test_title_line_is_not_repeated_in_text(tmp_path):
    article = load_article(write(tmp_path / "a.txt", f"Putin ready for talks\n\n{BODY}"))
    assert article.text == BODY


@pytest.mark.parametrize(
    ("content", "defaults", "expected_title"),
    [
        (f"{BODY}\nMore.", ArticleDefaults(title="From the flag"), "From the flag"),
        (f"Own title\n\n{BODY}", ArticleDefaults(title="From the flag"), "Own title"),
    ],
)
def test_default_title_fills_only_a_missing_title(tmp_path, content, defaults, expected_title):
    article = load_article(write(tmp_path / "x.txt", content), defaults=defaults)
    assert article.title == expected_title


def test_defaults_fill_missing_metadata_but_never_override(tmp_path):
    item = {"title": "T", "text": BODY, "source": "BBC News"}
    path = write(tmp_path / "a.json", json.dumps(item))
    defaults = ArticleDefaults(source="Flag Source", published=FEB_25, url="https://example.com/a")
    article = load_article(path, defaults=defaults)
    assert article.source == "BBC News"
    assert article.published == FEB_25
    assert article.url == "https://example.com/a"
