"""Extractive answers (qa.answering.extractive, questions, short_answer, candidates): answer types, short-answer spans, headlines, abstaining."""

from __future__ import annotations

import pytest

from qa.answering.candidates import (
    Overlap,
    add_cosines,
    add_readings,
    candidates_from,
    is_evidence,
    score_without_model,
    shortlist,
)
from qa.answering.extractive import ABSTAIN_TEXT, MIN_BEST_SCORE, answer_extractive
from qa.answering.questions import answer_type, asks_for_a_short_answer, of_kind
from qa.answering.short_answer import short_answer, widened
from qa.store.lexical import stem_words
from qa.types import Passage


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Who proposed talks in Minsk?", "Putin"),
        ("When were diplomatic relations broken off?", "February 24"),
        ("Whom did Putin call after the conversation with Xi?", "Lukashenko"),
        ("What did Lavrov say the goal of the Russian military was?", "not to occupy"),
        ("What did Zelensky say about a neutral state?", "neutral state"),
    ],
)
def test_sample_questions_are_answered_with_citations(asker, question, expected):
    answer = asker.ask(question)
    assert not answer.abstained
    assert expected in answer.text.split("[")[0]  # in the lead sentence
    assert answer.citations and "[1]" in answer.text
    for citation in answer.citations:  # the article's headline, or a sentence where it says
        if citation.headline:
            assert citation.quote == citation.passage.title
        else:
            start, end = citation.quote_start, citation.quote_end
            assert citation.passage.text[start:end] == citation.quote
        assert citation.passage.published_date == "2022-02-25"
    # A headline is never shown alone: a sentence a reader can check comes with it.
    assert any(not c.headline for c in answer.citations)


@pytest.mark.parametrize(
    ("question", "bold"),
    [
        ("Who proposed talks in Minsk?", "Putin"),
        ("When were diplomatic relations broken off?", "Thursday, February 24"),
        ("Whom did Putin call after the conversation with Xi?", "Alexander Lukashenko"),
    ],
)
def test_the_short_answer_is_a_span_of_the_first_sentence_that_holds_one(asker, question, bold):
    answer = asker.ask(question)
    assert answer.short_answer == bold
    assert any(bold in c.quote for c in answer.citations)


@pytest.mark.parametrize(
    "question",
    ["What did Lavrov say?", "And what did Zakharova say about talks in Minsk?"],
)
def test_a_question_asking_for_a_statement_gets_sentences_without_a_bold_word(asker, question):
    answer = asker.ask(question)
    assert not answer.abstained and answer.citations
    assert answer.short_answer is None


@pytest.mark.parametrize(
    ("question", "short"),
    [
        ("What did Zelensky say about Russia?", False),
        ("what did Putin tell Xi?", False),
        ("And what did Lavrov say?", False),  # a follow-up
        ("Why was the license of the child care center suspended?", False),
        ("How have birth moms found support?", False),
        ("Trump spoke on Monday. What did he say about Greenland?", False),
        ("How many weeks of winter are left?", True),
        ("How much did it cost?", True),
        ("What did the FDA approve this week?", True),
        ("What did Trump say he would rename the Gulf of Mexico to?", True),
        ("Who proposed talks in Minsk?", True),
        ("What did Time Warner buy?", True),  # a name is no verb of saying
        ("What did Michael Saylor buy last week?", True),
        ("How tall is the tower?", True),  # a quantity
        ("How soon will the bridge reopen?", True),
    ],
)
def test_which_questions_get_a_short_answer(question, short):
    assert asks_for_a_short_answer(question) is short


@pytest.mark.parametrize(
    ("kind", "span", "fits"),
    [
        ("date", "New", False),  # a "when" answer marked on a word of a cut headline
        ("date", "Jan. 10", True),
        ("date", "2019", True),
        ("date", "February", True),
        ("date", "spring", True),
        ("date", "Christmas Eve", True),
        ("date", "5 people", False),
        ("number", "Putin", False),
        ("number", "five", True),
        ("entity", "Longwood Gardens", True),
        ("person", "Alexander Lukashenko", True),
        ("person", "the Kremlin", True),
        ("person", "officials", False),
        ("person", "24 years", False),
        ("person", "February 24", False),
        (None, "ceasefire", True),
    ],
)
def test_a_reader_span_must_be_of_the_kind_asked_for(kind, span, fits):
    assert of_kind(kind, span) is fits


