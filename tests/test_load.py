"""ingest.load on real files in tmp_path: every file type, the bad inputs, folders and stdin.

Web pages and feeds are tested in test_fetch.py, beside the local HTTP server they need.
"""

from __future__ import annotations

import gzip
import io
import json
import tracemalloc
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ingest.load import ArticleDefaults, LoadFailure, load_sources
from qa.models import Article

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLE = FIXTURES / "putin-ready-for-talks-in-minsk.txt"
BODY = "Russian president Vladimir Putin has said he is prepared to hold talks with Ukraine."
FEB_25 = datetime(2022, 2, 25, tzinfo=UTC)


def load(*sources: str | Path, **options) -> list[Article | LoadFailure]:
    return list(load_sources([str(s) for s in sources], **options))


def load_article(source: str | Path, **options) -> Article:
    results = load(source, **options)
    assert len(results) == 1 and isinstance(results[0], Article), results
    return results[0]


def load_failure(source: str | Path, **options) -> LoadFailure:
    results = load(source, **options)
    assert len(results) == 1 and isinstance(results[0], LoadFailure), results
    return results[0]


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


# --- .txt and titles ---------------------------------------------------------------------


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


# --- encodings ---------------------------------------------------------------------------

TEXT = "Café talks in Zürich “tomorrow” – officials said.\nMore text here."


@pytest.mark.parametrize(
    ("label", "data"),
    [
        ("utf-8", TEXT.encode("utf-8")),
        ("utf-8 with BOM", b"\xef\xbb\xbf" + TEXT.encode("utf-8")),
        ("utf-16 with BOM", TEXT.encode("utf-16")),
        ("utf-16-be with BOM", b"\xfe\xff" + TEXT.encode("utf-16-be")),
        ("cp1252", TEXT.encode("cp1252")),
    ],
)
def test_text_encodings_are_decoded(tmp_path, label, data):
    article = load_article(write(tmp_path / "enc.txt", data))
    assert article.text.startswith(TEXT.split("\n")[0]), label


def test_latin1_text_is_decoded(tmp_path):
    text = "Gespräche in Zürich über Öl und Gas.\nMehr Text."
    article = load_article(write(tmp_path / "latin.txt", text.encode("latin-1")))
    assert article.text.startswith("Gespräche in Zürich über Öl")


