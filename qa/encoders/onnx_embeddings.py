"""MiniLM on ONNX Runtime, so the question path embeds without torch (slow to start, large).

The verified weights are exported once at `make setup`; vectors match sentence-transformers'
(cosine >= 0.999, tested) and the export's SHA-256 is checked on load.
"""

from __future__ import annotations

import json
import sys
from functools import lru_cache
from pathlib import Path

import numpy as np

from qa.errors import ModelError

EXPORT_DIR = Path(sys.prefix) / "share" / "newsqa"  # made by `make setup`, beside the venv
MODEL_FILE = "all-MiniLM-L6-v2.onnx"
SUMS_FILE = "all-MiniLM-L6-v2.onnx.sha256"
MAX_SEQ_LENGTH = 256  # sentence-transformers' setting for all-MiniLM-L6-v2
BATCH_SIZE = 32
FIX = "run `make setup` (it exports the verified MiniLM weights to ONNX)"


class OnnxEmbeddings:
    """`embed_query` / `embed_documents` as LangChain's embeddings, on ONNX Runtime."""

    def __init__(self, folder: Path = EXPORT_DIR, tokenizer_file: Path | None = None) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        model = folder / MODEL_FILE
        verify_export(folder)
        if tokenizer_file is None:
            from qa.encoders.embeddings import MINILM, resolve_model_path

            tokenizer_file = resolve_model_path(MINILM) / "tokenizer.json"
        self._tokenizer = Tokenizer.from_file(str(tokenizer_file))
        self._tokenizer.enable_truncation(max_length=MAX_SEQ_LENGTH)
        self._tokenizer.enable_padding()
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 2
        # Idle pool threads must not spin after a run: they held both cores while numpy scored
        # the catalog next, and the two together took twice their time apart.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(
            str(model), options, providers=["CPUExecutionProvider"]
        )
        self._inputs = {i.name for i in self._session.get_inputs()}

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [list(map(float, v)) for v in self.encode(texts)]

    def embed_query(self, text: str) -> list[float]:
        return [float(x) for x in self.encode([text])[0]]

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit vectors, one row per text."""
        out = []
        for i in range(0, len(texts), BATCH_SIZE):
            batch = self._tokenizer.encode_batch(texts[i : i + BATCH_SIZE])
            mask = np.array([e.attention_mask for e in batch], dtype=np.int64)
            feed = {
                "input_ids": np.array([e.ids for e in batch], dtype=np.int64),
                "attention_mask": mask,
                "token_type_ids": np.array([e.type_ids for e in batch], dtype=np.int64),
            }
            tokens = self._session.run(None, {k: v for k, v in feed.items() if k in self._inputs})
            weights = mask[:, :, None].astype(np.float32)
            pooled = (tokens[0] * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
            out.append(pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12))
        return np.concatenate(out).astype(np.float32) if out else np.zeros((0, 384), np.float32)


def verify_export(folder: Path) -> None:
    """Refuse an export that is missing or differs from the SHA-256 recorded when it was made."""
    from qa.encoders.embeddings import file_sha256

    model, sums = folder / MODEL_FILE, folder / SUMS_FILE
    if not model.is_file() or not sums.is_file():
        raise ModelError(f"The ONNX embedding model {model} is missing: {FIX}.")
    recorded = json.loads(sums.read_text())
    if file_sha256(model) != recorded.get("sha256"):
        raise ModelError(f"The ONNX embedding model {model} does not match {sums}: {FIX}.")


@lru_cache(maxsize=1)
def load_onnx_embeddings() -> OnnxEmbeddings:
    """The question-path embedder, loaded and verified once per process."""
    return OnnxEmbeddings()


def export(folder: Path = EXPORT_DIR) -> Path:
    """Export the verified MiniLM weights to `folder` (idempotent: kept when already valid)."""
    try:
        verify_export(folder)
        return folder / MODEL_FILE
    except ModelError:
        pass
    from transformers import AutoModel, AutoTokenizer

    from qa.encoders.embeddings import MINILM, file_sha256, resolve_model_path

    path = resolve_model_path(MINILM)  # checks the weights' SHA-256 first
    import torch

    class TokenEmbeddings(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = AutoModel.from_pretrained(path, use_safetensors=True)

        def forward(self, **inputs):
            return self.bert(**inputs).last_hidden_state

    model = TokenEmbeddings().eval()
    sample = AutoTokenizer.from_pretrained(path)(
        ["Who proposed talks in Minsk?", "A second, longer text to pad the batch with."],
        padding=True,
        return_tensors="pt",
    )
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / MODEL_FILE
    tmp = target.with_suffix(".tmp")
    export_bert(model, sample, tmp, outputs={"token_embeddings": (0, 1)})
    tmp.replace(target)
    (folder / SUMS_FILE).write_text(
        json.dumps({"sha256": file_sha256(target), "weights": MINILM}, indent=2) + "\n"
    )
    return target


BERT_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def export_bert(model, sample, path: Path, *, outputs: dict[str, tuple[int, ...]]) -> None:
    """Export `model` (called with the three BERT inputs by keyword, returning one tensor or a
    tuple of them) to ONNX at `path`; batch and sequence are dynamic. `outputs` names each
    output and its dynamic axes ((0,) for per-pair, (0, 1) for per-token). Keywords, since the
    order of `forward`'s arguments varies by version."""
    import torch

    class Keywords(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )

    axes = {0: "batch", 1: "sequence"}
    dynamic = {n: axes for n in BERT_INPUTS}
    dynamic.update({n: {a: axes[a] for a in dims} for n, dims in outputs.items()})
    torch.onnx.export(
        Keywords().eval(),
        tuple(sample[n] for n in BERT_INPUTS),
        str(path),
        input_names=list(BERT_INPUTS),
        output_names=list(outputs),
        dynamic_axes=dynamic,
        opset_version=17,
        dynamo=False,
    )


def main() -> int:
    import os
    import warnings

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    warnings.filterwarnings("ignore")
    try:
        print(f"ONNX embedding model: {export()}")
    except ModelError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
