"""Scrapy's scheduler with the crawl's pending requests on disk, JOBDIR or not."""

from __future__ import annotations

import inspect
import shutil
import tempfile
import weakref
from collections.abc import Callable
from typing import Any, cast

from scrapy import Request
from scrapy.core.scheduler import Scheduler
from scrapy.crawler import Crawler
from scrapy.spiders import Spider
from scrapy.squeues import PickleLifoDiskQueue
from twisted.internet.defer import Deferred

from crawler.runtime.scrapy_internals import internal, missing

_USER = "crawler/runtime/disk_queue.py"


class DiskQueueScheduler(Scheduler):
    """Keeps pending requests in Scrapy's disk queue even without JOBDIR, in a private temporary directory
    removed when the crawl closes.

    Without JOBDIR, Scrapy holds every scheduled request in memory: a portal whose sitemaps list 50,000
    articles put 50,000 requests in the crawl process at once (+160 MB measured with the real-pages
    benchmark, about 3 KB a request). On disk the process holds only the requests being downloaded.
    With JOBDIR, Scrapy's own behaviour is unchanged: the queue is kept there for a resume. The
    directory is made with ``tempfile`` (TMPDIR); a crawl killed with SIGKILL leaves it behind, named
    ``newsarchive-queue-*``.

    It relies on Scrapy's Scheduler internals (``dqdir``, made by ``_dqdir(jobdir)`` and read by ``open``
    to choose the disk queue, then ``dqs``): a Scrapy without them fails the crawl at its start
    (ScrapyInternalsMissing) instead of silently holding every request in memory.
    """

    private_dir: str | None = None  # the directory this scheduler made, when there is no JOBDIR

    def open(self, spider: Spider) -> Deferred[None] | None:
        if internal(self, "dqdir", _USER) is None:
            make_dqdir = internal(self, "_dqdir", _USER)
            self.private_dir = tempfile.mkdtemp(prefix="newsarchive-queue-")
            self.dqdir = make_dqdir(self.private_dir)
        opened = super().open(spider)
        if getattr(self, "dqs", None) is None:
            self._remove_private_dir()
            raise missing("disk queue (Scheduler.dqs) opened where Scheduler.dqdir points", _USER)
        return opened

    def close(self, reason: str) -> Deferred[None] | None:
        try:
            return super().close(reason)
        finally:
            self._remove_private_dir()

    def _remove_private_dir(self) -> None:
        if self.private_dir is not None:
            shutil.rmtree(self.private_dir, ignore_errors=True)


class SpiderMethods:
    """A spider's bound methods under their names, and nothing else.

    Scrapy's disk queue stores a request's callback and errback by name: ``Request.to_dict`` searches
    ``inspect.getmembers(spider)`` for the method, reading every attribute of the spider (a few hundred,
    properties included) twice per request. On the real-pages benchmark that search was 4% of the crawl's
    main process. Handed this object instead, it searches only the methods, and finds the same names.
    """

    def __init__(self, spider: Spider) -> None:
        self._names = [name for name, _ in inspect.getmembers(spider, predicate=inspect.ismethod)]
        for name in self._names:
            setattr(self, name, getattr(spider, name))

    def __dir__(self) -> list[str]:
        return list(self._names)


_METHODS: weakref.WeakKeyDictionary[Spider, SpiderMethods] = weakref.WeakKeyDictionary()


def spider_methods(spider: Spider) -> SpiderMethods:
    """The spider's SpiderMethods, made once per spider (the priority queue opens one queue per slot)."""
    methods = _METHODS.get(spider)
    if methods is None:
        methods = _METHODS[spider] = SpiderMethods(spider)
    return methods


class CallbackNamesLifoDiskQueue(PickleLifoDiskQueue):  # type: ignore[misc,valid-type]
    """Scrapy's default disk queue (SCHEDULER_DISK_QUEUE), storing the same dictionaries; only the search
    for the callback's name is made over SpiderMethods."""

    def __init__(self, crawler: Crawler, key: str) -> None:
        super().__init__(crawler, key)
        self.methods = spider_methods(self.spider)

    def push(self, request: Request) -> None:
        # Past Scrapy's push (which calls to_dict with the spider) to the pickling queue's own.
        serialize: Callable[[Any], None] = super(PickleLifoDiskQueue, self).push  # type: ignore[misc]
        # to_dict only looks the callbacks up among the object's methods: SpiderMethods stands in.
        serialize(request.to_dict(spider=cast(Spider, self.methods)))
