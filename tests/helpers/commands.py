"""The commands as the tests run them: in this process, or as real subprocesses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from helpers.paths import REPO

# `python -m ingest` in a child that writes every `batch` chunks (ingest.pipeline.BATCH_CHUNKS).
INGEST_CHILD = (
    "import sys, ingest.pipeline as p; p.BATCH_CHUNKS = {batch}; "
    "from ingest.cli import main; sys.exit(main(sys.argv[1:]))"
)


def child_env(**extra: str) -> dict[str, str]:
    """Environment for a real `python -m ...` subprocess: offline, this repo, test settings."""
    env = {k: v for k, v in os.environ.items() if k != "CHROMA_HOST"}
    env.update(HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false", PYTHONPATH=str(REPO))
    env.update(extra)
    return env


def run_json(main: Callable[[list[str]], int], argv: list[str], capsys) -> tuple[int, Any]:
    """A command's `main(argv)` in this process: its exit status and its stdout read as JSON."""
    code = main(argv)
    out = capsys.readouterr().out
    return code, json.loads(out)


def start_ingest(folder: Path, store: Path, *options: str, batch: int) -> subprocess.Popen:
    """`python -m ingest FOLDER --store STORE OPTIONS` as a child writing every `batch` chunks,
    its output piped."""
    return subprocess.Popen(
        [sys.executable, "-c", INGEST_CHILD.format(batch=batch), str(folder)]
        + ["--store", str(store), *options],
        env=child_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
