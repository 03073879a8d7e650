"""The frontier on SQLite and PostgreSQL: what a recrawl fetches (new, changed, due, retried), removals,
conditional GETs, leases and honest run records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler
from sqlalchemy import event, select

from crawler.frontier.conditional import ConditionalGetMiddleware
from crawler.portals import RegistryError, load_registry
from crawler.runtime.run_record import portal_outcome, run_status
from crawler.spiders.portal import PortalSpider
from storage import frontier, leases
from storage.articles import ArticleData, archive_article
from storage.captures import CaptureData
from storage.frontier import Discovery, FetchOutcome, RevisitPolicy, parse_duration
from storage.models import Article, CrawlRun, FrontierEntry
from storage.runs import abandon_stale_runs, ensure_portal, start_run
from storage.text import content_hash

URL = "https://baoninhthuan.com.vn/thoi-su/so-ket-cong-tac-phong-chong-ma-tuy-1234.html"
NOW = datetime(2026, 11, 29, 3, 0, tzinfo=UTC)
POLICY = RevisitPolicy()


def _portal(factory) -> int:  # type: ignore[no-untyped-def]
    with factory.begin() as session:
        return ensure_portal(session, "ninhthuan", "Báo Ninh Thuận", "https://baoninhthuan.com.vn/").id


def _archive(factory, portal_id: int, at: datetime, published: datetime) -> int:  # type: ignore[no-untyped-def]
    """Archive the article as the crawl does, and record the fetch in the frontier."""
    headers = {"ETag": ['"v1"'], "Last-Modified": ["Fri, 12 Apr 2024 01:30:00 GMT"]}
    capture = CaptureData(URL, URL, 200, headers, b"<html>v1</html>", "text/html", "listing", at)
    article = ArticleData(
        url=URL, canonical_url=URL, text="Nội dung.", content_hash=content_hash("Nội dung."), language="vi",
        language_confidence=0.9, published_at=published,
    )  # fmt: skip
    with factory.begin() as session:
        outcome = archive_article(session, capture, article, run_id=None, portal_id=portal_id)
        frontier.record_fetch(
            session, portal_id,
            FetchOutcome(URL, at, 200, "archived", headers=capture.headers, article_id=outcome.article_id,
                         published_at=published),
            POLICY,
        )  # fmt: skip
    assert outcome.article_id is not None
    return outcome.article_id


def _plan(factory, portal_id: int, *discoveries: Discovery, now: datetime = NOW, since=None):  # type: ignore[no-untyped-def]
    with factory.begin() as session:
        plans = frontier.plan(session, list(discoveries), now=now, since=since)
    with factory.begin() as session:
        frontier.record_discoveries(session, portal_id, list(discoveries), now=now)
    return plans


def test_new_then_known_then_changed_then_due(archive) -> None:  # type: ignore[no-untyped-def]
    _, factory = archive
    portal_id = _portal(factory)
    (first,) = _plan(factory, portal_id, Discovery(URL, "listing"))
    assert (first.fetch, first.why, first.known) == (True, "new", False)
    # An old article fetched now: not fetched again on sight, only on a newer sitemap date.
    _archive(factory, portal_id, NOW, published=NOW - timedelta(days=400))
    variant = URL.replace("https://", "http://www.")  # the same article by its canonical URL
    (known,) = _plan(factory, portal_id, Discovery(variant, "listing"))
    assert (known.fetch, known.why, known.known, known.etag) == (False, "known", True, '"v1"')
    (changed,) = _plan(factory, portal_id, Discovery(URL, "sitemap", NOW + timedelta(hours=1)))
    assert (changed.fetch, changed.why, changed.last_modified) == (
        True,
        "changed",
        "Fri, 12 Apr 2024 01:30:00 GMT",
    )
    (listed,) = _plan(factory, portal_id, Discovery(URL, "listing", NOW + timedelta(hours=1)))
    assert not listed.fetch  # a listing's date is publication, not a change


@pytest.mark.parametrize("raced", [False, True])
def test_discoveries_keep_their_dates_whether_new_known_or_created_by_another_writer(
    archive, monkeypatch: pytest.MonkeyPatch, raced: bool
) -> None:  # type: ignore[no-untyped-def]
    """New URLs are inserted with their dates at once; known ones are updated without losing what they
    knew; a URL another writer created between our read and our insert is updated like a known one."""
    _, factory = archive
    portal_id = _portal(factory)
    if raced:  # every insert loses the race: the rows exist, but none of them are reported as ours
        insert = frontier.insert_ignoring_conflict
        monkeypatch.setattr(
            frontier, "insert_ignoring_conflict", lambda *args, **kw: insert(*args, **kw) and []
        )
    listed, lastmod, fed = NOW - timedelta(days=3), NOW - timedelta(days=2), NOW - timedelta(days=1)
    urls = [URL.replace("1234", str(n)) for n in range(4)]
    found = [
        Discovery(urls[0], "listing", listed),
        Discovery(urls[1], "sitemap", lastmod),
        Discovery(urls[2], "feed", fed),
        Discovery(urls[3], "article"),
    ]
    with factory.begin() as session:
        frontier.record_discoveries(session, portal_id, found, now=NOW)
    later = NOW + timedelta(hours=5)
    with factory.begin() as session:  # seen again: undated on a listing, redated by the sitemap
        frontier.record_discoveries(
            session, portal_id, [Discovery(urls[0], "listing", later), Discovery(urls[1], "sitemap", later)],
            now=later,
        )  # fmt: skip
    with factory.begin() as session:
        rows = {row.url: row for row in session.scalars(select(FrontierEntry))}
        got = {
            url: (row.published_at, row.sitemap_lastmod, row.feed_date, row.first_seen_at, row.last_seen_at)
            for url, row in rows.items()
        }
    assert got == {
        urls[0]: (listed, None, None, NOW, later),  # publication date kept: it does not change
        urls[1]: (None, later, None, NOW, later),
        urls[2]: (None, None, fed, NOW, NOW),
        urls[3]: (None, None, None, NOW, NOW),
    }
    assert {row.state for row in rows.values()} == {"discovered"}


def test_young_articles_are_revisited_often_old_ones_rarely(archive) -> None:  # type: ignore[no-untyped-def]
    _, factory = archive
    portal_id = _portal(factory)
    _archive(factory, portal_id, NOW, published=NOW - timedelta(hours=2))  # a day-old article: every 3 h
    assert not _plan(factory, portal_id, Discovery(URL, "listing"), now=NOW + timedelta(hours=2))[0].fetch
    due = _plan(factory, portal_id, Discovery(URL, "listing"), now=NOW + timedelta(hours=3, minutes=1))[0]
    assert (due.fetch, due.why) == (True, "due")
    with factory() as session:
        assert [e.url for e in frontier.due(session, portal_id, now=NOW + timedelta(hours=4))] == [URL]
        assert frontier.due(session, portal_id, now=NOW + timedelta(hours=1)) == []
    assert POLICY.next_fetch(NOW, NOW - timedelta(days=3)) == NOW + timedelta(days=1)
    assert POLICY.next_fetch(NOW, NOW - timedelta(days=10)) == NOW + timedelta(days=7)
    assert POLICY.next_fetch(NOW, NOW - timedelta(days=31)) is None


def test_failures_are_retried_by_the_next_crawl_within_the_budget_then_with_backoff(archive) -> None:  # type: ignore[no-untyped-def]
    _, factory = archive
    portal_id = _portal(factory)
    # Three failures in a row are each due again at once (the next crawl); then 1 h, 2 h, 4 h.
    expected = [NOW, NOW, NOW, NOW + timedelta(hours=1), NOW + timedelta(hours=2), NOW + timedelta(hours=4)]
    for attempt, due_at in enumerate(expected, 1):
        with factory.begin() as session:
            entry = frontier.record_fetch(
                session, portal_id, FetchOutcome(URL, NOW, 0, "failed", "DNSLookupError"), POLICY
            )
            assert (entry.attempts, entry.next_fetch_at) == (attempt, due_at)
    assert _plan(factory, portal_id, Discovery(URL, "feed"), now=NOW + timedelta(hours=5))[0].why == "retry"
    # A final failure (never archived, now 404) is looked at again only after max_retry.
    other = URL.replace("1234", "5678")
    with factory.begin() as session:
        entry = frontier.record_fetch(
            session, portal_id, FetchOutcome(other, NOW, 404, "failed", "HTTP 404"), POLICY
        )
        assert entry.next_fetch_at == NOW + POLICY.max_retry


def test_an_archived_article_answering_404_is_marked_removed_never_deleted(archive) -> None:  # type: ignore[no-untyped-def]
    _, factory = archive
    portal_id = _portal(factory)
    article_id = _archive(factory, portal_id, NOW - timedelta(days=1), published=NOW - timedelta(days=30))
    with factory.begin() as session:
        entry = frontier.record_fetch(
            session, portal_id, FetchOutcome(URL, NOW, 404, "failed", "HTTP 404"), POLICY
        )
        assert entry.state == "removed"
    with factory() as session:
        article = session.get(Article, article_id)
        assert article is not None and article.removed_at == NOW and article.removed_http_status == 404
        assert article.text == "Nội dung."
    # It comes back: no longer removed.
    _archive(factory, portal_id, NOW + timedelta(days=1), published=NOW - timedelta(days=30))
    with factory() as session:
        article = session.get(Article, article_id)
        assert article is not None and article.removed_at is None
        assert session.scalars(select(FrontierEntry.state)).one() == "archived"


def test_backfill_skips_what_is_older_than_since(archive) -> None:  # type: ignore[no-untyped-def]
    _, factory = archive
    portal_id = _portal(factory)
    since = datetime(2024, 1, 1, tzinfo=UTC)
    old, recent, undated = (
        Discovery(URL.replace("1234", "1"), "sitemap", datetime(2023, 12, 31, tzinfo=UTC)),
        Discovery(URL.replace("1234", "2"), "sitemap", datetime(2024, 1, 2, tzinfo=UTC)),
        Discovery(URL.replace("1234", "3"), "listing"),
    )
    plans = _plan(factory, portal_id, old, recent, undated, since=since)
    assert [(p.fetch, p.why) for p in plans] == [(False, "older_than_since"), (True, "new"), (True, "new")]


def test_revisit_tables_and_durations(tmp_path: Path) -> None:
    assert parse_duration("30m") == timedelta(minutes=30) and parse_duration("1w") == timedelta(days=7)
    for bad in ("", "0h", "3x", "h", "-1d"):
        with pytest.raises(ValueError):
            parse_duration(bad)
    policy = RevisitPolicy.from_table({"7d": "12h", "2d": "1h"})
    assert policy.next_fetch(NOW, NOW - timedelta(days=1)) == NOW + timedelta(hours=1)
    registry = tmp_path / "portals.toml"
    registry.write_text(
        '[[portal]]\nkey = "p"\nname = "P"\nhome_url = "https://p.vn/"\nrevisit = { "1d" = "2h" }\n',
        encoding="utf-8",
    )
    assert load_registry(registry)["p"].revisit.tiers == ((timedelta(days=1), timedelta(hours=2)),)
    registry.write_text(
        '[[portal]]\nkey = "p"\nname = "P"\nhome_url = "https://p.vn/"\nrevisit = { "1d" = "soon" }\n'
    )
    with pytest.raises(RegistryError, match="revisit: 'soon' is not a duration"):
        load_registry(registry)


def test_conditional_get_uses_the_planned_validators() -> None:
    crawler = get_crawler(PortalSpider)
    crawler.stats.open_spider()
    middleware = ConditionalGetMiddleware.from_crawler(crawler)
    request = Request(URL, meta={"validators": ('"v1"', "Fri, 12 Apr 2024 01:30:00 GMT")})
    middleware.process_request(request)
    assert request.headers[b"If-None-Match"] == b'"v1"' and request.meta["conditional"]
    plain = Request(URL, meta={"validators": None})
    middleware.process_request(plain)
    assert b"If-None-Match" not in plain.headers
    middleware.process_response(request, HtmlResponse(URL, status=304, request=request))
    assert crawler.stats.get_value("frontier/not_modified") == 1


def test_leases_one_holder_at_a_time_lapse_and_force(archive) -> None:  # type: ignore[no-untyped-def]
    _, factory = archive
    with factory.begin() as session:
        assert leases.acquire(session, "p", "host:1", now=NOW) is None
    with factory.begin() as session:
        blocker = leases.acquire(session, "p", "host:2", now=NOW + timedelta(minutes=1))
        assert blocker is not None and blocker.holder == "host:1"
        assert (
            leases.acquire(session, "p", "host:1", now=NOW + timedelta(minutes=1)) is None
        )  # its own: renewed
    with factory.begin() as session:
        assert leases.renew(session, ["p"], "host:1", now=NOW + timedelta(minutes=2)) == []
        # A dead holder stops renewing: its lease lapses.
        assert leases.acquire(session, "p", "host:2", now=NOW + timedelta(minutes=6)) is None
        assert leases.renew(session, ["p"], "host:1", now=NOW + timedelta(minutes=6)) == ["p"]
        assert leases.acquire(session, "p", "host:3", now=NOW + timedelta(minutes=7), force=True) is None
        leases.release(session, ["p"], "host:3")
        assert leases.holder_of(session, "p", now=NOW + timedelta(minutes=7)) is None


def test_runs_whose_heartbeat_stopped_are_abandoned(archive) -> None:  # type: ignore[no-untyped-def]
    _, factory = archive
    with factory.begin() as session:
        dead = start_run(session, "portal", ["p"])
        dead.heartbeat_at = NOW - timedelta(minutes=10)
        alive = start_run(session, "portal", ["q"])
        alive.heartbeat_at = NOW - timedelta(seconds=20)
    with factory.begin() as session:
        assert abandon_stale_runs(session, timedelta(minutes=3), now=NOW) == [dead.id]
    with factory() as session:
        statuses = dict(session.execute(select(CrawlRun.id, CrawlRun.status)).all())
    assert statuses == {dead.id: "abandoned", alive.id: "running"}


def test_outcomes_and_run_status() -> None:
    stats = {
        "portal/a/responses": 40, "portal/a/archive/stored": 10,
        "portal/b/responses": 12, "portal/b/archive/revisit": 3,
        "portal/c/home_failed": "DNSLookupError: no such host",
        "portal/d/home_failed": "IgnoreRequest: Forbidden by robots.txt",
        "portal/e/responses": 5, "portal/e/archive/failed": 4, "portal/e/archive/revisit": 1,
    }  # fmt: skip
    outcomes = {key: portal_outcome(stats, key) for key in "abcde"}
    assert [outcomes[key]["outcome"] for key in "abcde"] == [
        "reached", "nothing_new", "unreachable", "robots_refused", "errors",
    ]  # fmt: skip
    assert run_status("finished", {"a": outcomes["a"]}) == ("finished", "finished")
    status, why = run_status("finished", outcomes)
    assert status == "failed" and "c: unreachable" in why and "d: robots_refused" in why
    assert run_status("shutdown", outcomes)[0] == "interrupted"


def _entries(session) -> dict[str, tuple]:  # type: ignore[no-untyped-def]
    """Every frontier entry's columns but its id (ids follow insertion order, and PostgreSQL's sequence
    does not roll back)."""
    columns = [c for c in FrontierEntry.__table__.columns if c.name != "id"]
    return {row.url_key: tuple(row[1:]) for row in session.execute(select(FrontierEntry.url_key, *columns))}


def test_a_run_of_discovery_records_is_written_as_one_by_one_in_fewer_statements(archive) -> None:  # type: ignore[no-untyped-def]
    """The discovery writer records a flush's consecutive records together: the same rows as
    record_discoveries one record after the other, a URL in several records created by the first and
    updated by the others in order, the last discovery of a URL within one record counting."""
    engine, factory = archive
    portal_id = _portal(factory)
    _archive(factory, portal_id, NOW - timedelta(days=2), NOW - timedelta(days=3))  # URL: archived
    site = "https://baoninhthuan.com.vn/thoi-su/"
    listed, fed, undated = f"{site}tin-moi-1.html", f"{site}tin-moi-2.html", f"{site}tin-moi-3.html"
    with factory.begin() as session:
        frontier.record_discoveries(session, portal_id, [Discovery(listed, "listing")], now=NOW)
    at = [NOW + timedelta(minutes=minutes) for minutes in range(4)]
    day = timedelta(days=1)
    records = [
        frontier.DiscoveryRecord(portal_id, [
            Discovery(URL, "sitemap", NOW - day), Discovery(fed, "listing", NOW - 2 * day),
            Discovery(fed, "feed", NOW - day),  # the same URL again in one record: this one counts
        ], at[1]),
        frontier.DiscoveryRecord(portal_id, [
            Discovery(fed, "feed", NOW + day), Discovery(listed, "listing", NOW - 5 * day),
            Discovery(undated, "home"),
        ], at[2]),
        frontier.DiscoveryRecord(portal_id, [
            Discovery(URL, "sitemap", NOW + day), Discovery(undated, "sitemap", NOW - 4 * day),
            Discovery(listed, "listing", NOW - 6 * day),
        ], at[3]),
    ]  # fmt: skip
    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        if " frontier" in statement:
            statements.append(statement.split()[0].upper())

    event.listen(engine, "before_cursor_execute", count)
    session = factory()
    with session.begin():
        for record in records:
            frontier.record_discoveries(session, record.portal_id, record.discoveries, now=record.now)
        session.flush()
        one_by_one_statements = list(statements)
        one_by_one = _entries(session)
        session.rollback()
    statements.clear()
    with session.begin():
        frontier.record_discovery_records(session, records)
        session.flush()
        together_statements = list(statements)
        together = _entries(session)
        session.rollback()
    event.remove(engine, "before_cursor_execute", count)
    session.close()

    assert together == one_by_one
    # What the records said reached the rows: the later feed date, the first listing date kept, the
    # sitemap's move forward owing a fetch.
    columns = [c.name for c in FrontierEntry.__table__.columns if c.name != "id"]
    fed_row = dict(zip(columns, together[fed], strict=True))
    assert fed_row["feed_date"].replace(tzinfo=UTC) == NOW + day
    assert fed_row["last_seen_at"].replace(tzinfo=UTC) == at[2]
    listed_row = dict(zip(columns, together[listed], strict=True))
    assert listed_row["published_at"].replace(tzinfo=UTC) == NOW - 5 * day
    archived = dict(zip(columns, together[URL], strict=True))
    assert archived["sitemap_lastmod"].replace(tzinfo=UTC) == NOW + day
    assert archived["next_fetch_at"].replace(tzinfo=UTC) <= at[1]
    # One locking read and one insert for the three records, and a read of the rows they created and
    # saw again; one by one, a read per record and an insert per record that found a new URL.
    assert together_statements.count("SELECT") == 2 and together_statements.count("INSERT") == 1
    assert one_by_one_statements.count("SELECT") == 3 and one_by_one_statements.count("INSERT") == 2
