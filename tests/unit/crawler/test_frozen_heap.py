"""The crawl's start-up objects are frozen out of the collector's full passes once the spider opens."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest
from scrapy import signals
from scrapy.utils.test import get_crawler

from crawler import settings
from crawler.runtime.frozen_heap import FrozenStartupHeap
from crawler.spiders.portal import PortalSpider


class _Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the collector frees it


@pytest.fixture
def collector() -> Iterator[None]:
    """The collector as a fresh process has it, and as this test found it afterwards."""
    gc.unfreeze()
    gc.disable()  # no automatic pass may free the cycle before the extension does
    yield
    gc.enable()
    gc.unfreeze()


def test_the_crawl_freezes_its_start_up_objects_when_the_spider_opens(collector: None) -> None:
    assert "crawler.runtime.frozen_heap.FrozenStartupHeap" in settings.EXTENSIONS
    crawler = get_crawler(PortalSpider)
    extension = FrozenStartupHeap.from_crawler(crawler)  # kept: signals hold their receivers weakly
    garbage = weakref.ref(_Node())  # start-up garbage, unreachable already
    assert gc.get_freeze_count() == 0 and garbage() is not None
    crawler.signals.send_catch_log(signals.spider_opened, spider=None)
    assert gc.get_freeze_count() > 10_000  # the modules' objects and the crawler's
    assert garbage() is None  # collected first, not frozen for the rest of the crawl
    assert extension is not None
