"""Training pairs for the reader, mined from past news quizzes (`realtimeqa-train`).

A positive is a sentence (or headline) of the question's articles that holds every gold answer
and is about the question; negatives are the other sentences of those articles, hardest first.
Questions no sentence can answer as a span (true/false, "all of the above") are skipped.
"""

from __future__ import annotations

import gzip
import json
import random
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ingest.clean import clean_text
from qa.news.sentences import sentence_spans

MIN_SENTENCE_CHARS = 25  # the answerer's own floor for a candidate
MAX_SENTENCE_CHARS = 400  # longer "sentences" are lists or run-on boilerplate
MIN_SHARED_WORDS = 2  # content words a positive shares with the question or the explanation
MAX_POSITIVES = 3  # per question: a few clean positives beat many near-copies
NEGATIVES = 7  # per positive: one group is one positive and this many negatives

_SKIPPED_ANSWERS = re.compile(
    r"^(true|false|yes|no|all of the above|none of the above|both|neither)\b", re.I
)
_WORD_RE = re.compile(r"[a-z0-9]+")
_QUOTES = str.maketrans({c: " " for c in "“”‘’\"'`´«»"})
_STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "to",
        "in",
        "on",
        "at",
        "for",
        "by",
        "with",
        "from",
        "and",
        "or",
        "but",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "this",
        "that",
        "these",
        "those",
        "it",
        "its",
        "as",
        "which",
        "what",
        "who",
        "whom",
        "whose",
        "when",
        "where",
        "why",
        "how",
        "did",
        "does",
        "do",
        "has",
        "have",
        "had",
        "will",
        "would",
        "can",
        "could",
        "should",
        "may",
        "might",
        "than",
        "then",
        "there",
        "their",
        "they",
        "them",
        "he",
        "she",
        "his",
        "her",
        "we",
        "our",
        "you",
        "your",
        "i",
        "not",
        "no",
        "yes",
        "all",
        "any",
        "some",
        "one",
        "two",
        "new",
        "said",
        "says",
        "after",
        "before",
        "about",
        "into",
        "over",
        "under",
        "week",
        "year",
        "month",
        "day",
        "this",
        "last",
        "recently",
        "according",
        "other",
        "more",
        "most",
        "also",
    ]
)


def words(text: str) -> list[str]:
    """Lower-case words, curly and straight quotes dropped."""
    return _WORD_RE.findall(text.lower().translate(_QUOTES))


def content_words(text: str) -> set[str]:
    """Words that carry meaning: no stopwords, no one-letter words."""
    return {w for w in words(text) if w not in _STOP and len(w) > 1}


def holds(text: str, answer: str) -> bool:
    """The answer's words appear in `text` as a phrase, on word boundaries."""
    needle = " ".join(w for w in words(answer) if w not in ("a", "an", "the"))
    hay = " ".join(w for w in words(text) if w not in ("a", "an", "the"))
    return bool(needle) and f" {needle} " in f" {hay} "


def is_skipped(question: dict) -> bool:
    """True/false, yes/no and all/none-of-the-above questions: no span answers them."""
    answers = question.get("answers") or []
    return not answers or any(_SKIPPED_ANSWERS.match(a.strip()) for a in answers)


@dataclass
class Group:
    """One training example: a question, one positive and its negatives."""

    question_id: str
    question: str
    positive: str
    negatives: list[str] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)  # the gold answers, for the span head
    # the headline of each text's article, positive first ("" for a headline itself)
    titles: list[str] = field(default_factory=list)


def cached_groups(cache: Path, mine) -> list[Group]:
    """The groups saved in `cache` (one JSON object a line), or `mine()`'s, saved there first."""
    if cache.is_file():
        return read_groups(cache)
    groups = mine()
    cache.parent.mkdir(parents=True, exist_ok=True)
    with cache.open("w", encoding="utf-8") as f:
        for g in groups:
            f.write(json.dumps(g.__dict__, ensure_ascii=False) + "\n")
    return groups


def read_groups(path: Path) -> list[Group]:
    with path.open(encoding="utf-8") as f:
        return [Group(**json.loads(line)) for line in f]


def candidate_texts(article: dict) -> list[str]:
    """The article's headline and its cleaned sentences, as the answerer would see them."""
    text, _ = clean_text(article.get("text") or "")
    out = []
    title = (article.get("title") or "").strip()
    if len(title) >= MIN_SENTENCE_CHARS:
        out.append(title)
    for start, end in sentence_spans(text):
        sentence = text[start:end]
        if MIN_SENTENCE_CHARS <= len(sentence) <= MAX_SENTENCE_CHARS:
            out.append(sentence)
    return out


