"""qa.store.chunk_metadata: a chunk's Chroma metadata written from an Article and read back."""

from __future__ import annotations

import numpy as np

from qa.encoders.embeddings import pack_vectors
from qa.news.dates import dated_sentences, epoch, parse_date
from qa.store.catalog import NO_DATE
from qa.store.chunk_metadata import chunk_metadata, passage_from_metadata, reindexed_metadata
from qa.types import Article, Chunk

PUBLISHED = parse_date("2022-02-25")
TEXT = "The minister resigned yesterday. Elections follow in March."


def article(**fields) -> Article:
    values = dict(
        title="Minister quits",
        text=TEXT,
        source="Daily Ledger",
        url="https://example.com/minister",
        published=PUBLISHED,
        topics=["Politics"],
        also_published_by=["North Wire"],
    )
    return Article(**(values | fields))


def chunk(a: Article, n: int = 0, **fields) -> Chunk:
    return Chunk(a.id, n, TEXT, 10, 10 + len(TEXT), published=epoch(a.published), **fields)


def test_metadata_reads_back_as_the_same_passage():
    a = article(title_derived=True)
    c = chunk(a, dated_sentences=dated_sentences(TEXT, PUBLISHED), sentence_vectors="packed")
    meta = chunk_metadata(a, c, n_chunks=2)
    p = passage_from_metadata(c.id, c.text, meta)
    assert (p.chunk_id, p.article_id, p.text, p.start) == (c.id, a.id, TEXT, 10)
    assert (p.title, p.source, p.url) == (a.title, a.source, a.url)
    assert p.published_date == "2022-02-25" and p.topics == ["Politics"]
    assert p.also_published_by == ["North Wire"] and p.title_derived is True
    assert p.sentence_vectors == "packed" and p.head_vector is None
    assert p.dated_sentences == c.dated_sentences
    assert ["2022-02-24"] in [isos for _, _, isos in p.dated_sentences]  # "yesterday"
    assert meta["event_dates"][0] == "2022-02-24"


def test_an_undated_article_without_lists_stores_no_empty_list():
    """Chroma refuses empty lists in metadata: absent lists are left out, not stored empty."""
    a = article(published=None, topics=[], also_published_by=[])
    c = Chunk(a.id, 1, TEXT, 0, len(TEXT), dated_sentences=[])
    meta = chunk_metadata(a, c, n_chunks=2)
    assert meta["published"] == NO_DATE
    assert not any(isinstance(v, list) and not v for v in meta.values())
    assert "event_dates" not in meta and "fingerprint" not in meta
    p = passage_from_metadata(c.id, None, meta)
    assert p.published is None and p.topics == [] and p.text == ""


def test_a_reindexed_schema_1_chunk_gets_its_dates_and_new_vectors():
    a = article()
    old = chunk_metadata(a, chunk(a, head_vector="old head"), n_chunks=1)
    assert "dated_sentences" not in old  # as a schema-1 store wrote it
    vectors = np.eye(2, 4, dtype=np.float32)
    new = reindexed_metadata(old, TEXT, vectors, None)
    assert "head_vector" not in new and new["sentence_vectors"] == pack_vectors(vectors)
    assert "2022-02-24" in new["event_dates"]
