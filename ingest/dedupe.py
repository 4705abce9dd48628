"""Syndicated copies: the same wire story republished by several outlets, found by MinHash.

Each article's text gets a MinHash signature over word shingles; a MinHashLSH index finds the
stored or earlier-in-this-run articles whose estimated Jaccard similarity passes THRESHOLD.
Signatures are stored compactly with the article (chunk 0's metadata, base64), so the index
can be rebuilt from Chroma by any later ingest.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from datasketch import MinHash, MinHashLSH

NUM_PERM = 128  # permutations: Jaccard estimates within about +-0.09 (1/sqrt(128))
SEED = 1  # fixed, so signatures from different runs compare
SCHEME = "affine32"  # datasketch's permutation scheme, pinned: stored signatures depend on it
SHINGLE_WORDS = 3  # copies differ by a headline or a credit line: short shingles tolerate it
THRESHOLD = 0.8  # estimated Jaccard similarity for two texts to be one story
MIN_WORDS = 40  # shorter texts (feed summaries, briefs) are too alike by chance to merge
_WORD_RE = re.compile(r"\w+")


def fingerprint(text: str) -> str:
    """The text's MinHash signature as a compact string, or "" when the text is too short."""
    words = _WORD_RE.findall(text.lower())
    if len(words) < MIN_WORDS:
        return ""
    shingles = {
        " ".join(words[i : i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1)
    }
    m = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME)
    m.update_batch([s.encode("utf-8") for s in shingles])
    # The affine32 scheme keeps hash values below 2**32: 4 bytes each, 684 base64 characters.
    return base64.b64encode(m.hashvalues.astype("<u4").tobytes()).decode("ascii")


def to_minhash(signature: str) -> MinHash | None:
    """The MinHash of a stored signature, or None for one of another size (other settings)."""
    try:
        values = np.frombuffer(base64.b64decode(signature), dtype="<u4")
    except ValueError:
        return None
    if len(values) != NUM_PERM:
        return None
    return MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME, hashvalues=values.astype(np.uint64))


@dataclass(frozen=True)
class Original:
    """The kept copy of a story: its article id and outlet."""

    article_id: str
    source: str


class CopyFinder:
    """Finds the kept original of a near-duplicate text among the articles added to it."""

    def __init__(self) -> None:
        self._lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
        self._minhashes: dict[str, MinHash] = {}
        self._sources: dict[str, str] = {}
        self._order: dict[str, int] = {}  # first seen wins when several originals match

    @classmethod
    def from_stored(cls, rows: Iterable[tuple[str, str, str]]) -> CopyFinder:
        """A finder holding `(article_id, source, signature)` rows, e.g. `NewsIndex.fingerprints()`."""
        finder = cls()
        for article_id, source, signature in rows:
            finder.add(article_id, source, signature)
        return finder

    def __len__(self) -> int:
        return len(self._minhashes)

    def add(self, article_id: str, source: str, signature: str) -> None:
        """Index an article (replacing an older signature of the same id)."""
        m = to_minhash(signature) if signature else None
        if m is None:
            return
        if article_id in self._minhashes:
            self._lsh.remove(article_id)
        self._lsh.insert(article_id, m)
        self._minhashes[article_id] = m
        self._sources[article_id] = source
        self._order.setdefault(article_id, len(self._order))

    def original_of(self, signature: str, *, article_id: str = "") -> Original | None:
        """The first-seen indexed article this signature copies (never `article_id` itself)."""
        m = to_minhash(signature) if signature else None
        if m is None:
            return None
        # LSH candidates can fall a little short of the threshold: check the estimate itself.
        matches = [
            c
            for c in self._lsh.query(m)
            if c != article_id and self._minhashes[c].jaccard(m) >= THRESHOLD
        ]
        if not matches:
            return None
        first = min(matches, key=self._order.__getitem__)
        return Original(first, self._sources[first])
