"""Loading sources in one call (test_load, test_files, test_dumps, test_decode, test_articles)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from ingest.sources.articles import LoadFailure
from ingest.sources.load import load_sources
from qa.types import Article

BODY = "Russian president Vladimir Putin has said he is prepared to hold talks with Ukraine."
FEB_25 = datetime(2022, 2, 25, tzinfo=UTC)


def load(*sources: str | Path, **options) -> list[Article | LoadFailure]:
    return list(load_sources([str(s) for s in sources], **options))


def load_article(source: str | Path, **options) -> Article:
    results = load(source, **options)
    assert len(results) == 1 and isinstance(results[0], Article), results
    return results[0]


def load_failure(source: str | Path, **options) -> LoadFailure:
    results = load(source, **options)
    assert len(results) == 1 and isinstance(results[0], LoadFailure), results
    return results[0]


def assert_fails_in_one_line(path: Path, expected: str) -> None:
    """`path` loads as one failure, named by its path, whose one-line error says `expected`."""
    failure = load_failure(path)
    assert failure.source == str(path)
    assert expected in failure.error
    assert "\n" not in failure.error


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path
