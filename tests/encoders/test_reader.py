"""The shipped reader: verified, loaded from local files, and it prefers the answering sentence."""

from __future__ import annotations

import shutil

import pytest

from qa.config import Settings
from qa.encoders.reader import (
    MODEL_FILE,
    SHIPPED,
    SUMS_FILE,
    SUMS_SUFFIX,
    OnnxReader,
    ReaderError,
    load_reader,
)

QUESTION = "Who proposed talks in Minsk?"
ANSWERING = (
    "Putin said he would be willing to send a delegation to Minsk for high-level "
    "negotiations with Ukraine."
)
RESEMBLING = "Talks in Minsk have been proposed several times since the conflict began in 2014."


@pytest.fixture(scope="module")
def reader() -> OnnxReader:
    return load_reader("default")


def test_the_shipped_reader_prefers_the_sentence_that_answers(reader):
    answering, resembling = reader.scores(QUESTION, [ANSWERING, RESEMBLING])
    assert answering > resembling


@pytest.mark.parametrize(
    ("question", "good", "bad"),
    [
        (
            "Which automaker recalled two million vehicles over its Autopilot system?",
            "Tesla is recalling more than two million vehicles to fix its Autopilot system.",
            "Autopilot recalls of this size are rare, regulators said on Wednesday.",
        ),
        (
            "How many people died in the earthquake?",
            "The earthquake killed at least 2,100 people, officials said on Sunday.",
            "The earthquake struck shortly after dawn while most people were asleep.",
        ),
    ],
)
def test_the_reader_prefers_the_answer_over_the_echo(reader, question, good, bad):
    assert reader.scores(question, [good])[0] > reader.scores(question, [bad])[0]


@pytest.mark.parametrize(
    ("question", "sentence", "answer"),
    [
        (QUESTION, ANSWERING, "Putin"),
        (
            "How many people died in the earthquake?",
            "The earthquake killed at least 2,100 people, officials said on Sunday.",
            "2,100",
        ),
        (
            "Which automaker recalled two million vehicles over its Autopilot system?",
            "Tesla is recalling more than two million vehicles to fix its Autopilot system.",
            "Tesla",
        ),
    ],
)
def test_the_reader_marks_the_answer_inside_the_sentence(reader, question, sentence, answer):
    (reading,) = reader.read(question, [sentence])
    marked = reading.answer_in(sentence)
    assert marked is not None and answer in marked and len(marked) <= 3 * len(answer) + 10
    assert 0.0 < reading.span_probability <= 1.0


def test_a_sentence_scores_the_same_whatever_is_read_with_it(reader):
    """Regression: dynamic int8 scaled activations per batch, moving scores by up to 0.5."""
    texts = [ANSWERING, RESEMBLING, "Minsk is the capital of Belarus."]
    batch = reader.scores(QUESTION, texts)
    alone = [reader.scores(QUESTION, [t])[0] for t in texts]
    assert batch == pytest.approx(alone, abs=1e-4)


def test_an_altered_reader_file_is_refused(altered_reader):
    with pytest.raises(ReaderError, match="does not match its SHA-256.*git checkout"):
        OnnxReader(altered_reader)


@pytest.mark.parametrize(
    "missing", [MODEL_FILE, SUMS_FILE, "tokenizer.json", "tokenizer.json" + SUMS_SUFFIX]
)
def test_a_missing_reader_file_names_the_fix(tmp_path, missing):
    folder = tmp_path / "reader_model"
    shutil.copytree(SHIPPED, folder)
    (folder / missing).unlink()
    with pytest.raises(ReaderError, match="is missing: restore it"):
        OnnxReader(folder)


def test_reader_setting_none_switches_it_off(monkeypatch):
    assert load_reader("none") is None
    monkeypatch.setenv("NEWSQA_READER", "none")
    assert Settings.from_env().reader is None
    monkeypatch.setenv("NEWSQA_READER", "default")
    assert Settings.from_env().reader == "default"


def test_a_reader_path_that_is_not_a_folder_is_refused(tmp_path):
    with pytest.raises(ReaderError, match="NEWSQA_READER"):
        load_reader(str(tmp_path / "nowhere"))


def test_only_a_reader_trained_with_headlines_reads_them(reader, tmp_path):
    headline = ["Belarus offers to host talks"]
    assert reader.read(QUESTION, [ANSWERING], headline) == reader.read(QUESTION, [ANSWERING])
    titled = tmp_path / "titled"
    shutil.copytree(SHIPPED, titled)
    (titled / "reader.json").write_text('{"max_length": 128, "titles": true}')
    with_titles = OnnxReader(titled)
    assert with_titles.titles and not reader.titles
    assert with_titles.read(QUESTION, [ANSWERING], [""]) == reader.read(QUESTION, [ANSWERING])
    assert with_titles.read(QUESTION, [ANSWERING], headline) != reader.read(QUESTION, [ANSWERING])


def test_a_reader_carries_the_bars_it_was_calibrated_with(reader, tmp_path):
    from qa.encoders.reader import ReaderBars

    assert reader.bars == ReaderBars()  # the shipped reader's, written out in its reader.json
    assert '"sure": 0.7' in (SHIPPED / "reader.json").read_text()
    other = tmp_path / "other"
    shutil.copytree(SHIPPED, other)
    (other / "reader.json").write_text('{"max_length": 96, "sure": 0.5, "support": 0}')
    assert OnnxReader(other).bars == ReaderBars(sure=0.5, evidence=ReaderBars.evidence, support=0)


@pytest.mark.parametrize("value", ["1.5", "-0.1", '"high"', "true", "null"])
def test_a_bar_that_is_no_probability_is_refused_naming_the_file(tmp_path, value):
    folder = tmp_path / "reader_model"
    shutil.copytree(SHIPPED, folder)
    (folder / "reader.json").write_text(f'{{"max_length": 96, "evidence": {value}}}')
    with pytest.raises(ReaderError, match=r"reader\.json: 'evidence' must be a probability"):
        OnnxReader(folder)
