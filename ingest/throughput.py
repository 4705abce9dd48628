"""The embedding throughput ingests record, so that a preview (`--dry-run`) can say how long
embedding its chunks would take without loading the model. One small JSON file per machine and
user, keyed by the engine that embedded (model, precision, runtime and device): a figure of
another engine says nothing about this one (ONNX int8 embeds about 3x faster than torch did).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from qa.config import Settings

THROUGHPUT_FILE = "ingest-throughput.json"


def engine_key(model_name: str, model) -> str:
    """What embedded: "all-MiniLM-L6-v2 int8 onnx CPU", or "NAME fp32 torch" for a
    sentence-transformers model."""
    from qa.encoders.onnx_embeddings import device_name

    precision = getattr(model, "precision", "fp32")
    providers = getattr(model, "providers", None)
    runtime = f"onnx {device_name(providers)}" if providers else "torch"
    return f"{model_name} {precision} {runtime}"


def planned_engine_key(settings: Settings) -> str:
    """The engine an ingest with `settings` would embed with into a new store, found without
    loading a model (ONNX Runtime is asked which devices it has)."""
    from qa.encoders.embeddings import is_minilm
    from qa.encoders.onnx_embeddings import (
        INGEST_PRECISION,
        available_providers,
        choose_providers,
        device_name,
    )

    if not is_minilm(settings.embedding_model):
        return f"{settings.embedding_model} fp32 torch"
    device = device_name(choose_providers(available_providers()))
    return f"{settings.embedding_model} {INGEST_PRECISION} onnx {device}"


def _throughput_path() -> Path:
    """Where ingests note their embedding throughput: per machine and user, not per store."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "newsqa" / THROUGHPUT_FILE


def record_throughput(engine: str, chunks_per_s: float) -> None:
    """Note the chunks per second (embedded and written) an ingest with `engine` achieved."""
    path = _throughput_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        known = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        known[engine] = round(chunks_per_s, 2)
        path.write_text(json.dumps(known), encoding="utf-8")
    except (OSError, ValueError):
        pass  # a figure for previews only: never a reason to fail an ingest


def recorded_throughput(engine: str) -> float | None:
    """The chunks per second the last sizeable ingest with `engine` achieved on this machine."""
    try:
        rate = json.loads(_throughput_path().read_text(encoding="utf-8")).get(engine)
    except (OSError, ValueError, AttributeError):
        return None
    return float(rate) if isinstance(rate, int | float) and rate > 0 else None
