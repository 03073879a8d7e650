"""`newsarchive health`: each portal's recent output against its own baseline, with an exit status."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

import click

from storage.cli.base import Command
from storage.cli.common import archive_session, check_portal, db_option
from storage.cli.output import Column, emit, output_options
from storage.health import Thresholds
from storage.safe_text import terminal_safe

# The documented defaults are the thresholds' own (storage.health.Thresholds), not a second copy.
_LIMITS = Thresholds()


class Bounded(click.FloatRange):
    """A number within [low, high], never NaN (which click's FloatRange lets through): --late-hours nan,
    inf or 1e300 were tracebacks from timedelta, and a share of -5 or nan silently never warned."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if math.isnan(number):
            self.fail(f"{value!r} is not a number", param, ctx)
        return number


SHARE = Bounded(0, 1)
# A year of lateness is as late as a schedule gets.
HOURS = Bounded(0, 24 * 366)


@click.command("health", cls=Command)
@click.argument("portal_keys", nargs=-1)
@db_option
@output_options
@click.option("--drop-warning", type=SHARE, default=_LIMITS.drop_warning, show_default=True,
              help="Warn when recent articles/day fall below this share of the baseline.")  # fmt: skip
@click.option("--drop-error", type=SHARE, default=_LIMITS.drop_error, show_default=True,
              help="Error when recent articles/day fall below this share of the baseline.")  # fmt: skip
@click.option("--coverage-drop", type=SHARE, default=_LIMITS.coverage_drop, show_default=True,
              help="Warn when the share with a date, author, title or long body drops so much.")  # fmt: skip
@click.option("--extraction-jump", type=SHARE, default=_LIMITS.extraction_jump, show_default=True,
              help="Error when the extraction failure rate rises this much over the baseline.")  # fmt: skip
@click.option("--fetch-errors", type=SHARE, default=_LIMITS.fetch_errors, show_default=True,
              help="Warn when recent fetch errors exceed this share of captures.")  # fmt: skip
@click.option("--off-language", type=SHARE, default=_LIMITS.off_language, show_default=True,
              help="Warn when recent off-language articles exceed this share.")  # fmt: skip
@click.option("--late-hours", type=HOURS, default=_LIMITS.late.total_seconds() / 3600, show_default=True,
              help="Warn when a scheduled crawl is overdue by more than this many hours.")  # fmt: skip
@click.option("--min-baseline", type=click.IntRange(min=0), default=_LIMITS.min_baseline, show_default=True,
              help="Fewer baseline articles than this: too little history to compare.")  # fmt: skip
def health_command(
    portal_keys: tuple[str, ...],
    db: str | None,
    output: str | None,
    no_bom: bool,
    **limits: Any,
) -> None:
    """Health of each portal (all by default) against its own baseline; exit 0 healthy, 1 warnings, 2 errors.

    Per portal: articles per day over the last 1, 7 and 28 days against the four weeks before the last
    week; shares of recent articles with a date, author, title and a body over 500 characters; fetch
    error, extraction failure and off-language rates; last (successful) run; schedule lateness. Exit 2
    when a portal's last crawl reached nothing or failed, it yields nothing, its output drops far below
    its baseline, or its extraction failures jump (a template change). A portal without history yet is
    healthy when its last crawl archived articles. A usage error (a portal the archive does not know, a
    bad option) exits 2 as well, but prints no report: only its one `error:` line on stderr.

    \b
    Examples:
      newsarchive health
      newsarchive health ninhthuan --json
    """
    from storage.health import all_portal_keys, portal_health

    thresholds = Thresholds(
        drop_warning=limits["drop_warning"], drop_error=limits["drop_error"],
        coverage_drop=limits["coverage_drop"], extraction_jump=limits["extraction_jump"],
        fetch_errors=limits["fetch_errors"], off_language=limits["off_language"],
        late=timedelta(hours=limits["late_hours"]), min_baseline=limits["min_baseline"],
    )  # fmt: skip
    with archive_session(db) as session:
        for key in portal_keys:
            check_portal(session, key)
        keys = list(portal_keys) or all_portal_keys(session)
        reports = [portal_health(session, key, thresholds) for key in keys]
    rows = [
        {
            "portal": report.portal,
            "level": report.level,
            "per_day_1d": round(report.figures.get("articles_per_day", {}).get("1d", 0.0), 2),
            "per_day_7d": round(report.figures.get("articles_per_day", {}).get("7d", 0.0), 2),
            "per_day_28d": round(report.figures.get("articles_per_day", {}).get("28d", 0.0), 2),
            "baseline_per_day": round(report.figures.get("baseline_per_day", 0.0), 2),
            "backlog": _backlog_total(report.figures.get("backlog")),
            "last_successful_run": report.figures.get("last_successful_run"),
            "problems": "; ".join(report.problems),
            "figures": report.figures,
        }
        for report in reports
    ]
    columns: list[str | Column] = [
        "portal",
        "level",
        "per_day_1d",
        "per_day_7d",
        "per_day_28d",
        "baseline_per_day",
        "backlog",
        Column("problems", flexible=True),
    ]
    fields = (
        []  # JSON carries every figure the verdict rests on
        if output in ("json", "jsonl")
        else [key for key in rows[0] if key != "figures"]
        if rows
        else None
    )
    emit(rows, output, columns, bom=not no_bom, fields=fields)
    if output in (None, "table"):  # the table cuts long problems to fit: list them whole below it
        problems = [f"{report.portal} ({report.level}): {p}" for report in reports for p in report.problems]
        if problems:
            click.echo("\n" + "\n".join(terminal_safe(line, multiline=False) for line in problems))
    raise SystemExit(max((report.exit_status for report in reports), default=0))


def _backlog_total(figure: dict[str, Any] | None) -> int:
    """The article URLs the frontier owes the portal (never fetched, failed awaiting a retry)."""
    return int(figure["discovered"]) + int(figure["failed"]) if figure else 0
