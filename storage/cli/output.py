"""Output options shared by every listing command: a table fitting the terminal, JSON, JSON Lines, CSV.

Use ``@output_options`` on a click command (it adds ``--table/--json/--jsonl/--csv`` as ``output``,
refusing two at once, and ``--no-bom`` as ``no_bom``) and hand the rows to ``emit``. Everything shown
in a terminal is passed through ``terminal_safe``; every CSV cell through ``csv_safe``.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import os
import shutil
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any, TextIO, TypeVar, cast

import click

from storage.cli.base import ArgumentProblem
from storage.safe_text import csv_safe, display_width, json_safe, terminal_safe, truncate
from storage.search.snippets import Highlighted
from storage.timezone import human_datetime, local_iso

F = TypeVar("F", bound=Callable[..., Any])

UTF8_BOM = "\ufeff"
# Width assumed when stdout is not a terminal and $COLUMNS is unset (a pipe, a file, a test runner).
DEFAULT_WIDTH = 120
# A flexible column (title, snippet) is never squeezed below this many columns; narrower than that the
# table is allowed to wrap rather than show nothing useful.
MIN_FLEXIBLE_WIDTH = 12
COLUMN_GAP = "  "
BOLD, RESET = "\x1b[1m", "\x1b[0m"


@dataclass(frozen=True)
class Column:
    """A table column: ``flexible`` columns share whatever width the others leave."""

    name: str
    flexible: bool = False


# The output formats of listing commands, as --help lists them: (flag, value of ``output``, help).
OUTPUT_FORMATS = (
    ("--table", "table", "Output a table fitted to the terminal width (the default)."),
    ("--json", "json", "Output one JSON array."),
    ("--jsonl", "jsonl", "Output one JSON object per line."),
    ("--csv", "csv", "Output CSV (UTF-8 with BOM; cells starting with = + - @ are prefixed with ')."),
)


def output_options(function: F) -> F:
    """Add ``--table`` (default), ``--json``, ``--jsonl``, ``--csv`` and ``--no-bom``: the command gets
    the chosen format as ``output`` (None when none is given) and ``no_bom``. Two formats at once are
    refused with ArgumentProblem (one line naming them, exit 2)."""

    @functools.wraps(function)
    def command(*args: Any, **kwargs: Any) -> Any:
        chosen = [(flag, value) for flag, value, _ in OUTPUT_FORMATS if kwargs.pop(f"output_{value}")]
        if len(chosen) > 1:
            flags = [flag for flag, _ in chosen]
            named = f"{', '.join(flags[:-1])} and {flags[-1]}"
            raise ArgumentProblem(f"{named} conflict: choose one output format")
        kwargs["output"] = chosen[0][1] if chosen else None
        return function(*args, **kwargs)

    command = click.option(
        "--no-bom", "no_bom", is_flag=True,
        help="CSV without the UTF-8 byte-order mark (Excel needs it for Vietnamese; some tools dislike it).",
    )(command)  # fmt: skip
    for flag, value, text in reversed(OUTPUT_FORMATS):
        command = click.option(flag, f"output_{value}", is_flag=True, help=text)(command)
    return cast(F, command)


def terminal_width() -> int:
    """Return the terminal's width in columns ($COLUMNS, else the terminal's, else DEFAULT_WIDTH)."""
    return shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns


def use_bold(stream: IO[str] | None = None) -> bool:
    """Return whether hits may be shown in bold: a terminal, and $NO_COLOR unset."""
    stream = stream or sys.stdout
    return bool(getattr(stream, "isatty", lambda: False)()) and "NO_COLOR" not in os.environ


def _plain(value: Any) -> Any:
    if isinstance(value, Highlighted):
        return value.text
    return value


def _machine(value: Any) -> Any:
    # CSV and JSON keep ISO 8601 (with the +07:00 offset); only tables print dates for people.
    return local_iso(value) if isinstance(value, datetime) else _plain(value)


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):  # people read tables: 07/12/2026 03:29 (GMT+7)
        return human_datetime(value)
    if isinstance(value, list | tuple):
        value = ", ".join(str(item) for item in value)
    return terminal_safe(" ".join(str(value).split()), multiline=False)


def _render_highlighted(value: Highlighted, width: int | None, bold: bool) -> tuple[str, int]:
    """Return the cell text with hits marked (bold, else [brackets]) and its display width."""
    out: list[str] = []
    used = 0
    for raw, hit in value.segments:
        text = terminal_safe(" ".join(raw.split(" ")).replace("\n", " "), multiline=False)
        extra = 0 if bold or not hit else 2
        if width is not None and used + display_width(text) + extra > width:
            room = width - used - extra
            if room > 1:
                text = truncate(text, room)
            else:
                out.append("…")
                used += 1
                break
            if hit:
                out.append(f"{BOLD}{text}{RESET}" if bold else f"[{text}]")
            else:
                out.append(text)
            used += display_width(text) + extra
            break
        out.append((f"{BOLD}{text}{RESET}" if bold else f"[{text}]") if hit else text)
        used += display_width(text) + extra
    return "".join(out), used


def fit_widths(columns: Sequence[Column], natural: list[int], total: int) -> list[int]:
    """Return column widths: fixed columns keep their natural width, flexible ones share what is left
    of ``total`` in proportion to their natural widths (never below MIN_FLEXIBLE_WIDTH)."""
    gaps = len(COLUMN_GAP) * (len(columns) - 1)
    widths = list(natural)
    if sum(widths) + gaps <= total:
        return widths
    flexible = [i for i, column in enumerate(columns) if column.flexible]
    fixed = sum(w for i, w in enumerate(widths) if i not in flexible)
    room = max(total - fixed - gaps, MIN_FLEXIBLE_WIDTH * len(flexible))
    want = sum(natural[i] for i in flexible) or 1
    for i in flexible:
        widths[i] = max(MIN_FLEXIBLE_WIDTH, min(natural[i], room * natural[i] // want))
    # The minimum may have pushed the sum over: take the excess from the widest flexible columns.
    excess = sum(widths[i] for i in flexible) - room
    while excess > 0:
        widest = max(flexible, key=lambda i: widths[i])
        if widths[widest] <= MIN_FLEXIBLE_WIDTH:
            break
        widths[widest] -= 1
        excess -= 1
    return widths


def format_table(
    columns: Sequence[Column], rows: Sequence[Sequence[Any]], *, width: int | None = None, bold: bool = False
) -> str:
    """Return ``rows`` as a table under the column names, cut to fit ``width`` (default: the terminal)."""
    width = width or terminal_width()
    texts = [[_plain(value) for value in row] for row in rows]
    cells = [[_cell_text(value) for value in row] for row in texts]
    natural = [
        max([display_width(column.name), *(display_width(row[i]) for row in cells)])
        for i, column in enumerate(columns)
    ]
    # A highlighted cell is two columns wider per hit when brackets mark the hits.
    for r, row in enumerate(rows):
        for i, value in enumerate(row):
            if isinstance(value, Highlighted) and not bold:
                natural[i] = max(natural[i], display_width(cells[r][i]) + 2 * len(value.spans()))
    widths = fit_widths(columns, natural, width)
    lines = [COLUMN_GAP.join(_pad(c.name, w) for c, w in zip(columns, widths, strict=True)).rstrip()]
    lines.append(COLUMN_GAP.join("-" * w for w in widths))
    for r, row in enumerate(rows):
        parts = []
        for i, value in enumerate(row):
            if isinstance(value, Highlighted):
                text, used = _render_highlighted(value, widths[i], bold)
                parts.append(text + " " * max(0, widths[i] - used))
            else:
                parts.append(_pad(truncate(cells[r][i], widths[i]), widths[i]))
        lines.append(COLUMN_GAP.join(parts).rstrip())
    return "\n".join(lines)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - display_width(text))


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


def json_default(value: Any) -> Any:
    """``json.dumps`` fallback: highlighted text as its plain text, an instant as ISO 8601 in Vietnam
    time."""
    if isinstance(value, Highlighted):
        return value.text
    if isinstance(value, datetime):
        return local_iso(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def write_csv_rows(
    stream: IO[str],
    columns: Sequence[str],
    rows: Iterator[Sequence[Any]] | Sequence[Sequence[Any]],
    *,
    bom: bool,
) -> int:
    """Write a header and the rows as CSV (cells through csv_safe, BOM first when ``bom``); return the count.

    ``stream`` should be opened with ``newline=""``.
    """
    if bom:
        stream.write(UTF8_BOM)
    writer = csv.writer(stream)
    writer.writerow(columns)
    count = 0
    for row in rows:
        writer.writerow([csv_safe(_machine(value)) for value in row])
        count += 1
    return count


def emit(
    items: list[dict[str, Any]],
    output: str | None,
    columns: Sequence[str | Column],
    *,
    bom: bool = True,
    fields: Sequence[str] | None = None,
) -> None:
    """Print ``items`` in the chosen ``output`` format.

    The table shows ``columns`` (a Column with ``flexible=True`` shares the leftover width); JSON, JSON
    Lines and CSV carry ``fields`` (default: the column names), JSON/JSONL every key when ``fields`` is
    empty.
    """
    specs = [column if isinstance(column, Column) else Column(column) for column in columns]
    names = list(fields) if fields is not None else [column.name for column in specs]
    if output in ("json", "jsonl"):
        chosen = [{k: v for k, v in item.items() if not names or k in names} for item in items]
        with utf8_stdout() as stream:
            if output == "json":
                stream.write(
                    json_safe(json.dumps(chosen, ensure_ascii=False, indent=2, default=json_default)) + "\n"
                )
            else:
                for item in chosen:
                    stream.write(json_safe(json.dumps(item, ensure_ascii=False, default=json_default)) + "\n")
    elif output == "csv":
        with utf8_stdout() as stream:
            write_csv_rows(stream, names, ([item.get(name) for name in names] for item in items), bom=bom)
    elif items:
        rows = [[item.get(column.name) for column in specs] for item in items]
        click.echo(format_table(specs, rows, bold=use_bold()))
