"""qa.config: Settings read from environment variables, bad values refused by name."""

from __future__ import annotations

import pytest

from qa.config import Settings
from qa.errors import ConfigError


def test_reranker_settings():
    assert Settings.from_env({}).reranker is None
    assert Settings.from_env({"NEWSQA_RERANKER": "none"}).reranker is None
    assert Settings.from_env({"NEWSQA_RERANKER": "/models/ce"}).reranker == "/models/ce"
    assert Settings.from_env({"NEWSQA_RERANK_DEPTH": "12"}).rerank_depth == 12
    with pytest.raises(ConfigError, match="NEWSQA_RERANK_DEPTH"):
        Settings.from_env({"NEWSQA_RERANK_DEPTH": "0"})
