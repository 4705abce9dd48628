"""The best rows of a score array, the one selection every ranking of a question makes."""

from __future__ import annotations

import numpy as np


def top_rows(scores: np.ndarray, k: int, rows: np.ndarray | None = None) -> np.ndarray:
    """The row numbers of the `k` highest `scores` among `rows` (every row when None), best
    first; ties keep row order."""
    pool = scores if rows is None else scores[rows]
    k = min(k, len(pool))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    best = np.argpartition(-pool, k - 1)[:k]
    found = best if rows is None else rows[best]
    return found[np.lexsort((found, -pool[best]))]
