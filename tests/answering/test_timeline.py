"""Timelines: dated events about a query, ordered by event date, each with its citation."""

from __future__ import annotations

import json

from qa.answering.ask import ask
from qa.answering.timeline import build_timeline
from qa.interface.cli import main as qa_main
from qa.news.dates import parse_event_date


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
