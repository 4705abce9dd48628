"""One settings object, read from environment variables with defaults, passed in everywhere.

Every variable is listed in the README's configuration table.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from qa.errors import ConfigError

DEFAULT_STORE = Path("vectorstore")
DEFAULT_EMBEDDING_MODEL = "all-MiniLM-L6-v2"
DEFAULT_COLLECTION = "news"
DEFAULT_CHROMA_PORT = 8000
DEFAULT_LLM_TIMEOUT = 60.0
DEFAULT_RERANK_DEPTH = 30
LLM_PROVIDERS = ("none", "ollama", "openai")


@dataclass(frozen=True)
class Settings:
    """Where the store lives, which models are used, and the optional services."""

    store_dir: Path = DEFAULT_STORE
    collection: str = DEFAULT_COLLECTION
    embedding_model: str = DEFAULT_EMBEDDING_MODEL
    chroma_host: str | None = None
    chroma_port: int = DEFAULT_CHROMA_PORT
    chroma_auth_token: str | None = None
    llm: str = "none"
    llm_model: str | None = None
    llm_base_url: str | None = None
    llm_api_key: str | None = None
    llm_timeout: float = DEFAULT_LLM_TIMEOUT
    allow_private_urls: bool = False
    password: str | None = None
    users_file: Path | None = None  # the page's accounts (qa.page.users); None: <store>/users.yaml
    reranker: str | None = (
        None  # a local cross-encoder folder (qa.encoders.rerank); None: no reranking
    )
    rerank_depth: int = DEFAULT_RERANK_DEPTH
    reader: str | None = (
        "default"  # the shipped reader (qa.encoders.reader), a folder, or None: off
    )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides) -> Settings:
        """Build settings from `env` (default: the process environment), then apply overrides.

        Overrides whose value is None are ignored, so CLI flags can be passed straight in.
        """
        env = os.environ if env is None else env
        settings = cls(
            store_dir=Path(env.get("NEWSQA_STORE") or DEFAULT_STORE),
            collection=env.get("NEWSQA_COLLECTION") or DEFAULT_COLLECTION,
            embedding_model=env.get("NEWSQA_EMBEDDING_MODEL") or DEFAULT_EMBEDDING_MODEL,
            chroma_host=env.get("CHROMA_HOST") or None,
            chroma_port=_int(env, "CHROMA_PORT", DEFAULT_CHROMA_PORT),
            chroma_auth_token=env.get("CHROMA_AUTH_TOKEN") or None,
            llm=(env.get("NEWSQA_LLM") or "none").lower(),
            llm_model=env.get("NEWSQA_LLM_MODEL") or None,
            llm_base_url=env.get("NEWSQA_LLM_BASE_URL") or None,
            llm_api_key=env.get("NEWSQA_LLM_API_KEY") or env.get("OPENAI_API_KEY") or None,
            llm_timeout=_float(env, "NEWSQA_LLM_TIMEOUT", DEFAULT_LLM_TIMEOUT),
            allow_private_urls=env.get("NEWSQA_ALLOW_PRIVATE_URLS", "") in ("1", "true", "yes"),
            password=env.get("NEWSQA_PASSWORD") or None,
            users_file=Path(env["NEWSQA_USERS"]) if env.get("NEWSQA_USERS") else None,
            reranker=env.get("NEWSQA_RERANKER") or None,
            rerank_depth=_int(env, "NEWSQA_RERANK_DEPTH", DEFAULT_RERANK_DEPTH),
            reader=env.get("NEWSQA_READER") or "default",
        )
        settings = replace(settings, **{k: v for k, v in overrides.items() if v is not None})
        if isinstance(settings.store_dir, str):
            settings = replace(settings, store_dir=Path(settings.store_dir))
        if not settings.llm_timeout > 0:
            raise ConfigError(
                f"The LLM timeout {settings.llm_timeout:g} (--llm-timeout or NEWSQA_LLM_TIMEOUT) "
                "must be a positive number of seconds."
            )
        if settings.reranker is not None and settings.reranker.lower() == "none":
            settings = replace(settings, reranker=None)
        if settings.reader is not None and settings.reader.lower() == "none":
            settings = replace(settings, reader=None)
        if settings.rerank_depth < 1:
            raise ConfigError(
                f"NEWSQA_RERANK_DEPTH={settings.rerank_depth} must be at least 1 passage."
            )
        if settings.llm not in LLM_PROVIDERS:
            raise ConfigError(
                f"NEWSQA_LLM={settings.llm!r} is not supported: use one of {', '.join(LLM_PROVIDERS)}."
            )
        return settings

    @property
    def uses_server(self) -> bool:
        return self.chroma_host is not None

    @property
    def users_path(self) -> Path:
        """The page's users file: NEWSQA_USERS, else `users.yaml` in the store folder."""
        return self.users_file or self.store_dir / "users.yaml"

    @property
    def store_label(self) -> str:
        """How to name the store in messages."""
        if self.uses_server:
            return f"Chroma server {self.chroma_host}:{self.chroma_port}"
        return str(self.store_dir)


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as e:
        raise ConfigError(f"{name}={raw!r} is not a whole number.") from e


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError as e:
        raise ConfigError(f"{name}={raw!r} is not a number of seconds.") from e
