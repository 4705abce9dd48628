"""Shared fixtures: real MiniLM loaded once, real Chroma stores on temporary folders, local
servers. What they are built from is in tests/helpers/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.register_assert_rewrite("helpers")  # their asserts report like the tests' own

from helpers.articles import NEWS_ARTICLES, sample_raw_article, tricky_article, write_articles
from helpers.chat import ChatServer
from helpers.paths import SAMPLE
from helpers.stores import altered_reader_copy, build_store
from helpers.web import LocalSite, news_site_routes

from ingest.clean import clean_article
from qa.answering.ask import Asker
from qa.config import Settings
from qa.encoders.embeddings import load_embeddings
from qa.store import NewsIndex
from qa.types import Article

# A developer's own LLM configuration must not reach the tests (nor their API key a stand-in).
HOST_VARIABLES = ["CHROMA_HOST", "NEWSQA_PASSWORD", "NEWSQA_READER", "OPENAI_API_KEY", "NEWSQA_LLM"]
HOST_VARIABLES += [f"NEWSQA_LLM_{v}" for v in ("MODEL", "BASE_URL", "API_KEY", "TIMEOUT")]


@pytest.fixture(autouse=True)
def _isolated_state(tmp_path, monkeypatch):
    """Every test gets its own default store and no LLM or server settings from the host."""
    monkeypatch.setenv("NEWSQA_STORE", str(tmp_path / "default-store"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    for name in HOST_VARIABLES:
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


@pytest.fixture(scope="session")
def sample_article() -> Article:
    return clean_article(sample_raw_article())


@pytest.fixture(scope="session")
def sample_store(tmp_path_factory, embeddings) -> Path:
    """A store holding the sample article, built once per run. Treat it as read-only."""
    return build_store(tmp_path_factory.mktemp("sample"), embeddings, [sample_raw_article()])


@pytest.fixture(scope="session")
def sample_index(sample_store, embeddings) -> NewsIndex:
    return NewsIndex(Settings(store_dir=sample_store), embeddings=embeddings)


@pytest.fixture(scope="session")
def tricky_store(tmp_path_factory, embeddings) -> Path:
    """A store with the sample article and `tricky_article()`, built once. Read-only."""
    articles = [sample_raw_article(), tricky_article()]
    return build_store(tmp_path_factory.mktemp("tricky"), embeddings, articles)


@pytest.fixture(scope="session")
def news_store(tmp_path_factory, embeddings) -> Path:
    """A store with the NEWS_ARTICLES (a resignation, two casualty counts), built once. Read-only."""
    return build_store(tmp_path_factory.mktemp("news"), embeddings, NEWS_ARTICLES)


@pytest.fixture
def news_index(news_store, embeddings):
    with NewsIndex(Settings(store_dir=news_store), embeddings=embeddings) as index:
        yield index


@pytest.fixture(scope="module")
def asker(sample_index) -> Asker:
    """An Asker on the sample store, one per test module (its history carries over)."""
    return Asker(sample_index)


@pytest.fixture
def altered_reader(tmp_path) -> Path:
    """A copy of the shipped reader's folder whose model file has one byte changed."""
    return altered_reader_copy(tmp_path / "reader_model")


@pytest.fixture
def good(tmp_path) -> Path:
    """One good article file: it must be stored whatever else in its batch fails."""
    return next(write_articles(tmp_path / "good", 1).iterdir())


@pytest.fixture
def local_site() -> Iterator[LocalSite]:
    """A local HTTP server serving `site.routes` (path -> (status, type, body) or a function)."""
    site = LocalSite()
    yield site
    site.close()


@pytest.fixture(scope="module")
def news_site() -> Iterator[str]:
    """The local news site (helpers.web.news_site_routes), one per module; yields its base URL."""
    site = LocalSite(news_site_routes())
    yield site.base
    site.close()


@pytest.fixture
def chat_server() -> Iterator[ChatServer]:
    """A scripted OpenAI-compatible endpoint; set `.replies` in the test."""
    server = ChatServer()
    yield server
    server.close()


@pytest.fixture
def llm_env(monkeypatch, chat_server) -> ChatServer:
    """The process configured to answer with `chat_server` (a 5 s timeout, a dummy key)."""
    monkeypatch.setenv("NEWSQA_LLM", "openai")
    monkeypatch.setenv("NEWSQA_LLM_BASE_URL", chat_server.url)
    monkeypatch.setenv("NEWSQA_LLM_API_KEY", "dummy-key")
    monkeypatch.setenv("NEWSQA_LLM_TIMEOUT", "5")
    return chat_server
