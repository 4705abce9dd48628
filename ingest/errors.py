"""Exceptions raised while loading sources; each names the source and what to do."""

from __future__ import annotations

from qa.errors import NewsQAError
from qa.errors import UsageError as _UsageError


class SourceError(NewsQAError):
    """A source could not be read or holds no usable article. Carries the source's name."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


class FetchError(SourceError):
    """A URL or feed could not be fetched (network, status, size, type, refused address)."""


class RefusedURLError(FetchError):
    """A URL the settings refuse (not http(s), or a private address without
    NEWSQA_ALLOW_PRIVATE_URLS): asking again cannot succeed."""


class UsageError(_UsageError):
    """The command line itself is wrong (exit status 2)."""
