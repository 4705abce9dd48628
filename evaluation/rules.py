"""How much each answer rule moves the development set: the time rules, the abstention rules and
the furniture filter, each switched alone against the answerer as shipped.

    python -m evaluation.rules --store .eval-store [--questions QUESTIONS.jsonl]

Retrieval and reading run once per question; each variant re-runs only the answerer, so the
table takes a minute once the store is built (`make eval` builds it). Never run on the training
set's questions.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from evaluation.metrics import summarize
from evaluation.reader.tune import CachedReader, answer_again
from qa.answering import candidates
from qa.answering import extractive as answerer
from qa.answering.ask import Asker, AskOptions
from qa.config import Settings
from qa.encoders.reader import load_reader
from qa.store import NewsIndex

# (label, the module, its flag or setting, the value of the variant)
VARIANTS = [
    ("as shipped", None, None, None),
    ("time rules on", answerer, "TIME_RULES", True),
    ("no wrong-kind abstention", answerer, "ABSTAIN_WRONG_KIND", False),
    ("furniture kept as candidates", candidates, "is_furniture", lambda text: False),
]
COLUMNS = ("shown@300", "wrong", "bold", "abstained", "abstained@hit", "reading")


def main(argv: list[str] | None = None) -> int:
    from evaluation.eval import DEFAULT_EVAL_K, load_questions

    p = argparse.ArgumentParser(prog="python -m evaluation.rules")
    p.add_argument("--store", type=Path, default=Path(".eval-store"))
    p.add_argument(
        "--questions", type=Path, default=Path("../shared/data/realtimeqa-dev/questions.jsonl")
    )
    p.add_argument("--reader", default="default", help="'none' to measure without the reader")
    args = p.parse_args(argv)
    questions = load_questions(args.questions)
    reader = None if args.reader == "none" else CachedReader(load_reader(args.reader))
    with NewsIndex(Settings.from_env(store_dir=args.store, reader="none")) as index:
        asker = Asker(index)
        cached = []
        for q in questions:
            asker.history.clear()
            got = asker.ask(q.question, AskOptions(k=DEFAULT_EVAL_K, as_of=q.as_of))
            cached.append((q, got.passages, index.embed_query(q.question)))
        print("| rules | " + " | ".join(COLUMNS) + " |")
        print("|---|" + "---:|" * len(COLUMNS))
        for label, module, name, value in VARIANTS:
            shipped = getattr(module, name) if module else None
            if module:
                setattr(module, name, value)
            try:
                outcomes = answer_again(cached, index, reader)
            finally:
                if module:
                    setattr(module, name, shipped)
            m = summarize(outcomes)
            cells = [str(m[c]) if c == "abstained@hit" else f"{m[c]:.3f}" for c in COLUMNS]
            print(f"| {label} | " + " | ".join(cells) + " |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
