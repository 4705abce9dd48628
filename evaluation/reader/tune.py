"""Choose how the reader's score combines with the answerer's, on the development set.

    python -m evaluation.reader.tune --store .eval-store --questions QUESTIONS.jsonl

Retrieval and reading are done once per question, so a grid of (weight, depth, bar) settings
re-runs only the answerer and takes seconds. Never run on the training set's questions.
"""

from __future__ import annotations

import argparse
import itertools
from dataclasses import replace
from pathlib import Path

from evaluation.metrics import Outcome, summarize
from qa.answering import candidates as scoring
from qa.answering import extractive as answerer
from qa.answering.ask import Asker, AskOptions
from qa.config import Settings
from qa.encoders.reader import load_reader
from qa.store import NewsIndex

WEIGHTS = (0.5, 1.0, 1.5)
DEPTHS = (5, 8, 12)
BARS = (0.75, 1.0)
RATIOS = (0.7, 0.8)  # READ_SENTENCE_RATIO: how close a further sentence must score
SPAN_PROBABILITIES = (0.0, 0.2, 0.4, 0.6, 1.01)  # 1.01: the reader's span never, rules only


class CachedReader:
    """The reader, each (question, sentence) read once."""

    def __init__(self, reader) -> None:
        self.reader, self.cache = reader, {}
        self.titles, self.bars = reader.titles, reader.bars

    def read(self, question: str, texts: list[str], titles: list[str] | None = None) -> list:
        titles = titles if titles is not None else [""] * len(texts)
        keys = [(question, t, title) for t, title in zip(texts, titles, strict=True)]
        todo = [k for k in dict.fromkeys(keys) if k not in self.cache]
        got = self.reader.read(question, [k[1] for k in todo], [k[2] for k in todo]) if todo else []
        for k, r in zip(todo, got, strict=True):
            self.cache[k] = r
        return [self.cache[k] for k in keys]


def answer_again(cached: list, index: NewsIndex, reader) -> list[Outcome]:
    """The extractive answer to each (question, passages, query vector) retrieved before, with
    the answerer's settings as they are now, as outcomes to score."""
    outcomes = []
    for q, passages, vector in cached:
        passages = [replace(p) for p in passages]
        a = answerer.answer_extractive(
            q.question, passages, index.query_embeddings, vector, reader=reader, as_of=q.as_of
        )
        outcomes.append(
            Outcome(
                golds=q.answers,
                answer_text=a.text,
                abstained=a.abstained,
                passages=[p.text for p in passages],
                short_answer=a.short_answer,
            )
        )
    return outcomes


def main(argv: list[str] | None = None) -> int:
    from evaluation.eval import DEFAULT_EVAL_K, load_questions

    p = argparse.ArgumentParser(prog="python -m evaluation.reader.tune")
    p.add_argument("--store", type=Path, default=Path(".eval-store"))
    p.add_argument(
        "--questions", type=Path, default=Path("../shared/data/realtimeqa-dev/questions.jsonl")
    )
    p.add_argument("--reader", default="default")
    args = p.parse_args(argv)
    questions = load_questions(args.questions)
    reader = CachedReader(load_reader(args.reader))
    with NewsIndex(Settings.from_env(store_dir=args.store, reader="none")) as index:
        asker = Asker(index)
        cached = []
        for q in questions:
            options = AskOptions(k=DEFAULT_EVAL_K, as_of=q.as_of)
            asker.history.clear()
            got = asker.ask(q.question, options)
            cached.append((q, got.passages, index.embed_query(q.question)))
        rows = []
        bars = reader.bars
        shipped = (
            scoring.W_READER,
            scoring.READER_DEPTH,
            answerer.MIN_READ_SCORE,
            answerer.READ_SENTENCE_RATIO,
            bars.span,
        )
        grid = [shipped, *itertools.product(WEIGHTS, DEPTHS, BARS, RATIOS, SPAN_PROBABILITIES)]
        for weight, depth, bar, ratio, span in grid:
            scoring.W_READER, scoring.READER_DEPTH, answerer.MIN_READ_SCORE = weight, depth, bar
            answerer.READ_SENTENCE_RATIO = ratio
            reader.bars = replace(bars, span=span)
            m = summarize(answer_again(cached, index, reader))
            rows.append(
                (m["shown@300"], m["bold"], m["abstained"], m["reading"], weight, depth, bar)
                + (ratio, span)
            )
    print("shown@300  bold  abstained  reading | weight depth bar ratio span")
    print(_row(rows[0]) + "  (the answerer's own settings)")
    for r in sorted(rows[1:], reverse=True)[:40]:
        print(_row(r))
    return 0


def _row(r: tuple) -> str:
    return f"{r[0]:.3f}  {r[1]:.3f}  {r[2]:.3f}  {r[3]:.3f} | " + " ".join(map(str, r[4:]))


if __name__ == "__main__":
    raise SystemExit(main())
