"""Syndicated copies: one wire story from several outlets is stored once, with every outlet."""

from __future__ import annotations

import pytest
from helpers.articles import THREE_WAY_K, THREE_WAY_Y, THREE_WAY_Z

from ingest.dedupe import CopyFinder, fingerprint, to_minhash
from ingest.pipeline import Sorter, ingest_articles
from qa.answering.ask import ask
from qa.config import Settings
from qa.news.dates import parse_date
from qa.store import NewsIndex
from qa.types import Article

WIRE_STORY = (
    "Ukraine's grain exports through the Black Sea resumed on Monday after a three-week pause, "
    "the agriculture ministry said. The first convoy of four cargo ships left the port of "
    "Odesa carrying 120,000 tonnes of wheat and maize bound for Egypt and Turkey. Insurers "
    "had raised premiums sharply after the corridor closed, and traders said freight rates "
    "would stay high until the route proved safe. The ministry expects exports to recover "
    "to about three million tonnes a month by the end of the year, although port officials "
    "warned that damaged grain terminals would limit loading for several weeks."
)
OTHER_STORY = (
    "The central bank left its main interest rate unchanged at 4.5 per cent on Thursday, "
    "saying inflation had eased faster than expected over the summer. Governor Ana Ruiz told "
    "reporters that the board saw no need to cut rates before the spring, as wage growth "
    "remained strong and energy prices could rise again in winter. Markets had expected a "
    "small cut, and the currency rose half a per cent against the euro after the decision. "
    "Economists said the bank was signalling caution rather than a change of direction."
)