@pytest.mark.parametrize(
    "question",
    [
        "Who won the World Cup?",
        "What is the recipe for banana bread?",
        "How tall is Mount Everest?",
    ],
)
def test_unrelated_questions_abstain(asker, question):
    answer = asker.ask(question)
    assert answer.abstained
    assert answer.text == ABSTAIN_TEXT
    assert answer.citations == []


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Who proposed talks?", "person"),
        ("When were relations broken off?", "date"),
        ("How many troops were sent?", "number"),
        ("Where will the talks be held?", "place"),
        ("Which capital was Europe's most congested city?", "entity"),
        ("Trump was sworn in Monday. Which holiday coincided with it?", "entity"),
        ("What is the deadline to file taxes?", None),
        ("Why did the talks fail?", None),
    ],
)
def test_answer_type(question, kind):
    assert answer_type(question) == kind


@pytest.mark.parametrize(
    ("question", "sentence", "span"),
    [
        (
            "Who proposed talks in Minsk?",
            "In a calls with Chinese Premier Xi Jinping, Putin reportedly said he would send a delegation.",
            "Putin",
        ),
        (
            "Whom did Putin call?",
            "Following their conversation Putin called Belarussian President Alexander Lukashenko "
            "to organise talks, the BBC reported.",
            "Belarussian President Alexander Lukashenko",
        ),
        (
            "When were diplomatic relations broken off?",
            "Relations were broken off by the Ukrainian side on Thursday, February 24, following the invasion.",
            "Thursday, February 24",
        ),
        (
            "How many people were arrested?",
            "Police said about 14,000 people were arrested.",
            "about 14,000",
        ),
        ("Which city opened the room?", "The room opened in Glasgow on Monday.", "Glasgow"),
        ("Why did the talks fail?", "The talks failed over security guarantees.", None),
    ],
)
def test_short_answer_span(question, sentence, span):
    found = short_answer(answer_type(question), sentence, question)
    assert (sentence[found[0] : found[1]] if found else None) == span


@pytest.mark.parametrize(
    ("kind", "sentence", "part", "whole"),
    [
        (
            "date",
            "Relations were broken off on Thursday, February 24, after it.",
            "February",
            "Thursday, February 24",
        ),
        ("date", "It reopened in 2019, then closed on March 3.", "March", "March 3"),
        ("number", "Police said about 14,000 people were arrested.", "14,000", "about 14,000"),
        ("number", "Turnout was 61.5 percent.", "61", "61.5 percent"),
        (
            "person",
            "Talks with Alexander Lukashenko began.",
            "Lukashenko",
            "Lukashenko",
        ),  # as marked
        ("date", "The vote is due soon.", "soon", "soon"),  # no date expression holds it
    ],
)
def test_a_reader_span_grows_to_the_whole_date_or_figure_that_holds_it(kind, sentence, part, whole):
    start = sentence.index(part)
    a, b = widened(kind, sentence, (start, start + len(part)))
    assert sentence[a:b] == whole


@pytest.mark.parametrize(
    ("question", "sentence", "common", "span"),
    [
        # A leading article is not part of the name; a common word inside a name is.
        (
            "Which body ruled on the case?",
            "Lawyers said the Supreme Court ruled on Friday.",
            {"supreme", "said"},
            "Supreme Court",
        ),
        ("Who signed the bill?", "Lawmakers said that Joe  Biden signed it.", set(), "Joe  Biden"),
        # "U.S." is "US" only as a word of the question, not inside "because".
        (
            "Which country imposed tariffs because of dumping?",
            "Officials said the U.S. imposed tariffs on steel.",
            set(),
            "U.S",
        ),
        ("Which agency banned the dye?", "The FDA banned Red No. 3 on Wednesday.", set(), "FDA"),
        # Months and weekdays are not names; "U.S." is the question's "US".
        (
            "Which app is back online in the US?",
            "On Sunday the U.S. app TikTok returned.",
            set(),
            "TikTok",
        ),
        (
            "Which chain will cut its menu?",
            "By June, Starbucks will cut 30% of its menu.",
            set(),
            "Starbucks",
        ),
        # A single capitalised word opening a sentence is not evidence of a name.
        ("Which automaker faces a probe?", "Tesla faces a new federal probe", set(), None),
    ],
)
def test_names_in_short_answers(question, sentence, common, span):
    found = short_answer(answer_type(question), sentence, question, frozenset(common))
    assert (sentence[found[0] : found[1]] if found else None) == span


