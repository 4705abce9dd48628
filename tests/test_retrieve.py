"""qa.retrieve: each retrieval mode, reciprocal rank fusion and narrowing filters."""

from __future__ import annotations

import pytest

from qa.retrieve import fuse, hybrid_search


@pytest.mark.parametrize("mode", ["dense", "lexical", "hybrid"])
def test_each_retrieval_mode_finds_the_minsk_passage(sample_index, mode):
    passages = hybrid_search(sample_index, "talks in Minsk", k=3, mode=mode)
    assert any("Minsk" in p.text for p in passages)
    assert [p.rank for p in passages] == list(range(1, len(passages) + 1))


def test_fusion_rewards_agreement(sample_index):
    dense = sample_index.dense_search(sample_index.embed_query("Lavrov occupy"), k=6)
    lexical = sample_index.lexical_search("Lavrov occupy", k=6)
    fused = fuse([dense, lexical])
    assert fused[0].dense is not None and fused[0].lexical is not None
    assert "Lavrov" in fused[0].text