def is_positive(sentence: str, question: dict) -> bool:
    """Holds every gold answer and shares enough meaning with the question or explanation."""
    answers = question["answers"]
    if not all(holds(sentence, a) for a in answers):
        return False
    answer_words = set().union(*(content_words(a) for a in answers))
    shared = content_words(sentence) - answer_words
    about_question = shared & content_words(question["question"])
    about_evidence = shared & content_words(question.get("evidence") or "")
    return len(about_question) >= MIN_SHARED_WORDS or (
        len(about_question) >= 1 and len(about_evidence) >= MIN_SHARED_WORDS + 1
    )


def wrong_choices(question: dict) -> list[str]:
    """The quiz's other options: natural hard negatives."""
    golds = {a.strip().lower() for a in question["answers"]}
    return [c for c in question.get("choices") or [] if c.strip().lower() not in golds]


def mine_question(
    question: dict,
    sentences: list[str],
    rng: random.Random,
    titles: dict[str, str] | None = None,
) -> list[Group]:
    """The groups of one question, from the sentences of its articles (deduplicated);
    `titles` maps a sentence to its article's headline, to give each group its titles."""
    if is_skipped(question) or not sentences:
        return []
    answers = question["answers"]
    positives = [s for s in sentences if is_positive(s, question)]
    if not positives:
        return []
    # A sentence holding any gold answer is never a negative: it may be a positive the
    # word-overlap rule missed.
    others = [s for s in sentences if not any(holds(s, a) for a in answers)]
    if len(others) < 3:
        return []
    wrong = wrong_choices(question)
    q_words = content_words(question["question"])
    hard = [s for s in others if any(holds(s, c) for c in wrong)]
    rest = sorted(
        (s for s in others if s not in set(hard)),
        key=lambda s: len(content_words(s) & q_words),
        reverse=True,
    )
    groups = []
    rng.shuffle(positives)
    for positive in positives[:MAX_POSITIVES]:
        picked = rng.sample(hard, min(2, len(hard)))
        close = [s for s in rest[: NEGATIVES * 2] if s not in picked]
        picked += rng.sample(close, min(3, len(close)))
        pool = [s for s in others if s not in picked]
        picked += rng.sample(pool, min(NEGATIVES - len(picked), len(pool)))
        group = Group(question["id"], question["question"], positive, picked, list(answers))
        if titles is not None:
            group.titles = [titles.get(s, "") for s in [positive, *picked]]
        groups.append(group)
    return groups


def read_jsonl(path: Path) -> Iterator[dict]:
    """Objects of a JSONL file, gzip or plain."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def mine(questions: Iterable[dict], articles: dict[str, dict], *, seed: int = 0) -> list[Group]:
    """Every question's groups; `articles` maps id to article."""
    rng = random.Random(seed)
    cache: dict[str, list[str]] = {}
    groups = []
    for q in questions:
        sentences: list[str] = []
        titles: dict[str, str] = {}
        seen: set[str] = set()
        for article_id in q.get("results") or []:
            if article_id not in articles:
                continue
            if article_id not in cache:
                cache[article_id] = candidate_texts(articles[article_id])
            title = (articles[article_id].get("title") or "").strip()
            for s in cache[article_id]:
                key = " ".join(s.lower().split())
                if key not in seen:
                    seen.add(key)
                    sentences.append(s)
                    titles[s] = "" if s == title else title
        groups.extend(mine_question(q, sentences, rng, titles))
    return groups


def mine_files(questions_path: Path, articles_path: Path, *, seed: int = 0) -> list[Group]:
    """`mine` over the dataset's two files."""
    questions = list(read_jsonl(questions_path))
    wanted = {a for q in questions for a in q.get("results") or []}
    articles = {a["id"]: a for a in read_jsonl(articles_path) if a["id"] in wanted}
    return mine(questions, articles, seed=seed)


# -- Headline cloze: more training groups from articles alone ----------------------------------
#
# A quiz question is usually a headline with its key name taken out ("Who proposed talks in
# Minsk?" from "Putin ready for talks in Minsk"). Every training article has a headline, so
# each one yields such a question: a name of the headline blanked, the sentence of its body
# that states the name with the headline's other words as the positive, and the body's other
# sentences (those closest to the headline in words first: the reader's usual mistake) as
# negatives. The cloze reading comprehension of news (Hermann et al., 2015) in the reader's
# own group shape.

