"""`newsarchive schedule set|list|remove|run`: recurring crawls, and the scheduler that starts them."""

from __future__ import annotations

import logging
import os
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from storage.cli.base import ArgumentProblem, CommandGroup
from storage.cli.common import db_option, open_archive_or_fail
from storage.cli.output import Column, emit, output_options
from storage.db import database_url
from storage.timezone import human_datetime, local_iso


class _VietnamTimeFormatter(logging.Formatter):
    """Log lines stamped like the scheduler's own: ISO 8601 in Vietnam time, to the second."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        return str(local_iso(datetime.fromtimestamp(int(record.created), UTC)))


def _check_log_dir(log_dir: Path) -> None:
    """Raise ArgumentProblem (one line) unless the crawls' log files can be written under ``log_dir``;
    the directory itself is made when the first crawl starts."""
    target = log_dir.expanduser().resolve()
    existing = next(path for path in (target, *target.parents) if path.exists())
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        reason = f"{existing} is not a writable directory"
        raise ArgumentProblem(f"--log-dir {log_dir}: cannot write log files there ({reason})")


@click.group("schedule", cls=CommandGroup)
def schedule_group() -> None:
    """Recurring crawls of portals: rules held in the archive, run by `newsarchive schedule run`.

    A schedule survives restarts and is shared by every scheduler host on the archive. Portals may also
    declare one in the registry (schedule = { every = "6h" } or { cron = "0 6 * * *" }); a schedule set
    here overrides it. Cron expressions are read in Vietnam time.
    """


@schedule_group.command("set")
@click.argument("portal_key")
@click.option("--every", metavar="DURATION", help="Crawl every DURATION: 30m, 2h, 1d, 1w.")
@click.option("--cron", metavar="EXPR", help='Crawl at the times of a cron expression, e.g. "0 */6 * * *".')
@db_option
@click.option("--registry", type=click.Path(dir_okay=False, path_type=Path), help="Portal registry file.")
def schedule_set(
    portal_key: str, every: str | None, cron: str | None, db: str | None, registry: Path | None
) -> None:
    """Set (or replace) a portal's recurring crawl.

    \b
    Examples:
      newsarchive schedule set ninhthuan --every 6h
      newsarchive schedule set khanhhoa --cron "30 5,17 * * *"
    """
    from crawler.ops.rules import Rule
    from crawler.portals import load_registry, select_portals
    from storage import schedules
    from storage.models import utcnow

    try:
        rule = Rule.parse(every, cron)
        select_portals([portal_key], load_registry(registry))
    except ValueError as exc:  # a bad rule, or a RegistryError (unknown portal, unreadable registry)
        raise ArgumentProblem(str(exc)) from exc
    engine, factory = open_archive_or_fail(db, create=True)
    with factory.begin() as session:
        row = schedules.set_schedule(
            session, portal_key, every=rule.every, cron=rule.cron, first_run=rule.first_run(utcnow())
        )
        due = row.next_run_at
    engine.dispose()
    # For a person, like `schedule list`: 07/12/2026 09:58 (GMT+7), not ISO with microseconds.
    click.echo(f"{portal_key}: {rule}; next due {human_datetime(due)}")


@schedule_group.command("remove")
@click.argument("portal_key")
@db_option
def schedule_remove(portal_key: str, db: str | None) -> None:
    """Remove a portal's recurring crawl (a registry-declared one comes back at the next `schedule run`).

    \b
    Example:
      newsarchive schedule remove ninhthuan
    """
    from storage import schedules

    engine, factory = open_archive_or_fail(db)
    with factory.begin() as session:
        removed = schedules.remove_schedule(session, portal_key)
    engine.dispose()
    if not removed:
        raise ArgumentProblem(f"no schedule for portal {portal_key!r}")
    click.echo(f"{portal_key}: schedule removed")


@schedule_group.command("list")
@db_option
@output_options
def schedule_list(db: str | None, output: str | None, no_bom: bool) -> None:
    """List schedules: rule, next run, and the last run with its outcome.

    \b
    Example:
      newsarchive schedule list --json
    """
    from crawler.ops.rules import Rule
    from storage import schedules

    engine, factory = open_archive_or_fail(db)
    with factory() as session:
        rows = [
            {
                "portal": row.portal_key,
                "rule": str(Rule.of(row)),
                "source": row.source,
                "next_run": row.next_run_at,
                "running_on": row.running_on,
                "last_started": row.last_started_at,
                "last_finished": row.last_finished_at,
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


@schedule_group.command("run")
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
@db_option
@click.option("--registry", type=click.Path(dir_okay=False, path_type=Path), help="Portal registry file.")
@click.option(
    "--log-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=lambda: os.environ.get("NEWSARCHIVE_LOG_DIR", "logs"),
    show_default="$NEWSARCHIVE_LOG_DIR, else logs",
    help="Directory of the local crawls' logs: one file per run (its progress, Scrapy's log, its summary).",
)
@click.option(
    "--tick", type=click.FloatRange(min=0.1), default=5.0, show_default=True, help="Seconds between checks."
)
def schedule_run(
    once: bool,
    max_parallel: int,
    grace: float,
    scrapyd: str | None,
    db: str | None,
    registry: Path | None,
    log_dir: Path,
    tick: float,
) -> None:
    """Run the scheduler: start due crawls, each in its own process (or on a Scrapyd node).

    At most --max-parallel crawls run at once, never two of one portal (leases, across hosts). After a
    downtime each overdue schedule runs once, not once per missed slot. On SIGTERM (or Ctrl-C) it
    starts nothing more and gives running crawls --grace seconds before interrupting them. Logs one
    plain line per event on stdout, with times in Vietnam time; each local crawl writes its own log
    file under --log-dir, named on the line that starts it.

    \b
    Examples:
      newsarchive schedule run --max-parallel 4
      newsarchive schedule run --once
      newsarchive schedule run --scrapyd http://h1:6800,http://h2:6800 --db postgresql://crawler@db/archive
    """
    from crawler.ops.scheduling import Launcher, LocalLauncher, Scheduler
    from crawler.ops.scrapyd import ScrapydLauncher
    from crawler.portals import RegistryError, load_registry

    url = database_url(db)
    try:
        portals = list(load_registry(registry).values())
    except RegistryError as exc:
        raise ArgumentProblem(str(exc)) from exc
    engine, factory = open_archive_or_fail(url, create=True)
    launcher: Launcher
    if scrapyd:
        nodes = [node.strip() for node in scrapyd.split(",") if node.strip()]
        if not nodes or not all(node.startswith(("http://", "https://")) for node in nodes):
            raise ArgumentProblem(f"--scrapyd expects http(s) node URLs, got {scrapyd!r}")
        if engine.dialect.name != "postgresql":
            raise ArgumentProblem("Scrapyd nodes need a shared archive: give a PostgreSQL --db")
        launcher = ScrapydLauncher(nodes, url, str(registry.resolve()) if registry else None)
    else:
        _check_log_dir(log_dir)
        launcher = LocalLauncher(url, registry, log_dir)
    handler = logging.StreamHandler()
    handler.setFormatter(_VietnamTimeFormatter("%(asctime)s %(message)s"))
    logging.basicConfig(level=logging.WARNING, handlers=[handler])

    def say(line: str) -> None:
        # One zone everywhere: the archive's (+07:00), whatever the host's.
        click.echo(f"{local_iso(datetime.now(UTC).replace(microsecond=0))} {line}")
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
