"""Syndicated copies: the same wire story republished by several outlets, found by MinHash.

A banded LSH index over word-shingle signatures finds stored or earlier articles above
THRESHOLD similarity. Signatures are stored with the article (chunk 0's metadata), so any later
ingest can rebuild the index from Chroma; it is kept compact because it grows with the archive.
"""

from __future__ import annotations

import base64
import functools
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from datasketch import MinHash

NUM_PERM = 128  # permutations: Jaccard estimates within about +-0.09 (1/sqrt(128))
SEED = 1  # fixed, so signatures from different runs compare
SCHEME = "affine32"  # datasketch's permutation scheme, pinned: stored signatures depend on it
SHINGLE_WORDS = 3  # copies differ by a headline or a credit line: short shingles tolerate it
THRESHOLD = 0.8  # estimated Jaccard similarity for two texts to be one story
# LSH bands x rows: datasketch's optimum for THRESHOLD and NUM_PERM (its MinHashLSH picks 9 x 13)
BANDS, ROWS = 9, 13
MIN_WORDS = 40  # shorter texts (feed summaries, briefs) are too alike by chance to merge
_WORD_RE = re.compile(r"\w+")


@functools.cache
def _permutations():
    """The permutations for SEED, made once: MinHash() otherwise draws them for every text."""
    return MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME).permutations


def fingerprint(text: str) -> str:
    """The text's MinHash signature as a compact string, or "" when the text is too short."""
    words = _WORD_RE.findall(text.lower())
    if len(words) < MIN_WORDS:
        return ""
    shingles = {
        " ".join(words[i : i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1)
    }
    m = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME, permutations=_permutations())
    m.update_batch([s.encode("utf-8") for s in shingles])
    # The affine32 scheme keeps hash values below 2**32: 4 bytes each, 684 base64 characters.
    return base64.b64encode(m.hashvalues.astype("<u4").tobytes()).decode("ascii")


def _values(signature: str) -> np.ndarray | None:
    """A stored signature's hash values, or None for one of another size (other settings)."""
    try:
        values = np.frombuffer(base64.b64decode(signature), dtype="<u4")
    except ValueError:
        return None
    return values if len(values) == NUM_PERM else None


def to_minhash(signature: str) -> MinHash | None:
    """The MinHash of a stored signature, or None for one of another size (other settings)."""
    values = _values(signature)
    if values is None:
        return None
    return MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME, hashvalues=values.astype(np.uint64))


@dataclass(frozen=True)
class Original:
    """The kept copy of a story: its article id and outlet."""

    article_id: str
    source: str


class CopyFinder:
    """Finds the kept original of a near-duplicate text among the articles added to it.

    Articles are rows, numbered in the order first seen (the first seen wins when several
    originals match); each of BANDS buckets maps a band's hash to the row (or rows) with it.
    """

    def __init__(self) -> None:
        self._ids: list[str] = []
        self._sources: list[str] = []
        self._row_of: dict[str, int] = {}
        self._signatures = np.zeros((0, NUM_PERM), dtype=np.uint32)
        self._bands: list[dict[int, int | list[int]]] = [{} for _ in range(BANDS)]

    @classmethod
    def from_stored(cls, rows: Iterable[tuple[str, str, str]]) -> CopyFinder:
        """A finder holding `(article_id, source, signature)` rows, e.g. `NewsIndex.fingerprints()`."""
        finder = cls()
        for article_id, source, signature in rows:
            finder.add(article_id, source, signature)
        return finder

    def __len__(self) -> int:
        return len(self._row_of)

    def add(self, article_id: str, source: str, signature: str) -> None:
        """Index an article (replacing an older signature of the same id)."""
        values = _values(signature) if signature else None
        if values is None:
            return
        row = self._row_of.get(article_id)
        if row is None:
            row = self._new_row(article_id)
        else:
            self._unband(row)
        self._signatures[row] = values
        self._sources[row] = sys.intern(source)  # thousands of articles share a few outlets
        for bucket, key in zip(self._bands, _band_keys(values), strict=True):
            held = bucket.setdefault(key, row)
            if held != row:
                bucket[key] = [*held, row] if isinstance(held, list) else [held, row]

    def _new_row(self, article_id: str) -> int:
        row = len(self._ids)
        if row == len(self._signatures):  # grow by half: amortised appends, little slack
            grown = np.zeros((max(64, row + row // 2), NUM_PERM), dtype=np.uint32)
            grown[:row] = self._signatures
            self._signatures = grown
        self._ids.append(article_id)
        self._sources.append("")
        self._row_of[article_id] = row
        return row

    def _unband(self, row: int) -> None:
        for bucket, key in zip(self._bands, _band_keys(self._signatures[row]), strict=True):
            held = bucket.get(key)
            if held == row:
                del bucket[key]
            elif isinstance(held, list) and row in held:
                held.remove(row)

    def original_of(self, signature: str, *, article_id: str = "") -> Original | None:
        """The first-seen indexed article this signature copies (never `article_id` itself)."""
        matches = self._matches(signature, article_id)
        if not matches:
            return None
        first = min(matches)[0]
        return Original(self._ids[first], self._sources[first])

    def closest_original(self, signature: str, *, article_id: str = "") -> Original | None:
        """The indexed article this signature is most like, of those it copies; among equals
        the smallest id. Unlike `original_of`, the answer does not depend on the order the
        articles were added in: sharded ingests that add them in different orders agree."""
        matches = self._matches(signature, article_id)
        if not matches:
            return None
        best = min(matches, key=lambda m: (-m[1], self._ids[m[0]]))[0]
        return Original(self._ids[best], self._sources[best])

    def _matches(self, signature: str, article_id: str) -> list[tuple[int, float]]:
        """(row, estimated similarity) of each indexed article the signature copies."""
        values = _values(signature) if signature else None
        if values is None:
            return []
        candidates: set[int] = set()
        for bucket, key in zip(self._bands, _band_keys(values), strict=True):
            held = bucket.get(key)
            if held is not None:
                candidates.update(held if isinstance(held, list) else (held,))
        # Band collisions can fall short of the threshold: check the estimate itself.
        similar = ((row, float(np.mean(self._signatures[row] == values))) for row in candidates)
        return [(row, s) for row, s in similar if s >= THRESHOLD and self._ids[row] != article_id]


def _band_keys(values: np.ndarray) -> list[int]:
    return [hash(values[i * ROWS : (i + 1) * ROWS].tobytes()) for i in range(BANDS)]
