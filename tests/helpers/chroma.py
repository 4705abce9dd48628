"""A real Chroma server (`chroma run`) on 127.0.0.1 and a free port, for the server-mode suites."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from evaluation.bench.page import stop_server
from helpers.web import HOST, free_port

# The `chroma` command of the environment running the tests (the project's venv).
CHROMA = Path(sys.executable).parent / "chroma"
HEARTBEAT_TIMEOUT_S = 30.0
HEARTBEAT_STEP_S = 0.1


@contextmanager
def running_chroma(folder: Path) -> Iterator[tuple[str, int]]:
    """(host, port) of a Chroma server keeping its data in `folder`, stopped (killed if need
    be) when the block ends; its log is `folder/server.log`."""
    if not CHROMA.exists():
        pytest.fail(f"{CHROMA} is missing: run `make setup`")
    port = free_port()
    with (folder / "server.log").open("w") as log:
        proc = subprocess.Popen(
            [str(CHROMA), "run", "--path", str(folder / "db"), "--port", str(port), "--host", HOST],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for_heartbeat(port, proc)
            yield HOST, port
        finally:
            stop_server(proc)


def wait_for_heartbeat(port: int, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + HEARTBEAT_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"chroma run exited with status {proc.returncode}")
        try:
            if httpx.get(f"http://{HOST}:{port}/api/v2/heartbeat", timeout=1).is_success:
                return
        except httpx.HTTPError:
            pass
        time.sleep(HEARTBEAT_STEP_S)
    pytest.fail(f"no Chroma heartbeat on port {port} after {HEARTBEAT_TIMEOUT_S:g} s")
