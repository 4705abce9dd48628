"""Each chunk's text and metadata as Chroma holds them, in catalog row order, in one file beside
the catalog: a question's passages are read from it, without Chroma.

Any read of a local Chroma collection (a `get` of ten ids, a `count`) loads its whole HNSW index
into the process, about 2 KB a chunk: 200 MB at 100k chunks, 2 GB at a million. The answering
process reads Chroma for nothing else once the derived files are current, so it never holds that
index. Derived data like the catalog: written as the store's pages stream by in a rebuild,
named after the generation stamp.
"""

from __future__ import annotations

import json
import os
import time
import weakref
from hashlib import sha256
from pathlib import Path
from typing import BinaryIO

import numpy as np


def _files(folder: Path, stamp: str) -> tuple[Path, Path]:
    key = sha256(stamp.encode()).hexdigest()[:16]
    return folder / f"passages-{key}.jsonl", folder / f"passages-{key}.offsets.npy"


class PassageWriter:
    """Appends each chunk's (document, metadata) as one JSON line; `save` makes the files."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self._folder = folder
        self._tmp = folder / f"passages.{os.getpid()}.{time.monotonic_ns()}.tmp"
        self._out: BinaryIO = open(self._tmp, "wb")  # noqa: SIM115 (closed by save or discard)
        self._offsets = [0]

    def add(self, document: str | None, metadata: dict) -> None:
        line = (
            json.dumps([document, metadata], separators=(",", ":"), sort_keys=True).encode() + b"\n"
        )
        self._out.write(line)
        self._offsets.append(self._offsets[-1] + len(line))

    def save(self, stamp: str) -> None:
        self._out.close()
        blob, offsets = _files(self._folder, stamp)
        tmp = self._folder / f"passages.{os.getpid()}.{time.monotonic_ns()}.tmp.npy"
        np.save(tmp, np.asarray(self._offsets, dtype=np.int64))
        os.replace(self._tmp, blob)  # a reader's mapping of an older file stays valid
        os.replace(tmp, offsets)
        for old in self._folder.glob("passages-*"):  # other stamps'
            if old not in (blob, offsets):
                old.unlink(missing_ok=True)

    def discard(self) -> None:
        self._out.close()
        self._tmp.unlink(missing_ok=True)


class PassageFile:
    """The saved passages of one stamp, read by row with pread: a mapping's page faults read
    ahead, and the pages of a question's scattered rows would stay in the process's RSS."""

    def __init__(self, fd: int, offsets: np.ndarray) -> None:
        self._fd = fd  # kept open: the very file, even if replaced since
        self._offsets = offsets
        weakref.finalize(self, os.close, fd)

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def read(self, row: int) -> tuple[str | None, dict]:
        """(document, metadata) of the chunk in `row`."""
        start, end = int(self._offsets[row]), int(self._offsets[row + 1])
        data = os.pread(self._fd, end - start, start)
        document, metadata = json.loads(data)
        return document, metadata


def load_passages(folder: Path, stamp: str, rows: int) -> PassageFile | None:
    """The passages saved for `stamp` if they have `rows` rows, else None."""
    blob_path, offsets_path = _files(folder, stamp)
    try:
        offsets = np.load(offsets_path)
        if len(offsets) != rows + 1:
            return None
        fd = os.open(blob_path, os.O_RDONLY)
    except (OSError, ValueError):
        return None
    if os.fstat(fd).st_size != int(offsets[-1]):
        os.close(fd)
        return None
    return PassageFile(fd, offsets)
