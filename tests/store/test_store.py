"""NewsIndex against a real Chroma store on disk and the real MiniLM model."""

from __future__ import annotations

import shutil
from dataclasses import replace

import numpy as np
import pytest

from ingest.pipeline import ingest_articles
from qa.config import Settings
from qa.errors import StoreError
from qa.news.dates import epoch, parse_date
from qa.store import NewsIndex
from qa.store.catalog import chroma_where
from qa.types import Article, SearchFilters


def news(title, text, *, source="Wire", day="2024-03-01", url="", topics=()):
    return Article(
        title=title,
        text=text,
        source=source,
        published=parse_date(day),
        url=url,
        topics=list(topics),
    )


ARTICLES = [
    news(
        "Lake freezes early",
        "The lake froze in November for the first time in decades.",
        source="Alpha Times",
        day="2024-11-20",
        topics=["Weather"],
    ),
    news(
        "Council approves budget",
        "The city council approved a budget of 12 million euros.",
        source="Beta Post",
        day="2024-03-01",
        topics=["Politics"],
    ),
    news(
        "Rower crosses Atlantic",
        "A solo rower crossed the Atlantic in 52 days.",
        source="Alpha Times",
        day="2023-06-10",
        topics=["Sport"],
    ),
]


@pytest.fixture
def index(tmp_path, embeddings):
    return NewsIndex(Settings(store_dir=tmp_path / "store"), embeddings=embeddings)


@pytest.fixture
def filled(index):
    ingest_articles(ARTICLES, index, progress=False)
    return index


def test_store_survives_reopen(filled, embeddings):
    again = NewsIndex(filled.settings, embeddings=embeddings)
    assert again.count_articles() == 3
    hits = again.lexical_search("rower Atlantic", k=3)
    assert hits[0].title == "Rower crosses Atlantic"
    dense = again.dense_search(again.embed_query("frozen lake"), k=1)
    assert dense[0].title == "Lake freezes early"


def test_reingest_changes_nothing(filled):
    summary = ingest_articles(ARTICLES, filled, progress=False)
    assert (summary.added, summary.unchanged, summary.updated) == (0, 3, 0)
    assert filled.count_chunks() == 3


def test_edited_article_replaces_old_chunks(index):
    url = "https://example.com/story"
    long_text = " ".join(f"Sentence number {i} mentions zebras." for i in range(60))
    ingest_articles([news("Animals", long_text, url=url)], index, progress=False)
    assert index.count_chunks() > 1
    summary = ingest_articles(
        [news("Animals", "Now the story is about giraffes.", url=url)], index, progress=False
    )
    assert summary.updated == 1
    assert index.count_articles() == 1 and index.count_chunks() == 1
    assert index.lexical_search("zebras", k=5) == []
    dense = index.dense_search(index.embed_query("zebras"), k=5)
    assert [p.text for p in dense] == ["Now the story is about giraffes."]


def test_same_article_twice_in_one_run_is_a_duplicate(index):
    summary = ingest_articles([ARTICLES[0], ARTICLES[0]], index, progress=False)
    assert (summary.added, summary.duplicates) == (1, 1)


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (SearchFilters(sources=("alpha times",)), {"Lake freezes early", "Rower crosses Atlantic"}),
        (SearchFilters(topics=("Politics",)), {"Council approves budget"}),
        (
            SearchFilters(since=epoch(parse_date("2024-01-01"))),
            {"Lake freezes early", "Council approves budget"},
        ),
        (SearchFilters(until=epoch(parse_date("2024-01-01"))), {"Rower crosses Atlantic"}),
        (SearchFilters(sources=("Nobody",)), set()),
    ],
)
def test_filters_reach_both_indexes(filled, filters, expected):
    query = "the lake council budget rower Atlantic"
    lexical = {p.title for p in filled.lexical_search(query, k=10, filters=filters)}
    dense = {p.title for p in filled.dense_search(filled.embed_query(query), k=10, filters=filters)}
    assert lexical == expected
    assert dense == expected


def test_lexical_index_is_rebuilt_when_missing(filled, embeddings):
    shutil.rmtree(filled.settings.store_dir / "lexical")
    again = NewsIndex(filled.settings, embeddings=embeddings)
    assert again.lexical_search("council budget", k=1)[0].title == "Council approves budget"


def test_other_process_writes_become_visible(filled, embeddings):
    reader = NewsIndex(filled.settings, embeddings=embeddings)
    assert reader.count_articles() == 3
    ingest_articles([news("Bridge opens", "A new bridge opened downtown.")], filled, progress=False)
    assert reader.refresh() is True
    assert reader.lexical_search("bridge", k=1)[0].title == "Bridge opens"


