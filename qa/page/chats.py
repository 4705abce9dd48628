"""Saved chats on the page: titles that tell them apart, the filters kept with each answer, and
a chat as a Markdown file to take away. Pure functions, no Streamlit: `app.py` renders them.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, date, datetime

from qa.answering.ask import AskOptions
from qa.conversation.saved import Conversation
from qa.page.markdown import escape_markdown, filters_label, safe_url
from qa.types import UNKNOWN_SOURCE

TITLE_WORDS = 5  # key words of the first question in a chat's title
# Words that open or join most questions: "What did the minister say about the budget?" is
# told apart from "What did the minister say about the strike?" by the rest.
_FILLER = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "been",
        "being",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "for",
        "from",
        "had",
        "has",
        "have",
        "how",
        "i",
        "in",
        "into",
        "is",
        "it",
        "its",
        "me",
        "my",
        "of",
        "on",
        "or",
        "our",
        "say",
        "said",
        "says",
        "tell",
        "than",
        "that",
        "the",
        "their",
        "them",
        "there",
        "these",
        "they",
        "this",
        "those",
        "to",
        "us",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "whom",
        "whose",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "about",
        "any",
        "anything",
        "happen",
        "happened",
        "happening",
        "there's",
        "what's",
        "who's",
    ]
)
_WORD = re.compile(r"[\w'’-]+")
# In a downloaded file, only what would turn article text into markup is escaped (emphasis,
# links, HTML, headings, tables, code, math), so the file still reads as plain text.
_MARKUP = re.compile(r"([\\`*_\[\]<>#|~$])")


def key_words(question: str, *, limit: int = TITLE_WORDS) -> str:
    """The question's first `limit` words that are not question or filler words, in their
    order: "Who proposed talks in Minsk?" -> "proposed talks Minsk" (the question itself when
    it has no other words)."""
    words = _WORD.findall(question)
    kept = [w for w in words if w.lower().strip("'’-") not in _FILLER][:limit]
    text = " ".join(kept or words[:limit]) or question.strip()
    return text[:1].upper() + text[1:]


def chat_labels(chats: list[Conversation]) -> dict[int, str]:
    """A label per chat that tells it apart: key words, day and time it started ("Talks Minsk
    · 6 Dec 15:48"); chats that would still read the same are numbered "(2)", "(3)"."""
    labels = {c.id: f"{key_words(c.title)} · {_when(c.created)}" for c in chats}
    repeated = Counter(labels.values())
    seen: Counter[str] = Counter()
    for chat in sorted(chats, key=lambda c: (c.created, c.id)):  # the oldest keeps the bare label
        label = labels[chat.id]
        if repeated[label] > 1:
            seen[label] += 1
            if seen[label] > 1:
                labels[chat.id] = f"{label} ({seen[label]})"
    return labels


def _when(iso: str) -> str:
    """ "6 Dec 15:48" (UTC), with the year when it is not this year's."""
    moment = datetime.fromisoformat(iso).astimezone(UTC)
    year = "" if moment.year == datetime.now(UTC).year else f" {moment.year}"
    return f"{moment.day} {moment:%b}{year} {moment:%H:%M}"


# -- the filters an answer was given under ------------------------------------------------


def filters_record(options: AskOptions) -> dict:
    """The sidebar filters of an answer, as kept in its saved record (dates as ISO days)."""

    def day(value: datetime | None) -> str | None:
        return value.date().isoformat() if value else None

    return {
        "sources": [s or UNKNOWN_SOURCE for s in options.sources],
        "topics": list(options.topics),
        "since": day(options.since),
        "until": day(options.until),
        "as_of": day(options.as_of),
    }


def widget_values(record: dict, *, sources: list[str], topics: list[str]) -> dict:
    """The sidebar widgets' values (by key) that give `record`'s filters again; sources or
    topics the store no longer has are left out, as a multiselect refuses them."""
    values: dict = {
        "sources": [s for s in record.get("sources") or [] if s in sources],
        "topics": [t for t in record.get("topics") or [] if t in topics],
    }
    for key in ("since", "until", "as_of"):
        text = record.get(key)
        values[key] = date.fromisoformat(text) if text else None
    if values["as_of"] is None:
        del values["as_of"]  # keep the page's default rather than clearing it
    return values


def last_filters(messages: list[dict]) -> dict | None:
    """The filters of the chat's last answer that kept them (older chats did not)."""
    for message in reversed(messages):
        filters = (message.get("answer") or {}).get("filters")
        if filters is not None:
            return filters
    return None


def filters_caption(
    record: dict, *, newest: date | None = None, markdown: bool = True
) -> str | None:
    """Under an answer: which articles were searched and as of which day (escaped Markdown,
    or plain text without `markdown`)."""
    filters = record.get("filters")
    if filters is None:
        return None
    options = _options(filters)
    narrowed = filters_label(options, newest=newest) or "every article"
    as_of = f", as of {filters['as_of']}" if filters.get("as_of") else ""
    text = f"Searched {narrowed}{as_of}"
    return escape_markdown(text) if markdown else text


def _options(filters: dict) -> AskOptions:
    def moment(text: str | None) -> datetime | None:
        return datetime.fromisoformat(text).replace(tzinfo=UTC) if text else None

    return AskOptions(
        sources=tuple("" if s == UNKNOWN_SOURCE else s for s in filters.get("sources") or []),
        topics=tuple(filters.get("topics") or []),
        since=moment(filters.get("since")),
        until=moment(filters.get("until")),
        as_of=moment(filters.get("as_of")),
    )


# -- a chat as a Markdown file ----------------------------------------------------------------


def chat_file_name(title: str, created: str | None = None) -> str:
    """ "chat-proposed-talks-minsk-2026-12-06.md"."""
    slug = "-".join(_WORD.findall(key_words(title).lower()))[:60].strip("-") or "chat"
    day = (created or datetime.now(UTC).isoformat())[:10]
    return f"chat-{slug}-{day}.md"


def plain(text: str) -> str:
    """`text` on one line, with what would be Markdown markup escaped."""
    return _MARKUP.sub(r"\\\1", " ".join(str(text).split()))


def chat_markdown(title: str, messages: list[dict], *, newest: date | None = None) -> str:
    """The chat as a Markdown document: each question, its answer, the filters it was given
    under and its numbered sources with title, source, date and link. Markup in article text
    is escaped; links are http(s) only."""
    lines = [f"# {plain(title)}", ""]
    for message in messages:
        if message["role"] == "user":
            lines += [f"## {plain(message['content'])}", ""]
            continue
        record = message.get("answer") or {}
        if record.get("short_answer") and not record.get("abstained"):
            lines += [f"**{plain(str(record['short_answer']))}**", ""]
        lines += [plain(line) for line in str(message.get("content", "")).split("\n")]
        lines.append("")
        if record.get("notice"):
            lines += [f"*{plain(record['notice'])}*", ""]
        if caption := filters_caption(record, newest=newest, markdown=False):
            lines += [f"*{plain(caption)}*", ""]
        sources = _sources(record.get("citations") or [])
        if sources:
            lines += ["Sources:", "", *sources, ""]
    return "\n".join(lines).rstrip() + "\n"


def _sources(citations: list[dict]) -> list[str]:
    """One line per cited article: "[1] Title · Source · 2022-02-25 · <https://...>"."""
    lines, listed = [], set()
    for c in citations:
        if c["n"] in listed:
            continue
        listed.add(c["n"])
        parts = [c.get("title") or "(untitled)", c.get("source"), c.get("published")]
        text = " · ".join(plain(p) for p in parts if p)
        url = safe_url(c.get("url") or "")
        lines.append(f"- \\[{c['n']}\\] {text}" + (f" · <{url}>" if url else ""))
    return lines


FILTER_PARAMS = ("source", "topic", "since", "until", "as_of")  # the address's filter keys


def address_params(record: dict, *, default_as_of: date | None) -> dict[str, list[str]]:
    """The sidebar filters as the page address's parameters (`?source=BBC&since=...`), so a
    reload or a shared link keeps them; the as-of day only when it is not the default (an
    address without it follows the store as it grows)."""
    params = {
        "source": list(record.get("sources") or []),
        "topic": list(record.get("topics") or []),
        "since": [record["since"]] if record.get("since") else [],
        "until": [record["until"]] if record.get("until") else [],
        "as_of": [record["as_of"]] if record.get("as_of") else [],
    }
    if default_as_of is not None and params["as_of"] == [default_as_of.isoformat()]:
        params["as_of"] = []
    return params


def record_from_address(params: dict[str, list[str]]) -> dict | None:
    """The filters an address names, as a saved answer keeps them (`widget_values` reads it);
    None when it names none. A date that is not one is left out."""
    if not any(params.get(key) for key in FILTER_PARAMS):
        return None

    def day(key: str) -> str | None:
        for text in params.get(key) or []:
            try:
                return date.fromisoformat(text.strip()).isoformat()
            except ValueError:
                return None
        return None

    return {
        "sources": list(params.get("source") or []),
        "topics": list(params.get("topic") or []),
        "since": day("since"),
        "until": day("until"),
        "as_of": day("as_of"),
    }
