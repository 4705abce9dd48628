"""ingest.sources.files on real files in tmp_path: Markdown, HTML, folders, stdin and the bad inputs."""

from __future__ import annotations

import gzip
import io
import json
from datetime import UTC, datetime

import pytest
from helpers.loading import (
    BODY,
    FEB_25,
    assert_fails_in_one_line,
    load,
    load_article,
    load_failure,
    write,
)
from helpers.paths import FIXTURES

from ingest.sources.articles import ArticleDefaults, LoadFailure
from ingest.sources.load import load_sources
from qa.types import Article


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        (
            "bad-front.md",
            "---\ntitle: [unclosed\n---\nBody text.",
            "front matter that is not valid YAML",
        ),
        (
            "list-front.md",
            "---\n- a\n- b\n---\nBody text.",
            "front matter that is not `key: value`",
        ),
        ("only-title.md", "# Just a heading\n", "has no text"),
        ("report.pdf", b"%PDF-1.4", ".pdf files are not supported; use one of .txt, .md"),
        ("README", b"hello", "files without an extension are not supported"),
    ],
)
def test_bad_file_is_a_failure_naming_it(tmp_path, name, content, expected):
    assert_fails_in_one_line(write(tmp_path / name, content), expected)


def test_html_without_article_text_is_a_failure():
    failure = load_failure(FIXTURES / "no-article.html")
    assert failure.source.endswith("no-article.html")
    assert "has no article text" in failure.error


def test_missing_path_is_a_failure(tmp_path):
    failure = load_failure(tmp_path / "nowhere.txt")
    assert failure.error == "no such file or folder"


def test_file_over_the_size_limit_is_refused_without_reading_it(tmp_path):
    big = tmp_path / "huge.txt"
    with big.open("wb") as f:
        f.truncate(50 * 1024 * 1024)  # sparse: instant, and all NUL bytes if it were read
    failure = load_failure(big)
    assert "is 50 MB, over the 20 MB limit for one file" in failure.error


# --- Markdown ----------------------------------------------------------------------------


def test_markdown_front_matter_gives_metadata():
    article = load_article(FIXTURES / "article.md")
    assert article.title == "Ukraine: Kyiv rejects surrender terms"
    assert article.source == "Example Wire"
    assert article.published == datetime(2022, 2, 26, tzinfo=UTC)
    assert article.url == "https://example.com/world/kyiv-rejects-surrender-terms"
    assert article.authors == ["Jane Reporter", "John Writer"]
    assert article.topics == ["Ukraine", "Diplomacy"]
    assert article.text.startswith("Ukrainian officials said")
    assert "# Kyiv" not in article.text


@pytest.mark.parametrize(
    ("content", "title", "text_start"),
    [
        (f"# Kyiv rejects terms\n\n{BODY}", "Kyiv rejects terms", "Russian"),
        (f"Kyiv rejects terms\n==================\n\n{BODY}", "Kyiv rejects terms", "Russian"),
        (
            f"---\nauthor: Jane Reporter\ntags: Ukraine, Diplomacy\n---\n# Heading\n\n{BODY}",
            "Heading",
            "Russian",
        ),
        (f"Plain first line\n\n{BODY}", "Plain first line", "Russian"),
    ],
)
def test_markdown_titles(tmp_path, content, title, text_start):
    article = load_article(write(tmp_path / "story.md", content))
    assert article.title == title
    assert article.text.startswith(text_start)


def test_markdown_string_author_and_tags_are_lists(tmp_path):
    content = f"---\nauthor: Jane Reporter\ntags: Ukraine, Diplomacy\n---\n# Heading\n\n{BODY}"
    article = load_article(write(tmp_path / "story.md", content))
    assert article.authors == ["Jane Reporter"]
    assert article.topics == ["Ukraine", "Diplomacy"]


# --- HTML files --------------------------------------------------------------------------


def test_html_file_gives_text_and_metadata():
    article = load_article(FIXTURES / "article.html")
    assert article.title == "Lavrov says Russia is ready for talks"
    assert article.source == "Example News"
    assert article.published == FEB_25
    assert article.authors == ["Jane Reporter"]
    assert article.text.startswith("Russian foreign minister Sergei Lavrov said")
    assert "Copyright" not in article.text and "Home" not in article.text
    assert article.origin == str((FIXTURES / "article.html").resolve())


# --- folders -----------------------------------------------------------------------------


def test_folder_is_recursive_sorted_and_skips_hidden_and_unsupported(tmp_path):
    root = tmp_path / "news"
    write(root / "b.txt", f"B title\n\n{BODY}")
    write(root / "a" / "z.md", f"# Z title\n\n{BODY}")
    write(root / "c.json", json.dumps({"title": "C title", "text": BODY}))
    write(root / ".hidden.txt", f"Hidden\n\n{BODY}")
    write(root / ".git" / "d.txt", f"Hidden too\n\n{BODY}")
    write(root / "photo.png", b"\x89PNG")
    write(root / "notes.docx", b"PK\x03\x04")
    titles = [r.title for r in load(root)]
    assert titles == ["Z title", "B title", "C title"]


