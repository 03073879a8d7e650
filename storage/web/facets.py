"""What the browser's side panels count: facets of a search, and the portals with their last run."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, literal_column, select
from sqlalchemy.orm import Session

from storage.models import Article, CrawlRun, Portal
from storage.search import counts as search_counts
from storage.search.counts import COUNT_BOUND, FacetValue
from storage.search.filters import SearchFilters
from storage.search.query import Query
from storage.timezone import VN_TZ, local_iso

__all__ = ["FacetValue", "Facets", "facet_counts", "local_period", "portal_summaries"]

# A chosen year spans at most this (a leap year, in Vietnam time).
_YEAR = timedelta(days=366)

# SQLite knows no time zones: its dates are shifted by Vietnam's offset from UTC, which is fixed (no
# daylight saving): the hours between midnight in UTC and midnight in Vietnam.
_VN_OFFSET = datetime(2000, 1, 1, tzinfo=UTC) - datetime(2000, 1, 1, tzinfo=VN_TZ)
_SQLITE_SHIFT = f"{_VN_OFFSET / timedelta(hours=1):+g} hours"


# The calendar periods charts and facets count by, in each database's date format.
_PERIODS = {"day": ("%Y-%m-%d", "YYYY-MM-DD"), "month": ("%Y-%m", "YYYY-MM")}


def local_period(session: Session, column: Any, unit: str = "month") -> ColumnElement[Any]:
    """Return ``column`` (a UTC instant) as its calendar day (YYYY-MM-DD) or month (YYYY-MM) in Vietnam
    time, like every date the archivists see."""
    sqlite_format, postgres_format = _PERIODS[unit]
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(
            func.timezone(literal_column(f"'{VN_TZ.key}'"), column), literal_column(f"'{postgres_format}'")
        )
    return func.strftime(sqlite_format, column, _SQLITE_SHIFT)


@dataclass(frozen=True)
class Facets:
    """The side panel of a search: portals, languages and statuses (most frequent first), the matches
    per month (oldest first) and per year (newest first).

    ``exact`` False: more than ``counted`` articles match; portals, languages and statuses are then
    counted among the ``counted`` newest (lower bounds, ``more``), every year of the archive with
    matches is listed counted up to storage.search.counts.PERIOD_BOUND, and the months are those of
    the chosen year (if any), counted likewise.
    """

    portal: list[FacetValue]
    language: list[FacetValue]
    status: list[FacetValue]
    months: list[FacetValue]
    year_values: list[FacetValue] | None = None
    exact: bool = True
    counted: int = 0

    def years(self) -> list[FacetValue]:
        """Every year with matches, newest first."""
        if self.year_values is not None:
            return self.year_values
        totals: dict[str, int] = {}
        for month in self.months:
            totals[month.value[:4]] = totals.get(month.value[:4], 0) + month.count
        return [FacetValue(year, year, n) for year, n in sorted(totals.items(), reverse=True)]

    def months_of(self, year: str) -> list[FacetValue]:
        """The months of ``year`` with matches, in calendar order, labelled MM/YYYY."""
        return [m for m in self.months if m.value.startswith(f"{year}-")]


def _month_values(values: list[FacetValue]) -> list[FacetValue]:
    """Months (YYYY-MM, any order) oldest first, labelled MM/YYYY."""
    return [
        FacetValue(m.value, f"{m.value[5:7]}/{m.value[:4]}", m.count, m.more)
        for m in sorted(values, key=lambda m: m.value)
    ]


def facet_counts(
    session: Session,
    query: Query,
    filters: SearchFilters,
    *,
    dated: SearchFilters | None = None,
    limit: int = 12,
    bound: int = COUNT_BOUND,
) -> Facets:
    """Return the facets of the articles matching ``query`` and ``filters``: at most ``limit`` values of
    portal, language and status; every month (no limit: a month facet that stops at the newest twelve
    cannot reach the older years). Months are counted under ``dated`` when given: the filters without the
    chosen year or month, so choosing one still shows the others.

    The cost is bounded whatever the number of matches (a common word matches most of a million
    articles): at most ``bound`` matches are read for the counts, and past that each year and each
    month of a chosen year some PERIOD_BOUND more (see Facets).
    """
    window = search_counts.facet_counts(session, query, filters, limit=limit, bound=bound, months=None)
    by_month = window
    if dated is not None and dated != filters:
        by_month = search_counts.facet_counts(session, query, dated, limit=limit, bound=bound, months=None)
    if by_month.exact:
        months, years = _month_values(by_month["month"]), None
    else:
        years = search_counts.period_counts(session, query, dated or filters, "year")
        months = []
        if filters.since is not None and filters.until is not None and filters.until - filters.since <= _YEAR:
            # a year or month chosen: the months of that year, with the filters other than it
            year = filters.since.astimezone(VN_TZ).year
            narrowed = replace(
                dated or filters,
                since=datetime(year, 1, 1, tzinfo=VN_TZ),
                until=datetime(year + 1, 1, 1, tzinfo=VN_TZ),
            )
            months = _month_values(search_counts.period_counts(session, query, narrowed, "month"))
    return Facets(
        window["portal"], window["language"], window["status"], months, years, window.exact, window.counted
    )


def portal_summaries(session: Session) -> list[dict[str, Any]]:
    """Return every portal with its article counts per status and its last crawl run (may be None)."""
    counts: dict[int | None, dict[str, int]] = {}
    for portal_id, status, count in session.execute(
        select(Article.portal_id, Article.status, func.count()).group_by(Article.portal_id, Article.status)
    ):
        counts.setdefault(portal_id, {})[status] = count
    runs = list(session.scalars(select(CrawlRun).order_by(CrawlRun.started_at.desc(), CrawlRun.id.desc())))
    summaries = []
    for portal in session.scalars(select(Portal).order_by(Portal.key)):
        last = next((run for run in runs if portal.key in (run.portals or [])), None)
        by_status = counts.get(portal.id, {})
        summaries.append({
            "key": portal.key, "name": portal.name, "home_url": portal.home_url,
            "articles": sum(by_status.values()), "archived": by_status.get("archived", 0),
            "last_run": None if last is None else {
                "id": last.id, "started_at": local_iso(last.started_at), "status": last.status,
                "finish_reason": last.finish_reason,
            },
        })  # fmt: skip
    return summaries
