"""What the commands on the archive share: --db and filter options, portal and article checks, sessions."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

import click
from sqlalchemy import Engine, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from storage.cli.base import ArgumentProblem, CommandFailed
from storage.db import (
    DEFAULT_DATABASE_URL,
    SUPPORTED_BACKENDS,
    ArchiveUnavailable,
    database_url,
    open_archive,
)
from storage.models import MAX_ID, CaptureStatus, Portal
from storage.search.filters import SearchFilters
from storage.timezone import FIRST_YEAR, LAST_YEAR, day_end, day_start, human_date, human_datetime, parse_day

F = TypeVar("F", bound=Callable[..., Any])

_ASCII_DIGITS = re.compile(r"[0-9]+")


def check_db_url(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Click callback: refuse (exit 2) a --db that is no URL, names an unsupported database or a driver
    that is not installed, before anything connects."""
    url = database_url(value)
    try:
        parsed = make_url(url)
        backend = parsed.get_backend_name()
    except ArgumentError as exc:
        raise click.BadParameter(f"{url!r} is not a database URL ({exc})") from exc
    if parsed.drivername not in ("postgresql", "postgres"):  # those get psycopg (storage.db)
        try:
            parsed.get_dialect()
        except Exception as exc:  # noqa: BLE001 - NoSuchModuleError, ImportError: the driver is unusable
            raise click.BadParameter(f"{url!r}: no database driver {parsed.drivername!r}") from exc
    if backend.split("+")[0] not in (*SUPPORTED_BACKENDS, "postgres"):
        raise click.BadParameter(
            f"{url!r}: unsupported database {backend!r}; use sqlite:///FILE or postgresql://USER@HOST/DB"
        )
    return value


def db_option(function: F) -> F:
    """Add ``--db DBURL`` (default: $ARCHIVE_DATABASE_URL, then storage.db.DEFAULT_DATABASE_URL)."""
    return click.option(
        "--db", "db", metavar="DBURL", default=None, callback=check_db_url,
        help=f"Archive database URL [default: $ARCHIVE_DATABASE_URL, else {DEFAULT_DATABASE_URL}].",
    )(function)  # fmt: skip


