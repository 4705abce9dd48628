"""qa.page.markdown: the page's Markdown (escaping, highlighting, links, labels), tested directly."""

from __future__ import annotations

import pytest

from qa.page import markdown as page_markdown


def test_one_source_per_article_with_its_headline_and_sentences():
    headline = {"n": 1, "quote": "Putin ready for talks", "headline": True}
    sentence = {
        "n": 1,
        "quote": "Putin said he would send a delegation.",
        "headline": False,
        "attribution": "the BBC",
        "dates": ["2022-02-24"],
    }
    later = {
        "n": 1,
        "quote": "Kyiv said it would reply.",
        "headline": False,
        "attribution": None,
        "dates": ["2022-02-25", "2022-02-24"],
    }
    other = {"n": 2, "quote": "Talks may start on Friday", "headline": True}
    shown = page_markdown.sources_to_show([headline, sentence, later, other])
    assert [(label["n"], quote, cited) for label, quote, cited in shown] == [
        (1, "Putin ready for talks", [sentence, later]),  # one source, both its sentences
        (2, "Talks may start on Friday", [other]),  # a headline alone is its own source
    ]
    label = shown[0][0]  # no one sentence's attribution for the article; every date it names
    assert label["attribution"] is None and label["dates"] == ["2022-02-24", "2022-02-25"]


@pytest.mark.parametrize(
    ("days", "label"),
    [
        (None, None),
        (-2, "published after the as-of date"),
        (0, "published that day"),
        (1, "1 day old"),
        (59, "59 days old"),
        (122, "4 months old"),
        (729, "24 months old"),
        (1745, "4 years old"),
    ],
)
def test_age_label(days, label):
    assert page_markdown.age_label(days) == label


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("<script>alert(1)</script>", r"\<script\>alert\(1\)\<\/script\>"),
        ("**x** and _y_", r"\*\*x\*\* and \_y\_"),
        ("[a](javascript:x)", r"\[a\]\(javascript\:x\)"),
        ("# 1. $5 & ~z~ :red[x]", r"\# 1\. \$5 \& \~z\~ \:red\[x\]"),
        ("a\\b", r"a\\b"),
        ("two\nlines", "two lines"),
        ("Ünïcode – “quotes”", "Ünïcode – “quotes”"),
    ],
)
def test_escape_markdown(text, escaped):
    assert page_markdown.escape_markdown(text) == escaped


def test_highlight_escapes_brackets_inside_the_quote():
    text = "Before. He said [sic] it ended]. After\n    indented."
    start = text.index("He")
    end = text.index(" After")
    assert page_markdown.highlight_markdown(text, start, end) == (
        r"Before\. :orange-background[He said \[sic\] it ended\]\.] After"
        "\n\n"
        r"indented\."
    )


@pytest.mark.parametrize(("start", "end"), [(0, 0), (5, 3), (0, 999)])
def test_highlight_without_a_valid_span_shows_the_plain_passage(start, end):
    assert (
        page_markdown.highlight_markdown("A [b].\nC.", start, end) == r"A \[b\]\." + "\n\n" + r"C\."
    )


@pytest.mark.parametrize(
    ("url", "safe"),
    [
        ("https://example.com/a b(c)", "https://example.com/a%20b%28c%29"),
        ("HTTP://example.com/", "HTTP://example.com/"),
        ("javascript:alert(1)", None),
        ("data:text/html,<b>", None),
        ("", None),
    ],
)
def test_safe_url(url, safe):
    assert page_markdown.safe_url(url) == safe
