"""qa.store.search.top: the best rows of a score array, among all rows or a selection of them."""

from __future__ import annotations

import numpy as np

from qa.store.search.top import top_rows


def test_the_best_rows_of_a_selection_are_those_of_the_masked_scores():
    rng = np.random.default_rng(3)
    scores = rng.random(5_000).astype(np.float32)
    rows = np.flatnonzero(rng.random(5_000) < 0.1)
    masked = np.where(np.isin(np.arange(5_000), rows), scores, -np.inf)
    assert top_rows(scores, 25, rows).tolist() == np.argsort(-masked, kind="stable")[:25].tolist()
    assert top_rows(scores, 25).tolist() == np.argsort(-scores, kind="stable")[:25].tolist()


def test_equal_scores_keep_row_order_and_k_past_the_rows_returns_them_all():
    scores = np.array([0.5, 0.9, 0.5, 0.9, 0.1], dtype=np.float32)
    assert top_rows(scores, 4).tolist() == [1, 3, 0, 2]
    assert top_rows(scores, 10, np.array([4, 2, 0])).tolist() == [0, 2, 4]
    assert top_rows(scores, 3, np.array([], dtype=np.int64)).tolist() == []


def test_a_large_pool_partitions_above_a_sampled_threshold_and_finds_the_same_rows(monkeypatch):
    rng = np.random.default_rng(11)
    scores = rng.normal(size=300_000).astype(np.float32)
    scores[rng.integers(0, 300_000, 5_000)] = 2.5  # ties across the threshold
    rows = np.flatnonzero(rng.random(300_000) < 0.9)
    for k in (1, 40, 1_000, 5_000):
        for selection in (None, rows):
            pool = scores if selection is None else scores[selection]
            ids = np.arange(300_000) if selection is None else selection
            want = ids[np.lexsort((ids, -pool))[:k]]
            got = top_rows(scores, k, selection)
            # the same scores (which of the rows tied at the k-th score is free), in order
            assert scores[got].tolist() == scores[want].tolist()
            assert np.isin(got, ids).all() and len(set(got.tolist())) == k
            assert got.tolist() == got[np.lexsort((got, -scores[got]))].tolist()
    flat = np.zeros(300_000, dtype=np.float32)  # no threshold narrows anything: a full pass
    got = top_rows(flat, 3).tolist()
    assert len(set(got)) == 3 and got == sorted(got)
