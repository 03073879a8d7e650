"""`newsarchive export`: archived articles as JSON Lines, CSV, or WARC with its CDXJ index."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import click

from storage.cli.base import ArgumentProblem, Command, CommandFailed
from storage.cli.common import archive_session, build_filters, db_option, filter_options
from storage.cli.output import utf8_stdout, write_csv_rows
from storage.export import records
from storage.export.files import UnsafeOutput, write_atomically
from storage.safe_text import terminal_safe


@click.command("export", cls=Command)
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
        newsarchive export --format csv --portal khanhhoa --since 01/03/2024 -o march.csv
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
        raise CommandFailed(f"cannot write {path}: {exc.strerror or exc}") from exc


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
