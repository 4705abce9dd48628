"""Hybrid retrieval: dense (MiniLM vectors) and lexical (BM25) rankings fused by rank.

Dense search finds paraphrases; BM25 finds the names, numbers and dates that MiniLM blurs.
Reciprocal rank fusion needs no score calibration between the two.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TypeVar

from qa.config import DEFAULT_RERANK_DEPTH
from qa.encoders.rerank import Reranker, rerank
from qa.store import Hit, NewsIndex
from qa.types import Passage, SearchFilters

Ranked = TypeVar("Ranked", Hit, Passage)

DEFAULT_K = 10  # passages handed to the answerer
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
    prefer: Sequence[SearchFilters] = (),
    reranker: Reranker | None = None,
    rerank_depth: int = DEFAULT_RERANK_DEPTH,
    vector: Sequence[float] | None = None,
) -> list[Passage]:
    """The `k` best passages for `query` under `filters`, best first, with `score` and `rank` set.

    Args:
        mode: "hybrid" (both, fused), "dense" or "lexical" alone (for the ablation).
        prefer: soft preferences (a time window, a named outlet): each adds rankings restricted
            to it to the fusion, so matching passages rise without the others being excluded.
        reranker: reorders the best `rerank_depth` fused candidates (qa.encoders.rerank); None: no
            reranking.
        vector: the query's embedding, if the caller has it already.
    """
    if mode not in MODES:
        raise ValueError(f"retrieval mode {mode!r} is not one of {MODES}")
    depth = max(CANDIDATES, k)
    if vector is None and mode != "lexical":
        vector = index.embed_query(query)
    rankings = _rankings(index, query, vector, filters, mode, depth)
    for extra in prefer:
        rankings += _rankings(index, query, vector, narrow(filters, extra), mode, depth)
    fused = fuse(rankings)
    for rank, hit in enumerate(fused, 1):
        hit.rank = rank
    if reranker is None:
        return index.passages(fused[:k])  # only these are read from the store
    read = index.passages(fused[: max(rerank_depth, k)])
    return rerank(reranker, query, read, depth=rerank_depth)[:k]


def _rankings(index, query, vector, filters, mode, depth) -> list[list[Hit]]:
    out = []
    if mode in ("hybrid", "dense"):
        out.append(index.dense_hits(vector, k=depth, filters=filters))
    if mode in ("hybrid", "lexical"):
        out.append(index.lexical_hits(query, k=depth, filters=filters))
    return out


def narrow(base: SearchFilters, extra: SearchFilters) -> SearchFilters:
    """Both restrictions at once (dates intersected, lists taken from `extra` when it has them)."""
    since = max((d for d in (base.since, extra.since) if d is not None), default=None)
    until = min((d for d in (base.until, extra.until) if d is not None), default=None)
    return SearchFilters(
        sources=extra.sources or base.sources,
        topics=extra.topics or base.topics,
        since=since,
        until=until,
        include_undated=base.include_undated and extra.include_undated,
        event_since=extra.event_since if extra.event_since is not None else base.event_since,
        event_until=extra.event_until if extra.event_until is not None else base.event_until,
    )


def fuse(rankings: Sequence[Sequence[Ranked]], *, rrf_k: int = RRF_K) -> list[Ranked]:
    """Reciprocal rank fusion of hits (or passages); each keeps the dense and lexical scores of
    both rankings."""
    merged: dict[str, Ranked] = {}
    for ranking in rankings:
        for rank, p in enumerate(ranking, 1):
            kept = merged.get(p.chunk_id)
            if kept is None:
                kept = merged[p.chunk_id] = replace(p, score=0.0)
            kept.score += 1.0 / (rrf_k + rank)
            kept.dense = p.dense if p.dense is not None else kept.dense
            kept.lexical = p.lexical if p.lexical is not None else kept.lexical
    return sorted(merged.values(), key=lambda p: p.score, reverse=True)
