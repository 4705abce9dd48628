"""Cleaning scraped news before chunking: boilerplate out, whitespace and Unicode normalised.

Each rule is a whole-line pattern; a line is dropped only if it matches entirely, so prose that
merely mentions "advert" or "cookies" stays. A "Topics:" footer becomes the article's topics.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace

from ingest.errors import SourceError
from qa.news.furniture import is_furniture
from qa.types import Article

SHORT_LINE = 300  # boilerplate lines are short; long lines are prose even if they match a phrase

# Whole lines that are never article text, whatever their length.
_BOILERPLATE = [
    r"advert(isement)?s?",
    r"(sponsored|promoted|paid)( content| post| partner content)?",
    r"(the )?(story|article) continues (below|after)( (this|the))?( advert(isement)?)?",
    r"skip (to )?(main )?(content|advert(isement)?)",
    r"share (this|on)( article| story)?:?( (facebook|twitter|x|email|whatsapp|linkedin)[, ]*)*",
    r"(image|photo|video)( source| caption)?:?",
    r"(read|see) (more|also|next)\b.*",
    r"related( (articles?|stories|content|coverage))?:?.*",
    r"(most read|most popular|trending now|top stories|more on this story)",
    r"(follow|like) us on .*",
    r"(sign up|subscribe)\b.*\b(newsletter|updates|alerts|inbox)\b.*",
    r"(get|receive) our .*newsletter.*",
    r".*\bclick here\b.*",
    r".*\b(we|this (site|website)) uses? cookies\b.*",
    r".*\b(accept|manage|reject) (all )?cookies\b.*",
    r"if you would like to donate\b.*",
    r".*\bdonat(e|ion)s?\b.*\b(appeal|here|today|now)\b.*",
    r"(copyright|©|\(c\)) .*\b(all rights reserved)\b.*",
    r"(comments?|join the (conversation|discussion))",
    r"(listen to|watch) (this|the) (article|story|video)\b.*",
]
_BOILERPLATE_RE = re.compile(rf"^(?:{'|'.join(_BOILERPLATE)})\s*[.!]?$", re.IGNORECASE)
_TOPICS_RE = re.compile(r"^(topics|tags|related topics|categories|filed under)\s*:\s*(.+)$", re.I)
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_CONTROL = re.compile(r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\ufeff\u200c\u200d]")


def normalise_text(text: str) -> str:
    """NFC Unicode, one kind of line break, single spaces, no control characters."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return "\n".join(lines)


def is_boilerplate(line: str) -> bool:
    """A line that is never article text: an advert, a share or subscribe prompt, or page
    furniture (timestamps, bylines, photo credits, "Related:" pointers; `qa.news.furniture`)."""
    return len(line) <= SHORT_LINE and (bool(_BOILERPLATE_RE.match(line)) or is_furniture(line))


def split_topics(line: str) -> list[str] | None:
    """The topics of a "Topics: A, B, C" footer line, or None if `line` is not one."""
    m = _TOPICS_RE.match(line)
    if not m or len(line) > SHORT_LINE:
        return None
    return [t.strip() for t in re.split(r"[,;|]", m.group(2)) if t.strip()]


def clean_text(text: str) -> tuple[str, list[str]]:
    """Remove boilerplate lines and repeated lines; return (text, topics from footers)."""
    kept: list[str] = []
    topics: list[str] = []
    for line in normalise_text(text).split("\n"):
        if (found := split_topics(line)) is not None:
            topics.extend(found)
        elif line and not is_boilerplate(line) and (not kept or kept[-1] != line):
            kept.append(line)
    return "\n".join(kept), topics


def clean_article(article: Article) -> Article:
    """The article with clean text, title and topics; raises SourceError if no text is left."""
    text, topics = clean_text(article.text)
    if not text.strip():
        raise SourceError(
            article.origin or article.title or "article",
            "has no article text left after removing boilerplate; check that it is a news article",
        )
    title = normalise_text(article.title).replace("\n", " ").strip()
    merged = list(dict.fromkeys([*(t.strip() for t in article.topics if t.strip()), *topics]))
    return replace(article, text=text, title=title, topics=merged, id=article.id)
