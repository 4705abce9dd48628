"""A hostile but fair user: eight classes of input through the real CLIs.

Each class is one parametrised table. Ingest cases put the odd source into a batch with one
good article: the odd one gets its own line naming it, the good one is stored. Store-path cases
check that nothing is created or changed. Interrupts are real signals sent to real
subprocesses, all started at once (a module fixture) so the suite stays fast. The page's
classes (8, the rendering part, and 9) are in tests/test_hostile_page.py.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from helpers.articles import question, write_articles
from helpers.chat import ChatServer
from helpers.commands import child_env

from ingest.cli import main as ingest_main
from ingest.pipeline import ingest_sources
from ingest.sources.load import load_sources
from qa.config import Settings
from qa.interface.cli import main as qa_main
from qa.store import NewsIndex
from qa.types import Article

DEADLINE_S = 60  # no case may hang: a stuck one fails here instead of stalling the suite
GOOD_QUESTION = question(0)
WALL = "The harbour council of {town} approved a new flood wall on Tuesday after a long debate."


@pytest.fixture(autouse=True)
def deadline():
    """SIGALRM after DEADLINE_S: a case that would block for ever (a pipe) fails instead."""

    def expired(signum, frame):
        raise TimeoutError(f"the case did not finish within {DEADLINE_S} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(DEADLINE_S)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def run_ingest(argv: list[str], capsys) -> tuple[int, str, list[str]]:
    """`python -m ingest ARGV --quiet` in this process: exit status, stdout, stderr lines."""
    code = ingest_main([*argv, "--quiet"])
    out, err = capsys.readouterr()
    return code, out, [line for line in err.splitlines() if line.strip()]


def run_qa(argv: list[str], capsys) -> tuple[int, str, str]:
    """`python -m qa ARGV` in this process; argparse's own usage errors count as exit 2."""
    try:
        code = qa_main(argv)
    except SystemExit as e:
        code = e.code
    out, err = capsys.readouterr()
    return code, out, err


def answer(question: str, store: Path, capsys, *extra: str) -> dict:
    code, out, err = run_qa(["ask", question, "--store", str(store), "--json", *extra], capsys)
    assert code == 0, err
    return json.loads(out)


def lines_starting(prefix: str, lines: list[str]) -> list[str]:
    return [line for line in lines if line.startswith(prefix)]


def stored_titles(store: Path, embeddings) -> list[str]:
    index = NewsIndex(Settings(store_dir=store), embeddings=embeddings)
    return sorted(row.title for row in index.catalog.articles().values())


# --- 1. sources that are not regular files -------------------------------------------------


def make_fifo(path: Path) -> None:
    os.mkfifo(path)


def make_socket(path: Path) -> None:
    cwd = os.getcwd()
    os.chdir(path.parent)  # a relative name: socket paths are limited to 107 bytes
    try:
        with socket.socket(socket.AF_UNIX) as s:
            s.bind(path.name)  # the socket file stays after the socket closes
    finally:
        os.chdir(cwd)


def make_device_link(path: Path) -> None:
    path.symlink_to("/dev/zero")  # endless bytes: reading it whole would never end


def make_link_loop(path: Path) -> None:
    path.symlink_to(path.name)


def make_dangling_link(path: Path) -> None:
    path.symlink_to(path.parent / "gone-away.txt")


NOT_REGULAR = {
    "named pipe": (make_fifo, "is a named pipe (FIFO), not a regular file"),
    "socket": (make_socket, "is a socket, not a regular file"),
    "link to a character device": (make_device_link, "is a character device, not a regular"),
    "symlink loop": (make_link_loop, "is a symbolic link that loops back on itself"),
    "dangling symlink": (make_dangling_link, "which does not exist"),
}


