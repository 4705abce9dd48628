"""Optional reranking of the best fused candidates by a local cross-encoder (NEWSQA_RERANKER).

Reading question and passage together judges relevance better than two embeddings, but is far
slower, so it reads only the best NEWSQA_RERANK_DEPTH. None ships; local safetensors only.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol, cast

from qa.errors import ModelError
from qa.types import Passage

RERANK_BATCH_SIZE = 16


class Reranker(Protocol):
    """Anything that scores (question, passage text) pairs: higher means more relevant."""

    name: str

    def scores(self, question: str, texts: list[str]) -> list[float]: ...


@dataclass
class CrossEncoderReranker:
    """A sentence-transformers CrossEncoder read from a local folder."""

    name: str
    model: Any  # sentence_transformers.CrossEncoder

    def scores(self, question: str, texts: list[str]) -> list[float]:
        if not texts:
            return []
        pairs = [(question, t) for t in texts]
        out = self.model.predict(pairs, batch_size=RERANK_BATCH_SIZE, show_progress_bar=False)
        return [float(s) for s in out]


@lru_cache(maxsize=2)
def load_reranker(path: str) -> CrossEncoderReranker:
    """The cross-encoder in folder `path`, loaded once per process; ModelError if it can't be."""
    folder = Path(path).expanduser()
    if not (folder / "config.json").is_file() or not (folder / "model.safetensors").is_file():
        raise ModelError(
            f"Reranker {path!r} is not a folder with config.json and model.safetensors: set "
            "NEWSQA_RERANKER (or --reranker) to a local sentence-transformers cross-encoder "
            "folder, or to 'none' to rank without one."
        )
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sentence_transformers import CrossEncoder

    try:
        model = CrossEncoder(
            str(folder),
            device="cpu",
            trust_remote_code=False,
            local_files_only=True,
            model_kwargs={"use_safetensors": True},
        )
    except (OSError, ValueError) as e:
        raise ModelError(f"Could not load the reranker from {folder}: {e}") from e
    return CrossEncoderReranker(name=folder.name, model=model)


def rerank(
    reranker: Reranker, question: str, passages: list[Passage], *, depth: int
) -> list[Passage]:
    """`passages` with the first `depth` reordered by the reranker's score (kept on each as
    `rerank`); the rest follow in their order. Ranks are renumbered from 1."""
    head, tail = passages[:depth], passages[depth:]
    for p, s in zip(head, reranker.scores(question, [_text(p) for p in head]), strict=True):
        p.rerank = s
    out = sorted(head, key=lambda p: cast(float, p.rerank), reverse=True) + tail  # all scored
    for rank, p in enumerate(out, 1):
        p.rank = rank
    return out


def _text(p: Passage) -> str:
    """What the reranker reads: the passage with its title, as it was embedded."""
    return f"{p.title}\n{p.text}" if p.title else p.text
