"""Archivist commands (export, search, show, runs) that crawler.cli registers on the `newsarchive` group."""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any, TextIO, TypeVar

import click
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session

from storage import export as records
from storage.db import ArchiveUnavailable, database_url, open_archive
from storage.models import Portal
from storage.search import search_articles

F = TypeVar("F", bound=Callable[..., Any])

# Widest a table cell may be before it is cut with "…"; picked so a search row fits a 200-column terminal.
TABLE_WIDTHS = {"title": 50, "snippet": 90, "portals": 30}


class ArchiveError(click.ClickException):
    """A failure shown to the archivist as one line, ``error: ...``, with exit status 1."""

    def show(self, file: IO[Any] | None = None) -> None:
        message = " ".join(self.format_message().split())
        click.echo(f"error: {message}", file=file, err=True)


# --- shared options -------------------------------------------------------------------------------


def db_option(function: F) -> F:
    """Add ``--db DBURL`` (default: $ARCHIVE_DATABASE_URL, then sqlite:///archive.sqlite3)."""
    return click.option(
        "--db",
        "db",
        metavar="DBURL",
        default=None,
        help="Archive database URL [default: $ARCHIVE_DATABASE_URL, else sqlite:///archive.sqlite3].",
    )(function)


def output_options(function: F) -> F:
    """Add the shared output switches ``--table`` (default), ``--json`` and ``--csv`` as ``output``."""
    for flag, value, text in (
        ("--csv", "csv", "Output CSV with a header row."),
        ("--json", "json", "Output one JSON array."),
        ("--table", "table", "Output a readable table (the default)."),
    ):
        function = click.option(flag, "output", flag_value=value, help=text)(function)
    return function


def filter_options(function: F) -> F:
    """Add ``--portal``, ``--since`` and ``--until`` (dates YYYY-MM-DD or DD/MM/YYYY, Vietnam time)."""
    function = click.option(
        "--until", type=_DAY, default=None, help="Published on or before this day (inclusive)."
    )(function)
    function = click.option("--since", type=_DAY, default=None, help="Published on or after this day.")(
        function
    )
    return click.option("--portal", metavar="KEY", default=None, help="Only this portal (its key).")(function)


class DayType(click.ParamType):
    """A calendar day written YYYY-MM-DD or DD/MM/YYYY (day first, as Vietnamese dates are)."""

    name = "DATE"
    _ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
    _VI = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        text = str(value).strip()
        try:
            if match := self._ISO.fullmatch(text):
                return date(int(match[1]), int(match[2]), int(match[3]))
            if match := self._VI.fullmatch(text):
                return date(int(match[3]), int(match[2]), int(match[1]))
        except ValueError as exc:
            self.fail(f"{text!r} is not a real date ({exc})", param, ctx)
        self.fail(f"{text!r} is not a date; use YYYY-MM-DD or DD/MM/YYYY", param, ctx)


_DAY = DayType()


@contextmanager
def archive_session(db: str | None) -> Iterator[Session]:
    """Yield a read-only session on the archive; raise ArchiveError (one line) when it cannot be used."""
    url = database_url(db)
    _refuse_missing_sqlite_file(url)
    try:
        engine, factory = open_archive(url, create=False)
    except ArchiveUnavailable as exc:
        raise ArchiveError(str(exc)) from exc
    try:
        with factory() as session:
            yield session
    except SQLAlchemyError as exc:
        raise ArchiveError(f"archive query failed: {str(getattr(exc, 'orig', None) or exc)}") from exc
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
        raise ArchiveError(f"no archive at {url}: file does not exist; run `newsarchive crawl` first")


def _check_portal(session: Session, key: str | None) -> None:
    if key is None or session.scalar(select(Portal.id).where(Portal.key == key)) is not None:
        return
    known = ", ".join(session.scalars(select(Portal.key).order_by(Portal.key))) or "none"
    raise ArchiveError(f"unknown portal {key!r} (known: {known})")


def _bounds(since: date | None, until: date | None) -> tuple[datetime | None, datetime | None]:
    if since and until and since > until:
        raise click.BadParameter(f"--since {since} is after --until {until}", param_hint="--since")
    return (records.day_start(since) if since else None, records.day_end(until) if until else None)


# --- output ---------------------------------------------------------------------------------------


def _cell(value: Any, width: int | None) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        value = ", ".join(str(item) for item in value)
    text = " ".join(str(value).split())
    if width is not None and len(text) > width:
        return text[: width - 1] + "…"
    return text


