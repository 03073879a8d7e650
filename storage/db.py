"""Opening the archive (ARCHIVE_DATABASE_URL, SQLite by default), its migrations, retries and upserts."""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from time import monotonic, sleep
from typing import Any, Protocol, TypeVar, cast
from urllib.parse import quote, unquote

from sqlalchemy import Engine, Table, create_engine, event, inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    InterfaceError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.orm import Session, sessionmaker

from storage.safe_text import exception_line
from storage.text import strip_diacritics

DEFAULT_DATABASE_URL = "sqlite:///archive.sqlite3"
MIGRATIONS_DIR = Path(__file__).parent / "migrations"
SUPPORTED_BACKENDS = ("sqlite", "postgresql")
# A database that drops out (a restart, a failover) usually returns within seconds, and a transaction
# PostgreSQL chose as a deadlock victim succeeds when run again: the waits between attempts double from
# RETRY_FIRST_WAIT, never longer than RETRY_MAX_WAIT (a database back after 30 s is used again within
# 5 s), until they have used up the budget. 7.5 s is 0.5 + 1 + 2 + 4: five attempts, what one-off
# callers give a database; a crawl gives it ARCHIVE_RETRY_BUDGET (pipelines/defaults.py, 60 s).
RETRY_FIRST_WAIT = 0.5
RETRY_MAX_WAIT = 5.0
RETRY_BUDGET_SECONDS = 7.5
T = TypeVar("T")
# Alembic says "Will assume non-transactional DDL.", "Context impl ..." and "setup plugin ..." at INFO
# each time the schema is checked, several times per crawl: noise in every log at INFO. Warnings show.
logging.getLogger("alembic.runtime").setLevel(logging.WARNING)


class ArchiveUnavailable(RuntimeError):
    """The archive cannot be opened or is not at the current schema; the message is one clear line."""


def database_url(explicit: str | None = None) -> str:
    """Return the archive URL: the explicit one, then $ARCHIVE_DATABASE_URL, then the SQLite default."""
    return explicit or os.environ.get("ARCHIVE_DATABASE_URL") or DEFAULT_DATABASE_URL


def _normalise_url(url: str) -> str:
    # Users write postgresql://...; SQLAlchemy's default driver for that is psycopg2, which we do not ship.
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets archivists read while a crawl writes; busy_timeout rides out the writer's short locks.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_functions(dbapi_connection: Any, _record: Any) -> None:
    # SQLite's lower() folds ASCII letters only: the filters of storage.search.filters compare authors
    # and categories in these forms (PostgreSQL has lower() and translate() for the same).
    dbapi_connection.create_function("newsarchive_lower", 1, _lower, deterministic=True)
    dbapi_connection.create_function("newsarchive_bare", 1, _bare, deterministic=True)


def _lower(value: str | None) -> str | None:
    return None if value is None else value.lower()


def _bare(value: str | None) -> str | None:
    return None if value is None else strip_diacritics(value).lower()


