"""Hybrid retrieval: dense (MiniLM in Chroma) and lexical (BM25) rankings fused by rank.

Dense search finds paraphrases; BM25 finds the names, numbers and dates that MiniLM blurs.
Reciprocal rank fusion needs no score calibration between the two.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from qa.models import Passage, SearchFilters
from qa.store import NewsIndex

DEFAULT_K = 8  # passages handed to the answerer
CANDIDATES = 40  # candidates taken from each ranking before fusion
RRF_K = 60  # reciprocal rank fusion constant (Cormack et al. 2009)
MODES = ("hybrid", "dense", "lexical")


def hybrid_search(
    index: NewsIndex,
    query: str,
    *,
    k: int = DEFAULT_K,
    filters: SearchFilters = SearchFilters(),
    mode: str = "hybrid",
) -> list[Passage]:
    """The `k` best passages for `query` under `filters`, best first, with `score` and `rank` set.

    Args:
        mode: "hybrid" (both, fused), "dense" or "lexical" alone (for the ablation).
    """
    if mode not in MODES:
        raise ValueError(f"retrieval mode {mode!r} is not one of {MODES}")
    depth = max(CANDIDATES, k)
    rankings: list[list[Passage]] = []
    if mode in ("hybrid", "dense"):
        rankings.append(index.dense_search(index.embed_query(query), k=depth, filters=filters))
    if mode in ("hybrid", "lexical"):
        rankings.append(index.lexical_search(query, k=depth, filters=filters))
    fused = fuse(rankings)
    for rank, p in enumerate(fused, 1):
        p.rank = rank
    return fused[:k]


def fuse(rankings: Sequence[Sequence[Passage]], *, rrf_k: int = RRF_K) -> list[Passage]:
    """Reciprocal rank fusion; a passage keeps the dense and lexical scores of both rankings."""
    merged: dict[str, Passage] = {}
    for ranking in rankings:
        for rank, p in enumerate(ranking, 1):
            kept = merged.get(p.chunk_id)
            if kept is None:
                kept = merged[p.chunk_id] = replace(p, score=0.0)
            kept.score += 1.0 / (rrf_k + rank)
            kept.dense = p.dense if p.dense is not None else kept.dense
            kept.lexical = p.lexical if p.lexical is not None else kept.lexical
    return sorted(merged.values(), key=lambda p: p.score, reverse=True)
