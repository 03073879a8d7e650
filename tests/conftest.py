"""Shared fixtures: archives on SQLite and PostgreSQL (PostgreSQL is mandatory when CI=true)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from storage.db import open_archive
from storage.safe_text import exception_line

POSTGRES_ADMIN_URL = os.environ.get(
    "NEWSARCHIVE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _postgres_reachable() -> str | None:
    try:
        engine = create_engine(POSTGRES_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable", reported below
        return exception_line(exc)


def require_postgres() -> None:
    """Skip locally, fail in CI, when PostgreSQL is not reachable."""
    problem = _postgres_reachable()
    if problem is None:
        return
    message = f"PostgreSQL at {POSTGRES_ADMIN_URL} is not reachable: {problem}"
    if os.environ.get("CI") == "true":
        pytest.fail(message + " (CI=true: PostgreSQL tests must run)")
    pytest.skip(message)


@contextmanager
def _postgres_database() -> Iterator[str]:
    """Create a fresh, empty PostgreSQL database; yield its URL; drop it."""
    require_postgres()
    name = f"newsarchive_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    with _postgres_database() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def archive_url(request: pytest.FixtureRequest, tmp_path: object) -> str:
    """An empty archive URL on each supported database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/archive.sqlite3"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def module_archive_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """An empty archive URL on each supported database, shared by the tests of one module: one costly
    crawl into it, several tests reading what it left."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('archive')}/archive.sqlite3"
    else:
        with _postgres_database() as url:
            yield url


@pytest.fixture
def archive(archive_url: str) -> Iterator[tuple[Engine, sessionmaker[Session]]]:
    """A migrated archive (engine, session factory) on each supported database."""
    engine, factory = open_archive(archive_url, create=True)
    try:
        yield engine, factory
    finally:
        engine.dispose()
