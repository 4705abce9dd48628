"""A store opened and its question models loaded before the first question, once per process.

The page's server (`python app.py`) starts `preload` as soon as its web server listens, so the
store opens while the first visitor's browser loads the page instead of after. The heavy
modules are imported inside the functions: importing them first would delay the server.
"""

from __future__ import annotations

import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from typing import TYPE_CHECKING

from qa.config import Settings

if TYPE_CHECKING:
    from qa.store import NewsIndex

LISTEN_TIMEOUT_S = 30.0  # a head start only: past this the store opens anyway
# While a preload runs, the threads of the process take turns on the GIL every 0.5 ms instead of
# CPython's 5: the preload's imports would otherwise hold the web server's event loop and the
# first page's script up to 5 ms at each of their many turns.
PRELOAD_SWITCH_INTERVAL_S = 0.0005

# Per settings: the index being opened, and an event set when a page asks for it (the preload
# then stops waiting for its cue and opens it at once).
_started: dict[Settings, tuple[Future[NewsIndex], threading.Event]] = {}
_lock = threading.Lock()
# How many `short_gil_turns` blocks are running, and the interval the first of them found.
_gil_turns = {"blocks": 0, "saved": 0.0}


def open_warm(settings: Settings) -> NewsIndex:
    """The store (never created: serving only reads), with the question embedder and the reader
    loaded and run once, so the first question is answered as fast as the later ones and a
    damaged reader file is reported at once. The models load in a thread while the store
    opens: ONNX Runtime and Chroma both release the GIL."""
    from qa.store import NewsIndex

    index = NewsIndex(settings, create=False)
    with models_loading(settings):
        index.refresh()
    index.embed_query("warm up")
    return index


@contextmanager
def models_loading(settings: Settings) -> Iterator[None]:
    """`load_models(settings)` in a thread while the block runs (opening the store: importing
    Chroma is most of a cold start, and it and ONNX Runtime both release the GIL at times).
    Joined on leaving, so each model still loads once; its error is raised if the block's was
    not."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="newsqa-models") as pool:
        models = pool.submit(load_models, settings)
        yield
        models.result()


def load_models(settings: Settings) -> None:
    """The question embedder and the reader, loaded (each once per process) and run once."""
    from qa.encoders.embeddings import is_minilm
    from qa.encoders.onnx_embeddings import load_onnx_embeddings
    from qa.encoders.reader import load_reader

    if is_minilm(settings.embedding_model):
        load_onnx_embeddings().embed_query("warm up")
    if (reader := load_reader(settings.reader)) is not None:
        reader.scores("warm up", ["warm up"])


def preload(
    settings: Settings,
    after: Callable[[threading.Event], object] | None = None,
    report: Callable[[str], object] | None = None,
) -> None:
    """Start `open_warm(settings)` in a background thread, once `after(wanted)` (if given)
    returns, `wanted` being set when `take` asks for the index; `take` collects it. `report`
    (if given) gets one line saying what was opened, or why not."""
    with _lock:
        if settings in _started:
            return
        future: Future[NewsIndex] = Future()
        wanted = threading.Event()
        _started[settings] = (future, wanted)

    def run() -> None:
        try:
            with short_gil_turns():
                if after is not None:
                    after(wanted)
                start = time.perf_counter()
                index = open_warm(settings)
            if report is not None:
                report(ready_line(index, time.perf_counter() - start))
            future.set_result(index)
        except BaseException as e:  # handed to `take`, which raises it where it is shown
            if report is not None:
                report(f"newsqa: the store was not opened in advance: {e}")
            future.set_exception(e)

    threading.Thread(target=run, name="newsqa-preload", daemon=True).start()


@contextmanager
def short_gil_turns(seconds: float = PRELOAD_SWITCH_INTERVAL_S) -> Iterator[None]:
    """The process's GIL switch interval at most `seconds` inside the block. Blocks may overlap
    (one preload per settings): the last one out restores the interval the first one found."""
    with _lock:
        if _gil_turns["blocks"] == 0:
            _gil_turns["saved"] = sys.getswitchinterval()
        _gil_turns["blocks"] += 1
        sys.setswitchinterval(min(_gil_turns["saved"], seconds))
    try:
        yield
    finally:
        with _lock:
            _gil_turns["blocks"] -= 1
            if _gil_turns["blocks"] == 0:
                sys.setswitchinterval(_gil_turns["saved"])


def ready_line(index: NewsIndex, seconds: float) -> str:
    stats = index.stats()
    return (
        f"newsqa: {stats['store']} ready for questions: {plural(stats['articles'], 'article')}, "
        f"{plural(stats['chunks'], 'chunk')} (opened in {seconds:.1f} s)"
    )


def plural(n: int, noun: str) -> str:
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def in_flight(settings: Settings) -> bool:
    """Whether a preload for these settings is still opening the store and no page has asked
    for it yet: true on the server's first page load only, if that comes first."""
    with _lock:
        started = _started.get(settings)
    return started is not None and not started[0].done()


def take(settings: Settings) -> NewsIndex:
    """The index `preload` opened for these settings (waiting for it if need be), else one opened
    now. A preload that failed raises its error once; the next call opens afresh, so a store
    ingested after the server started is found."""
    with _lock:
        started = _started.pop(settings, None)
    if started is None:
        return open_warm(settings)
    future, wanted = started
    wanted.set()
    return future.result()


def wait_for_listener(
    port: int, wanted: threading.Event, timeout_s: float = LISTEN_TIMEOUT_S
) -> None:
    """Returns once something accepts connections on `port` on this host, once `wanted` is set,
    or after `timeout_s`, whichever comes first."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and not wanted.is_set():
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            wanted.wait(0.02)


def option_value(options: list[str], name: str) -> str | None:
    """The value of `--name VALUE` or `--name=VALUE` among command-line options (the last one)."""
    value = None
    for i, option in enumerate(options):
        if option == f"--{name}" and i + 1 < len(options):
            value = options[i + 1]
        elif option.startswith(f"--{name}="):
            value = option.split("=", 1)[1]
    return value