def test_bad_file_in_folder_is_named_and_the_rest_load(tmp_path):
    root = tmp_path / "news"
    write(root / "a.txt", f"A title\n\n{BODY}")
    write(root / "sub" / "empty.txt", "")
    write(root / "z.txt", f"Z title\n\n{BODY}")
    results = load(root)
    assert [type(r).__name__ for r in results] == ["Article", "LoadFailure", "Article"]
    assert results[1] == LoadFailure(str(root / "sub" / "empty.txt"), "is empty")


def test_folder_without_supported_files_is_a_failure(tmp_path):
    write(tmp_path / "photo.png", b"\x89PNG")
    write(tmp_path / ".hidden.txt", BODY)
    failure = load_failure(tmp_path)
    assert failure.error.startswith("has no .txt, .md")


def test_folder_of_ten_thousand_files_streams(tmp_path):
    for n in range(10_000):
        (tmp_path / f"{n:05}.txt").write_text(f"Title {n}\n\nText of article {n}.")
    stream = load_sources([str(tmp_path)])
    first = next(stream)
    assert isinstance(first, Article) and first.title == "Title 0"
    rest = list(stream)
    assert len(rest) == 9_999 and all(isinstance(r, Article) for r in rest)
    assert len({a.id for a in rest}) == 9_999


# --- stdin -------------------------------------------------------------------------------


def test_stdin_is_one_article():
    stdin = io.StringIO(f"Putin ready for talks\n\n{BODY}\n")
    article = load_article("-", stdin=stdin, defaults=ArticleDefaults(source="Pasted"))
    assert (article.title, article.text, article.source) == (
        "Putin ready for talks",
        BODY,
        "Pasted",
    )
    assert article.origin == "-"


def piped(data: bytes) -> io.TextIOWrapper:
    """A stdin with `data` in its byte buffer, as a shell pipe gives it."""
    return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8")


def test_a_dump_piped_to_stdin_is_read_as_its_file_would_be():
    items = [
        {"title": f"Story {i}", "text": f"{BODY} Item {i}.", "url": f"https://n.example/{i}"}
        for i in range(3)
    ]
    jsonl = "".join(json.dumps(item) + "\n" for item in items).encode()
    pretty = json.dumps(items, indent=2).encode()
    one = json.dumps(items[0], indent=2).encode()  # one object over several lines
    for data, count in (
        (jsonl, 3),
        (gzip.compress(jsonl), 3),
        (pretty, 3),
        (gzip.compress(pretty), 3),
        (one, 1),
    ):
        articles = load("-", stdin=piped(data))
        assert [a.title for a in articles] == [f"Story {i}" for i in range(count)], articles
        assert [a.url for a in articles] == [f"https://n.example/{i}" for i in range(count)]
    # a bad line fails alone, named as stdin's
    broken = jsonl.replace(b'{"title": "Story 1"', b'{"title": ', 1)
    results = load("-", stdin=piped(broken))
    assert [type(r).__name__ for r in results] == ["Article", "LoadFailure", "Article"]
    assert results[1].source.startswith("-")


MORE = "The council said repairs to the harbour wall cost two million pounds and ended last week."


def test_piped_dumps_are_told_apart_from_text_that_opens_with_a_bracket():
    long = {"title": "Long story", "text": f"{BODY} " * 1500, "url": "https://n.example/long"}
    rest = [
        {"title": f"Story {i}", "text": BODY, "url": f"https://n.example/{i}"} for i in range(3)
    ]
    jsonl = "".join(json.dumps(item) + "\n" for item in [long, *rest]).encode()
    assert len(jsonl.split(b"\n")[0]) > 1 << 16  # a first line longer than one read
    assert len(load("-", stdin=piped(gzip.compress(jsonl)))) == 4
    wrapped = json.dumps({"articles": rest}).encode()  # json.dump's one line, not JSONL
    assert [a.title for a in load("-", stdin=piped(wrapped))] == [r["title"] for r in rest]
    broken = b'{"title": \n' + jsonl.split(b"\n", 1)[1]  # JSONL whose first line is damaged
    assert [type(r).__name__ for r in load("-", stdin=piped(broken))] == [
        "LoadFailure",
        "Article",
        "Article",
        "Article",
    ]  # the bad line fails alone
    for text in (f"[Updated] Harbour reopens\n\n{BODY}\n", f"{{Live}} Harbour\n\n{BODY}\n"):
        article = load_article("-", stdin=piped(text.encode()))
        assert BODY in article.text  # stored as text, as before


def test_a_page_piped_to_stdin_is_cleaned_as_html():
    page = (
        "<!DOCTYPE html><html><head><title>Council votes to reopen harbour</title></head>"
        f"<body><nav>Home | Sport</nav><article><p>{BODY}</p><p>{MORE}</p></article></body></html>"
    )
    article = load_article("-", stdin=piped(page.encode()))
    assert article.title == "Council votes to reopen harbour"
    assert "<p>" not in article.text and BODY in article.text and article.origin == "-"


def test_gzipped_text_on_stdin_is_one_line_naming_the_fix():
    failure = load_failure("-", stdin=piped(gzip.compress(b"Just some words.")))
    assert "gzip-compressed" in failure.error and "gunzip" in failure.error


def test_empty_stdin_is_a_failure():
    failure = load_failure("-", stdin=io.StringIO("  \n"))
    assert failure.source == "-" and "is empty" in failure.error
