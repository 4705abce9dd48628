"""The one path from a question to an answer, shared by the CLI, the page and the evaluation."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from qa.answer import answer_extractive
from qa.dates import epoch
from qa.errors import QuestionError
from qa.models import Answer, SearchFilters
from qa.query import understand
from qa.retrieve import DEFAULT_K, hybrid_search
from qa.store import NewsIndex

MAX_QUESTION_CHARS = 2000
AS_OF_SLACK = timedelta(days=1)  # the whole as-of day counts as known


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

    def filters(self) -> SearchFilters:
        """Hard filters. Nothing published after the as-of day can answer a question asked then."""
        until = epoch(self.until)
        if self.as_of is not None:
            end_of_as_of = epoch(self.as_of + AS_OF_SLACK)
            until = end_of_as_of if until is None else min(until, end_of_as_of)
        return SearchFilters(
            sources=self.sources, topics=self.topics, since=epoch(self.since), until=until
        )


def check_question(question: str) -> str:
    """The question, stripped; raises QuestionError for one that cannot be asked."""
    q = " ".join(question.split())
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

    def ask(self, question: str, options: AskOptions = AskOptions()) -> Answer:
        question = check_question(question)
        self.index.refresh()  # an ingest in another process becomes visible without a restart
        passages = hybrid_search(
            self.index,
            question,
            k=options.k,
            filters=options.filters(),
            mode=options.retrieval,
            prefer=self.preferences(question, options),
        )
        return answer_extractive(question, passages, self.index.embeddings)

    def preferences(self, question: str, options: AskOptions) -> list[SearchFilters]:
        """Soft preferences read from the question: its time window and any outlet it names."""
        if not options.news_aware:
            return []
        known = sorted(set(self.index.catalog.sources))
        info = understand(question, as_of=options.as_of, known_sources=known)
        prefer = []
        if info.window is not None:
            prefer.append(SearchFilters(since=info.window[0], until=info.window[1]))
        if info.sources:
            prefer.append(SearchFilters(sources=info.sources))
        return prefer


def ask(index: NewsIndex, question: str, options: AskOptions = AskOptions()) -> Answer:
    return Asker(index).ask(question, options)
