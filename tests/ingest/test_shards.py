"""`--shard I/N` (ingest.shards): how articles are split, and that shards decide copies as one
ingest does. Two shards at once against a real Chroma server: test_shards_on_server.py in
tests/system/."""

from __future__ import annotations

import pytest
from helpers.sharded import COPY_DESK, SHARDS, WIRE_K, WIRE_Z, write_sharded_dump

from ingest.cli import main as ingest_main
from ingest.pipeline import IngestSummary, ingest_sources
from ingest.preview import preview_sources
from ingest.shards import Shard, parse_shard, shard_of
from qa.config import Settings
from qa.errors import UsageError
from qa.store import NewsIndex
from qa.types import Article

COUNTS = ("added", "updated", "unchanged", "duplicates")


@pytest.mark.parametrize(
    ("text", "shard"),
    [("1/2", Shard(1, 2)), ("2/2", Shard(2, 2)), ("1/1", Shard(1, 1)), (" 3 / 8 ", Shard(3, 8))],
)
def test_shard_values_are_read(text, shard):
    assert parse_shard(text) == shard and str(shard) == f"{shard.number}/{shard.count}"


@pytest.mark.parametrize("text", ["0/2", "3/2", "x", "1/0", "2", "1/2/3", "-1/2", "1/99999", ""])
def test_wrong_shard_values_name_the_value_and_the_form(text):
    with pytest.raises(UsageError, match=r"--shard '.*': give I/N.*e\.g\. --shard 1/4"):
        parse_shard(text)


@pytest.mark.parametrize(
    "argv",
    [
        ["dump.jsonl", "--shard", "0/2"],
        ["dump.jsonl", "--shard", "3/2"],
        ["dump.jsonl", "--shard", "x"],
        ["dump.jsonl", "--shard", "1/2", "--if-empty"],
        ["--watch", "feeds.txt", "--shard", "1/2"],
    ],
)
def test_shard_usage_errors_are_one_line_and_exit_2(argv, capsys, tmp_path):
    assert ingest_main([*argv, "--store", str(tmp_path / "store")]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1
    assert captured.err.startswith("error: --") and "--shard" in captured.err
    assert not (tmp_path / "store").exists()


def test_every_article_belongs_to_exactly_one_shard_whatever_their_number():
    ids = [Article(title="", text="", url=f"https://a.example/{i}").id for i in range(2000)]
    for count in (1, 2, 3, 7):
        owners = [[s for s in range(1, count + 1) if Shard(s, count).owns(i)] for i in ids]
        assert all(len(o) == 1 for o in owners)
        sizes = [sum(o == [s] for o in owners) for s in range(1, count + 1)]
        assert min(sizes) > 0.8 * len(ids) / count  # a hash, not a round-robin: near even


def test_an_articles_shard_is_pinned_across_versions_and_machines():
    """Shards of one run may run different copies of newsqa: the split must never move."""
    assert [shard_of("0123456789abcdef", n) for n in (2, 3, 10)] == [1, 1, 9]


def summaries_add_up(parts: list[IngestSummary], whole: IngestSummary) -> None:
    for name in COUNTS:
        assert sum(getattr(p, name) for p in parts) == getattr(whole, name), name
    assert all(p.failed == whole.failed for p in parts)  # every shard read the failing item


def stored(settings: Settings, embeddings) -> tuple[dict[str, tuple[str, ...]], list[str]]:
    """Each article's outlets of copies, and every chunk id, as a fresh reader sees them."""
    with NewsIndex(settings, embeddings=embeddings) as index:
        articles = index.catalog.articles()
        return (
            {aid: row.also_published_by for aid, row in articles.items()},
            sorted(r.id for r in index.catalog.rows),
        )


def test_shards_one_after_another_store_what_one_ingest_stores(tmp_path, embeddings):
    """On a local store shards take turns (one writer at a time), the second finding the
    first's articles stored: shard 2 first, so shard 1 finds Z before it reads Y."""
    dump = str(write_sharded_dump(tmp_path / "dump.jsonl"))
    one, split = Settings(store_dir=tmp_path / "one"), Settings(store_dir=tmp_path / "split")

    def ingest(settings, shard=None):
        index = NewsIndex(settings, embeddings=embeddings)
        return ingest_sources([dump], settings=settings, index=index, progress=False, shard=shard)

    whole = ingest(one)
    assert (whole.added, whole.duplicates, len(whole.failed)) == (19, 5, 1)
    parts = [ingest(split, Shard(2, SHARDS)), ingest(split, Shard(1, SHARDS))]
    assert [p.shard for p in parts] == ["2/2", "1/2"] and whole.shard is None
    summaries_add_up(parts, whole)
    assert all(p.added > 0 and p.duplicates > 0 for p in parts)
    assert (parts[1].articles_total, parts[1].chunks_total) == (
        whole.articles_total,
        whole.chunks_total,
    )

    assert stored(split, embeddings) == stored(one, embeddings)
    publishers = {tuple(v) for v in stored(one, embeddings)[0].values() if v}
    assert publishers == {("Harbour Wire",), ("Valley Post",), (COPY_DESK,)}
    assert {WIRE_K, WIRE_Z} <= {
        row.source for row in NewsIndex(one, embeddings=embeddings).catalog.rows
    }

    again = ingest(split, Shard(1, SHARDS))  # a shard run again embeds nothing
    assert (again.added, again.updated, again.unchanged) == (0, 0, parts[1].added)


def test_a_shard_preview_counts_its_own_articles(tmp_path):
    """`--dry-run --shard I/N`: what that shard would embed; the shards' previews add up."""
    dump = str(write_sharded_dump(tmp_path / "dump.jsonl"))
    settings = Settings(store_dir=tmp_path / "store")

    def preview(shard=None):
        return preview_sources(
            [dump], settings=settings, progress=False, measure=False, shard=shard
        )

    whole = preview()
    parts = [preview(Shard(i, SHARDS)) for i in range(1, SHARDS + 1)]
    summaries_add_up([p.summary for p in parts], whole.summary)
    assert sum(p.chunks for p in parts) == whole.chunks and all(p.chunks for p in parts)
    assert parts[0].lines()[0].startswith("dry run: shard 1/2: would add ")
