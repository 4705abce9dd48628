"""The best rows of a score array, the one selection every ranking of a question makes."""

from __future__ import annotations

import numpy as np

SAMPLED_FROM = 200_000  # from this many scores, a sample's threshold narrows the partition
SAMPLE = 20_000  # scores in that sample, evenly spaced


def top_rows(scores: np.ndarray, k: int, rows: np.ndarray | None = None) -> np.ndarray:
    """The row numbers of the `k` highest `scores` among `rows` (every row when None), best
    first, equal scores in row order."""
    pool = scores if rows is None else scores[rows]
    k = min(k, len(pool))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    above = _above_threshold(pool, k) if len(pool) >= SAMPLED_FROM else None
    if above is None:
        best = np.argpartition(-pool, k - 1)[:k]
    else:
        best = above[np.argpartition(-pool[above], k - 1)[:k]]
    found = best if rows is None else rows[best]
    return found[np.lexsort((found, -pool[best]))]


def _above_threshold(pool: np.ndarray, k: int) -> np.ndarray | None:
    """The positions of `pool` at or above a threshold that about 2k of them pass (read off an
    even sample), or None if fewer than `k` pass. At or above: the `k` best are all among them,
    exactly, and partitioning ~2k values beats partitioning a million (7 ms at 1M)."""
    step = max(1, len(pool) // SAMPLE)
    sample = pool[::step]
    j = min(len(sample), 2 * k // step + 2)  # the sample's j-th best: ~j * step rows above it
    threshold = np.partition(sample, len(sample) - j)[len(sample) - j]
    above = np.flatnonzero(pool >= threshold)
    return above if k <= len(above) <= len(pool) // 4 else None
