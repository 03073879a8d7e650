"""The one ArchiveOutage (storage.db) of a crawl, shared by every component that touches the archive."""

from __future__ import annotations

from typing import Any

from pipelines import defaults
from storage.db import ArchiveOutage

_ATTRIBUTE = "newsarchive_archive_outage"


def outage_of(crawler: Any) -> ArchiveOutage:
    """Return the crawl's ArchiveOutage, made on first use with ARCHIVE_RETRY_BUDGET (seconds): the
    archive writer, the frontier planner, the leases, the run record and the backpressure must agree on
    whether the archive is down or lost, so they share one, kept on the crawler."""
    outage = getattr(crawler, _ATTRIBUTE, None)
    if outage is None:
        budget = crawler.settings.getfloat("ARCHIVE_RETRY_BUDGET", defaults.ARCHIVE_RETRY_BUDGET)
        outage = ArchiveOutage(budget)
        setattr(crawler, _ATTRIBUTE, outage)
    return outage
