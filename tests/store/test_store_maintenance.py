"""qa.store.maintenance: the stored versions an ingest compares with, read from Chroma's file."""

from __future__ import annotations

from qa.config import DEFAULT_COLLECTION
from qa.store.folder import CHROMA_DB
from qa.store.maintenance import read_stored_versions


def test_stored_versions_are_read_without_opening_chroma(sample_store, sample_article):
    (version,) = read_stored_versions(sample_store / CHROMA_DB, DEFAULT_COLLECTION)
    assert version.article_id == sample_article.id
    assert version.source == "Sample" and version.fingerprint
    assert read_stored_versions(sample_store / CHROMA_DB, "no-such-collection") == []