@pytest.mark.parametrize(
    ("headline", "common", "span"),
    [
        ("Tesla faces a new federal probe", {"faces"}, "Tesla"),
        ("Regulators open a new probe", {"regulators"}, None),  # written in lower case too
    ],
)
def test_a_headline_may_open_with_a_name(headline, common, span):
    question = "Which automaker faces a probe?"
    found = short_answer(answer_type(question), headline, question, frozenset(common), True)
    assert (headline[found[0] : found[1]] if found else None) == span


def test_answer_carries_the_short_answer(asker):
    answer = asker.ask("Who proposed talks in Minsk?")
    assert answer.short_answer == "Putin"
    assert answer.short_answer in answer.citations[0].quote


def test_a_question_in_the_text_is_never_the_answer(embeddings):
    """Articles carry FAQ headings ("Who spoke at the funeral?") that echo the question."""
    text = (
        "Who spoke at Jimmy Carter's funeral? "
        "President Joe Biden delivered the eulogy at Jimmy Carter's funeral in Washington. "
        "The service lasted two hours."
    )
    passage = Passage(chunk_id="a:0", article_id="a", text=text, rank=1)
    answer = answer_extractive("Who spoke at Jimmy Carter's funeral?", [passage], embeddings)
    assert not answer.abstained
    assert "?" not in answer.text and "Joe Biden delivered the eulogy" in answer.text


def test_only_a_shortlist_of_sentences_is_embedded(embeddings):
    """The model reads the sentences the cheap signals rank best, and the answer is among them."""
    filler = " ".join(
        f"Unrelated sentence number {i} is about the weather today." for i in range(30)
    )
    text = f"{filler} Lukashenko proposed holding the talks in Minsk on Friday."
    passage = Passage(chunk_id="a:0", article_id="a", text=text, rank=1)
    candidates = candidates_from([passage])
    score_without_model("Who proposed talks in Minsk?", candidates, [passage])
    kept = shortlist(candidates, n=5)
    assert len(candidates) > 30 and len(kept) == 5
    assert any("Lukashenko" in c.text for c in kept)
    answer = answer_extractive("Who proposed talks in Minsk?", [passage], embeddings)
    assert "Lukashenko" in answer.text


def test_a_sentence_s_words_are_sliced_from_its_passage_s(sample_text):
    """Overlap stems each passage once; a sentence's stems are the slice under its offsets,
    the same words `stem_words` makes of the sentence alone (headlines are stemmed alone)."""
    title = "Putin says Russia is ready for talks in Minsk"
    passages = [
        Passage(chunk_id=f"a:{i}", article_id="a", text=part, title=title, rank=i + 1)
        for i, part in enumerate(sample_text.split("\n\n"))
        if part.strip()
    ]
    candidates = candidates_from(passages, headlines=True)
    overlap = Overlap("Who proposed talks in Minsk?", passages)
    assert len(candidates) > 10 and any(c.headline for c in candidates)
    for c in candidates:
        assert overlap.stems(c) == stem_words(c.text), c.text
    # A passage whose lower case is longer ("İ" is two letters in lower case) is stemmed by
    # sentence: offsets into it would not hold (here they would move "talks" into the second).
    odd = Passage(
        chunk_id="b:0",
        article_id="b",
        text="İ" * 30 + " hosted the talks last spring. Minsk did not host them at all.",
    )
    [first, second] = candidates_from([odd])
    assert Overlap("talks in Minsk", [odd]).of_each([first, second]) == [
        pytest.approx(0.5),
        pytest.approx(0.5),
    ]


def test_a_headline_can_answer_what_its_sentences_only_refer_to(embeddings):
    """News quizzes are written from headlines; the body often says "the automaker"."""
    text = (
        "Federal regulators opened an investigation into the automaker's driver-assistance "
        "software on Tuesday. The inquiry covers about 2.6 million vehicles sold since 2016. "
        "Investigators cited four crashes in which the cars failed to detect obstacles."
    )
    passage = Passage(
        chunk_id="t:0",
        article_id="t",
        title="Tesla faces new federal probe into its self-driving features",
        text=text,
        rank=1,
    )
    question = "Which automaker is facing a new investigation into its self-driving features?"
    answer = answer_extractive(question, [passage], embeddings)
    assert not answer.abstained
    headline_line, sentence_line = answer.text.split("\n")
    assert headline_line == f"Headline: “{passage.title}” [1]"  # a line of its own
    assert sentence_line.endswith("[1]")
    headline = answer.citations[0]
    assert headline.headline and headline.quote == passage.title
    assert headline.to_dict()["headline"] is True
    assert answer.short_answer == "Tesla"
    # Without headlines (as LLM citations are grounded) only the passage's sentences compete.
    assert not any(c.headline for c in candidates_from([passage]))
    assert any(c.headline for c in candidates_from([passage], headlines=True))


