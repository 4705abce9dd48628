"""ingest.throughput: the embedding rate an ingest records, kept per engine for previews."""

from __future__ import annotations

from ingest.throughput import (
    engine_key,
    planned_engine_key,
    record_throughput,
    recorded_throughput,
)
from qa.config import Settings
from qa.encoders.onnx_embeddings import INGEST_PRECISION, OnnxEmbeddings


def test_a_rate_is_recalled_only_for_the_engine_that_recorded_it():
    record_throughput("all-MiniLM-L6-v2 int8 onnx CPU", 61.234)
    record_throughput("all-MiniLM-L6-v2 fp32 torch", 22.5)
    assert recorded_throughput("all-MiniLM-L6-v2 int8 onnx CPU") == 61.23
    assert recorded_throughput("all-MiniLM-L6-v2 fp32 torch") == 22.5
    assert recorded_throughput("all-MiniLM-L6-v2 int8 onnx GPU (CUDA)") is None


def test_a_damaged_cache_is_no_rate_and_no_error(tmp_path):
    path = tmp_path / "cache" / "newsqa" / "ingest-throughput.json"  # XDG_CACHE_HOME: conftest
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    assert recorded_throughput("all-MiniLM-L6-v2 int8 onnx CPU") is None
    record_throughput("all-MiniLM-L6-v2 int8 onnx CPU", 5.0)  # rewritten, not raised
    assert recorded_throughput("all-MiniLM-L6-v2 int8 onnx CPU") in (None, 5.0)


def test_the_key_names_what_embedded(embeddings):
    onnx = OnnxEmbeddings(precision="int8")
    assert engine_key("all-MiniLM-L6-v2", onnx) == "all-MiniLM-L6-v2 int8 onnx CPU"
    assert engine_key("all-MiniLM-L6-v2", embeddings) == "all-MiniLM-L6-v2 fp32 torch"
    planned = planned_engine_key(Settings())  # what a preview looks up, without a model
    assert planned.startswith(f"all-MiniLM-L6-v2 {INGEST_PRECISION} onnx ")
