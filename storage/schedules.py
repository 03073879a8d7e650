"""Recurring crawls in the archive: rules, due times, claims and outcomes (sessions owned by callers).

A scheduler claims a due schedule with one conditional UPDATE on its due time, so two schedulers on
two hosts never start the same slot; the portal's lease (storage.leases) keeps two crawls of one
portal apart whatever started them. Due times are computed by the caller (crawler.ops.scheduling), which
knows the rules; this module only stores them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from storage.models import Lease, Schedule, utcnow

# A claim older than this whose crawl never reported back (its scheduler died) is released.
STALE_CLAIM = timedelta(hours=12)
# ... and sooner, one older than this while no crawl holds the portal's lease: its scheduler died (or
# was restarted) and the crawl it started has ended or never began. Long enough for a dispatched crawl
# to start and take its lease; a crawl still waiting on a busy Scrapyd node past it is harmless, because
# a second crawl of the portal would find the lease held and skip it.
ORPHAN_CLAIM = timedelta(minutes=15)


def set_schedule(
    session: Session,
    portal_key: str,
    *,
    every: timedelta | None,
    cron: str | None,
    first_run: datetime,
    source: str = "cli",
) -> Schedule:
    """Create or replace a portal's rule; ``first_run`` is when it is next due. Returns the row."""
    now = utcnow()
    row = session.get(Schedule, portal_key)
    if row is None:
        row = Schedule(portal_key=portal_key, created_at=now, next_run_at=first_run)
        session.add(row)
    elif (row.every_seconds, row.cron) != ((int(every.total_seconds()) if every else None), cron):
        row.next_run_at = first_run  # a new rule: due by it, not by the old one
    row.every_seconds = int(every.total_seconds()) if every else None
    row.cron, row.source, row.updated_at = cron, source, now
    session.flush()
    return row


def remove_schedule(session: Session, portal_key: str) -> bool:
    """Delete a portal's schedule; return whether there was one."""
    return bool(session.execute(delete(Schedule).where(Schedule.portal_key == portal_key)).rowcount)  # type: ignore[attr-defined]


def schedules(session: Session) -> list[Schedule]:
    """Return every schedule, by portal key."""
    return list(session.scalars(select(Schedule).order_by(Schedule.portal_key)))


def claim_due(
    session: Session,
    holder: str,
    next_after: Callable[[Schedule, datetime], datetime],
    *,
    now: datetime | None = None,
    limit: int | None = None,
    only: set[str] | None = None,
    skip: set[str] | None = None,
) -> list[Schedule]:
    """Claim up to ``limit`` schedules due at ``now`` for ``holder``; return them.

    Each claimed schedule's next due time becomes ``next_after(schedule, now)``: one run however many
    slots a downtime missed. A schedule another scheduler claimed is left while its crawl may still run:
    for STALE_CLAIM, or while the portal's lease is held (ORPHAN_CLAIM: the scheduler that claimed it
    died, its crawl has ended). ``skip``: portals not to claim (the caller's own running crawls).
    """
    now = now or utcnow()
    leased = (
        select(Lease.portal_key)
        .where(Lease.portal_key == Schedule.portal_key, Lease.expires_at > now)
        .exists()
    )
    statement = (
        select(Schedule)
        .where(
            Schedule.next_run_at <= now,
            Schedule.running_since.is_(None)
            | (Schedule.running_since < now - STALE_CLAIM)
            | ((Schedule.running_since < now - ORPHAN_CLAIM) & ~leased),
        )
        .order_by(Schedule.next_run_at, Schedule.portal_key)
    )
    claimed: list[Schedule] = []
    for row in session.scalars(statement):
        if limit is not None and len(claimed) >= limit:
            break
        if (only is not None and row.portal_key not in only) or (skip and row.portal_key in skip):
            continue
        due = row.next_run_at
        taken = session.execute(
            update(Schedule)
            .where(Schedule.portal_key == row.portal_key, Schedule.next_run_at == due)
            .values(
                next_run_at=next_after(row, now), running_since=now, running_on=holder, last_started_at=now
            )
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount:  # type: ignore[attr-defined]
            session.refresh(row)
            claimed.append(row)
    return claimed


def record_dispatch(session: Session, portal_key: str, running_on: str) -> None:
    """Say where a claimed schedule's crawl runs (a Scrapyd node and job id, or host:pid)."""
    session.execute(update(Schedule).where(Schedule.portal_key == portal_key).values(running_on=running_on))


def finish(
    session: Session,
    portal_key: str,
    *,
    run_id: int | None,
    status: str,
    outcome: str | None,
    now: datetime | None = None,
    retry_at: datetime | None = None,
) -> None:
    """Record how a claimed schedule's crawl ended and release the claim; ``retry_at`` makes it due
    again sooner (a crawl that could not start)."""
    values: dict[str, object] = {
        "running_since": None, "running_on": None, "last_finished_at": now or utcnow(), "last_run_id": run_id,
        "last_status": status, "last_outcome": outcome,
    }  # fmt: skip
    if retry_at is not None:
        values["next_run_at"] = retry_at
    session.execute(update(Schedule).where(Schedule.portal_key == portal_key).values(**values))