def copy_of(story: str, *, outlet: str, credit: str = "") -> Article:
    """The story as `outlet` publishes it: its own headline, URL and credit line."""
    slug = story.split()[1].lower()
    return Article(
        title=f"{story.split(',')[0]} - {outlet}",
        text=f"{story}\n{credit}" if credit else story,
        source=outlet,
        url=f"https://{outlet.lower().replace(' ', '')}.example/{slug}",
        published=parse_date("2022-08-01"),
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (WIRE_STORY + "\nReporting by Olena Harmash; editing by Mark Heinrich.", True),
        (WIRE_STORY.replace("Monday", "Tuesday").replace("Egypt", "Egypt, Libya"), True),
        (OTHER_STORY, False),
        (WIRE_STORY[: len(WIRE_STORY) // 2], False),  # half the story is a different text
    ],
)
def test_copy_finder_matches_near_duplicates_only(text, expected):
    finder = CopyFinder()
    finder.add("wire", "Wire", fingerprint(WIRE_STORY))
    found = finder.original_of(fingerprint(text), article_id="other")
    assert (found is not None) == expected
    if expected:
        assert (found.article_id, found.source) == ("wire", "Wire")


def test_short_texts_get_no_fingerprint():
    assert fingerprint("Ships left Odesa on Monday.") == ""
    assert CopyFinder().original_of("", article_id="x") is None


def test_fingerprint_is_compact_and_round_trips():
    signature = fingerprint(WIRE_STORY)
    assert len(signature) < 700
    assert to_minhash(signature).jaccard(to_minhash(fingerprint(WIRE_STORY))) == 1.0
    assert to_minhash("AAAA") is None  # a signature of another size is ignored


def test_an_article_is_not_its_own_copy():
    finder = CopyFinder()
    finder.add("wire", "Wire", fingerprint(WIRE_STORY))
    assert finder.original_of(fingerprint(WIRE_STORY), article_id="wire") is None


def three_way() -> list[Article]:
    """K, then copy Y, then Z: Y copies K and Z, which are different stories."""
    articles = [
        Article(
            title=f"Story {name}", text=text, source=f"Wire {name}", url=f"https://{name}.example/"
        )
        for name, text in (("k", THREE_WAY_K), ("y", THREE_WAY_Y), ("z", THREE_WAY_Z))
    ]
    for article in articles:
        article.fingerprint = fingerprint(article.text)
    return articles


def test_the_three_way_premise_holds():
    k, y, z = three_way()
    with_k = CopyFinder.from_stored([(k.id, k.source, k.fingerprint)])
    assert with_k.original_of(y.fingerprint) is not None
    assert with_k.original_of(z.fingerprint) is None  # K and Z are both kept
    with_z = CopyFinder.from_stored([(z.id, z.source, z.fingerprint)])
    assert with_z.original_of(y.fingerprint) is not None


def test_a_copy_of_two_kept_articles_is_credited_alike_whichever_was_stored_first():
    """One ingest reads K, Y, Z, keeps K and Z, and credits Y to Z, the one it is most like.
    An ingest that finds Z already stored (written by another process, or by this one before
    a crash) sees Y match both at once, and must credit it the same."""
    k, y, z = three_way()
    alone = Sorter({}, CopyFinder())
    assert [alone.status(a) for a in (k, y, z)] == ["added", "duplicates", "added"]
    stored_z = Sorter(
        {z.id: z.content_hash}, CopyFinder.from_stored([(z.id, z.source, z.fingerprint)])
    )
    assert [stored_z.status(a) for a in (k, y, z)] == ["added", "duplicates", "unchanged"]
    assert alone.publishers() == stored_z.publishers() == {z.id: ["Wire y"]}


@pytest.fixture
def settings(tmp_path):
    return Settings(store_dir=tmp_path / "store")


def test_copies_from_two_outlets_are_stored_once_with_both(settings, embeddings):
    first = copy_of(WIRE_STORY, outlet="Kyiv Post")
    second = copy_of(WIRE_STORY, outlet="Daily Wire", credit="Reporting by the Daily Wire desk.")
    with NewsIndex(settings, embeddings=embeddings) as index:
        summary = ingest_articles([first, second], index, progress=False)
    assert (summary.added, summary.duplicates, summary.articles_total) == (1, 1, 1)

    with NewsIndex(settings, embeddings=embeddings) as reopened:  # it survives reopening
        (row,) = reopened.catalog.articles().values()
        assert (row.article_id, row.source) == (first.id, "Kyiv Post")
        assert row.also_published_by == ("Daily Wire",)
        answer = ask(reopened, "How much grain did the ships leave Odesa with?")
        assert not answer.abstained
        cited = answer.citations[0].to_dict()
        assert (cited["source"], cited["also_published_by"]) == ("Kyiv Post", ["Daily Wire"])
        assert len({c.passage.article_id for c in answer.citations}) == 1


def test_copies_are_found_against_the_stored_articles(settings, embeddings):
    with NewsIndex(settings, embeddings=embeddings) as index:
        ingest_articles([copy_of(WIRE_STORY, outlet="Kyiv Post")], index, progress=False)
    later = [copy_of(WIRE_STORY, outlet="Euro Times"), copy_of(OTHER_STORY, outlet="Euro Times")]
    with NewsIndex(settings, embeddings=embeddings) as index:
        summary = ingest_articles(later, index, progress=False)
        again = ingest_articles(later, index, progress=False)  # re-running changes nothing
        (kept,) = [r for r in index.catalog.articles().values() if r.source == "Kyiv Post"]
        assert kept.also_published_by == ("Euro Times",)
    assert (summary.added, summary.duplicates, summary.articles_total) == (1, 1, 2)
    assert (again.unchanged, again.duplicates, again.articles_total) == (1, 1, 2)


def test_an_edited_original_keeps_its_copies_outlets(settings, embeddings):
    original = copy_of(WIRE_STORY, outlet="Kyiv Post")
    with NewsIndex(settings, embeddings=embeddings) as index:
        ingest_articles([original, copy_of(WIRE_STORY, outlet="Daily Wire")], index, progress=False)
        edited = copy_of(WIRE_STORY + " Update: a fifth ship has left.", outlet="Kyiv Post")
        summary = ingest_articles([edited], index, progress=False)
        (row,) = index.catalog.articles().values()
    assert summary.updated == 1
    assert row.also_published_by == ("Daily Wire",)
