"""MiniLM on ONNX Runtime: the one engine that embeds questions and, at ingest, the chunks.

The verified weights are exported once at `make setup`; vectors match sentence-transformers'
(cosine >= 0.9999 measured, tested) and the export's SHA-256 is checked on load. Ingest and the
question path run the same file, so a store's vectors and a question's come from one model.
Texts are embedded in batches of similar token length (sorted, each batch padded to its own
longest): padding a short sentence to a long one's length was a third of the work.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from qa.errors import ModelError

EXPORT_DIR = Path(sys.prefix) / "share" / "newsqa"  # made by `make setup`, beside the venv
MODEL_FILE = "all-MiniLM-L6-v2.onnx"
SUMS_FILE = "all-MiniLM-L6-v2.onnx.sha256"
# The precisions a store's vectors can have, and their files. int8: the fp32 export with its
# weights quantised per output channel and its activations per run (dynamic); per channel kept
# cosine 0.992 to fp32 where one scale per tensor kept 0.959 (docs/benchmarks.md).
MODEL_FILES = {"fp32": MODEL_FILE, "int8": "all-MiniLM-L6-v2.int8.onnx"}
SUMS_SUFFIX = ".sha256"
MAX_SEQ_LENGTH = 256  # sentence-transformers' setting for all-MiniLM-L6-v2
DIMENSION = 384
BATCH_SIZE = 32  # texts per run of the session
STORED_BEFORE = "fp32"  # a store that records no precision was embedded by torch in fp32
INGEST_PRECISION = "int8"  # what a new store is embedded with; it records it (qa.store.opening)
CPU = "CPUExecutionProvider"
CUDA = "CUDAExecutionProvider"
FIX = "run `make setup` (it exports the verified MiniLM weights to ONNX)"


def choose_providers(available: Sequence[str]) -> list[str]:
    """The execution providers to embed with, best first: CUDA when this ONNX Runtime has it
    (the onnxruntime-gpu build on a machine with a GPU), else the CPU."""
    return [CUDA, CPU] if CUDA in available else [CPU]


def available_providers() -> list[str]:
    """What the installed ONNX Runtime can run on (a cheap call: no session is made)."""
    import onnxruntime

    return list(onnxruntime.get_available_providers())


def device_name(providers: Sequence[str]) -> str:
    """ "GPU (CUDA)" or "CPU", for the line that says where an ingest embeds."""
    return "GPU (CUDA)" if providers and providers[0] == CUDA else "CPU"


class OnnxEmbeddings:
    """`embed_query` / `embed_documents` as LangChain's embeddings, on ONNX Runtime."""

    def __init__(
        self,
        folder: Path = EXPORT_DIR,
        tokenizer_file: Path | None = None,
        *,
        precision: str = "fp32",
        providers: Sequence[str] = (CPU,),
        threads: int = 2,
    ) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        model = folder / model_file(precision)
        verify_export(folder, precision)
        self.precision = precision
        if tokenizer_file is None:
            from qa.encoders.embeddings import MINILM, resolve_model_path

            tokenizer_file = resolve_model_path(MINILM) / "tokenizer.json"
        self._tokenizer = Tokenizer.from_file(str(tokenizer_file))
        self._tokenizer.enable_truncation(max_length=MAX_SEQ_LENGTH)
        self._tokenizer.no_padding()  # each batch is padded to its own longest text
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        # Idle pool threads must not spin after a run: they held both cores while numpy scored
        # the catalog next, and the two together took twice their time apart.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(str(model), options, providers=list(providers))
        self.providers = self._session.get_providers()
        self._inputs = {i.name for i in self._session.get_inputs()}

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [list(map(float, v)) for v in self.encode(texts)]

    def embed_query(self, text: str) -> list[float]:
        return [float(x) for x in self.encode([text])[0]]

    def encode(self, texts: Sequence[str], *, batch_size: int = BATCH_SIZE) -> np.ndarray:
        """Unit vectors, one row per text, in order; embedded in batches of similar length."""
        out = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        encodings = self._tokenizer.encode_batch(list(texts))
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            out[rows] = self._run([encodings[i] for i in rows])
        return out

    def _run(self, batch) -> np.ndarray:
        """Mean-pooled unit vectors of one batch, padded to its longest text."""
        width = max(len(e.ids) for e in batch)
        ids = np.zeros((len(batch), width), dtype=np.int64)
        types = np.zeros_like(ids)
        mask = np.zeros_like(ids)
        for row, e in enumerate(batch):
            n = len(e.ids)
            ids[row, :n], types[row, :n], mask[row, :n] = e.ids, e.type_ids, 1
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        tokens = self._session.run(None, {k: v for k, v in feed.items() if k in self._inputs})[0]
        weights = mask[:, :, None].astype(np.float32)
        pooled = (tokens * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)


