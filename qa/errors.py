"""Exceptions raised by the qa package; the CLI and the page turn them into one line."""

from __future__ import annotations


class NewsQAError(Exception):
    """Base class: every message names the input and says what to do."""


class ConfigError(NewsQAError):
    """A setting (environment variable or flag) has a value we cannot use."""


class ModelError(NewsQAError):
    """The embedding model is missing, unverified, or not the one the store was built with."""


class StoreError(NewsQAError):
    """The store cannot be opened or is inconsistent with the settings."""


class StoreLockedError(StoreError):
    """Another process is writing to the same store."""


class QuestionError(NewsQAError):
    """The question cannot be answered as asked (empty, too long, ...)."""


class LLMError(NewsQAError):
    """The configured LLM endpoint failed; callers fall back to extractive answers."""