def test_half_written_article_is_hidden_then_repaired(filled, embeddings):
    long_text = " ".join(f"Item {i} about volcanoes erupting." for i in range(60))
    ingest_articles([news("Volcano", long_text)], filled, progress=False)
    victim = filled.lexical_search("volcanoes", k=1)[0]
    filled.collection.delete(ids=[victim.chunk_id])  # as if a crash lost one chunk
    filled._bump()
    reader = NewsIndex(filled.settings, embeddings=embeddings)
    assert reader.lexical_search("volcanoes", k=5) == []
    assert reader.dense_search(reader.embed_query("volcano"), k=10)[0].title != "Volcano"
    with reader.writing():
        pass
    assert reader.count_articles() == 3
    assert reader.catalog.broken == set()


def test_a_part_repairs_only_the_half_written_articles_it_owns(filled, embeddings):
    """A shard (ingest --shard) must not delete another shard's article while it is written."""
    long_text = " ".join(f"Item {i} about glaciers retreating." for i in range(60))
    ingest_articles([news("Glacier", long_text)], filled, progress=False)
    victim = filled.lexical_search("glaciers", k=1)[0]
    filled.collection.delete(ids=[victim.chunk_id])
    filled._bump()
    reader = NewsIndex(filled.settings, embeddings=embeddings)
    assert reader.repair(only=lambda article_id: article_id != victim.article_id) == []
    assert reader.catalog.broken == {victim.article_id}
    assert reader.repair(only=lambda article_id: article_id == victim.article_id) == [
        victim.article_id
    ]
    assert reader.catalog.broken == set() and reader.count_articles() == 3


def test_store_refuses_another_embedding_model(filled, embeddings):
    other = Settings(store_dir=filled.settings.store_dir, embedding_model="/models/other")
    with pytest.raises(StoreError, match="built with the embedding model 'all-MiniLM-L6-v2'"):
        NewsIndex(other, embeddings=embeddings).count_chunks()


def test_stats(filled):
    stats = filled.stats()
    assert stats["articles"] == 3 and stats["chunks"] == 3
    assert stats["sources"] == {"Alpha Times": 2, "Beta Post": 1}
    assert stats["topics"] == {"Weather": 1, "Politics": 1, "Sport": 1}
    assert (stats["oldest"], stats["newest"]) == ("2023-06-10", "2024-11-20")
    assert stats["embedding_model"] == "all-MiniLM-L6-v2"
    assert stats["last_updated"]


def test_dense_search_matches_chromas_own_query(filled, embeddings):
    """Dense searches run on the local copy of the vectors; they must rank as Chroma does,
    with a filter and without."""
    more = [
        news(f"Harbour story {i}", filler_text(i), day=f"2024-0{1 + i % 9}-15") for i in range(12)
    ]
    ingest_articles(more, filled, progress=False)
    vector = filled.embed_query("harbour ferry tax")
    everything = filled.collection.query(query_embeddings=[vector], n_results=8)
    assert [h.chunk_id for h in filled.dense_hits(vector, k=8)] == everything["ids"][0]
    filters = SearchFilters(since=epoch(parse_date("2024-02-01")))
    ours = filled.dense_search(vector, k=6, filters=filters)
    theirs = filled.collection.query(
        query_embeddings=[vector], n_results=6, where=chroma_where(filters, filled.catalog)
    )
    assert [p.chunk_id for p in ours] == theirs["ids"][0]
    for p, distance in zip(ours, theirs["distances"][0], strict=True):
        assert abs(p.dense - (1.0 - distance)) < 1e-4
    # A reopened index reads the saved copy, and a store written since rebuilds it.
    reopened = NewsIndex(filled.settings, embeddings=embeddings)
    assert [p.chunk_id for p in reopened.dense_search(vector, k=6, filters=filters)] == theirs[
        "ids"
    ][0]
    ingest_articles([news("Harbour ferry tax doubles", "The harbour ferry tax doubled.")], filled)
    assert reopened.refresh() is True
    top = reopened.dense_search(vector, k=1, filters=filters)[0]
    assert top.title == "Harbour ferry tax doubles"
    assert len(reopened.catalog.vectors) == reopened.count_chunks()


def filler_text(i: int) -> str:
    subjects = ("The ferry", "A harbour pilot", "The port authority", "Fishermen", "The mayor")
    return (
        f"{subjects[i % 5]} spoke about the harbour on day {i}. "
        f"Tickets cost {i + 3} euros and boats left at {i % 12 + 1} o'clock."
    )


def test_a_made_up_title_is_marked_in_the_store(index):
    made_up = news("The lake froze in November…", "The lake froze in November for once.")
    made_up.title_derived = True
    ingest_articles([made_up, ARTICLES[1]], index, progress=False)
    passages = index.dense_search(index.embed_query("lake froze"), k=2)
    marks = {p.title: p.title_derived for p in passages}
    assert marks == {"The lake froze in November…": True, "Council approves budget": False}


