"""The page's accounts: a users file of bcrypt-hashed passwords with roles.

The file is streamlit-authenticator's own configuration (its `credentials` and `cookie`
sections), so the page hands it to that library for sign-in and its signed cookie; passwords
are bcrypt hashes, the library's own kind. `python -m qa users` writes it; the page reads it on
every run, so a user added, removed or given another role counts at once. Wrong passwords
are throttled per account by `qa.page.passwords.AccountThrottle`.

Two roles: a reader asks; an editor also adds articles from the page.
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

import bcrypt
import yaml

from qa.errors import NewsQAError, UsageError

ROLES = ("reader", "editor")
EDITOR = "editor"
COOKIE_NAME = "newsqa_sign_in"
COOKIE_DAYS = 30
MIN_PASSWORD_CHARS = 8
MAX_PASSWORD_BYTES = 72  # bcrypt's limit
USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")


class UsersError(NewsQAError):
    """The users file cannot be read or written, or a user cannot be added as asked."""


@dataclass(frozen=True)
class User:
    username: str
    name: str
    role: str

    @property
    def is_editor(self) -> bool:
        return self.role == EDITOR


def check_username(username: str) -> str:
    """The username as stored (lower case); a usage error naming the rule when it breaks it."""
    name = username.strip().lower()
    if not USERNAME.fullmatch(name):
        raise UsageError(
            f"The username {username!r} cannot be used: use 1-64 letters, digits, '.', '_' or "
            "'-', starting with a letter or digit."
        )
    return name


def check_role(role: str) -> str:
    if role not in ROLES:
        raise UsageError(f"The role {role!r} is not one of {', '.join(ROLES)}.")
    return role


class UsersFile:
    """The users file at `path` (created with its cookie key by the first `add`)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def exists(self) -> bool:
        return self.path.is_file()

    def config(self) -> dict:
        """The file as streamlit-authenticator reads it: `credentials` and `cookie`."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except (FileNotFoundError, NotADirectoryError):  # no users (the store says what is wrong)
            return _empty_config()
        except OSError as e:
            raise UsersError(f"Cannot read the users file {self.path} ({e.strerror or e}).") from e
        try:
            config = yaml.safe_load(text) or {}
            users = config["credentials"]["usernames"] or {}
            config["credentials"]["usernames"] = users
            if not isinstance(users, dict) or not config["cookie"]["key"]:
                raise TypeError("no users or no cookie key")
        except (yaml.YAMLError, KeyError, TypeError) as e:
            raise UsersError(
                f"The users file {self.path} is not one `python -m qa users add` wrote ({e}); "
                "move it aside and add the users again."
            ) from e
        return config

    def users(self) -> list[User]:
        """Every user, by username."""
        found = self.config()["credentials"]["usernames"]
        return [user_of(name, found[name]) for name in sorted(found)]

    def find(self, username: str) -> User | None:
        entry = self.config()["credentials"]["usernames"].get(username.strip().lower())
        return user_of(username.strip().lower(), entry) if entry else None

    def add(
        self, username: str, password: str, *, role: str, name: str | None = None, replace=False
    ) -> User:
        """Add a user (or, with `replace`, set an existing one's password, role and name)."""
        username, role = check_username(username), check_role(role)
        if len(password) < MIN_PASSWORD_CHARS:
            raise UsageError(
                f"The password for {username!r} is too short: use at least "
                f"{MIN_PASSWORD_CHARS} characters."
            )
        if len(password.encode()) > MAX_PASSWORD_BYTES:
            raise UsageError(
                f"The password for {username!r} is too long: bcrypt reads at most "
                f"{MAX_PASSWORD_BYTES} bytes of it; use a shorter one."
            )
        config = self.config()
        users = config["credentials"]["usernames"]
        if username in users and not replace:
            raise UsageError(
                f"There is already a user {username!r} in {self.path}: add --replace to set "
                "their password and role, or remove them first."
            )
        users[username] = {
            "name": name or username,
            "password": hash_password(password),
            "roles": [role],
        }
        self._write(config)
        return user_of(username, users[username])

    def remove(self, username: str) -> None:
        config = self.config()
        name = username.strip().lower()
        if name not in config["credentials"]["usernames"]:
            raise UsageError(f"There is no user {username!r} in {self.path}.")
        del config["credentials"]["usernames"][name]
        self._write(config)

    def _write(self, config: dict) -> None:
        """Replace the file whole (never half-written), readable by its owner only."""
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                yaml.safe_dump(config, f, sort_keys=True)
            tmp.replace(self.path)
        except OSError as e:
            tmp.unlink(missing_ok=True)
            raise UsersError(f"Cannot write the users file {self.path} ({e.strerror or e}).") from e


def hash_password(password: str) -> str:
    """bcrypt, as streamlit-authenticator's `Hasher.hash` does (which the page checks with),
    without loading Streamlit into the command line."""
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt()).decode()


def user_of(username: str, entry: dict) -> User:
    roles = entry.get("roles") or []
    role = EDITOR if EDITOR in roles else "reader"
    return User(username=username, name=str(entry.get("name") or username), role=role)


def _empty_config() -> dict:
    return {
        "credentials": {"usernames": {}},
        "cookie": {"name": COOKIE_NAME, "key": secrets.token_hex(32), "expiry_days": COOKIE_DAYS},
    }
