"""Store guards (embedding model, vector dimension and precision, schema version) and
`python -m qa reindex`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers.articles import sample_raw_article

from ingest.pipeline import ingest_articles
from qa.config import Settings
from qa.encoders.embeddings import MINILM_DIMENSION, resolve_model_path
from qa.encoders.onnx_embeddings import INGEST_PRECISION, OnnxEmbeddings
from qa.errors import StoreError
from qa.interface.cli import main as qa_main
from qa.store import DIMENSION_KEY, SCHEMA_VERSION, NewsIndex
from qa.store.maintenance import REINDEX_SUFFIX, RETIRED_SUFFIX
from qa.store.opening import PRECISION_KEY

QUESTION = "Who proposed talks in Minsk?"


@pytest.fixture
def store(tmp_path, embeddings) -> Path:
    """A fresh store with the sample article, built with MiniLM."""
    folder = tmp_path / "store"
    with NewsIndex(Settings(store_dir=folder), embeddings=embeddings) as index:
        ingest_articles([sample_raw_article()], index, progress=False)
    return folder


@pytest.fixture
def minilm_copy(tmp_path) -> Path:
    """The same MiniLM weights under another name: a different model, as far as a store knows."""
    copy = tmp_path / "minilm-copy"
    copy.mkdir()
    source = resolve_model_path("all-MiniLM-L6-v2")
    for item in source.iterdir():
        (copy / item.name).symlink_to(item)
    return copy


def tamper(store: Path, embeddings, **changes) -> None:
    """Edit the collection metadata the guards read, as an old or foreign store would have it."""
    with NewsIndex(Settings(store_dir=store), embeddings=embeddings) as index:
        meta = dict(index.collection.metadata or {})
        meta.update(changes)
        index.collection.modify(metadata=meta)


def ask_json(store: Path, capsys) -> tuple[int, dict | None, str]:
    code = qa_main(["ask", QUESTION, "--store", str(store), "--json"])
    out, err = capsys.readouterr()
    return code, json.loads(out) if code == 0 else None, err


def test_store_records_model_dimension_and_schema(store, embeddings):
    with NewsIndex(Settings(store_dir=store), embeddings=embeddings) as index:
        meta = index.collection.metadata
    assert meta["embedding_model"] == "all-MiniLM-L6-v2"
    assert meta[DIMENSION_KEY] == MINILM_DIMENSION
    assert meta["schema_version"] == SCHEMA_VERSION


def test_another_model_is_refused_until_reindexed(store, minilm_copy, monkeypatch, capsys):
    monkeypatch.setenv("NEWSQA_EMBEDDING_MODEL", str(minilm_copy))
    code, _, err = ask_json(store, capsys)
    assert code == 1
    assert "built with the embedding model 'all-MiniLM-L6-v2'" in err
    assert "python -m qa reindex" in err

    assert qa_main(["reindex", "--store", str(store)]) == 0
    assert "Re-embedded" in capsys.readouterr().out
    code, answer, err = ask_json(store, capsys)
    assert code == 0, err
    assert "Putin" in answer["answer"] and answer["citations"]
    with NewsIndex(Settings.from_env(store_dir=store)) as index:
        meta = index.collection.metadata
        assert meta["embedding_model"] == str(minilm_copy)
        assert meta[DIMENSION_KEY] == MINILM_DIMENSION
        names = {c.name for c in index._client.list_collections()}
    assert names == {"news"}  # no temporary or retired collection left behind


# What a schema-1 store's chunks lack: they were written before sentence vectors and dates.
SCHEMA_2_KEYS = ("sentence_vectors", "head_vector", "dated_sentences", "event_dates")


def make_schema_1(store: Path, embeddings) -> None:
    """Rewrite `store` as schema 1 left it: no sentence vectors or dates on any chunk."""
    with NewsIndex(Settings(store_dir=store), embeddings=embeddings) as index:
        got = index.collection.get(include=["embeddings", "documents", "metadatas"])
        index.collection.delete(ids=got["ids"])
        index.collection.add(
            ids=got["ids"],
            embeddings=got["embeddings"],
            documents=got["documents"],
            metadatas=[
                {k: v for k, v in m.items() if k not in SCHEMA_2_KEYS and not k.startswith("event")}
                for m in got["metadatas"]
            ],
        )
    tamper(store, embeddings, schema_version=1)


def test_a_schema_1_store_gets_one_line_until_reindexed(store, embeddings, capsys):
    make_schema_1(store, embeddings)
    for argv in (["stats"], ["ask", QUESTION]):
        assert qa_main([*argv, "--store", str(store)]) == 1
        (line,) = capsys.readouterr().err.strip().splitlines()
        assert f"has schema version 1; this newsqa reads version {SCHEMA_VERSION}" in line
        assert "run `python -m qa reindex` to upgrade it" in line
    assert qa_main(["reindex", "--store", str(store)]) == 0
    capsys.readouterr()
    code, answer, err = ask_json(store, capsys)
    assert code == 0, err
    assert answer["citations"]
    with NewsIndex(Settings(store_dir=store), embeddings=embeddings) as index:
        metas = index.collection.get(include=["metadatas"])["metadatas"]
        assert index.collection.metadata["schema_version"] == SCHEMA_VERSION
    assert all("sentence_vectors" in m and "dated_sentences" in m for m in metas)
    assert any("2022-02-24" in m.get("event_dates", []) for m in metas)


def test_a_store_without_a_schema_version_is_refused_not_taken_as_current(
    store, embeddings, capsys
):
    with NewsIndex(Settings(store_dir=store), embeddings=embeddings) as index:
        meta = dict(index.collection.metadata or {})
        del meta["schema_version"]
        index.collection.modify(metadata=meta)
    assert qa_main(["stats", "--store", str(store)]) == 1
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "has schema version none" in line and "python -m qa reindex" in line
    assert qa_main(["reindex", "--store", str(store)]) == 0
    capsys.readouterr()
    assert ask_json(store, capsys)[0] == 0


def test_wrong_dimension_is_refused_when_the_model_loads(store, embeddings):
    tamper(store, embeddings, **{DIMENSION_KEY: 768})
    index = NewsIndex(Settings(store_dir=store), embeddings=embeddings)
    assert index.count_chunks() > 0  # opening and counting need no model
    with pytest.raises(StoreError, match=r"768-dimensional.*makes 384.*python -m qa reindex"):
        index.embed_query(QUESTION)


def test_a_reindex_killed_between_its_renames_is_finished_on_open(store, embeddings):
    """The one window where no collection has the store's name: opening must not start empty."""
    index = NewsIndex(Settings(store_dir=store), embeddings=embeddings)
    chunks = index.count_chunks()
    index.collection  # noqa: B018 - open the client handle used below
    client = index._client
    done = client.get_collection("news")
    copy = client.create_collection(
        "news" + REINDEX_SUFFIX, embedding_function=None, metadata=dict(done.metadata)
    )
    got = done.get(include=["embeddings", "documents", "metadatas"])
    copy.add(
        ids=got["ids"],
        embeddings=got["embeddings"],
        documents=got["documents"],
        metadatas=got["metadatas"],
    )
    done.modify(name="news" + RETIRED_SUFFIX)  # the kill came here, before the second rename
    index.close()

    with NewsIndex(Settings(store_dir=store), embeddings=embeddings) as reopened:
        assert reopened.count_chunks() == chunks
        reopened.collection  # noqa: B018 - open the client handle used below
        names = {c.name for c in reopened._client.list_collections()}
        assert names == {"news"}


