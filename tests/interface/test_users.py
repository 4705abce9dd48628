"""qa.interface.users: the page's users file, and `python -m qa users` that writes it."""

from __future__ import annotations

import stat
import subprocess
import sys

import pytest
import yaml
from helpers.commands import child_env
from helpers.paths import REPO
from streamlit_authenticator import Hasher

from qa.errors import UsageError
from qa.interface.users import UsersError, UsersFile


def qa_users(store, *args, password: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "qa", "users", *args, "--store", str(store)],
        input=None if password is None else password + "\n",
        capture_output=True,
        text=True,
        cwd=REPO,
        env=child_env(),
        timeout=120,
    )


def test_added_users_are_bcrypt_hashes_the_sign_in_library_accepts(tmp_path):
    users = UsersFile(tmp_path / "users.yaml")
    users.add("Alice", "correct horse", role="editor", name="Alice A.")
    users.add("bob", "battery staple", role="reader")
    config = yaml.safe_load((tmp_path / "users.yaml").read_text())
    alice = config["credentials"]["usernames"]["alice"]  # names are kept in lower case
    assert "correct horse" not in (tmp_path / "users.yaml").read_text()
    assert Hasher.is_hash(alice["password"]) and Hasher.check_pw("correct horse", alice["password"])
    assert not Hasher.check_pw("correct horsE", alice["password"])
    assert alice["roles"] == ["editor"] and len(config["cookie"]["key"]) == 64
    assert stat.S_IMODE((tmp_path / "users.yaml").stat().st_mode) == 0o600
    assert [(u.username, u.role, u.name) for u in users.users()] == [
        ("alice", "editor", "Alice A."),
        ("bob", "reader", "bob"),
    ]
    key = config["cookie"]["key"]
    users.remove("BOB")
    assert [u.username for u in users.users()] == ["alice"]
    assert yaml.safe_load((tmp_path / "users.yaml").read_text())["cookie"]["key"] == key


@pytest.mark.parametrize(
    ("username", "password", "role", "message"),
    [
        ("bad name", "long enough", "reader", "cannot be used"),
        ("../x", "long enough", "reader", "cannot be used"),
        ("carol", "short", "reader", "too short"),
        ("carol", "é" * 40, "reader", "too long"),  # 80 bytes: bcrypt would drop the rest
        ("carol", "long enough", "admin", "not one of reader, editor"),
        ("alice", "long enough", "reader", "already a user 'alice'"),
    ],
)
def test_a_user_that_cannot_be_added_is_one_usage_error_and_the_file_is_unchanged(
    tmp_path, username, password, role, message
):
    users = UsersFile(tmp_path / "users.yaml")
    users.add("alice", "correct horse", role="editor")
    before = (tmp_path / "users.yaml").read_bytes()
    with pytest.raises(UsageError, match=message):
        users.add(username, password, role=role)
    assert (tmp_path / "users.yaml").read_bytes() == before


def test_replace_sets_a_password_and_role_and_a_damaged_file_is_named(tmp_path):
    users = UsersFile(tmp_path / "users.yaml")
    users.add("alice", "correct horse", role="reader")
    users.add("alice", "new password", role="editor", replace=True)
    [alice] = users.users()
    assert alice.is_editor
    (tmp_path / "users.yaml").write_text("credentials: [1, 2]\n")
    with pytest.raises(UsersError, match="users.yaml is not one `python -m qa users add` wrote"):
        users.users()
    assert UsersFile(tmp_path / "none.yaml").users() == []  # no file: no accounts


def test_the_users_command_adds_lists_and_removes(tmp_path):
    store = tmp_path / "store"
    done = qa_users(
        store, "add", "alice", "--role", "editor", "--password-stdin", password="pw-alice-1"
    )
    assert done.returncode == 0 and "Added alice (editor)" in done.stdout, done.stderr
    listed = qa_users(store, "list", "--json")
    assert listed.returncode == 0
    assert '"username": "alice"' in listed.stdout and '"role": "editor"' in listed.stdout
    again = qa_users(store, "add", "alice", "--password-stdin", password="pw-alice-2")
    assert again.returncode == 2 and "add --replace" in again.stderr
    assert "Traceback" not in again.stderr and again.stderr.strip().count("error:") == 1
    no_tty = qa_users(store, "add", "bob")  # stdin is not a terminal: nowhere to ask
    assert no_tty.returncode == 2 and "--password-stdin" in no_tty.stderr
    gone = qa_users(store, "remove", "alice")
    assert gone.returncode == 0 and "Removed alice" in gone.stdout
    assert "No users" in qa_users(store, "list").stdout
