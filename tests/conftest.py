"""Shared fixtures: real MiniLM loaded once, real Chroma stores on temporary folders."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.clean import clean_article
from ingest.pipeline import ingest_articles
from qa.config import Settings
from qa.dates import parse_date
from qa.embeddings import load_embeddings
from qa.models import Article
from qa.store import NewsIndex

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLE = FIXTURES / "putin-ready-for-talks-in-minsk.txt"
SAMPLE_TITLE = "Putin ready for talks in Minsk"
SAMPLE_DATE = "2022-02-25"


@pytest.fixture(autouse=True)
def _isolated_state(tmp_path, monkeypatch):
    """Every test gets its own default store and no LLM or server settings from the host."""
    monkeypatch.setenv("NEWSQA_STORE", str(tmp_path / "default-store"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    for name in ("CHROMA_HOST", "NEWSQA_LLM", "NEWSQA_PASSWORD", "NEWSQA_LLM_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def embeddings():
    """The real all-MiniLM-L6-v2, loaded once for the whole run."""
    return load_embeddings()


@pytest.fixture(scope="session")
def sample_path() -> Path:
    return SAMPLE


@pytest.fixture(scope="session")
def sample_text() -> str:
    return SAMPLE.read_text(encoding="utf-8")


def sample_raw_article() -> Article:
    return Article(
        title=SAMPLE_TITLE,
        text=SAMPLE.read_text(encoding="utf-8"),
        source="Sample",
        published=parse_date(SAMPLE_DATE),
        origin=str(SAMPLE),
    )


@pytest.fixture(scope="session")
def sample_article() -> Article:
    return clean_article(sample_raw_article())


@pytest.fixture(scope="session")
def sample_store(tmp_path_factory, embeddings) -> Path:
    """A store folder holding the sample article, built once per run. Treat it as read-only."""
    folder = tmp_path_factory.mktemp("sample-store")
    with NewsIndex(Settings(store_dir=folder), embeddings=embeddings) as index:
        ingest_articles([sample_raw_article()], index, progress=False)
    return folder


@pytest.fixture(scope="session")
def sample_index(sample_store, embeddings) -> NewsIndex:
    return NewsIndex(Settings(store_dir=sample_store), embeddings=embeddings)
