"""Chunking: whole sentences, bounded size, overlap, offsets into the article."""

from __future__ import annotations

from ingest.chunk import MAX_SENTENCE_WORDS, split_into_chunks
from ingest.clean import clean_article
from qa.news.dates import parse_date
from qa.news.sentences import split_sentences
from qa.types import Article


def test_chunks_are_whole_sentences_with_offsets(sample_article):
    chunks = split_into_chunks(sample_article)
    sentences = set(split_sentences(sample_article.text))
    assert len(chunks) > 1
    for n, chunk in enumerate(chunks):
        assert chunk.id == f"{sample_article.id}:{n}"
        assert sample_article.text[chunk.start : chunk.end] == chunk.text
        assert split_sentences(chunk.text)[0] in sentences
        assert split_sentences(chunk.text)[-1] in sentences


def test_chunks_overlap_by_a_sentence(sample_article):
    chunks = split_into_chunks(sample_article)
    for a, b in zip(chunks, chunks[1:], strict=False):
        assert b.start < a.end, "consecutive chunks share their boundary sentence"
        assert split_sentences(a.text)[-1] == split_sentences(b.text)[0]


def test_chunks_cover_the_whole_article(sample_article):
    chunks = split_into_chunks(sample_article)
    assert chunks[0].start == 0
    assert chunks[-1].end == len(sample_article.text)


def test_chunk_carries_metadata_and_title_header():
    article = clean_article(
        Article(
            title="Minsk talks",
            text="Putin proposed talks. Lavrov spoke.",
            source="BBC",
            published=parse_date("2022-02-25"),
            topics=["Russia"],
        )
    )
    (chunk,) = split_into_chunks(article)
    assert chunk.source == "BBC" and chunk.topics == ["Russia"]
    assert chunk.embed_text == "Minsk talks (2022-02-25)\nPutin proposed talks. Lavrov spoke."


def test_run_on_sentence_is_cut():
    words = " ".join(f"w{i}" for i in range(MAX_SENTENCE_WORDS * 3))
    chunks = split_into_chunks(Article(title="t", text=words))
    assert all(len(c.text.split()) <= MAX_SENTENCE_WORDS * 2 for c in chunks)
    assert chunks[-1].end == len(words)