def format_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Return ``rows`` as a plain-text table under ``headers`` (long cells cut per TABLE_WIDTHS)."""
    cells = [[_cell(value, TABLE_WIDTHS.get(header)) for header, value in zip(headers, row, strict=True)]
             for row in rows]  # fmt: skip
    widths = [max([len(header), *(len(row[i]) for row in cells)]) for i, header in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines.extend("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells)
    return "\n".join(lines)


@contextmanager
def utf8_stdout() -> Iterator[TextIO]:
    """Yield stdout as UTF-8 text without newline translation (for JSONL and CSV), whatever the locale."""
    sys.stdout.flush()
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:
        yield sys.stdout
        return
    stream = io.TextIOWrapper(buffer, encoding="utf-8", newline="")
    try:
        yield stream
    finally:
        stream.flush()
        stream.detach()


def emit(items: list[dict[str, Any]], output: str | None, columns: Sequence[str]) -> None:
    """Print ``items`` as a table of ``columns`` (default), a JSON array, or CSV."""
    if output == "json":
        click.echo(json.dumps(items, ensure_ascii=False, indent=2))
    elif output == "csv":
        with utf8_stdout() as stream:
            writer = csv.writer(stream)
            writer.writerow(columns)
            writer.writerows([records.csv_cell(item.get(column)) for column in columns] for item in items)
    elif items:
        click.echo(format_table(columns, [[item.get(column) for column in columns] for item in items]))


# --- commands -------------------------------------------------------------------------------------


@click.command("export")
@db_option
@click.option(
    "--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True,
    help="Output format.",
)  # fmt: skip
@click.option(
    "--all", "include_all", is_flag=True,
    help="Also duplicates, other languages, and captures that failed (fetch or extraction).",
)  # fmt: skip
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, writable=True, path_type=Path), default=None,
    help="Write to FILE (atomically) instead of stdout.",
)  # fmt: skip
@filter_options
def export_command(
    db: str | None,
    fmt: str,
    include_all: bool,
    output: Path | None,
    portal: str | None,
    since: date | None,
    until: date | None,
) -> None:
    """Export archived articles, one record per article, as JSONL or CSV.

    Dates are ISO 8601 in Vietnam time (+07:00). Without --all only articles with status
    "archived" are exported.

    \b
    Example:
        newsarchive export --format csv --portal baohoabinh --since 01/03/2024 -o march.csv
    """
    start, end = _bounds(since, until)
    write = records.write_jsonl if fmt == "jsonl" else records.write_csv
    with archive_session(db) as session:
        _check_portal(session, portal)
        rows = records.iter_export_records(
            session, include_all=include_all, portal=portal, since=start, until=end
        )
        if output is None:
            with utf8_stdout() as stream:
                write(rows, stream)
            return
        try:
            count = records.write_atomically(output, lambda stream: write(rows, stream))
        except OSError as exc:
            raise ArchiveError(f"cannot write {output}: {exc.strerror or exc}") from exc
    click.echo(f"wrote {count} records to {output}", err=True)


@click.command("search")
@click.argument("query")
@db_option
@output_options
@filter_options
@click.option(
    "--limit", type=click.IntRange(min=1), default=20, show_default=True, help="Most results to show."
)
@click.option(
    "--all", "include_all", is_flag=True, help="Also search duplicates and other-language articles."
)
def search_command(
    query: str,
    db: str | None,
    output: str | None,
    portal: str | None,
    since: date | None,
    until: date | None,
    limit: int,
    include_all: bool,
) -> None:
    """Full-text search of archived articles, best matches first.

    Every word must match; "quoted words" match as a phrase. On SQLite diacritics are optional
    (hoa finds hòa); on PostgreSQL type them.

    \b
    Example:
        newsarchive search "ủy ban nhân dân" --since 2024-01-01 --limit 5
        newsarchive search 'hoa binh' --portal baohoabinh --json
    """
    start, end = _bounds(since, until)
    with archive_session(db) as session:
        _check_portal(session, portal)
        hits = search_articles(
            session, query, portal=portal, since=start, until=end, limit=limit, include_all=include_all
        )
    items: list[dict[str, Any]] = [
        {
            "id": hit.id,
            "url": hit.url,
            "portal": hit.portal,
            "title": hit.title,
            "published_at": records.local_iso(hit.published_at),
            "snippet": hit.snippet,
            "score": hit.score,
        }
        for hit in hits
    ]
    if output in (None, "table"):
        for item in items:
            item["published"] = (item["published_at"] or "")[:10]
        emit(items, output, ["id", "published", "portal", "title", "snippet"])
        if not items:
            click.echo("no matches", err=True)
    else:
        emit(items, output, ["id", "url", "portal", "title", "published_at", "snippet", "score"])


@click.command("show")
@click.argument("id_or_url")
@db_option
@click.option("--json", "as_json", is_flag=True, help="Output one JSON object.")
def show_command(id_or_url: str, db: str | None, as_json: bool) -> None:
    """Show one article with its provenance: captures, versions, cluster copies, then its text.

    ID_OR_URL is the article id, its URL or its canonical URL.

    \b
    Example:
        newsarchive show 1234
        newsarchive show https://baohoabinh.com.vn/thoi-su/abc-123.htm --json
    """
    with archive_session(db) as session:
        article = records.find_article(session, id_or_url)
        if article is None:
            capture = (
                None if id_or_url.strip().isdigit() else records.article_less_capture(session, id_or_url)
            )
            if capture is not None:
                raise ArchiveError(
                    f"no article for {id_or_url}: capture {capture.id} is {capture.status}"
                    + (f" ({capture.reason})" if capture.reason else "")
                )
            raise ArchiveError(f"no article with id or URL {id_or_url!r}")
        details = records.article_details(session, article)
    if as_json:
        click.echo(json.dumps(details, ensure_ascii=False, indent=2))
    else:
        click.echo(format_article(details))


def format_article(details: dict[str, Any]) -> str:
    """Return the readable provenance-then-text view of an article_details() dict."""
    d = details
    status = d["status"] + (f" ({d['reason']})" if d["reason"] else "")
    published = d["published_at"] or "unknown"
    if d["date_raw"] or d["date_source"]:
        published += f"  (raw {d['date_raw']!r} from {d['date_source'] or '?'})"
    lines = [
        f"article {d['id']}",
        f"  portal:        {d['portal'] or ''}",
        f"  url:           {d['url']}",
        f"  canonical url: {d['canonical_url']}",
        f"  status:        {status}",
        f"  published:     {published}",
        f"  updated:       {d['updated_at'] or ''}",
    ]
    if d["date_warnings"]:
        lines.append(f"  date warnings: {'; '.join(d['date_warnings'])}")
    lines += [
        f"  author:        {d['author'] or ''}",
        f"  language:      {d['language']} ({d['language_confidence']:.2f})",
        f"  content hash:  {d['content_hash']}",
        f"  captured:      first {d['first_captured_at']}, latest {d['captured_at']}",
        f"  version:       {d['version']}",
    ]
    if d["duplicate_of"] is not None:
        lines.append(f"  duplicate of:  article {d['duplicate_of']}")
    lines.append("versions:")
    for v in d["versions"]:
        lines.append(
            f"  v{v['version']}  captured {v['captured_at']}  hash {v['content_hash'][:12]}"
            f"  capture {v['capture_id']}  {_cell(v['title'], 60)}"
        )
    lines.append("captures:")
    for c in d["captures"]:
        lines.append(
            f"  #{c['id']}  fetched {c['fetched_at']}  last {c['last_fetched_at']}  x{c['fetch_count']}"
            f"  HTTP {c['http_status']}  via {c['discovered_via'] or '?'}  sha256 {c['body_sha256'][:16]}"
            f"  {c['size']} bytes"
        )
    cluster = d["cluster"]
    if cluster is not None:
        origin = " (this article is the origin)" if cluster["is_origin"] else ""
        lines.append(f"cluster {cluster['id']}{origin}:")
        for other in cluster["others"]:
            mark = "  [origin]" if other["origin"] else ""
            lines.append(f"  #{other['id']}  {other['portal'] or ''}  {other['published_at'] or ''}  "
                         f"{other['url']}{mark}")  # fmt: skip
    lines += ["", d["title"] or "(no title)", ""]
    if d["sapo"]:
        lines += [d["sapo"], ""]
    lines.append(d["text"])
    return "\n".join(lines)


@click.command("runs")
@db_option
@output_options
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True, help="Most runs to list.")
def runs_command(db: str | None, output: str | None, limit: int) -> None:
    """List crawl runs, newest first, with their key stats.

    pages = downloader/response_count; stored, duplicate, off_language, failed = archive/*.

    \b
    Example:
        newsarchive runs --limit 5
        newsarchive runs --json
    """
    with archive_session(db) as session:
        runs = records.run_summaries(session, limit=limit)
    columns = [
        "id",
        "started_at",
        "finished_at",
        "status",
        "portals",
        *(label for label, _ in records.RUN_STATS),
    ]
    if output in (None, "table"):
        for run in runs:
            run["started_at"] = (run["started_at"] or "")[:19]
            run["finished_at"] = (run["finished_at"] or "")[:19]
            if isinstance(run["elapsed_s"], float):
                run["elapsed_s"] = round(run["elapsed_s"], 1)
        if not runs:
            click.echo("no crawl runs", err=True)
    emit(runs, output, columns if output != "json" else [])
