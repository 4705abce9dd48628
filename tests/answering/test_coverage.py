"""What the store covers and the "as of" day (issue 36: a store of spring news asked in December
said only "I couldn't find this", with no word that the news ends in May)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from ingest.pipeline import ingest_articles
from qa.answering.ask import Asker, AskOptions
from qa.answering.coverage import Coverage
from qa.config import Settings
from qa.interface.cli import main as qa_main
from qa.news.dates import parse_date
from qa.store import NewsIndex
from qa.types import Article

SPRING = [
    Article(
        title="Tram line approved",
        text=(
            "The city council of Veldhaven approved the new tram line on Monday after a long "
            "debate. Construction will start in the summer and take two years."
        ),
        source="Veld Courier",
        published=parse_date("2026-03-02"),
        origin="tram",
    ),
    Article(
        title="Harbour bridge reopens",
        text=(
            "The harbour bridge in Korvath reopened to traffic on Wednesday after three months "
            "of repairs. Engineers replaced the cables and repainted the deck."
        ),
        source="Kor Gazette",
        published=parse_date("2026-05-20"),
        origin="bridge",
    ),
]


@pytest.fixture(scope="module")
def spring_store(tmp_path_factory, embeddings) -> Path:
    """A store whose news ends on 20 May 2026, months before the tests' today."""
    folder = tmp_path_factory.mktemp("spring-store")
    with NewsIndex(Settings(store_dir=folder), embeddings=embeddings) as index:
        ingest_articles(SPRING, index, progress=False)
    return folder


@pytest.mark.parametrize(
    ("newest", "today", "as_of"),
    [
        (None, date(2026, 12, 6), date(2026, 12, 6)),  # nothing dated: today
        (date(2026, 12, 6), date(2026, 12, 6), date(2026, 12, 6)),  # a live feed
        (date(2026, 11, 29), date(2026, 12, 6), date(2026, 12, 6)),  # a week old: still live
        (date(2026, 11, 28), date(2026, 12, 6), date(2026, 11, 28)),  # older: an archive
        (date(2026, 5, 20), date(2026, 12, 6), date(2026, 5, 20)),
    ],
)
def test_default_as_of_is_today_for_a_live_feed_and_the_newest_day_for_an_archive(
    newest, today, as_of
):
    assert Coverage(newest and date(2026, 1, 1), newest).default_as_of(today) == as_of


def run_qa(argv: list[str], capsys) -> tuple[int, str, str]:
    code = qa_main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_stats_say_what_the_store_covers_and_its_as_of_day(spring_store, capsys):
    code, out, _ = run_qa(["stats", "--store", str(spring_store), "--json"], capsys)
    stats = json.loads(out)
    assert code == 0
    assert (stats["oldest"], stats["newest"]) == ("2026-03-02", "2026-05-20")
    assert stats["as_of_default"] == "2026-05-20"  # an archive: its newest day, not today
    code, out, _ = run_qa(["stats", "--store", str(spring_store)], capsys)
    assert "covers: articles published 2026-03-02 to 2026-05-20" in out
    assert "answers as of: 2026-05-20" in out


def test_a_miss_long_after_the_news_says_where_the_news_ends(spring_store, capsys):
    question = "What happened yesterday?"
    argv = ["ask", question, "--store", str(spring_store), "--as-of", "2026-12-06", "--json"]
    code, out, _ = run_qa(argv, capsys)
    answer = json.loads(out)
    assert code == 0 and answer["abstained"]
    assert (
        "The newest article is from 2026-05-20, 200 days before the as-of date 2026-12-06"
        in (answer["notice"])
    )
    assert "The articles cover 2026-03-02 to 2026-05-20." in answer["notice"]


def test_an_answer_found_within_the_news_has_no_coverage_note(spring_store, embeddings):
    index = NewsIndex(Settings(store_dir=spring_store), embeddings=embeddings)
    as_of = datetime(2026, 5, 21, tzinfo=UTC)
    answer = Asker(index).ask(
        "When did the harbour bridge in Korvath reopen?", AskOptions(as_of=as_of)
    )
    assert not answer.abstained
    assert not answer.notice


def test_without_as_of_an_archive_is_answered_as_of_its_newest_day(spring_store, capsys):
    argv = ["ask", "When did the harbour bridge in Korvath reopen?", "--store", str(spring_store)]
    code, out, err = run_qa([*argv, "--json"], capsys)
    answer = json.loads(out)
    assert code == 0 and not answer["abstained"] and not answer["notice"]
    [age] = {c["age_days"] for c in answer["citations"]}
    assert age == 0  # as of 20 May, not seven months later
