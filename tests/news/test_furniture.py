"""Page furniture: timestamps, bylines, photo credits and pointers are never evidence."""

from __future__ import annotations

import pytest

from ingest.clean import clean_text
from qa.answering.candidates import candidates_from
from qa.answering.extractive import answer_extractive
from qa.news.furniture import is_furniture
from qa.types import Passage


@pytest.mark.parametrize(
    "line",
    [
        "6:12 pm ET April 28, 2026 Share this update",
        "Updated March 27, 2026, 5:48 p.m. ET",
        "Mon 28 Apr 2026 10.12 BST",
        "Published 2026-04-11",
        "Last updated: 11:02 am",
        "By Jane Doe, CNN",
        "By Jane Doe and John Roe | Reuters",
        "BY JANE DOE",
        "(Photo: John Smith/Getty Images)",
        "Related: Putin says talks are possible",
        "Share this update",
    ],
)
def test_furniture_is_recognised(line):
    assert is_furniture(line)


@pytest.mark.parametrize(
    "line",
    [
        "By Tuesday, the troops had withdrawn.",
        "By March 2026, Tesla had sold a million cars.",
        "Putin said on April 28, 2026 that talks could start.",
        "A Reuters/Ipsos poll found 40% support.",
        "The meeting is at 5 pm ET on Friday.",
        "Updated guidance was issued on Monday by the CDC.",
        "3.5 million people voted.",
    ],
)
def test_reporting_that_looks_like_furniture_is_kept(line):
    assert not is_furniture(line)


LIVE_BLOG = """\
Live updates: the pope's funeral
6:12 pm ET April 28, 2026 Share this update
By Jane Doe, CNN
Cardinal Giovanni Battista Re led the funeral Mass for the pope on April 26, 2026.
(Photo: John Smith/Getty Images)
5:48 pm ET April 28, 2026 Share this update
Related: Who will be the next pope?
About 250,000 people attended the funeral in St. Peter's Square, the Vatican said.
"""


def test_ingest_cleans_furniture_out_of_a_live_blog():
    text, _ = clean_text(LIVE_BLOG)
    assert "Share this update" not in text and "Getty" not in text
    assert "By Jane Doe" not in text and "Related:" not in text
    assert "Cardinal Giovanni Battista Re led the funeral Mass" in text
    assert "About 250,000 people attended" in text


def test_furniture_stored_before_is_never_a_candidate_nor_the_answer(embeddings):
    """A store ingested before the cleaner knew furniture still holds it: the answerer skips it."""
    passage = Passage(chunk_id="a:0", article_id="a", text=LIVE_BLOG, rank=1)
    texts = [c.text for c in candidates_from([passage])]
    assert not any(is_furniture(t) for t in texts)
    assert any("Cardinal Giovanni Battista Re" in t for t in texts)
    answer = answer_extractive(
        "When was the pope's funeral on April 28, 2026?", [passage], embeddings
    )
    assert "Share this update" not in answer.text and "pm ET" not in answer.text