@pytest.mark.parametrize("case", list(NOT_REGULAR))
def test_odd_file_named_alone_fails_alone(case, tmp_path, good, capsys):
    make, expected = NOT_REGULAR[case]
    odd = tmp_path / "odd.txt"
    make(odd)
    code, out, err = run_ingest([str(odd), str(good)], capsys)
    [failed] = lines_starting("failed:", err)
    assert failed.startswith(f"failed: {odd}: ") and expected in failed
    assert code == 1 and "added 1," in out and "store has 1 articles" in out


@pytest.mark.parametrize("case", list(NOT_REGULAR))
def test_odd_file_inside_a_folder_fails_alone(case, tmp_path, capsys):
    make, expected = NOT_REGULAR[case]
    folder = write_articles(tmp_path / "articles", 2)  # 000-..., 001-...: the odd one between
    make(folder / "000b-odd.txt")
    code, out, err = run_ingest([str(folder)], capsys)
    [failed] = lines_starting("failed:", err)
    assert failed.startswith(f"failed: {folder / '000b-odd.txt'}: ") and expected in failed
    assert code == 1 and "added 2," in out


def test_folder_link_cycles_are_named_and_not_followed_for_ever(tmp_path, capsys):
    folder = write_articles(tmp_path / "articles", 2)
    (folder / "back-to-me").symlink_to(folder)  # a cycle
    (folder / "sub").mkdir()
    write_articles(folder / "sub", 1, start=5)
    (folder / "sub" / "up").symlink_to("..")  # a cycle through a parent
    code, out, err = run_ingest([str(folder)], capsys)
    failed = lines_starting("failed:", err)
    assert failed == [
        f"failed: {folder / 'back-to-me'}: is a link to a folder already read; skipped",
        f"failed: {folder / 'sub' / 'up'}: is a link to a folder already read; skipped",
    ]
    assert code == 1 and "added 3," in out


def vanish(path: Path) -> None:
    path.unlink()


def swap_for_a_pipe(path: Path) -> None:
    path.unlink()
    os.mkfifo(path)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (vanish, "no longer exists (it was moved or deleted while reading)"),
        (swap_for_a_pipe, "is a named pipe (FIFO), not a regular file"),
    ],
)
def test_file_changed_after_the_folder_was_listed(change, expected, tmp_path):
    """The folder is listed first, then read lazily: change the second file in between."""
    folder = write_articles(tmp_path / "articles", 3)
    second = sorted(folder.iterdir())[1]
    items = load_sources([str(folder)])
    first = next(items)
    change(second)
    rest = list(items)
    assert isinstance(first, Article) and [type(i).__name__ for i in rest] == [
        "LoadFailure",
        "Article",
    ]
    assert rest[0].source == str(second) and rest[0].error.startswith(expected)


# --- 2. store paths ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def base_store(tmp_path_factory, embeddings) -> Path:
    """A real store with one article, copied by the cases that need a store to break."""
    store = tmp_path_factory.mktemp("hostile") / "store"
    folder = write_articles(store.parent / "articles", 1)
    ingest_sources([str(folder)], settings=Settings(store_dir=store), progress=False)
    return store


def no_store(tmp: Path, base: Path) -> Path:
    return tmp / "mistyped-store"


def regular_file(tmp: Path, base: Path) -> Path:
    (tmp / "notes.txt").write_text("not a store\n")
    return tmp / "notes.txt"


def article_folder(tmp: Path, base: Path) -> Path:
    return write_articles(tmp / "my-articles", 2)


def corrupt_database(tmp: Path, base: Path) -> Path:
    store = shutil.copytree(base, tmp / "store")
    with (store / "chroma.sqlite3").open("r+b") as f:
        f.write(b"this is not SQLite any more" * 40)
    return store


def truncated_database(tmp: Path, base: Path) -> Path:
    store = shutil.copytree(base, tmp / "store")
    os.truncate(store / "chroma.sqlite3", 8192)
    return store


def newer_schema(tmp: Path, base: Path) -> Path:
    store = shutil.copytree(base, tmp / "store")
    index = NewsIndex(Settings(store_dir=store))
    index.collection.modify(metadata={**index.collection.metadata, "schema_version": 99})
    return store