def test_a_headline_is_offered_once_per_article(embeddings):
    passages = [
        Passage(
            chunk_id=f"t:{i}",
            article_id="t",
            title="Tesla faces a new federal probe",
            text=t,
            rank=i,
        )
        for i, t in enumerate(["The inquiry covers 2.6 million cars.", "Shares fell 3% on it."], 1)
    ]
    titles = [c for c in candidates_from(passages, headlines=True) if c.headline]
    assert [c.text for c in titles] == ["Tesla faces a new federal probe"]


def test_a_made_up_title_is_never_quoted_as_a_headline():
    """A title made from the file name or the lead at ingest is not the article's headline."""
    passage = Passage(
        chunk_id="t:0",
        article_id="t",
        title="Regulators opened an investigation into the automaker…",
        title_derived=True,
        text="Regulators opened an investigation into the automaker's software on Tuesday.",
        rank=1,
    )
    assert not any(c.headline for c in candidates_from([passage], headlines=True))


def test_on_topic_but_weak_evidence_abstains(embeddings):
    """Close enough in meaning to pass the cosine bar, but no question words beyond the topic,
    no name for "which company": saying nothing beats a confident wrong answer."""
    question = "Which company will build the new football stadium?"
    text = "A new football ground for the town was debated at length by residents."
    passage = Passage(chunk_id="a:0", article_id="a", text=text, rank=1)
    candidates = candidates_from([passage])
    score_without_model(question, candidates, [passage])
    add_cosines(question, candidates, embeddings)
    assert is_evidence(candidates[0]) and candidates[0].score < MIN_BEST_SCORE
    assert answer_extractive(question, [passage], embeddings).abstained


def test_a_headline_is_never_shown_without_a_sentence_of_its_article(embeddings):
    title = "Tesla faces new federal probe into its self-driving features"
    question = "Which automaker is facing a new investigation into its self-driving features?"
    asking = Passage(
        chunk_id="t:0", article_id="t", title=title, text="What happens next for owners?", rank=1
    )
    answer = answer_extractive(question, [asking], embeddings)
    assert answer.abstained or not any(c.headline for c in answer.citations)
    # Title and first sentence of the same length (candidates share offsets) is no problem,
    # and the headline is cited with the passage of the sentence shown with it.
    text = f"{title[:-1]}. The inquiry covers about 2.6 million vehicles sold since 2016."
    opening = Passage(chunk_id="t:0", article_id="t", title=title, text="Shares fell.", rank=1)
    body = Passage(chunk_id="t:1", article_id="t", title=title, text=text, rank=2)
    answer = answer_extractive(question, [opening, body], embeddings)
    assert not answer.abstained and "Tesla" in answer.text.split("[")[0]
    assert answer.text.count("[1]") >= 1 and "[2]" not in answer.text.split("[1]")[0]
    assert {c.passage.chunk_id for c in answer.citations if c.n == 1} == {"t:1"}


class RecordingReader:
    """The shipped reader, remembering the headlines it was handed."""

    def __init__(self, reader, titles: bool) -> None:
        self.reader, self.titles, self.handed = reader, titles, []

    def read(self, question, texts, titles=None):
        self.handed.append(titles)
        return self.reader.read(question, texts, titles)


def test_headlines_are_handed_only_to_a_reader_that_reads_them():
    from qa.encoders.reader import load_reader

    passage = Passage(
        chunk_id="t:0",
        article_id="t",
        title="Putin ready for talks in Minsk",
        text="Putin said he would send a delegation to Minsk. The Kremlin confirmed it.",
        rank=1,
    )
    question = "Who proposed talks in Minsk?"
    shipped = load_reader("default")
    for titles in (False, True):
        candidates = candidates_from([passage])
        score_without_model(question, candidates, [passage])
        reader = RecordingReader(shipped, titles)
        add_readings(question, candidates, reader)
        assert all(c.reading is not None for c in candidates)
        handed = reader.handed[0]
        assert handed == ([passage.title] * len(candidates) if titles else None)


