"""The one path from a question to an answer, shared by the CLI, the page and the evaluation.

A question is checked, made standalone if it is a follow-up, searched, and answered: by the
configured LLM when there is one (its tokens streamed as written, the extractive answer taking
over if its endpoint fails), else by the extractive answerer. Both arrive as one `AnswerStream`.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Generator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from qa.answering.coverage import Coverage, note_coverage
from qa.answering.extractive import answer_extractive
from qa.answering.llm import endpoint_url, fallback_notice, make_chat_model, stream_llm_answer
from qa.answering.recency import note_old_evidence
from qa.config import LLM_PROVIDERS, Settings
from qa.conversation.followups import Standalone, rewrite_followup
from qa.encoders.reader import OnnxReader, load_reader
from qa.encoders.rerank import Reranker, load_reranker
from qa.errors import ConfigError, QuestionError
from qa.news.citations import set_ages
from qa.news.dates import end_of_day, epoch
from qa.retrieval.query import understand
from qa.retrieval.retrieve import DEFAULT_K, hybrid_search
from qa.store import NewsIndex
from qa.types import UNKNOWN_SOURCE, Answer, AnswerStream, Passage, SearchFilters

if TYPE_CHECKING:  # LangChain loads only when an LLM is configured (0.8 s at start)
    from langchain_core.language_models import BaseChatModel

log = logging.getLogger("newsqa.ask")

MAX_QUESTION_CHARS = 2000
# Terminal escape sequences pasted with a question: CSI (colours, cursor), OSC (window title,
# hyperlinks) and two-character escapes, in their 7-bit and 8-bit (C1) forms.
_ESCAPE_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"
    r"|(?:\x1b\]|\x9d)[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[@-_]?"
)
_KEPT_FORMAT_CHARS = "\u200c\u200d"  # zero-width (non-)joiners spell words in some scripts


@dataclass(frozen=True)
class AskOptions:
    """How to answer: how many passages, which filters, as of which date."""

    k: int = DEFAULT_K
    sources: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    as_of: datetime | None = None
    retrieval: str = "hybrid"

    news_aware: bool = True  # time window and named-outlet preferences (off for the ablation)
    rerank: bool = True  # use the configured reranker, if any (NEWSQA_RERANKER)
    read: bool = True  # use the configured reader (NEWSQA_READER) to choose the sentences
    llm: str | None = None  # "none" | "ollama" | "openai"; None: as configured (NEWSQA_LLM)

    def filters(self) -> SearchFilters:
        """Hard filters. Nothing published after the as-of day can answer a question asked then;
        the `until` and as-of days count whole (a date means all of that day, not its midnight)."""
        ends = [end_of_day(d) for d in (self.until, self.as_of) if d is not None]
        until = epoch(min(ends)) if ends else None
        return SearchFilters(
            sources=self.sources, topics=self.topics, since=epoch(self.since), until=until
        )

    def narrowing(self, *, newest: date | None = None) -> str | None:
        """The filters that narrow a search, in words ("articles from usatoday.com on Ukraine,
        published 2022-02-01 to 2022-02-24"); None when every article is searched.

        The as-of day narrows only when articles were published after it (`newest`, the store's
        newest article's day; unknown: whenever it is before today)."""
        parts = []
        if self.sources:
            parts.append("from " + _and(s or UNKNOWN_SOURCE for s in self.sources))
        if self.topics:
            parts.append("on " + _and(self.topics))
        published = self._published_words(newest)
        if not parts and not published:
            return None
        words = " ".join(["articles", *parts])
        if published:
            words += f", {published}" if parts else f" {published}"
        return words

    def _published_words(self, newest: date | None) -> str | None:
        since = self.since.date().isoformat() if self.since else None
        until = self.until.date() if self.until else None
        as_of = self.as_of.date() if self.as_of else None
        if (
            as_of
            and as_of < (newest or datetime.now(UTC).date())
            and (until is None or as_of < until)
        ):
            until = as_of  # "as of" hides what was published later
        until_text = until.isoformat() if until else None
        if since and until_text:
            return f"published {since} to {until_text}"
        if since:
            return f"published on or after {since}"
        return f"published on or before {until_text}" if until_text else None

    def search_hint(self, *, newest: date | None = None) -> str | None:
        """What an answer not found under filters says; None when nothing narrowed."""
        if self.since and self.until and self.since.date() > self.until.date():
            return (
                f"“Published since” {self.since.date().isoformat()} is after “Published until” "
                f"{self.until.date().isoformat()}, so no article can match: fix or clear those "
                "dates."
            )
        narrowed = self.narrowing(newest=newest)
        if narrowed is None:
            return None
        return f"Searched only {narrowed}: remove these filters to search every article."


def _and(names) -> str:
    """ "a", "a and b", "a, b and c"."""
    names = list(names)
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def clean_question(question: str) -> str:
    """`question` without terminal escapes, control characters (bells, NUL) or invisible format
    characters (zero-width spaces, direction overrides), nor the lone surrogates a terminal's
    undecodable bytes become in `sys.argv`: what the user meant to ask, so the
    same question with and without them retrieves the same passages."""
    text = _ESCAPE_SEQUENCE.sub("", question)
    return "".join(
        " " if char.isspace() else char
        for char in text
        if char.isspace()
        or unicodedata.category(char) not in ("Cc", "Cf", "Cs")
        or char in _KEPT_FORMAT_CHARS
    )


def check_question(question: str) -> str:
    """The question, cleaned and stripped; raises QuestionError for one that cannot be asked."""
    q = " ".join(clean_question(question).split())
    if not q:
        raise QuestionError("The question is empty: type a question about the ingested news.")
    if len(q) > MAX_QUESTION_CHARS:
        raise QuestionError(
            f"The question is {len(q):,} characters long; keep it under {MAX_QUESTION_CHARS:,}."
        )
    if not re.search(r"\w", q):
        raise QuestionError("The question has no words in it: ask about people, events or places.")
    return q


@dataclass
class Asker:
    """Answers questions against one index; the page keeps one per session."""

    index: NewsIndex
    history: list[dict] = field(default_factory=list)

    _models: dict[str, BaseChatModel | None] = field(default_factory=dict, repr=False)

    def ask(self, question: str, options: AskOptions = AskOptions()) -> Answer:
        """The whole answer at once: `ask_stream` run to the end."""
        return self.ask_stream(question, options).finish()

    def ask_stream(self, question: str, options: AskOptions = AskOptions()) -> AnswerStream:
        """The answer as it is produced: LLM tokens as they are written (`live`), or the
        extractive answer whole. The question is checked here, before anything is yielded."""
        question = check_question(question)
        model = self.chat_model(options)
        return AnswerStream(self._answer(question, options, model), live=model is not None)

    def _answer(
        self, question: str, options: AskOptions, model: BaseChatModel | None
    ) -> Generator[str, None, Answer]:
        """A follow-up is first made standalone using `history`, which then records this turn."""
        self.index.refresh()  # an ingest in another process becomes visible without a restart
        failures: list[Exception] = []
        standalone = rewrite_followup(question, self.history, model, on_error=failures.append)
        searched = standalone or Standalone(question)
        vector = self.index.embed_query(searched.search_text)  # retrieval and the answerer
        passages = hybrid_search(
            self.index,
            searched.search_text,
            k=options.k,
            filters=options.filters(),
            mode=options.retrieval,
            prefer=self.preferences(searched.search_text, options),
            reranker=self.reranker(options),
            rerank_depth=self.index.settings.rerank_depth,
            vector=vector,
        )
        answer = yield from answer_stream(
            searched,
            passages,
            embeddings=self.index.query_embeddings,
            model=None if failures else model,  # it just failed: don't wait for it again
            settings=self.index.settings,
            as_of=options.as_of,
            query_vector=vector,
            reader=self.reader(options),
        )
        if failures:
            answer.notice = fallback_notice(failures[0], self.index.settings)
        newest = Coverage.of(self.index).newest
        if answer.abstained and (hint := options.search_hint(newest=newest)):
            answer.notice = " ".join(filter(None, [answer.notice, hint]))
        answer.question = question
        if standalone is not None:
            reworded = standalone.question != question
            answer.rewritten_question = standalone.question if reworded else None
            answer.followup_context = list(standalone.context)
        set_ages(answer.citations, options.as_of)
        note_old_evidence(answer, question, options.as_of)  # about the present, from the past
        note_coverage(answer, self.index, options.as_of)  # an as-of past the news, or a miss
        self.history += [
            {
                "role": "user",
                "content": question,
                "rewritten_question": answer.rewritten_question,
                "followup_context": answer.followup_context,
            },
            {"role": "assistant", "content": answer.text},
        ]
        return answer

    def chat_model(self, options: AskOptions) -> BaseChatModel | None:
        """The chat model for `options.llm` (default: the configured one), made once per Asker."""
        provider = options.llm or self.index.settings.llm
        if provider not in LLM_PROVIDERS:
            raise ConfigError(f"LLM {provider!r} is not supported: use one of {LLM_PROVIDERS}.")
        if provider not in self._models:
            self._models[provider] = make_chat_model(replace(self.index.settings, llm=provider))
        return self._models[provider]

    def reranker(self, options: AskOptions) -> Reranker | None:
        """The configured cross-encoder (loaded once per process), or None."""
        path = self.index.settings.reranker
        return load_reranker(path) if path and options.rerank else None

    def reader(self, options: AskOptions) -> OnnxReader | None:
        """The configured reader (loaded and verified once per process), or None."""
        setting = self.index.settings.reader
        return load_reader(setting) if setting and options.read else None

    def preferences(self, question: str, options: AskOptions) -> list[SearchFilters]:
        """Soft preferences read from the question: its time window and any outlet it names.

        A time the question names ("last week", "on Friday") is matched against publication
        dates and against the dates the articles' sentences refer to (an article published
        today about "last Thursday").
        """
        if not options.news_aware:
            return []
        info = understand(
            question, as_of=options.as_of, known_sources=self.index.catalog.source_names
        )
        prefer = []
        if info.window is not None:
            prefer.append(SearchFilters(since=info.window[0], until=info.window[1]))
            if info.names_time:
                prefer.append(SearchFilters(event_since=info.window[0], event_until=info.window[1]))
        if info.sources:
            prefer.append(SearchFilters(sources=info.sources))
        return prefer


def answer_stream(
    searched: Standalone,
    passages: list[Passage],
    *,
    embeddings,
    model: BaseChatModel | None,
    settings: Settings,
    as_of: datetime | None = None,
    query_vector=None,
    reader=None,
) -> Generator[str, None, Answer]:
    """Yield the answer text as it is produced and return the Answer: the LLM's when `model` is
    given and its endpoint answers, else the extractive one (whole, in one chunk), with a notice
    saying why the LLM was not used."""

    def extractive() -> Answer:
        return answer_extractive(
            searched.question,
            passages,
            embeddings,
            query_vector,
            reader,
            context=searched.answer_context,
            as_of=as_of,
        )

    if model is not None and passages:
        llm = stream_llm_answer(
            model, searched.search_text, passages, embeddings=embeddings, as_of=as_of
        )
        streamed = False
        stream = AnswerStream(llm)
        try:
            for token in stream:
                streamed = True
                yield token
            return stream.finish()
        except Exception as e:  # any endpoint failure: the reader gets an answer, never a traceback
            log.info("LLM at %s failed: %r", endpoint_url(settings), e)  # the notice says it
            answer = extractive()
            answer.notice = fallback_notice(e, settings)
            yield ("\n\n" if streamed else "") + answer.text  # after a half-written reply
            return answer
    answer = extractive()
    yield answer.text
    return answer


def ask(index: NewsIndex, question: str, options: AskOptions = AskOptions()) -> Answer:
    return Asker(index).ask(question, options)
