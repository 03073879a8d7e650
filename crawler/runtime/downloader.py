"""Scrapy's downloader with each download slot's concurrency held under the asyncio reactor.

Scrapy 2.19's ``Downloader._process_queue`` starts a slot's queued requests while
``slot.free_transfer_slots()`` says there is room, each as a coroutine handed to ``_schedule_coro``.
Under the asyncio reactor that is an asyncio task, which adds its request to ``slot.transferring``
only when it first runs, on a later turn of the loop. So the loop never sees the slot fill: with no
download delay (a delay starts one request per call) it starts every request queued, and
CONCURRENT_REQUESTS_PER_DOMAIN bounds nothing below CONCURRENT_REQUESTS. Measured on the real-pages
benchmark (8 per portal, 32 in all): up to 26 requests at once to the one portal, and 235 TCP
connections for 425 requests, as Twisted's pool keeps 8 idle connections per host and closes the others
when the burst ends.

SlotBoundDownloader counts a request as transferring from the moment it is started. Scrapy's own
``_download`` adds it again (a set: no change) and removes it when the download ends, as before.
tests/unit/crawler/test_downloader.py checks the bound on a real crawl, and that Scrapy's own
downloader still oversteps it (when a Scrapy release fixes that, the override can go).
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

from scrapy import Request
from scrapy.core.downloader import Downloader, Slot
from twisted.internet.defer import Deferred

from crawler.runtime.scrapy_internals import internal

_USER = "crawler/runtime/downloader.py"


class SlotBoundDownloader(Downloader):
    """Scrapy's Downloader whose slots never transfer more than their concurrency at once."""

    def __init__(self, crawler: Any) -> None:
        # The method this class overrides: a Scrapy without it would silently bypass the override.
        internal(Downloader, "_wait_for_download", _USER)
        super().__init__(crawler)

    def _wait_for_download(
        self, slot: Slot, request: Request, queue_dfd: Deferred[Any]
    ) -> Coroutine[Any, Any, None]:
        # Called by _process_queue's loop, before it looks at the slot's free transfer slots again.
        internal(slot, "transferring", _USER).add(request)
        return super()._wait_for_download(slot, request, queue_dfd)
