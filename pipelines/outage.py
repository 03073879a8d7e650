"""ArchiveOutage: a crawl's one view of its archive's availability, shared by every component that
touches the archive (the retry policy of storage.db.retrying reports to it)."""

from __future__ import annotations

import logging
import threading
from time import monotonic
from typing import Any

from pipelines import defaults
from storage.safe_text import exception_line

logger = logging.getLogger(__name__)
_ATTRIBUTE = "newsarchive_archive_outage"


class ArchiveOutage:
    """What the components of one crawl know of their archive's availability, shared by their threads
    (storage.db.RetryObserver).

    ``retrying(..., outage=...)`` reports each retried failure that is not is_busy (``down`` becomes
    true: the crawl holds its pages and pauses downloads) and each success (``down`` false again); when
    one caller has spent its ``budget`` the archive is ``lost``: every other caller then makes one last
    attempt instead of waiting out a budget of its own, and the crawl stops with ``archive_unavailable``.
    """

    def __init__(self, budget: float = defaults.ARCHIVE_RETRY_BUDGET) -> None:
        self.budget = budget
        self.lost: str | None = None  # the one line saying why, once lost
        self.outages = 0
        self.longest = 0.0  # seconds, the longest outage ridden out
        self._down_since: float | None = None
        self._lock = threading.Lock()

    @property
    def down(self) -> bool:
        return self._down_since is not None

    def failed(self, exc: BaseException) -> None:
        with self._lock:
            if self._down_since is not None or self.lost is not None:
                return
            self._down_since = monotonic()
            self.outages += 1
        logger.warning(
            "archive unreachable: %s; retrying for up to %.0f s (fetched pages held, downloads paused)",
            exception_line(exc),
            self.budget,
        )

    def recovered(self) -> None:
        if self._down_since is None:  # the common case, without the lock
            return
        with self._lock:
            if self._down_since is None:
                return
            lasted, self._down_since = monotonic() - self._down_since, None
            self.longest = max(self.longest, lasted)
        logger.warning("archive reachable again after %.1f s; the crawl goes on", lasted)

    def give_up(self, exc: BaseException) -> None:
        """The archive is lost for this crawl (a caller spent its budget, or an archive call failed where
        the crawl cannot go on without it): say why once."""
        with self._lock:
            if self.lost is not None:
                return
            self.lost = exception_line(exc)
            if self._down_since is not None:
                self.longest = max(self.longest, monotonic() - self._down_since)
            self._down_since = None
        logger.error(
            "archive unavailable (%s): the crawl stops; the next crawl fetches what was not written",
            self.lost,
        )


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
