"""The chat page's text as Markdown: answers, sources, labels and hints, escaped so that nothing
taken from an article can inject HTML, links, math or formatting. Pure functions, no Streamlit:
`app.py` renders what they return.
"""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import quote, urlsplit

from qa.answering.ask import AskOptions
from qa.interface import preload
from qa.news.dates import parse_event_date
from qa.types import Answer, Citation

# Every ASCII punctuation character: CommonMark lets any of them be backslash-escaped, and the
# escape renders as the bare character. That covers HTML (<, >, &), emphasis, links, headings,
# lists, Streamlit's math ($) and its directives (:color[...]).
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")

# -- escaping and highlighting (pure functions, tested directly) -------------------------


_AUTOLINKED = re.compile(r"(?i)(?<=www)(?=\.)|(?<=:)(?=//)|(?=@)")
WORD_JOINER = "\u2060"  # invisible; breaks "www.", "://" and "@" so no text becomes a link


def escape_markdown(text: str) -> str:
    """`text` as Markdown that renders literally, on one line (line breaks become spaces).

    Backslash escapes do not stop Streamlit's renderer from turning bare `www.` and `https://`
    addresses and e-mail addresses into links, so an invisible word joiner breaks them."""
    text = _AUTOLINKED.sub(WORD_JOINER, " ".join(text.split("\n")))
    return _PUNCTUATION.sub(r"\\\1", text)


def literal_markdown(text: str) -> str:
    """Multi-line `text` rendered literally, each line its own paragraph."""
    lines = text.split("\n")
    escaped = [escape_markdown(lines[0])] + [escape_markdown(line.lstrip()) for line in lines[1:]]
    return "\n\n".join(escaped)


def highlight_markdown(text: str, start: int, end: int) -> str:
    """Passage `text` as literal Markdown with `text[start:end]` on an orange background.

    The highlighted part is escaped too, so a `]` inside it cannot close the directive early.
    Offsets outside the text give the passage without a highlight.
    """
    if not 0 <= start < end <= len(text):
        return literal_markdown(text.strip())
    before, marked, after = text[:start].lstrip(), text[start:end], text[end:].rstrip()
    highlight = f":orange-background[{escape_markdown(' '.join(marked.split()))}]"
    return literal_markdown(before) + highlight + literal_markdown(after)


def quote_span(passage: str, quote_text: str, start: int, end: int) -> tuple[int, int]:
    """Where the quote sits in the passage: the given offsets if they match, else a search."""
    if 0 <= start < end <= len(passage) and passage[start:end] == quote_text:
        return start, end
    found = passage.find(quote_text) if quote_text else -1
    return (found, found + len(quote_text)) if found >= 0 else (0, 0)


def safe_url(url: str) -> str | None:
    """`url` fit for a Markdown link target: http(s) only, with no character that ends it."""
    if urlsplit(url.strip()).scheme.lower() not in ("http", "https"):
        return None
    return quote(url.strip(), safe=":/?#@!$&'*+,;=%~-._")


# -- turning answers into Markdown --------------------------------------------------------


def answer_record(answer: Answer) -> dict:
    """What the chat history keeps of an answer: `Answer.to_dict()` plus what highlighting needs."""
    record = answer.to_dict()
    record["citations"] = [citation_record(c) for c in answer.citations]
    return record


def citation_record(citation: Citation) -> dict:
    """`Citation.to_dict()` plus the passage and the quote's offsets in it, for highlighting."""
    data = citation.to_dict()
    data["passage"] = citation.passage.text
    data["quote_start"], data["quote_end"] = quote_span(
        citation.passage.text, citation.quote, citation.quote_start, citation.quote_end
    )
    return data


def answer_markdown(answer: Answer) -> str:
    """The answer as Markdown: the short answer first, in bold, when there is one; then the
    cited evidence, a quoted headline on a line of its own."""
    return record_markdown(answer.to_dict())


def record_markdown(record: dict) -> str:
    """`answer_markdown` of an answer kept as `Answer.to_dict()` (a reopened chat's answers,
    which are shown as they were when given, rebuilt from the record, never stored Markdown)."""
    lines = [escape_markdown(line) for line in str(record.get("answer") or "").split("\n")]
    if record.get("short_answer") and not record.get("abstained"):
        lines.insert(0, f"**{escape_markdown(str(record['short_answer']))}**")
    return "\n\n".join(lines)


def source_label(citation: dict) -> str:
    """The expander label of one source: number, title, source, date and age, attribution."""
    published = citation.get("published")
    if published and (age := age_label(citation.get("age_days"))):
        published = f"{published} ({age})"
    parts = [citation.get("title") or "(untitled)", citation.get("source"), published]
    if citation.get("attribution"):
        parts.append(f"per {citation['attribution']}")
    return f"**[{citation['n']}]** " + " · ".join(escape_markdown(p) for p in parts if p)


