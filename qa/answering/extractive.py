"""The extractive answerer: the sentences of the retrieved passages that best answer the question.

No instruction-tuned model installs offline here, so answers are the passages' own sentences,
each cited, scored by meaning, question words, passage rank and answer type; headlines compete
too. Weak evidence means abstaining.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from qa.answering.candidates import (
    Candidate,
    add_cosines,
    add_readings,
    candidates_from,
    is_evidence,
    near_copies,
    score_without_model,
    shortlist,
)
from qa.answering.questions import answer_type, asks_for_a_short_answer, of_kind
from qa.answering.recency import asks_about_present, recent_lead, stale_and_unsure
from qa.answering.short_answer import common_words, short_answer, type_match, widened
from qa.encoders.reader import ReaderBars, bars_of
from qa.news.attribution import find_disagreement, reporting_source
from qa.news.citations import cite, cite_headline, date_note, with_date_note
from qa.types import Answer, Citation, Passage

ABSTAIN_WRONG_KIND = True  # a "when" answered without a date is no answer
# Recent evidence for a question about the present (qa.answering.recency): off, as measured on
# the dev set, where it cost 2 answers of 150 (shown@300 0.293 -> 0.280; docs/eval.md).
TIME_RULES = False
ABSTAIN_TEXT = "I couldn't find this in the ingested articles."
HEADLINE_LABEL = "Headline: "  # a quoted headline reads as one, not as a sentence of the article
PASSAGES_READ = 10  # top passages whose sentences are candidates
MAX_ANSWER_SENTENCES = 3
# What a reader takes in at a glance: two sentences of news. A further sentence that would not
# fit is passed over for a shorter one below it, so the cap decides which evidence is shown: at
# 300 characters the second-best sentence, often the one that answers, was skipped for being
# long. 450 shows 4 dev answers more and 1 held-out (docs/eval.md).
MAX_ANSWER_CHARS = 450
# A further sentence must score this close to the best. Measured on the dev set (docs/eval.md):
# filling the answer with the next-best evidence shows the answer more often than
# stopping at one sentence, when the best sentence is not the one that holds it.
SECOND_SENTENCE_RATIO = 0.8
# ... and its whole score (meaning, question words, passage rank, answer type) must reach this.
# On the dev set, best sentences below it were wrong 14 times and right once (docs/eval.md):
# a wrong answer said with confidence is worse than saying nothing was found. The sample
# article's answers score 0.82 to 1.39.
MIN_BEST_SCORE = 0.75
# With the reader (it reads the best `candidates.READER_DEPTH`), the best must reach
# MIN_READ_SCORE and a further sentence READ_SENTENCE_RATIO of it (dev set, evaluation.reader.tune).
MIN_READ_SCORE = 0.75
READ_SENTENCE_RATIO = 0.7
# An answer is `supported` when the reader reads the sentence its short answer comes from (the
# lead, if there is none) at its `bars.support` (0.003 for the shipped one) or more. Abstaining
# below the bar instead measured well on the quiz sets but abstained on plain questions it
# reads low (docs/eval.md), so the answer is shown, flagged.
UNSUPPORTED_READING = (
    "The reader does not read the cited sentence as an answer to this question: check it."
)


def answer_extractive(
    question: str,
    passages: list[Passage],
    embeddings,
    query_vector=None,
    reader=None,
    *,
    context: tuple[str, ...] = (),
    as_of: datetime | None = None,
) -> Answer:
    """A short cited answer from the top passages' sentences, or an honest abstention.

    `reader` (qa.encoders.reader), when given, rescores the best candidates by reading each with
    the question. A follow-up's `context` (topics and names of the turn before) scores the
    sentences with the question, but what is asked, and so the answer's kind, is the question's.
    With `as_of`, a question about the present is answered from recent evidence
    (`qa.answering.recency`)."""
    scored = " ".join([question, *context])
    top = passages[:PASSAGES_READ]
    candidates = candidates_from(top, headlines=True)
    common = common_words(p.text for p in top)
    score_without_model(scored, candidates, top, common, asked=question)
    candidates = shortlist(candidates)  # of those without a stored vector
    add_cosines(scored, candidates, embeddings, query_vector)
    bars = bars_of(reader)
    if reader is not None:
        add_readings(scored, candidates, reader)
    bar = MIN_READ_SCORE if reader is not None else MIN_BEST_SCORE
    ratio = READ_SENTENCE_RATIO if reader is not None else SECOND_SENTENCE_RATIO
    present = TIME_RULES and as_of is not None and asks_about_present(question, as_of)
    ranked = sorted(candidates, key=lambda c: c.score, reverse=True)
    # A headline is shown only with a sentence of its article a reader can check (and is cited
    # with that sentence's passage), and never leads on weak evidence.
    supports = {id(c): supporting_sentence(c, ranked) for c in ranked if c.headline}
    ranked = [
        c for c in ranked if not c.headline or (is_evidence(c, bars.evidence) and supports[id(c)])
    ]
    if present and as_of is not None:
        ranked = recent_lead(ranked, as_of)
    if not ranked or not is_evidence(ranked[0], bars.evidence) or ranked[0].score < bar:
        return Answer(question=question, text=ABSTAIN_TEXT, abstained=True, passages=passages)
    chosen = choose(ranked, ratio, supports, bars.evidence)
    if (why := stale_and_unsure(question, chosen, as_of, bars.sure)) is not None:
        return Answer(
            question=question, text=ABSTAIN_TEXT, abstained=True, passages=passages, notice=why
        )
    answer = compose(question, chosen, passages)
    kind = answer_type(question)
    wants_short = asks_for_a_short_answer(question)
    holder = chosen[0]  # the sentence the short answer comes from, else the lead
    for c in chosen if wants_short else []:
        # the first shown sentence (or headline) that holds one: the reader's span when it is
        # sure of it (`bars.span`) and it is of the kind asked for (a date for "when"), else the
        # rules'
        reader_span = c.span if c.span is not None and c.span[2] >= bars.span else None
        if reader_span and of_kind(kind, c.text[reader_span[0] : reader_span[1]]):
            span: tuple[int, int] | None = widened(kind, c.text, reader_span[:2])
        else:
            span = short_answer(kind, c.text, scored, common, c.headline)
        if span is not None:
            answer.short_answer = c.text[span[0] : span[1]]
            holder = c
            break
    if (why := unanswered(question, kind, chosen, answer)) is not None:
        return Answer(
            question=question, text=ABSTAIN_TEXT, abstained=True, passages=passages, notice=why
        )
    read = holder.reading
    if wants_short and read is not None and read < bars.support:
        answer.supported, answer.notice = False, UNSUPPORTED_READING
    return answer


def choose(
    ranked: list[Candidate],
    ratio: float,
    supports: dict[int, Candidate | None],
    read_evidence: float = ReaderBars.evidence,
) -> list[Candidate]:
    """The sentences to show, best first: the best, then each further one of evidence (see
    `is_evidence`) that scores within `ratio` of it while the answer stays within
    MAX_ANSWER_CHARS and MAX_ANSWER_SENTENCES, and is not a copy of one shown. A headline brings
    its `supports` sentence with it."""
    chosen: list[Candidate] = []
    for c in ranked:
        if len(chosen) >= MAX_ANSWER_SENTENCES or c.score < ratio * ranked[0].score:
            break
        if c in chosen or not is_evidence(c, read_evidence):
            continue
        if any(near_copies(c, x) for x in chosen):
            continue
        support = supports.get(id(c))
        shown = [replace(c, passage=support.passage), support] if support else [c]
        shown = [x for x in shown if x not in chosen]
        fits = (
            sum(len(x.text) for x in chosen + shown) <= MAX_ANSWER_CHARS
            and len(chosen) + len(shown) <= MAX_ANSWER_SENTENCES
        )
        if not chosen or fits:  # the best is shown whatever its length
            chosen.extend(shown)
    return chosen


def unanswered(
    question: str, kind: str | None, chosen: list[Candidate], answer: Answer
) -> str | None:
    """Why the chosen sentences do not answer after all, or None when they may: they hold
    nothing of the kind asked for (no date for "when", no number for "how many").

    Also measured and left out: abstaining when no cited article names the question's subject
    cut wrong answers from 0.633 to 0.473 of the dev set but abstained on 14 more questions
    whose answer was in a top-ten passage (docs/eval.md)."""
    wants = kind in ("date", "number") and asks_for_a_short_answer(question)
    if (
        ABSTAIN_WRONG_KIND
        and wants
        and answer.short_answer is None
        and not any(type_match(kind, c.text, question) for c in chosen)
    ):
        return f"The closest sentences hold no {'date' if kind == 'date' else 'number'}."
    return None


def supporting_sentence(headline: Candidate, ranked: list[Candidate]) -> Candidate | None:
    """The best-scored sentence of the headline's own article: a headline alone is a summary,
    not evidence a reader can check."""
    article = headline.passage.article_id
    return next((c for c in ranked if not c.headline and c.passage.article_id == article), None)


def compose(question: str, chosen: list[Candidate], passages: list[Passage]) -> Answer:
    """The answer text with [n] markers, one citation per sentence, one number per article (its
    sentences from several passages are one source to the reader).

    Each citation carries its sentence's resolved dates, attribution and the outlets that
    published copies; relative dates are shown resolved in the text. A "which outlet reported"
    question is answered by the attribution, and a figure another outlet disputes is noted.
    """
    numbers: dict[str, int] = {}
    citations: list[Citation] = []
    headlines, sentences = [], []
    asked_when = answer_type(question) == "date"
    for c in chosen:
        n = numbers.setdefault(c.passage.article_id, len(numbers) + 1)
        citation = cite_headline(n, c.passage) if c.headline else cite(n, c.passage, c.start, c.end)
        if c.headline:  # the note follows the closing quote: inside it are the article's words
            note = date_note(c.text, citation.dates, asked_when=asked_when)
            headlines.append(
                f"{HEADLINE_LABEL}“{c.text.strip()}”{f' {note}' if note else ''} [{n}]"
            )
        else:
            sentences.append(
                f"{with_date_note(c.text, citation.dates, asked_when=asked_when)} [{n}]"
            )
        citations.append(citation)
    # A quoted headline is a line of its own, so it reads as a headline, not as a sentence.
    text = "\n".join([*headlines, " ".join(sentences)] if sentences else headlines)
    reporter = reporting_source(question, [c.text for c in chosen])
    if reporter:
        text = f"According to {reporter}: {text}"
    top = passages[:PASSAGES_READ]
    if chosen and (other := find_disagreement(chosen[0].text, chosen[0].passage, top)):
        n = numbers.setdefault(other.passage.article_id, len(numbers) + 1)
        citations.append(cite(n, other.passage, other.start, other.end))
        text = f"{text} {other.note(numbers[chosen[0].passage.article_id], n)}"
    return Answer(
        question=question,
        text=text,
        citations=citations,
        passages=passages,
        short_answer=reporter,
    )