# a path that is no store is a usage error (exit 2): the flag is what to fix
NOT_A_STORE = ("a regular file", "a folder of articles")
STORE_PATHS = {
    "no store there": (no_store, "There is no store at"),
    "a regular file": (regular_file, "is a file, not a store folder"),
    "a folder of articles": (article_folder, "is not a newsqa store (it holds '000-bridge"),
    "a corrupt database": (corrupt_database, "is damaged (error returned from database"),
    "a truncated database": (truncated_database, "is damaged"),
    "a newer schema": (newer_schema, "was written by a newer newsqa (schema version 99"),
}
READERS = {
    "ask": ["ask", GOOD_QUESTION],
    "stats": ["stats"],
    "timeline": ["timeline", "bridge"],
}


def snapshot_tree(path: Path) -> dict[str, str]:
    """Every file under `path` (or `path` itself) with its content hash; {} if nothing is there."""
    if path.is_file():
        return {path.name: hashlib.sha256(path.read_bytes()).hexdigest()}
    if not path.exists():
        return {}
    return {
        str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else ""
        for p in sorted(path.rglob("*"))
    }


@pytest.mark.parametrize("command", list(READERS))
@pytest.mark.parametrize("case", list(STORE_PATHS))
def test_readers_refuse_a_store_path_in_one_line_and_write_nothing(
    case, command, tmp_path, base_store, capsys
):
    make, expected = STORE_PATHS[case]
    store = make(tmp_path, base_store)
    before = snapshot_tree(store)
    code, out, err = run_qa([*READERS[command], "--store", str(store)], capsys)
    assert code == (2 if case in NOT_A_STORE else 1) and not out
    assert err.count("\n") == 1 and err.startswith("error: ") and expected in err, err
    assert snapshot_tree(store) == before  # nothing created, nothing changed


@pytest.mark.parametrize("case", NOT_A_STORE)
def test_ingest_refuses_to_turn_a_non_store_into_a_store(case, tmp_path, good, capsys):
    make, expected = STORE_PATHS[case]
    store = make(tmp_path, None)
    before = snapshot_tree(store)
    code, out, err = run_ingest([str(good), "--store", str(store)], capsys)
    assert code == 2 and not out and len(err) == 1 and expected in err[0]
    assert snapshot_tree(store) == before


def test_read_only_store_is_one_line_for_readers_and_writers(tmp_path, base_store, good):
    """Root ignores file modes, so the children run without capabilities (setpriv)."""
    if not shutil.which("setpriv"):
        pytest.skip("setpriv (util-linux) is needed to drop root's override of file modes")
    store = shutil.copytree(base_store, tmp_path / "store")
    for path in [store, *store.rglob("*")]:
        path.chmod(path.stat().st_mode & 0o555)
    before = snapshot_tree(store)
    drop = ["setpriv", "--bounding-set=-all", "--inh-caps=-all", sys.executable]
    children = [
        [*drop, "-m", "qa", "stats", "--store", str(store)],
        [*drop, "-m", "ingest", str(good), "--store", str(store), "--quiet"],
    ]
    try:
        for argv in children:
            done = subprocess.run(argv, env=child_env(), capture_output=True, text=True, timeout=90)
            errors = lines_starting("error:", done.stderr.splitlines())
            assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
            assert len(errors) == 1 and "is read-only" in errors[0]
    finally:
        for path in [store, *store.rglob("*")]:
            path.chmod(path.stat().st_mode | 0o200)
    assert snapshot_tree(store) == before


# --- 3. interrupts: real signals to real subprocesses ----------------------------------------

N_INTERRUPTED = 30  # articles in each interrupted ingest
SLOW_INGEST = (  # small write batches: many separate writes to be interrupted between
    "import sys, ingest.pipeline as p; p.BATCH_CHUNKS = 3; "
    "from {module} import main; sys.exit(main(sys.argv[1:]))"
)
POLL_S = 0.05
CHILD_TIMEOUT_S = 150


RESTORE_SIGINT = (
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
    "os.execv(sys.executable, [sys.executable, *sys.argv[1:]])"
)