def age_label(days: int | None) -> str | None:
    """How old an article was on the answer's "as of" date: "published that day", "3 days old"."""
    if days is None:
        return None
    if days < 0:
        return "published after the as-of date"
    if days == 0:
        return "published that day"
    if days < 60:
        return "1 day old" if days == 1 else f"{days} days old"
    if days < 730:  # "4 months old" reads at a glance where "122 days old" must be worked out
        return f"{round(days / 30.44)} months old"
    return f"{days // 365} years old"


def date_label(iso: str) -> str:
    """A stored event date as a reader sees it: "2022-02-24" -> "24 February 2022"."""
    parsed = parse_event_date(iso)
    return parsed.label if parsed is not None else iso


def sources_to_show(citations: list[dict]) -> list[tuple[dict, str | None, list[dict]]]:
    """One source per article [n]: what labels it (its first sentence's citation, with the
    dates all its sentences refer to and an attribution only if they share one), the headline
    the answer quotes from it (None if none), and the citations whose passages it shows: its
    sentences, or the headline's alone when no sentence of it is cited."""
    by_article: dict[int, list[dict]] = {}
    for c in citations:
        by_article.setdefault(c["n"], []).append(c)
    shown = []
    for cited in by_article.values():
        headline = next((c["quote"] for c in cited if c.get("headline")), None)
        sentences = [c for c in cited if not c.get("headline")]
        if not sentences:
            shown.append((cited[0], headline, cited[:1]))
            continue
        attributions = {c.get("attribution") for c in sentences}
        dates = list(dict.fromkeys(d for c in sentences for d in c.get("dates") or []))
        label = {
            **sentences[0],
            "attribution": attributions.pop() if len(attributions) == 1 else None,
            "dates": dates,
        }
        shown.append((label, headline, sentences))
    return shown


def source_details(citation: dict, headline: str | None = None) -> str:
    """The lines above the passage: link, the headline quoted, who said it, when it happened,
    other outlets."""
    url = safe_url(citation.get("url") or "")
    host = urlsplit(url).netloc if url else ""
    lines = [f"[Read the article on {escape_markdown(host)}]({url})" if url else "No link stored"]
    if headline:
        lines.append(f"Quotes the headline: “{escape_markdown(headline)}”")
    if citation.get("dates"):
        days = ", ".join(date_label(iso) for iso in citation["dates"])
        lines.append(f"Refers to {escape_markdown(days)}")
    if citation.get("also_published_by"):
        outlets = ", ".join(citation["also_published_by"])
        lines.append(f"Also published by {escape_markdown(outlets)}")
    return "  \n".join(lines)


def welcome_line(stats: dict) -> str:
    """What an empty chat says the store holds: "Ask about 1,052 articles from 3 sources,
    2017-12-28 to 2025-02-27. Answers quote the sentences they come from, with source and
    date." """
    articles = preload.plural(stats["articles"], "article")
    sources = len(stats.get("sources") or {})
    span = ""
    if stats.get("oldest") and stats.get("newest"):
        span = f", {stats['oldest']} to {stats['newest']}"
    elif stats.get("newest"):
        span = f", up to {stats['newest']}"
    return escape_markdown(
        f"Ask about {articles} from {preload.plural(sources, 'source')}{span}. Answers quote "
        "the sentences they come from, with source and date."
    )


def searched_label(record: dict) -> str | None:
    """What a follow-up was searched as ("Searched for: ... with: topic; name"), or None."""
    question = record.get("rewritten_question")
    context = record.get("followup_context") or []
    if not question and not context:
        return None
    label = f"Searched for: {question or record.get('question') or ''}".rstrip()
    return f"{label} with: {'; '.join(context)}" if context else label


def store_line(stats: dict) -> str:
    """The sidebar's one line on the store: "**12,247 articles** from 3 sources, published
    2026-03-02 to 2026-05-20" (words a reader knows, short enough for a phone)."""
    articles = preload.plural(stats["articles"], "article")
    sources = preload.plural(len(stats.get("sources") or {}), "source")
    span = ""
    if stats.get("oldest") and stats.get("newest"):
        span = f", published {stats['oldest']} to {stats['newest']}"
    return f"**{escape_markdown(articles)}** {escape_markdown(f'from {sources}{span}')}"


def filters_label(options: AskOptions, *, newest: date | None = None) -> str | None:
    """The sidebar filters that narrow a search, in words (`AskOptions.narrowing`)."""
    return options.narrowing(newest=newest)


def timeline_line(event: dict) -> str:
    """One event as a Markdown list item: date in bold, the sentence, its citation number."""
    when = date_label(event["date"])
    if event.get("dated_by") == "published":
        when = f"{when} (publication date)"
    n = event["citation"]["n"]
    return f"- **{escape_markdown(when)}**: {escape_markdown(event['event'])} \\[{n}\\]"