# -- the vectors' precision: questions are embedded with the model file the store's vectors came
# from, and vectors of another precision are never mixed in.


def test_a_new_store_records_int8_and_its_questions_use_the_int8_file(tmp_path):
    settings = Settings(store_dir=tmp_path / "store")
    with NewsIndex(settings) as index:  # no model given: ingest's own ONNX engine
        ingest_articles([sample_raw_article()], index, progress=False)
        assert index.collection.metadata[PRECISION_KEY] == INGEST_PRECISION == "int8"
        assert index.embeddings.precision == "int8"
    with NewsIndex(settings) as index:
        assert index.query_embeddings.precision == "int8"
        assert index.stats()["embedding_precision"] == "int8"
        assert index.dense_search(index.embed_query(QUESTION), k=1)


def test_a_store_from_before_the_record_stays_fp32_for_questions_and_ingests(store, embeddings):
    with NewsIndex(Settings(store_dir=store), embeddings=embeddings) as index:
        meta = dict(index.collection.metadata)
        assert meta.pop(PRECISION_KEY) == "fp32"  # torch embedded it
        index.collection.modify(metadata=meta)
    with NewsIndex(Settings(store_dir=store)) as index:
        assert index.stored_precision() == "fp32"
        assert index.query_embeddings.precision == "fp32"
        assert index.embeddings.precision == "fp32"  # the ONNX fp32 file, not int8


def test_vectors_of_another_precision_are_refused_with_the_reindex_line(store):
    int8 = OnnxEmbeddings(precision="int8")
    index = NewsIndex(Settings(store_dir=store), embeddings=int8)
    with pytest.raises(StoreError, match=r"holds fp32 vectors.*makes int8.*python -m qa reindex"):
        index.embeddings  # noqa: B018 - what upsert and reindex embed with
    index.close()


def test_a_store_of_a_precision_this_newsqa_lacks_is_refused_until_reindexed(
    store, embeddings, capsys
):
    tamper(store, embeddings, **{PRECISION_KEY: "int4"})
    assert qa_main(["stats", "--store", str(store)]) == 1
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "holds int4 vectors" in line and "python -m qa reindex" in line
    assert qa_main(["reindex", "--store", str(store)]) == 0
    capsys.readouterr()
    code, answer, _ = ask_json(store, capsys)
    assert code == 0 and not answer["abstained"]
    with NewsIndex(Settings(store_dir=store)) as index:
        assert index.stored_precision() == INGEST_PRECISION
