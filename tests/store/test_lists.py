"""qa.store.search.lists: inverted lists over a large store's reduced vectors, built, saved and read."""

from __future__ import annotations

import numpy as np
import pytest

from qa.store.search import lists as inverted
from qa.store.search.lists import build_lists, load_lists, save_lists
from qa.store.search.top import top_rows


def clustered(n: int = 4_000, d: int = 16, groups: int = 40, seed: int = 1) -> np.ndarray:
    """Unit vectors around `groups` random centres, as a store's chunks gather by subject."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(groups, d))
    rows = centres[rng.integers(0, groups, n)] + 0.3 * rng.normal(size=(n, d))
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def test_every_row_is_in_one_list_and_the_lists_hold_its_vector():
    low = clustered()
    lists = build_lists(low)
    assert len(lists.centroids) == inverted.MIN_LISTS  # 4,000 rows: the floor of lists
    assert sorted(lists.order.tolist()) == list(range(len(low)))
    assert lists.offsets[0] == 0 and lists.offsets[-1] == len(low)
    assert np.all(np.diff(lists.offsets) >= 0)
    assert np.array_equal(lists.rows, low[lists.order])
    again = build_lists(low)  # seeded: a rebuild of the same rows is the same index
    assert np.array_equal(again.order, lists.order)


def test_the_nearest_lists_hold_the_best_rows_and_more_are_read_until_n():
    low = clustered()
    lists = build_lists(low)
    rng = np.random.default_rng(7)
    overlaps = []
    for _ in range(20):
        query = low[rng.integers(0, len(low))] + 0.1 * rng.normal(size=low.shape[1])
        query = (query / np.linalg.norm(query)).astype(np.float32)
        rows, scores = lists.candidates(query, 40)
        assert len(rows) >= 40 and len(rows) < len(low)  # a share of the lists, not all
        assert np.allclose(scores, low[rows] @ query, atol=1e-5)
        best = set(rows[top_rows(scores, 10)].tolist())
        overlaps.append(len(best & set(top_rows(low @ query, 10).tolist())) / 10)
    assert np.mean(overlaps) >= 0.9
    rows, _ = lists.candidates(low[0], len(low))  # asking for every row reads every list
    assert sorted(rows.tolist()) == list(range(len(low)))


def test_saved_lists_load_mapped_and_a_store_of_another_size_has_none(tmp_path):
    low = clustered(n=1_000)
    save_lists(tmp_path, build_lists(low))
    loaded = load_lists(tmp_path, len(low))
    assert loaded is not None and isinstance(loaded.rows, np.memmap)
    assert np.array_equal(loaded.rows, low[loaded.order])
    assert load_lists(tmp_path, len(low) + 1) is None  # lists of an older save
    (tmp_path / "vectors-lists-order.npy").unlink()
    assert load_lists(tmp_path, len(low)) is None
    assert not list(tmp_path.glob("*.tmp.npy"))


@pytest.mark.parametrize("share", [1 / 16, 1.0])
def test_a_large_catalogs_whole_store_ranking_reads_the_lists(tmp_path, monkeypatch, share):
    """With lists, the whole store's ranking is read from the nearest lists and rescored
    exactly; reading every list gives the full scan's ranking."""
    from qa.store.catalog import Catalog, CatalogRow
    from qa.store.vector_copy import _open_npy

    monkeypatch.setattr(inverted, "PROBED_SHARE", share)
    vectors = clustered(n=3_000, d=16)
    np.save(tmp_path / "v.npy", vectors)
    _, exact_rows = _open_npy(tmp_path / "v.npy")
    rows = [CatalogRow(f"a{i}:0", f"a{i}", 0, 1, "h", "T", "S", "u", -1, ()) for i in range(3_000)]
    catalog = Catalog(rows, vectors)
    basis = np.linalg.svd(vectors, full_matrices=False)[2][:8].T.copy()
    low = vectors @ basis
    catalog.reduced = (basis, low, exact_rows)
    query = vectors[11]
    scanned = catalog.dense_top(query, 10)  # no lists: the full scan of the reduced copy
    catalog.lists = build_lists(low)
    listed = catalog.dense_top(query, 10)
    assert listed[0] == (11, pytest.approx(1.0, abs=1e-6))
    for row, cosine in listed:
        assert cosine == pytest.approx(float(vectors[row] @ query), abs=1e-6)
    if share == 1.0:
        assert listed == scanned
    else:
        assert len({r for r, _ in listed} & {r for r, _ in scanned}) >= 8
    window = np.arange(0, 3_000, 7)  # a filter's rows: gathered, as the scan would score them
    catalog.lists = None
    want = catalog.dense_top(query, 10, window)
    catalog.lists = build_lists(low)
    assert catalog.dense_top(query, 10, window) == want
