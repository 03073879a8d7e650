"""The tests' databases: empty ones, and migrated ones copied from a template migrated once per session.

Migrating a database through every Alembic revision costs 0.3-0.5 s of CPU; hundreds of tests want a
migrated archive and none of them tests the migrations, so each pytest process migrates one template
per backend and every such test gets a copy: ``CREATE DATABASE ... TEMPLATE`` on PostgreSQL, a file
copy on SQLite. The templates are built afresh in each session, so a changed migration is always the
one the tests run on. Tests of the migrations themselves take the empty databases.

Even a copy costs 0.3-0.45 s on PostgreSQL (CREATE DATABASE writes and syncs every block of the
template, DROP syncs again): with ~240 such tests, a third of the fast suite's time. So each pytest
process keeps one copy (RecycledPostgres) and, after each test, empties the tables the test wrote to
and restores the rest of what a fresh copy would have; a test that changed the schema gets a new copy.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url

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


def database_url(name: str) -> str:
    """The URL of the PostgreSQL database ``name`` on the tests' server."""
    return make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


@contextmanager
def postgres_database(*, prefix: str = "newsarchive_test") -> Iterator[str]:
    """Create an empty PostgreSQL database; yield its URL; drop it.

    Skips (fails when CI=true) when PostgreSQL is not reachable.
    """
    require_postgres()
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield database_url(name)
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


# Everything in the archive's schema a test could add, drop or alter, in one digest: relations with
# their kind and columns, constraints, triggers, functions, and the Alembic revision. Equal digests
# mean the schema is still the migrated one and emptying the tables restores a fresh copy.
_SCHEMA_DIGEST_SQL = """
SELECT string_agg(item, E'\\n' ORDER BY item) FROM (
  SELECT 'rel ' || c.relname || ' ' || c.relkind::text || ' ' ||
         coalesce((SELECT string_agg(a.attname || ':' || format_type(a.atttypid, a.atttypmod), ','
                                     ORDER BY a.attnum)
                   FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
                  '') AS item
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
  UNION ALL
  SELECT 'con ' || conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid)
  FROM pg_constraint WHERE connamespace = 'public'::regnamespace
  UNION ALL
  SELECT 'trg ' || tgrelid::regclass::text || ' ' || tgname FROM pg_trigger WHERE NOT tgisinternal
  UNION ALL
  SELECT 'fn ' || p.oid::regprocedure::text || ' ' || md5(p.prosrc)
  FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace
  UNION ALL
  SELECT 'ext ' || extname FROM pg_extension
  UNION ALL
  SELECT 'alembic ' || version_num FROM alembic_version
) AS items
"""


# The archive's tables with pages in their heap: written to since the copy was made, or seeded by
# a migration (dedup_lock's one row).
_WRITTEN_SQL = """
SELECT quote_ident(tablename) FROM pg_tables
WHERE schemaname = 'public' AND tablename <> 'alembic_version'
  AND pg_relation_size(format('%I.%I', schemaname, tablename)::regclass) > 0
"""
_SEQUENCES_SQL = """
SELECT format('%I.%I', schemaname, sequencename), coalesce(last_value, start_value), last_value IS NOT NULL
FROM pg_sequences WHERE schemaname = 'public'
"""


def _schema_digest(connection: Connection) -> str:
    listing = connection.execute(text(_SCHEMA_DIGEST_SQL)).scalar_one()
    return hashlib.sha256((listing or "").encode()).hexdigest()


@dataclass(frozen=True)
class _FreshState:
    """What a fresh copy holds besides its schema: the rows migrations seeded, the sequences' places."""

    digest: str
    seeded: dict[str, str]  # table -> its rows as a JSON array
    sequences: tuple[tuple[str, int, bool], ...]


def _fresh_state(connection: Connection) -> _FreshState:
    seeded = {
        table: connection.execute(
            text(f"SELECT coalesce(json_agg(t), '[]')::text FROM {table} AS t")
        ).scalar_one()
        for table in connection.execute(text(_WRITTEN_SQL)).scalars()
    }
    sequences = tuple((str(n), int(v), bool(c)) for n, v, c in connection.execute(text(_SEQUENCES_SQL)))
    return _FreshState(_schema_digest(connection), seeded, sequences)


class RecycledPostgres:
    """One copy of the migrated template per pytest process, handed to one test at a time.

    ``checkout`` yields the copy's URL; afterwards the copy is reset: the test's leftover connections
    are closed, the tables it wrote to are truncated (which also gives the planner back a fresh copy's
    empty, never-analysed tables) and the migrations' seeded rows put back, sequences return to where
    the fresh copy had them and gathered column statistics are dropped. When the schema digest differs
    from the fresh copy's, or anything in the reset fails, the copy is dropped and the next test gets a
    new one: no test sees another test's database.
    """

    def __init__(self, template: str) -> None:
        self._template = template
        self._admin: Engine = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
        self._name: str | None = None
        self._fresh: _FreshState | None = None

    def _create(self) -> str:
        name = f"newsarchive_test_{uuid.uuid4().hex[:12]}"
        # The template is copied block by block, not migrated again. PostgreSQL refuses a template that
        # has connections: the template's owner closed them all (postgres_template), no test opens one.
        with self._admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{self._template}"'))
        self._name = name
        engine = create_engine(database_url(name))
        try:
            with engine.connect() as connection:
                self._fresh = _fresh_state(connection)
        finally:
            engine.dispose()
        return name

    def _drop(self) -> None:
        name, self._name = self._name, None
        if name is not None:
            with self._admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    @contextmanager
    def checkout(self) -> Iterator[str]:
        name = self._name or self._create()
        try:
            yield database_url(name)
        finally:
            if not self._reset(name):
                self._drop()

    def _reset(self, name: str) -> bool:
        """Bring the copy back to a fresh copy's state; False when only a new copy can."""
        fresh = self._fresh
        if fresh is None:
            return False
        engine = create_engine(database_url(name))
        try:
            with engine.begin() as connection:
                # A test's engine left open (or a server thread still running) would hold locks that
                # TRUNCATE waits for; a fresh copy has no other sessions either.
                connection.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                )
                if _schema_digest(connection) != fresh.digest:
                    return False
                # Heap pages, not rows: a table whose rows the test deleted again is truncated too.
                written = set(connection.execute(text(_WRITTEN_SQL)).scalars()) | set(fresh.seeded)
                if written:
                    connection.execute(text(f"TRUNCATE {', '.join(sorted(written))} CASCADE"))
                for table, rows in fresh.seeded.items():
                    connection.execute(
                        text(
                            f"INSERT INTO {table} SELECT * FROM json_populate_recordset(NULL::{table}, :rows)"
                        ),
                        {"rows": rows},
                    )
                for sequence, value, called in fresh.sequences:
                    connection.execute(
                        text("SELECT setval(:sequence, :value, :called)"),
                        {"sequence": sequence, "value": value, "called": called},
                    )
                # ANALYZE's statistics outlive TRUNCATE; a fresh copy has none (superuser only:
                # without the right, the reset fails and a new copy is made).
                connection.execute(
                    text(
                        "DELETE FROM pg_statistic WHERE starelid IN"
                        " (SELECT oid FROM pg_class WHERE relnamespace = 'public'::regnamespace)"
                    )
                )
            return True
        except Exception:  # noqa: BLE001 - any failure to reset is answered by a new copy
            return False
        finally:
            engine.dispose()

    def close(self) -> None:
        try:
            self._drop()
        finally:
            self._admin.dispose()

    def __enter__(self) -> RecycledPostgres:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
