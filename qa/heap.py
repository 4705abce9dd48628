"""Handing freed memory back to the operating system between the big steps of a long run.

glibc's malloc keeps freed blocks for reuse, and a long ingest frees in a pattern it cannot
reuse well: the model's activations (a different size for every batch of sentences) and pages
of Chroma results (each ~80 MB while converted to Python). The freed space then scatters over
the heap and the process's resident memory creeps up batch after batch, as if it grew with
the dump. `malloc_trim(0)` returns every free page, in milliseconds.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import cache


@cache
def _malloc_trim():
    """glibc's `malloc_trim`, or None where the C library has none (macOS, musl)."""
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        return None


def trim_heap() -> bool:
    """Return the C heap's free pages to the operating system; False where not supported."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
