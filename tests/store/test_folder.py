"""qa.store.folder: which local folders may be a store, and one-line messages for those not."""

from __future__ import annotations

import sqlite3

import pytest

from qa.config import Settings
from qa.errors import StoreError, StoreMissingError
from qa.store.folder import CHROMA_DB, check_folder, foreign_entries, open_failure


def check(folder, *, create: bool) -> None:
    check_folder(Settings(store_dir=folder), create=create)


def one_line(error: pytest.ExceptionInfo) -> str:
    message = str(error.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize("create", [True, False])
def test_a_file_given_as_the_store_folder_is_refused_in_one_line(tmp_path, create):
    file = tmp_path / "notes.txt"
    file.write_text("not a store")
    with pytest.raises(StoreError) as error:
        check(file, create=create)
    assert "is a file, not a store folder" in one_line(error)
    assert file.read_text() == "not a store"


def test_a_folder_of_other_things_is_not_a_store(tmp_path):
    (tmp_path / "article.txt").write_text("An article.")
    (tmp_path / ".hidden").write_text("")
    (tmp_path / "lexical").mkdir()  # newsqa's own, not foreign
    assert foreign_entries(tmp_path) == ["article.txt"]
    with pytest.raises(StoreError) as error:
        check(tmp_path, create=True)
    assert "holds 'article.txt'" in one_line(error)


def test_nothing_there_is_missing_for_a_reader_and_fine_for_a_writer(tmp_path):
    with pytest.raises(StoreMissingError) as error:
        check(tmp_path / "store", create=False)
    assert "There is no store at" in one_line(error)
    check(tmp_path / "store", create=True)
    assert not (tmp_path / "store").exists()  # checking writes nothing


def test_a_folder_with_a_chroma_database_is_a_store(tmp_path):
    sqlite3.connect(tmp_path / CHROMA_DB).close()
    (tmp_path / "article.txt").write_text("An article.")
    check(tmp_path, create=False)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (sqlite3.OperationalError("attempt to write a readonly database"), "is read-only"),
        (sqlite3.DatabaseError("file is not a database"), "is damaged"),
        (RuntimeError("disk\nfull"), "Could not open the store at shelf: disk full"),
        (RuntimeError(""), "Could not open the store at shelf: RuntimeError"),
    ],
)
def test_open_failures_are_one_line(error, expected):
    message = open_failure("shelf", error)
    assert expected in message and "\n" not in message
