"""Archivist commands (export, search, runs; show and cite from storage.cli.article) for `newsarchive`."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import click

from storage.cli.article import cite_command, show_command
from storage.cli.common import (
    MAX_ID,
    ArchiveError,
    ArchivistCommand,
    ArchivistGroup,
    ArgumentProblem,
    archive_session,
    build_filters,
    check_portal,
    db_option,
    filter_options,
    local_day,
)
from storage.cli.output import Column, emit, json_default, output_options, utf8_stdout, write_csv_rows
from storage.export import records
from storage.export.files import UnsafeOutput, write_atomically
from storage.models import RunStatus
from storage.safe_text import json_safe, terminal_safe
from storage.search.engine import SORTS, search_articles
from storage.search.query import SYNTAX_HELP, QueryError
from storage.timezone import local_iso

__all__ = ["cite_command", "db_option", "export_command", "runs_command", "search_command", "show_command"]

# Most results one page may hold: beyond this an archivist wants --csv/--json of an export instead.
MAX_LIMIT = 1000
SEARCH_FIELDS = ["id", "url", "portal", "portal_name", "title", "published_at", "snippet", "score"]
SEARCH_COLUMNS = [Column("id"), Column("published"), Column("portal"), Column("title", flexible=True),
                  Column("snippet", flexible=True)]  # fmt: skip


@click.command("search", cls=ArchivistCommand, epilog="Query syntax: " + SYNTAX_HELP)
@click.argument("query")
@db_option
@output_options
@filter_options
@click.option("--all", "any_status", is_flag=True, help="Any status (duplicates, other languages too).")
@click.option("--sort", type=click.Choice(SORTS), default="relevance", show_default=True,
              help="relevance (ties: newest first) or date (newest first).")  # fmt: skip
@click.option(
    "--limit", type=click.IntRange(1, MAX_LIMIT), default=20, show_default=True, help="Results per page."
)
@click.option(
    "--page", type=click.IntRange(min=1), default=1, show_default=True, help="Which page of results."
)
def search_command(
    query: str, db: str | None, output: str | None, no_bom: bool, sort: str, limit: int, page: int,
    any_status: bool, **filter_values: Any,
) -> None:  # fmt: skip
    """Full-text search of archived articles, best matches first, with the number of matches.

    A match in the title counts more than in the sapo, which counts more than in the body; typed
    diacritics rank exact spellings first ("nồng độ cồn" before "nông đỗ còn"), a query without them
    matches every spelling; words that stand together rank higher.

    \b
    Example:
        newsarchive search "ủy ban nhân dân" --since 2024-01-01 --limit 5
        newsarchive search '"nồng độ cồn" -"quốc lộ"' --portal baohoabinh --json
        newsarchive search 'lũ OR bão' --sort date --page 2 --csv > storms.csv
    """
    with archive_session(db) as session:
        filters = build_filters(session, any_status=any_status, **filter_values)
        try:
            result = search_articles(session, query, filters, limit=limit, page=page, sort=sort)
        except QueryError as exc:
            raise ArgumentProblem(str(exc)) from exc
    items: list[dict[str, Any]] = []
    for hit in result.hits:
        items.append({
            "id": hit.id, "url": hit.url, "portal": hit.portal, "portal_name": hit.portal_name,
            "title": hit.title, "published_at": local_iso(hit.published_at),
            "published": local_day(hit.published_at), "snippet": hit.snippet, "score": round(hit.score, 6),
            "title_highlights": hit.title.spans(), "snippet_highlights": hit.snippet.spans(),
        })  # fmt: skip
    fields = SEARCH_FIELDS + (
        ["title_highlights", "snippet_highlights"] if output in ("json", "jsonl") else []
    )
    emit(items, output, SEARCH_COLUMNS, bom=not no_bom, fields=fields)
    first = (result.page - 1) * result.limit + 1
    if result.total == 0:
        click.echo("no matches", err=True)
    elif not items:
        last = f"page {result.page} is past the last page ({result.pages})"
        click.echo(f"{result.total_text} matches; {last}", err=True)
    else:
        more = f"; next: --page {result.page + 1}" if result.page < result.pages else ""
        of = f" of {result.pages}" if result.exact else ""
        click.echo(
            f"{result.total_text} matches; showing {first}-{first + len(items) - 1} "
            f"(page {result.page}{of}){more}",
            err=True,
        )


@click.command("export", cls=ArchivistCommand)
@db_option
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "warc"]), default="jsonl",
              show_default=True, help="Output format.")  # fmt: skip
@click.option(
    "--all",
    "any_status",
    is_flag=True,
    help="Every status: duplicates, other languages, and captures that failed (fetch or extraction).",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write to FILE atomically (never through a symlink or onto a device); WARC: FILE.warc.gz.",
)
@click.option("--no-bom", "no_bom", is_flag=True, help="CSV without the UTF-8 byte-order mark.")
@filter_options
def export_command(
    db: str | None, fmt: str, any_status: bool, output: Path | None, no_bom: bool, **filter_values: Any
) -> None:
    """Export archived articles, one record per article, as JSONL, CSV, or WARC with a CDXJ index.

    Dates are ISO 8601 in Vietnam time (+07:00). Without --all or --status only articles with status
    "archived" are exported. Every row names the capture its text came from (capture_id), which is
    the WARC-Record-ID suffix and a field of the WARC export, so the two can be joined. CSV is UTF-8
    with a byte-order mark (Excel) unless --no-bom; cells starting with = + - @ tab or CR get a
    leading ' so spreadsheets do not run them as formulas.

    \b
    Example:
        newsarchive export --format csv --portal baohoabinh --since 01/03/2024 -o march.csv
        newsarchive export --format warc -o march.warc.gz --since 2024-03-01
    """
    if fmt == "warc":
        _export_warc(db, any_status, output, filter_values)
        return
    with archive_session(db) as session:
        filters = build_filters(session, any_status=any_status, **filter_values)
        rows = records.iter_export_records(session, filters)
        if output is None:
            with utf8_stdout() as stream:
                _write_records(fmt, rows, stream, bom=not no_bom, terminal=_stdout_is_terminal())
            return
        count = _write_file(output, lambda stream: _write_records(fmt, rows, stream, bom=not no_bom))
    click.echo(f"wrote {count} records to {terminal_safe(str(output), multiline=False)}", err=True)


def _stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def _write_records(fmt: str, rows: Any, stream: IO[str], *, bom: bool, terminal: bool = False) -> int:
    if terminal:  # what reaches a terminal has its control characters shown, not obeyed
        rows = ({k: terminal_safe(v) if isinstance(v, str) else v for k, v in row.items()} for row in rows)
    if fmt == "csv":
        cells = ([row.get(field) for field in records.EXPORT_FIELDS] for row in rows)
        return write_csv_rows(stream, records.EXPORT_FIELDS, cells, bom=bom)
    return records.write_jsonl(rows, stream)


def _write_file(path: Path, write: Any, *, binary: bool = False) -> int:
    try:
        return write_atomically(path, write, binary=binary)
    except UnsafeOutput as exc:
        raise ArgumentProblem(str(exc)) from exc
    except OSError as exc:
        raise ArchiveError(f"cannot write {path}: {exc.strerror or exc}") from exc


def _export_warc(
    db: str | None, any_status: bool, output: Path | None, filter_values: dict[str, Any]
) -> None:
    from storage.export.warc import cdxj_path, write_cdxj, write_warc

    if output is None:
        output = Path(f"newsarchive-{datetime.now(UTC):%Y%m%d%H%M%S}.warc.gz")
    index = cdxj_path(output)
    with archive_session(db) as session:
        filters = build_filters(session, any_status=any_status, **filter_values)
        summary = _write_file(
            output, lambda stream: write_warc(session, filters, stream, db_label=db), binary=True
        )
    _write_file(index, lambda stream: write_cdxj(output, stream))
    click.echo(
        f"wrote {summary} captures to {terminal_safe(str(output), multiline=False)} "
        f"and its index {terminal_safe(str(index), multiline=False)}",
        err=True,
    )


RUN_STATUS_CHOICES = [status.value for status in RunStatus]


def _short_time(value: str | None) -> str:
    # ISO 8601 with its offset, to the second: "2026-11-29T20:31:05+07:00".
    return "" if not value else value[:19] + value[-6:] if len(value) > 25 else value


@click.group("runs", cls=ArchivistGroup, invoke_without_command=True)
@db_option
@output_options
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True, help="Most runs to list.")
@click.option(
    "--portal", "portal", metavar="KEY", help="Only runs that crawled this portal, with its outcome."
)
@click.option("--status", "status", type=click.Choice(RUN_STATUS_CHOICES), help="Only runs in this state.")
@click.pass_context
def runs_command(
    ctx: click.Context, db: str | None, output: str | None, no_bom: bool, limit: int, portal: str | None,
    status: str | None,
) -> None:  # fmt: skip
    """List crawl runs, newest first, with their key stats; `runs show ID` shows one run in full.

    Times are ISO 8601 in Vietnam time with their offset. pages = downloader/response_count; stored,
    duplicate, near_dup, revisits, off_language, failed = archive/* (0 when none). Statuses: running,
    finished, failed (a portal unreachable or yielding nothing), interrupted (SIGINT/SIGTERM), abandoned
    (its heartbeat stopped: killed).

    \b
    Example:
        newsarchive runs --limit 5
        newsarchive runs --portal baoninhthuan --status failed
        newsarchive runs show 42
    """
    if ctx.invoked_subcommand is not None:
        ctx.obj = {"db": db}
        return
    with archive_session(db) as session:
        if portal is not None:
            check_portal(session, portal)
        runs = records.run_summaries(session, limit=limit, portal=portal, status=status)
    columns = ["id", "started_at", "finished_at", "status"]
    columns += ["outcome"] if portal is not None else ["portals"]
    columns += [label for label, _ in records.RUN_STATS]
    if output in (None, "table"):
        for run in runs:
            run["started_at"] = _short_time(run["started_at"])
            run["finished_at"] = _short_time(run["finished_at"])
            if isinstance(run["elapsed_s"], float):
                run["elapsed_s"] = round(run["elapsed_s"], 1)
        if not runs:
            click.echo("no crawl runs", err=True)
    emit(runs, output, [Column(c, flexible=c == "portals") for c in columns], bom=not no_bom,
         fields=[] if output in ("json", "jsonl") else None)  # fmt: skip


@runs_command.command("show", cls=ArchivistCommand)
@click.argument("run_id", type=click.IntRange(1, MAX_ID))
@db_option
@click.option("--json", "as_json", is_flag=True, help="Output one JSON object.")
@click.pass_context
def runs_show_command(ctx: click.Context, run_id: int, db: str | None, as_json: bool) -> None:
    """Show one crawl run in full: status and finish reason, where it ran, each portal's outcome and
    every stat the crawl recorded.

    \b
    Example:
        newsarchive runs show 42
        newsarchive runs show 42 --json --db postgresql://archive@db/news
    """
    if ctx.get_parameter_source("db") is click.core.ParameterSource.DEFAULT and ctx.obj:
        db = ctx.obj["db"]  # `runs --db URL show ID`
    with archive_session(db) as session:
        details = records.run_details(session, run_id)
    if details is None:
        raise ArchiveError(f"no crawl run {run_id}")
    if as_json:
        with utf8_stdout() as stream:
            stream.write(json_safe(json.dumps(details, ensure_ascii=False, indent=2, default=json_default)))
            stream.write("\n")
        return
    lines = [
        ("run", details["id"]), ("status", details["status"]), ("finish reason", details["finish_reason"]),
        ("started", details["started_at"]), ("finished", details["finished_at"]),
        ("heartbeat", details["heartbeat_at"]),
        ("ran on", " ".join(f"{k}={v}" for k, v in (("host", details["host"]), ("pid", details["pid"]),
                            ("node", details["node"]), ("job", details["job_id"])) if v is not None)),
    ]  # fmt: skip
    for key in details["portals"] or sorted(details["outcomes"]):
        outcome = details["outcomes"].get(key)
        if isinstance(outcome, dict):
            figures = ", ".join(f"{k} {v}" for k, v in outcome.items() if k != "outcome")
            lines.append(
                (f"portal {key}", f"{outcome.get('outcome')}" + (f" ({figures})" if figures else ""))
            )
        else:
            lines.append((f"portal {key}", "no outcome recorded"))
    lines += [(key, value) for key, value in details["stats"].items()]
    width = max(len(label) for label, _ in lines)
    with utf8_stdout() as stream:
        for label, value in lines:
            text = "" if value is None else str(value)
            stream.write(f"{label.ljust(width)}  {terminal_safe(text, multiline=False)}\n")
