"""The question path's MiniLM on ONNX Runtime: same vectors as sentence-transformers, no torch."""

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
