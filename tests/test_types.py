"""qa.types: article identity and content hashes, chunk heads, filters, the answer stream."""

from __future__ import annotations

from qa.news.dates import epoch, parse_date
from qa.types import Answer, AnswerStream, Article, Chunk, SearchFilters, normalise_url


def test_urls_differing_only_in_case_fragment_or_trailing_slash_are_one_article():
    assert (
        normalise_url(" HTTPS://Example.COM/News/Story/#top ") == "https://example.com/News/Story"
    )
    a = Article(title="A", text="One.", url="https://example.com/story/")
    b = Article(title="B", text="Two.", url="HTTPS://EXAMPLE.com/story#comments")
    assert a.id == b.id and a.content_hash != b.content_hash


def test_without_a_url_the_file_names_the_article_but_stdin_does_not():
    edited = [Article(title="A", text=t, origin="news/a.txt") for t in ("One.", "Two.")]
    assert edited[0].id == edited[1].id
    piped = [Article(title="A", text=t, origin="-") for t in ("One.", "Two.")]
    assert piped[0].id != piped[1].id


def test_a_chunk_is_headed_by_its_title_and_day():
    day = epoch(parse_date("2022-02-25"))
    chunk = Chunk("a", 2, "Text.", 0, 5, title="Talks in Minsk", published=day)
    assert (chunk.id, chunk.embed_text) == ("a:2", "Talks in Minsk (2022-02-25)\nText.")
    assert Chunk("a", 0, "Text.", 0, 5).embed_text == "Text."


def test_filters_are_empty_only_without_any_restriction():
    assert SearchFilters().empty and SearchFilters(include_undated=False).empty
    assert not SearchFilters(since=0).empty and not SearchFilters(event_until=1).empty


def test_an_answer_stream_yields_the_text_then_holds_the_answer():
    def produce():
        yield "Putin "
        yield "[1]"
        return Answer(question="Who?", text="Putin [1]")

    stream = AnswerStream(produce())
    assert stream.answer is None
    assert "".join(stream) == "Putin [1]" and stream.answer.text == "Putin [1]"
