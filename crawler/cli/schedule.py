"""Operator commands: `newsarchive schedule set|list|remove|run` and `newsarchive health`."""

from __future__ import annotations

import logging
import signal
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn

import click

from storage.cli.common import ArchivistCommand, ArchivistGroup, db_url_option
from storage.cli.output import Column, emit, output_options
from storage.db import ArchiveUnavailable, database_url, open_archive
from storage.health import Thresholds
from storage.safe_text import terminal_safe


def _fail(message: str, code: int = 1) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    raise SystemExit(code)


def _iso(value: datetime | None) -> str | None:
    from storage.timezone import local_iso

    return local_iso(value)


@click.group("schedule", cls=ArchivistGroup)
def schedule_group() -> None:
    """Recurring crawls of portals: rules held in the archive, run by `newsarchive schedule run`.

    A schedule survives restarts and is shared by every scheduler host on the archive. Portals may also
    declare one in the registry (schedule = { every = "6h" } or { cron = "0 6 * * *" }); a schedule set
    here overrides it. Cron expressions are read in Vietnam time.
    """


@schedule_group.command("set", cls=ArchivistCommand)
@click.argument("portal_key")
@click.option("--every", metavar="DURATION", help="Crawl every DURATION: 30m, 2h, 1d, 1w.")
@click.option("--cron", metavar="EXPR", help='Crawl at the times of a cron expression, e.g. "0 */6 * * *".')
@db_url_option
@click.option("--registry", type=click.Path(dir_okay=False, path_type=Path), help="Portal registry file.")
def schedule_set(
    portal_key: str, every: str | None, cron: str | None, db_url: str | None, registry: Path | None
) -> None:
    """Set (or replace) a portal's recurring crawl.

    \b
    Examples:
      newsarchive schedule set ninhthuan --every 6h
      newsarchive schedule set khanhhoa --cron "30 5,17 * * *"
    """
    from crawler.ops.rules import Rule
    from crawler.portals import RegistryError, load_registry, select_portals
    from storage import schedules
    from storage.models import utcnow

    try:
        rule = Rule.parse(every, cron)
        select_portals([portal_key], load_registry(registry))
    except ValueError as exc:
        _fail(str(exc), 2)
    except RegistryError as exc:
        _fail(str(exc), 2)
    engine, factory = _open(db_url, create=True)
    with factory.begin() as session:
        row = schedules.set_schedule(
            session, portal_key, every=rule.every, cron=rule.cron, first_run=rule.first_run(utcnow())
        )
        due = row.next_run_at
    engine.dispose()
    click.echo(f"{portal_key}: {rule}; next due {_iso(due)}")


@schedule_group.command("remove", cls=ArchivistCommand)
@click.argument("portal_key")
@db_url_option
def schedule_remove(portal_key: str, db_url: str | None) -> None:
    """Remove a portal's recurring crawl (a registry-declared one comes back at the next `schedule run`).

    \b
    Example:
      newsarchive schedule remove ninhthuan
    """
    from storage import schedules

    engine, factory = _open(db_url)
    with factory.begin() as session:
        removed = schedules.remove_schedule(session, portal_key)
    engine.dispose()
    if not removed:
        _fail(f"no schedule for portal {portal_key!r}", 2)
    click.echo(f"{portal_key}: schedule removed")


@schedule_group.command("list", cls=ArchivistCommand)
@db_url_option
@output_options
def schedule_list(db_url: str | None, output: str | None, no_bom: bool) -> None:
    """List schedules: rule, next run, and the last run with its outcome.

    \b
    Example:
      newsarchive schedule list --json
    """
    from crawler.ops.rules import Rule
    from storage import schedules

    engine, factory = _open(db_url)
    with factory() as session:
        rows = [
            {
                "portal": row.portal_key,
                "rule": str(Rule.of(row)),
                "source": row.source,
                "next_run": _iso(row.next_run_at),
                "running_on": row.running_on,
                "last_started": _iso(row.last_started_at),
                "last_finished": _iso(row.last_finished_at),
                "last_status": row.last_status,
                "last_outcome": row.last_outcome,
                "last_run_id": row.last_run_id,
            }
            for row in schedules.schedules(session)
        ]
    engine.dispose()
    if not rows and output in (None, "table"):
        click.echo("no schedules", err=True)
        return
    columns: list[str | Column] = [
        "portal",
        "rule",
        "next_run",
        "last_status",
        Column("last_outcome", flexible=True),
    ]
    emit(rows, output, columns, bom=not no_bom, fields=list(rows[0]) if rows else None)


