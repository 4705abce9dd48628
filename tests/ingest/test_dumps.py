"""ingest.sources.dumps: JSON and JSON Lines files (also gzipped) of any size, streamed, and their bad items."""

from __future__ import annotations

import gzip
import json
import tracemalloc
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

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

from ingest.sources.articles import LoadFailure
from ingest.sources.load import load_sources
from qa.types import Article


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
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
    ],
)
def test_bad_file_is_a_failure_naming_it(tmp_path, name, content, expected):
    assert_fails_in_one_line(write(tmp_path / name, content), expected)


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


def test_an_item_over_the_article_limit_in_a_json_list_fails_alone_and_is_never_built(tmp_path):
    path = tmp_path / "long.json"
    piece = json.dumps("x" * 1000)
    with path.open("w", encoding="utf-8") as f:
        f.write("[" + json.dumps(dump_item(1)) + ',\n{"title": "huge", "parts": [')
        f.write(",".join(piece for _ in range(64 * 1024)))  # 64 MB in 1 KB strings
        f.write("]},\n" + json.dumps(dump_item(3)) + "]")
    tracemalloc.start()
    try:
        results = load(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [type(r).__name__ for r in results] == ["Article", "LoadFailure", "Article"]
    assert results[1].source == f"{path}#2"
    assert "over the 20 MB limit for one article" in results[1].error
    # What is built stops at the 20 MB limit; the rest of the item is read, not kept.
    assert peak < 32 * 1024 * 1024, f"{peak / 1e6:.1f} MB held: the item was built whole"


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
