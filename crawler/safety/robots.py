"""Scrapy's robots.txt middleware, with every request that waits for a portal's robots.txt obeying it.

Scrapy 2.19 awaits one shared Deferred per host from every request that arrives while the host's
robots.txt is being fetched. Awaiting a Deferred from asyncio consumes its result: the first waiter gets
the parser and every later one gets None, which the middleware reads as "no robots.txt" and lets
through. A fresh crawl has few such waiters (the home page); a crawl resumed from JOBDIR starts with a
queue full of article links, and the print pages robots.txt forbids were fetched and archived as new
versions of their articles. Here each waiter gets a Deferred of its own.
"""

from __future__ import annotations

import inspect

from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware as ScrapyRobotsTxtMiddleware
from scrapy.http import Request
from scrapy.robotstxt import RobotParser
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

from crawler.runtime.scrapy_internals import internal, missing

_USER = "crawler/safety/robots.py"


class RobotsTxtMiddleware(ScrapyRobotsTxtMiddleware):
    """RobotsTxtMiddleware whose concurrent waiters all get the host's parser. Settings: Scrapy's.

    It reads Scrapy's private ``_parsers`` (host -> parser, or the Deferred of a robots.txt being
    fetched) and awaits Scrapy's ``robot_parser`` coroutine: a Scrapy without them fails the crawl when
    the middleware is built (ScrapyInternalsMissing) instead of letting every waiter through.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        if not isinstance(internal(self, "_parsers", _USER), dict):
            raise missing("dict of robots.txt parsers at RobotsTxtMiddleware._parsers", _USER)
        if not inspect.iscoroutinefunction(ScrapyRobotsTxtMiddleware.robot_parser):
            raise missing("coroutine RobotsTxtMiddleware.robot_parser", _USER)

    async def robot_parser(self, request: Request) -> RobotParser | None:
        pending = self._parsers.get(urlparse_cached(request).netloc)
        if not isinstance(pending, Deferred):
            return await super().robot_parser(request)
        waiter: Deferred[RobotParser | None] = Deferred()

        def relay(result: RobotParser | None) -> RobotParser | None:
            waiter.callback(result)
            return result  # the next waiter gets it too

        pending.addCallback(relay)
        return await maybe_deferred_to_future(waiter)
