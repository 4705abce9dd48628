"""Warm query latency and peak RSS of one store, measured in a fresh process per size that loads
what the question path loads (no torch): `Asker.ask` against embedding the question plus one bare
Chroma query, and the time of each step.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from evaluation.metrics import percentile_ms
from qa.answering.ask import Asker, AskOptions
from qa.answering.extractive import answer_extractive
from qa.config import Settings
from qa.retrieval.retrieve import CANDIDATES
from qa.store import NewsIndex

QUESTIONS = 40  # timed questions per size (full run)
QUICK_QUESTIONS = 20
WARMUP_QUESTIONS = 3  # untimed: load the catalog, BM25 and model caches first


def time_call(call: Callable):
    """(what `call()` returns, the wall seconds it took)."""
    start = time.perf_counter()
    value = call()
    return value, time.perf_counter() - start


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


def run_worker(store: Path, questions_file: Path, *, product_only: bool = False) -> dict:
    """Measure one store in a fresh process, so its peak RSS is this size's alone; with
    `product_only`, the answering path alone (no raw baseline: see `product_worker`)."""
    options = ["--_worker", str(store), *(["--_product-only"] if product_only else [])]
    return _in_fresh_process(options, questions_file, f"the query worker failed on {store}")


def _in_fresh_process(options: list[str], questions_file: Path, failure: str) -> dict:
    """The JSON line a worker of `evaluation.bench.run` prints last."""
    cmd = [sys.executable, "-m", "evaluation.bench.run", *options]
    cmd += ["--_questions-file", str(questions_file)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{failure}:\n{done.stderr[-3000:]}")
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
    unread = replace(options, read=False)  # the retrieval path alone: the reader has its own budget
    ours, base, stages, retrieval = [], [], [], []
    for q in questions[WARMUP_QUESTIONS:]:  # alternate, so drift hits all sides alike
        ours.append(time_call(lambda q=q: asker.ask(q, options))[1] * 1000)
        base.append(time_call(lambda q=q: raw(q))[1] * 1000)
        retrieval.append(time_call(lambda q=q: asker.ask(q, unread))[1] * 1000)
        stages.append(stage_times(asker, q, options))
    p50, raw_p50 = percentile_ms(ours, 50), percentile_ms(base, 50)
    unread_p50 = percentile_ms(retrieval, 50)
    reader = asker.reader(options)
    return {
        "p50_ms": round(p50, 1),
        "p95_ms": round(percentile_ms(ours, 95), 1),
        "raw_p50_ms": round(raw_p50, 1),
        "raw_p95_ms": round(percentile_ms(base, 95), 1),
        "ratio": round(p50 / raw_p50, 2) if raw_p50 else None,
        "no_reader_p50_ms": round(unread_p50, 1),
        "no_reader_ratio": round(unread_p50 / raw_p50, 2) if raw_p50 else None,
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


def product_worker(store: Path, questions_file: Path) -> dict:
    """Peak RSS and warm p50 of the answering path alone: the questions of `query_worker`,
    asked with and without the reader, and nothing else.

    The raw baseline's Chroma query loads the collection's whole HNSW index (about 2 KB a
    chunk), which the answering path never reads; measured beside it, the answering process's
    peak RSS would include an index it does not hold.
    """
    questions = json.loads(questions_file.read_text())
    index = NewsIndex(Settings(store_dir=store, reader=Settings.from_env().reader))
    asker = Asker(index)
    options = AskOptions(as_of=newest_day(index))
    for q in questions[:WARMUP_QUESTIONS]:
        asker.ask(q, options)
    unread = replace(options, read=False)
    ours, retrieval = [], []
    for q in questions[WARMUP_QUESTIONS:]:
        ours.append(time_call(lambda q=q: asker.ask(q, options))[1] * 1000)
        retrieval.append(time_call(lambda q=q: asker.ask(q, unread))[1] * 1000)
    return {
        "p50_ms": round(percentile_ms(ours, 50), 1),
        "no_reader_p50_ms": round(percentile_ms(retrieval, 50), 1),
        "rss_mb": peak_rss_mb(),
        "torch_loaded": "torch" in sys.modules or "sentence_transformers" in sys.modules,
    }


def paired_worker(stores: list[Path], questions_file: Path) -> dict:
    """Warm p50 of the answering path on each of `stores`, asked in turn in one process.

    Every question goes to each store before the next question, the first store alternating,
    so the host's drift and the reader's speed (which varies more between processes than the
    search does between sizes) fall alike on every store: the scaling targets' ratio."""
    questions = json.loads(questions_file.read_text())
    askers = []
    for store in stores:
        index = NewsIndex(Settings(store_dir=store, reader=Settings.from_env().reader))
        askers.append((Asker(index), AskOptions(as_of=newest_day(index))))
    for q in questions[:WARMUP_QUESTIONS]:
        for asker, options in askers:
            asker.ask(q, options)
    times: list[list[float]] = [[] for _ in stores]
    for i, q in enumerate(questions[WARMUP_QUESTIONS:]):
        order = list(range(len(askers)))
        for j in order if i % 2 == 0 else order[::-1]:
            asker, options = askers[j]
            times[j].append(time_call(lambda q=q, a=asker, o=options: a.ask(q, o))[1] * 1000)
    return {"p50_ms": [round(percentile_ms(t, 50), 1) for t in times], "questions": len(times[0])}


