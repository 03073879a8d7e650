"""What the frontier owes (issue 20), on SQLite and PostgreSQL: every discovered article a fetch, changes
told by the portal's own values, listing walks that resume, and the count a crawl leaves behind."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from click.testing import CliRunner
from sqlalchemy import select

from crawler.cli.main import main
from crawler.runtime.run_record import run_status
from storage import frontier
from storage.frontier import Discovery, FetchOutcome, RevisitPolicy
from storage.frontier.backlog import backlog, left_for_next_crawl
from storage.frontier.pages import open_walks, record_sitemap, record_walk, sitemap_changed
from storage.health import portal_health
from storage.models import FrontierEntry
from storage.runs import ensure_portal, finish_run, start_run

BASE = "https://baokhanhhoa.vn/xa-hoi/"
NOW = datetime(2026, 11, 29, 3, 0, tzinfo=UTC)
POLICY = RevisitPolicy()


def _url(n: int) -> str:
    return f"{BASE}bai-viet-so-{n}-{1000 + n}.htm"


def _portal(factory) -> int:  # type: ignore[no-untyped-def]
    with factory.begin() as session:
        return ensure_portal(session, "khanhhoa", "Báo Khánh Hòa", "https://baokhanhhoa.vn/").id


def _discover(factory, portal_id: int, *found: Discovery, now: datetime = NOW) -> list[frontier.Plan]:  # type: ignore[no-untyped-def]
    """Plan and record a batch of discoveries as the spider's planner does."""
    with factory.begin() as session:
        plans = frontier.plan(session, list(found), now=now)
    with factory.begin() as session:
        frontier.record_discoveries(session, portal_id, list(found), now=now)
    return plans


def _fetch(
    factory, portal_id: int, url: str, at: datetime, status: int = 200, state: str = "archived", reason=None
) -> None:  # type: ignore[no-untyped-def]
    with factory.begin() as session:
        frontier.record_fetch(session, portal_id, FetchOutcome(url, at, status, state, reason), POLICY)


def _due(factory, portal_id: int, now: datetime, since: datetime | None = None) -> list[str]:  # type: ignore[no-untyped-def]
    with factory() as session:
        return [entry.url for entry in frontier.due(session, portal_id, now=now, since=since)]


def test_articles_discovered_and_never_fetched_are_due_at_once_in_the_next_crawl(archive) -> None:  # type: ignore[no-untyped-def]
    _, factory = archive
    portal_id = _portal(factory)
    old = NOW - timedelta(days=400)
    _discover(factory, portal_id, Discovery(_url(1), "listing"), Discovery(_url(2), "sitemap", old))
    _fetch(factory, portal_id, _url(3), NOW)  # archived, old enough never to be revisited
    # The crawl stopped before fetching 1 and 2: the next one owes them, listed again or not.
    assert _due(factory, portal_id, NOW + timedelta(seconds=1)) == [_url(1), _url(2)]
    # A backfill leaves alone those dated before its day.
    assert _due(factory, portal_id, NOW, since=NOW - timedelta(days=30)) == [_url(1)]
    _fetch(factory, portal_id, _url(1), NOW + timedelta(minutes=1))
    assert _due(factory, portal_id, NOW + timedelta(minutes=2)) == [_url(2)]


def test_a_lastmod_moving_forward_but_before_our_fetch_is_a_change_an_unchanged_one_is_not(archive) -> None:  # type: ignore[no-untyped-def]
    _, factory = archive
    portal_id = _portal(factory)
    # The portal's clock is hours behind ours: both lastmods are before our fetch.
    first, edited = NOW - timedelta(hours=10), NOW - timedelta(hours=7)
    for n, via in ((1, "sitemap"), (2, "feed")):
        _discover(factory, portal_id, Discovery(_url(n), via, first))
        _fetch(factory, portal_id, _url(n), NOW)
        (same,) = _discover(factory, portal_id, Discovery(_url(n), via, first), now=NOW + timedelta(hours=1))
        assert (same.fetch, same.why) == (False, "known")
        (moved,) = _discover(
            factory, portal_id, Discovery(_url(n), via, edited), now=NOW + timedelta(hours=2)
        )
        assert (moved.fetch, moved.why) == (True, "changed"), via


def test_a_change_seen_by_a_crawl_that_stopped_before_fetching_it_stays_owed(archive) -> None:  # type: ignore[no-untyped-def]
    _, factory = archive
    portal_id = _portal(factory)
    first, edited = NOW - timedelta(hours=10), NOW - timedelta(hours=7)
    _discover(factory, portal_id, Discovery(_url(1), "sitemap", first))
    _fetch(factory, portal_id, _url(1), NOW)
    seen = NOW + timedelta(hours=1)
    (moved,) = _discover(factory, portal_id, Discovery(_url(1), "sitemap", edited), now=seen)
    assert moved.why == "changed"
    # Killed before the fetch: the new lastmod is recorded, so the next crawl's sitemap says "known",
    # but the fetch is owed and due at its start.
    (again,) = _discover(factory, portal_id, Discovery(_url(1), "sitemap", edited), now=seen)
    assert (again.fetch, again.why) == (True, "due")
    assert _due(factory, portal_id, seen + timedelta(minutes=1)) == [_url(1)]
    _fetch(factory, portal_id, _url(1), seen + timedelta(minutes=2))
    assert _due(factory, portal_id, seen + timedelta(minutes=3)) == []


