"""qa.embeddings: sentence vectors, their packing, and the checks on the model's weights."""

from __future__ import annotations

import numpy as np
import pytest

from qa.embeddings import (
    embed_by_sentence,
    pack_vectors,
    unpack_vectors,
)


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
