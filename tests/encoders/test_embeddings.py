"""qa.encoders.embeddings: sentence vectors, their packing, and the checks on the model's weights."""

from __future__ import annotations

import numpy as np
import pytest

from qa.encoders.embeddings import (
    embed_by_sentence,
    file_sha256,
    pack_vectors,
    resolve_model_path,
    unpack_vectors,
    verify_weights,
)
from qa.errors import ModelError


def test_pack_round_trip_and_damage(embeddings):
    chunk_vectors, per_chunk, heads = embed_by_sentence(
        embeddings, ["Putin called Xi. He proposed talks in Minsk.", "He proposed talks in Minsk."]
    )
    assert heads == [None, None]  # no head given
    assert chunk_vectors.shape == (2, len(embeddings.embed_query("x")))
    assert [len(v) for v in per_chunk] == [2, 1]
    assert np.allclose(per_chunk[0][1], per_chunk[1][0])  # a shared sentence, embedded once
    headed, _, (head,) = embed_by_sentence(
        embeddings, ["He proposed talks in Minsk."], ["Minsk talks"]
    )
    assert float(np.dot(headed[0], chunk_vectors[1])) < 0.999  # the title counts in the mean
    assert head.shape == (1, chunk_vectors.shape[1])
    assert float(head[0] @ np.asarray(embeddings.embed_query("Minsk talks"))) > 0.999
    back = unpack_vectors(pack_vectors(per_chunk[0]))
    assert back.shape == per_chunk[0].shape
    assert np.all(np.sum(back * per_chunk[0], axis=1) > 0.999)
    assert unpack_vectors("not base64!") is None
    assert unpack_vectors(pack_vectors(per_chunk[0])[:-8]) is None


@pytest.mark.parametrize("text", ["", "   ", "no sentence end here"])
def test_texts_without_sentences_still_get_a_vector(embeddings, text):
    chunk_vectors, per_chunk, _ = embed_by_sentence(embeddings, [text])
    assert chunk_vectors.shape[0] == 1 and len(per_chunk[0]) == 1
    assert abs(float(np.linalg.norm(chunk_vectors[0])) - 1.0) < 1e-5


def test_a_folder_without_safetensors_is_not_a_model(tmp_path):
    with pytest.raises(ModelError, match="not a folder with model.safetensors"):
        resolve_model_path(str(tmp_path))


def test_weights_are_refused_when_a_file_is_missing_or_altered(tmp_path):
    official, altered = tmp_path / "official", tmp_path / "altered"
    for folder, data in ((official, b"the official weights"), (altered, b"other weights")):
        folder.mkdir()
        (folder / "model.safetensors").write_bytes(data)
    expected = {"model.safetensors": file_sha256(official / "model.safetensors")}
    verify_weights(official, expected)
    with pytest.raises(ModelError, match="not the official"):
        verify_weights(altered, expected)
    with pytest.raises(ModelError, match="tokenizer.json is missing"):
        verify_weights(official, {"tokenizer.json": "0" * 64})