def _autocommit_driver(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling would BEGIN lazily (DEFERRED); SQLAlchemy begins instead.
    dbapi_connection.isolation_level = None


def _begin_immediate(connection: Any) -> None:
    # A writer takes SQLite's write lock when its transaction begins, not at its first write: a deferred
    # transaction that read first and then found another writer's commit fails at once with "database
    # is locked" (busy_timeout cannot help it); an immediate one waits its turn.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _sqlite_read_only_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA query_only=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _read_only_sqlite_url(parsed: URL) -> URL:
    """Return the URL opening the SQLite file read-only: ``mode=ro``, or ``immutable=1`` when its
    directory cannot be written and no WAL is present (then SQLite could not create the shared-memory
    file a read-only WAL reader needs, and no writer can be at work either)."""
    path = Path(str(parsed.database)).expanduser().resolve()
    options = {"mode": "ro", "uri": "true"}
    if not os.access(path.parent, os.W_OK) and not path.with_name(path.name + "-wal").exists():
        options = {"immutable": "1", "uri": "true"}
    return parsed.set(database=f"file:{quote(str(path))}").update_query_dict(options)


def make_engine(url: str | None = None, *, writer: bool = False, read_only: bool = False) -> Engine:
    """Return an engine for the archive URL. ``writer`` engines begin every SQLite transaction IMMEDIATE
    (several writers share the crawl's archive); ``read_only`` engines cannot write (SQLite ``mode=ro``,
    PostgreSQL ``default_transaction_read_only``). Raises ArchiveUnavailable for a malformed URL or an
    unsupported database."""
    raw = _normalise_url(database_url(url))
    try:
        parsed = make_url(raw)
    except ArgumentError as exc:
        raise ArchiveUnavailable(f"malformed database URL {raw!r}: {exc}") from exc
    backend = parsed.get_backend_name()
    if backend not in SUPPORTED_BACKENDS:
        raise ArchiveUnavailable(
            f"unsupported database {backend!r} in {parsed.render_as_string()!r}: use sqlite:///FILE or "
            "postgresql://USER@HOST/DB"
        )
    if backend == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            parent = Path(parsed.database).expanduser().resolve().parent
            if not parent.is_dir():
                raise ArchiveUnavailable(f"cannot open archive {raw}: directory {parent} does not exist")
            if read_only:
                parsed = _read_only_sqlite_url(parsed)
        engine = create_engine(parsed, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_read_only_pragmas if read_only else _sqlite_pragmas)
        event.listen(engine, "connect", _sqlite_functions)
        if writer:
            event.listen(engine, "connect", _autocommit_driver)
            event.listen(engine, "begin", _begin_immediate)
        return engine
    # A server that vanished without closing its connections (a network cut, a host gone) is noticed by
    # TCP keepalives within ~25 s instead of a query hanging until the kernel gives up (minutes), so
    # the retry policy's budget is what decides how long a crawl waits.
    connect_args: dict[str, Any] = {
        "connect_timeout": 10,
        "keepalives": 1,
        "keepalives_idle": 10,
        "keepalives_interval": 5,
        "keepalives_count": 3,
    }
    if read_only:
        connect_args["options"] = "-c default_transaction_read_only=on"
    try:
        return create_engine(parsed, pool_pre_ping=True, connect_args=connect_args)
    except (ArgumentError, ImportError) as exc:
        raise ArchiveUnavailable(
            f"cannot use database URL {raw!r}: {exception_line(exc, driver=True)}"
        ) from exc


def _shown(engine: Engine) -> str:
    """The archive URL as the user would write it (password hidden; a read-only SQLite file's own path
    rather than the ``file:...?mode=ro`` URI it is opened with)."""
    url = engine.url
    database = url.database or ""
    if url.get_backend_name() == "sqlite" and database.startswith("file:"):
        return f"sqlite:///{unquote(database.removeprefix('file:'))}"
    return url.render_as_string(hide_password=True)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Return the session factory callers use as ``with factory.begin() as session:``."""
    return sessionmaker(engine, expire_on_commit=False)


def _migrations_dir() -> Path:
    """The Alembic scripts as a directory on disk: where they are, or, when the package runs from a
    zipped egg (a Scrapyd node), a copy extracted once per process (Alembic reads real files)."""
    if MIGRATIONS_DIR.is_dir():
        return MIGRATIONS_DIR
    global _EXTRACTED
    if _EXTRACTED is None:
        from importlib import resources

        target = Path(tempfile.mkdtemp(prefix="newsarchive-migrations-"))
        source = resources.files("storage") / "migrations"
        for path in (source, source / "versions"):
            destination = target / path.name if path is not source else target
            destination.mkdir(parents=True, exist_ok=True)
            for entry in path.iterdir():
                if entry.is_file() and entry.name.endswith((".py", ".mako", ".ini")):
                    (destination / entry.name).write_bytes(entry.read_bytes())
        _EXTRACTED = target
    return _EXTRACTED


_EXTRACTED: Path | None = None


def _alembic_config(engine: Engine) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_migrations_dir()))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine) -> None:
    """Bring the archive schema to the newest Alembic revision. Raises ArchiveUnavailable."""
    from alembic import command

    try:
        command.upgrade(_alembic_config(engine), "head")
    except (OperationalError, SQLAlchemyError) as exc:
        raise ArchiveUnavailable(
            f"cannot open archive {_shown(engine)}: {exception_line(exc, driver=True)}"
        ) from exc


def check_current(engine: Engine) -> None:
    """Raise ArchiveUnavailable unless the archive exists and is at the newest schema revision."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic_config(engine)).get_current_head()
    database = engine.url.database
    if database and database.startswith("file:"):  # a read-only URI (see _read_only_sqlite_url)
        database = unquote(database.removeprefix("file:"))
    # Connecting would create an empty SQLite file where the user mistyped a path.
    if (
        engine.dialect.name == "sqlite"
        and database not in (None, "", ":memory:")
        and not Path(str(database)).expanduser().exists()
    ):
        raise ArchiveUnavailable(f"no archive at {_shown(engine)}; run `newsarchive crawl` first")
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
            has_tables = inspect(connection).has_table("articles")
    except SQLAlchemyError as exc:
        raise ArchiveUnavailable(
            f"cannot open archive {_shown(engine)}: {exception_line(exc, driver=True)}"
        ) from exc
    if not has_tables or current is None:
        raise ArchiveUnavailable(f"no archive at {_shown(engine)}; run `newsarchive crawl` first")
    if current != head:
        raise ArchiveUnavailable(
            f"archive {_shown(engine)} is at schema {current}, this version needs {head}; "
            "run `newsarchive migrate`"
        )


def open_archive(
    url: str | None = None, *, create: bool = False, writer: bool = False, read_only: bool = False
) -> tuple[Engine, sessionmaker[Session]]:
    """Open the archive, migrating it when ``create`` is true, else checking it is current; with
    ``read_only`` (not with ``create``) the connections cannot write.

    ``writer``: the caller writes while other writers do (a crawl's components): see make_engine.
    Returns the engine and its session factory. Raises ArchiveUnavailable with a one-line reason.
    """
    engine = make_engine(url, writer=writer, read_only=read_only and not create)
    if create:
        upgrade(engine)
    else:
        check_current(engine)
    return engine, session_factory(engine)


def retry_waits(budget: float = RETRY_BUDGET_SECONDS) -> list[float]:
    """Return the waits in seconds between attempts: doubling from RETRY_FIRST_WAIT up to RETRY_MAX_WAIT,
    the last one cut to what is left of ``budget`` (none for a budget of 0: one attempt only)."""
    waits: list[float] = []
    wait, left = RETRY_FIRST_WAIT, budget
    while left > 0:
        waits.append(min(wait, left))
        left -= waits[-1]
        wait = min(wait * 2, RETRY_MAX_WAIT)
    return waits


def is_retriable(exc: BaseException) -> bool:
    """Whether running the transaction again may succeed: the connection was lost or refused (the
    server restarted, a failover, a network cut: OperationalError, InterfaceError, or any error that
    invalidated its connection), or the database was busy (SQLite's lock, a deadlock victim). Integrity,
    data and programming errors are not: they fail the same way every time."""
    if isinstance(exc, (OperationalError, InterfaceError)):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


# Errors of a database that is up but busy: run again at once, they succeed; no outage.
_BUSY_ERRORS = ("DeadlockDetected", "SerializationFailure", "LockNotAvailable")
_BUSY_MESSAGES = ("database is locked", "database table is locked", "database is busy")


def is_busy(exc: BaseException) -> bool:
    """Whether a retriable error says the database is busy (a deadlock victim, SQLite's lock) rather
    than gone: retried all the same, but no outage (downloads go on)."""
    orig = getattr(exc, "orig", None)
    return type(orig).__name__ in _BUSY_ERRORS or any(m in str(orig) for m in _BUSY_MESSAGES)


class RetryObserver(Protocol):
    """Who hears how retrying goes (pipelines.outage.ArchiveOutage, shared by a crawl's components): its
    ``budget`` is the callers' budget; once ``lost`` is set, callers make one last attempt and no more."""

    budget: float
    lost: str | None

    def failed(self, exc: BaseException) -> None: ...
    def recovered(self) -> None: ...
    def give_up(self, exc: BaseException) -> None: ...


def retrying(
    work: Callable[[], T],
    *,
    budget: float | None = None,
    on_retry: Callable[[DBAPIError, int], None] | None = None,
    outage: RetryObserver | None = None,
) -> T:
    """Return ``work()``, run again after each retriable error (is_retriable: the database dropped out,
    was busy, or made it a deadlock victim) once the next of retry_waits(budget) has passed;
    ``on_retry(error, attempt)`` hears of every failed attempt that is retried. The budget is
    ``outage.budget`` with an ``outage`` (which hears of each failure and success, see RetryObserver),
    else RETRY_BUDGET_SECONDS.

    Raises the last error once the budget is spent (or at once, after one attempt, when the outage is
    already lost), and any other exception at once.
    """
    if budget is None:
        budget = outage.budget if outage is not None else RETRY_BUDGET_SECONDS
    # The budget is time on the clock too: attempts that each take long (a connect timeout) end it early.
    deadline = monotonic() + budget
    for attempt, wait in enumerate(retry_waits(budget), start=1):
        if outage is not None and outage.lost is not None:
            break
        if attempt > 1 and monotonic() >= deadline:
            break
        try:
            result = work()
        except DBAPIError as exc:
            if not is_retriable(exc):
                raise
            if outage is not None and not is_busy(exc):
                outage.failed(exc)
            if on_retry is not None:
                on_retry(exc, attempt)
            sleep(wait)
        else:
            if outage is not None:
                outage.recovered()
            return result
    try:
        result = work()
    except DBAPIError as exc:
        if outage is not None and is_retriable(exc):
            outage.give_up(exc)
        raise
    if outage is not None:
        outage.recovered()
    return result


def run_transaction(
    factory: sessionmaker[Session],
    work: Callable[[Session], T],
    *,
    budget: float | None = None,
    outage: RetryObserver | None = None,
) -> T:
    """Return ``work(session)``, run in a transaction of its own (committed when it returns, rolled back
    when it raises) and retried as ``retrying`` does. Raises what ``retrying`` raises."""

    def attempt() -> T:
        with factory.begin() as session:
            return work(session)

    return retrying(attempt, budget=budget, outage=outage)


def insert_ignoring_conflict(
    session: Session,
    model: type[Any],
    values: dict[str, Any] | list[dict[str, Any]],
    keys: list[str],
    *,
    returning: str | None = None,
) -> list[Any]:
    """INSERT ... ON CONFLICT (keys) DO NOTHING on SQLite and PostgreSQL: the one upsert helper.

    ``values`` is one row or several. Concurrent crawls may race to create the same row; whoever loses
    simply reads the winner's row. Returns the ``returning`` column of the rows inserted (none when
    not asked). One cached statement runs with the rows as parameter sets (SQLAlchemy batches them into
    multi-row INSERTs): a VALUES list built per call was compiled anew every time, which on the crawl's
    discovery writes cost more than the insert itself.
    """
    rows = values if isinstance(values, list) else [values]
    if not rows:
        return []
    table = cast(Table, model.__table__)
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table).on_conflict_do_nothing(index_elements=keys)
    if returning is None:
        session.execute(statement, rows)
        return []
    return list(session.scalars(statement.returning(table.c[returning]), rows))
