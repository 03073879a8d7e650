"""The frontier's records of discovery pages: listing pages walked, pagination series whose walk is open,
sitemaps read with the lastmod their index gave them. Functions take a Session and never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.frontier import entries_for, frontier_key, new_row
from storage.models import FrontierEntry, FrontierState

# The reason on a pagination series' row while its walk is unfinished: the last walk requested a next
# page and was not seen to reach the series' end or its known ground (killed, or cut short by a bound).
WALK_OPEN = "walk open"


def record_listing(session: Session, portal_id: int, url: str, fetched_at: datetime) -> None:
    """Remember that a listing page was walked (see walked_listings)."""
    _record_page(session, portal_id, url, fetched_at, "listing")


def record_walk(session: Session, portal_id: int, series: str, at: datetime, *, walk_open: bool) -> None:
    """Remember whether the walk of the pagination series ``series`` (storage key of its URL without a
    page number) goes on past the page just walked (``walk_open``) or ended there (see open_walks)."""
    key = frontier_key(series)
    row = entries_for(session, {key: new_row(portal_id, series, "listing", at)})[key]
    row.reason = WALK_OPEN if walk_open else None


def open_walks(session: Session, series: Sequence[str]) -> set[str]:
    """Return those of the pagination ``series`` whose last walk did not end: the next crawl walks them on
    over known ground instead of stopping at their first known page."""
    keys = {frontier_key(url): url for url in series}
    if not keys:
        return set()
    found = session.scalars(
        select(FrontierEntry.url_key).where(
            FrontierEntry.url_key.in_(list(keys)), FrontierEntry.reason == WALK_OPEN
        )
    )
    return {keys[key] for key in found}


def walked_listings(session: Session, urls: Sequence[str]) -> set[str]:
    """Return those of ``urls`` (listing pages) that an earlier crawl walked: a walk may stop before
    them only if it reached them once, so a killed or cut-short crawl is continued, not forgotten."""
    keys = {frontier_key(url): url for url in urls}
    if not keys:
        return set()
    found = session.scalars(
        select(FrontierEntry.url_key).where(
            FrontierEntry.url_key.in_(list(keys)), FrontierEntry.last_fetched_at.is_not(None)
        )
    )
    return {keys[key] for key in found}


def sitemap_changed(session: Session, portal_id: int, url: str, lastmod: datetime | None) -> bool:
    """Whether a sitemap listed in an index with ``lastmod`` must be fetched: not read before, no
    lastmod, or a lastmod later than the one the index gave when we last read it (the portal's value
    against the portal's value; our last fetch time only for a sitemap read before that was recorded)."""
    statement = select(FrontierEntry).where(FrontierEntry.url_key == frontier_key(url))
    row = session.scalars(statement).one_or_none()
    if row is None or lastmod is None or row.last_fetched_at is None:
        return True
    if row.sitemap_lastmod is not None:
        return lastmod > row.sitemap_lastmod
    return lastmod > row.last_fetched_at


def record_sitemap(
    session: Session, portal_id: int, url: str, fetched_at: datetime, lastmod: datetime | None = None
) -> None:
    """Remember that a sitemap was read, and the lastmod its index gave it then (for sitemap_changed).
    Recorded after its articles were planned, in the same write: a crawl stopped between the two reads
    the sitemap again."""
    row = _record_page(session, portal_id, url, fetched_at, "sitemap")
    row.sitemap_lastmod = lastmod


def _record_page(
    session: Session, portal_id: int, url: str, fetched_at: datetime, kind: str
) -> FrontierEntry:
    key = frontier_key(url)
    row = entries_for(session, {key: new_row(portal_id, url, kind, fetched_at)})[key]
    row.state, row.last_fetched_at, row.last_seen_at = FrontierState.FETCHED.value, fetched_at, fetched_at
    return row
