"""The counts beside a search (per portal, year, month, language, status), bounded so their cost does not
grow with the matches.

Counting every match of a common word meant reading each matching row: 2.7 s at 100,000 articles on
SQLite (60,000 matches), ten times that at a million. These counts read at most COUNT_BOUND matches, the
newest, as the search reads its own (storage.search.engine.newest_match_rows: most recently archived;
on SQLite with a portal or date filter, most recently published): up to the bound they are exact; past
it they are the counts among those newest matches (FacetCounts.exact is False) and say so ("at least"),
as the search count says "more than".
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import Article, Portal
from storage.search import postgres, sqlite
from storage.search.engine import newest_match_rows
from storage.search.filters import SearchFilters
from storage.search.query import Query, parse_query
from storage.timezone import VN_TZ

FACETS = ("portal", "year", "month", "language", "status")
# Matches read at most: some 10 µs each with their columns (SQLite; PostgreSQL more), so some 20 ms.
COUNT_BOUND = 2000
# Past that window, each year (and each month of a chosen year) is counted up to this many matches, read
# newest published first: some 3 µs (SQLite) to 10 µs (PostgreSQL) each, so a year costs at most a few ms.
PERIOD_BOUND = 500


@dataclass(frozen=True)
class FacetValue:
    """One value of a facet with how many matching articles have it; ``label`` is what to show.
    ``more``: at least ``count`` have it (the count stopped at a bound); shown as "500+"."""

    value: str
    label: str
    count: int
    more: bool = False

    @property
    def count_text(self) -> str:
        return f"{self.count}+" if self.more else str(self.count)


@dataclass(frozen=True)
class FacetCounts:
    """Per facet (FACETS), its values with counts. ``exact`` False: more than ``counted`` articles match,
    and the counts are those among the ``counted`` newest (each a lower bound)."""

    values: dict[str, list[FacetValue]] = field(default_factory=dict)
    counted: int = 0
    exact: bool = True

    def __getitem__(self, facet: str) -> list[FacetValue]:
        return self.values[facet]


def facet_counts(
    session: Session,
    query: str | Query,
    filters: SearchFilters | None = None,
    *,
    limit: int = 12,
    bound: int = COUNT_BOUND,
    months: int | None = 12,
) -> FacetCounts:
    """Return the facets of the articles matching ``query`` and ``filters``: portals, languages and
    statuses most frequent first (at most ``limit`` each), months newest first (at most ``months``;
    None: every one), every year newest first. Exact up to ``bound`` matches (see FacetCounts); past
    it each count is a lower bound (``more``)."""
    parsed = parse_query(query) if isinstance(query, str) else query
    columns = (Article.portal_id, Article.language, Article.status)
    rows = newest_match_rows(session, parsed, filters or SearchFilters(), bound + 1, columns)
    exact = len(rows) <= bound
    rows = rows[:bound]
    more = not exact
    known: dict[Any, str] = {}
    portals: Counter[Any] = Counter()
    years, counted, languages, statuses = Counter[str](), Counter[str](), Counter[str](), Counter[str]()
    for row in rows:
        published, portal_id, language, status = row[1], row[2], row[3], row[4]
        month = _local_month(published, known)
        if month is not None:
            counted[month] += 1
            years[month[:4]] += 1
        if portal_id is not None:
            portals[portal_id] += 1
        if language is not None:
            languages[language] += 1
        statuses[status] += 1
    names = {
        portal_id: (key, name)
        for portal_id, key, name in session.execute(
            select(Portal.id, Portal.key, Portal.name).where(Portal.id.in_(list(portals)))
        )
    } if portals else {}  # fmt: skip
    values = {
        "portal": [
            FacetValue(names[portal_id][0], names[portal_id][1], count, more)
            for portal_id, count in sorted(portals.items(), key=lambda item: (-item[1], names[item[0]][0]))
            if portal_id in names
        ][:limit],
        "year": [FacetValue(year, year, years[year], more) for year in sorted(years, reverse=True)],
        "month": [
            FacetValue(month, month, counted[month], more) for month in sorted(counted, reverse=True)[:months]
        ],  # fmt: skip
        "language": _most_frequent(languages, limit, more),
        "status": _most_frequent(statuses, limit, more),
    }
    return FacetCounts(values, len(rows), exact)


def _most_frequent(counts: Counter[str], limit: int, more: bool) -> list[FacetValue]:
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]
    return [FacetValue(value, value, count, more) for value, count in ordered]


def count_up_to(session: Session, query: Query, filters: SearchFilters, bound: int) -> int:
    """Return the number of matches of ``query`` and ``filters``, counted up to ``bound``: the newest
    published are read (each database's date-ordered walk, storage.search.engine), at most ``bound``."""
    if session.get_bind().dialect.name == "postgresql":
        # In date order, as postgres.dated_page: a common word walks the date's index and stops.
        newest = postgres.matches(query, filters).order_by(Article.published_at.desc()).limit(bound)
        return int(session.scalar(select(func.count()).select_from(newest.subquery())) or 0)
    return len(sqlite.dated_page(session, query, filters, bound, 0))


def _local(moment: Any) -> datetime:
    """``moment`` in Vietnam time; it comes as the database stores it (SQLite: ISO text in UTC,
    PostgreSQL: a tz-aware datetime)."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(VN_TZ)


def _local_year(moment: Any) -> int:
    return _local(moment).year


def archive_years(session: Session) -> range:
    """The years (Vietnam time) from the archive's oldest publication date to its newest; empty without
    dates. Two reads of the publication date's index (one min() or max() per query is what SQLite
    answers from an index)."""
    oldest = session.scalar(select(func.min(Article.published_at)))
    newest = session.scalar(select(func.max(Article.published_at)))
    if oldest is None or newest is None:
        return range(0)
    return range(_local_year(oldest), _local_year(newest) + 1)


def _within(filters: SearchFilters, since: datetime, until: datetime) -> SearchFilters | None:
    """``filters`` narrowed to [since, until); None when that leaves no time."""
    low = since if filters.since is None else max(since, filters.since)
    high = until if filters.until is None else min(until, filters.until)
    return replace(filters, since=low, until=high) if low < high else None


def period_counts(
    session: Session, query: Query, filters: SearchFilters, unit: str, bound: int = PERIOD_BOUND
) -> list[FacetValue]:
    """Return, newest first, each year (``unit`` "year", over the archive's years) or each month of the
    years ``filters`` reach (``unit`` "month", only for filters within a few years) that has matches,
    counted up to ``bound`` (``more`` past it). Past the counts' window every period is still listed
    (an archivist must reach the old years) at some ``bound`` matches read per period."""
    years = archive_years(session)
    if filters.since is not None:
        years = range(max(years.start, _local_year(filters.since)), years.stop)
    if filters.until is not None:
        years = range(
            years.start, min(years.stop, _local_year(filters.until - timedelta(microseconds=1)) + 1)
        )
    periods: list[tuple[str, datetime, datetime]] = []
    for year in reversed(years):
        if unit == "year":
            periods.append(
                (f"{year}", datetime(year, 1, 1, tzinfo=VN_TZ), datetime(year + 1, 1, 1, tzinfo=VN_TZ))
            )
            continue
        for month in range(12, 0, -1):
            start = datetime(year, month, 1, tzinfo=VN_TZ)
            end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=VN_TZ)
            periods.append((f"{year}-{month:02d}", start, end))
    values = []
    for value, start, end in periods:
        narrowed = _within(filters, start, end)
        count = count_up_to(session, query, narrowed, bound) if narrowed is not None else 0
        if count:
            values.append(FacetValue(value, value, count, count >= bound))
    return values


def _local_month(published: Any, known: dict[Any, str]) -> str | None:
    """YYYY-MM of ``published`` (as the database stores it) in Vietnam time. ``known`` remembers each
    hour's month: converting thousands of dates one by one was a third of the counts' time."""
    if published is None:
        return None
    hour = (
        published[:13] if isinstance(published, str) else published.replace(minute=0, second=0, microsecond=0)
    )
    month = known.get(hour)
    if month is None:
        local = _local(published)
        month = known[hour] = f"{local.year:04d}-{local.month:02d}"
    return month