class MarkingReader:
    """A stand-in reader with the given bars: reads every text as an answer and marks `word` in
    it with probability `sure_of_span`."""

    titles = False

    def __init__(self, word: str, sure_of_span: float, bars) -> None:
        self.word, self.sure_of_span, self.bars = word, sure_of_span, bars

    def read(self, question, texts, titles=None):
        from qa.encoders.reader import Reading

        found = [t.find(self.word) for t in texts]
        return [
            Reading(4.0, i, i + len(self.word), self.sure_of_span) if i >= 0 else Reading(4.0)
            for i in found
        ]


def test_the_reader_s_span_is_bold_from_its_own_span_bar(embeddings):
    from qa.encoders.reader import ReaderBars

    text = "Vladimir Putin proposed talks in Minsk with Ukraine on Friday."
    passage = Passage(chunk_id="a:0", article_id="a", text=text, rank=1)
    question = "Who proposed talks in Minsk?"
    for bar, bold in ((0.3, "Putin"), (0.6, "Vladimir Putin")):  # else the rules' name
        reader = MarkingReader("Putin", 0.5, ReaderBars(span=bar))
        answer = answer_extractive(question, [passage], embeddings, reader=reader)
        assert not answer.abstained and answer.short_answer == bold


def test_sentences_of_one_article_share_its_number_across_passages():
    from qa.answering.candidates import Candidate
    from qa.answering.extractive import compose

    first = Passage(chunk_id="a:0", article_id="a", text="Putin proposed talks in Minsk.", rank=1)
    second = Passage(chunk_id="a:3", article_id="a", text="Kyiv said it would reply.", rank=2)
    other = Passage(chunk_id="b:0", article_id="b", text="Minsk offered a venue.", rank=3)
    chosen = [Candidate(p, 0, len(p.text)) for p in (first, second, other)]
    answer = compose("Who proposed talks in Minsk?", chosen, [first, second, other])
    assert [c.n for c in answer.citations] == [1, 1, 2]
    assert answer.text == (
        "Putin proposed talks in Minsk. [1] Kyiv said it would reply. [1] Minsk offered a venue. [2]"
    )


UNANSWERING = [
    "The weather in Minsk was cold on Tuesday.",
    "Minsk has a population of about two million people.",
    "Trains to Minsk ran late because of snow.",
    "A new museum opened in Minsk last spring.",
    "The talks were expected to last several days.",
    "Delegations arrived at the border by bus.",
    "Officials did not say how long the meeting would last.",
    "Minsk hosted a football match on Sunday.",
]
ANSWERING = "Vladimir Putin proposed the talks in Minsk, the Kremlin said."
SURE = "President Vladimir Putin proposed talks in Minsk on Friday."  # read at 0.9 or more


@pytest.mark.parametrize(
    ("first", "read_further"),
    [(UNANSWERING, True), ([SURE, *UNANSWERING[1:]], False)],
)
def test_the_next_candidates_are_read_only_when_none_of_the_best_answers(
    monkeypatch, first, read_further
):
    from qa.answering import candidates as scoring
    from qa.encoders.reader import load_reader

    monkeypatch.setattr(scoring, "READER_DEPTH", 8)
    monkeypatch.setattr(scoring, "READER_MORE", 8)
    passage = Passage(chunk_id="m:0", article_id="m", title="", text=" ".join([*first, ANSWERING]))
    candidates = candidates_from([passage])
    assert [c.text for c in candidates] == [*first, ANSWERING]
    for i, c in enumerate(candidates):  # the answerer ranks the answering sentence ninth
        c.score = 2.0 - 0.1 * i
    add_readings("Who proposed talks in Minsk?", candidates, load_reader("default"))
    ninth = candidates[8]
    assert all(c.reading is not None for c in candidates[:8])
    assert (ninth.reading is not None) is read_further
    best = max(candidates, key=lambda c: c.score)
    assert "Putin proposed" in best.text  # read further, the ninth leads; else the first does