# --- bad inputs --------------------------------------------------------------------------


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("empty.txt", b"", "is empty"),
        ("blank.txt", b"  \n\t\r\n  ", "is empty"),
        ("blank16.txt", "  \n ".encode("utf-16"), "is empty"),
        ("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "looks binary (a PNG image)"),
        ("paper.txt", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj", "looks binary (a PDF document)"),
        ("nul.txt", b"some text\x00\x01\x02 more", "looks binary (it contains NUL bytes)"),
        ("bad.json", b'{"title": "x", ', "is not valid JSON"),
        ("deep.json", b"[" * 100_000, "nested too deeply"),
        ("deep-closed.json", _nested(100_000).encode(), "nested too deeply"),
        ("scalar.json", b"42", "should hold an article object"),
        ("empty-list.json", b"[]", "has no articles"),
        ("not-list.json", b'{"articles": {"title": "x"}}', "should hold an article object"),
        (
            "no-text.json",
            b'{"title": "Only a title"}',
            "has no text: give it one of the fields body",
        ),
        (
            "title-list.json",
            b'{"title": ["a"], "text": "x"}',
            "field 'title' should be text, not a list",
        ),
        (
            "bad-date.json",
            b'{"text": "x", "published": "soonish maybe"}',
            "field 'published' is not a date",
        ),
        ("date-type.json", b'{"text": "x", "date": [2022]}', "field 'date' should be a date"),
        ("authors.json", b'{"text": "x", "authors": [1, 2]}', "field 'authors' should be text"),
        (
            "source.json",
            b'{"text": "x", "source": {"name": 7}}',
            "field 'source' should have a text",
        ),
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
    path = write(tmp_path / name, content)
    failure = load_failure(path)
    assert failure.source == str(path)
    assert expected in failure.error
    assert "\n" not in failure.error


def test_html_without_article_text_is_a_failure():
    failure = load_failure(FIXTURES / "no-article.html")
    assert failure.source.endswith("no-article.html")
    assert "has no article text" in failure.error


def test_missing_path_is_a_failure(tmp_path):
    failure = load_failure(tmp_path / "nowhere.txt")
    assert failure.error == "no such file or folder"


def test_only_http_urls_are_fetched():
    failure = load_failure("ftp://example.com/a.txt")
    assert "only http:// and https:// URLs" in failure.error


def test_file_over_the_size_limit_is_refused_without_reading_it(tmp_path):
    big = tmp_path / "huge.txt"
    with big.open("wb") as f:
        f.truncate(50 * 1024 * 1024)  # sparse: instant, and all NUL bytes if it were read
    failure = load_failure(big)
    assert "is 50 MB, over the 20 MB limit for one file" in failure.error


def test_one_bad_source_does_not_stop_the_others(tmp_path):
    good = write(tmp_path / "good.txt", f"Good title\n\n{BODY}")
    results = load(tmp_path / "missing.txt", write(tmp_path / "empty.txt", ""), good)
    assert [type(r).__name__ for r in results] == ["LoadFailure", "LoadFailure", "Article"]


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


# --- JSON and JSON Lines -----------------------------------------------------------------

NEWSAPI_ITEM = {
    "source": {"id": "bbc-news", "name": "BBC News"},
    "author": "Jane Reporter",
    "title": "Putin ready for talks",
    "description": "Short teaser.",
    "url": "https://www.bbc.co.uk/news/world-60000000",
    "publishedAt": "2022-02-25T09:15:00Z",
    "content": BODY,
}
PLAIN_ITEM = {
    "headline": "EU agrees sanctions",
    "body": "European Union leaders agreed a second package of sanctions.",
    "publisher": "Example Wire",
    "date": "2022-02-25",
    "authors": ["A One", {"name": "B Two"}],
    "categories": "Europe; Sanctions",
}


@pytest.mark.parametrize(
    "document",
    [
        [NEWSAPI_ITEM, PLAIN_ITEM],
        {"status": "ok", "articles": [NEWSAPI_ITEM, PLAIN_ITEM]},
    ],
    ids=["list", "articles-object"],
)
def test_json_shapes(tmp_path, document):
    results = load(write(tmp_path / "news.json", json.dumps(document)))
    assert all(isinstance(r, Article) for r in results), results
    newsapi, plain = results
    assert newsapi.source == "BBC News"
    assert newsapi.text == BODY  # "content" is preferred to the "description" teaser
    assert newsapi.published == datetime(2022, 2, 25, 9, 15, tzinfo=UTC)
    assert newsapi.authors == ["Jane Reporter"]
    assert newsapi.origin == NEWSAPI_ITEM["url"]
    assert (plain.title, plain.source, plain.published) == (
        "EU agrees sanctions",
        "Example Wire",
        FEB_25,
    )
    assert plain.authors == ["A One", "B Two"]
    assert plain.topics == ["Europe", "Sanctions"]
    assert plain.origin == "" and plain.url == ""


def test_json_single_object(tmp_path):
    article = load_article(write(tmp_path / "one.json", json.dumps(NEWSAPI_ITEM)))
    assert article.title == "Putin ready for talks"


def test_json_epoch_dates(tmp_path):
    items = [{"text": "a", "published": 1645747200}, {"text": "b", "published": 1645747200000}]
    results = load(write(tmp_path / "epoch.json", json.dumps(items)))
    assert [r.published for r in results] == [FEB_25, FEB_25]


def test_json_bad_item_fails_alone(tmp_path):
    items = [PLAIN_ITEM, {"title": 3.5, "text": ["not", "text"]}, "just a string", NEWSAPI_ITEM]
    path = write(tmp_path / "mixed.json", json.dumps(items))
    results = load(path)
    assert [type(r).__name__ for r in results] == [
        "Article",
        "LoadFailure",
        "LoadFailure",
        "Article",
    ]
    assert results[1].source == f"{path}#2"
    assert "field 'text' should be text, not a list" in results[1].error
    assert results[2] == LoadFailure(f"{path}#3", "is text, not an article object")


def test_jsonl_bad_line_fails_alone(tmp_path):
    lines = [json.dumps(PLAIN_ITEM), '{"title": "broken", ', "", json.dumps(NEWSAPI_ITEM), "[1, 2]"]
    path = write(tmp_path / "news.jsonl", "\n".join(lines) + "\n")
    results = load(path)
    assert [type(r).__name__ for r in results] == [
        "Article",
        "LoadFailure",
        "Article",
        "LoadFailure",
    ]
    assert results[1].source == f"{path}:2"
    assert "is not valid JSON" in results[1].error
    assert results[3] == LoadFailure(f"{path}:5", "is a list, not an article object")


def test_jsonl_keeps_unicode_line_separators_inside_strings(tmp_path):
    item = {"title": "T", "text": "one\u2028two"}
    path = write(tmp_path / "sep.jsonl", json.dumps(item, ensure_ascii=False) + "\n")
    assert load_article(path).text == "one\u2028two"


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


def test_empty_stdin_is_a_failure():
    failure = load_failure("-", stdin=io.StringIO("  \n"))
    assert failure.source == "-" and "is empty" in failure.error


# --- dumps: JSON and JSON Lines of any size, streamed -----------------------------------

DUMP_ARTICLES = 2_200  # about 10 KB each: 22 MB, over the 20 MB limit for one file
MIDDLE = DUMP_ARTICLES // 2


def dump_item(n: int) -> dict:
    words = " ".join(f"word{n}x{i}" for i in range(900))  # about 10 KB of distinct text
    return {"id": f"a{n}", "title": f"Story {n}", "text": f"Story {n} says {words}."}


def write_dump(path: Path, *, bad: str | None = None) -> Path:
    """A dump of DUMP_ARTICLES articles (gzipped when the name ends .gz), with `bad` in place
    of the middle article when given. Written item by item, so the test never holds it whole."""
    opener = gzip.open if path.suffix == ".gz" else open
    lines = ".jsonl" in path.name
    options = {"compresslevel": 1} if path.suffix == ".gz" else {}
    with opener(path, "wt", encoding="utf-8", **options) as f:
        f.write("" if lines else "[")
        for n in range(1, DUMP_ARTICLES + 1):
            item = bad if n == MIDDLE and bad is not None else json.dumps(dump_item(n))
            f.write(f"{item}\n" if lines else f"{',' if n > 1 else ''}{item}\n")
        f.write("" if lines else "]")
    return path


@pytest.mark.parametrize("name", ["news.jsonl", "news.jsonl.gz", "news.json", "news.json.gz"])
def test_a_dump_over_the_old_limit_streams_and_a_bad_item_in_the_middle_fails_alone(tmp_path, name):
    lines = ".jsonl" in name
    bad = '{"title": "broken", ' if lines else '{"title": "no text here"}'
    path = write_dump(tmp_path / name, bad=bad)
    if not name.endswith(".gz"):
        assert path.stat().st_size > 20 * 1024 * 1024
    tracemalloc.start()
    try:
        kinds, failures, last = Counter(), [], None
        for item in load_sources([str(path)]):
            kinds[type(item).__name__] += 1
            if isinstance(item, LoadFailure):
                failures.append(item)
            else:
                last = item
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert kinds == {"Article": DUMP_ARTICLES - 1, "LoadFailure": 1}
    assert last.title == f"Story {DUMP_ARTICLES}"
    where = f"{path}:{MIDDLE}" if lines else f"{path}#{MIDDLE}"
    expected = "is not valid JSON" if lines else "has no text"
    assert failures[0].source == where and expected in failures[0].error
    assert peak < 5 * 1024 * 1024, f"{peak / 1e6:.1f} MB held: the dump was not streamed"


def test_a_line_over_the_article_limit_fails_alone(tmp_path):
    path = tmp_path / "long.jsonl"
    with path.open("w", encoding="utf-8") as f:
        f.write(json.dumps(dump_item(1)) + "\n")
        f.write('{"title": "huge", "text": "' + "x" * (21 * 1024 * 1024) + '"}\n')
        f.write(json.dumps(dump_item(3)) + "\n")
    results = load(path)
    assert [type(r).__name__ for r in results] == ["Article", "LoadFailure", "Article"]
    assert results[1].source == f"{path}:2"
    assert "over the 20 MB limit for one article" in results[1].error


def test_a_truncated_gzip_dump_keeps_what_came_before(tmp_path):
    whole = write_dump(tmp_path / "whole.jsonl.gz").read_bytes()
    path = write(tmp_path / "cut.jsonl.gz", whole[: len(whole) // 2])
    results = load(path)
    assert all(isinstance(r, Article) for r in results[:-1]) and len(results) > 100
    assert results[-1].source == str(path)
    assert "is not a complete gzip file" in results[-1].error


def test_a_gzipped_dump_without_gz_in_its_name_is_named(tmp_path):
    path = write(tmp_path / "news.jsonl", gzip.compress(json.dumps(dump_item(1)).encode()))
    assert load_failure(path).error == f"is gzip-compressed: name it {path}.gz"


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "cp1252"])
def test_dumps_in_other_encodings_are_decoded(tmp_path, encoding):
    item = {"title": "Zürich talks", "text": "Café “talks” in Zürich – officials said."}
    line = json.dumps(item, ensure_ascii=False) + "\n"
    path = write(tmp_path / "enc.jsonl", (line * 2).encode(encoding))
    assert [r.text for r in load(path)] == [item["text"]] * 2
