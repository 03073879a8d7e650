"""Shared fixtures: archives on SQLite and PostgreSQL (PostgreSQL is mandatory when CI=true), empty or
migrated (copies of a template migrated once per session, recycled between tests on PostgreSQL:
tests/databases.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from storage.db import open_archive
from tests.databases import (
    RecycledPostgres,
    copy_sqlite,
    postgres_database,
    postgres_template,
    sqlite_template,
)


@pytest.fixture(scope="session")
def postgres_template_name() -> Iterator[str]:
    """This process's migrated PostgreSQL template database (never connected to by tests)."""
    with postgres_template() as name:
        yield name


@pytest.fixture(scope="session")
def recycled_postgres(postgres_template_name: str) -> Iterator[RecycledPostgres]:
    """This process's copy of the template, reset after each test that used it."""
    with RecycledPostgres(postgres_template_name) as recycled:
        yield recycled


@pytest.fixture(scope="session")
def sqlite_template_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This process's migrated SQLite archive file, copied by migrated_archive_url (never opened after)."""
    return sqlite_template(tmp_path_factory.mktemp("template"))


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    with postgres_database() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def archive_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty archive URL on each supported database: for tests of what creates the archive."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/archive.sqlite3"
    else:
        with postgres_database() as url:
            yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def migrated_archive_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an archive at the newest schema, with no rows, on each supported database: a copy of
    the session's migrated template, as the migrations would have left it (on PostgreSQL, the
    process's one copy, reset to that state after each test)."""
    if request.param == "sqlite":
        yield copy_sqlite(request.getfixturevalue("sqlite_template_file"), tmp_path / "archive.sqlite3")
    else:
        with request.getfixturevalue("recycled_postgres").checkout() as url:
            yield url


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def module_archive_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """An empty archive URL on each supported database, shared by the tests of one module: one costly
    crawl into it, several tests reading what it left."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('archive')}/archive.sqlite3"
    else:
        with postgres_database() as url:
            yield url


@pytest.fixture
def archive(migrated_archive_url: str) -> Iterator[tuple[Engine, sessionmaker[Session]]]:
    """A migrated archive (engine, session factory) on each supported database. It is opened as an
    existing archive is, so the copy is checked to be at the newest revision."""
    engine, factory = open_archive(migrated_archive_url)
    try:
        yield engine, factory
    finally:
        engine.dispose()