@dataclass
class Interruption:
    """One child process and when to signal it; `run` fills in what happened."""

    argv: list[str]
    signum: int
    ready: Callable[[Interruption], bool]  # signal once this is true
    store: Path | None = None
    chat: ChatServer | None = None
    returncode: int | None = None
    stderr: str = ""
    stdout: str = ""
    signalled: bool = False
    notes: dict = field(default_factory=dict)

    def run(self, env: dict[str, str]) -> None:
        # A background job's shell starts its children with SIGINT ignored, and Python then
        # installs no Ctrl-C handler: give the child the default, as a terminal would.
        argv = [self.argv[0], "-c", RESTORE_SIGINT, *self.argv[1:]]
        proc = subprocess.Popen(
            argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        deadline = time.monotonic() + CHILD_TIMEOUT_S
        try:
            while proc.poll() is None and time.monotonic() < deadline:
                if self.ready(self):
                    proc.send_signal(self.signum)
                    self.signalled = True
                    break
                time.sleep(POLL_S)
            self.stdout, self.stderr = proc.communicate(timeout=CHILD_TIMEOUT_S)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        self.returncode = proc.returncode


def chunks_stored(at_least: int) -> Callable[[Interruption], bool]:
    """Ready once the child's store holds `at_least` chunks (read straight from SQLite)."""
    import sqlite3

    def ready(run: Interruption) -> bool:
        db = run.store / "chroma.sqlite3"
        if not db.exists():
            return False
        try:
            with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.1) as con:
                n = con.execute("select count(*) from embeddings").fetchone()[0]
        except sqlite3.Error:
            return False
        run.notes["chunks_at_signal"] = n
        return n >= at_least

    return ready


def starting(run: Interruption) -> bool:
    """Ready 1.5 s after the start: Python runs, and is still importing (or just loading the
    model); either way the child must end in one line."""
    return time.monotonic() - run.notes.setdefault("t0", time.monotonic()) > 1.5


def llm_asked(run: Interruption) -> bool:
    return bool(run.chat.requests)  # the answer is being written: the LLM holds it


INTERRUPT_CASES = ("ingest SIGINT", "ingest SIGTERM", "eval SIGTERM", "ask SIGINT", "ask SIGTERM")


@pytest.fixture(scope="module")
def interrupted(tmp_path_factory, base_store) -> dict[str, Interruption]:
    """Every interrupt case, run at the same time (each is mostly waiting for imports)."""
    tmp = tmp_path_factory.mktemp("interrupts")
    articles = write_articles(tmp / "articles", N_INTERRUPTED)
    questions = tmp / "questions.jsonl"
    questions.write_text(
        json.dumps({"id": "q1", "question": GOOD_QUESTION, "answers": ["Quill0"]}) + "\n"
    )
    chat = ChatServer("Ada Quill0 opened it [1].")
    chat.hang_s = 30  # holds the answer until the child is signalled (or 10 s at most)
    py = sys.executable
    ingest = ["-c", SLOW_INGEST.format(module="ingest.cli"), str(articles), "--quiet"]
    evaluate = ["-c", SLOW_INGEST.format(module="evaluation.eval"), "--articles", str(articles)]
    evaluate += ["--questions", str(questions), "--quiet"]
    ask = ["-m", "qa", "ask", GOOD_QUESTION, "--store", str(base_store)]
    runs = {
        "ingest SIGINT": Interruption([py, *ingest], signal.SIGINT, chunks_stored(4)),
        "ingest SIGTERM": Interruption([py, *ingest], signal.SIGTERM, chunks_stored(4)),
        "eval SIGTERM": Interruption([py, *evaluate], signal.SIGTERM, chunks_stored(4)),
        "ask SIGINT": Interruption(
            [py, *ask, "--llm", "openai", "--llm-base-url", chat.url], signal.SIGINT, llm_asked
        ),
        "ask SIGTERM": Interruption([py, *ask], signal.SIGTERM, starting),
    }
    for name, run in runs.items():
        run.chat = chat
        if run.argv[1] == "-c":
            run.store = tmp / name.replace(" ", "-")
            run.argv += ["--store", str(run.store)]
    env = child_env(NEWSQA_LLM_API_KEY="dummy", NEWSQA_LLM_TIMEOUT="60")
    threads = [threading.Thread(target=r.run, args=(env,)) for r in runs.values()]
    signal.alarm(0)  # the module fixture has its own bounded waits
    for t in threads:
        t.start()
    for t in threads:
        t.join(CHILD_TIMEOUT_S + 30)
    chat.close()
    runs["articles"] = articles
    return runs


