"""The articles the tests store: the sample, an HTML-injecting one, a small news store, and
templated bridge articles (one made-up town each, so each answers its own question)."""

from __future__ import annotations

import random
from pathlib import Path

from helpers.paths import SAMPLE
from qa.news.dates import parse_date
from qa.types import Article

SAMPLE_TITLE = "Putin ready for talks in Minsk"
SAMPLE_DATE = "2022-02-25"
# An article whose every field tries to inject HTML, Markdown or a script into the page.
TRICKY_TITLE = "Harbour festival <b>returns</b> **tonight**"
TRICKY_SOURCE = "Port <i>Ellis</i> Gazette"
TRICKY_TEXT = """\
The harbour festival in Port Ellis returns on Saturday after a two-year pause [organisers say].
By mistake, the organisers posted the code <script>alert(1)</script> on the festival website.
The mayor called the programme **spectacular** and linked to [tickets](javascript:alert(2)) in her statement.
Tickets cost $5 for children and $10 for adults."""


def sample_raw_article() -> Article:
    return Article(
        title=SAMPLE_TITLE,
        text=SAMPLE.read_text(encoding="utf-8"),
        source="Sample",
        published=parse_date(SAMPLE_DATE),
        origin=str(SAMPLE),
    )


def tricky_article() -> Article:
    return Article(
        title=TRICKY_TITLE,
        text=TRICKY_TEXT,
        source=TRICKY_SOURCE,
        url="javascript:alert(3)",
        published=parse_date("2024-06-01"),
    )


# A resignation dated "yesterday" and two outlets giving different casualty figures: what the
# dates, attribution and citation tests ask about through the store.
MINISTER = Article(
    title="Finance minister quits",
    text=(
        "The finance minister resigned yesterday after a week of protests over the budget. "
        "Opposition leaders welcomed the decision and called for early elections. "
        "The prime minister will name a successor next week, officials said."
    ),
    source="Daily Ledger",
    published=parse_date("2022-02-25"),
    origin="minister-quits",
)
CASUALTIES = [
    Article(
        title=f"Strike on Kharkiv ({outlet})",
        text=(
            f"At least {n} people were killed in the missile strike on Kharkiv on Tuesday, "
            f"regional officials said. {tail}"
        ),
        source=outlet,
        published=parse_date("2022-03-02"),
        origin=f"kharkiv-{outlet}",
    )
    for outlet, n, tail in [
        ("North Wire", 21, "Rescue teams searched the rubble through the night."),
        ("South Herald", 34, "The city council declared three days of mourning."),
    ]
]
NEWS_ARTICLES = [MINISTER, *CASUALTIES]  # the news store's

# --- templated bridge articles, for the reliability tests -----------------------------------

TOWNS = ("Veld", "Kor", "Mar", "Tal", "Bro", "Fen", "Gal", "Hul", "Isk", "Jor")
TOWN_ENDS = ("haven", "vath", "brook", "mere", "stad", "wick", "dorf", "ness", "holm", "ford")


def town(i: int) -> str:
    """A made-up town name, distinct for i < 100, so each article answers its own question."""
    return TOWNS[i % 10] + TOWN_ENDS[i // 10 % 10]


def question(i: int) -> str:
    """The question that article `i` of `write_articles` answers (its mayor, Ada Quill{i})."""
    return f"Who opened the new river bridge in {town(i)}?"


FILLER_SUBJECTS = (
    "The council",
    "A spokesperson",
    "Local traders",
    "The ministry",
    "Engineers",
    "Farmers",
    "The opposition",
    "Teachers",
    "Police",
    "Nurses",
    "Bankers",
    "The museum",
    "Students",
    "The union",
    "Fishermen",
    "Residents",
)
FILLER_VERBS = (
    "praised",
    "questioned",
    "delayed",
    "funded",
    "opposed",
    "reviewed",
    "welcomed",
    "criticised",
    "postponed",
    "approved",
    "debated",
    "audited",
    "cancelled",
)
FILLER_OBJECTS = (
    "the harbour tax",
    "a new school",
    "the tram plan",
    "winter heating aid",
    "the flood wall",
    "a cycling lane",
    "the orchestra budget",
    "a hospital wing",
    "the rail timetable",
    "library hours",
    "a solar farm",
    "the market square",
    "water prices",
    "a youth centre",
    "the airport expansion",
    "parking fees",
)
FILLER_TIMES = (
    "last week",
    "on Thursday",
    "in March",
    "after a long debate",
    "without a vote",
    "despite protests",
    "for the third time",
    "at a late session",
    "this spring",
)


def filler(seed: int, sentences: int = 5) -> str:
    """Distinct, deterministic news-like sentences, so templated test articles are not near
    duplicates of each other (ingest merges syndicated copies)."""
    rng = random.Random(seed)
    return " ".join(
        f"{rng.choice(FILLER_SUBJECTS)} {rng.choice(FILLER_VERBS)} {rng.choice(FILLER_OBJECTS)} "
        f"{rng.choice(FILLER_TIMES)}, said {rng.choice(TOWNS)}{rng.randrange(1000)}."
        for _ in range(sentences)
    )


def write_articles(folder: Path, count: int, *, start: int = 0) -> Path:
    """`count` small distinct news articles as .txt files (one chunk each) in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(start, start + count):
        name = town(i)
        (folder / f"{i:03d}-bridge-opens-in-{name.lower()}.txt").write_text(
            f"New bridge opens in {name}\n\n"
            f"The mayor of {name}, Ada Quill{i}, opened the new river bridge on Monday. "
            f"The bridge in {name} cost {i + 2} million euros and took three years to build. "
            f"Residents of {name} said the crossing would cut their commute in half. "
            f"{filler(i)}\n",
            encoding="utf-8",
        )
    return folder


def words_text(first: int, last: int) -> str:
    """Made-up words w{first}..w{last - 1}, ten to a sentence: texts whose overlap, and so
    their MinHash similarity, is set by the ranges."""
    words = [f"w{i}" for i in range(first, last)]
    return " ".join(
        " ".join(words[i : i + 10]).capitalize() + "." for i in range(0, len(words), 10)
    )


# A copy Y (words 10-119) like two kept articles, K (0-109) and Z (20-129), more like Z, where
# K and Z are different stories: estimated similarities 0.84, 0.86 and 0.70 (threshold 0.8).
THREE_WAY_K, THREE_WAY_Y, THREE_WAY_Z = words_text(0, 110), words_text(10, 120), words_text(20, 130)
