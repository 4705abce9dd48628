"""Sentence vectors stored at ingest: what the answerer reads instead of running the model."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from qa.answer import answer_extractive, candidates_from
from qa.embeddings import embed_by_sentence, pack_vectors, unpack_vectors
from qa.retrieve import hybrid_search
from qa.sentences import sentence_spans

QUESTION = "Whom did Putin call after the conversation with Xi?"


class CountingEmbeddings:
    """The real model, counting the texts it is asked to embed."""

    def __init__(self, real) -> None:
        self.real, self.documents, self.queries = real, 0, 0

    def embed_documents(self, texts):
        self.documents += len(texts)
        return self.real.embed_documents(texts)

    def embed_query(self, text):
        self.queries += 1
        return self.real.embed_query(text)


def test_stored_sentence_vectors_are_the_sentences_embeddings(sample_index, embeddings):
    passage = hybrid_search(sample_index, "talks in Minsk", k=1)[0]
    stored = unpack_vectors(passage.sentence_vectors)
    sentences = [passage.text[s:e] for s, e in sentence_spans(passage.text)]
    assert stored is not None and len(stored) == len(sentences)
    fresh = np.asarray(embeddings.embed_documents(sentences))
    assert np.all(np.sum(stored * fresh, axis=1) > 0.999)  # int8 packing keeps the direction
    # The chunk's own vector, the one Chroma searches, is the mean of its sentences' and its
    # title's (with the date, as the chunk is headed).
    got = sample_index.collection.get(ids=[passage.chunk_id], include=["embeddings"])
    head = embeddings.embed_documents([f"{passage.title} ({passage.published_date})"])
    mean = np.vstack([fresh, head]).mean(axis=0)
    assert float(np.dot(got["embeddings"][0], mean / np.linalg.norm(mean))) > 0.999
    # The head's own vector is stored too: the answerer scores the headline with it.
    (stored_head,) = unpack_vectors(passage.head_vector)
    assert float(np.dot(stored_head, head[0])) > 0.999


def test_answering_runs_the_model_on_no_sentence(sample_index, embeddings):
    counting = CountingEmbeddings(embeddings)
    passages = hybrid_search(sample_index, QUESTION, k=10)
    vector = embeddings.embed_query(QUESTION)
    answer = answer_extractive(QUESTION, passages, counting, query_vector=vector)
    assert (counting.documents, counting.queries) == (0, 0)
    assert not answer.abstained and "Lukashenko" in answer.text
    # Passages without stored vectors (built by hand) give the same answer, embedding then.
    bare = [replace(p, sentence_vectors=None) for p in passages]
    again = answer_extractive(QUESTION, bare, counting)
    assert counting.documents > 0 and counting.queries == 1
    assert again.text == answer.text


def test_vectors_that_no_longer_match_the_sentences_are_not_used(sample_index):
    passage = hybrid_search(sample_index, "talks in Minsk", k=1)[0]
    stored = unpack_vectors(passage.sentence_vectors)
    shifted = replace(passage, sentence_vectors=pack_vectors(stored[:-1]))
    assert all(c.vector is None for c in candidates_from([shifted]))
    assert any(c.vector is not None for c in candidates_from([passage]))


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