@pytest.mark.parametrize("case", INTERRUPT_CASES)
def test_interrupt_ends_in_one_line_and_the_next_run_completes(case, interrupted, record_property):
    run = interrupted[case]
    assert run.signalled, f"{case}: the child ended before the signal: {run.stderr[-2000:]}"
    lines = [line for line in run.stderr.splitlines() if line.startswith("interrupted:")]
    assert run.returncode == 130, run.stderr[-2000:]
    assert "Traceback" not in run.stderr and len(lines) == 1, run.stderr[-2000:]
    record_property("chunks_at_signal", run.notes.get("chunks_at_signal"))
    if run.store is None:
        return
    assert "new or changed articles were stored before the stop" in lines[0]
    index = NewsIndex(Settings(store_dir=run.store))  # the engine the child embedded with
    summary = ingest_sources([str(interrupted["articles"])], settings=index.settings, index=index)
    assert not summary.failed and summary.articles_total == N_INTERRUPTED
    assert summary.chunks_total == N_INTERRUPTED and not index.catalog.broken


def test_watch_stops_on_sigterm_with_its_summary(tmp_path, local_site):
    """`--watch` treats SIGTERM like Ctrl-C: it finishes the feed it is on and says so."""
    local_site.routes["/feed.xml"] = (200, "application/rss+xml", b"<rss><channel></channel></rss>")
    feeds = tmp_path / "feeds.txt"
    feeds.write_text(local_site.base + "/feed.xml\n")
    argv = [sys.executable, "-m", "ingest", "--watch", str(feeds), "--every", "1h"]
    argv += ["--store", str(tmp_path / "store")]
    env = child_env(NEWSQA_ALLOW_PRIVATE_URLS="1")
    proc = subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + CHILD_TIMEOUT_S
    while not local_site.hits["/feed.xml"] and time.monotonic() < deadline:
        time.sleep(POLL_S)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0 and "Traceback" not in err
    assert "SIGTERM: stopping" in err and out.count("\n") == 1


# --- 4. metadata that cannot be true -------------------------------------------------------


def front_matter(published: str, town_name: str) -> str:
    return f"---\ntitle: Flood wall for {town_name}\npublished: {published}\n---\n" + WALL.format(
        town=town_name
    )


DATE_CASES = {
    # case: (published, stored, line expected): "warning" keeps the article undated
    "a date in the future": ("2099-01-01", "warning", "2099-01-01 is in the future"),
    "the last day of year 9999": ("9999-12-31", "warning", "9999-12-31 is in the future"),
    "year 99": ("0099-06-01", "warning", "is before 1600, older than any newspaper"),
    "yesterday": ("yesterday", "failed", "a date relative to when it was written"),
    "in two weeks": ("in two weeks", "failed", "a date relative to when it was written"),
    "a weekday without a date": ("last Friday", "failed", "a date relative to when it was"),
    "a +25:00 time zone": ("2022-02-25T10:00:00+25:00", "failed", "an impossible value"),
}


