"""A store on a full disk (issue 36): the ingest ended with "error: unexpected InternalError:
Error in compaction: Failed to apply logs to the metadata segment", and so did every later read
while the disk stayed full. Now one line names the disk and the fix."""

from __future__ import annotations

import subprocess
import sys
import uuid

import pytest
from chromadb.errors import InternalError
from helpers.articles import write_articles
from helpers.commands import child_env
from helpers.paths import REPO

from qa.store.folder import disk_full

COMPACTION = "Error in compaction: Failed to apply logs to the metadata segment"
DISK_KB = 1200  # holds Chroma's empty database, not the 120 articles


@pytest.mark.parametrize(
    ("error", "full"),
    [
        (InternalError(COMPACTION), True),
        (InternalError("Error executing plan: Failed to apply logs to the metadata segment"), True),
        (OSError(28, "No space left on device"), True),
        (InternalError("database or disk is full"), True),
        (InternalError("Collection [news] does not exist"), False),
    ],
)
def test_a_full_disk_is_told_from_other_store_errors(tmp_path, error, full):
    line = disk_full(str(tmp_path), tmp_path, error)
    assert (line is not None) is full
    if full:
        assert line.startswith(f"The disk holding the store at {tmp_path} is full (")
        assert "free some space on it, then run the command again" in line
        assert "\n" not in line


@pytest.fixture
def small_disk(tmp_path):
    """A tmpfs of DISK_KB, where mounting is allowed (root in CI's container); else skipped."""
    mount = tmp_path / f"disk-{uuid.uuid4().hex[:6]}"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_KB}k", "tmpfs", str(mount)],
        capture_output=True,
    )
    if done.returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root): the full-disk case is untested")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def run(module: str, *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", module, *argv],
        capture_output=True,
        text=True,
        env=child_env(),
        cwd=REPO,
        timeout=600,
    )


def test_an_ingest_onto_a_full_disk_ends_in_one_line_naming_it(small_disk, tmp_path):
    store = small_disk / "store"
    articles = write_articles(tmp_path / "articles", 120)
    ingest = run("ingest", str(articles), "--store", str(store), "--quiet")
    errors = [line for line in ingest.stderr.splitlines() if line.startswith("error:")]
    assert ingest.returncode == 1
    [error] = errors  # one line, naming the disk and the fix
    assert error.startswith(f"error: The disk holding the store at {store} is full (")
    assert "InternalError" not in ingest.stderr and "compaction" not in ingest.stderr
    stats = run("qa", "stats", "--store", str(store))  # later reads: work, or say the same
    assert stats.returncode == 0 or (
        f"The disk holding the store at {store} is full" in stats.stderr
        and len(stats.stderr.strip().splitlines()) == 1
    )
