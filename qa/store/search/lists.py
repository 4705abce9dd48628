"""Inverted lists over a large store's reduced vectors: a question scans a few percent of them.

From `vector_copy.REDUCED_FROM` chunks the catalog keeps a reduced copy of the vectors; scanning all
of it cost 24-29 ms a question at 1M chunks. Here its rows are grouped by their nearest of a few
hundred centroids (spherical k-means on a sample), saved list after list, and a ranking reads
only the lists nearest the question: a sixteenth of them, more for a filter that keeps few of
their rows. Its best rows are then rescored exactly, as before.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa.store.folder import save_npy

ROWS_PER_LIST = 1_000  # about 1,000 lists at 1M chunks
MIN_LISTS = 16
SAMPLE = 50_000  # rows k-means learns the centroids from
ITERATIONS = 10
PROBED_SHARE = 1 / 16  # of the lists, read for a ranking of the whole store
SEED = 0
FILES = ("centroids", "order", "offsets", "rows")  # vectors-lists-<name>.npy


@dataclass
class InvertedLists:
    centroids: np.ndarray  # lists x d, unit length
    order: np.ndarray  # every row number, list after list
    offsets: np.ndarray  # lists + 1: list i holds order[offsets[i]:offsets[i + 1]]
    rows: np.ndarray  # the reduced vectors in `order` (memory-mapped when loaded)

    def candidates(self, query: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        """(row numbers, approximate scores) of the rows of the lists nearest `query` (a
        reduced vector): `PROBED_SHARE` of the lists, twice as many each time until they
        hold at least `n` rows or every list is read."""
        count = len(self.centroids)
        ranked = np.argsort(-(self.centroids @ query), kind="stable")
        found_rows: list[np.ndarray] = []
        found_scores: list[np.ndarray] = []
        held, done, probe = 0, 0, max(1, math.ceil(count * PROBED_SHARE))
        while done < count:
            for i in ranked[done:probe]:
                start, end = int(self.offsets[i]), int(self.offsets[i + 1])
                found_rows.append(self.order[start:end])
                found_scores.append(self.rows[start:end] @ query)
                held += end - start
            done, probe = probe, min(count, probe * 2)
            if held >= n:
                break
        return np.concatenate(found_rows), np.concatenate(found_scores)


def build_lists(low: np.ndarray) -> InvertedLists:
    """Lists over `low` (rows x d): centroids from a seeded sample, every row in its nearest."""
    rng = np.random.default_rng(SEED)
    total = len(low)
    count = max(MIN_LISTS, min(total, total // ROWS_PER_LIST))
    sample = np.asarray(low[np.sort(rng.choice(total, min(SAMPLE, total), replace=False))])
    centroids = sample[rng.choice(len(sample), min(count, len(sample)), replace=False)].copy()
    for _ in range(ITERATIONS):
        nearest = np.argmax(sample @ centroids.T, axis=1)
        sums = np.zeros_like(centroids)
        np.add.at(sums, nearest, sample)
        moved = np.linalg.norm(sums, axis=1) > 0  # an empty list keeps its centroid
        centroids[moved] = sums[moved] / np.linalg.norm(sums[moved], axis=1, keepdims=True)
    assigned = np.empty(total, dtype=np.int32)
    for start in range(0, total, 100_000):  # in parts: `low` may be memory-mapped
        part = np.asarray(low[start : start + 100_000])
        assigned[start : start + 100_000] = np.argmax(part @ centroids.T, axis=1)
    order = np.argsort(assigned, kind="stable").astype(np.int64)
    offsets = np.searchsorted(assigned[order], np.arange(len(centroids) + 1)).astype(np.int64)
    rows = np.empty((total, low.shape[1]), dtype=np.float32)
    for start in range(0, total, 100_000):
        rows[start : start + 100_000] = low[order[start : start + 100_000]]
    return InvertedLists(centroids.astype(np.float32), order, offsets, rows)


def save_lists(folder: Path, lists: InvertedLists) -> None:
    for name in FILES:
        save_npy(folder / f"vectors-lists-{name}.npy", getattr(lists, name))


def load_lists(folder: Path, rows: int) -> InvertedLists | None:
    """The saved lists over `rows` rows, the big arrays memory-mapped; None if missing or not
    whole (a store saved before the lists: its rankings scan the reduced copy)."""
    try:
        arrays = {
            name: np.load(folder / f"vectors-lists-{name}.npy", mmap_mode="r") for name in FILES
        }
    except (OSError, ValueError):
        return None
    lists = InvertedLists(
        np.asarray(arrays["centroids"]),
        arrays["order"],
        np.asarray(arrays["offsets"]),
        arrays["rows"],
    )
    whole = (
        len(lists.order) == rows == len(lists.rows)
        and len(lists.offsets) == len(lists.centroids) + 1
        and int(lists.offsets[-1]) == rows
    )
    return lists if whole else None
