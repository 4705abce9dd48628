"""qa.retrieval.retrieve: each retrieval mode, reciprocal rank fusion and narrowing filters."""

from __future__ import annotations

import pytest

from qa.retrieval.retrieve import RRF_K, fuse, hybrid_search, narrow
from qa.types import Passage, SearchFilters


def passage(chunk_id: str, *, dense: float | None = None, lexical: float | None = None):
    return Passage(
        chunk_id=chunk_id,
        article_id=chunk_id.split(":")[0],
        text=chunk_id,
        dense=dense,
        lexical=lexical,
    )


@pytest.mark.parametrize("mode", ["dense", "lexical", "hybrid"])
def test_each_retrieval_mode_finds_the_minsk_passage(sample_index, mode):
    passages = hybrid_search(sample_index, "talks in Minsk", k=3, mode=mode)
    assert any("Minsk" in p.text for p in passages)
    assert [p.rank for p in passages] == list(range(1, len(passages) + 1))


def test_an_unknown_mode_is_refused(sample_index):
    with pytest.raises(ValueError, match="'sparse' is not one of"):
        hybrid_search(sample_index, "talks in Minsk", mode="sparse")


def test_fusion_rewards_agreement(sample_index):
    dense = sample_index.dense_search(sample_index.embed_query("Lavrov occupy"), k=6)
    lexical = sample_index.lexical_search("Lavrov occupy", k=6)
    fused = fuse([dense, lexical])
    assert fused[0].dense is not None and fused[0].lexical is not None
    assert "Lavrov" in fused[0].text


def test_fusion_orders_by_summed_reciprocal_ranks_and_keeps_both_scores():
    dense = [passage(f"{c}:0", dense=1 - i / 10) for i, c in enumerate("abcd")]
    lexical = [passage("d:0", lexical=7.0), passage("b:0", lexical=5.0)]
    fused = fuse([dense, lexical])
    # Second in both rankings beats first and fourth, which beats first in one ranking alone.
    assert [p.chunk_id for p in fused] == ["b:0", "d:0", "a:0", "c:0"]
    assert fused[0].score == pytest.approx(2 / (RRF_K + 2))
    assert (fused[1].dense, fused[1].lexical) == (0.7, 7.0)
    assert (fused[2].dense, fused[2].lexical) == (1.0, None)
    assert dense[1].score == 0.0  # the rankings' own passages are not changed


def test_narrow_intersects_dates_and_takes_lists_from_the_extra_filter():
    base = SearchFilters(sources=("BBC",), topics=("Politics",), since=100, until=900)
    extra = SearchFilters(sources=("Reuters",), since=300, until=2000, include_undated=False)
    both = narrow(base, extra)
    assert (both.since, both.until) == (300, 900)
    assert both.sources == ("Reuters",) and both.topics == ("Politics",)
    assert both.include_undated is False
    assert narrow(SearchFilters(until=500), SearchFilters()).until == 500
    assert narrow(SearchFilters(), SearchFilters()).since is None


def test_narrow_takes_event_dates_from_the_extra_filter_when_it_has_them():
    base = SearchFilters(event_since=10, event_until=20)
    assert narrow(base, SearchFilters(event_since=15)).event_since == 15
    assert narrow(base, SearchFilters(event_since=15)).event_until == 20
    assert narrow(base, SearchFilters()) == base