def model_file(precision: str) -> str:
    """The file name of the export of `precision` ("fp32" or "int8")."""
    try:
        return MODEL_FILES[precision]
    except KeyError:
        raise ModelError(
            f"No MiniLM export of precision {precision!r}: this newsqa has "
            f"{', '.join(MODEL_FILES)}."
        ) from None


def verify_export(folder: Path, precision: str = "fp32") -> None:
    """Refuse an export that is missing or differs from the SHA-256 recorded when it was made."""
    from qa.encoders.embeddings import file_sha256

    model = folder / model_file(precision)
    sums = model.with_name(model.name + SUMS_SUFFIX)
    if not model.is_file() or not sums.is_file():
        raise ModelError(f"The ONNX embedding model {model} is missing: {FIX}.")
    recorded = json.loads(sums.read_text())
    if file_sha256(model) != recorded.get("sha256"):
        raise ModelError(f"The ONNX embedding model {model} does not match {sums}: {FIX}.")


@lru_cache(maxsize=2)
def load_onnx_embeddings(precision: str = INGEST_PRECISION) -> OnnxEmbeddings:
    """The question-path embedder of a store of `precision`, loaded and verified once per
    process (on the CPU: one question is too small a job to ship to a GPU)."""
    return OnnxEmbeddings(precision=precision)


@lru_cache(maxsize=2)
def load_ingest_embeddings(precision: str = INGEST_PRECISION) -> OnnxEmbeddings:
    """Ingest's embedder: the model file the question path runs on a store of `precision`, on
    the GPU if this ONNX Runtime has one (`choose_providers`), loaded once per process."""
    return OnnxEmbeddings(precision=precision, providers=choose_providers(available_providers()))


def export(folder: Path = EXPORT_DIR) -> Path:
    """Export the verified MiniLM weights to `folder` in fp32, then quantise that file to int8
    (idempotent: a file already valid is kept). Returns the int8 file."""
    try:
        verify_export(folder, "fp32")
    except ModelError:
        export_fp32(folder)
    try:
        verify_export(folder, "int8")
    except ModelError:
        quantise_int8(folder)
    return folder / MODEL_FILES["int8"]


def quantise_int8(folder: Path) -> None:
    """The int8 export: the fp32 file's weights quantised per output channel (dynamic: the
    activations are scaled per run). Deterministic: the same fp32 file gives the same bytes."""
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    from qa.encoders.embeddings import MINILM

    logging.getLogger().setLevel(logging.ERROR)  # "consider pre-processing": not for MatMuls
    target = folder / MODEL_FILES["int8"]
    tmp = target.with_suffix(".tmp")
    quantize_dynamic(
        str(folder / MODEL_FILE), str(tmp), weight_type=QuantType.QInt8, per_channel=True
    )
    tmp.replace(target)
    _write_sums(target, MINILM)


def _write_sums(target: Path, weights: str) -> None:
    from qa.encoders.embeddings import file_sha256

    sums = target.with_name(target.name + SUMS_SUFFIX)
    sums.write_text(
        json.dumps({"sha256": file_sha256(target), "weights": weights}, indent=2) + "\n"
    )


def export_fp32(folder: Path) -> None:
    """Export the verified MiniLM weights to `folder` as fp32 ONNX (token embeddings out)."""
    from transformers import AutoModel, AutoTokenizer

    from qa.encoders.embeddings import MINILM, resolve_model_path

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
    _write_sums(target, MINILM)


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