CLOZE_BLANK = "which name"
MAX_NAME_WORDS = 4
CLOZE_CLOSE_NEGATIVES = 4  # of a cloze group's negatives, those closest to the headline in words
_TITLE_WORD = re.compile(r"[A-Za-z0-9][\w'’.&-]*")


def headline_names(title: str, body: str) -> list[str]:
    """Runs of the headline's words that the body writes as a name: capitalised there and
    never in lower case (a Title Case headline capitalises every word; the body does not)."""
    lower, upper = set(), set()  # the body's words, lower-cased, as it writes them
    for m in re.finditer(r"[A-Za-z][\w'’-]*", body):
        word = m.group()
        if word[0].islower():
            lower.add(word.lower())
        elif re.search(r"[a-z0-9,;:]\s+$", body[max(0, m.start() - 3) : m.start()]):
            upper.add(word.lower())  # capitalised inside a sentence, not only as its first word

    def bare(token: str) -> str:
        """The word without its trailing dot, quote or possessive."""
        return token.rstrip(".'’").removesuffix("'s").removesuffix("’s")

    def is_name(word: str) -> bool:
        low = word.lower()
        return word[:1].isalpha() and low not in _STOP and low in upper and low not in lower

    names, run = [], []
    for token in _TITLE_WORD.findall(title) + [""]:
        word = bare(token)
        if token and is_name(word) and len(run) < MAX_NAME_WORDS:
            run.append(word)
            continue
        if run:
            names.append(" ".join(run))
        run = [word] if token and is_name(word) else []
    return list(dict.fromkeys(n for n in names if len(n) > 2 and holds(body, n)))


def blank(title: str, name: str) -> str:
    """The headline as a question: `name` (whole words, possessive kept) becomes the blank."""
    pattern = r"\b" + r"\s+".join(map(re.escape, name.split())) + r"\b"
    question = re.sub(pattern, CLOZE_BLANK, title, count=1, flags=re.I)
    return question.rstrip(" .?!") + "?"


def mine_cloze_article(article: dict, rng: random.Random) -> Group | None:
    """At most one group from one article's headline and body, or None."""
    title = (article.get("title") or "").strip()
    texts = candidate_texts(article)
    sentences = [s for s in texts if s != title]
    if len(title) < MIN_SENTENCE_CHARS or len(sentences) < NEGATIVES + 1:
        return None
    names = headline_names(title, " ".join(sentences))
    rng.shuffle(names)
    for name in names:
        question = blank(title, name)
        if CLOZE_BLANK not in question or re.search(
            rf"(?:[A-Z][\w'’]*|\bvs?\.?)\s+{CLOZE_BLANK}|{CLOZE_BLANK}\s+(?:[A-Z]|vs?\b)",
            question,
        ):
            continue  # part of a longer name ("Aaron which name", "which name v. Wade"): unfair
        q_words = content_words(question) - content_words(CLOZE_BLANK)
        positives = [
            s
            for s in sentences
            if holds(s, name)
            and len((content_words(s) - content_words(name)) & q_words) >= MIN_SHARED_WORDS
        ]
        # a sentence naming any word of the name may state it: never a negative
        others = [s for s in sentences if not any(holds(s, w) for w in content_words(name))]
        if not positives or len(others) < NEGATIVES:
            continue
        close = sorted(others, key=lambda s: len(content_words(s) & q_words), reverse=True)
        picked = close[:CLOZE_CLOSE_NEGATIVES]
        picked += rng.sample([s for s in others if s not in picked], NEGATIVES - len(picked))
        return Group(
            f"cloze_{article['id']}",
            question,
            rng.choice(positives),
            picked,
            [name],
            titles=[title] * (NEGATIVES + 1),
        )
    return None


def mine_cloze(
    articles: Iterable[dict], *, limit: int, seed: int = 0, exclude: set[str] = frozenset()
) -> list[Group]:
    """Up to `limit` cloze groups, one per article, articles taken in a seeded random order;
    articles whose id is in `exclude` (those of held-out weeks) are never used."""
    pool = [a for a in articles if a.get("id") not in exclude]
    rng = random.Random(seed)
    rng.shuffle(pool)
    groups = []
    for article in pool:
        group = mine_cloze_article(article, rng)
        if group is not None:
            groups.append(group)
            if len(groups) >= limit:
                break
    return groups
