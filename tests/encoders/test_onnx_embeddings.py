"""MiniLM on ONNX Runtime, for questions and ingest: vectors as sentence-transformers', no torch."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
from helpers.commands import child_env

from qa.encoders.onnx_embeddings import (
    EXPORT_DIR,
    MODEL_FILE,
    SUMS_FILE,
    OnnxEmbeddings,
    choose_providers,
    device_name,
    verify_export,
)
from qa.errors import ModelError

QUESTIONS = [
    "Who proposed talks in Minsk?",
    "Which automaker is facing a new investigation into its self-driving features?",
    "How many people were evacuated after the wildfire reached the suburbs of Los Angeles?",
    "What did the Federal Reserve decide about interest rates this week?",
    "Lavrov",
    "Which country won the 2022 World Cup, beating France on penalties in Qatar's Lusail "
    "Stadium after a 3-3 draw that many called the greatest final ever played?",
]


@pytest.fixture(scope="module")
def onnx_embeddings() -> OnnxEmbeddings:
    return OnnxEmbeddings()


def test_vectors_agree_with_sentence_transformers(onnx_embeddings, embeddings):
    ours = onnx_embeddings.encode(QUESTIONS)  # one padded batch of uneven lengths
    reference = np.asarray(embeddings.embed_documents(QUESTIONS), dtype=np.float32)
    cosines = (ours * reference).sum(axis=1)
    assert cosines.min() >= 0.999, cosines
    alone = np.asarray(onnx_embeddings.embed_query(QUESTIONS[0]))
    assert float(alone @ reference[0]) >= 0.999  # unpadded, as a question is embedded


def test_an_altered_export_is_refused(tmp_path):
    shutil.copy(EXPORT_DIR / SUMS_FILE, tmp_path / SUMS_FILE)
    (tmp_path / MODEL_FILE).write_bytes(b"not the exported model")
    with pytest.raises(ModelError, match="does not match.*make setup"):
        verify_export(tmp_path)


def test_a_missing_export_names_the_fix(tmp_path):
    with pytest.raises(ModelError, match="is missing: run `make setup`"):
        OnnxEmbeddings(tmp_path)


def test_the_store_embeds_questions_with_onnx(sample_store):
    from qa.config import Settings
    from qa.store import NewsIndex

    with NewsIndex(Settings(store_dir=sample_store)) as index:
        assert isinstance(index.query_embeddings, OnnxEmbeddings)
        assert index.dense_search(index.embed_query(QUESTIONS[0]), k=1)


def test_the_question_path_imports_no_torch(sample_store):
    """`qa ask` answers with the reader on and never imports torch or the model libraries."""
    probe = (
        "import sys, json\n"
        "from qa.interface.cli import main\n"
        "code = main(['ask', 'Who proposed talks in Minsk?', '--json'])\n"
        "heavy = ('torch', 'sentence_transformers', 'transformers', 'langchain_core',"
        " 'langchain_huggingface', 'datasketch', 'trafilatura', 'matplotlib')\n"
        "print(json.dumps(sorted(m for m in heavy if m in sys.modules)), file=sys.stderr)\n"
        "sys.exit(code)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        env=child_env(NEWSQA_STORE=str(sample_store)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stderr.strip().splitlines()[-1]) == []
    answer = json.loads(done.stdout)
    assert answer["short_answer"] == "Putin" and not answer["abstained"]


# -- ingest's engine ---------------------------------------------------------------------------
# News sentences of uneven length, as ingest embeds them (a chunk's sentences and its title).
SENTENCES = QUESTIONS + [
    "Russian president Vladimir Putin has said he is prepared to hold talks with Ukraine, as his "
    "forces continue to advance through the country.",
    "The BBC reported it.",
    "Shares fell 3.2% on Tuesday.",
    "“We will not back down,” she said.",
]
# Measured on these sentences against sentence-transformers (2026-12-06): fp32 1.0000 every one;
# int8 0.9904 worst, 0.9935 mean (on 1,056 dev sentences: 0.968 worst, 0.992 mean).
MIN_COSINE = {"fp32": 0.9999, "int8": 0.985}
MEAN_COSINE = {"fp32": 0.9999, "int8": 0.99}


@pytest.fixture(scope="module")
def int8_embeddings() -> OnnxEmbeddings:
    return OnnxEmbeddings(precision="int8")


@pytest.mark.parametrize("precision", ["fp32", "int8"])
def test_ingest_vectors_agree_with_sentence_transformers(
    precision, onnx_embeddings, int8_embeddings, embeddings
):
    model = onnx_embeddings if precision == "fp32" else int8_embeddings
    assert model.precision == precision
    cosines = (model.encode(SENTENCES) * embed_reference(embeddings, SENTENCES)).sum(axis=1)
    assert cosines.min() >= MIN_COSINE[precision], cosines
    assert cosines.mean() >= MEAN_COSINE[precision], cosines


def embed_reference(embeddings, texts: list[str]) -> np.ndarray:
    return np.asarray(embeddings.embed_documents(texts), dtype=np.float32)


def test_batches_by_length_give_the_vectors_of_one_by_one(onnx_embeddings):
    batched = onnx_embeddings.encode(SENTENCES, batch_size=4)  # sorted, padded per batch
    alone = np.stack([onnx_embeddings.encode([s])[0] for s in SENTENCES])
    assert np.abs(batched - alone).max() <= 1e-5


def test_int8_batches_stay_close_to_one_by_one(int8_embeddings):
    """Dynamic int8 scales its activations per run, so a sentence's vector moves a little with
    its batch: measured 0.9839 worst here. A question is embedded alone."""
    batched = int8_embeddings.encode(SENTENCES, batch_size=4)
    alone = np.stack([int8_embeddings.encode([s])[0] for s in SENTENCES])
    assert (batched * alone).sum(axis=1).min() >= 0.975


def test_the_order_of_the_texts_is_kept(onnx_embeddings):
    texts = ["A long sentence about the harbour of Port Ellis and its festival.", "Short."]
    forward, backward = onnx_embeddings.encode(texts), onnx_embeddings.encode(texts[::-1])
    assert np.abs(forward - backward[::-1]).max() <= 1e-5
    assert onnx_embeddings.encode([]).shape == (0, 384)


@pytest.mark.parametrize(
    ("available", "chosen", "device"),
    [
        (["CPUExecutionProvider"], ["CPUExecutionProvider"], "CPU"),
        (
            ["CUDAExecutionProvider", "CPUExecutionProvider"],
            ["CUDAExecutionProvider", "CPUExecutionProvider"],
            "GPU (CUDA)",
        ),
        (
            ["TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider"],
            ["CUDAExecutionProvider", "CPUExecutionProvider"],
            "GPU (CUDA)",
        ),
        (["AzureExecutionProvider", "CPUExecutionProvider"], ["CPUExecutionProvider"], "CPU"),
    ],
)
def test_ingest_embeds_on_cuda_only_when_onnx_runtime_has_it(available, chosen, device):
    assert choose_providers(available) == chosen
    assert device_name(chosen) == device


def test_an_unknown_precision_is_refused():
    with pytest.raises(ModelError, match="precision 'int4'.*fp32, int8"):
        OnnxEmbeddings(precision="int4")
