"""Stores of any size for the bench: the real chunks cycled under new article ids, each copy's
vectors the real ones plus small gaussian noise, renormalised, and written with
`NewsIndex.write_vectors`: minutes to build, not hours of embedding.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from qa.config import Settings
from qa.store import NewsIndex
from qa.types import Article, Chunk

NOISE_SIGMA = 0.02  # per dimension, on unit 384-d vectors: a copy keeps cosine ~0.93 to its source
NOISE_SEED = 1234
EMBEDDING_DIM_FALLBACK = 384


def build_store(folder: Path, items, vectors: np.ndarray, size: int, embeddings) -> None:
    """A store of exactly `size` chunks: the real ones first, then perturbed copies."""
    copies, copy_vectors = cycled_items(items, vectors, size)
    with NewsIndex(Settings(store_dir=folder), embeddings=embeddings) as index:
        with index.writing():
            index.write_vectors(copies, copy_vectors)
        index.refresh()  # build the catalog and BM25 now, not in the first timed question


def cycled_items(items, vectors: np.ndarray, size: int):
    """`size` chunks cycled from `items`; copy c > 0 gets new ids and noisy unit vectors."""
    rng = np.random.default_rng(NOISE_SEED)
    out, vecs, offsets, total = [], [], _offsets(items), 0
    copy = 0
    while total < size:
        for (article, chunks), start in zip(items, offsets, strict=True):
            if total >= size:
                break
            take = chunks[: size - total]
            v = vectors[start : start + len(take)]
            if copy:
                article, take = _copy_of(article, take, copy)
                v = _perturbed(v, rng)
            out.append((article, take))
            vecs.append(v)
            total += len(take)
        copy += 1
    return out, np.concatenate(vecs) if vecs else np.zeros((0, EMBEDDING_DIM_FALLBACK))


def _offsets(items) -> list[int]:
    starts, at = [], 0
    for _, chunks in items:
        starts.append(at)
        at += len(chunks)
    return starts


def _copy_of(article: Article, chunks: list[Chunk], copy: int) -> tuple[Article, list[Chunk]]:
    new_id = f"{article.id}c{copy}"
    url = f"{article.url}#copy{copy}" if article.url else ""
    return replace(article, id=new_id, url=url), [
        replace(c, article_id=new_id, url=url) for c in chunks
    ]


def _perturbed(v: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    noisy = v + rng.normal(0.0, NOISE_SIGMA, size=v.shape).astype(np.float32)
    return noisy / np.linalg.norm(noisy, axis=1, keepdims=True)
