"""ConditionalGetMiddleware: conditional GETs with the validators the frontier planner chose."""

from __future__ import annotations

from typing import Any

from scrapy import Request
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from pipelines import defaults


class ConditionalGetMiddleware:
    """Adds If-None-Match / If-Modified-Since to an article request the frontier knows.

    The validators are the ETag and Last-Modified the portal sent with the last capture, looked up by
    the frontier planner (crawler.frontier.planner) with the rest of its plan (request.meta["validators"]);
    nothing is loaded at start.
    A 304 answer reaches the spider as a not-modified revisit; nothing is downloaded twice.

    Settings: FRONTIER_ENABLED (default True). Stats: frontier/conditional, frontier/not_modified.
    """

    def __init__(self, stats: Any) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Any) -> ConditionalGetMiddleware:
        if not crawler.settings.getbool("FRONTIER_ENABLED", defaults.FRONTIER_ENABLED):
            raise NotConfigured("FRONTIER_ENABLED is off")
        return cls(crawler.stats)

    def process_request(self, request: Request) -> None:
        validators = request.meta.get("validators")
        if not validators:
            return
        etag, last_modified = validators
        if etag:
            request.headers.setdefault(b"If-None-Match", etag.encode("latin-1"))
        if last_modified:
            request.headers.setdefault(b"If-Modified-Since", last_modified.encode("latin-1"))
        if etag or last_modified:
            request.meta["conditional"] = True
            self.stats.inc_value("frontier/conditional")

    def process_response(self, request: Request, response: Response) -> Response:
        if response.status == 304 and request.meta.get("conditional"):
            self.stats.inc_value("frontier/not_modified")
        return response
