"""Sentence vectors stored at ingest: what the answerer reads instead of running the model."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from qa.answering.candidates import candidates_from
from qa.answering.extractive import answer_extractive
from qa.encoders.embeddings import pack_vectors, unpack_vectors
from qa.news.sentences import sentence_spans
from qa.retrieval.retrieve import hybrid_search

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
