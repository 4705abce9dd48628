"""Timelines: dated events about a query, ordered by event date, each with its citation."""

from __future__ import annotations

import json

import pytest

from ingest.pipeline import ingest_articles
from qa.answering.ask import ask
from qa.answering.timeline import build_timeline, is_stamp
from qa.config import Settings
from qa.interface.cli import main as qa_main
from qa.news.dates import parse_date, parse_event_date
from qa.store import NewsIndex
from qa.types import Article


def test_sample_timeline_orders_events_by_date(sample_index):
    events = build_timeline(sample_index, "Putin talks with Ukraine")
    dates = [e.date for e in events]
    assert dates == sorted(dates, key=lambda iso: parse_event_date(iso).sort_key)
    assert dates[0] == "2022-02-24" and dates[-1] == "2022-02-25"
    feb_24 = " ".join(e.event for e in events if e.date == "2022-02-24")
    assert "Diplomatic relations" in feb_24 and "Peskov" in feb_24
    assert {e.citation.n for e in events} == {1}  # one article: one source, one number
    assert all(len(e.event.split()) >= 5 for e in events)  # no byline or dateline


def test_publication_date_fallback_is_marked(sample_index):
    events = build_timeline(sample_index, "Putin talks with Ukraine")
    fallback = [e for e in events if e.dated_by == "published"]
    assert [e.event.split()[:3] for e in fallback] == [["Russian", "president", "Vladimir"]]
    assert all(e.citation.dates == [] for e in fallback)
    assert all(e.citation.dates for e in events if e.dated_by == "text")


def test_timeline_json_citations_match_ask_citations(sample_store, sample_index, capsys):
    code = qa_main(["timeline", "Putin talks", "--store", str(sample_store), "--json"])
    assert code == 0
    events = json.loads(capsys.readouterr().out)
    assert events and all(set(e) == {"date", "event", "citation", "dated_by"} for e in events)
    ask_keys = set(ask(sample_index, "Who proposed talks in Minsk?").citations[0].to_dict())
    assert all(set(e["citation"]) == ask_keys for e in events)
    peskov = next(e for e in events if "Peskov" in e["event"])
    assert (peskov["citation"]["attribution"], peskov["date"]) == ("POLITICO", "2022-02-24")


def test_unrelated_query_gives_an_empty_timeline(sample_store, capsys):
    code = qa_main(["timeline", "World Cup football final", "--store", str(sample_store)])
    assert code == 0
    assert "No dated events" in capsys.readouterr().out


def test_a_byline_is_no_event_and_leaves_the_lead_its_publication_date(tmp_path, embeddings):
    from ingest.pipeline import ingest_articles
    from qa.config import Settings
    from qa.news.dates import parse_date
    from qa.store import NewsIndex
    from qa.types import Article

    article = Article(
        title="Harbour reopens in Galness",
        text=(
            "By Andrea Swan. The Galness harbour reopened to fishing boats after a long closure, "
            "the port authority said. Crews repaired the storm wall in three months."
        ),
        source="Coast News",
        published=parse_date("2023-04-05"),
        origin="galness-harbour",
    )
    with NewsIndex(Settings(store_dir=tmp_path / "s"), embeddings=embeddings) as index:
        ingest_articles([article], index, progress=False)
        events = build_timeline(index, "Galness harbour reopened")
    assert [(e.date, e.dated_by, e.event.split()[:3]) for e in events] == [
        ("2023-04-05", "published", ["The", "Galness", "harbour"])
    ]


# --- issue 36: stamps, bylines and near-copies are not events; dates agree with the text ----

SPRING_TALKS = [
    Article(
        title="Port strike talks resume",
        text=(
            "Updated March 27, 2026, 5:48 p.m. ET\n\n"
            "By Andrea Swan and Li Wei, Reuters\n\n"
            "Talks between the dockers' union and the port of Galness that stalled last week "
            "resumed on April 11, officials said. "
            "The union had walked out on March 20 over a pay offer it called an insult. "
            "Ships queued outside the harbour for days while the strike lasted."
        ),
        source="Coast News",
        published=parse_date("2026-03-09"),  # a live page, first published in March
        origin="talks-resume",
    ),
    Article(
        title="Galness dockers back at the table",
        text=(
            "Published 11:02 AM EDT, Sat April 11, 2026\n\n"
            "The dockers' union had walked out on March 20 over a pay offer it called an insult, "
            "the union said. Negotiators for both sides met again at the harbour office in "
            "Galness on Saturday. A mediator from the labour ministry joined them."
        ),
        source="Harbour Wire",
        published=parse_date("2026-04-11"),
        origin="dockers-back",
    ),
]


@pytest.fixture(scope="module")
def talks_store(tmp_path_factory, embeddings):
    folder = tmp_path_factory.mktemp("talks-store")
    with NewsIndex(Settings(store_dir=folder), embeddings=embeddings) as index:
        ingest_articles(SPRING_TALKS, index, progress=False)
    return folder


@pytest.mark.parametrize(
    ("sentence", "stamp"),
    [
        ("Updated March 27, 2026, 5:48 p.m. ET", True),
        ("Published 11:02 AM EDT, Sat April 11, 2026", True),
        ("Last updated: 27 March 2026 17:48", True),
        ("By Andrea Swan and Li Wei, Reuters", True),
        ("Monday, 2 March 2026 at 10:00 GMT", True),
        ("Published reports say the minister resigned on Monday after protests.", False),
        ("By the end of March, the council had approved the budget for next year.", False),
        ("The union had walked out on March 20 over a pay offer.", False),
    ],
)
def test_stamps_and_bylines_are_told_from_events(sentence, stamp):
    assert is_stamp(sentence) is stamp


def test_a_timeline_has_no_stamps_nor_near_copies_and_dates_agree_with_the_text(
    talks_store, embeddings
):
    index = NewsIndex(Settings(store_dir=talks_store), embeddings=embeddings)
    events = build_timeline(index, "Galness port strike talks")
    texts = [e.event for e in events]
    assert not [t for t in texts if t.startswith(("Updated", "Published", "By "))]
    walked_out = [e for e in events if "walked out on March 20" in e.event]
    assert len(walked_out) == 1 and walked_out[0].date == "2026-03-20"  # two copies, one event
    [resumed] = [e for e in events if "resumed on April 11" in e.event]
    assert resumed.citation.dates == ["2026-W10", "2026-04-11"]  # "last week" of 9 March, too
    assert resumed.date == "2026-04-11"  # not "the week of 2 March"


def test_timeline_lists_its_sources_under_the_events(talks_store, capsys):
    code = qa_main(["timeline", "Galness port strike talks", "--store", str(talks_store)])
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert "sources:" in out
    sources = out[out.index("sources:") + 1 :]
    events = out[: out.index("sources:")]
    numbers = {line.rsplit("[", 1)[1].rstrip("]") for line in events}
    assert sorted(numbers) == [str(n) for n in range(1, len(sources) + 1)]
    assert "  [1] " in sources[0] and any("Coast News, 2026-03-09" in s for s in sources)
