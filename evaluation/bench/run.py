"""`python -m evaluation.bench`: how fast the product is, next to the simplest baseline, in one run.

Ingest throughput against raw `SentenceTransformer.encode` of the same chunks; warm query latency
and peak RSS at each store size against embed-plus-one-Chroma-query (`evaluation.bench.query`);
the CLI's and the page's cold starts (`evaluation.bench.page`). `--report` writes
docs/benchmarks.md (`evaluation.bench.report`).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from evaluation.bench.page import PageUnavailable, measure_page_cold_start
from evaluation.bench.query import (
    QUESTIONS,
    QUICK_QUESTIONS,
    WARMUP_QUESTIONS,
    bench_questions,
    paired_worker,
    product_worker,
    query_worker,
    run_paired,
    run_worker,
    time_call,
)
from evaluation.bench.report import format_summary, machine, write_report
from evaluation.bench.stores import build_store
from qa.config import Settings
from qa.encoders.embeddings import ENCODE_BATCH_SIZE, load_embeddings
from qa.store import NewsIndex
from qa.types import Article, Chunk

DEFAULT_SIZES = (1_000, 10_000, 100_000)
QUICK_SIZES = (1_000,)
# The 1M scaling target's two sizes: when both are measured, they are also asked in turn in one
# process (query.paired_worker), and the target reads that pair.
PAIRED_SIZES = (100_000, 1_000_000)
INGEST_CHUNKS = 3_000  # chunks the ingest measurement produces (full run)
QUICK_INGEST_CHUNKS = 1_000
COLD_START_RUNS = 3  # of the CLI and of the page: the median is reported
WARMUP_TEXTS = 64


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m evaluation.bench", description=__doc__.splitlines()[0]
    )
    p.add_argument(
        "--sizes", help="store sizes in chunks, comma-separated (default 1000,10000,100000)"
    )
    p.add_argument("--quick", action="store_true", help="1k chunks only (under 3 minutes)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument(
        "--data", default="../shared/data/realtimeqa-dev/articles.jsonl", help="articles .jsonl"
    )
    p.add_argument("--report", help="write a markdown report (and a .png plot beside it)")
    p.add_argument(
        "--cold-runs",
        type=int,
        default=COLD_START_RUNS,
        help=f"cold starts of each kind; the median (lower middle) is reported "
        f"(default {COLD_START_RUNS})",
    )
    hidden = argparse.SUPPRESS
    p.add_argument("--ingest-chunks", type=int, help=hidden)
    p.add_argument("--questions", type=int, help=hidden)
    p.add_argument("--workdir", help=hidden)
    p.add_argument("--_worker", dest="worker", help=hidden)
    p.add_argument("--_questions-file", dest="questions_file", help=hidden)
    p.add_argument("--_product-only", dest="product_only", action="store_true", help=hidden)
    p.add_argument("--_paired", dest="paired", help=hidden)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.cold_runs < 1:
        parser.error(f"--cold-runs {args.cold_runs}: give at least 1 run")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if args.paired:
        stores = [Path(p) for p in args.paired.split(",")]
        print(json.dumps(paired_worker(stores, Path(args.questions_file))))
        return 0
    if args.worker:
        worker = product_worker if args.product_only else query_worker
        print(json.dumps(worker(Path(args.worker), Path(args.questions_file))))
        return 0
    result = run(args)
    if args.report:
        write_report(Path(args.report), result, argv if argv is not None else sys.argv[1:])
    if args.json:
        print(json.dumps(result))
    else:
        print(format_summary(result))
    return 0


def run(args: argparse.Namespace) -> dict:
    sizes = _sizes(args)
    data = Path(args.data)
    n_chunks = args.ingest_chunks or (QUICK_INGEST_CHUNKS if args.quick else INGEST_CHUNKS)
    n_questions = args.questions or (QUICK_QUESTIONS if args.quick else QUESTIONS)
    work = Path(tempfile.mkdtemp(prefix="newsqa-bench-", dir=args.workdir))
    load_before = _load_average()
    try:
        embeddings = load_embeddings()
        prefix = write_prefix(data, n_chunks, work / "articles.jsonl")
        items = prepare_file(prefix)
        ingest, vectors = measure_ingest(
            prefix, items, embeddings, work / "ingest", twice=not args.quick
        )
        questions = bench_questions(data, items, n_questions + WARMUP_QUESTIONS)
        questions_file = work / "questions.json"
        questions_file.write_text(json.dumps(questions))
        query, cold, paired = [], {}, None
        for size in sizes:
            store = work / f"store-{size}"
            _log(f"building a store of {size:,} chunks")
            build_store(store, items, vectors, size, None)  # the ingest engine's precision
            _log(f"measuring queries at {size:,} chunks")
            query.append(measure_store(store, size, questions_file))
            if not cold:  # on the smallest store: start-up, not search, is what is measured
                cold = measure_cold_starts(store, questions[WARMUP_QUESTIONS], work, args.cold_runs)
            if size == PAIRED_SIZES[1] and (small := work / f"store-{PAIRED_SIZES[0]}").is_dir():
                _log("asking the 100k and 1M stores in turn")
                paired = {
                    "chunks": list(PAIRED_SIZES),
                    **run_paired([small, store], questions_file),
                }
            if size != PAIRED_SIZES[0] or PAIRED_SIZES[1] not in sizes:
                shutil.rmtree(store, ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    info = {**machine(), "load_average_before": load_before, "load_average_after": _load_average()}
    out = {"ingest": ingest, "query": query, **cold, "machine": info}
    return out | ({"paired": paired} if paired else {})


def measure_store(store: Path, size: int, questions_file: Path) -> dict:
    """One size's row: latencies from the worker that alternates with the raw baseline, peak
    RSS from one that runs the answering path alone (the baseline's Chroma query loads an HNSW
    index the answering path never reads)."""
    product = run_worker(store, questions_file, product_only=True)
    both = run_worker(store, questions_file)
    return {
        "chunks": size,
        **both,
        "rss_mb": product["rss_mb"],
        "rss_with_baseline_mb": both["rss_mb"],
        "alone_p50_ms": product["p50_ms"],
    }


def _load_average() -> float:
    """The 1-minute load average: other work on the machine skews every figure."""
    return round(os.getloadavg()[0], 2)


def _sizes(args: argparse.Namespace) -> list[int]:
    if args.sizes:
        return [int(s) for s in args.sizes.split(",") if s.strip()]
    return list(QUICK_SIZES if args.quick else DEFAULT_SIZES)


def _log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


# -- ingest throughput -------------------------------------------------------------------------


def write_prefix(data: Path, target_chunks: int, out: Path) -> Path:
    """Copy the first lines of `data` that make about `target_chunks` chunks into `out`."""
    from ingest.chunk import split_into_chunks
    from ingest.clean import clean_article

    lines = [line for line in data.read_text(encoding="utf-8").splitlines() if line.strip()]
    kept, total = [], 0
    for line in lines:
        if total >= target_chunks:
            break
        kept.append(line)
        for article in _articles_of(line, out.parent / "one.jsonl"):
            total += len(split_into_chunks(clean_article(article)))
    out.write_text("\n".join(kept) + "\n", encoding="utf-8")
    return out


def _articles_of(line: str, scratch: Path) -> list[Article]:
    from ingest.sources.load import load_sources

    scratch.write_text(line + "\n", encoding="utf-8")
    return [a for a in load_sources([str(scratch)]) if isinstance(a, Article)]


def prepare_file(path: Path) -> list[tuple[Article, list[Chunk]]]:
    """The (article, chunks) pairs the ingest pipeline makes of `path`: same loader, same steps."""
    from ingest.dedupe import CopyFinder
    from ingest.pipeline import Sorter, prepare
    from ingest.sources.load import load_sources

    # the pipeline's own sorter: a repeated article and a syndicated copy are skipped here too
    items, sorter = [], Sorter({}, CopyFinder())
    for item in load_sources([str(path)]):
        prepared = prepare(item)
        article = prepared.article
        if article is not None and sorter.status(article) == "added" and prepared.chunks:
            items.append((article, prepared.chunks))
    return items


def measure_ingest(
    prefix: Path, items, embeddings, store: Path, *, twice: bool
) -> tuple[dict, np.ndarray]:
    """Chunks/s of the whole pipeline, embedding with its own engine (ONNX Runtime), vs raw
    `SentenceTransformer.encode` of the same texts in this process; also returns the stored
    chunk vectors (and attaches the stored sentence vectors to the chunks of `items`)."""
    from ingest.pipeline import ingest_sources
    from ingest.throughput import engine_key

    model = embeddings._client  # the SentenceTransformer inside HuggingFaceEmbeddings
    # The same strings the model sees through LangChain (it replaces newlines).
    texts = [c.embed_text.replace("\n", " ") for _, cs in items for c in cs]
    encode = lambda: model.encode(  # noqa: E731
        texts, batch_size=ENCODE_BATCH_SIZE, normalize_embeddings=True, show_progress_bar=False
    )
    model.encode(texts[:WARMUP_TEXTS], batch_size=ENCODE_BATCH_SIZE)
    _log(f"raw encode of {len(texts):,} chunks")
    vectors, raw_s = time_call(encode)
    settings = Settings(store_dir=store)
    _log(f"full ingest of {len(items):,} articles")
    with NewsIndex(settings) as index:
        index.embeddings.embed_documents(texts[:WARMUP_TEXTS])  # loaded and warm, as raw is
        summary, pipeline_s = time_call(
            lambda: ingest_sources([str(prefix)], settings=settings, index=index, progress=False)
        )
        vectors = stored_vectors(index, items, np.asarray(vectors, dtype=np.float32))
        engine = engine_key(settings.embedding_model, index.embeddings)
    if twice:
        _log("raw encode again")
        raw_s = (raw_s + time_call(encode)[1]) / 2
    chunks = summary.chunks_written
    if chunks != len(texts):
        _log(f"warning: the pipeline wrote {chunks} chunks, the raw baseline encoded {len(texts)}")
    result = {
        "chunks": chunks,
        "articles": len(items),
        "engine": engine,
        "seconds": round(pipeline_s, 2),
        "raw_seconds": round(raw_s, 2),
        "chunks_per_s": round(chunks / pipeline_s, 2),
        "raw_chunks_per_s": round(len(texts) / raw_s, 2),
    }
    result["ratio"] = round(result["chunks_per_s"] / result["raw_chunks_per_s"], 3)
    return result, np.asarray(vectors, dtype=np.float32)


def stored_vectors(index: NewsIndex, items, fallback: np.ndarray) -> np.ndarray:
    """The chunk vectors the pipeline stored for `items`, in order, with each chunk's stored
    sentence vectors attached (so the copies in larger stores answer as ingested stores do);
    `fallback` (the raw encode) for any chunk the pipeline did not store."""
    chunks = [c for _, cs in items for c in cs]
    out = fallback.copy()
    for start in range(0, len(chunks), 1000):
        part = chunks[start : start + 1000]
        got = index.collection.get(ids=[c.id for c in part], include=["embeddings", "metadatas"])
        found = {
            cid: (vec, meta or {})
            for cid, vec, meta in zip(got["ids"], got["embeddings"], got["metadatas"], strict=True)
        }
        for i, c in enumerate(part, start):
            if c.id in found:
                out[i] = found[c.id][0]
                c.sentence_vectors = found[c.id][1].get("sentence_vectors")
                c.head_vector = found[c.id][1].get("head_vector")
    return out


# -- cold starts -----------------------------------------------------------------------------------


def measure_cold_starts(store: Path, question: str, work: Path, runs: int) -> dict:
    """The CLI's and the page's cold start on `store`, each the median of `runs` starts (the
    lower middle one for an even count; one start varies by a fifth on this machine), every
    run listed beside it. When the page's is not measured or any of its runs fails, it is
    None and `page_cold_start_error` says why."""
    _log(f"measuring the CLI cold start ({runs} runs)")
    cli = [measure_cold_start(store, question) for _ in range(runs)]
    _log(f"measuring the page cold start ({runs} runs)")
    pages, error = [], None
    try:
        for _ in range(runs):
            pages.append(measure_page_cold_start(store, question, work / "streamlit.log"))
    except PageUnavailable as e:  # no browser here: say so in the report, measure the rest
        error = f"not measured: {e}"
        _log(f"page cold start {error}")
    except Exception as e:  # reported as failed, not lost: the other figures took long to make
        error = f"failed: {(str(e) or type(e).__name__).splitlines()[0]}"
        _log(f"the page cold start failed: {e}")
    page = None
    if pages and error is None:
        runs_s = [p["seconds"] for p in pages]
        median = statistics.median_low(runs_s)  # a real run, so its sub-timings go with it
        page = {**next(p for p in pages if p["seconds"] == median), "runs_s": runs_s}
    return {
        "cold_start_s": statistics.median_low(cli),
        "cold_start_runs_s": cli,
        "page_cold_start": page,
        "page_cold_start_error": error,
    }


def measure_cold_start(store: Path, question: str) -> float:
    """Wall seconds of `python -m qa ask QUESTION --store STORE --json`, process start to answer."""
    cmd = [sys.executable, "-m", "qa", "ask", question, "--store", str(store), "--json"]
    (done, seconds) = time_call(
        lambda: subprocess.run(cmd, capture_output=True, text=True, check=False)
    )
    if done.returncode != 0:
        raise RuntimeError(f"`{' '.join(cmd)}` failed:\n{done.stderr[-3000:]}")
    json.loads(done.stdout)  # it really answered
    return round(seconds, 2)


if __name__ == "__main__":
    sys.exit(main())
