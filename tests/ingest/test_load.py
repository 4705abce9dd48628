"""ingest.sources.load: every source the user names goes to its reader, and one bad source stops none."""

from __future__ import annotations

from helpers.loading import BODY, load, load_failure, write


def test_only_http_urls_are_fetched():
    failure = load_failure("ftp://example.com/a.txt")
    assert "only http:// and https:// URLs" in failure.error


def test_one_bad_source_does_not_stop_the_others(tmp_path):
    good = write(tmp_path / "good.txt", f"Good title\n\n{BODY}")
    results = load(tmp_path / "missing.txt", write(tmp_path / "empty.txt", ""), good)
    assert [type(r).__name__ for r in results] == ["LoadFailure", "LoadFailure", "Article"]
