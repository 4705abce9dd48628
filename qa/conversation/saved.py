"""Saved conversations: a small SQLite file beside the store, so chats survive restarts.

Each call opens its own short-lived connection: Streamlit serves each session from its own
thread, and sqlite3 connections must not cross threads.
"""

from __future__ import annotations

import builtins
import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

DB_FILE = "conversations.sqlite3"
TITLE_CHARS = 80  # of the first question, shown in the sidebar
BUSY_TIMEOUT_S = 5.0  # another session writing: wait this long before giving up

SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    created TEXT NOT NULL,
    updated TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    content TEXT NOT NULL,
    answer TEXT,
    created TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_by_conversation ON messages(conversation_id, id);
"""


@dataclass(frozen=True)
class Conversation:
    """One saved chat, as listed in the sidebar."""

    id: int
    title: str
    created: str  # ISO 8601, UTC
    updated: str

    @property
    def day(self) -> str:
        return self.updated[:10]


class ConversationStore:
    """The conversations of one store, in `folder / DB_FILE` (created on first use)."""

    def __init__(self, folder: Path) -> None:
        self.path = Path(folder) / DB_FILE
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.executescript(SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """A connection for one unit of work: committed on success, rolled back on error."""
        with closing(sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S)) as db, db:
            db.execute("PRAGMA foreign_keys = ON")
            yield db

    def create(self, first_question: str) -> int:
        """A new, empty conversation titled by its first question; returns its id."""
        title = " ".join(first_question.split())
        if len(title) > TITLE_CHARS:
            title = title[: TITLE_CHARS - 1].rstrip() + "…"
        now = _now()
        with self._connect() as db:
            cursor = db.execute(
                "INSERT INTO conversations (title, created, updated) VALUES (?, ?, ?)",
                (title, now, now),
            )
            return int(cursor.lastrowid)  # type: ignore[arg-type]

    def append(self, conversation_id: int, message: dict) -> None:
        """Add one chat message (`role`, `content`, optional `answer` dict) to a conversation."""
        answer = message.get("answer")
        now = _now()
        with self._connect() as db:
            db.execute(
                "INSERT INTO messages (conversation_id, role, content, answer, created) "
                "VALUES (?, ?, ?, ?, ?)",
                (
                    conversation_id,
                    message["role"],
                    message.get("content") or "",
                    json.dumps(answer, ensure_ascii=False) if answer is not None else None,
                    now,
                ),
            )
            db.execute("UPDATE conversations SET updated = ? WHERE id = ?", (now, conversation_id))

    def list(self) -> list[Conversation]:
        """Every conversation, most recently updated first."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT id, title, created, updated FROM conversations "
                "ORDER BY updated DESC, id DESC"
            ).fetchall()
        return [Conversation(*row) for row in rows]

    def find(self, conversation_id: int) -> Conversation | None:
        """The conversation with this id, or None when there is none (deleted, or never saved)."""
        with self._connect() as db:
            row = db.execute(
                "SELECT id, title, created, updated FROM conversations WHERE id = ?",
                (conversation_id,),
            ).fetchone()
        return Conversation(*row) if row else None

    def messages(self, conversation_id: int) -> builtins.list[dict]:  # `list` is a method here
        """A conversation's messages in order, as chat message dicts."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT role, content, answer FROM messages WHERE conversation_id = ? ORDER BY id",
                (conversation_id,),
            ).fetchall()
        return [_message(role, content, answer) for role, content, answer in rows]

    def delete(self, conversation_id: int) -> None:
        """Forget a conversation and its messages (nothing happens if it is already gone)."""
        with self._connect() as db:
            db.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))


def _message(role: str, content: str, answer: str | None) -> dict:
    message: dict = {"role": role, "content": content}
    if answer is not None:
        message["answer"] = json.loads(answer)
    return message


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")  # orders quick turns
