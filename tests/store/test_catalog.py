"""qa.store.catalog: both translations of search filters keep the same chunks; shared similarities."""

from __future__ import annotations

import numpy as np
import pytest

from qa.news.dates import epoch, parse_date
from qa.store.catalog import (
    NO_DATE,
    Catalog,
    CatalogRow,
    chroma_where,
    load_catalog,
    save_catalog,
)
from qa.store.vector_copy import VectorRows, _open_npy
from qa.types import SearchFilters


def day(text: str) -> int:
    return epoch(parse_date(text))


@pytest.mark.parametrize(
    "filters",
    [
        SearchFilters(),
        SearchFilters(since=day("2022-03-01")),
        SearchFilters(until=day("2022-02-28")),
        SearchFilters(until=day("2022-02-28"), include_undated=False),
        SearchFilters(event_since=day("2022-03-01")),
        SearchFilters(event_until=day("2022-02-24") + 86399),
        SearchFilters(sources=("north wire", "Daily Ledger")),  # any case, as the page sends
        SearchFilters(sources=("No Such Outlet",)),
        SearchFilters(topics=("sport",)),
        SearchFilters(since=day("2022-02-01"), sources=("SOUTH HERALD",)),
    ],
    ids=repr,
)
def test_mask_and_chroma_where_keep_the_same_chunks(news_index, filters):
    catalog = news_index.catalog
    kept = {row.id for row, keep in zip(catalog.rows, catalog.mask(filters), strict=True) if keep}
    got = news_index.collection.get(where=chroma_where(filters, catalog), include=[])
    assert set(got["ids"]) == kept


def test_a_questions_filtered_rankings_share_one_product_with_the_vectors():
    rows = [CatalogRow(f"a:{i}", "a", i, 3, "h", "T", "S", "u", NO_DATE, ()) for i in range(3)]
    vectors = np.eye(3, dtype=np.float32)
    catalog = Catalog(rows, vectors)
    first = catalog.similarities([0.0, 1.0, 0.0])
    assert first.tolist() == [0.0, 1.0, 0.0]
    assert catalog.similarities(np.array([0.0, 1.0, 0.0])) is first  # the same question
    assert catalog.similarities([1.0, 0.0, 0.0]).tolist() == [1.0, 0.0, 0.0]  # the next one


def test_saving_a_catalog_keeps_another_writers_half_written_files(tmp_path):
    """Two shards save the catalog cache of one machine at once: each drops the other stamps'
    columns, never a file the other is still writing (its rename would fail)."""
    rows = [CatalogRow(f"a:{i}", "a", i, 2, "h", "T", "S", "u", NO_DATE, ()) for i in range(2)]
    save_catalog(tmp_path, "old", Catalog(rows))
    writing = tmp_path / "catalog-0123456789abcdef.ids.npy.77.123.tmp.npy"
    writing.write_bytes(b"half")
    save_catalog(tmp_path, "new", Catalog(rows))
    assert writing.exists()
    assert len(list(tmp_path.glob("catalog-*.npy"))) == 3  # the new stamp's two, and `writing`
    assert [r.id for r in load_catalog(tmp_path, "new").rows] == ["a:0", "a:1"]


def test_a_selection_is_the_rows_a_mask_keeps_and_is_made_once_per_filters(news_index):
    catalog = news_index.catalog
    assert catalog.selection(SearchFilters()) is None  # every row: no gather at all
    recent = SearchFilters(since=day("2022-03-01"))
    rows = catalog.selection(recent)
    assert rows is not None and 0 < len(rows) < len(catalog)
    assert rows.tolist() == np.flatnonzero(catalog.mask(recent)).tolist()
    assert catalog.selection(SearchFilters(since=day("2022-03-01"))) is rows  # remembered
    assert not catalog.mask(recent).flags.writeable  # shared: no caller may change it


class CountedRows(VectorRows):
    """The saved vectors' row reader, counting the rows a search reads."""

    read_rows: list[int] = []

    def read(self, rows: np.ndarray) -> np.ndarray:
        self.read_rows.append(len(rows))
        return super().read(rows)


def test_a_narrow_ranking_rescores_its_share_of_a_large_stores_rows(tmp_path, monkeypatch):
    """A reduced copy's whole-store ranking rescores RESCORED rows; one kept to a tenth of the
    store rescores a tenth as many (at least MIN_RESCORED), and its cosines are exact."""
    n, dim = 2_000, 8
    rng = np.random.default_rng(5)
    vectors = rng.normal(size=(n, dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    np.save(tmp_path / "v.npy", vectors)
    _, reader = _open_npy(tmp_path / "v.npy")
    counted = CountedRows.__new__(CountedRows)
    counted.__dict__.update(reader.__dict__)
    rows = [
        CatalogRow(f"a{i}:0", f"a{i}", 0, 1, "h", "T", "S", "u", day("2024-01-01") + i, ())
        for i in range(n)
    ]
    catalog = Catalog(rows, vectors)
    basis = np.linalg.svd(vectors, full_matrices=False)[2][:4].T.copy()
    catalog.reduced = (basis, vectors @ basis, counted)
    monkeypatch.setattr("qa.store.catalog.RESCORED", 1_000)
    monkeypatch.setattr("qa.store.catalog.MIN_RESCORED", 50)
    query = vectors[7]
    best = catalog.dense_top(query, 5)
    window = SearchFilters(until=day("2024-01-01") + n // 10 - 1)  # the first 200 rows
    narrow = catalog.dense_top(query, 5, catalog.selection(window))
    assert CountedRows.read_rows == [1_000, 100]
    assert best[0] == (7, pytest.approx(1.0, abs=1e-6))
    assert all(row < n // 10 for row, _ in narrow)
    for row, cosine in narrow:
        assert cosine == pytest.approx(float(vectors[row] @ query), abs=1e-6)