def test_a_fetch_recorded_before_its_discovery_is_not_owed_again(archive) -> None:  # type: ignore[no-untyped-def]
    """The archive writer may commit a changed article's fetch before the planner writes the discovery
    that asked for it: that discovery must not make it due once more."""
    _, factory = archive
    portal_id = _portal(factory)
    _discover(factory, portal_id, Discovery(_url(1), "sitemap", NOW - timedelta(hours=10)))
    _fetch(factory, portal_id, _url(1), NOW)
    seen = NOW + timedelta(hours=1)
    with factory.begin() as session:
        (plan,) = frontier.plan(session, [Discovery(_url(1), "sitemap", NOW - timedelta(hours=7))], now=seen)
    assert plan.why == "changed"
    _fetch(factory, portal_id, _url(1), seen + timedelta(seconds=5))
    with factory.begin() as session:
        frontier.record_discoveries(
            session, portal_id, [Discovery(_url(1), "sitemap", NOW - timedelta(hours=7))], now=seen
        )
    assert _due(factory, portal_id, seen + timedelta(minutes=1)) == []


def test_a_sitemap_in_an_index_is_read_again_when_its_lastmod_moves_even_before_our_fetch(archive) -> None:  # type: ignore[no-untyped-def]
    _, factory = archive
    portal_id = _portal(factory)
    sitemap = "https://baokhanhhoa.vn/sitemaps/posts-2026-11.xml"
    first, edited = NOW - timedelta(hours=10), NOW - timedelta(hours=7)
    with factory() as session:
        assert sitemap_changed(session, portal_id, sitemap, first)  # never read
    with factory.begin() as session:
        record_sitemap(session, portal_id, sitemap, NOW, first)
    with factory() as session:
        assert not sitemap_changed(session, portal_id, sitemap, first)
        assert sitemap_changed(session, portal_id, sitemap, edited)
        assert sitemap_changed(session, portal_id, sitemap, None)  # no lastmod: always read


def test_a_listing_walk_stops_on_known_ground_only_over_articles_fetched_for_good(archive) -> None:  # type: ignore[no-untyped-def]
    _, factory = archive
    portal_id = _portal(factory)
    _discover(factory, portal_id, *(Discovery(_url(n), "listing") for n in range(1, 6)))
    _fetch(factory, portal_id, _url(1), NOW)  # archived
    _fetch(factory, portal_id, _url(2), NOW, 404, "failed", "HTTP 404")  # gone: final
    _fetch(factory, portal_id, _url(3), NOW, 0, "failed", frontier.ROBOTS_FORBIDDEN)  # final
    _fetch(factory, portal_id, _url(4), NOW, 503, "failed", "HTTP 503")  # a retry may cure it
    with factory() as session:
        plans = frontier.plan(session, [Discovery(_url(n), "listing") for n in range(1, 6)], now=NOW)
    assert [plan.known for plan in plans] == [True, True, True, True, False]
    assert [plan.done for plan in plans] == [True, True, True, False, False]


def test_an_open_pagination_walk_is_remembered_until_a_walk_ends(archive) -> None:  # type: ignore[no-untyped-def]
    _, factory = archive
    portal_id = _portal(factory)
    series = ["https://baokhanhhoa.vn/xa-hoi/", "https://baokhanhhoa.vn/kinh-te/"]
    with factory.begin() as session:
        record_walk(session, portal_id, series[0], NOW, walk_open=True)
        record_walk(session, portal_id, series[1], NOW, walk_open=True)
    with factory.begin() as session:
        record_walk(session, portal_id, series[1], NOW, walk_open=False)  # reached its end
    with factory() as session:
        assert open_walks(session, series) == {series[0]}


