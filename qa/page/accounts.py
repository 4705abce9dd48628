"""Who uses a page session, and what that allows: an account of the users file
(`qa.interface.users`), or the one person a page without accounts serves."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from qa.interface.users import EDITOR


@dataclass(frozen=True)
class Visitor:
    """Who uses this session: an account, or the one person a page without accounts serves."""

    username: str = ""  # "" without accounts
    name: str = ""
    role: str = EDITOR

    @property
    def can_add(self) -> bool:
        return self.role == EDITOR

    def chats_folder(self, state_dir: Path) -> Path:
        """Each account's chats in its own file, so no one lists or opens another's."""
        return state_dir / "accounts" / self.username if self.username else state_dir
