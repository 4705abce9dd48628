"""qa.catalog: the two translations of search filters keep the same chunks."""

from __future__ import annotations

import pytest

from qa.catalog import chroma_where
from qa.dates import epoch, parse_date
from qa.models import SearchFilters


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