def run_paired(stores: list[Path], questions_file: Path) -> dict:
    """`paired_worker` in a fresh process."""
    options = ["--_paired", ",".join(map(str, stores))]
    return _in_fresh_process(options, questions_file, "the paired query worker failed")


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
    from qa.retrieval.retrieve import fuse, narrow

    index = asker.index
    depth, filters = max(CANDIDATES, options.k), options.filters()
    out: dict[str, float] = {}
    _, out["refresh"] = time_call(index.refresh)
    vector, out["embed_query"] = time_call(lambda: index.embed_query(question))
    dense, out["dense_search"] = time_call(
        lambda: index.dense_hits(vector, k=depth, filters=filters)
    )
    lexical, out["lexical_search"] = time_call(
        lambda: index.lexical_hits(question, k=depth, filters=filters)
    )

    def preferred() -> list:
        rankings = []
        for extra in asker.preferences(question, options):
            narrowed = narrow(filters, extra)
            rankings.append(index.dense_hits(vector, k=depth, filters=narrowed))
            rankings.append(index.lexical_hits(question, k=depth, filters=narrowed))
        return rankings

    more, out["preferred"] = time_call(preferred)
    fused, out["fuse"] = time_call(lambda: fuse([dense, lexical, *more]))
    for rank, hit in enumerate(fused, 1):
        hit.rank = rank
    passages, out["read_passages"] = time_call(lambda: index.passages(fused[: options.k]))
    reader = asker.reader(options)
    timed = TimedReader(reader) if reader is not None else None
    _, out["answer"] = time_call(
        lambda: answer_extractive(question, passages, index.query_embeddings, vector, timed)
    )
    if timed is not None:
        out["answer"] -= timed.seconds
        out["read"] = timed.seconds
    return {k: v * 1000 for k, v in out.items()}


class TimedReader:
    """The configured reader, adding up the seconds its scoring takes.

    Timed inside the one `answer_extractive` call, so the `read` step is what the reader adds
    to that very answer (`qa.answering.candidates.add_readings` is little else), not the noisy difference
    of two separate runs with and without it."""

    def __init__(self, reader) -> None:
        self._reader = reader
        self.titles = reader.titles
        self.seconds = 0.0

    def read(self, question: str, texts: list[str], titles: list[str] | None = None) -> list:
        start = time.perf_counter()
        try:
            return self._reader.read(question, texts, titles)
        finally:
            self.seconds += time.perf_counter() - start
