"""qa.store.lexical: the BM25 index kept beside Chroma, its ranking and its stamped save and load."""

from __future__ import annotations

import re
import threading

import numpy as np

from qa.store import lexical
from qa.store.lexical import MANIFEST, LexicalIndex, make_tokenizer, stem_offsets, stem_words

TEXTS = [
    "The council approved the harbour budget on Monday.",
    "A solo rower crossed the Atlantic in 52 days.",
    "Rowers from the harbour club trained on the river.",
]


def test_top_ranks_matching_rows_best_first_and_leaves_out_the_rest():
    index = LexicalIndex.build(TEXTS)
    top = index.top("rowers on the Atlantic", k=3)
    assert [row for row, _ in top] == [1, 2]  # stemmed and lower-cased: "rowers" finds "rower"
    assert top[0][1] > top[1][1] > 0
    assert index.top("zeppelin", k=3) == []
    assert index.top("the", k=3) == []  # a stopword alone matches nothing


def test_a_mask_hides_rows():
    index = LexicalIndex.build(TEXTS)
    mask = np.array([1, 0, 1], dtype=bool)
    assert [row for row, _ in index.top("harbour rower", k=3, mask=mask)] == [2, 0]
    assert index.scores("harbour rower", mask)[1] == 0


def test_a_masked_ranking_of_the_last_query_equals_scoring_it_afresh():
    """A question's preferred rankings reuse its unmasked scores: the same numbers as BM25's own
    weight mask, and a new query is never answered with the last one's scores."""
    index = LexicalIndex.build(TEXTS)
    mask = np.array([1, 0, 1], dtype=bool)
    unmasked = index.scores("harbour rower").copy()
    fresh = index._retriever.get_scores_from_ids(
        [
            i
            for i in index._tokenizer.tokenize(
                ["harbour rower"], update_vocab=False, return_as="ids", show_progress=False
            )[0]
            if i
        ],
        weight_mask=mask.astype(np.float32),
    )
    assert np.array_equal(index.scores("harbour rower", mask), fresh)
    assert np.array_equal(index.scores("harbour rower"), unmasked)  # the mask left it whole
    assert not np.array_equal(index.scores("council budget"), unmasked)


def test_save_and_load_round_trip_under_the_same_stamp(tmp_path):
    built = LexicalIndex.build(TEXTS)
    built.save(tmp_path / "lexical", "stamp-1")
    loaded = LexicalIndex.load(tmp_path / "lexical", "stamp-1")
    assert loaded is not None and loaded.size == 3
    assert loaded.top("harbour budget", k=3) == built.top("harbour budget", k=3)


def test_a_stale_or_missing_index_loads_as_none(tmp_path):
    LexicalIndex.build(TEXTS).save(tmp_path / "lexical", "stamp-1")
    assert LexicalIndex.load(tmp_path / "lexical", "stamp-2") is None
    assert LexicalIndex.load(tmp_path / "nothing", "stamp-1") is None
    (tmp_path / "lexical" / MANIFEST).write_text("{not json")
    assert LexicalIndex.load(tmp_path / "lexical", "stamp-1") is None


def test_an_empty_store_saves_and_loads_an_empty_index(tmp_path):
    LexicalIndex.build([]).save(tmp_path / "lexical", "empty")
    loaded = LexicalIndex.load(tmp_path / "lexical", "empty")
    assert loaded is not None and loaded.size == 0
    assert loaded.top("harbour", k=5) == []


def test_stem_words_makes_the_bm25_tokenizer_s_words():
    texts = [*TEXTS, "Russia's President Vladimir Putin said he was READY for talks in Minsk."]
    tokenized = make_tokenizer().tokenize(
        texts, update_vocab=True, return_as="string", show_progress=False
    )
    assert [stem_words(t) for t in texts] == tokenized
    assert stem_words("The rowers are rowing") == ["rower", "row"]  # "the", "are": stopwords
    assert [stem_words(t) for t in texts] == tokenized  # the same from the kept stems
    assert stem_words("It was to be") == []  # only stopwords (the tokenizer gives [""])


def test_stem_offsets_say_where_each_stemmed_word_starts():
    text = "The rowers were ROWING; the harbour's councils approved it."
    starts, stems = stem_offsets(text)
    assert stems == stem_words(text) and "row" in stems and "council" in stems
    words = [re.match(r"\w+", text[i:]).group() for i in starts]  # the word at each offset
    assert [stem_words(w) for w in words] == [[s] for s in stems]
    assert stem_offsets("İstanbul hosted the talks") is None  # "i̇" is two letters in lower case


def test_stem_words_in_threads_agree_with_one_thread(monkeypatch):
    words = [f"harbour{i} rowing councils approved budgets" for i in range(300)]
    expected = [stem_words(w) for w in words]
    monkeypatch.setattr(lexical, "_stems", {})  # every thread stems afresh, with its own stemmer
    results: list[list[list[str]]] = [[], [], []]

    def stem(out: list) -> None:
        out.extend(stem_words(w) for w in words)

    threads = [threading.Thread(target=stem, args=(out,)) for out in results]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results == [expected] * 3
