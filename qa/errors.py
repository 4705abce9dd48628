"""Exceptions raised by the qa package; the CLI and the page turn them into one line."""

from __future__ import annotations

import sys
from collections.abc import Callable

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2  # every command line's exit statuses


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


class EvalError(NewsQAError):
    """The evaluation has nothing to score: its articles could not be ingested, or the store
    is empty. Scoring anyway would report zeros that look like results."""


class LLMError(NewsQAError):
    """The configured LLM endpoint failed; callers fall back to extractive answers."""


def run_command(
    command: Callable[[], int],
    *,
    verbose: bool = False,
    usage_errors: tuple[type[NewsQAError], ...] = (ConfigError,),
) -> int:
    """Run a command line's `command` and return its exit status.

    A NewsQAError becomes one `error: ...` line on stderr: EXIT_USAGE for `usage_errors` (a
    setting or flag to fix), EXIT_FAILED otherwise, re-raised instead with `verbose`.
    """
    try:
        return command()
    except usage_errors as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except NewsQAError as e:
        if verbose:
            raise
        print(f"error: {e}", file=sys.stderr)
        return EXIT_FAILED
