"""The page's cold start: seconds from `python app.py` (what `make run` starts) to its first
answer shown in a real headless Chromium, every wait bounded.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app.py"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SERVER_START_S = 90.0  # generous: a failure, not a figure; the figure is measured, not capped
PAGE_TIMEOUT_MS = 120_000  # per wait; a busy 2-core machine took 50 s to show the page
HEALTH_POLL_S = 0.05  # polled this often, so the poll adds little to the figure


class PageUnavailable(RuntimeError):
    """No Chromium or no Playwright on this machine: the page cold start cannot be measured."""


def measure_page_cold_start(store: Path, question: str, log: Path) -> dict:
    """Seconds from starting `python app.py` on `store` to its first answer shown.

    The browser is launched first (a reader's browser is already running); the clock starts
    when the server process is started. Also returns when the server answered its health
    check and when the chat input appeared, to show where the time goes."""
    if not CHROMIUM.exists():
        raise PageUnavailable(f"{CHROMIUM} is missing (install the Debian package `chromium`)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as e:
        raise PageUnavailable(f"Playwright is not installed ({e})") from e
    with sync_playwright() as p:
        browser = launch_chromium(p, timeout=PAGE_TIMEOUT_MS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(PAGE_TIMEOUT_MS)
            return _page_cold_start(page, store, question, log)
        finally:
            browser.close()


def launch_chromium(playwright, **options):
    """The one headless Chromium of the benchmarks and the tests: the Debian package's, with
    nothing started that would reach another host (updates, sync, QUIC)."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, **options)


def _page_cold_start(page, store: Path, question: str, log: Path) -> dict:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    start = time.perf_counter()
    server = start_streamlit(store, port, log)
    try:
        wait_until_healthy(url, server, log)
        healthy = time.perf_counter() - start
        page.goto(url)
        box = page.get_by_test_id("stChatInputTextArea")
        # Shown once the page has loaded the models; an error (a bad store or reader) instead
        # ends the wait at once rather than at the timeout.
        alert = page.get_by_test_id("stAlert").first
        box.or_(alert).first.wait_for(state="visible")
        if not box.is_visible():
            raise RuntimeError(f"the page showed an error: {' '.join(alert.inner_text().split())}")
        ready = time.perf_counter() - start
        box.fill(question)
        box.press("Enter")
        wait_for_answer(page)
        shown = time.perf_counter() - start
    except Exception as e:  # what the page and the server said is the only clue afterwards
        raise RuntimeError(f"{e}\n{_page_text(page)}\n{_tail(log)}") from e
    finally:
        stop_server(server)
    return {
        "seconds": round(shown, 2),
        "server_up_s": round(healthy, 2),
        "input_ready_s": round(ready, 2),
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_streamlit(
    store: Path, port: int, log: Path, env: dict[str, str] | None = None
) -> subprocess.Popen:
    """`python app.py` (as `make run` starts the page) on 127.0.0.1:`port` over `store`, its
    output in `log`, in this process's environment or `env`."""
    command = [sys.executable, str(APP), "--server.port", str(port)]
    command += ["--server.headless", "true", "--server.address", "127.0.0.1"]
    # No file watcher (it costs CPU at start) and no usage statistics (nothing leaves the host).
    command += ["--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"]
    env = {**(os.environ if env is None else env), "NEWSQA_STORE": str(store)}
    with log.open("w") as out:
        return subprocess.Popen(
            command, cwd=APP.parent, env=env, stdout=out, stderr=subprocess.STDOUT
        )


def wait_until_healthy(
    url: str, server: subprocess.Popen, log: Path, timeout_s: float = SERVER_START_S
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"streamlit exited with {server.returncode}:\n{_tail(log)}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(HEALTH_POLL_S)
    raise RuntimeError(f"streamlit was not up within {timeout_s:g} s:\n{_tail(log)}")


# True once the assistant's message shows the whole answer (or the abstention), or an error.
# The answer is streamed into the message under a "Searching the articles…" spinner that goes
# once the last of it is written: text with the spinner still there is a partial answer.
_ANSWER_SHOWN_JS = """() => {
  const messages = document.querySelectorAll('[data-testid="stChatMessage"]');
  if (messages.length < 2) return false;
  const reply = messages[1];
  const alert = reply.querySelector('[data-testid="stAlert"]');
  if (alert) return 'error: ' + alert.innerText;
  if (reply.querySelector('[data-testid="stSpinner"]')) return false;
  const shown = [...reply.querySelectorAll('[data-testid="stMarkdown"]')]
    .filter(e => e.innerText.trim());
  return shown.length > 0 ? 'answer' : false;
}"""


def wait_for_answer(page) -> None:
    shown = page.wait_for_function(_ANSWER_SHOWN_JS, timeout=PAGE_TIMEOUT_MS).json_value()
    if shown != "answer":
        raise RuntimeError(f"the page showed an error instead of an answer: {shown}")


def stop_server(server: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL if the server lingers (the tests stop theirs with this too)."""
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=10)


def _page_text(page) -> str:
    try:
        return "page: " + page.inner_text("body", timeout=5_000)[-2000:]
    except Exception as e:  # the page may be gone with the browser
        return f"page: unreadable ({e})"


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:] if log.exists() else ""
