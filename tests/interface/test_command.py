"""qa.errors: every command line's exit statuses and one-line, printable error messages."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from helpers.paths import REPO

from qa.errors import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    ConfigError,
    Interrupted,
    StoreError,
)
from qa.interface.command import printable, run_command


def test_printable_escapes_control_characters_and_may_keep_newlines():
    assert printable("a\x1b[31mb\u202ec\nd") == "a\\x1b[31mb\\u202ec\\nd"
    assert printable("line\n\tnext\x07", keep_newlines=True) == "line\n\tnext\\x07"


def fail(error: BaseException):
    def command() -> int:
        raise error

    return command


@pytest.mark.parametrize(
    ("error", "status", "line"),
    [
        (ConfigError("bad\x1b setting"), EXIT_USAGE, "error: bad\\x1b setting"),
        (StoreError("no store"), EXIT_FAILED, "error: no store"),
        (Interrupted("3 of 5 added"), EXIT_INTERRUPTED, "interrupted: 3 of 5 added"),
        (KeyboardInterrupt(), EXIT_INTERRUPTED, "interrupted: stopped before finishing"),
        (ZeroDivisionError("oops"), EXIT_FAILED, "error: unexpected ZeroDivisionError: oops"),
    ],
)
def test_run_command_turns_every_failure_into_one_line_and_a_status(error, status, line, capsys):
    assert run_command(fail(error)) == status
    err = capsys.readouterr().err
    assert err.startswith(line) and err.count("\n") == 1


def test_run_command_returns_the_commands_status_and_prints_usage_for_usage_errors(capsys):
    assert run_command(lambda: EXIT_OK) == EXIT_OK
    assert run_command(fail(ConfigError("no")), usage="usage: qa ask QUESTION") == EXIT_USAGE
    assert capsys.readouterr().err == "usage: qa ask QUESTION\nerror: no\n"
    with pytest.raises(StoreError):
        run_command(fail(StoreError("shown in full")), verbose=True)


INTERRUPTED_INSIDE_EXEC = """
import sys
from qa.interface.command import run_command
from qa.interface.startup import interruptible_start

def during_import():  # a dataclass or namedtuple being built when the signal comes
    exec("raise KeyboardInterrupt")

if sys.argv[1] == "starting":
    interruptible_start(during_import)
sys.exit(run_command(during_import))
"""


@pytest.mark.parametrize("when", ["starting", "running"])
def test_interrupt_raised_inside_exec_still_exits_130_under_python_m(when, tmp_path):
    """CPython marks a KeyboardInterrupt that crossed `exec` of a string as unhandled even
    once caught, and `python -m` then died by SIGINT (-2): the flaky `ask SIGTERM` case."""
    (tmp_path / "interrupted_inside_exec.py").write_text(INTERRUPTED_INSIDE_EXEC)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(REPO)])}
    argv = [sys.executable, "-m", "interrupted_inside_exec", when]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == EXIT_INTERRUPTED, (done.returncode, done.stderr)
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("interrupted: ")
