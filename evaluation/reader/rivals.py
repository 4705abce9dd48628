"""Negatives as the answerer meets them: sentences of *other* articles that a search for the
question finds.

A mined group's negatives are its own articles' other sentences, but the answerer hands the
reader candidates from the top passages of many articles, where the usual rival is a sentence
of another story (or an older one) that shares the question's words. This module retrieves,
for each group's question, the best BM25 sentences of the whole training archive, drops those
of the question's own quiz week (they may answer it in other words) and any that holds a gold
answer, and puts them in place of the group's easiest negatives (the random ones at its end).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from evaluation.reader.data import Group, candidate_texts, holds
from evaluation.reader.train import week_of

NUMBER_WORDS = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
    "twenty",
]
SEARCH_DEPTH = 40  # BM25 sentences read per question before filtering
PER_ARTICLE = 1  # rivals from one article: one, so a group sees several stories


def spellings(answer: str) -> list[str]:
    """The answer, and a small number's other spelling ("4" and "four")."""
    key = answer.strip().lower()
    if key.isdigit() and int(key) < len(NUMBER_WORDS):
        return [answer, NUMBER_WORDS[int(key)]]
    if key in NUMBER_WORDS:
        return [answer, str(NUMBER_WORDS.index(key))]
    return [answer]


class SentenceIndex:
    """Every candidate sentence of an archive, its article's week (from the quiz questions
    that cite it) and headline, searchable with BM25."""

    def __init__(self, articles: Iterable[dict], weeks: dict[str, set[str]]) -> None:
        import bm25s

        self.texts: list[str] = []
        self.article: list[str] = []
        self.titles: list[str] = []
        self.weeks = weeks
        for article in articles:
            title = (article.get("title") or "").strip()
            for text in candidate_texts(article):
                self.texts.append(text)
                self.article.append(article["id"])
                self.titles.append("" if text == title else title)
        self._retriever = bm25s.BM25()
        self._retriever.index(
            bm25s.tokenize(self.texts, stopwords="en", show_progress=False), show_progress=False
        )

    def search(self, questions: Sequence[str], k: int = SEARCH_DEPTH) -> list[list[int]]:
        import bm25s

        """Each question's best sentences (their numbers), best first; none scoring zero."""
        tokens = bm25s.tokenize(list(questions), stopwords="en", show_progress=False)
        k = min(k, len(self.texts))
        found, scores = self._retriever.retrieve(tokens, k=k, show_progress=False, n_threads=1)
        return [
            [int(i) for i, score in zip(row, row_scores, strict=True) if score > 0]
            for row, row_scores in zip(found, scores, strict=True)
        ]


def with_rivals(group: Group, index: SentenceIndex, found: list[int], k: int) -> Group:
    """`group` with its last `k` negatives replaced by the best of `found` (sentence numbers
    in `index`) that are not of its week, hold no gold answer and are not already in it."""
    week = week_of(group.question_id)
    present = {" ".join(t.lower().split()) for t in [group.positive, *group.negatives]}
    rivals: list[int] = []
    per_article: dict[str, int] = {}
    for i in found:
        article = index.article[i]
        text = index.texts[i]
        if week in index.weeks.get(article, ()) or per_article.get(article, 0) >= PER_ARTICLE:
            continue
        if any(holds(text, s) for a in group.answers for s in spellings(a)):
            continue
        key = " ".join(text.lower().split())
        if key in present:
            continue
        present.add(key)
        per_article[article] = per_article.get(article, 0) + 1
        rivals.append(i)
        if len(rivals) == k:
            break
    if not rivals:
        return group
    keep = len(group.negatives) - len(rivals)
    negatives = group.negatives[:keep] + [index.texts[i] for i in rivals]
    titles = group.titles
    if titles:
        titles = titles[: 1 + keep] + [index.titles[i] for i in rivals]
    return replace(group, negatives=negatives, titles=titles)


def add_rivals(
    groups: Sequence[Group], articles: Iterable[dict], questions: Iterable[dict], k: int
) -> list[Group]:
    """Every group with up to `k` retrieved rivals (see the module's docstring)."""
    weeks: dict[str, set[str]] = {}
    for q in questions:
        for article in q.get("results") or []:
            weeks.setdefault(article, set()).add(week_of(q["id"]))
    index = SentenceIndex(articles, weeks)
    found = index.search([g.question for g in groups])
    return [with_rivals(g, index, f, k) for g, f in zip(groups, found, strict=True)]
