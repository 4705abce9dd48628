"""Whether a local folder may be a store, one-line messages for a store Chroma cannot open, and
how newsqa writes its own arrays there."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import numpy as np

from qa.config import Settings
from qa.errors import StoreError, StoreMissingError, StorePathError

CHROMA_DB = "chroma.sqlite3"  # what makes a folder a local Chroma store
# What newsqa itself keeps in a store folder besides Chroma's files; anything else (articles,
# notes) means the folder is not a store, and a writer must not turn it into one.
OWN_ENTRIES = ("lexical", "conversations.sqlite3", "users.yaml", "accounts", "uploads")
STORE_HINT = "point --store (or NEWSQA_STORE) at the folder `python -m ingest` wrote"


def check_folder(settings: Settings, *, create: bool) -> None:
    """Refuse a local store path that cannot be a store, before anything is written there.

    Raises:
        StoreMissingError: nothing is there and this index may not create a store.
        StoreError: a file, a folder of other things, or a store that is not writable.
    """
    s = settings
    if s.uses_server:
        return
    folder, label = s.store_dir, s.store_label
    if folder.exists() and not folder.is_dir():
        raise StorePathError(f"{label} is a file, not a store folder: {STORE_HINT}.")
    db = folder / CHROMA_DB
    if db.is_file():
        if not (os.access(db, os.R_OK | os.W_OK) and os.access(folder, os.W_OK | os.X_OK)):
            raise StoreError(read_only(label))
        return
    others = foreign_entries(folder)
    if others:
        raise StorePathError(
            f"{label} is not a newsqa store (it holds {others[0]!r} and no {CHROMA_DB}): "
            f"{STORE_HINT}, or name a new or empty folder."
        )
    if not create:
        raise StoreMissingError(
            f"There is no store at {label}: add articles first with "
            f"`python -m ingest SOURCE... --store {label}`, or {STORE_HINT}."
        )


def foreign_entries(folder: Path) -> list[str]:
    """Visible entries of `folder` that neither Chroma nor newsqa put there, sorted."""
    if not folder.is_dir():
        return []
    return sorted(
        name
        for name in os.listdir(folder)
        if not name.startswith(".") and not name.startswith(OWN_ENTRIES) and name != CHROMA_DB
    )


def read_only(label: str) -> str:
    return (
        f"The store at {label} is read-only: Chroma writes to its database even to read it. "
        f"Make it writable (chmod -R u+w {label}) or copy it to a folder you can write to."
    )


# What Chroma says when the disk under a store fills: its Rust backend cannot apply its write
# log to the metadata segment (on the write, then on every read that tries again), SQLite
# reports a full database, the OS no space.
_DISK_FULL = ("failed to apply logs", "database or disk is full", "no space left on device")
MB = 1024 * 1024


def disk_full(label: str, folder: Path, error: BaseException) -> str | None:
    """One line for a store whose disk is full, naming the disk and the fix; None for any
    other error. Nothing stored is lost: once space is freed, Chroma applies its log."""
    if not any(sign in str(error).lower() for sign in _DISK_FULL):
        return None
    try:
        usage = shutil.disk_usage(folder if folder.exists() else folder.parent)
        free = f" ({usage.free / MB:,.1f} MB free of {usage.total / MB:,.1f} MB)"
    except OSError:
        free = ""
    return (
        f"The disk holding the store at {label} is full{free}: free some space on it, then run "
        "the command again (the articles already stored are kept)."
    )


def open_failure(label: str, error: BaseException) -> str:
    """One line for a store Chroma cannot open: read-only, damaged, or something else."""
    text = " ".join(str(error).split()) or type(error).__name__
    if "readonly database" in text:
        return read_only(label)
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return (
            f"The store at {label} is damaged ({text}): restore it from a backup, or ingest "
            "the articles again into a new folder."
        )
    return f"Could not open the store at {label}: {text}"


def save_npy(path: Path, array: np.ndarray) -> None:
    """`array` saved to `path` whole under a temporary name first (`*.tmp.npy`, left alone by
    the cleaners), then renamed: a reader's mapping of the old file stays valid, and a reader
    never sees half a file."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{time.monotonic_ns()}.tmp.npy")
    np.save(tmp, array)
    os.replace(tmp, path)
