"""Where a listing walk stops: after a page whose articles are all known, past ``since``, or none."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from storage import frontier

# Why pagination stops after a page, and the stat counted each time.
EMPTY, SINCE, KNOWN = "empty", "since", "known"
STOP_STATS = {
    EMPTY: "frontier/listing_empty",
    SINCE: "frontier/backfill_reached_since",
    KNOWN: "frontier/listing_stopped",
}


def pagination_stop(
    plans: Sequence[frontier.Plan], depth: int, *, since: datetime | None, stop_when_known: bool
) -> str | None:
    """Return why the walk stops after a listing page whose articles were planned as ``plans``, or None
    when it goes on.

    The home page's links (``depth`` 0) are always followed. A deeper page stops its series when it
    lists no article (EMPTY: also ends pagination traps); in backfill (``since``) when all its dated
    articles are older than ``since`` (SINCE); otherwise, with ``stop_when_known``
    (NEWSARCHIVE_LISTING_STOP_WHEN_KNOWN), when all its articles are fetched for good (KNOWN: a recrawl):
    archived or a final failure, not merely discovered, so a page whose articles a stopped crawl only
    discovered is walked on.
    """
    if depth == 0:
        return None
    if not plans:
        return EMPTY
    if since is not None:
        # Undated links (a sidebar of most-read articles) say nothing about how far back the page is.
        dated = [plan for plan in plans if plan.why == "older_than_since" or plan.dated]
        if dated and all(plan.why == "older_than_since" for plan in dated):
            return SINCE
        return None
    if stop_when_known and all(plan.done for plan in plans):
        return KNOWN
    return None


def pages_to_walk(next_pages: list[str], stop: str | None, walked: set[str]) -> list[str]:
    """Return the listing pages to request after a page whose walk stops for ``stop``.

    After KNOWN ground, the pages an earlier crawl never reached (it was killed, or cut short by a
    bound) are still walked (``walked`` are those it reached), so nothing it missed stays missed.
    """
    if stop == KNOWN:
        return [url for url in next_pages if url not in walked]
    if stop is not None:
        return []
    return next_pages
