"""The frontier's backlog: what it still owes each portal, and what a crawl left for the next one.

Read by the crawl's run record at its end (the honest exit: a crawl that gave URLs up exits 1 with their
count), by `runs show` and by `health`. Functions take a Session and never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from storage.frontier import FINAL_STATUSES, ROBOTS_FORBIDDEN, not_older_than
from storage.models import FrontierEntry, FrontierState, Portal, utcnow
from storage.timezone import human_datetime


def retryable_failure() -> ColumnElement[bool]:
    """SQL: a failed entry whose failure a retry may cure (not fetched for good, storage.frontier)."""
    return and_(
        FrontierEntry.state == FrontierState.FAILED.value,
        or_(FrontierEntry.http_status.is_(None), FrontierEntry.http_status.not_in(FINAL_STATUSES)),
        or_(FrontierEntry.reason.is_(None), FrontierEntry.reason != ROBOTS_FORBIDDEN),
    )


@dataclass(frozen=True)
class Backlog:
    """What the frontier still owes a portal: article URLs discovered and never fetched, failed ones
    awaiting a retry that may cure them, and since when the longest-waiting of them waits."""

    discovered: int = 0
    failed: int = 0
    oldest: datetime | None = None

    @property
    def total(self) -> int:
        return self.discovered + self.failed

    def describe(self) -> str:
        """``3 never fetched, 1 failed awaiting a retry, waiting since 07/12/2026 03:29 (GMT+7)``."""
        if not self.total:
            return "none"
        since = f", waiting since {human_datetime(self.oldest)}" if self.oldest else ""
        return f"{self.discovered} never fetched, {self.failed} failed awaiting a retry{since}"

    def as_dict(self) -> dict[str, object]:
        return {
            "discovered": self.discovered,
            "failed": self.failed,
            "oldest": self.oldest.isoformat() if self.oldest else None,
        }


def backlog(session: Session, portal_ids: Sequence[int]) -> dict[int, Backlog]:
    """Return the backlog of each of ``portal_ids`` (those with none included, empty)."""
    found = {portal_id: Backlog() for portal_id in portal_ids}
    if not found:
        return found
    discovered = FrontierEntry.state == FrontierState.DISCOVERED.value
    statement = (
        select(
            FrontierEntry.portal_id,
            func.count().filter(discovered),
            func.count().filter(retryable_failure()),
            func.min(FrontierEntry.first_seen_at),
        )
        .where(
            FrontierEntry.portal_id.in_(list(found)),
            FrontierEntry.kind == "article",
            or_(discovered, retryable_failure()),
        )
        .group_by(FrontierEntry.portal_id)
    )
    for portal_id, never, failed, oldest in session.execute(statement):
        if portal_id is not None:
            found[portal_id] = Backlog(never, failed, oldest)
    return found


def backlog_by_key(session: Session, keys: Sequence[str]) -> dict[str, Backlog]:
    """Return the backlog of each portal of ``keys`` the archive knows (by registry key)."""
    statement = select(Portal.key, Portal.id).where(Portal.key.in_(list(keys)))
    ids = {key: portal_id for key, portal_id in session.execute(statement)}
    found = backlog(session, list(ids.values()))
    return {key: found[portal_id] for key, portal_id in ids.items()}


def left_for_next_crawl(
    session: Session,
    portal_ids: Sequence[int],
    started_at: datetime,
    *,
    now: datetime | None = None,
    since: datetime | None = None,
) -> dict[int, int]:
    """Return, per portal, how many article URLs a crawl that started at ``started_at`` gave up: still
    never fetched, or owed a fetch (due, retry, changed lastmod) and not attempted since it started.
    Failed attempts are not counted (they were tried; the backlog shows them). In backfill (``since``),
    never-fetched entries dated before ``since`` are out of its scope."""
    if not portal_ids:
        return {}
    now = now or utcnow()
    never_fetched = FrontierEntry.state == FrontierState.DISCOVERED.value
    if since is not None:
        never_fetched = and_(never_fetched, not_older_than(since))
    # As frontier.due: an entry never fetched is owed as such (above, within a backfill's dates), whatever
    # its next_fetch_at says (a sitemap lastmod seen after a listing's date sets it to the moment it was
    # seen), so an old link a backfill leaves alone is not counted as given up.
    owed = and_(
        FrontierEntry.state != FrontierState.DISCOVERED.value,
        FrontierEntry.next_fetch_at <= now,
        or_(FrontierEntry.last_fetched_at.is_(None), FrontierEntry.last_fetched_at < started_at),
    )
    statement = (
        select(FrontierEntry.portal_id, func.count())
        .where(
            FrontierEntry.portal_id.in_(list(portal_ids)),
            FrontierEntry.kind == "article",
            or_(never_fetched, owed),
        )
        .group_by(FrontierEntry.portal_id)
    )
    return {portal_id: count for portal_id, count in session.execute(statement) if portal_id is not None}