def test_the_backlog_and_what_a_crawl_left_for_the_next_one(archive) -> None:  # type: ignore[no-untyped-def]
    _, factory = archive
    portal_id = _portal(factory)
    started = NOW
    _discover(factory, portal_id, *(Discovery(_url(n), "listing") for n in range(1, 7)), now=started)
    _fetch(factory, portal_id, _url(1), NOW + timedelta(minutes=1))
    _fetch(factory, portal_id, _url(2), NOW + timedelta(minutes=1), 503, "failed", "HTTP 503")
    _fetch(factory, portal_id, _url(3), NOW + timedelta(minutes=1), 404, "failed", "HTTP 404")
    _fetch(factory, portal_id, _url(4), NOW + timedelta(minutes=1), 0, "failed", frontier.ROBOTS_FORBIDDEN)
    end = NOW + timedelta(minutes=2)
    with factory() as session:
        (found,) = backlog(session, [portal_id]).values()
        left = left_for_next_crawl(session, [portal_id], started, now=end)
        oldest = session.scalar(select(FrontierEntry.first_seen_at).where(FrontierEntry.url == _url(5)))
    # 5 and 6 never fetched; 2 awaits a retry; 3 and 4 failed for good.
    assert (found.discovered, found.failed, found.total) == (2, 1, 3)
    assert found.oldest == oldest
    assert left == {portal_id: 2}  # the failed fetch was tried: the backlog shows it, it is not "given up"
    _fetch(factory, portal_id, _url(5), end)
    _fetch(factory, portal_id, _url(6), end)
    with factory() as session:
        assert left_for_next_crawl(session, [portal_id], started, now=end) == {}


def test_a_backfill_does_not_count_as_left_an_old_link_it_leaves_alone(archive) -> None:  # type: ignore[no-untyped-def]
    # A listing gives the link its date, then the sitemap a lastmod: that reading sets next_fetch_at on
    # the never-fetched entry. The backfill leaves it alone (dated before its day), as due() says, so
    # it is not a URL the crawl gave up; a crawl without a date still owes it, once.
    _, factory = archive
    portal_id = _portal(factory)
    started, old, since = NOW, NOW - timedelta(days=400), NOW - timedelta(days=30)
    _discover(factory, portal_id, Discovery(_url(1), "listing", old), now=started)
    _discover(factory, portal_id, Discovery(_url(1), "sitemap", old), now=started + timedelta(seconds=1))
    end = NOW + timedelta(minutes=2)
    with factory() as session:
        assert session.scalar(select(FrontierEntry.next_fetch_at)) is not None
        assert left_for_next_crawl(session, [portal_id], started, now=end, since=since) == {}
        assert left_for_next_crawl(session, [portal_id], started, now=end) == {portal_id: 1}
    assert _due(factory, portal_id, end, since=since) == []


def test_a_crawl_that_left_urls_is_incomplete() -> None:
    reached = {"outcome": "reached", "new": 3}
    assert run_status("finished", {"a": {**reached, "left": 0}}) == ("finished", "finished")
    status, why = run_status("finished", {"a": {**reached, "left": 2}, "b": {**reached, "left": 3}})
    assert status == "incomplete" and why == "finished; 5 URLs left for the next crawl"
    assert run_status("shutdown", {"a": {**reached, "left": 2}})[0] == "interrupted"


def _finish(factory, key: str, backlog_at_end: int) -> int:  # type: ignore[no-untyped-def]
    with factory.begin() as session:
        run = start_run(session, "portal", [key])
        outcome = {"outcome": "reached", "new": 1, "left": 0, "backlog": backlog_at_end}
        finish_run(session, run.id, status="finished", reason="finished", stats={}, outcomes={key: outcome})
        return run.id


def test_runs_show_and_health_show_the_backlog_and_health_warns_when_it_does_not_shrink(archive) -> None:  # type: ignore[no-untyped-def]
    engine, factory = archive
    portal_id = _portal(factory)
    _discover(factory, portal_id, Discovery(_url(1), "listing"), Discovery(_url(2), "listing"))
    _fetch(factory, portal_id, _url(3), NOW, 503, "failed", "HTTP 503")
    for at_end in (2, 3):
        _finish(factory, "khanhhoa", at_end)
    with factory() as session:
        report = portal_health(session, "khanhhoa")
    assert report.figures["backlog"]["discovered"] == 2 and report.figures["backlog"]["failed"] == 1
    assert not any("backlog" in problem for problem in report.problems)  # two runs: too few to judge
    run_id = _finish(factory, "khanhhoa", 3)  # 2, 3, 3: never shrank
    with factory() as session:
        report = portal_health(session, "khanhhoa")
    (problem,) = [problem for problem in report.problems if "backlog" in problem]
    assert problem.startswith("backlog not shrinking over the last 3 runs: 2 never fetched, 1 failed")
    assert "waiting since" in problem and report.level in ("warning", "error")
    url = engine.url.render_as_string(hide_password=False)
    shown = CliRunner().invoke(main, ["runs", "show", str(run_id), "--db", url])
    assert shown.exit_code == 0, shown.output
    line = next(line for line in shown.output.splitlines() if line.startswith("backlog khanhhoa"))
    assert "2 never fetched, 1 failed awaiting a retry, waiting since" in line
    assert "left 0" in shown.output and "backlog 3" in shown.output  # the outcome at the run's end
    _finish(factory, "khanhhoa", 1)  # it shrank
    with factory() as session:
        assert not any("backlog" in p for p in portal_health(session, "khanhhoa").problems)