@pytest.mark.parametrize("case", list(DATE_CASES))
def test_impossible_dates_are_refused_or_dropped_with_a_line(case, tmp_path, capsys):
    published, outcome, expected = DATE_CASES[case]
    name = f"Tal{len(case)}mere"
    path = tmp_path / "wall.md"
    path.write_text(front_matter(published, name))
    store = tmp_path / "store"
    code, out, err = run_ingest([str(path), "--store", str(store)], capsys)
    [line] = lines_starting(f"{outcome}:", err)
    assert expected in line and str(path.name) in line
    if outcome == "failed":
        assert code == 1 and "added 0," in out
        return
    assert code == 0 and "added 1," in out
    # Undated, it is still found by a question asked today (and by one asked long ago).
    for as_of in ([], ["--as-of", "2001-01-01"]):
        got = answer(f"What did the harbour council of {name} approve?", store, capsys, *as_of)
        assert not got["abstained"] and got["citations"][0]["published"] in (None, "")


# --- 5. text without words, absurd titles, odd line endings, stdin -------------------------

NO_WORDS = {
    "zero-width characters and BOMs": (
        "\ufeff\u200b\u200c\u200d\ufeff\u2060\n\u200b\n".encode(),
        "has no words (only invisible characters)",
    ),
    "emoji only": (
        "😀🎉 🔥😀\n🎉🎉\n".encode(),
        "has no words (only punctuation, symbols or emoji)",
    ),
    "punctuation only": (b"!!! ... ??? --- ***\n;;;\n", "has no words (only punctuation"),
    "UTF-16 zero-width only": ("\u200b\u200b\u2060".encode("utf-16"), "has no words"),
    "front matter that never closes": (
        b"---\ntitle: Never closed\npublished: 2022-02-25\n\n" + WALL.format(town="Hul").encode(),
        "has front matter that never closes",
    ),
}


@pytest.mark.parametrize("case", list(NO_WORDS))
def test_text_without_words_fails_alone(case, tmp_path, good, capsys):
    data, expected = NO_WORDS[case]
    path = tmp_path / ("odd.md" if "front matter" in case else "odd.txt")
    path.write_bytes(data)
    code, out, err = run_ingest([str(path), str(good)], capsys)
    [failed] = lines_starting("failed:", err)
    assert failed.startswith(f"failed: {path}: ") and expected in failed
    assert code == 1 and "added 1," in out


def test_absurd_title_is_cut_and_said(tmp_path, capsys, embeddings):
    path = tmp_path / "long.md"
    path.write_text("# " + "Very long headline " * 2000 + "\n\n" + WALL.format(town="Isk") + "\n")
    store = tmp_path / "store"
    code, out, err = run_ingest([str(path), "--store", str(store)], capsys)
    [warning] = lines_starting("warning:", err)
    assert "its title is 37,999 characters long; cut to 300" in warning
    [title] = stored_titles(store, embeddings)
    assert code == 0 and len(title) <= 301 and title.endswith("long…")


STDIN_AND_ENDINGS = {
    "lone-CR line endings": (
        "file",
        "Flood wall in Galness\r\r{wall}\rIt cost four million.\r",
        "cp1252",
    ),
    "stdin in UTF-16 with BOM": ("stdin", "Flood wall in Galness\n\n{wall}\n", "utf-16"),
    "stdin in UTF-8 with BOM": ("stdin", "Flood wall in Galness\n\n{wall}\n", "utf-8-sig"),
    "stdin in cp1252": ("stdin", "Flood wall in Galness café\n\n{wall}\n", "cp1252"),
    "stdin with lone CRs": ("stdin", "Flood wall in Galness\r\r{wall}\r", "utf-8"),
}


@pytest.mark.parametrize("case", list(STDIN_AND_ENDINGS))
def test_stdin_and_line_endings_read_like_files(case, tmp_path, capsys, monkeypatch, embeddings):
    where, template, encoding = STDIN_AND_ENDINGS[case]
    data = template.format(wall=WALL.format(town="Galness")).encode(encoding)
    store = tmp_path / "store"
    if where == "stdin":
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))
        source = "-"
    else:
        source = str(tmp_path / "wall.txt")
        Path(source).write_bytes(data)
    code, out, err = run_ingest([source, "--store", str(store)], capsys)
    assert code == 0 and "added 1," in out, err
    [title] = stored_titles(store, embeddings)
    assert title.startswith("Flood wall in Galness") and "harbour" not in title
    assert "café" in title or "café" not in template
    got = answer("What did the harbour council of Galness approve?", store, capsys)
    assert "flood wall" in got["answer"]


