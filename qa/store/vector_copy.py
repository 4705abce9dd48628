"""The catalog's copy of the chunk vectors, saved beside it and memory-mapped by each reader:
the full float32 copy, and for a large store a reduced copy (its top principal directions)
with inverted lists over it, and a reader of single rows that leaves nothing resident."""

from __future__ import annotations

import json
import os
import weakref
from pathlib import Path

import numpy as np

from qa.store.folder import save_npy
from qa.store.search.lists import build_lists, save_lists

# From this many chunks, dense search scans a reduced copy of the vectors (REDUCED_DIM
# dimensions) and rescores its best RESCORED rows exactly: a scan of the full copy costs
# ~150 ms at 1M chunks and keeps 1.5 GB resident. Below it, every search is exact.
REDUCED_FROM = 250_000
REDUCED_DIM = 96
BASIS_SAMPLE = 20_000  # rows the reduction's basis is computed from

# (basis d x REDUCED_DIM, rows x REDUCED_DIM, the full copy's rows read without mapping)
Reduced = tuple[np.ndarray, np.ndarray, "VectorRows"]


def save_vectors(folder: Path, stamp: str, vectors: np.ndarray) -> None:
    """The vector copy, and for a large store (`REDUCED_FROM` rows) its reduced copy too."""
    folder.mkdir(parents=True, exist_ok=True)
    reduced = len(vectors) >= REDUCED_FROM
    saved = {"vectors": vectors}
    if reduced:
        basis = reduction_basis(vectors)
        saved |= {"vectors-basis": basis, "vectors-reduced": _project(vectors, basis)}
    for name, values in saved.items():
        save_npy(folder / f"{name}.npy", values)
    if reduced:
        save_lists(folder, build_lists(saved["vectors-reduced"]))
    info = {"stamp": stamp, "rows": len(vectors), "reduced": reduced}
    (folder / "vectors.json").write_text(json.dumps(info))


def reduction_basis(vectors: np.ndarray) -> np.ndarray:
    """d x REDUCED_DIM: the top right singular vectors of an even sample of `vectors` (no
    centring: what is kept is the dot product), so `v @ basis` keeps most of each cosine."""
    step = max(1, len(vectors) // BASIS_SAMPLE)
    sample = np.asarray(vectors[::step], dtype=np.float32)
    _, _, vt = np.linalg.svd(sample, full_matrices=False)
    return np.ascontiguousarray(vt[:REDUCED_DIM].T, dtype=np.float32)


def _project(vectors: np.ndarray, basis: np.ndarray) -> np.ndarray:
    out = np.empty((len(vectors), basis.shape[1]), dtype=np.float32)
    for start in range(0, len(vectors), 100_000):  # in parts: the copy may be memory-mapped
        out[start : start + 100_000] = vectors[start : start + 100_000] @ basis
    return out


def load_vectors(folder: Path, stamp: str, rows: int) -> tuple[np.ndarray | None, Reduced | None]:
    """(the vector copy, its reduced copy if the store is large), memory-mapped; Nones if
    missing or stale."""
    try:
        info = json.loads((folder / "vectors.json").read_text())
        if info.get("stamp") != stamp or info.get("rows") != rows:
            return None, None
        vectors, rows_file = _open_npy(folder / "vectors.npy")
        reduced = None
        if info.get("reduced"):
            basis = np.load(folder / "vectors-basis.npy")
            low = np.load(folder / "vectors-reduced.npy", mmap_mode="r")
            if len(low) != rows:
                return None, None
            reduced = (basis, low, rows_file)
    except (OSError, ValueError):
        return None, None
    if len(vectors) != rows or (reduced is None and rows >= REDUCED_FROM):
        return None, None
    return vectors, reduced


class VectorRows:
    """Rows of a saved .npy matrix read with pread: unlike a mapping's pages, rows read so do
    not stay in the process's RSS (the rows a large store rescores are scattered; over a few
    hundred questions their pages reached 2 GB of mapped file)."""

    def __init__(self, fd: int, offset: int, shape: tuple[int, int], dtype) -> None:
        self._fd = fd  # kept open: the very file mapped, even if replaced since
        weakref.finalize(self, os.close, fd)
        self._offset = offset
        self._dim = shape[1]
        self._dtype = np.dtype(dtype)

    def read(self, rows: np.ndarray) -> np.ndarray:
        width = self._dim * self._dtype.itemsize
        fd = self._fd
        data = b"".join(os.pread(fd, width, self._offset + int(r) * width) for r in rows)
        return np.frombuffer(data, dtype=self._dtype).reshape(len(rows), self._dim)


def _open_npy(path: Path) -> tuple[np.ndarray, VectorRows]:
    """A saved 2-d .npy file memory-mapped, and a reader of its rows on the same open file."""
    with open(path, "rb") as f:
        version = np.lib.format.read_magic(f)
        header = (
            np.lib.format.read_array_header_1_0
            if version == (1, 0)
            else np.lib.format.read_array_header_2_0
        )
        shape, fortran, dtype = header(f)
        if fortran or len(shape) != 2:
            raise ValueError(f"{path}: not a 2-d C-order array")
        offset = f.tell()
        mapped = (
            np.memmap(f, dtype=dtype, mode="r", shape=shape, offset=offset)
            if shape[0]
            else np.zeros(shape, dtype=dtype)
        )
        return mapped, VectorRows(os.dup(f.fileno()), offset, shape, dtype)
