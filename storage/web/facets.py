"""What the browser's side panels count: facets of a search, and the portals with their last run."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, literal_column, select
from sqlalchemy.orm import Session

from storage.models import Article, CrawlRun, Portal
from storage.search.engine import matching_ids
from storage.search.filters import SearchFilters
from storage.search.query import Query
from storage.timezone import VN_TZ, local_iso

# SQLite knows no time zones: its dates are shifted by Vietnam's offset from UTC, which is fixed (no
# daylight saving): the hours between midnight in UTC and midnight in Vietnam.
_VN_OFFSET = datetime(2000, 1, 1, tzinfo=UTC) - datetime(2000, 1, 1, tzinfo=VN_TZ)
_SQLITE_SHIFT = f"{_VN_OFFSET / timedelta(hours=1):+g} hours"


@dataclass(frozen=True)
class FacetValue:
    """One value of a facet with how many matching articles have it; ``label`` is what to show."""

    value: str
    label: str
    count: int


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


def _month(session: Session) -> ColumnElement[Any]:
    return local_period(session, Article.published_at, "month")


@dataclass(frozen=True)
class Facets:
    """The side panel of a search: portals, languages and statuses (most frequent first), and the
    matches per month over the archive's whole span (oldest first), from which the years are summed."""

    portal: list[FacetValue]
    language: list[FacetValue]
    status: list[FacetValue]
    months: list[FacetValue]

    def years(self) -> list[FacetValue]:
        """Every year with matches, newest first."""
        totals: dict[str, int] = {}
        for month in self.months:
            totals[month.value[:4]] = totals.get(month.value[:4], 0) + month.count
        return [FacetValue(year, year, n) for year, n in sorted(totals.items(), reverse=True)]

    def months_of(self, year: str) -> list[FacetValue]:
        """The months of ``year`` with matches, in calendar order, labelled MM/YYYY."""
        return [m for m in self.months if m.value.startswith(f"{year}-")]


def facet_counts(
    session: Session,
    query: Query,
    filters: SearchFilters,
    *,
    dated: SearchFilters | None = None,
    limit: int = 12,
) -> Facets:
    """Return the facets of the articles matching ``query`` and ``filters``: at most ``limit`` values of
    portal, language and status; every month (no limit: a month facet that stops at the newest twelve
    cannot reach the older years). Months are counted under ``dated`` when given: the filters without the
    chosen year or month, so choosing one still shows the others."""
    ids = matching_ids(session, query, filters).subquery()
    columns: dict[str, Any] = {
        "portal": (Portal.key, Portal.name),
        "language": (Article.language,),
        "status": (Article.status,),
    }
    result: dict[str, list[FacetValue]] = {}
    for facet, selected in columns.items():
        statement = (
            select(*selected, func.count().label("n"))
            .select_from(Article)
            .join(ids, ids.c.id == Article.id)
            .outerjoin(Portal, Portal.id == Article.portal_id)
            .group_by(*selected)
        )
        rows = session.execute(statement.order_by(func.count().desc(), selected[0]).limit(limit)).all()
        values = []
        for row in rows:
            if row[0] is None:
                continue
            label = row[1] if facet == "portal" else row[0]
            values.append(FacetValue(str(row[0]), str(label), int(row[-1])))
        result[facet] = values
    month_ids = ids if dated is None else matching_ids(session, query, dated).subquery()
    month = _month(session)
    statement = (
        select(month, func.count().label("n"))
        .select_from(Article)
        .join(month_ids, month_ids.c.id == Article.id)
        .where(Article.published_at.is_not(None))
        .group_by(month)
        .order_by(month)
    )
    months = [
        FacetValue(str(row[0]), f"{row[0][5:7]}/{row[0][:4]}", int(row[1]))
        for row in session.execute(statement)
        if row[0]
    ]
    return Facets(result["portal"], result["language"], result["status"], months)


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
