"""Where a listing walk stops (crawler.spiders.listing): empty pages, known ground, backfill's ``since``."""

from __future__ import annotations

from datetime import UTC, datetime

from crawler.spiders.listing import EMPTY, KNOWN, SINCE, pages_to_walk, pagination_stop
from storage.frontier import Plan

SINCE_DAY = datetime(2024, 4, 1, tzinfo=UTC)


def _plan(why: str, *, known: bool = False, dated: bool = False) -> Plan:
    return Plan(
        f"https://p.vn/{why}-{known}-{dated}", why in ("new", "changed"), why, known, dated=dated, done=known
    )


def test_the_home_page_is_always_followed() -> None:
    assert pagination_stop([], 0, since=None, stop_when_known=True) is None
    assert pagination_stop([_plan("known", known=True)], 0, since=None, stop_when_known=True) is None


def test_a_deeper_page_without_articles_ends_its_series() -> None:
    assert pagination_stop([], 3, since=None, stop_when_known=False) == EMPTY
    assert pagination_stop([], 3, since=SINCE_DAY, stop_when_known=True) == EMPTY


def test_a_recrawl_stops_on_known_ground_unless_told_not_to() -> None:
    known = [_plan("known", known=True), _plan("due", known=True)]
    assert pagination_stop(known, 2, since=None, stop_when_known=True) == KNOWN
    assert pagination_stop(known, 2, since=None, stop_when_known=False) is None
    assert pagination_stop([*known, _plan("new")], 2, since=None, stop_when_known=True) is None


def test_backfill_stops_where_every_dated_article_is_older_than_since() -> None:
    older = _plan("older_than_since")
    undated_known = _plan("known", known=True)
    assert pagination_stop([older, undated_known], 2, since=SINCE_DAY, stop_when_known=True) == SINCE
    # A dated article on or after ``since`` keeps the walk going; undated links alone say nothing.
    assert (
        pagination_stop([older, _plan("new", dated=True)], 2, since=SINCE_DAY, stop_when_known=True) is None
    )
    assert pagination_stop([undated_known], 2, since=SINCE_DAY, stop_when_known=True) is None


def test_known_ground_still_walks_pages_an_earlier_crawl_never_reached() -> None:
    pages = ["https://p.vn/tin/trang-3.html", "https://p.vn/the-thao/"]
    assert pages_to_walk(pages, None, set()) == pages
    assert pages_to_walk(pages, KNOWN, {pages[0]}) == [pages[1]]
    assert pages_to_walk(pages, EMPTY, set()) == [] and pages_to_walk(pages, SINCE, set()) == []
