"""An evaluation set from the reader's held-out weeks of `realtimeqa-train`: other weeks.

    python -m evaluation.reader.heldout [--data DIR] [--work DIR] [--weeks N] --out DIR

The reader is trained on most of the training set's weeks; `evaluation.reader.train` keeps a
share of whole weeks out for its validation figures. Their questions, with the articles the
benchmark's search returned for them pooled, make a second evaluation set in
`realtimeqa-dev`'s format (`OUT/articles.jsonl`, `OUT/questions.jsonl`) for
`python -m evaluation.eval`: a check that the figures chosen on the development set hold on
other weeks. Nothing is chosen on it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from evaluation.reader.data import read_jsonl
from evaluation.reader.train import (
    DATA,
    SEED,
    VALIDATION_SHARE,
    WORK,
    load_groups,
    split_by_week,
    week_of,
)

QUESTION_FIELDS = ("id", "question", "answers", "as_of", "quiz_source")


def heldout_weeks(data: Path, work: Path, seed: int = SEED) -> list[str]:
    """The weeks (question id prefixes, "20220617") the reader's training never saw."""
    groups = load_groups(data, work, seed)
    _, held = split_by_week(groups, VALIDATION_SHARE, seed)
    return sorted({week_of(g.question_id) for g in held})


def write_set(data: Path, weeks: list[str], out: Path) -> tuple[int, int]:
    """Write the questions of `weeks` (those with search results) and their pooled articles
    to `out`; return how many of each."""
    wanted = set(weeks)
    questions = [
        q
        for q in read_jsonl(data / "questions.jsonl")
        if week_of(q["id"]) in wanted and q.get("results")
    ]
    ids = {a for q in questions for a in q["results"]}
    out.mkdir(parents=True, exist_ok=True)
    articles = 0
    with (out / "articles.jsonl").open("w", encoding="utf-8") as f:
        for article in read_jsonl(data / "articles.jsonl.gz"):
            if article["id"] in ids:
                f.write(json.dumps(article, ensure_ascii=False) + "\n")
                articles += 1
    with (out / "questions.jsonl").open("w", encoding="utf-8") as f:
        for q in questions:
            f.write(json.dumps({k: q[k] for k in QUESTION_FIELDS if k in q}) + "\n")
    return len(questions), articles


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m evaluation.reader.heldout", description=__doc__)
    p.add_argument("--data", type=Path, default=DATA, help="the realtimeqa-train folder")
    p.add_argument("--work", type=Path, default=WORK, help="the reader's mined groups")
    p.add_argument("--weeks", type=int, help="only the first N held-out weeks (default: all)")
    p.add_argument("--out", type=Path, required=True, help="folder for the two JSONL files")
    args = p.parse_args(argv)
    if args.weeks is not None and args.weeks < 1:
        p.error(f"--weeks {args.weeks}: give at least 1 week, or leave it out for all")
    if not (args.data / "questions.jsonl").is_file():
        print(
            f"heldout: {args.data} has no questions.jsonl: pass --data the realtimeqa-train "
            "folder.",
            file=sys.stderr,
        )
        return 2
    weeks = heldout_weeks(args.data, args.work)
    weeks = weeks[: args.weeks] if args.weeks else weeks
    questions, articles = write_set(args.data, weeks, args.out)
    print(
        f"heldout: {questions} questions of {len(weeks)} weeks ({', '.join(weeks)}) and "
        f"{articles} articles written to {args.out}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
