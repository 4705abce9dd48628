"""`python -m evaluation.bench`: how fast the product is, next to the simplest baseline, in one run.

1. Ingest throughput: the full pipeline (load, clean, chunk, embed, write Chroma, rebuild the
   lexical index) on real articles into a fresh store, in chunks/s, against raw
   `SentenceTransformer.encode` of exactly the same chunk texts with the same batch size, in
   the same process (raw first, after a warm-up; in a full run again after, averaged).
2. Query latency, warm: a full `Asker.ask` (the question embedded with MiniLM on ONNX Runtime,
   the configured reader rescoring the answer's candidates, as `python -m qa ask` does) against
   the cheapest way to embed the question (the same ONNX embedder) plus one bare Chroma query
   for the top k, on the same store, at each size; and the time of each step, the reader's
   scoring (`read`) apart from the rest of the answerer (`answer`). Stores larger than the
   real data are made by cycling the real chunks (text and metadata) under new article ids,
   each copy's vectors perturbed with small gaussian noise and renormalised, written with
   `NewsIndex.write_vectors`: minutes to build, not hours of embedding.
3. Memory: peak RSS of the answering process: each size is measured in its own subprocess,
   which loads what the product's question path loads (no torch, no sentence-transformers).
4. Cold starts, on the smallest store: wall seconds of `python -m qa ask ... --json` from
   process start to the printed answer, and of `streamlit run app.py` from process start to
   the first answer shown in a real headless Chromium (already running, as a reader's is).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from evaluation.metrics import percentile_ms
from qa.answer import answer_extractive
from qa.ask import Asker, AskOptions
from qa.config import Settings
from qa.embeddings import ENCODE_BATCH_SIZE, load_embeddings
from qa.models import Article, Chunk
from qa.retrieve import CANDIDATES, DEFAULT_K
from qa.store import NewsIndex

DEFAULT_SIZES = (1_000, 10_000, 100_000)
QUICK_SIZES = (1_000,)
INGEST_CHUNKS = 3_000  # chunks the ingest measurement produces (full run)
QUICK_INGEST_CHUNKS = 1_000
QUESTIONS = 40  # timed questions per size (full run)
QUICK_QUESTIONS = 20
WARMUP_QUESTIONS = 3  # untimed: load the catalog, BM25 and model caches first
WARMUP_TEXTS = 64
NOISE_SIGMA = 0.02  # per dimension, on unit 384-d vectors: a copy keeps cosine ~0.93 to its source
NOISE_SEED = 1234
EMBEDDING_DIM_FALLBACK = 384

# Targets; reported, never asserted.
TARGET_INGEST_RATIO = 0.85
TARGET_QUERY_RATIO_10K = 1.5
TARGET_SCALING_100K = 1.5
TARGET_READ_MS_10K = 60.0  # the reader's added warm p50
TARGET_RSS_MB = {10_000: 700.0, 100_000: 1200.0}  # peak RSS of the answering process
TARGET_CLI_COLD_START_S = 2.5
TARGET_PAGE_COLD_START_S = 4.0

# The page cold start: a real server driven by a real headless Chromium, every wait bounded.
APP = Path(__file__).resolve().parent.parent / "app.py"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SERVER_START_S = 90.0  # generous: a failure, not a figure; the figure is measured, not capped
PAGE_TIMEOUT_MS = 120_000  # per wait; a busy 2-core machine took 50 s to show the page
HEALTH_POLL_S = 0.05  # polled this often, so the poll adds little to the figure

# From this heading on, docs/benchmarks.md is written by `python -m evaluation.bench_dumps`:
# a report rewritten here keeps it.
DUMPS_HEADING = "## Ingesting dumps"


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
    hidden = argparse.SUPPRESS
    p.add_argument("--ingest-chunks", type=int, help=hidden)
    p.add_argument("--questions", type=int, help=hidden)
    p.add_argument("--workdir", help=hidden)
    p.add_argument("--_worker", dest="worker", help=hidden)
    p.add_argument("--_questions-file", dest="questions_file", help=hidden)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if args.worker:
        print(json.dumps(query_worker(Path(args.worker), Path(args.questions_file))))
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
        query, cold = [], {}
        for size in sizes:
            store = work / f"store-{size}"
            _log(f"building a store of {size:,} chunks")
            build_store(store, items, vectors, size, embeddings)
            _log(f"measuring queries at {size:,} chunks")
            query.append({"chunks": size, **run_worker(store, questions_file)})
            if not cold:  # on the smallest store: start-up, not search, is what is measured
                cold = measure_cold_starts(store, questions[WARMUP_QUESTIONS], work)
            shutil.rmtree(store, ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    info = {**machine(), "load_average_before": load_before, "load_average_after": _load_average()}
    return {"ingest": ingest, "query": query, **cold, "machine": info}


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
    from ingest.load import load_sources

    scratch.write_text(line + "\n", encoding="utf-8")
    return [a for a in load_sources([str(scratch)]) if isinstance(a, Article)]


def prepare_file(path: Path) -> list[tuple[Article, list[Chunk]]]:
    """The (article, chunks) pairs the ingest pipeline makes of `path`: same loader, same steps."""
    from ingest.load import load_sources
    from ingest.pipeline import prepare

    items, seen = [], set()
    for item in load_sources([str(path)]):
        prepared = prepare(item)
        article = prepared.article
        if article is not None and prepared.chunks and article.id not in seen:
            seen.add(article.id)  # the pipeline skips a repeated article too
            items.append((article, prepared.chunks))
    return items


def measure_ingest(
    prefix: Path, items, embeddings, store: Path, *, twice: bool
) -> tuple[dict, np.ndarray]:
    """Chunks/s of the whole pipeline vs raw encode of the same texts; also returns the stored
    chunk vectors (and attaches the stored sentence vectors to the chunks of `items`)."""
    from ingest.pipeline import ingest_sources

    model = embeddings._client  # the SentenceTransformer inside HuggingFaceEmbeddings
    # The same strings the model sees through LangChain (it replaces newlines).
    texts = [c.embed_text.replace("\n", " ") for _, cs in items for c in cs]
    encode = lambda: model.encode(  # noqa: E731
        texts, batch_size=ENCODE_BATCH_SIZE, normalize_embeddings=True, show_progress_bar=False
    )
    model.encode(texts[:WARMUP_TEXTS], batch_size=ENCODE_BATCH_SIZE)
    _log(f"raw encode of {len(texts):,} chunks")
    vectors, raw_s = _timed(encode)
    settings = Settings(store_dir=store)
    _log(f"full ingest of {len(items):,} articles")
    with NewsIndex(settings, embeddings=embeddings) as index:
        summary, pipeline_s = _timed(
            lambda: ingest_sources([str(prefix)], settings=settings, index=index, progress=False)
        )
        vectors = stored_vectors(index, items, np.asarray(vectors, dtype=np.float32))
    if twice:
        _log("raw encode again")
        raw_s = (raw_s + _timed(encode)[1]) / 2
    chunks = summary.chunks_written
    if chunks != len(texts):
        _log(f"warning: the pipeline wrote {chunks} chunks, the raw baseline encoded {len(texts)}")
    result = {
        "chunks": chunks,
        "articles": len(items),
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


def _timed(call: Callable):
    start = time.perf_counter()
    value = call()
    return value, time.perf_counter() - start


# -- stores of any size --------------------------------------------------------------------------


def build_store(folder: Path, items, vectors: np.ndarray, size: int, embeddings) -> None:
    """A store of exactly `size` chunks: the real ones first, then perturbed copies."""
    copies, copy_vectors = cycled_items(items, vectors, size)
    with NewsIndex(Settings(store_dir=folder), embeddings=embeddings) as index:
        with index.writing():
            index.write_vectors(copies, copy_vectors)
        index.refresh()  # build the catalog and BM25 now, not in the first timed question


def cycled_items(items, vectors: np.ndarray, size: int):
    """`size` chunks cycled from `items`; copy c > 0 gets new ids and noisy unit vectors."""
    rng = np.random.default_rng(NOISE_SEED)
    out, vecs, offsets, total = [], [], _offsets(items), 0
    copy = 0
    while total < size:
        for (article, chunks), start in zip(items, offsets, strict=True):
            if total >= size:
                break
            take = chunks[: size - total]
            v = vectors[start : start + len(take)]
            if copy:
                article, take = _copy_of(article, take, copy)
                v = _perturbed(v, rng)
            out.append((article, take))
            vecs.append(v)
            total += len(take)
        copy += 1
    return out, np.concatenate(vecs) if vecs else np.zeros((0, EMBEDDING_DIM_FALLBACK))


def _offsets(items) -> list[int]:
    starts, at = [], 0
    for _, chunks in items:
        starts.append(at)
        at += len(chunks)
    return starts


def _copy_of(article: Article, chunks: list[Chunk], copy: int) -> tuple[Article, list[Chunk]]:
    new_id = f"{article.id}c{copy}"
    url = f"{article.url}#copy{copy}" if article.url else ""
    return replace(article, id=new_id, url=url), [
        replace(c, article_id=new_id, url=url) for c in chunks
    ]


def _perturbed(v: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    noisy = v + rng.normal(0.0, NOISE_SIGMA, size=v.shape).astype(np.float32)
    return noisy / np.linalg.norm(noisy, axis=1, keepdims=True)


# -- query latency (in a subprocess per size) ----------------------------------------------------


def bench_questions(data: Path, items, n: int) -> list[str]:
    """Real question texts: the dev questions next to `data` if there, else made from titles."""
    for candidate in (
        data.parent / "questions.jsonl",
        data.parent / data.name.replace("articles", "questions"),
    ):
        if candidate.is_file() and candidate != data:
            lines = [
                json.loads(x)
                for x in candidate.read_text(encoding="utf-8").splitlines()
                if x.strip()
            ]
            questions = [row["question"] for row in lines]
            if questions:
                return [questions[i % len(questions)] for i in range(n)]
    titles = [a.title for a, _ in items if a.title] or ["What happened this week?"]
    return [f"What is reported about {titles[i % len(titles)]}?" for i in range(n)]


def peak_rss_mb() -> float:
    """This process's peak RSS (VmHWM), warm-up included. Not ru_maxrss: Linux keeps that
    across fork and exec, so a worker started by the bench (which holds the embedding model)
    reported the bench's own 1.8 GB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def run_worker(store: Path, questions_file: Path) -> dict:
    """Measure one store in a fresh process, so its peak RSS is this size's alone."""
    cmd = [
        sys.executable,
        "-m",
        "evaluation.bench",
        "--_worker",
        str(store),
        "--_questions-file",
        str(questions_file),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"the query worker failed on {store}:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def query_worker(store: Path, questions_file: Path) -> dict:
    """Warm p50/p95 of `Asker.ask` and of the raw baseline, a per-stage breakdown, and peak RSS.

    The index gets no embedding model, so it embeds questions as the product does (MiniLM on
    ONNX Runtime) and torch is never loaded: the peak RSS is the question path's own. The
    reader is the configured one (NEWSQA_READER), as for `python -m qa ask`; no LLM."""
    questions = json.loads(questions_file.read_text())
    index = NewsIndex(Settings(store_dir=store, reader=Settings.from_env().reader))
    asker = Asker(index)
    # Asked as a reader of a live store asks, "as of today" = the newest article's day: the
    # as-of filter and the preference for the weeks before it apply, as on the page and CLI.
    options = AskOptions(as_of=newest_day(index))
    # The baseline embeds the question the cheapest way available: the same ONNX embedder.
    raw = lambda q: index.raw_query(index.embed_query(q), k=options.k)  # noqa: E731
    for q in questions[:WARMUP_QUESTIONS]:
        asker.ask(q, options)
        raw(q)
    ours, base, stages = [], [], []
    for q in questions[WARMUP_QUESTIONS:]:  # alternate, so drift hits both sides alike
        ours.append(_timed(lambda q=q: asker.ask(q, options))[1] * 1000)
        base.append(_timed(lambda q=q: raw(q))[1] * 1000)
        stages.append(stage_times(asker, q, options))
    p50, raw_p50 = percentile_ms(ours, 50), percentile_ms(base, 50)
    reader = asker.reader(options)
    return {
        "p50_ms": round(p50, 1),
        "p95_ms": round(percentile_ms(ours, 95), 1),
        "raw_p50_ms": round(raw_p50, 1),
        "raw_p95_ms": round(percentile_ms(base, 95), 1),
        "ratio": round(p50 / raw_p50, 2) if raw_p50 else None,
        "rss_mb": peak_rss_mb(),
        "stages_p50_ms": {k: round(percentile_ms([s[k] for s in stages], 50), 1) for k in stages[0]}
        if stages
        else {},
        "questions": len(ours),
        "reader": reader.name if reader is not None else None,
        "question_embedder": type(index.query_embeddings).__name__,
        # The figures above hold for the product only if this process never loaded torch.
        "torch_loaded": "torch" in sys.modules or "sentence_transformers" in sys.modules,
    }


def newest_day(index: NewsIndex) -> datetime | None:
    """The publication day of the store's newest article (None if nothing is dated)."""
    published = index.catalog.published
    newest = int(published.max()) if len(published) else -1
    return datetime.fromtimestamp(newest, UTC) if newest >= 0 else None


def stage_times(asker: Asker, question: str, options: AskOptions) -> dict[str, float]:
    """Milliseconds of each step `Asker.ask` takes with `options`, timed one by one.

    A profile, not the product path: it repeats the steps of `hybrid_search` and the
    extractive answerer so the report can say where the time goes. "preferred" is the extra
    dense and BM25 rankings restricted to the question's time window (and any named outlet).
    "read" is the reader's scoring inside the answerer (present only with a reader), "answer"
    the rest of the answerer.
    """
    from qa.retrieve import fuse, narrow

    index = asker.index
    depth, filters = max(CANDIDATES, options.k), options.filters()
    out: dict[str, float] = {}
    _, out["refresh"] = _timed(index.refresh)
    vector, out["embed_query"] = _timed(lambda: index.embed_query(question))
    dense, out["dense_search"] = _timed(lambda: index.dense_hits(vector, k=depth, filters=filters))
    lexical, out["lexical_search"] = _timed(
        lambda: index.lexical_hits(question, k=depth, filters=filters)
    )

    def preferred() -> list:
        rankings = []
        for extra in asker.preferences(question, options):
            narrowed = narrow(filters, extra)
            rankings.append(index.dense_hits(vector, k=depth, filters=narrowed))
            rankings.append(index.lexical_hits(question, k=depth, filters=narrowed))
        return rankings

    more, out["preferred"] = _timed(preferred)
    fused, out["fuse"] = _timed(lambda: fuse([dense, lexical, *more]))
    for rank, hit in enumerate(fused, 1):
        hit.rank = rank
    passages, out["read_passages"] = _timed(lambda: index.passages(fused[: options.k]))
    reader = asker.reader(options)
    timed = TimedReader(reader) if reader is not None else None
    _, out["answer"] = _timed(
        lambda: answer_extractive(question, passages, index.query_embeddings, vector, timed)
    )
    if timed is not None:
        out["answer"] -= timed.seconds
        out["read"] = timed.seconds
    return {k: v * 1000 for k, v in out.items()}


class TimedReader:
    """The configured reader, adding up the seconds its scoring takes.

    Timed inside the one `answer_extractive` call, so the `read` step is what the reader adds
    to that very answer (`qa.answer.add_readings` is little else), not the noisy difference
    of two separate runs with and without it."""

    def __init__(self, reader) -> None:
        self._reader = reader
        self.seconds = 0.0

    def read(self, question: str, texts: list[str]) -> list:
        start = time.perf_counter()
        try:
            return self._reader.read(question, texts)
        finally:
            self.seconds += time.perf_counter() - start


# -- cold starts -----------------------------------------------------------------------------------


def measure_cold_starts(store: Path, question: str, work: Path) -> dict:
    """The CLI's and the page's cold start on `store`; when the page's is not measured or
    fails, it is None and `page_cold_start_error` says why."""
    _log("measuring the CLI cold start")
    cli = measure_cold_start(store, question)
    _log("measuring the page cold start")
    page, error = None, None
    try:
        page = measure_page_cold_start(store, question, work / "streamlit.log")
    except PageUnavailable as e:  # no browser here: say so in the report, measure the rest
        error = f"not measured: {e}"
        _log(f"page cold start {error}")
    except Exception as e:  # reported as failed, not lost: the other figures took long to make
        error = f"failed: {(str(e) or type(e).__name__).splitlines()[0]}"
        _log(f"the page cold start failed: {e}")
    return {"cold_start_s": cli, "page_cold_start": page, "page_cold_start_error": error}


def measure_cold_start(store: Path, question: str) -> float:
    """Wall seconds of `python -m qa ask QUESTION --store STORE --json`, process start to answer."""
    cmd = [sys.executable, "-m", "qa", "ask", question, "--store", str(store), "--json"]
    (done, seconds) = _timed(
        lambda: subprocess.run(cmd, capture_output=True, text=True, check=False)
    )
    if done.returncode != 0:
        raise RuntimeError(f"`{' '.join(cmd)}` failed:\n{done.stderr[-3000:]}")
    json.loads(done.stdout)  # it really answered
    return round(seconds, 2)


class PageUnavailable(RuntimeError):
    """No Chromium or no Playwright on this machine: the page cold start cannot be measured."""


def measure_page_cold_start(store: Path, question: str, log: Path) -> dict:
    """Seconds from starting `streamlit run app.py` on `store` to its first answer shown.

    The browser is launched first (a reader's browser is already running); the clock starts
    when the server process is started. Also returns when the server answered its health
    check and when the chat input appeared, to show where the time goes."""
    if not CHROMIUM.exists():
        raise PageUnavailable(f"{CHROMIUM} is missing (install the Debian package `chromium`)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as e:
        raise PageUnavailable(f"Playwright is not installed ({e})") from e
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=PAGE_TIMEOUT_MS
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(PAGE_TIMEOUT_MS)
            return _page_cold_start(page, store, question, log)
        finally:
            browser.close()


def _page_cold_start(page, store: Path, question: str, log: Path) -> dict:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    start = time.perf_counter()
    server = start_streamlit(store, port, log)
    try:
        wait_until_healthy(url, server, log)
        healthy = time.perf_counter() - start
        page.goto(url)
        box = page.get_by_test_id("stChatInputTextArea")
        # Shown once the page has loaded the models; an error (a bad store or reader) instead
        # ends the wait at once rather than at the timeout.
        alert = page.get_by_test_id("stAlert").first
        box.or_(alert).first.wait_for(state="visible")
        if not box.is_visible():
            raise RuntimeError(f"the page showed an error: {' '.join(alert.inner_text().split())}")
        ready = time.perf_counter() - start
        box.fill(question)
        box.press("Enter")
        wait_for_answer(page)
        shown = time.perf_counter() - start
    except Exception as e:  # what the page and the server said is the only clue afterwards
        raise RuntimeError(f"{e}\n{_page_text(page)}\n{_tail(log)}") from e
    finally:
        stop_server(server)
    return {
        "seconds": round(shown, 2),
        "server_up_s": round(healthy, 2),
        "input_ready_s": round(ready, 2),
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_streamlit(store: Path, port: int, log: Path) -> subprocess.Popen:
    """`streamlit run app.py` on 127.0.0.1:`port` over `store`, its output in `log`."""
    command = [sys.executable, "-m", "streamlit", "run", str(APP), "--server.port", str(port)]
    command += ["--server.headless", "true", "--server.address", "127.0.0.1"]
    # No file watcher (it costs CPU at start) and no usage statistics (nothing leaves the host).
    command += ["--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"]
    env = {**os.environ, "NEWSQA_STORE": str(store)}
    with log.open("w") as out:
        return subprocess.Popen(
            command, cwd=APP.parent, env=env, stdout=out, stderr=subprocess.STDOUT
        )


def wait_until_healthy(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"streamlit exited with {server.returncode}:\n{_tail(log)}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(HEALTH_POLL_S)
    raise RuntimeError(f"streamlit was not up within {SERVER_START_S:g} s:\n{_tail(log)}")


# True once the assistant's message shows the whole answer (or the abstention), or an error.
# The answer is streamed into the message under a "Searching the articles…" spinner that goes
# once the last of it is written: text with the spinner still there is a partial answer.
_ANSWER_SHOWN_JS = """() => {
  const messages = document.querySelectorAll('[data-testid="stChatMessage"]');
  if (messages.length < 2) return false;
  const reply = messages[1];
  const alert = reply.querySelector('[data-testid="stAlert"]');
  if (alert) return 'error: ' + alert.innerText;
  if (reply.querySelector('[data-testid="stSpinner"]')) return false;
  const shown = [...reply.querySelectorAll('[data-testid="stMarkdown"]')]
    .filter(e => e.innerText.trim());
  return shown.length > 0 ? 'answer' : false;
}"""


def wait_for_answer(page) -> None:
    shown = page.wait_for_function(_ANSWER_SHOWN_JS, timeout=PAGE_TIMEOUT_MS).json_value()
    if shown != "answer":
        raise RuntimeError(f"the page showed an error instead of an answer: {shown}")


def stop_server(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=10)


def _page_text(page) -> str:
    try:
        return "page: " + page.inner_text("body", timeout=5_000)[-2000:]
    except Exception as e:  # the page may be gone with the browser
        return f"page: unreadable ({e})"


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:] if log.exists() else ""


# -- output -----------------------------------------------------------------------------------------


def machine() -> dict:
    import torch

    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "python": platform.python_version(),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def targets(result: dict) -> list[tuple[str, str, bool | None]]:
    """(target, measured, met) for each target; met is None when not measured."""
    by_size = {q["chunks"]: q for q in result["query"]}
    q10, q100 = by_size.get(10_000, {}), by_size.get(100_000, {})
    scaling = q100["p50_ms"] / q10["p50_ms"] if q10 and q100 else None
    page = result.get("page_cold_start") or {}
    page_failed = (result.get("page_cold_start_error") or "").startswith("failed")
    rows = [
        _target(
            f"ingest >= {TARGET_INGEST_RATIO} x raw encode",
            result["ingest"]["ratio"],
            "{:.2f}",
            TARGET_INGEST_RATIO,
            at_least=True,
        ),
        _target(
            f"warm p50 <= {TARGET_QUERY_RATIO_10K:g} x raw at 10k chunks",
            q10.get("ratio"),
            "{:.2f}x",
            TARGET_QUERY_RATIO_10K,
        ),
        _target(
            f"p50 at 100k <= {TARGET_SCALING_100K:g} x p50 at 10k",
            scaling,
            "{:.2f}x",
            TARGET_SCALING_100K,
        ),
        _target(
            f"reader adds <= {TARGET_READ_MS_10K:g} ms (warm p50) at 10k chunks",
            q10.get("stages_p50_ms", {}).get("read"),
            "{:.1f} ms",
            TARGET_READ_MS_10K,
        ),
    ]
    for size, limit in TARGET_RSS_MB.items():
        q = by_size.get(size, {})
        rows.append(
            _target(
                f"peak RSS at {size // 1000}k chunks <= {limit:g} MB",
                q.get("rss_mb"),
                "{:.0f} MB",
                limit,
            )
        )
    rows.append(
        _target(
            f"CLI cold start <= {TARGET_CLI_COLD_START_S:g} s",
            result.get("cold_start_s"),
            "{:.2f} s",
            TARGET_CLI_COLD_START_S,
        )
    )
    page_label = f"page cold start <= {TARGET_PAGE_COLD_START_S:g} s"
    if page_failed:  # the page never showed an answer: a miss, not a gap
        rows.append((page_label, "failed", False))
    else:
        rows.append(_target(page_label, page.get("seconds"), "{:.2f} s", TARGET_PAGE_COLD_START_S))
    return rows


def _target(
    label: str, value: float | None, shown: str, limit: float, *, at_least: bool = False
) -> tuple[str, str, bool | None]:
    if value is None:
        return label, "not measured", None
    return label, shown.format(value), value >= limit if at_least else value <= limit


def format_summary(result: dict) -> str:
    ing = result["ingest"]
    lines = [
        f"ingest: {ing['chunks_per_s']:.1f} chunks/s (raw encode {ing['raw_chunks_per_s']:.1f}), "
        f"ratio {ing['ratio']:.2f} over {ing['chunks']:,} chunks",
        "",
        query_table(result["query"]),
        "",
        stages_table(result["query"]),
        "",
        f"cold start: CLI {result['cold_start_s']:.2f} s, page {page_cold_start_text(result)}",
        "",
        *[
            f"{'met   ' if ok else 'MISSED' if ok is False else '  -   '} {t}: {v}"
            for t, v, ok in targets(result)
        ],
    ]
    return "\n".join(lines)


def page_cold_start_text(result: dict) -> str:
    page = result.get("page_cold_start")
    if not page:
        return result.get("page_cold_start_error") or "not measured"
    return (
        f"{page['seconds']:.2f} s (server up at {page['server_up_s']:.2f} s, chat input shown at "
        f"{page['input_ready_s']:.2f} s)"
    )


def query_table(query: Sequence[dict]) -> str:
    head = "| chunks | p50 ms | p95 ms | raw p50 ms | raw p95 ms | ratio | peak RSS MB |"
    rule = "|---:|---:|---:|---:|---:|---:|---:|"
    rows = [
        f"| {q['chunks']:,} | {q['p50_ms']:.0f} | {q['p95_ms']:.0f} | {q['raw_p50_ms']:.1f} | "
        f"{q['raw_p95_ms']:.1f} | {q['ratio']:.1f}x | {q['rss_mb']:.0f} |"
        for q in query
    ]
    return "\n".join([head, rule, *rows])


def stages_table(query: Sequence[dict]) -> str:
    names = list(dict.fromkeys(n for q in query for n in q["stages_p50_ms"]))  # "read": a reader
    head = "| chunks | " + " | ".join(names) + " |"
    rule = "|---:|" + "---:|" * len(names)
    rows = [
        f"| {q['chunks']:,} | " + " | ".join(_ms(q["stages_p50_ms"].get(n)) for n in names) + " |"
        for q in query
    ]
    return "\n".join([head, rule, *rows])


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def write_plot(path: Path, query: Sequence[dict]) -> None:
    """Latency against store size, ours and raw, log x."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [q["chunks"] for q in query]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(sizes, [q["p50_ms"] for q in query], "o-", label="Asker.ask p50")
    ax.plot(sizes, [q["p95_ms"] for q in query], "o--", label="Asker.ask p95")
    ax.plot(sizes, [q["raw_p50_ms"] for q in query], "s-", label="raw (embed + Chroma query) p50")
    ax.set_xscale("log")
    ax.set_xlabel("store size (chunks)")
    ax.set_ylabel("warm latency (ms)")
    ax.set_title("Query latency against store size")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def write_report(path: Path, result: dict, argv: Sequence[str]) -> None:
    """docs/benchmarks.md (and the plot beside it, same name, .png)."""
    plot = path.with_suffix(".png")
    path.parent.mkdir(parents=True, exist_ok=True)
    write_plot(plot, result["query"])
    ing, m = result["ingest"], result["machine"]
    met = {True: "met", False: "**missed**", None: "not measured"}
    lines = [
        "# Benchmarks",
        "",
        f"Generated by `python -m evaluation.bench {' '.join(argv)}` on "
        f"{datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}; {m['cpu']}, {m['cores']} cores, "
        f"torch threads {m['torch_threads']}, Python {m['python']}; 1-minute load average "
        f"{m['load_average_before']} before, {m['load_average_after']} after (other work on "
        "the machine slows every figure).",
        "",
        "## Targets",
        "",
        "| target | measured | |",
        "|---|---:|---|",
        *[f"| {t} | {v} | {met[ok]} |" for t, v, ok in targets(result)],
        "",
        "## Ingest throughput",
        "",
        f"{ing['articles']:,} real articles, {ing['chunks']:,} chunks, into a fresh store: the full "
        f"pipeline (load, clean, chunk, embed, write Chroma, rebuild the BM25 index) took "
        f"{ing['seconds']:.1f} s = **{ing['chunks_per_s']:.1f} chunks/s**; raw "
        f"`SentenceTransformer.encode` of the same chunk texts (batch size {ENCODE_BATCH_SIZE}, "
        f"same process, after a warm-up) took {ing['raw_seconds']:.1f} s = "
        f"{ing['raw_chunks_per_s']:.1f} chunks/s. Ratio **{ing['ratio']:.2f}**.",
        "",
        *query_section(result["query"], plot.name),
        *cold_start_section(result),
        "## How the larger stores are built",
        "",
        "Stores above the real chunk count cycle the real chunks (their text and metadata) under "
        "new article ids; each copy's vectors are the real MiniLM vectors plus gaussian noise "
        f"(sigma {NOISE_SIGMA} per dimension), renormalised, so the HNSW graph sees distinct "
        "points near real ones. They are written with `NewsIndex.write_vectors`, skipping the "
        "model; the BM25 index is built over the (repeated) texts as usual.",
        "",
    ]
    kept = path.read_text(encoding="utf-8").partition(DUMPS_HEADING) if path.exists() else ()
    if kept and kept[1]:
        lines += ["", DUMPS_HEADING + kept[2].rstrip("\n"), ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def query_section(query: Sequence[dict], plot_name: str) -> list[str]:
    readers = {q.get("reader") for q in query}
    reader = ", ".join(sorted(r or "none" for r in readers))
    torch = any(q.get("torch_loaded") for q in query)
    return [
        "## Query latency and memory",
        "",
        "Warm latency of a full `Asker.ask` (hybrid retrieval + extractive answer, default "
        'options, asked as of the newest article\'s day as a reader asks "as of today", so the '
        "as-of filter and the time-window preference apply; the question embedded with MiniLM "
        f"on ONNX Runtime, reader: {reader}) against the raw baseline (embed the question the "
        f"cheapest way available, the same ONNX embedder, plus one Chroma `query` for the top "
        f"{DEFAULT_K}), alternating on the same store, over real question texts after "
        f"{WARMUP_QUESTIONS} untimed warm-up questions. Peak RSS is that of the answering "
        "process, one per size, which loads what `python -m qa ask` loads: "
        + ("**torch was loaded in it**." if torch else "no torch, no sentence-transformers."),
        "",
        query_table(query),
        "",
        f"![latency against store size]({plot_name})",
        "",
        "Where the time of one `Asker.ask` goes (median ms per step, timed step by step; `read` "
        "is the reader's scoring of the answer's best candidates, `answer` the rest of the "
        "extractive answerer):",
        "",
        stages_table(query),
        "",
    ]


def cold_start_section(result: dict) -> list[str]:
    return [
        "## Cold starts",
        "",
        "On the smallest store, its files in the OS cache. CLI: `python -m qa ask QUESTION "
        f"--store S --json` from process start to the printed answer: "
        f"**{result['cold_start_s']:.2f} s**. Page: `streamlit run app.py --server.headless "
        "true` (NEWSQA_STORE=S) from process start to the first answer shown in a headless "
        "Chromium, launched beforehand as a reader's browser is already running, the question "
        f"typed as soon as the chat input appears: {page_cold_start_text(result)}.",
        "",
    ]


if __name__ == "__main__":
    sys.exit(main())
