"""The crawl's side of an archive outage: the planner keeps what it could not write and stops the crawl
instead of failing its start; a database error in a callback ends the crawl in one line."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from crawler.frontier.planner import FrontierPlanner
from crawler.portals import resolve_portals
from crawler.runtime.archive_errors import ArchiveErrorsMiddleware
from crawler.spiders.portal import PortalSpider
from pipelines.outage import ArchiveOutage, outage_of
from storage import db
from storage.db import open_archive
from storage.frontier import pages as frontier_pages
from storage.models import FrontierEntry, utcnow


def _lost_connection() -> OperationalError:
    return OperationalError("COMMIT", {}, sqlite3.OperationalError("unable to open database file"))


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(db, "sleep", lambda seconds: None)


def test_every_component_of_a_crawl_shares_one_outage_with_the_configured_budget() -> None:
    crawler = get_crawler(PortalSpider, {"ARCHIVE_RETRY_BUDGET": 12})
    assert outage_of(crawler) is outage_of(crawler) and outage_of(crawler).budget == 12
    assert outage_of(get_crawler(PortalSpider)).budget == 60  # the documented default


def test_discovery_records_the_archive_refused_are_kept_and_written_when_it_is_back(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/archive.sqlite3"
    portal = resolve_portals([], ["https://baoninhthuan.com.vn/"], {})[0]
    outage = ArchiveOutage(budget=1)
    planner = FrontierPlanner(url, outage)
    planner.open([portal])
    planner._stop.set()  # no flusher thread racing the test: flushes happen when called
    assert planner._flusher is not None
    planner._flusher.join()
    down = [True]

    portal_id = planner.portal_ids[portal.key]

    def record(session: Session) -> None:
        if down[0]:
            raise _lost_connection()
        frontier_pages.record_sitemap(session, portal_id, "https://baoninhthuan.com.vn/sitemap.xml", utcnow())

    planner._stop.clear()
    planner._later(record)
    planner._flush()
    assert outage.lost is not None  # the budget is spent: the crawl stops ...
    assert len(planner._pending) == 1  # ... but the record is kept for the last flush
    down[0] = False
    planner.close()  # the last flush: one more attempt, which now succeeds
    engine, factory = open_archive(url)
    with factory() as session:
        kinds = session.scalars(select(FrontierEntry.kind)).all()
    engine.dispose()
    assert kinds == ["sitemap"]


def test_due_entries_unreadable_stop_the_crawl_instead_of_failing_its_start(tmp_path: Path) -> None:
    portal = resolve_portals([], ["https://baoninhthuan.com.vn/"], {})[0]
    outage = ArchiveOutage(budget=1)
    planner = FrontierPlanner(f"sqlite:///{tmp_path}/archive.sqlite3", outage)
    planner.open([portal])

    class Unreachable:
        def begin(self) -> None:
            raise _lost_connection()

    planner.factory = Unreachable()  # type: ignore[assignment]
    try:
        assert asyncio.run(planner.due(portal, 100)) == []
    finally:
        planner.factory = None
        planner.close()
    assert outage.lost == "(sqlite3.OperationalError) unable to open database file"


def test_a_database_error_in_a_callback_ends_the_crawl_without_a_traceback() -> None:
    crawler = get_crawler(PortalSpider)
    crawler.stats.open_spider()
    middleware = ArchiveErrorsMiddleware.from_crawler(crawler)
    response = HtmlResponse("https://baoninhthuan.com.vn/xa-hoi/", body=b"<html></html>")
    refused = IntegrityError("INSERT", {}, sqlite3.IntegrityError("NOT NULL constraint failed"))
    assert middleware.process_spider_exception(response, refused) == []
    assert outage_of(crawler).lost == "(sqlite3.IntegrityError) NOT NULL constraint failed"
    assert crawler.stats.get_value("archive/callback_errors") == 1
    # Anything else is not the archive's: Scrapy reports it as it always does.
    assert middleware.process_spider_exception(response, ValueError("bug")) is None
