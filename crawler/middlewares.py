"""FrontierMiddleware: conditional GETs for archived pages, so repeated crawls refetch only changes."""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Request, signals
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from sqlalchemy.exc import SQLAlchemyError

from storage import repository
from storage.db import ArchiveUnavailable, open_archive

logger = logging.getLogger(__name__)


class FrontierMiddleware:
    """Adds If-None-Match / If-Modified-Since to article requests whose URL the archive already holds.

    The validators are the ETag and Last-Modified the portal sent with the archived capture. A 304
    answer reaches the spider as a not-modified revisit; nothing is downloaded twice.

    Settings: FRONTIER_ENABLED (default True), ARCHIVE_DATABASE_URL. Stats: frontier/conditional,
    frontier/not_modified.
    """

    def __init__(self, database_url: str, stats: Any) -> None:
        self.database_url = database_url
        self.stats = stats
        self.validators: dict[str, tuple[str | None, str | None]] = {}

    @classmethod
    def from_crawler(cls, crawler: Any) -> FrontierMiddleware:
        if not crawler.settings.getbool("FRONTIER_ENABLED", True):
            raise NotConfigured("FRONTIER_ENABLED is off")
        middleware = cls(crawler.settings.get("ARCHIVE_DATABASE_URL"), crawler.stats)
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        return middleware

    def spider_opened(self, spider: Any) -> None:
        try:
            engine, factory = open_archive(self.database_url)
            with factory() as session:
                self.validators = repository.cache_validators(session)
            engine.dispose()
        except (ArchiveUnavailable, SQLAlchemyError) as exc:
            # Without validators every page is fetched in full: slower, never wrong.
            logger.warning("frontier: no validators from the archive (%s)", exc)
        logger.info("frontier: %d archived URLs can be revalidated", len(self.validators))

    def process_request(self, request: Request) -> None:
        if request.meta.get("via") not in ("listing", "sitemap", "feed") or request.meta.get(
            "no_conditional"
        ):
            return
        etag, last_modified = self.validators.get(request.url, (None, None))
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
