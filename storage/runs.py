"""Crawl bookkeeping rows: the portals a crawl registers, and its run (start, heartbeat, abandon, finish).

Functions take a Session and never commit: callers own the transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from storage.db import insert_ignoring_conflict
from storage.models import CrawlRun, Portal, RunStatus, utcnow


@dataclass(frozen=True)
class Lineage:
    """A portal's lineage as the registry declares it: the other hosts it served from (site keys), the
    portal that took it over and the last day it published."""

    aliases: tuple[str, ...] = ()
    successor: str | None = None
    active_until: date | None = None


def ensure_portal(
    session: Session, key: str, name: str, home_url: str, lineage: Lineage | None = None
) -> Portal:
    """Return the portal row for ``key``, creating it on first sight.

    With ``lineage`` (a crawl or import registering its portals from the registry) the row's lineage
    is set to it, so an edit of the registry reaches the archive on the next crawl; without it (a
    pipeline filing one page) the stored lineage is left as it is.
    """
    insert_ignoring_conflict(
        session, Portal, {"key": key, "name": name, "home_url": home_url, "created_at": utcnow()}, ["key"]
    )
    portal = session.scalars(select(Portal).where(Portal.key == key)).one()
    if lineage is not None:
        portal.aliases = list(lineage.aliases)
        portal.successor = lineage.successor
        portal.active_until = lineage.active_until
        session.flush()
    return portal


def record_lineage(session: Session, lineages: dict[str, Lineage]) -> None:
    """Set the lineage of the portals the archive holds among ``lineages`` (key: lineage); keys it
    does not hold are left out, not created (an import registers only the portals it filed pages under)."""
    for key, lineage in lineages.items():
        session.execute(
            update(Portal)
            .where(Portal.key == key)
            .values(
                aliases=list(lineage.aliases), successor=lineage.successor, active_until=lineage.active_until
            )
        )


def start_run(
    session: Session,
    spider: str,
    portals: list[str],
    *,
    host: str | None = None,
    pid: int | None = None,
    node: str | None = None,
    job_id: str | None = None,
) -> CrawlRun:
    """Create and return a crawl-run row in status ``running``, with its first heartbeat."""
    now = utcnow()
    run = CrawlRun(
        spider=spider, portals=portals, status=RunStatus.RUNNING.value, stats={}, outcomes={}, started_at=now,
        heartbeat_at=now, host=host, pid=pid, node=node, job_id=job_id,
    )  # fmt: skip
    session.add(run)
    session.flush()
    return run


def heartbeat_run(session: Session, run_id: int, stats: dict[str, Any] | None = None) -> None:
    """Say the run is alive (and, optionally, how far it got)."""
    values: dict[str, Any] = {"heartbeat_at": utcnow()}
    if stats is not None:
        values["stats"] = stats
    session.execute(
        update(CrawlRun).where(CrawlRun.id == run_id, CrawlRun.status == "running").values(**values)
    )


def abandon_stale_runs(
    session: Session,
    stale_after: timedelta,
    *,
    now: datetime | None = None,
    is_dead: Callable[[str | None, int | None], bool] = lambda host, pid: False,
) -> list[int]:
    """Mark ``running`` runs whose heartbeat stopped more than ``stale_after`` ago, or whose process
    ``is_dead(host, pid)`` says is gone, as ``abandoned`` (the crawl was killed); return their ids."""
    now = now or utcnow()
    cutoff = now - stale_after
    running = session.execute(
        select(
            CrawlRun.id,
            CrawlRun.host,
            CrawlRun.pid,
            func.coalesce(CrawlRun.heartbeat_at, CrawlRun.started_at),
        ).where(CrawlRun.status == RunStatus.RUNNING.value)
    ).all()
    stale = [run_id for run_id, host, pid, seen in running if seen < cutoff or is_dead(host, pid)]
    if stale:
        session.execute(
            update(CrawlRun)
            .where(CrawlRun.id.in_(stale))
            .values(
                status=RunStatus.ABANDONED.value,
                finished_at=func.coalesce(CrawlRun.heartbeat_at, CrawlRun.started_at),
                finish_reason="its heartbeat stopped: the crawl was killed or lost its archive",
            )
        )
    return stale


def finish_run(
    session: Session,
    run_id: int,
    *,
    status: str,
    reason: str | None,
    stats: dict[str, Any],
    outcomes: dict[str, Any] | None = None,
) -> None:
    """Close a crawl run with its final status, finish reason, per-portal outcomes and JSON-able stats."""
    run = session.get(CrawlRun, run_id)
    if run is None:
        return
    run.status = status
    run.finish_reason = reason
    run.finished_at = utcnow()
    run.heartbeat_at = run.finished_at
    run.stats = stats
    if outcomes is not None:
        run.outcomes = outcomes