def test_an_answer_the_reader_reads_as_no_answer_is_shown_but_not_supported(embeddings):
    from qa.answering.extractive import UNSUPPORTED_READING
    from qa.encoders.reader import load_reader

    reader = load_reader("default")
    echo = (
        "Talks in Minsk were proposed last week, and the proposal for talks in Minsk was "
        "discussed again on Friday."
    )
    passage = Passage(chunk_id="a:0", article_id="a", text=echo, rank=1)
    answer = answer_extractive("Who proposed talks in Minsk?", [passage], embeddings, reader=reader)
    assert not answer.abstained and echo in answer.text
    assert answer.supported is False and answer.notice == UNSUPPORTED_READING
    assert answer.to_dict()["supported"] is False
    plain = Passage(
        chunk_id="b:0",
        article_id="b",
        text="Vladimir Putin proposed the talks in Minsk, the Kremlin said.",
        rank=1,
    )
    answer = answer_extractive("Who proposed talks in Minsk?", [plain], embeddings, reader=reader)
    assert answer.short_answer == "Vladimir Putin" and answer.supported and answer.notice is None


def test_a_sentence_the_reader_is_sure_of_is_evidence_whatever_its_cosine():
    from qa.answering.candidates import Candidate
    from qa.encoders.reader import ReaderBars

    bar = ReaderBars.evidence  # the shipped reader's

    text = "The order comes after TikTok abruptly shut down in the U.S. over the weekend."
    passage = Passage(chunk_id="a:0", article_id="a", text=text, rank=1)
    c = Candidate(passage, 0, len(text), cosine=0.3, overlap=0.1)
    assert not is_evidence(c)  # far from the question in meaning and words, not read
    c.reading = bar - 0.05
    assert not is_evidence(c)
    c.reading = bar
    assert is_evidence(c)
    assert not is_evidence(c, read_evidence=bar + 0.01)  # another reader's bar


def test_a_long_second_sentence_is_not_passed_over_for_a_short_third():
    from qa.answering.candidates import Candidate
    from qa.answering.extractive import MAX_ANSWER_CHARS, choose

    lead = "Thailand's senate voted on Tuesday to approve a marriage equality bill."
    second = (
        "Thailand became the first country in Southeast Asia to recognise same-sex marriage, "
        "and the third in Asia after Taiwan and Nepal, when the king endorsed the bill that "
        "activists had campaigned for over more than two decades of setbacks, court defeats "
        "and stalled bills, with the first weddings expected in the new year."
    )
    third = "Japan remains the only Group of Seven country that does not recognise same-sex unions."
    assert len(lead) + len(second) <= MAX_ANSWER_CHARS < len(lead) + len(second) + len(third)
    text = " ".join([lead, second, third])
    passage = Passage(chunk_id="a:0", article_id="a", text=text, rank=1)
    ranked = []
    for score, sentence in zip((2.0, 1.9, 1.8), (lead, second, third), strict=True):
        start = text.index(sentence)
        ranked.append(Candidate(passage, start, start + len(sentence), score=score, cosine=0.6))
    assert [c.text for c in choose(ranked, 0.7, {})] == [lead, second]
    # A further sentence below the ratio of the best is never shown.
    ranked[1].score = 1.3
    ranked.sort(key=lambda c: c.score, reverse=True)
    assert [c.text for c in choose(ranked, 0.7, {})] == [lead, third]


def test_a_copy_of_a_shown_sentence_gives_way_to_other_evidence():
    from qa.answering.candidates import Candidate, near_copies
    from qa.answering.extractive import choose

    sentences = [
        "Two hours after Dominion's $1.6 billion defamation lawsuit against Fox News was to start "
        "came word that the parties had settled their dispute.",
        "Two hours after Dominion's $1.6 billion defamation lawsuit against Fox News was to start "
        "came word from the courtroom that the parties had settled their dispute.",
        "Fox News agreed to pay Dominion $787.5 million to settle the lawsuit.",
    ]
    ranked = []
    for n, (score, sentence) in enumerate(zip((2.2, 2.1, 2.0), sentences, strict=True)):
        passage = Passage(chunk_id=f"{n}:0", article_id=str(n), text=sentence, rank=n + 1)
        ranked.append(Candidate(passage, 0, len(sentence), score=score, cosine=0.7))
    assert near_copies(ranked[0], ranked[1]) and not near_copies(ranked[0], ranked[2])
    assert [c.text for c in choose(ranked, 0.7, {})] == [sentences[0], sentences[2]]
