"""evaluation.bench.stores: the larger stores cycled from the real chunks."""

from __future__ import annotations

import numpy as np

from evaluation.bench.stores import cycled_items
from qa.types import Article, Chunk


def test_cycled_items_make_exactly_the_size_with_unit_vectors():
    a = Article(title="T", text="one. two. three.", url="https://x.example/a")
    chunks = [Chunk(article_id=a.id, n=i, text=f"c{i}", start=0, end=1) for i in range(3)]
    vectors = np.eye(3, 4, dtype=np.float32)
    items, v = cycled_items([(a, chunks)], vectors, 7)
    assert sum(len(cs) for _, cs in items) == 7 == len(v)
    assert len({art.id for art, _ in items}) == 3
    assert all(c.article_id == art.id for art, cs in items for c in cs)
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
