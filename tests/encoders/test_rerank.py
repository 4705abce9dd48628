"""The pluggable reranker: a real sentence-transformers cross-encoder read from a local folder.

No trained cross-encoder installs offline here, so the tests build one from the MiniLM weights
with a freshly initialised (seeded) scoring head: a real CrossEncoder whose scores are not
those of the fused ranking, which is what the wiring has to show.
"""

from __future__ import annotations

import json

import pytest
import torch
from helpers.paths import EVAL_ARTICLES, EVAL_QUESTIONS

from qa.answering.ask import Asker, AskOptions
from qa.config import Settings
from qa.encoders.embeddings import MINILM, resolve_model_path
from qa.encoders.rerank import load_reranker
from qa.retrieval.retrieve import hybrid_search
from qa.store import NewsIndex

QUESTION = "Who proposed talks in Minsk?"


@pytest.fixture(scope="session")
def cross_encoder_dir(tmp_path_factory):
    from sentence_transformers import CrossEncoder

    torch.manual_seed(7)
    model = CrossEncoder(
        str(resolve_model_path(MINILM)),
        num_labels=1,
        local_files_only=True,
        model_kwargs={"use_safetensors": True},
    )
    folder = tmp_path_factory.mktemp("cross-encoder")
    model.save(str(folder))
    return folder


def test_reranked_passages_follow_the_cross_encoders_scores(sample_index, cross_encoder_dir):
    reranker = load_reranker(str(cross_encoder_dir))
    fused = hybrid_search(sample_index, QUESTION, k=6)
    reranked = hybrid_search(sample_index, QUESTION, k=6, reranker=reranker, rerank_depth=6)
    assert {p.chunk_id for p in reranked} == {p.chunk_id for p in fused}
    # The model's own scores, asked directly, give the order.
    texts = [f"{p.title}\n{p.text}" if p.title else p.text for p in fused]
    direct = reranker.model.predict([(QUESTION, t) for t in texts])
    by_score = [p.chunk_id for _, p in sorted(zip(direct, fused, strict=True), key=lambda x: -x[0])]
    assert [p.chunk_id for p in reranked] == by_score
    assert [p.rank for p in reranked] == list(range(1, 7))
    assert [p.rerank for p in reranked] == sorted((p.rerank for p in reranked), reverse=True)
    assert [p.chunk_id for p in reranked] != [p.chunk_id for p in fused]  # it did reorder


def test_only_the_first_depth_candidates_are_reranked(sample_index, cross_encoder_dir):
    reranker = load_reranker(str(cross_encoder_dir))
    fused = hybrid_search(sample_index, QUESTION, k=8)
    reranked = hybrid_search(sample_index, QUESTION, k=8, reranker=reranker, rerank_depth=3)
    assert {p.chunk_id for p in reranked[:3]} == {p.chunk_id for p in fused[:3]}
    assert [p.chunk_id for p in reranked[3:]] == [p.chunk_id for p in fused[3:]]
    assert all(p.rerank is None for p in reranked[3:])


def test_ask_uses_the_configured_reranker_and_can_switch_it_off(
    sample_store, embeddings, cross_encoder_dir
):
    settings = Settings(store_dir=sample_store, reranker=str(cross_encoder_dir), rerank_depth=10)
    index = NewsIndex(settings, embeddings=embeddings)
    answer = Asker(index).ask(QUESTION)
    assert all(p.rerank is not None for p in answer.passages)
    assert not answer.abstained and "Putin" in answer.text
    plain = Asker(index).ask(QUESTION, AskOptions(rerank=False))
    assert all(p.rerank is None for p in plain.passages)


def test_cli_reranker_flag(sample_store, cross_encoder_dir, capsys):
    from qa.interface.cli import main

    argv = ["ask", QUESTION, "--store", str(sample_store), "--json"]
    assert main([*argv, "--reranker", str(cross_encoder_dir)]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert not answer["abstained"] and answer["citations"]


def test_a_folder_without_a_cross_encoder_is_refused_by_name(sample_store, tmp_path, capsys):
    from qa.interface.cli import main

    missing = tmp_path / "no-such-model"
    code = main(["ask", QUESTION, "--store", str(sample_store), "--reranker", str(missing)])
    err = capsys.readouterr().err
    assert code != 0
    assert str(missing) in err and "NEWSQA_RERANKER" in err


def test_eval_ablation_gets_a_row_without_the_reranker(tmp_path, capsys, cross_encoder_dir):
    from evaluation.eval import FULL, NO_RERANK, main

    argv = ["--articles", str(EVAL_ARTICLES), "--questions", str(EVAL_QUESTIONS), "--limit", "2"]
    argv += ["--store", str(tmp_path / "s"), "--json", "--quiet", "--ablation"]
    assert main([*argv, "--reranker", str(cross_encoder_dir)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert {FULL, NO_RERANK} <= set(result["ablation"])
