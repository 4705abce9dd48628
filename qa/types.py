"""The data model shared by ingest (writes) and qa (reads): plain typed dataclasses."""

from __future__ import annotations

import hashlib
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit

UNKNOWN_SOURCE = "(unknown)"  # how statistics, filters and prompts name a missing source
ID_LENGTH = 16  # hex characters of SHA-256 kept in ids: 64 bits, no collisions at archive scale


def normalise_url(url: str) -> str:
    """Canonical form of an article URL: scheme and host lower-cased, no fragment or trailing slash."""
    parts = urlsplit(url.strip())
    path = parts.path.rstrip("/") or "/"
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, parts.query, ""))


WEB_SCHEMES = (
    "http",
    "https",
)  # the only links an article may carry (no javascript:, data:, file:)


def web_url(url: str) -> str:
    """`url` stripped if it is an http(s) address with a host, else "": what is stored and
    returned as an article's link, so a `javascript:` or `file:` URL never reaches a reader."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
    except ValueError:  # an unbalanced "[" in the host
        return ""
    return url if parts.scheme.lower() in WEB_SCHEMES and parts.netloc else ""


def stable_hash(*parts: str) -> str:
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return digest[:ID_LENGTH]


@dataclass
class Article:
    """One news article, cleaned. `id` is derived from its identity, `content_hash` from its text.

    Identity is the normalised URL when there is one, else the file it came from
    (`origin`), else its title and text. So re-ingesting the same source gives the
    same id, and an edited article with the same URL or file replaces the old one.
    """

    title: str
    text: str
    source: str = ""
    url: str = ""
    published: datetime | None = None
    authors: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    origin: str = ""  # where it was loaded from (path, URL, feed), for messages and identity
    id: str = ""
    also_published_by: list[str] = field(default_factory=list)  # outlets of syndicated copies
    fingerprint: str = ""  # MinHash signature of the text (ingest.dedupe), to spot copies
    title_derived: bool = False  # the source had no title: made from the file name or the lead
    loaded_from: str = ""  # where messages find it ("dump.jsonl:4"); not part of its identity

    @property
    def place(self) -> str:
        """How a warning or failure names the article: its file and line, path or URL."""
        return self.loaded_from or self.origin or self.url or self.title

    def __post_init__(self) -> None:
        if self.published is not None and self.published.tzinfo is None:
            self.published = self.published.replace(tzinfo=UTC)
        if not self.id:
            self.id = self.identity_hash()

    def identity_hash(self) -> str:
        if self.url:
            return stable_hash("url", normalise_url(self.url))
        if self.origin and not self.origin.startswith("-"):
            return stable_hash("origin", self.origin)
        return stable_hash("text", self.title, self.text)

    @property
    def content_hash(self) -> str:
        """Changes whenever anything stored about the article changes."""
        published = self.published.isoformat() if self.published else ""
        return stable_hash(
            self.title,
            self.text,
            self.source,
            self.url,
            published,
            "|".join(self.authors),
            "|".join(self.topics),
            # Only when set, so an article with a real title keeps the hash it is stored under.
            *(["title derived"] if self.title_derived else []),
        )


def head_line(title: str, published: int | None) -> str:
    """A chunk's title and date, so it reads alone: "Title (2022-02-25)"."""
    if published is None:
        return title
    day = datetime.fromtimestamp(published, UTC).date().isoformat()
    return f"{title} ({day})" if title else day


@dataclass
class Chunk:
    """A sentence-aligned slice of an article, with the metadata filters need."""

    article_id: str
    n: int
    text: str
    start: int  # character offsets of `text` in the article's text
    end: int
    title: str = ""
    source: str = ""
    url: str = ""
    published: int | None = None  # epoch seconds, UTC
    topics: list[str] = field(default_factory=list)
    # (start, end, ISO dates) of the sentences that refer to dates, offsets in `text`;
    # None when not computed (qa.news.dates.dated_sentences fills it at ingest).
    dated_sentences: list[tuple[int, int, list[str]]] | None = None
    # The vectors of the sentences of `text` (qa.news.sentences order), packed by
    # qa.encoders.embeddings.pack_vectors; set at ingest so answering needs no model call per sentence.
    sentence_vectors: str | None = None
    # The vector of `head` (title and date), packed the same way; the answerer scores the
    # headline with it.
    head_vector: str | None = None

    @property
    def id(self) -> str:
        return f"{self.article_id}:{self.n}"

    @property
    def head(self) -> str:
        return head_line(self.title, self.published)

    @property
    def embed_text(self) -> str:
        """The chunk as one text, headed by its title and date (what BM25 indexes)."""
        head = self.head
        return f"{head}\n{self.text}" if head else self.text