@schedule_group.command("run", cls=ArchivistCommand)
@click.option(
    "--once", is_flag=True, help="Start every crawl due now, wait for them, exit (1 if one failed)."
)
@click.option(
    "--max-parallel", type=click.IntRange(min=1), default=2, show_default=True, help="Crawls at once."
)
@click.option(
    "--grace", type=click.FloatRange(min=0), default=300, show_default=True,
    help="Seconds running crawls get to finish after SIGTERM before they are interrupted.",
)  # fmt: skip
@click.option(
    "--scrapyd", metavar="URLS",
    help="Dispatch crawls to these Scrapyd nodes (comma-separated, e.g. http://h1:6800,http://h2:6800) "
    "instead of running them here; the archive must be PostgreSQL.",
)  # fmt: skip
@db_url_option
@click.option("--registry", type=click.Path(dir_okay=False, path_type=Path), help="Portal registry file.")
@click.option(
    "--log-dir", type=click.Path(file_okay=False, path_type=Path), help="One log file per local crawl."
)
@click.option(
    "--tick", type=click.FloatRange(min=0.1), default=5.0, show_default=True, help="Seconds between checks."
)
def schedule_run(
    once: bool,
    max_parallel: int,
    grace: float,
    scrapyd: str | None,
    db_url: str | None,
    registry: Path | None,
    log_dir: Path | None,
    tick: float,
) -> None:
    """Run the scheduler: start due crawls, each in its own process (or on a Scrapyd node).

    At most --max-parallel crawls run at once, never two of one portal (leases, across hosts). After a
    downtime each overdue schedule runs once, not once per missed slot. On SIGTERM (or Ctrl-C) it
    starts nothing more and gives running crawls --grace seconds before interrupting them. Logs one
    plain line per event on stdout.

    \b
    Examples:
      newsarchive schedule run --max-parallel 4
      newsarchive schedule run --once
      newsarchive schedule run --scrapyd http://h1:6800,http://h2:6800 --db postgresql://crawler@db/archive
    """
    from crawler.ops.scheduling import Launcher, LocalLauncher, Scheduler
    from crawler.ops.scrapyd import ScrapydLauncher
    from crawler.portals import RegistryError, load_registry

    url = database_url(db_url)
    try:
        portals = list(load_registry(registry).values())
    except RegistryError as exc:
        _fail(str(exc), 2)
    engine, factory = _open(url, create=True)
    launcher: Launcher
    if scrapyd:
        nodes = [node.strip() for node in scrapyd.split(",") if node.strip()]
        if not nodes or not all(node.startswith(("http://", "https://")) for node in nodes):
            _fail(f"--scrapyd expects http(s) node URLs, got {scrapyd!r}", 2)
        if engine.dialect.name != "postgresql":
            _fail("Scrapyd nodes need a shared archive: give a PostgreSQL --db", 2)
        launcher = ScrapydLauncher(nodes, url, str(registry.resolve()) if registry else None)
    else:
        launcher = LocalLauncher(url, registry, log_dir)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(message)s")

    def say(line: str) -> None:
        click.echo(f"{datetime.now().astimezone().isoformat(timespec='seconds')} {line}")
        sys.stdout.flush()

    scheduler = Scheduler(
        factory, launcher, portals=portals, max_parallel=max_parallel, grace=grace, tick=tick, say=say
    )
    signal.signal(signal.SIGTERM, scheduler.stop)
    signal.signal(signal.SIGINT, scheduler.stop)
    mode = "once" if once else "running"
    say(f"scheduler {scheduler.holder} started ({mode}, at most {max_parallel} at once)")
    status = scheduler.run(once=once)
    engine.dispose()
    raise SystemExit(status)


# The documented defaults are the thresholds' own (storage.health.Thresholds), not a second copy.
_LIMITS = Thresholds()


@click.command("health", cls=ArchivistCommand)
@click.argument("portal_keys", nargs=-1)
@db_url_option
@output_options
@click.option("--drop-warning", type=float, default=_LIMITS.drop_warning, show_default=True,
              help="Warn when recent articles/day fall below this share of the baseline.")  # fmt: skip
@click.option("--drop-error", type=float, default=_LIMITS.drop_error, show_default=True,
              help="Error when recent articles/day fall below this share of the baseline.")  # fmt: skip
@click.option("--coverage-drop", type=float, default=_LIMITS.coverage_drop, show_default=True,
              help="Warn when the share with a date, author, title or long body drops so much.")  # fmt: skip
@click.option("--extraction-jump", type=float, default=_LIMITS.extraction_jump, show_default=True,
              help="Error when the extraction failure rate rises this much over the baseline.")  # fmt: skip
@click.option("--fetch-errors", type=float, default=_LIMITS.fetch_errors, show_default=True,
              help="Warn when recent fetch errors exceed this share of captures.")  # fmt: skip
@click.option("--off-language", type=float, default=_LIMITS.off_language, show_default=True,
              help="Warn when recent off-language articles exceed this share.")  # fmt: skip
@click.option("--late-hours", type=float, default=_LIMITS.late.total_seconds() / 3600, show_default=True,
              help="Warn when a scheduled crawl is overdue by more than this many hours.")  # fmt: skip
@click.option("--min-baseline", type=int, default=_LIMITS.min_baseline, show_default=True,
              help="Fewer baseline articles than this: too little history to compare.")  # fmt: skip
def health_command(
    portal_keys: tuple[str, ...],
    db_url: str | None,
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
    healthy when its last crawl archived articles.

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
    engine, factory = _open(db_url)
    with factory() as session:
        keys = list(portal_keys) or all_portal_keys(session)
        reports = [portal_health(session, key, thresholds) for key in keys]
    engine.dispose()
    rows = [
        {
            "portal": report.portal,
            "level": report.level,
            "per_day_1d": round(report.figures.get("articles_per_day", {}).get("1d", 0.0), 2),
            "per_day_7d": round(report.figures.get("articles_per_day", {}).get("7d", 0.0), 2),
            "per_day_28d": round(report.figures.get("articles_per_day", {}).get("28d", 0.0), 2),
            "baseline_per_day": round(report.figures.get("baseline_per_day", 0.0), 2),
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


def _open(db_url: str | None, *, create: bool = False) -> tuple[Any, Any]:
    try:
        return open_archive(database_url(db_url), create=create)
    except ArchiveUnavailable as exc:
        _fail(str(exc))
