"""Starting a command line: Ctrl-C or SIGTERM while its heavy imports load is one line too.

`run_command` covers a command once it runs; the imports before it (langchain, chromadb,
torch: seconds on a busy laptop) are covered here.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable

from qa.errors import EXIT_INTERRUPTED
from qa.interface.command import forget_unhandled_interrupt

STARTING = "interrupted: stopped while starting; nothing was done"


def interruptible_start(load_main: Callable[[], Callable[[], int]]) -> Callable[[], int]:
    """`load_main()` (which imports the command), with Ctrl-C or SIGTERM during it ending the
    process with one line and EXIT_INTERRUPTED instead of a traceback or a silent death."""

    def interrupt(signum, frame) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        return load_main()
    except KeyboardInterrupt:
        print(STARTING, file=sys.stderr, flush=True)
        forget_unhandled_interrupt()
        sys.exit(EXIT_INTERRUPTED)
    finally:
        signal.signal(signal.SIGTERM, previous)
