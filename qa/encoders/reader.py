"""The reader: a cross-encoder trained on news questions that scores candidate sentences.

It reads question and sentence together, so it tells an answer from a look-alike, which cosine
cannot. Shipped in `qa/encoders/reader_model/` as int8 ONNX (see its MODEL_CARD.md), checked by SHA-256.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path

import numpy as np

from qa.encoders.embeddings import file_sha256
from qa.errors import ModelError

SHIPPED = Path(__file__).parent / "reader_model"
MODEL_FILE = "reader.onnx"
TOKENIZER_FILE = "tokenizer.json"
SUMS_SUFFIX = ".sha256"  # each checked file has its SHA-256 beside it, as `sha256sum` writes
CHECKED_FILES = (MODEL_FILE, TOKENIZER_FILE)
SUMS_FILE = MODEL_FILE + SUMS_SUFFIX
DEFAULT_MAX_LENGTH = 96
_INPUTS = {"input_ids": "ids", "attention_mask": "attention_mask", "token_type_ids": "type_ids"}
MAX_SPAN_TOKENS = 16  # the longest answer the span head may mark
# Pairs run side by side, one per core: a pair is too small to split across threads, and
# Onnx Runtime releases the GIL while it runs.
PARALLEL_PAIRS = max(1, min(4, os.cpu_count() or 1))
FIX = "restore it with `git checkout qa/encoders/reader_model` (or set NEWSQA_READER=none to answer without it)"


def first_segment(question: str, title: str = "") -> str:
    """What a reader trained with headlines reads before the text: the question, then the
    headline of the text's article after a separator (the text's own tokens follow)."""
    return f"{question} [SEP] {title}" if title else question


class ReaderError(ModelError):
    """The reader's files are missing or not the ones recorded beside them."""


@dataclass(frozen=True)
class ReaderBars:
    """The probabilities at which the answerer takes this reader's readings as sure, as evidence
    and as support, and its span as the answer. They depend on how the reader was trained (the shipped one, taught SQuAD
    before the news, reads plain sentences lower than one taught the news alone, whose
    probabilities saturate at 0.9-0.98), so a reader's `reader.json` may set each, chosen on the
    dev set (docs/eval.md); the defaults are the shipped reader's."""

    # When none of the best candidates reads at `sure`, the next ones are read too
    # (qa.answering.candidates), and old evidence is no answer to a question about the present
    # (qa.answering.recency).
    sure: float = 0.7
    # A sentence read at `evidence` or more is evidence whatever its cosine.
    evidence: float = 0.95
    # A short answer from a sentence read below `support` is shown with `supported` false.
    support: float = 0.003
    # The reader's span is shown in bold when it gives it `span` or more, else the answerer's
    # rules choose (qa.answering.extractive): 0.4 for the news-only reader, 0.3 for the shipped
    # one, whose spans are exact more often (2 dev and 1 held-out bold answers more).
    span: float = 0.3

    @classmethod
    def from_config(cls, config: dict, source: Path) -> ReaderBars:
        """The bars `config` (a reader.json) sets, the defaults for the rest."""
        values = {}
        for name in BAR_NAMES:
            if name not in config:
                continue
            value = config[name]
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
                raise ReaderError(
                    f"{source}: {name!r} must be a probability from 0 to 1, not {value!r}: "
                    f"fix it, or remove it for the default {getattr(cls, name)}."
                )
            values[name] = float(value)
        return cls(**values)


BAR_NAMES = tuple(f.name for f in fields(ReaderBars))  # the keys of reader.json that are bars


def bars_of(reader) -> ReaderBars:
    """`reader.bars`, or the defaults for a reader that sets none (a stand-in in a test)."""
    bars = getattr(reader, "bars", None)
    return bars if isinstance(bars, ReaderBars) else ReaderBars()


