"""A small JSON Lines dump for the shard tests (`--shard I/N`), split between SHARDS shards.

It holds distinct articles, syndicated copies whose kept article another shard owns, a copy
like two kept articles that are not like each other (the kept articles in different shards),
one article twice, and one item that fails. Which shard owns an article follows from its URL
(its id), so URLs are picked to put each case across shards.
"""

from __future__ import annotations

import json
from pathlib import Path

from helpers.articles import THREE_WAY_K, THREE_WAY_Y, THREE_WAY_Z, filler
from helpers.paths import EVAL_ARTICLES
from ingest.shards import shard_of
from qa.types import Article

SHARDS = 2
SYNTHETIC = 12  # articles besides the five of the evaluation fixture
COPY_OUTLET = "Harbour Wire"
# The three-way case of helpers.articles: copy Y is like both K and Z, more like Z.
WIRE_K, WIRE_Z, COPY_DESK = "Wire K", "Wire Z", "Copy Desk"


def owner(url: str) -> int:
    """The shard that owns the article at `url` when the dump is split SHARDS ways."""
    return shard_of(Article(title="", text="", url=url).id, SHARDS)


def url_in_shard(base: str, shard: int) -> str:
    """`base` with a numbered suffix that puts its article in `shard`."""
    return next(url for k in range(100) if owner(url := f"{base}-{k}") == shard)


def other(shard: int) -> int:
    return shard % SHARDS + 1


def three_way_rows() -> list[dict]:
    """K, Y and Z of helpers.articles (Y copies K and Z, which are different stories), K and Z
    in different shards."""
    k_url = url_in_shard("https://wire-k.example/story", 1)
    z_url = url_in_shard("https://wire-z.example/story", 2)
    return [
        row("Wire story K", THREE_WAY_K, WIRE_K, k_url, "2025-01-21"),
        row("Wire story Y", THREE_WAY_Y, COPY_DESK, "https://desk.example/y", "2025-01-21"),
        row("Wire story Z", THREE_WAY_Z, WIRE_Z, z_url, "2025-01-21"),
    ]


def row(title: str, text: str, source: str, url: str, published: str) -> dict:
    return {"title": title, "text": text, "source": source, "url": url, "published": published}


def write_sharded_dump(path: Path) -> Path:
    """The dump described above, as JSON Lines at `path`."""
    originals = [json.loads(line) for line in EVAL_ARTICLES.read_text().splitlines()]
    for item in originals:
        item.pop("id")  # identified by its URL, as the copies are
    originals += [
        row(
            f"Council news {i}",
            filler(100 + i, sentences=6),
            "Town Crier",
            f"https://crier.example/news-{i}",
            f"2025-02-{i + 1:02d}",
        )
        for i in range(SYNTHETIC)
    ]
    copies = [
        # The same text, the kept article's owner another shard than the copy's.
        dict(o, source=COPY_OUTLET, url=url_in_shard(o["url"], other(owner(o["url"]))))
        for o in (originals[0], originals[5])
    ]
    edited = originals[6]  # a copy with a line of its own: similar, not equal
    copies.append(
        dict(
            edited,
            text=edited["text"] + " The council will meet again next week.",
            source="Valley Post",
            url=url_in_shard("https://valley.example/copy", other(owner(edited["url"]))),
        )
    )
    rows = originals[:3] + [copies[0]] + three_way_rows() + originals[3:9] + copies[1:]
    rows += originals[9:] + [originals[2]]  # the same article again
    rows.append({"title": "An item with no text", "url": "https://crier.example/empty"})
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path