@dataclass
class Passage:
    """A retrieved chunk with its scores."""

    chunk_id: str
    article_id: str
    text: str
    title: str = ""
    source: str = ""
    url: str = ""
    published: int | None = None
    topics: list[str] = field(default_factory=list)
    start: int = 0
    dated_sentences: list[tuple[int, int, list[str]]] | None = None  # as on Chunk
    also_published_by: list[str] = field(default_factory=list)
    sentence_vectors: str | None = None  # as on Chunk; None for chunks stored without them
    head_vector: str | None = None  # as on Chunk
    title_derived: bool = False  # as on Article: such a title is not a headline to quote
    dense: float | None = None  # cosine similarity
    lexical: float | None = None  # BM25 score
    rerank: float | None = None  # the reranker's score, when one is configured (qa.encoders.rerank)
    score: float = 0.0  # fused score; higher is better
    rank: int = 0

    @property
    def published_date(self) -> str | None:
        if self.published is None:
            return None
        return datetime.fromtimestamp(self.published, UTC).date().isoformat()


@dataclass
class Citation:
    """One numbered citation: the passage and the sentence of it that supports the answer."""

    n: int
    passage: Passage
    quote: str
    quote_start: int = 0  # offsets of `quote` inside passage.text, for highlighting
    quote_end: int = 0
    headline: bool = False  # `quote` is the article's title, not a sentence of the passage
    attribution: str | None = None
    dates: list[str] = field(default_factory=list)
    also_published_by: list[str] = field(default_factory=list)
    age_days: int | None = None  # days from publication to the question's "as of" date

    def to_dict(self) -> dict:
        p = self.passage
        return {
            "n": self.n,
            "quote": self.quote,
            "headline": self.headline,
            "title": p.title,
            "source": p.source,
            "url": p.url,
            "published": p.published_date,
            "article_id": p.article_id,
            "chunk_id": p.chunk_id,
            "attribution": self.attribution,
            "dates": self.dates,
            "also_published_by": self.also_published_by,
            "age_days": self.age_days,
        }


@dataclass
class Answer:
    """What the user sees: a short text with [n] markers, and its citations."""

    question: str
    text: str
    citations: list[Citation] = field(default_factory=list)
    abstained: bool = False
    mode: str = "extractive"  # or "llm"
    notice: str | None = None  # e.g. why the LLM was not used
    rewritten_question: str | None = None  # the standalone form of a follow-up, when reworded
    followup_context: list[str] = field(default_factory=list)  # carried from the turn before
    short_answer: str | None = None  # the answer span shown in bold
    passages: list[Passage] = field(default_factory=list)
    supported: bool = True  # False: an LLM answer citing no passage, or one the reader doubts
    invalid_citations: list[int] = field(default_factory=list)  # [n] an LLM made up, removed

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "answer": self.text,
            "abstained": self.abstained,
            "mode": self.mode,
            "notice": self.notice,
            "rewritten_question": self.rewritten_question,
            "followup_context": self.followup_context,
            "short_answer": self.short_answer,
            "supported": self.supported,
            "invalid_citations": self.invalid_citations,
            "citations": [c.to_dict() for c in self.citations],
        }


@dataclass(frozen=True)
class SearchFilters:
    """Restrictions that reach both indexes. Dates are epoch seconds, inclusive."""

    sources: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    since: int | None = None
    until: int | None = None
    include_undated: bool = True  # undated articles pass an `until` (as-of) bound, not `since`
    # Chunks whose sentences refer to a date in this range (qa.news.dates.event_span): "what happened
    # last week" in an article published today. Chunks without dated sentences never match.
    event_since: int | None = None
    event_until: int | None = None

    @property
    def empty(self) -> bool:
        dated = self.event_since is not None or self.event_until is not None
        return not (
            self.sources or self.topics or self.since is not None or self.until is not None or dated
        )


class AnswerStream:
    """An answer as it is produced: iterate it for the text, then read `.answer`.

    `live` says whether the text arrives as it is written (an LLM's tokens) or whole, once the
    answer is found (the extractive answer): a reader of the stream shows the first as it
    comes and may format the second from the finished `Answer`."""

    def __init__(self, chunks: Generator[str, None, Answer], *, live: bool = False) -> None:
        self._chunks = chunks
        self.live = live
        self.answer: Answer | None = None

    def finish(self) -> Answer:
        """Run the stream to its end (if it has not been) and return the Answer."""
        if self.answer is None:
            for _ in self:
                pass
        assert self.answer is not None
        return self.answer

    def __iter__(self) -> Iterator[str]:
        self.answer = yield from self._chunks
