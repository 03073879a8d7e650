"""The counts beside a search: exact up to their bound, the newest matches' counts past it, said so."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from storage.models import CrawlRun, Portal
from storage.search.counts import count_up_to, facet_counts, period_counts
from storage.search.filters import SearchFilters
from storage.search.query import parse_query
from storage.timezone import VN_TZ
from storage.web.facets import facet_counts as web_facets
from tests.unit.archive_sample import archive_row

# 17:30 UTC on the last day of a month is already the next month in Vietnam (UTC+7).
T0 = datetime(2023, 12, 31, 17, 30, tzinfo=UTC)


@pytest.fixture
def factory(archive: tuple[Engine, sessionmaker[Session]]) -> sessionmaker[Session]:
    """Seven "lũ" articles: five on portal p (one in 2024-01 Vietnam time, two off-language), two on q."""
    _, factory = archive
    with factory.begin() as session:
        p = Portal(key="p", name="Báo P", home_url="https://p.example")
        q = Portal(key="q", name="Báo Q", home_url="https://q.example")
        run = CrawlRun(spider="portal", portals=["p", "q"], status="finished", stats={})
        session.add_all([p, q, run])
        session.flush()
        when = [T0, T0 - timedelta(days=40), T0 - timedelta(days=400), T0 + timedelta(days=1), T0]
        for n, published in enumerate(when):
            language = "en" if n >= 3 else "vi"
            archive_row(session, p, run, f"p{n}", f"Lũ quét số {n}", f"Mưa lớn gây lũ ở xã {n}.", published,
                        language=language)  # fmt: skip
        for n in range(2):
            archive_row(session, q, run, f"q{n}", f"Lũ về {n}", f"Nước lũ lên nhanh ở thôn {n}.", T0)
        archive_row(session, q, run, "other", "Nắng nóng", "Trời nắng gay gắt.", T0)
    return factory


def test_counts_are_exact_up_to_the_bound(factory: sessionmaker[Session]) -> None:
    with factory() as session:
        counts = facet_counts(session, "lu", SearchFilters(statuses=()))
    assert counts.exact and counts.counted == 7
    assert [(v.value, v.label, v.count) for v in counts["portal"]] == [("p", "Báo P", 5), ("q", "Báo Q", 2)]
    assert [(v.value, v.count) for v in counts["language"]] == [("vi", 5), ("en", 2)]
    # months and years in Vietnam time, newest first: T0 is 2024-01-01 00:30 there
    assert [(v.value, v.count) for v in counts["month"]] == [("2024-01", 5), ("2023-11", 1), ("2022-11", 1)]
    assert [(v.value, v.count) for v in counts["year"]] == [("2024", 5), ("2023", 1), ("2022", 1)]
    archived = [(v.value, v.count) for v in counts["status"]]
    assert sum(count for _, count in archived) == 7


def test_counts_follow_the_filters(factory: sessionmaker[Session]) -> None:
    with factory() as session:
        counts = facet_counts(session, "lu", SearchFilters(portals=("q",), statuses=()))
    assert [(v.value, v.count) for v in counts["portal"]] == [("q", 2)] and counts.counted == 2


def test_past_the_bound_the_newest_matches_are_counted_and_flagged(factory: sessionmaker[Session]) -> None:
    with factory() as session:
        counts = facet_counts(session, "lu", SearchFilters(statuses=()), bound=3)
    # the 3 most recently archived: q1, q0 and p4
    assert not counts.exact and counts.counted == 3
    assert [(v.value, v.count) for v in counts["portal"]] == [("q", 2), ("p", 1)]
    assert all(v.more for v in counts["portal"]) and counts["portal"][0].count_text == "2+"


def test_every_year_is_counted_up_to_its_bound(factory: sessionmaker[Session]) -> None:
    with factory() as session:
        years = period_counts(session, parse_query("lu"), SearchFilters(statuses=()), "year", bound=2)
    # 2024 (Vietnam time) holds 5 matches: counted up to 2 and said so
    assert [(v.value, v.count, v.more) for v in years] == [
        ("2024", 2, True), ("2023", 1, False), ("2022", 1, False)
    ]  # fmt: skip


def test_months_of_a_year_are_counted_in_vietnam_time(factory: sessionmaker[Session]) -> None:
    year = SearchFilters(
        statuses=(), since=datetime(2023, 1, 1, tzinfo=VN_TZ), until=datetime(2024, 1, 1, tzinfo=VN_TZ)
    )
    with factory() as session:
        months = period_counts(session, parse_query("lu"), year, "month")
        # T0 is 2023-12-31 in UTC but January 2024 in Vietnam: not in 2023
        assert [(v.value, v.count) for v in months] == [("2023-11", 1)]
        assert count_up_to(session, parse_query("lu"), SearchFilters(statuses=()), 4) == 4


def test_the_browser_lists_old_years_past_the_counted_window(factory: sessionmaker[Session]) -> None:
    with factory() as session:
        facets = web_facets(session, parse_query("lu"), SearchFilters(statuses=()), bound=3)
        # the 3 newest archived matches are all of 2024; 2023 and 2022 are still offered, counted
        assert not facets.exact and facets.counted == 3
        assert [(v.value, v.count) for v in facets.years()] == [("2024", 5), ("2023", 1), ("2022", 1)]
        assert all(v.more for v in facets.portal) and facets.months == []
        chosen = SearchFilters(statuses=(), since=datetime(2024, 1, 1, tzinfo=VN_TZ),
                               until=datetime(2025, 1, 1, tzinfo=VN_TZ))  # fmt: skip
        facets = web_facets(session, parse_query("lu"), chosen, dated=SearchFilters(statuses=()), bound=3)
        assert [(v.label, v.count) for v in facets.months] == [("01/2024", 5)]
        # under the bound everything is exact, months over the whole span
        facets = web_facets(session, parse_query("lu"), SearchFilters(statuses=()))
        assert facets.exact and [m.label for m in facets.months] == ["11/2022", "11/2023", "01/2024"]
