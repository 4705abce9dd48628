"""The store opened before the first question: `qa.interface.preload`, and `python app.py` starting it."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import threading
import time

import pytest
from helpers.commands import child_env
from helpers.paths import REPO
from helpers.web import free_port

from evaluation.bench.page import stop_server
from qa.config import Settings
from qa.errors import StoreMissingError
from qa.interface import preload

SERVER_START_S = 90  # Streamlit and the models on a busy 2-core machine


def test_take_returns_the_index_opened_in_advance(sample_store):
    settings = Settings(store_dir=sample_store)
    lines: list[str] = []
    order: list[str] = []
    preload.preload(settings, after=lambda wanted: order.append("after"), report=lines.append)
    index = preload.take(settings)
    assert order == ["after"]
    assert index.stats()["chunks"] == 6
    assert len(lines) == 1 and "ready for questions: 1 article, 6 chunks" in lines[0]


def test_threads_take_short_gil_turns_while_the_store_opens(sample_store):
    settings = Settings(store_dir=sample_store)
    default = sys.getswitchinterval()
    during: list[float] = []
    preload.preload(settings, after=lambda wanted: during.append(sys.getswitchinterval()))
    preload.take(settings)
    assert during == [pytest.approx(preload.PRELOAD_SWITCH_INTERVAL_S)]
    assert sys.getswitchinterval() == default  # restored once the store is open


def test_short_gil_turns_are_restored_after_a_failure():
    default = sys.getswitchinterval()
    with pytest.raises(RuntimeError), preload.short_gil_turns(0.001):
        assert sys.getswitchinterval() == pytest.approx(0.001)
        raise RuntimeError
    assert sys.getswitchinterval() == default


def test_overlapping_short_gil_turns_restore_the_interval_the_first_found():
    default = sys.getswitchinterval()
    first, second = preload.short_gil_turns(0.001), preload.short_gil_turns(0.001)
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)  # the first ends while the second still runs
    assert sys.getswitchinterval() == pytest.approx(0.001)
    second.__exit__(None, None, None)
    assert sys.getswitchinterval() == default


def test_a_failed_preload_raises_once_then_the_store_is_opened_afresh(sample_store, tmp_path):
    settings = Settings(store_dir=tmp_path / "later")
    lines: list[str] = []
    preload.preload(settings, report=lines.append)
    with pytest.raises(StoreMissingError):
        preload.take(settings)
    assert "not opened in advance" in lines[0] and "There is no store" in lines[0]
    shutil.copytree(sample_store, tmp_path / "later")  # ingested after the server started
    assert preload.take(settings).stats()["articles"] == 1


def test_waiting_for_the_listener_ends_when_it_listens():
    port = free_port()
    wanted = threading.Event()
    listening_at: list[float] = []
    with socket.socket() as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)

        def listen_later() -> None:
            time.sleep(0.3)
            server.bind(("127.0.0.1", port))
            server.listen()
            listening_at.append(time.monotonic())

        threading.Thread(target=listen_later, daemon=True).start()
        preload.wait_for_listener(port, wanted, timeout_s=30)
        returned_at = time.monotonic()
    assert listening_at and listening_at[0] <= returned_at
    assert not wanted.is_set()


def test_in_flight_until_the_store_is_open(sample_store):
    settings = Settings(store_dir=sample_store, reader="none")
    assert not preload.in_flight(settings)
    go = threading.Event()
    preload.preload(settings, after=lambda wanted: go.wait(30))
    assert preload.in_flight(settings)
    go.set()
    assert preload.take(settings).count_chunks() == 6
    assert not preload.in_flight(settings)


def test_a_page_asking_for_the_index_ends_the_wait_at_once(sample_store):
    """A server the preload cannot see (another address) must not keep the first page waiting
    for the wait's timeout: `take` cuts the wait short."""
    settings = Settings(store_dir=sample_store)
    port = free_port()  # nothing will listen here
    waited: list[bool] = []
    preload.preload(
        settings,
        after=lambda wanted: waited.append(preload.wait_for_listener(port, wanted, 600) is None),
    )
    assert preload.take(settings).stats()["chunks"] == 6  # returns: the 600 s wait was cut
    assert waited == [True]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (["--server.port", "8600", "--server.headless", "true"], "8600"),
        (["--server.port=8601"], "8601"),
        (["--server.port", "1", "--server.port=2"], "2"),
        (["--server.headless", "true"], None),
        (["--server.port"], None),
    ],
)
def test_option_value(options, expected):
    assert preload.option_value(options, "server.port") == expected


def test_python_app_py_opens_the_store_before_any_visitor(sample_store, tmp_path):
    """`python app.py` (what `make run` starts) is `streamlit run app.py` that opens the store and
    loads the models as soon as it listens: its log says so with no browser ever connecting."""
    port = free_port()
    log = tmp_path / "server.log"
    command = [sys.executable, "app.py", "--server.port", str(port), "--server.headless", "true"]
    command += ["--server.address", "127.0.0.1", "--server.fileWatcherType", "none"]
    with log.open("w") as out:
        server = subprocess.Popen(
            command,
            cwd=REPO,
            env=child_env(NEWSQA_STORE=str(sample_store)),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + SERVER_START_S
        while "ready for questions" not in log.read_text() and time.monotonic() < deadline:
            assert server.poll() is None, log.read_text()[-3000:]
            time.sleep(0.2)
        text = log.read_text()
        assert f"{sample_store} ready for questions: 1 article, 6 chunks" in text, text[-3000:]
        assert text.index(f":{port}") < text.index("ready for questions")  # after it listened
    finally:
        stop_server(server)
