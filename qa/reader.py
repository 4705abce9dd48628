"""The reader: a cross-encoder trained on news questions that scores candidate sentences.

It reads question and sentence together, so it tells an answer from a look-alike, which cosine
cannot. Shipped in `qa/reader_model/` as int8 ONNX (see its MODEL_CARD.md), checked by SHA-256.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np

from qa.embeddings import file_sha256
from qa.errors import ModelError

SHIPPED = Path(__file__).parent / "reader_model"
MODEL_FILE = "reader.onnx"
TOKENIZER_FILE = "tokenizer.json"
SUMS_FILE = "SHA256SUMS"
DEFAULT_MAX_LENGTH = 96
BATCH_SIZE = 4  # pairs per run, sorted by length: 25 % faster than one padded batch of 8
_INPUTS = {"input_ids": "ids", "attention_mask": "attention_mask", "token_type_ids": "type_ids"}
FIX = "restore it with `git checkout qa/reader_model` (or set NEWSQA_READER=none to answer without it)"


class ReaderError(ModelError):
    """The reader's files are missing or not the ones recorded beside them."""


def verify(folder: Path) -> None:
    """Refuse a reader whose files are missing or differ from its SHA256SUMS."""
    sums = folder / SUMS_FILE
    if not sums.is_file():
        raise ReaderError(f"The reader's checksum file {sums} is missing: {FIX}.")
    for line in sums.read_text().splitlines():
        digest, _, name = line.strip().partition("  ")
        file = folder / name
        if not file.is_file():
            raise ReaderError(f"The reader file {file} is missing: {FIX}.")
        if file_sha256(file) != digest:
            raise ReaderError(
                f"The reader file {file} does not match its SHA-256 in {sums}: {FIX}."
            )


class OnnxReader:
    """Scores (question, sentence) pairs with the exported cross-encoder: higher answers better."""

    def __init__(
        self, folder: Path, *, max_length: int | None = None, check_sums: bool = True
    ) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        if check_sums:
            verify(folder)
        config = folder / "reader.json"
        if max_length is None:
            max_length = (
                json.loads(config.read_text()).get("max_length", DEFAULT_MAX_LENGTH)
                if config.is_file()
                else DEFAULT_MAX_LENGTH
            )
        self.name = folder.name
        self._tokenizer = Tokenizer.from_file(str(folder / TOKENIZER_FILE))
        self._tokenizer.enable_truncation(max_length=max_length, strategy="longest_first")
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 2
        options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(
            str(folder / MODEL_FILE), options, providers=["CPUExecutionProvider"]
        )
        self._inputs = {i.name for i in self._session.get_inputs()}

    def scores(self, question: str, texts: list[str]) -> list[float]:
        """One logit per text, in order.

        Pairs are read in batches of similar length, so little is spent on padding; a pair's
        score does not depend on its batch (static int8 activations, tested)."""
        encodings = self._tokenizer.encode_batch([(question, t) for t in texts])
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        out = [0.0] * len(texts)
        for start in range(0, len(order), BATCH_SIZE):
            batch = order[start : start + BATCH_SIZE]
            width = max(len(encodings[i].ids) for i in batch)
            feed = {
                name: np.array(
                    [
                        getattr(encodings[i], attr) + [0] * (width - len(encodings[i].ids))
                        for i in batch
                    ],
                    dtype=np.int64,
                )
                for name, attr in _INPUTS.items()
                if name in self._inputs
            }
            logits = np.asarray(self._session.run(None, feed)[0]).reshape(-1)
            for i, logit in zip(batch, logits, strict=True):
                out[i] = float(logit)
        return out


@lru_cache(maxsize=2)
def load_reader(setting: str | None = "default") -> OnnxReader | None:
    """The reader named by NEWSQA_READER / --reader: "default" (the shipped one), "none" or
    None (off), or a folder made by `evaluation.export_reader`. Loaded once per process."""
    if setting is None or setting.lower() == "none":
        return None
    folder = SHIPPED if setting in (None, "", "default") else Path(setting).expanduser()
    if not folder.is_dir():
        raise ReaderError(
            f"Reader {str(folder)!r} is not a folder: set NEWSQA_READER to 'default', 'none' or "
            "a folder made by `python -m evaluation.export_reader`."
        )
    return OnnxReader(folder)
