"""qa.store.top: the best rows of a score array, among all rows or a selection of them."""

from __future__ import annotations

import numpy as np

from qa.store.top import top_rows


def test_the_best_rows_of_a_selection_are_those_of_the_masked_scores():
    rng = np.random.default_rng(3)
    scores = rng.random(5_000).astype(np.float32)
    rows = np.flatnonzero(rng.random(5_000) < 0.1)
    masked = np.where(np.isin(np.arange(5_000), rows), scores, -np.inf)
    assert top_rows(scores, 25, rows).tolist() == np.argsort(-masked, kind="stable")[:25].tolist()
    assert top_rows(scores, 25).tolist() == np.argsort(-scores, kind="stable")[:25].tolist()


def test_ties_keep_row_order_and_k_past_the_rows_returns_them_all():
    scores = np.array([0.5, 0.9, 0.5, 0.9, 0.1], dtype=np.float32)
    assert top_rows(scores, 3).tolist() == [1, 3, 0]
    assert top_rows(scores, 10, np.array([4, 2, 0])).tolist() == [0, 2, 4]
    assert top_rows(scores, 3, np.array([], dtype=np.int64)).tolist() == []
