"""Stores and model folders built for the tests."""

from __future__ import annotations

import shutil
from pathlib import Path

from ingest.pipeline import ingest_articles
from qa.config import Settings
from qa.encoders.reader import MODEL_FILE, SHIPPED
from qa.store import NewsIndex
from qa.types import Article


def build_store(folder: Path, embeddings, articles: list[Article]) -> Path:
    """A store in `folder` holding `articles`."""
    with NewsIndex(Settings(store_dir=folder), embeddings=embeddings) as index:
        ingest_articles(articles, index, progress=False)
    return folder


def altered_reader_copy(folder: Path) -> Path:
    """A copy of the shipped reader's folder at `folder` whose model file has one byte changed."""
    shutil.copytree(SHIPPED, folder)
    data = bytearray((folder / MODEL_FILE).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (folder / MODEL_FILE).write_bytes(bytes(data))
    return folder
