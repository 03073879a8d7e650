"""The planner's buffered writes: applied in order, the fetch records' entries locked at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event, select

from crawler.frontier.planner import FrontierPlanner
from crawler.portals import resolve_portals
from storage import frontier
from storage.db import open_archive
from storage.frontier import Discovery, FetchOutcome
from storage.models import FrontierEntry, FrontierState

HOME = "https://baoninhthuan.com.vn/"
NOW = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)


def _url(n: int) -> str:
    return f"{HOME}thoi-su/bai-{n}.html"


def _forbidden(n: int, at: datetime) -> FetchOutcome:
    return FetchOutcome(_url(n), at, 0, FrontierState.FAILED, frontier.ROBOTS_FORBIDDEN)


def _not_article(n: int, at: datetime) -> FetchOutcome:
    return FetchOutcome(_url(n), at, 200, FrontierState.FETCHED, frontier.NOT_AN_ARTICLE)


def _entries(url: str) -> dict[str, tuple[Any, ...]]:
    engine, factory = open_archive(url)
    try:
        with factory() as session:
            rows = session.scalars(select(FrontierEntry)).all()
            return {
                row.url_key: (row.state, row.reason, row.attempts, row.http_status, row.sitemap_lastmod)
                for row in rows
            }
    finally:
        engine.dispose()


def test_a_flush_applies_discoveries_and_fetch_records_in_order_with_one_lock_for_the_records(
    migrated_archive_url: str,
) -> None:
    portal = resolve_portals([], [HOME], {})[0]
    planner = FrontierPlanner(migrated_archive_url)
    planner.open([portal])
    planner._stop.set()  # no flusher thread: the test flushes
    assert planner._flusher is not None
    planner._flusher.join()
    portal_id = planner.portal_ids[portal.key]
    lastmod = NOW - timedelta(days=1)
    known = [Discovery(_url(n), "listing", None) for n in range(6)]
    planner._later(lambda session: frontier.record_discoveries(session, portal_id, known, now=NOW))
    planner._flush()

    # Fetch records interleaved with discoveries: one of a URL discovered in this very flush (0 is known,
    # 7 is new here), the sitemap's later reading of URL 1 after its fetch record, a URL recorded twice.
    planner.record_fetch(portal, _forbidden(0, NOW))
    planner.record_fetch(portal, _forbidden(1, NOW))
    later = [Discovery(_url(1), "sitemap", lastmod), Discovery(_url(7), "listing", None)]
    planner._later(lambda session: frontier.record_discoveries(session, portal_id, later, now=NOW))
    planner.record_fetch(portal, _not_article(7, NOW))
    planner.record_fetch(portal, _forbidden(2, NOW))
    planner.record_fetch(portal, _forbidden(2, NOW + timedelta(seconds=1)))
    planner.record_fetch(portal, _forbidden(9, NOW))  # never discovered: created by its record

    locks: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "frontier.url_key IN" in statement:
            locks.append(statement)

    assert planner.writer_engine is not None
    event.listen(planner.writer_engine, "before_cursor_execute", count)
    planner._flush()
    event.remove(planner.writer_engine, "before_cursor_execute", count)
    planner.close()

    got = _entries(migrated_archive_url)
    key = frontier.frontier_key
    assert got[key(_url(0))][:3] == (FrontierState.FAILED, frontier.ROBOTS_FORBIDDEN, 1)
    assert got[key(_url(1))][:3] == (FrontierState.FAILED, frontier.ROBOTS_FORBIDDEN, 1)
    assert got[key(_url(1))][4] is not None  # the sitemap reading after the record kept its lastmod
    assert got[key(_url(7))][:2] == (FrontierState.FETCHED, frontier.NOT_AN_ARTICLE)
    assert got[key(_url(2))][:3] == (FrontierState.FAILED, frontier.ROBOTS_FORBIDDEN, 2)
    assert got[key(_url(9))][:2] == (FrontierState.FAILED, frontier.ROBOTS_FORBIDDEN)
    assert got[key(_url(3))][0] == FrontierState.DISCOVERED
    # The locking reads: the fetch records' entries at once, the later discoveries' own, and the two
    # records whose entries did not exist when the flush began (7: one read; 9: before and after its
    # insert). One by one, the six records made eight.
    assert len(locks) == 5, locks
