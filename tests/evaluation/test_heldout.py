"""evaluation.reader.heldout: the reader's held-out weeks as an evaluation set, on hand-made data."""

from __future__ import annotations

import gzip
import json

import pytest

from evaluation.reader.data import Group
from evaluation.reader.heldout import heldout_weeks, main, write_set
from evaluation.reader.train import SEED, VALIDATION_SHARE, split_by_week, week_of

WEEKS = [f"202301{d:02d}" for d in range(1, 27)]  # 26 weeks: 8 % holds out two of them


def make_data(tmp_path):
    data, work = tmp_path / "train", tmp_path / "work"
    data.mkdir()
    work.mkdir()
    questions, groups = [], []
    for w in WEEKS:
        for i in range(2):
            qid = f"{w}_{i}"
            results = [f"a-{w}-{i}", "a-shared"] if i == 0 else []  # the second has no results
            questions.append(
                {
                    "id": qid,
                    "question": f"Who won in week {w}?",
                    "answers": ["Ann"],
                    "as_of": "2023-01-01",
                    "quiz_source": "CNN",
                    "choices": ["Ann", "Bob"],
                    "evidence": "Ann won.",
                    "results": results,
                }
            )
            groups.append(
                Group(qid, f"Who won in week {w}?", "Ann won it.", ["Bob lost."], ["Ann"])
            )
    (data / "questions.jsonl").write_text("".join(json.dumps(q) + "\n" for q in questions))
    ids = {a for q in questions for a in q["results"]} | {"a-unused"}
    with gzip.open(data / "articles.jsonl.gz", "wt", encoding="utf-8") as f:
        for a in sorted(ids):
            f.write(json.dumps({"id": a, "title": a, "text": "Ann won.", "published": None}) + "\n")
    with (work / "groups.jsonl").open("w") as f:  # the mined groups, as train_reader caches them
        for g in groups:
            f.write(json.dumps(g.__dict__) + "\n")
    return data, work, groups


def test_the_held_out_weeks_are_those_training_left_out(tmp_path):
    data, work, groups = make_data(tmp_path)
    train, held = split_by_week(groups, VALIDATION_SHARE, SEED)
    weeks = heldout_weeks(data, work)
    # Two of 26 weeks, fixed by the seed: a change to the split would move the shipped
    # reader's held-out weeks too, so it must show here.
    assert weeks == ["20230113", "20230118"]
    assert {week_of(g.question_id) for g in held} == set(weeks)
    assert not {week_of(g.question_id) for g in train} & set(weeks)


def test_a_week_is_the_question_id_s_date():
    assert week_of("20220617_3") == "20220617"


def test_the_set_holds_their_questions_with_results_and_the_pooled_articles(tmp_path):
    data, work, _ = make_data(tmp_path)
    weeks = heldout_weeks(data, work)
    out = tmp_path / "set"
    assert write_set(data, weeks, out) == (2, 3)  # one question a week; 2 own articles + shared
    questions = [json.loads(line) for line in (out / "questions.jsonl").read_text().splitlines()]
    assert [q["id"] for q in questions] == [f"{w}_0" for w in weeks]
    assert set(questions[0]) == {"id", "question", "answers", "as_of", "quiz_source"}
    lines = (out / "articles.jsonl").read_text().splitlines()
    articles = {json.loads(line)["id"] for line in lines}
    assert articles == {"a-shared", *(f"a-{w}-0" for w in weeks)}


def test_a_week_count_below_one_is_refused(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--weeks", "0", "--out", str(tmp_path / "set")])
    assert exit_.value.code == 2 and "--weeks 0" in capsys.readouterr().err


def test_a_folder_without_questions_is_named_with_the_fix(tmp_path, capsys):
    assert main(["--data", str(tmp_path), "--out", str(tmp_path / "set")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and str(tmp_path) in err and "realtimeqa-train" in err
