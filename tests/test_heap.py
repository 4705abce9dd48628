"""qa.heap: freed memory handed back to the operating system."""

from __future__ import annotations

import ctypes.util

import pytest

from qa.heap import trim_heap


@pytest.mark.skipif(ctypes.util.find_library("c") != "libc.so.6", reason="glibc only")
def test_trim_heap_returns_freed_pages_on_glibc():
    blocks = [bytearray(64 * 1024) for _ in range(200)]  # 12.5 MB in heap-sized blocks
    del blocks
    assert trim_heap() is True


def test_trim_heap_twice_is_harmless():
    assert trim_heap() == trim_heap()