def verify(folder: Path) -> None:
    """Refuse a reader whose files are missing or differ from the SHA-256 recorded beside them."""
    for name in CHECKED_FILES:
        file, sums = folder / name, folder / (name + SUMS_SUFFIX)
        if not file.is_file():
            raise ReaderError(f"The reader file {file} is missing: {FIX}.")
        if not sums.is_file():
            raise ReaderError(f"The reader's checksum file {sums} is missing: {FIX}.")
        if file_sha256(file) != sums.read_text().split()[0]:
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
        config_file = folder / "reader.json"
        config = json.loads(config_file.read_text()) if config_file.is_file() else {}
        if max_length is None:
            max_length = config.get("max_length", DEFAULT_MAX_LENGTH)
        self.name = folder.name
        self.bars = ReaderBars.from_config(config, config_file)
        # Trained to read each text after the question and its article's headline.
        self.titles = bool(config.get("titles", False))
        self._tokenizer = Tokenizer.from_file(str(folder / TOKENIZER_FILE))
        self._tokenizer.enable_truncation(max_length=max_length, strategy="longest_first")
        self._tokenizer.no_padding()  # the file pads to the longest pair; each pair runs alone
        options = onnxruntime.SessionOptions()
        # One pair per run is too small to share: a second thread made it slower on 2 cores.
        # The cores are used by reading pairs side by side instead (PARALLEL_PAIRS).
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(
            str(folder / MODEL_FILE), options, providers=["CPUExecutionProvider"]
        )
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._pool = ThreadPoolExecutor(PARALLEL_PAIRS, thread_name_prefix="reader")

    def scores(self, question: str, texts: list[str]) -> list[float]:
        """One logit per text, in order: higher answers better."""
        return [r.logit for r in self.read(question, texts)]

    def read(
        self, question: str, texts: list[str], titles: list[str] | None = None
    ) -> list[Reading]:
        """Each text's logit and, if the model marks spans, the answer span inside it.
        `titles`: the headline of each text's article ("" for none, or for a headline itself),
        read with the question by a reader trained so; other readers ignore them.

        One pair per run: the int8 layers scale their activations per run, so a pair read alone
        gets the same result whatever else is read (tested), and nothing is spent on padding."""
        if self.titles and titles is not None:
            firsts = [first_segment(question, t) for t in titles]
        else:
            firsts = [question] * len(texts)
        encodings = self._tokenizer.encode_batch(list(zip(firsts, texts, strict=True)))
        runs = self._pool.map(self._run, encodings)
        out = []
        for encoding, text, results in zip(encodings, texts, runs, strict=True):
            span = None
            if len(results) == 3:
                span = _best_span(encoding, results[1][0], results[2][0], text)
            out.append(
                Reading(float(np.asarray(results[0]).reshape(-1)[0]), *(span or (None, None, 0.0)))
            )
        return out

    def _run(self, encoding) -> list[np.ndarray]:
        feed = {
            name: np.array([getattr(encoding, attr)], dtype=np.int64)
            for name, attr in _INPUTS.items()
            if name in self._inputs
        }
        return self._session.run(None, feed)


@dataclass(frozen=True)
class Reading:
    """What the reader made of one (question, text) pair."""

    logit: float
    start: int | None = None  # the answer span's offsets in the text, if marked
    end: int | None = None
    span_probability: float = 0.0  # P(start) x P(end) over the text's tokens

    def answer_in(self, text: str) -> str | None:
        return text[self.start : self.end] if self.start is not None else None


def _best_span(encoding, start, end, text: str) -> tuple[int, int, float] | None:
    """The highest-scoring span of at most MAX_SPAN_TOKENS of the text's own tokens."""
    tokens = [
        i
        for i, (sid, (a, b)) in enumerate(zip(encoding.sequence_ids, encoding.offsets, strict=True))
        if sid == 1 and b > a
    ]
    if not tokens:
        return None
    s = np.asarray(start, dtype=np.float64)[tokens]
    e = np.asarray(end, dtype=np.float64)[tokens]
    p_start, p_end = np.exp(s - s.max()), np.exp(e - e.max())
    p_start, p_end = p_start / p_start.sum(), p_end / p_end.sum()
    pair = np.triu(np.outer(p_start, p_end))
    pair = np.tril(pair, MAX_SPAN_TOKENS - 1)
    first, last = divmod(int(pair.argmax()), len(tokens))
    a, b = encoding.offsets[tokens[first]][0], encoding.offsets[tokens[last]][1]
    while b < len(text) and (text[b].isalnum() or text[b] == "%"):  # whole words, "5%"
        b += 1
    if a > 0 and text[a - 1] in "$£€":  # "$5", not "5"
        a -= 1
    return a, b, float(pair[first, last])


@lru_cache(maxsize=2)
def load_reader(setting: str | None = "default") -> OnnxReader | None:
    """The reader named by NEWSQA_READER / --reader: "default" (the shipped one), "none" or
    None (off), or a folder made by `evaluation.reader.export`. Loaded once per process."""
    if setting is None or setting.lower() == "none":
        return None
    folder = SHIPPED if setting in (None, "", "default") else Path(setting).expanduser()
    if not folder.is_dir():
        raise ReaderError(
            f"Reader {str(folder)!r} is not a folder: set --reader (or NEWSQA_READER) to "
            "'default', 'none' or "
            "a folder made by `python -m evaluation.reader.export`."
        )
    return OnnxReader(folder)