class DayType(click.ParamType):
    """A calendar day written YYYY-MM-DD or DD/MM/YYYY (day first, as Vietnamese dates are), in the
    years FIRST_YEAR..LAST_YEAR: --until 9999-12-31 would overflow the day after it, --since 0001-01-01
    the databases' date types."""

    name = "DATE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        try:
            day = parse_day(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            self.fail(f"{str(value).strip()!r} is outside the years {FIRST_YEAR}-{LAST_YEAR}", param, ctx)
        return day


DAY = DayType()
# Longest --author or --category: far above any byline or section name.
LONGEST_NAME = 200
STATUSES = [status.value for status in CaptureStatus]


def filter_options(function: F) -> F:
    """Add the search/export filters: --portal, --since, --until, --language, --status, --author and
    --category."""
    options = [
        click.option("--category", metavar="NAME", default=None,
                     help="Only articles in this category (accents optional: thoi su finds Thời sự)."),
        click.option("--author", metavar="TEXT", default=None,
                     help="Only articles whose author has TEXT (accents optional: duc finds Đức)."),
        click.option(
            "--status", "statuses", multiple=True, type=click.Choice(STATUSES),
            help="Only articles with this status (repeatable) [default: archived].",
        ),
        click.option("--language", "languages", multiple=True, metavar="CODE",
                     help="Only articles in this language, e.g. vi (repeatable)."),
        click.option("--until", type=DAY, default=None, help="Published on or before this day (Vietnam)."),
        click.option("--since", type=DAY, default=None, help="Published on or after this day (Vietnam)."),
        click.option("--portal", "portals", multiple=True, metavar="KEY",
                     help="Only this portal (its key; repeatable)."),
    ]  # fmt: skip
    for option in options:
        function = option(function)
    return function


def build_filters(
    session: Session,
    *,
    portals: tuple[str, ...],
    since: date | None,
    until: date | None,
    languages: tuple[str, ...] = (),
    statuses: tuple[str, ...] = (),
    author: str | None = None,
    category: str | None = None,
    any_status: bool = False,
) -> SearchFilters:
    """Return the SearchFilters of the filter options. Raises ArgumentProblem for an unknown portal,
    --since after --until, or an --author or --category longer than LONGEST_NAME."""
    if since and until and since > until:
        # Days as people write them, whichever way they were typed (the web says the same).
        raise ArgumentProblem(f"--since {human_date(since)} is after --until {human_date(until)}")
    for name, value in (("--author", author), ("--category", category)):
        # A name is short; 100,000 characters failed in the database ("LIKE or GLOB pattern too complex").
        if value and len(value) > LONGEST_NAME:
            raise ArgumentProblem(f"{name} has {len(value):,} characters; at most {LONGEST_NAME} are matched")
    for key in portals:
        check_portal(session, key)
    return SearchFilters(
        portals=portals,
        since=day_start(since) if since else None,
        until=day_end(until) if until else None,
        languages=tuple(code.strip().lower() for code in languages),
        statuses=() if any_status else (statuses or SearchFilters().statuses),
        author=author.strip() or None if author else None,
        category=category.strip() or None if category else None,
    )


def check_portal(session: Session, key: str) -> None:
    """Raise ArgumentProblem (a usage error, exit 2) naming the portals the archive knows unless ``key``
    is one of them."""
    if session.scalar(select(Portal.id).where(Portal.key == key)) is not None:
        return
    known = ", ".join(session.scalars(select(Portal.key).order_by(Portal.key))) or "none"
    raise ArgumentProblem(f"unknown portal {key!r} (known: {known})")


def parse_article_ref(value: str) -> int | str:
    """Return an article id (ASCII digits, at most MAX_ID) or an http(s) URL. Raises ArgumentProblem."""
    text = value.strip()
    if _ASCII_DIGITS.fullmatch(text):
        # Length first: int() refuses strings of over 4,300 digits (a ValueError, not a usage error).
        if len(text.lstrip("0")) > len(str(MAX_ID)) or int(text) > MAX_ID:
            shown = text if len(text) <= 30 else f"{text[:20]}... ({len(text)} digits)"
            raise ArgumentProblem(f"article id {shown} is too large (ids are at most {MAX_ID})")
        return int(text)
    if text.lower().startswith(("http://", "https://")):
        return text
    raise ArgumentProblem(f"{value!r} is not an article id (digits 0-9) or an http(s) URL")


def open_archive_or_fail(
    db: str | None, *, create: bool = False, writer: bool = False
) -> tuple[Engine, sessionmaker[Session]]:
    """Return the engine (the caller disposes it) and session factory of storage.db.open_archive; raise
    CommandFailed (one line, exit 1) when the archive cannot be opened or is not current."""
    try:
        return open_archive(database_url(db), create=create, writer=writer)
    except ArchiveUnavailable as exc:
        raise CommandFailed(str(exc)) from exc


@contextmanager
def archive_session(db: str | None) -> Iterator[Session]:
    """Yield a session on the archive opened read-only; raise CommandFailed (one line) when it cannot be
    used."""
    url = database_url(db)
    _refuse_missing_sqlite_file(url)
    try:
        engine, factory = open_archive(url, create=False, read_only=True)
    except ArchiveUnavailable as exc:
        raise CommandFailed(str(exc)) from exc
    try:
        with factory() as session:
            yield session
    except SQLAlchemyError as exc:
        raise CommandFailed(f"archive query failed: {str(getattr(exc, 'orig', None) or exc)}") from exc
    finally:
        engine.dispose()


def _refuse_missing_sqlite_file(url: str) -> None:
    # Connecting would create an empty file; a read-only command must not leave one behind.
    try:
        parsed = make_url(url)
    except ArgumentError:
        return  # open_archive reports malformed URLs
    database = parsed.database if parsed.get_backend_name() == "sqlite" else None
    if database not in (None, "", ":memory:") and not Path(str(database)).expanduser().is_file():
        raise CommandFailed(f"no archive at {url}: file does not exist; run `newsarchive crawl` first")


def human_time(value: datetime | str | None) -> str:
    """Return an instant (a datetime, or the ISO 8601 text of one) as people read it in a table or a
    report, ``07/12/2026 03:29 (GMT+7)`` (storage.timezone.human_datetime); "" for None or ""."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if value else None
    return human_datetime(value)
