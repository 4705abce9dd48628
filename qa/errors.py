"""Exceptions raised by the qa package; the CLI and the page turn them into one line."""

from __future__ import annotations

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2  # every command line's exit statuses
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what shells report for Ctrl-C (SIGTERM too, here)
EXIT_PIPE_CLOSED = 141  # 128 + SIGPIPE, what shells report for `... | head -1`'s writer


class NewsQAError(Exception):
    """Base class: every message names the input and says what to do."""

    exit_status = 1  # EXIT_FAILED; a value the user gave that cannot be used is EXIT_USAGE


class ConfigError(NewsQAError):
    """A setting (environment variable or flag) has a value we cannot use."""


class UsageError(ConfigError):
    """The command line asks for something that cannot be satisfied (exit status 2)."""


class ModelError(NewsQAError):
    """The embedding model is missing, unverified, or not the one the store was built with."""


class StoreError(NewsQAError):
    """The store cannot be opened or is inconsistent with the settings."""


class StorePathError(StoreError):
    """--store (or NEWSQA_STORE) names a file or a folder that is not a store: a path to fix,
    so a usage error (exit status 2), not a failure of the sources or the store."""

    exit_status = 2


class StoreMissingError(StoreError):
    """There is no store at the path given (a reader never creates one)."""


class StoreLockedError(StoreError):
    """Another process is writing to the same store."""


class QuestionError(NewsQAError):
    """The question cannot be answered as asked (empty, too long, ...): on a command line, a
    usage error (exit status 2) like an empty timeline query."""

    exit_status = 2


class EvalError(NewsQAError):
    """The evaluation has nothing to score: its articles could not be ingested, or the store
    is empty. Scoring anyway would report zeros that look like results."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM stopped a command; the message says what was done so far."""
