"""The tests' databases: empty ones, and migrated ones copied from a template migrated once per session.

Migrating a database through every Alembic revision costs 0.3-0.5 s of CPU; hundreds of tests want a
migrated archive and none of them tests the migrations, so each pytest process migrates one template
per backend and every such test gets a copy: ``CREATE DATABASE ... TEMPLATE`` on PostgreSQL, a file
copy on SQLite. The templates are built afresh in each session, so a changed migration is always the
one the tests run on. Tests of the migrations themselves take the empty databases.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from storage.db import make_engine, upgrade
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
def postgres_database(*, template: str | None = None, prefix: str = "newsarchive_test") -> Iterator[str]:
    """Create a PostgreSQL database, empty or a copy of the database ``template``; yield its URL; drop it.

    Skips (fails when CI=true) when PostgreSQL is not reachable.
    """
    require_postgres()
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    # The template is copied block by block, not migrated again. PostgreSQL refuses a template that has
    # connections: the template's owner closed them all (postgres_template) and no test connects to it.
    source = f' TEMPLATE "{template}"' if template else ""
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"{source}'))
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _migrate(url: str) -> None:
    engine = make_engine(url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()  # no connection may stay open: a template in use cannot be copied


@contextmanager
def postgres_template() -> Iterator[str]:
    """Create and migrate this process's template database; yield its name; drop it.

    Its name is unique (the pytest-xdist worker, then a random part), so neither the two workers of a
    run nor two runs sharing the server copy or drop each other's template.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    with postgres_database(prefix=f"newsarchive_template_{worker}") as url:
        _migrate(url)
        yield url.rsplit("/", 1)[1]


def sqlite_template(directory: Path) -> Path:
    """Migrate a SQLite archive in ``directory``; return its file, whole in itself (no WAL left)."""
    path = directory / "template.sqlite3"
    _migrate(f"sqlite:///{path}")
    # The last connection closed checkpoints the WAL into the file and deletes it; a copy of the file
    # alone is then the whole archive.
    assert not path.with_name(path.name + "-wal").exists()
    return path


def copy_sqlite(template: Path, path: Path) -> str:
    """Copy the migrated SQLite ``template`` to ``path``; return its archive URL."""
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"