# --- 6. options that cannot be satisfied -----------------------------------------------------

UNSATISFIABLE = {
    "--k 0": (["ask", GOOD_QUESTION, "--k", "0"], "argument --k: must be at least 1, not 0"),
    "--k -3": (["ask", GOOD_QUESTION, "--k", "-3"], "must be at least 1, not -3"),
    "--since after --until": (
        ["ask", GOOD_QUESTION, "--since", "2023-01-01", "--until", "2022-01-01"],
        "--since 2023-01-01 is after --until 2022-01-01: no article can match",
    ),
    "--since after --as-of": (
        ["ask", GOOD_QUESTION, "--since", "2023-01-01", "--as-of", "2022-01-01"],
        "--since 2023-01-01 is after --as-of 2022-01-01",
    ),
    "unknown --source": (
        ["ask", GOOD_QUESTION, "--source", "Daily Nowhere"],
        "--source 'Daily Nowhere': the store has no articles from it; it has 'Sample'",
    ),
    "unknown --topic": (
        ["ask", GOOD_QUESTION, "--topic", "Cricket"],
        "--topic 'Cricket': the store has no articles from it; it has 'Russia', 'Ukraine'",
    ),
    "empty timeline query": (["timeline", ""], "the timeline query is empty"),
    "blank timeline query": (["timeline", "  \t "], "the timeline query is empty"),
    "timeline --k 0": (["timeline", "talks", "--k", "0"], "must be at least 1, not 0"),
    "timeline unknown --source": (
        ["timeline", "talks", "--source", "Nowhere"],
        "--source 'Nowhere': the store has no articles from it",
    ),
}


@pytest.mark.parametrize("case", list(UNSATISFIABLE))
def test_unsatisfiable_options_exit_2_with_a_usage_line(case, sample_store, capsys):
    argv, expected = UNSATISFIABLE[case]
    code, out, err = run_qa([*argv, "--store", str(sample_store)], capsys)
    lines = err.splitlines()
    assert code == 2 and not out
    assert lines[0].startswith(f"usage: python -m qa {argv[0]}")
    assert "error: " in lines[-1] and expected in lines[-1], err


# --- 7. questions with control characters ----------------------------------------------------

MINSK = "Who proposed talks in Minsk?"
DIRTY_QUESTIONS = {
    "ANSI colours": "Who \x1b[1;31mproposed\x1b[0m talks in Minsk?",
    "a bell": "Who proposed\a talks in Minsk?\a",
    "NUL bytes": "Who\x00 proposed talks in Mi\x00nsk?",
    "a title-setting OSC escape": "\x1b]0;owned\x07Who proposed talks in Minsk?",
    "backspace and DEL": "Who proposed\x08 talks\x7f in Minsk?",
    "zero-width space and a direction override": "Who pro\u200bposed talks in \u202eMinsk?",
    "8-bit CSI": "Who proposed \x9b2Jtalks in Minsk?",
}


@pytest.fixture(scope="module")
def clean_answer(sample_store, embeddings) -> dict:
    from qa.answering.ask import Asker

    index = NewsIndex(Settings(store_dir=sample_store), embeddings=embeddings)
    got = Asker(index).ask(MINSK)
    return {"answer": got.text, "chunks": [c.passage.chunk_id for c in got.citations]}


@pytest.mark.parametrize("case", list(DIRTY_QUESTIONS))
def test_control_characters_do_not_change_the_answer(case, sample_store, clean_answer, capsys):
    got = answer(DIRTY_QUESTIONS[case], sample_store, capsys)
    assert got["question"] == MINSK
    assert got["answer"] == clean_answer["answer"] and "Putin" in got["answer"]
    assert [c["chunk_id"] for c in got["citations"]] == clean_answer["chunks"]


