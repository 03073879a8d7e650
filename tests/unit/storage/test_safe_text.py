"""Exceptions shown on one line: the first line of the message, or the driver's own message."""

from __future__ import annotations

import sqlite3

from sqlalchemy.exc import OperationalError

from storage.safe_text import exception_line


def test_exception_line_is_the_first_line_or_the_type() -> None:
    assert exception_line(ValueError("  bad value\nmore detail\n")) == "bad value"
    assert exception_line(ValueError()) == "ValueError"


def test_exception_line_of_a_database_error_with_and_without_its_driver() -> None:
    error = OperationalError("SELECT 1", {}, sqlite3.OperationalError("database is locked"))
    assert "[SQL: SELECT 1]" in str(error)
    assert exception_line(error) == "(sqlite3.OperationalError) database is locked"
    assert exception_line(error, driver=True) == "database is locked"
    assert exception_line(ValueError("plain"), driver=True) == "plain"