def derived_files(index: NewsIndex) -> dict[str, bytes]:
    folder = index.settings.store_dir / "lexical"
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_derived_indexes_read_in_small_pages_are_the_same(filled, embeddings, monkeypatch):
    """The catalog and BM25 index are built as the store's pages stream by (memory stays bounded
    at the end of a big ingest); page and tokenizer batch sizes change nothing on disk."""
    long_text = " ".join(f"Line {i} tells of harbours and ferries." for i in range(60))
    ingest_articles([news("Harbour", long_text)], filled, progress=False)
    whole = derived_files(filled)
    shutil.rmtree(filled.settings.store_dir / "lexical")
    monkeypatch.setattr("qa.store.derived.TEXT_PAGE_SIZE", 2)
    monkeypatch.setattr("qa.store.lexical.TOKENIZE_BATCH", 3)
    again = NewsIndex(filled.settings, embeddings=embeddings)
    assert again.count_chunks() == filled.count_chunks() > 3
    assert derived_files(again) == whole
    rows = again.catalog.rows
    harbour = [r for r in rows if r.title == "Harbour"]
    assert all(r.title is harbour[0].title and r.url is harbour[0].url for r in harbour)


def test_a_questions_passages_are_read_from_the_saved_file_as_chroma_has_them(filled, monkeypatch):
    """The answering path reads its passages from the derived passage file, not Chroma (whose
    first read loads the whole HNSW index), and gets what Chroma would have given."""
    vector = filled.embed_query("council budget")
    both = filled.dense_hits(vector, k=2) + filled.lexical_hits("lake froze", k=2)
    hits = list({h.chunk_id: h for h in both}.values())
    assert len(hits) >= 2
    assert all(h.row is not None for h in hits)
    from_chroma = filled.get([h.chunk_id for h in hits])
    asked: list[list[str]] = []
    chroma_get = filled.get
    monkeypatch.setattr(filled, "get", lambda ids: asked.append(list(ids)) or chroma_get(ids))
    saved = filled.passages(hits)
    assert asked == []  # nothing read from Chroma
    assert [
        (
            p.chunk_id,
            p.text,
            p.title,
            p.source,
            p.published,
            p.topics,
            p.start,
            p.sentence_vectors,
            p.head_vector,
        )
        for p in saved
    ] == [
        (
            p.chunk_id,
            p.text,
            p.title,
            p.source,
            p.published,
            p.topics,
            p.start,
            p.sentence_vectors,
            p.head_vector,
        )
        for p in from_chroma
    ]
    assert [(p.dense, p.lexical) for p in saved] == [(h.dense, h.lexical) for h in hits]
    # A hit whose row no longer holds its chunk (a catalog since replaced) is read from Chroma.
    stale = replace(hits[0], row=hits[1].row)
    assert [p.chunk_id for p in filled.passages([stale])] == [hits[0].chunk_id]
    assert asked == [[hits[0].chunk_id]]


def test_a_large_stores_dense_search_rescores_its_reduced_copy_exactly(
    filled, embeddings, monkeypatch
):
    """From REDUCED_FROM chunks the catalog saves a reduced copy of the vectors beside the full
    one; a search scans it and rescores its best rows with the full vectors, so the rankings
    and cosines are the exact ones whenever the exact best are among the rows rescored."""
    vector = filled.embed_query("council budget")
    filters = SearchFilters(since=epoch(parse_date("2024-01-01")))
    exact = [(h.chunk_id, h.dense) for h in filled.dense_hits(vector, k=3, filters=filters)]
    shutil.rmtree(filled.settings.store_dir / "lexical")
    monkeypatch.setattr("qa.store.vector_copy.REDUCED_FROM", 2)
    monkeypatch.setattr("qa.store.vector_copy.REDUCED_DIM", 2)
    reopened = NewsIndex(filled.settings, embeddings=embeddings)
    assert reopened.catalog.reduced is not None
    basis, low, _ = reopened.catalog.reduced
    assert basis.shape == (len(vector), 2) and low.shape == (reopened.count_chunks(), 2)
    assert (filled.settings.store_dir / "lexical/news/vectors-reduced.npy").is_file()
    got = [(h.chunk_id, h.dense) for h in reopened.dense_hits(vector, k=3, filters=filters)]
    assert [c for c, _ in got] == [c for c, _ in exact]
    assert [d for _, d in got] == pytest.approx([d for _, d in exact], abs=1e-6)
    # Rescoring only the reduced copy's best row still returns an exact cosine.
    monkeypatch.setattr("qa.store.catalog.RESCORED", 1)
    ((row, cosine),) = reopened.catalog.dense_top(vector, 1, reopened.catalog.selection(filters))
    full = np.asarray(reopened.catalog.vectors[row]) @ np.asarray(vector, dtype=np.float32)
    assert cosine == pytest.approx(float(full), abs=1e-6)
