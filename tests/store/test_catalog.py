"""qa.store.catalog: both translations of search filters keep the same chunks; shared similarities."""

from __future__ import annotations

import numpy as np
import pytest

from qa.news.dates import epoch, parse_date
from qa.store.catalog import NO_DATE, Catalog, CatalogRow, chroma_where, load_catalog, save_catalog
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
