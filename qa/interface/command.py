"""Running a command line: every error it can meet ends in one line and the right exit status,
and its output is printed safe for a terminal."""

from __future__ import annotations

import os
import re
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from qa.errors import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_PIPE_CLOSED,
    EXIT_USAGE,
    ConfigError,
    Interrupted,
    NewsQAError,
)

# Control and format characters (C0, DEL, C1, bidi overrides, zero-width): a name printed raw
# could start a new line, move the cursor, recolour or retitle the terminal, or reverse text.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]")


def printable(text: str, *, keep_newlines: bool = False) -> str:
    r"""`text` safe to print to a terminal: control characters shown escaped (`\n`, `\x1b`).

    With `keep_newlines`, line breaks (and tabs) stay as they are, for multi-line answers.
    """

    def escape(match: re.Match) -> str:
        char = match.group()
        if keep_newlines and char in "\n\t":
            return char
        return char.encode("unicode_escape").decode("ascii")

    return _UNPRINTABLE.sub(escape, text)


def run_command(
    command: Callable[[], int],
    *,
    verbose: bool = False,
    usage_errors: tuple[type[NewsQAError], ...] = (ConfigError,),
    usage: str | None = None,
) -> int:
    """Run a command line's `command` and return its exit status.

    Every exception that reaches here becomes one line on stderr (the traceback only with
    `verbose`, re-raised): a NewsQAError is `error: ...`, EXIT_USAGE for `usage_errors` (a
    setting or flag to fix; `usage` is printed above it), else the error's `exit_status`
    (EXIT_FAILED, or EXIT_USAGE for a value given that cannot be used, in one line). Ctrl-C and
    SIGTERM print `interrupted: ...` and give EXIT_INTERRUPTED; a closed output pipe ends it
    quietly with EXIT_PIPE_CLOSED; anything else is a bug, reported as `error: unexpected TYPE:
    message` with EXIT_FAILED.
    """
    try:
        with _sigterm_as_interrupt():
            return command()
    except usage_errors as e:
        if usage:
            print(usage.strip(), file=sys.stderr)
        _say(f"error: {e}")
        return EXIT_USAGE
    except NewsQAError as e:
        if verbose:
            raise
        _say(f"error: {e}")
        return e.exit_status
    except KeyboardInterrupt as e:
        if verbose:
            raise
        done = str(e) if isinstance(e, Interrupted) and str(e) else "stopped before finishing"
        _say(f"interrupted: {done}")
        forget_unhandled_interrupt()
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # whatever read the output stopped reading (`| head -1`): no error
        _discard_stdout()
        return EXIT_PIPE_CLOSED
    except Exception as e:  # a bug: still one line, never a traceback the user did not ask for
        if verbose:
            raise
        _say(f"error: unexpected {type(e).__name__}: {e} (run again with --verbose for details)")
        return EXIT_FAILED


def _discard_stdout() -> None:
    """Point stdout at the null device, so the interpreter's flush at exit does not hit the
    closed pipe again (the recipe of Python's `signal` documentation)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def forget_unhandled_interrupt() -> None:
    """Keep EXIT_INTERRUPTED after a KeyboardInterrupt that was caught.

    A KeyboardInterrupt that passed through `exec` of a string (dataclasses and namedtuples
    build their methods that way, so a signal during a lazy import can) marks it unhandled in
    CPython even once caught, and `python -m` then ends by SIGINT (-2) instead of our status.
    Executing any string clears that mark.
    """
    exec("None")


def _say(line: str) -> None:
    print(printable(line), file=sys.stderr, flush=True)


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM raises KeyboardInterrupt, as Ctrl-C does, so `finally` blocks and locks unwind."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be installed by the main thread
        return

    def handle(signum, frame) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handle)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