# --- 8. output safety in the terminal --------------------------------------------------------

FORGED = "x\nadded 99, updated 0, unchanged 0, duplicates 0, failed 0\x1b[2J\x1b]0;pwned\x07"


def assert_terminal_safe(text: str, lines: int | None = None) -> None:
    assert "\x1b" not in text and "\x07" not in text and "added 99" not in text.split("\n")[-1]
    assert not any(line.startswith("added 99") for line in text.splitlines())
    if lines is not None:
        assert text.count("\n") == lines


def hostile_store(tmp: Path, embeddings) -> Path:
    from ingest.pipeline import ingest_articles
    from qa.news.dates import parse_date

    store = tmp / "store"
    article = Article(
        title=f"Ferry strike ends{FORGED}",
        text="The ferry strike in Port Ellis ended on 6 May 2024 after unions accepted a pay offer.",
        source=f"Harbour{FORGED} News",
        topics=[f"Strikes{FORGED}"],
        published=parse_date("2024-05-06"),
    )
    with NewsIndex(Settings(store_dir=store), embeddings=embeddings) as index:
        ingest_articles([article], index, progress=False)
    return store


def ingest_hostile_name(tmp: Path, capsys, embeddings) -> str:
    (tmp / "in").mkdir()
    (tmp / "in" / f"{FORGED}.txt").write_text("")  # empty: its name is printed in a failed line
    code, out, err = run_ingest([str(tmp / "in"), "--store", str(tmp / "s")], capsys)
    [failed] = lines_starting("failed: ", err)
    assert code == 1 and r"\nadded 99" in failed and r"\x1b[2J" in failed
    return "\n".join(err) + "\n"


def stats_hostile_source(tmp: Path, capsys, embeddings) -> str:
    store = hostile_store(tmp, embeddings)
    code, out, _ = run_qa(["stats", "--store", str(store)], capsys)
    assert code == 0 and "Harbour" in out and "Strikes" in out
    return out


def ask_hostile_title(tmp: Path, capsys, embeddings) -> str:
    store = hostile_store(tmp, embeddings)
    code, out, _ = run_qa(["ask", "When did the ferry strike end?", "--store", str(store)], capsys)
    assert code == 0 and "[1] Ferry strike ends" in out
    return out


def timeline_hostile_source(tmp: Path, capsys, embeddings) -> str:
    store = hostile_store(tmp, embeddings)
    code, out, _ = run_qa(["timeline", "ferry strike", "--store", str(store)], capsys)
    assert code == 0 and "Harbour" in out
    return out


def error_with_hostile_store_path(tmp: Path, capsys, embeddings) -> str:
    code, _, err = run_qa(["stats", "--store", str(tmp / FORGED)], capsys)
    assert code == 1 and err.count("\n") == 1 and r"\nadded 99" in err
    return err


def warning_with_hostile_name(tmp: Path, capsys, embeddings) -> str:
    path = tmp / f"{FORGED}.md"
    path.write_text(front_matter("2099-01-01", "Fenholm"))
    code, _, err = run_ingest([str(path), "--store", str(tmp / "s")], capsys)
    assert code == 0 and len(err) == 1 and err[0].startswith("warning: ")
    return "\n".join(err) + "\n"


TERMINAL_OUTPUT = {
    "a file name in a failed: line": ingest_hostile_name,
    "a source and topic in qa stats": stats_hostile_source,
    "a title in qa ask's sources": ask_hostile_title,
    "a source in qa timeline": timeline_hostile_source,
    "a store path in an error: line": error_with_hostile_store_path,
    "a file name in a warning: line": warning_with_hostile_name,
}


@pytest.mark.parametrize("case", list(TERMINAL_OUTPUT))
def test_names_printed_to_the_terminal_are_escaped(case, tmp_path, capsys, embeddings):
    printed = TERMINAL_OUTPUT[case](tmp_path, capsys, embeddings)
    assert_terminal_safe(printed)
