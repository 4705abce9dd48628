"""`--shard I/N`: several ingests, on one machine or several, split one dump between them.

Every shard reads the whole dump and decides what each article is (new, edited, unchanged,
a syndicated copy) exactly as one ingest would; it embeds and writes only the articles it owns.
An article belongs to one shard by a hash of its id, so any number of shards split any dump the
same way whatever order they read it in, and only one process ever writes a given article.
Reading and fingerprinting the articles of the other shards costs about 4 ms each against
~0.7 s to embed one (docs/scale.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from hashlib import sha256

from ingest.errors import UsageError

_SHARD_RE = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*")
MAX_SHARDS = 10_000  # more processes than this on one dump is a typo, not a plan


@dataclass(frozen=True)
class Shard:
    """Shard `number` (1-based) of `count`."""

    number: int
    count: int

    def owns(self, article_id: str) -> bool:
        """True if this shard writes the article with this id."""
        return shard_of(article_id, self.count) == self.number

    @property
    def name(self) -> str:
        """A file-name-safe label ("1of4"): names the lock that keeps one shard to one process."""
        return f"{self.number}of{self.count}"

    def __str__(self) -> str:
        return f"{self.number}/{self.count}"


def shard_of(article_id: str, count: int) -> int:
    """The shard (1..count) that owns `article_id`: a hash, the same on every machine."""
    return 1 + int.from_bytes(sha256(article_id.encode("utf-8")).digest()[:8], "big") % count


def parse_shard(text: str) -> Shard:
    """`--shard`'s value, "I/N" with 1 <= I <= N; a UsageError naming it otherwise."""
    match = _SHARD_RE.fullmatch(text)
    number, count = (int(match.group(1)), int(match.group(2))) if match else (0, 0)
    if not match or not 1 <= number <= count or count > MAX_SHARDS:
        raise UsageError(
            f"--shard {text!r}: give I/N, this process's part I of N (1 <= I <= N, "
            f"N <= {MAX_SHARDS}), e.g. --shard 1/4"
        )
    return Shard(number, count)
