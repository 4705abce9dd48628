"""The BM25 index kept beside Chroma (local Chroma has no sparse index).

It is derived data: built from the chunk texts Chroma holds, saved next to the store with the
store's generation stamp, and rebuilt whenever that stamp moves.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
import time
from collections.abc import Iterable
from hashlib import sha256
from itertools import islice
from pathlib import Path

import bm25s
import numpy as np
import Stemmer
from bm25s.stopwords import STOPWORDS_EN
from bm25s.tokenization import Tokenizer

from qa.store.search.top import top_rows

STEMMER_LANGUAGE = "english"
MANIFEST = "manifest.json"
TOKENIZE_BATCH = 500  # texts tokenized at a time: only their token ids are kept, not the texts
WORD_PATTERN = r"(?u)\b\w\w+\b"  # bm25s's own splitter, named so `stem_words` shares it
MAX_CACHED_STEMS = 200_000  # about 20 MB of words; the cache starts afresh past it

_WORD_RE = re.compile(WORD_PATTERN)
_STOPWORDS = frozenset(STOPWORDS_EN)
_stems: dict[str, str] = {}
_stemmers = threading.local()  # a PyStemmer object is not to be shared between threads


def make_tokenizer() -> Tokenizer:
    return Tokenizer(
        stemmer=Stemmer.Stemmer(STEMMER_LANGUAGE), stopwords="en", lower=True, splitter=WORD_PATTERN
    )


def stem_words(text: str) -> list[str]:
    """The stemmed, stopword-free words of `text`, as the BM25 tokenizer makes them (but for a
    text with no such words: [] here, where the tokenizer gives one empty word).

    For the answerer, which compares a question's words with a few hundred sentences per
    question: the stems are kept across questions (news repeats its words), where a tokenizer
    object stems every text's words afresh.
    """
    return _stemmed([w for w in _WORD_RE.findall(text.lower()) if w not in _STOPWORDS])


def stem_offsets(text: str) -> tuple[list[int], list[str]] | None:
    """`stem_words(text)` with where each word starts in `text`, so that the stems of a
    sentence of it are a slice; None for a text whose lower case changes its length (a rare
    letter such as "İ"), where the offsets would not hold."""
    lowered = text.lower()
    if len(lowered) != len(text):
        return None
    words = [m for m in _WORD_RE.finditer(lowered) if m.group() not in _STOPWORDS]
    return [m.start() for m in words], _stemmed([m.group() for m in words])


def _stemmed(words: list[str]) -> list[str]:
    """The stem of each word, from the kept stems where known."""
    stems: dict[str, str] = {}
    missing = []
    for w in set(words):
        if (stem := _stems.get(w)) is None:
            missing.append(w)
        else:
            stems[w] = stem
    if missing:
        stemmer = getattr(_stemmers, "stemmer", None)
        if stemmer is None:
            stemmer = _stemmers.stemmer = Stemmer.Stemmer(STEMMER_LANGUAGE)
        new = dict(zip(missing, stemmer.stemWords(missing), strict=True))
        stems.update(new)
        if len(_stems) > MAX_CACHED_STEMS:
            _stems.clear()
        _stems.update(new)
    return [stems[w] for w in words]


class LexicalIndex:
    """BM25 scores over rows 0..n-1 (the row order of the store's catalog)."""

    def __init__(self, retriever: bm25s.BM25 | None, tokenizer: Tokenizer, size: int) -> None:
        self._retriever = retriever
        self._tokenizer = tokenizer
        self.size = size
        # The last query's unmasked scores: a question's preferred rankings (its time window,
        # an outlet) score the same query again, and a mask only multiplies the scores.
        self._last: tuple[str, np.ndarray] | None = None

    @classmethod
    def build(cls, texts: Iterable[str]) -> LexicalIndex:
        """The index of `texts`, read once as they come (a generator over the store's pages
        never holds every text at once; the vocabulary grows in the order the texts come, as
        one `tokenize` call over all of them would grow it)."""
        tokenizer = make_tokenizer()
        ids: list[list[int]] = []
        texts = iter(texts)
        while part := list(islice(texts, TOKENIZE_BATCH)):
            ids += tokenizer.tokenize(part, update_vocab=True, return_as="ids", show_progress=False)
        if not ids:
            return cls(None, tokenizer, 0)
        retriever = bm25s.BM25()
        retriever.index(tokenizer.to_tokenized_tuple(ids), show_progress=False)
        return cls(retriever, tokenizer, len(ids))

    def scores(self, query: str, mask: np.ndarray | None = None) -> np.ndarray:
        """BM25 score of every row for `query` (0 where `mask` is 0); read-only."""
        last = self._last
        if last is None or last[0] != query:
            last = self._last = (query, self._scores(query))
        if mask is None:
            return last[1]
        return last[1] * mask.astype(np.float32)

    def _scores(self, query: str) -> np.ndarray:
        if self._retriever is None:
            scores = np.zeros(self.size, dtype=np.float32)
        else:
            ids = self._tokenizer.tokenize(
                [query], update_vocab=False, return_as="ids", show_progress=False
            )[0]
            ids = [i for i in ids if i != 0]  # 0 is the empty token unknown words map to
            scores = (
                self._retriever.get_scores_from_ids(ids)
                if ids
                else np.zeros(self.size, dtype=np.float32)
            )
        scores.flags.writeable = False  # shared by every ranking of the same query
        return scores

    def top(
        self,
        query: str,
        k: int,
        mask: np.ndarray | None = None,
        *,
        rows: np.ndarray | None = None,
    ) -> list[tuple[int, float]]:
        """The best `k` (row, score) pairs with a positive score, best first, among the rows
        `mask` keeps or the row numbers `rows` (Catalog.selection: no pass over every row)."""
        scores = self.scores(query)
        if mask is not None:
            rows = np.flatnonzero(mask)
        # only rows holding a word of the query: often a small share of a large store
        rows = np.flatnonzero(scores > 0) if rows is None else rows[scores[rows] > 0]
        return [(int(r), float(scores[r])) for r in top_rows(scores, k, rows)]

    def save(self, folder: Path, stamp: str) -> None:
        """Saved under a folder named after `stamp`, written whole under another name first:
        readers memory-map its arrays, and a file rewritten in place under a reader's mapping
        would crash it (SIGBUS)."""
        folder.mkdir(parents=True, exist_ok=True)
        name = _index_dir(stamp)
        if self._retriever is not None and not (folder / name).is_dir():
            tmp = folder / f"{name}.{os.getpid()}.{time.monotonic_ns()}.tmp"
            self._retriever.save(str(tmp))
            self._tokenizer.save_vocab(str(tmp))
            self._tokenizer.save_stopwords(str(tmp))
            try:
                os.rename(tmp, folder / name)
            except OSError:  # another process saved the same stamp's index meanwhile
                shutil.rmtree(tmp, ignore_errors=True)
        # The manifest goes last: a crash mid-save leaves no manifest claiming the new stamp.
        (folder / MANIFEST).write_text(json.dumps({"stamp": stamp, "size": self.size, "dir": name}))
        for old in folder.glob("bm25*"):  # other stamps' (a reader's mapping outlives this)
            if old.name != name and not old.name.endswith(".tmp"):
                shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, folder: Path, stamp: str) -> LexicalIndex | None:
        """The saved index if it was built for `stamp`, else None (stale or missing).

        Its score matrix is memory-mapped: a question reads the columns of its own words only,
        so a large store's index is not held whole in memory.
        """
        try:
            manifest = json.loads((folder / MANIFEST).read_text())
        except (OSError, ValueError):
            return None
        if manifest.get("stamp") != stamp or manifest.get("dir") != _index_dir(stamp):
            return None
        tokenizer = make_tokenizer()
        if manifest["size"] == 0:
            return cls(None, tokenizer, 0)
        path = str(folder / manifest["dir"])
        try:
            retriever = bm25s.BM25.load(path, mmap=True)
            tokenizer.load_vocab(path)
            tokenizer.load_stopwords(path)
        except (OSError, ValueError, KeyError):
            return None
        return cls(retriever, tokenizer, manifest["size"])


def _index_dir(stamp: str) -> str:
    return f"bm25-{sha256(stamp.encode()).hexdigest()[:16]}"
