"""`python -m evaluation.eval`: how well the product answers real news questions.

Ingests the articles through the normal pipeline, asks every question through `Asker.ask` as of
its own date, and scores the answers with `evaluation.metrics`; `--ablation` repeats the run
under each entry of `CONFIGURATIONS` on the same store.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from tqdm import tqdm

from evaluation.metrics import (
    COUNT_KEYS,
    HITS_DEPTHS,
    METRIC_KEYS,
    MRR_DEPTH,
    SHOWN_CHARS,
    Corpus,
    Outcome,
    summarize,
)
from qa.answering.ask import Asker, AskOptions
from qa.config import Settings
from qa.errors import EXIT_OK, ConfigError, EvalError
from qa.interface.command import run_command
from qa.news.dates import parse_date
from qa.retrieval.query import DEFAULT_WINDOW_DAYS, default_window
from qa.store import NewsIndex
from qa.store.catalog import Catalog
from qa.types import Answer, SearchFilters

DEFAULT_EVAL_K = 10  # passages kept per question; hits@10 and mrr@10 need at least 10
FULL = "full"

# name -> options. "full" is the product as shipped (the default AskOptions); the other rows
# are plain retrieval baselines with the same extractive answerer and every optional mechanism
# switched off. A new mechanism gets switched off in the baseline rows and, if it is worth
# isolating, a row of its own: one line each.
BASELINE = AskOptions(news_aware=False, rerank=False, read=False)
NO_RERANK = "full without reranker"  # a row of its own when a reranker is configured
NO_READER = "full without reader"  # a row of its own when the reader is on
CONFIGURATIONS: dict[str, AskOptions] = {
    "dense": replace(BASELINE, retrieval="dense"),
    "lexical": replace(BASELINE, retrieval="lexical"),
    "hybrid": replace(BASELINE, retrieval="hybrid"),
    NO_RERANK: AskOptions(rerank=False),
    NO_READER: AskOptions(read=False),
    FULL: AskOptions(),
}

KEPT_HEADING = "## What each mechanism adds"  # this part of docs/eval.md is written by hand
METRIC_DEFINITIONS = {
    "shown@300": f"every gold answer appears in the first {SHOWN_CHARS} characters of the "
    "displayed answer (an abstention never counts)",
    "bold": "every gold answer appears in the short answer shown in bold (an answer without "
    "one never counts)",
    "hits@k": "every gold answer appears in at least one of the top-k retrieved passages",
    "mrr@10": f"1/r for the first rank r <= {MRR_DEPTH} at which hits@r holds, else 0 "
    "(for several gold answers: the rank where the last one turns up)",
    "wrong": "share of questions answered (not abstained) without every gold answer in the "
    "first 300 characters: fewer is better",
    "abstained": "share of questions answered with an abstention",
    "abstained@hit": "number of abstentions although a top-10 passage held every gold answer",
    "reading": "of the questions with every gold answer in the top 10 passages (hits@10), "
    "the share whose shown answer holds them (shown@300)",
    "p50_ms / p95_ms": "latency of one `Asker.ask` call (retrieve + answer), warm, "
    "median and 95th percentile",
    "n": "questions asked",
}
COVERAGE_NOTE = (
    "A question whose answers are in no chunk it can see is beyond any retriever (hits@k) and "
    "any extractive answer (shown@300); one whose answers are only in older articles is "
    "usually answered there incidentally, in a story about something else."
)
MATCHING_NOTE = (
    "Answers are compared after SQuAD normalisation (lower case, punctuation and the articles "
    "a/an/the removed, whitespace collapsed) and must match on word boundaries."
)


@dataclass
class Question:
    id: str
    question: str
    answers: list[str]
    as_of: datetime | None


@dataclass
class Coverage:
    """Which questions the store can answer at all: every gold answer written in chunks that
    the question may see. Upper bounds of hits@k that no retriever can pass."""

    by_as_of: list[bool]  # in chunks published by the question's as-of day (or undated)
    in_window: list[bool]  # in chunks of the DEFAULT_WINDOW_DAYS before it (the window the
    # full configuration prefers; the whole store for a question without an as-of date)

    def to_dict(self) -> dict:
        n = len(self.by_as_of)
        return {
            "gold_by_as_of": sum(self.by_as_of) / n if n else 0.0,
            "gold_in_window": sum(self.in_window) / n if n else 0.0,
        }


@dataclass
class Run:
    """One configuration's answers, scored."""

    name: str
    options: AskOptions
    records: list[dict]
    metrics: dict


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m evaluation.eval", description=__doc__.splitlines()[0]
    )
    p.add_argument("--articles", required=True, help="articles to ingest (.jsonl or any source)")
    p.add_argument(
        "--questions", required=True, help="questions .jsonl: id, question, answers, as_of"
    )
    p.add_argument("--store", help="store folder (default: $NEWSQA_STORE or vectorstore/)")
    p.add_argument("--k", type=int, default=DEFAULT_EVAL_K, help="passages kept per question")
    p.add_argument("--predictions", help="write one JSON line per question here")
    p.add_argument("--ablation", action="store_true", help="also run every configuration")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--report", help="write a markdown report here (e.g. docs/eval.md)")
    p.add_argument("--limit", type=int, help="ask only the first N questions")
    p.add_argument(
        "--reranker",
        metavar="FOLDER",
        help="rerank with the cross-encoder in FOLDER (default: $NEWSQA_RERANKER; 'none': off)",
    )
    p.add_argument(
        "--reader",
        metavar="FOLDER",
        help="choose sentences with this reader (default: $NEWSQA_READER or the shipped one; "
        "'none': off)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.add_argument("--verbose", action="store_true", help="show tracebacks")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    argv = argv if argv is not None else sys.argv[1:]
    return run_command(lambda: run(args, argv), verbose=args.verbose)


def run(args: argparse.Namespace, argv: Sequence[str]) -> int:
    questions = load_questions(Path(args.questions), limit=args.limit)
    settings = Settings.from_env(store_dir=args.store, reranker=args.reranker, reader=args.reader)
    with NewsIndex(settings) as index:
        ingest_into(index, args.articles, progress=not args.quiet)
        names = list(CONFIGURATIONS) if args.ablation else [FULL]
        if settings.reranker is None:
            names = [n for n in names if n != NO_RERANK]  # it would repeat "full"
        if settings.reader is None:
            names = [n for n in names if n != NO_READER]
        runs = [
            evaluate(
                index, questions, name, CONFIGURATIONS[name], k=args.k, progress=not args.quiet
            )
            for name in names
        ]
        found = coverage(index, questions)
        sizes = {
            "articles": index.count_articles(),
            "chunks": index.count_chunks(),
            "questions": len(questions),
        }
    full = runs[-1]
    if args.predictions:
        for record, by_as_of, in_window in zip(
            full.records, found.by_as_of, found.in_window, strict=True
        ):
            record.update(gold_by_as_of=by_as_of, gold_in_window=in_window)
        write_predictions(Path(args.predictions), full.records)
    result = dict(full.metrics) | {"coverage": found.to_dict()}
    if args.ablation:
        result["ablation"] = {r.name: r.metrics for r in runs}
    if args.report:
        write_report(Path(args.report), runs, sizes=sizes, argv=argv, found=found)
    if args.json:
        print(json.dumps(result))
    else:
        print(format_table(runs))
        print(coverage_line(found))
    return EXIT_OK


def load_questions(path: Path, *, limit: int | None = None) -> list[Question]:
    """The questions of a .jsonl file; raises ConfigError naming the bad line."""
    questions: list[Question] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as e:
        raise ConfigError(f"Cannot read the questions file {path}: {e}") from e
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            questions.append(
                Question(
                    id=str(row["id"]),
                    question=row["question"],
                    answers=list(row["answers"]),
                    as_of=parse_date(row.get("as_of")),
                )
            )
        except (ValueError, KeyError, TypeError) as e:
            raise ConfigError(
                f"{path}:{number} is not a question ({e}): each line needs "
                '{"id", "question", "answers": [...], "as_of"}.'
            ) from e
        if limit is not None and len(questions) >= limit:
            break
    return questions


def ingest_into(index: NewsIndex, articles: str, *, progress: bool) -> None:
    """Ingest `articles` through the normal pipeline; unchanged articles are skipped.

    Raises:
        EvalError: no article of `articles` could be ingested, or the store is still empty.
    """
    from ingest.pipeline import ingest_sources

    summary = ingest_sources([articles], settings=index.settings, index=index, progress=progress)
    print(f"ingest: {summary.line()}", file=sys.stderr)
    loaded = summary.added + summary.updated + summary.unchanged + summary.duplicates
    why = (
        f" ({summary.failed[0]['source']}: {summary.failed[0]['error']})" if summary.failed else ""
    )
    if summary.chunks_total == 0:
        raise EvalError(
            f"The store at {index.settings.store_label} is empty: no article of {articles} "
            f"could be ingested{why}; fix --articles, nothing was scored."
        )
    if summary.failed and not loaded:
        raise EvalError(
            f"None of the articles in {articles} could be ingested{why}; fix --articles, "
            "nothing was scored."
        )
    if summary.failed:
        print(
            f"ingest: {len(summary.failed)} sources failed, e.g. {summary.failed[0]}",
            file=sys.stderr,
        )


def coverage(index: NewsIndex, questions: Sequence[Question]) -> Coverage:
    """Whether each question's gold answers are in the store where the question can see them:
    by its as-of day (the hard filter every configuration applies) and within the default
    window before it. One read of the whole store."""
    rows, texts = index.chunk_texts()
    catalog, corpus = Catalog(rows), Corpus(texts)
    by_as_of, in_window = [], []
    for q in questions:
        options = AskOptions(as_of=q.as_of)
        visible = catalog.mask(options.filters())
        window = default_window(q.as_of)
        recent = visible
        if window is not None:
            recent = visible & catalog.mask(SearchFilters(since=window[0], until=window[1]))
        by_as_of.append(corpus.all_found(q.answers, visible))
        in_window.append(corpus.all_found(q.answers, recent))
    return Coverage(by_as_of, in_window)


def coverage_line(found: Coverage) -> str:
    n = len(found.by_as_of)
    by_as_of, in_window = sum(found.by_as_of), sum(found.in_window)
    return (
        f"Gold answers in the store: {by_as_of} of {n} questions by their as-of date, "
        f"{in_window} in the {DEFAULT_WINDOW_DAYS} days before it (upper bounds of hits@k)."
    )


def evaluate(
    index: NewsIndex,
    questions: Sequence[Question],
    name: str,
    options: AskOptions,
    *,
    k: int = DEFAULT_EVAL_K,
    progress: bool = True,
) -> Run:
    """Ask every question under `options` and score the answers.

    One untimed question warms the model and the derived indexes first, so latencies are
    warm. The options' `k` is raised to at least 10 so hits@10 and mrr@10 can be measured.
    """
    asker = Asker(index)
    depth = max(k, MRR_DEPTH)
    if questions:
        asker.ask(questions[0].question, replace(options, k=depth, as_of=questions[0].as_of))
    records, outcomes = [], []
    for q in tqdm(
        questions, desc=f"Asking ({name})", unit=" q", disable=None if progress else True
    ):
        answer, latency_ms = timed(lambda q=q: ask_alone(asker, q, replace(options, k=depth)))
        records.append(prediction(q, answer, latency_ms))
        outcomes.append(
            Outcome(
                golds=q.answers,
                answer_text=answer.text,
                abstained=answer.abstained,
                passages=[p.text for p in answer.passages],
                latency_ms=latency_ms,
                short_answer=answer.short_answer,
            )
        )
    report_fallbacks(name, records)
    return Run(name, options, records, summarize(outcomes))


def ask_alone(asker: Asker, q: Question, options: AskOptions) -> Answer:
    """Answer `q` as the first question of a chat: evaluation questions are independent, so
    none may be rewritten as a follow-up of the one asked before it."""
    asker.history.clear()
    return asker.ask(q.question, replace(options, as_of=q.as_of))


def report_fallbacks(name: str, records: Sequence[dict]) -> None:
    """Say on stderr when a configured LLM did not answer, so its scores are not mistaken for
    the model's: the answers that fell back are extractive."""
    fell_back = [r for r in records if r["mode"] == "extractive" and r["notice"]]
    if fell_back:
        print(
            f"{name}: {len(fell_back)} of {len(records)} answers fell back to extractive, "
            f"e.g. {fell_back[0]['notice']}",
            file=sys.stderr,
        )


def timed(call: Callable[[], Answer]) -> tuple[Answer, float]:
    start = time.perf_counter()
    answer = call()
    return answer, (time.perf_counter() - start) * 1000.0


def prediction(q: Question, answer: Answer, latency_ms: float) -> dict:
    """One line of the predictions file."""
    d = answer.to_dict()
    return {
        "id": q.id,
        "question": q.question,
        "answer": d["answer"],
        "short_answer": d["short_answer"],
        "abstained": d["abstained"],
        "mode": d["mode"],  # "llm" or "extractive" (also when a configured LLM fell back)
        "notice": d["notice"],
        "citations": d["citations"],
        "passages": [p.text for p in answer.passages],
        "latency_ms": round(latency_ms, 1),
        "golds": q.answers,
    }


def write_predictions(path: Path, records: Sequence[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def format_table(runs: Sequence[Run]) -> str:
    """A markdown table: one row per configuration, one column per metric."""
    header = "| configuration | " + " | ".join(METRIC_KEYS) + " |"
    rule = "|---|" + "---:|" * len(METRIC_KEYS)
    rows = [
        f"| {r.name} | " + " | ".join(_cell(k, r.metrics[k]) for k in METRIC_KEYS) + " |"
        for r in runs
    ]
    return "\n".join([header, rule, *rows])


def _cell(key: str, value: float | int) -> str:
    if key in COUNT_KEYS:
        return str(int(value))
    if key.endswith("_ms"):
        return f"{value:.0f}"
    return f"{value:.3f}"


def write_report(
    path: Path, runs: Sequence[Run], *, sizes: dict, argv: Sequence[str], found: Coverage
) -> None:
    """A markdown report: the command, the date, the data, the table and the definitions."""
    command = "python -m evaluation.eval " + shlex.join(argv)
    today = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Evaluation",
        "",
        f"Generated by `{command}` on {today}.",
        "",
        f"Store: {sizes['articles']:,} articles, {sizes['chunks']:,} chunks. "
        f"Questions: {sizes['questions']:,}.",
        "",
        format_table(runs),
        "",
        coverage_line(found) + " " + COVERAGE_NOTE,
        "",
        "Configurations:",
        "",
        *[f"- **{r.name}**: `{_options_label(r.options)}`" for r in runs],
        "",
        "## Metrics",
        "",
        *[f"- `{k}`: {v}." for k, v in METRIC_DEFINITIONS.items()],
        "",
        MATCHING_NOTE,
        f" Each question is asked with `k = max(--k, {MRR_DEPTH})` passages and its `as_of` "
        f"date; hits@k uses k in {HITS_DEPTHS}. One untimed question warms each run up.",
        "",
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    kept = _kept_section(path)
    path.write_text("\n".join(lines) + (f"\n{kept}" if kept else ""), encoding="utf-8")


def _kept_section(path: Path) -> str:
    """The hand-written part of an existing report (from KEPT_HEADING on), kept when rewriting.

    It records measurements that need more than a switch of AskOptions (another store, another
    answerer) and so cannot be regenerated by one run."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return ""
    at = text.find(KEPT_HEADING)
    return text[at:] if at >= 0 else ""


def _options_label(options: AskOptions) -> str:
    defaults = AskOptions()
    changed = {
        k: v
        for k, v in options.__dict__.items()
        if k == "retrieval" or (getattr(defaults, k) != v and k not in ("k", "as_of"))
    }
    return "AskOptions(" + ", ".join(f"{k}={v!r}" for k, v in changed.items()) + ")"


if __name__ == "__main__":
    sys.exit(main())
