"""Sentence-aware chunking: chunks of whole sentences, about CHUNK_WORDS words, overlapping.

MiniLM reads at most 256 word pieces and was trained on 128, so chunks stay near 100-150
words (plus the title header) to be embedded whole and to keep each one about one thing.
"""

from __future__ import annotations

from qa.news.dates import epoch
from qa.news.sentences import sentence_spans
from qa.types import Article, Chunk

CHUNK_WORDS = 120  # target words per chunk
OVERLAP_SENTENCES = 1  # sentences repeated at the start of the next chunk
MAX_SENTENCE_WORDS = 200  # a longer "sentence" (a list, a table) is cut at this many words


def split_into_chunks(
    article: Article, *, chunk_words: int = CHUNK_WORDS, overlap: int = OVERLAP_SENTENCES
) -> list[Chunk]:
    """Chunks of `article`'s text, never splitting a sentence, each carrying filter metadata."""
    spans = _bounded_spans(article.text)
    groups = _group(spans, [_words(article.text[s:e]) for s, e in spans], chunk_words, overlap)
    published = epoch(article.published)
    return [
        Chunk(
            article_id=article.id,
            n=n,
            text=article.text[group[0][0] : group[-1][1]],
            start=group[0][0],
            end=group[-1][1],
            title=article.title,
            source=article.source,
            url=article.url,
            published=published,
            topics=list(article.topics),
        )
        for n, group in enumerate(groups)
    ]


def _group(
    spans: list[tuple[int, int]], words: list[int], limit: int, overlap: int
) -> list[list[tuple[int, int]]]:
    groups: list[list[tuple[int, int]]] = []
    i = 0
    while i < len(spans):
        j, total = i, 0
        while j < len(spans) and (j == i or total + words[j] <= limit):
            total += words[j]
            j += 1
        groups.append(spans[i:j])
        if j >= len(spans):
            break
        # Step back `overlap` sentences, but always move forward by at least one.
        i = max(j - overlap, i + 1)
    return groups


def _bounded_spans(text: str) -> list[tuple[int, int]]:
    """Sentence spans, with run-on "sentences" cut into pieces of MAX_SENTENCE_WORDS words."""
    out: list[tuple[int, int]] = []
    for start, end in sentence_spans(text):
        if _words(text[start:end]) <= MAX_SENTENCE_WORDS:
            out.append((start, end))
            continue
        cuts = [start]
        count = 0
        for pos in range(start, end):
            if text[pos] == " ":
                count += 1
                if count % MAX_SENTENCE_WORDS == 0:
                    cuts.append(pos + 1)
        cuts.append(end)
        out.extend((a, b) for a, b in zip(cuts, cuts[1:], strict=False) if b > a)
    return out


def _words(text: str) -> int:
    return text.count(" ") + 1
