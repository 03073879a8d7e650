"""Scrapy internals our components read or override, checked against the installed Scrapy (the pin's)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from scrapy import Request, Spider, signals
from scrapy.core.scheduler import Scheduler
from scrapy.crawler import CrawlerProcessBase
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware as ScrapyRobotsTxtMiddleware
from scrapy.exceptions import CloseSpider
from scrapy.http import TextResponse
from scrapy.resolver import CachingHostnameResolver
from scrapy.robotstxt import RobotParser
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IHostnameResolver

from crawler import settings as project
from crawler.ops.run import _Process
from crawler.runtime import backpressure
from crawler.runtime.disk_queue import DiskQueueScheduler
from crawler.runtime.scrapy_internals import ScrapyInternalsMissing
from crawler.safety.guard import GuardedResolver
from crawler.safety.robots import RobotsTxtMiddleware

ROOT = Path(__file__).resolve().parents[3]
ROBOTS = "crawler.safety.robots.RobotsTxtMiddleware"


@dataclass
class CrawlSeen:
    """What a probe saw inside a real Scrapy crawl while its spider was open, and the crawl's stats."""

    engine: Any = None
    in_process: Any = None
    next_request: Any = None
    scheduler: Any = None
    queue_dir: str | None = None
    queue_dir_existed: bool = False
    robots: Any = None
    stats: dict[str, Any] = field(default_factory=dict)


class _OneRequest(Spider):
    name = "one_request"

    async def start(self) -> Any:
        yield Request("data:,ok")  # its callback is parse: serializable, so it can wait on disk

    def parse(self, response: Any) -> None:
        """Nothing to take from the page."""


@pytest.fixture(scope="module")
def crawl() -> CrawlSeen:
    """One real in-process Scrapy crawl (one data: URL) with the project's scheduler and robots.txt
    middleware; a spider_opened probe records the engine internals our components read."""
    seen = CrawlSeen()
    settings = {
        "SCHEDULER": project.SCHEDULER,
        "SCHEDULER_PRIORITY_QUEUE": project.SCHEDULER_PRIORITY_QUEUE,
        "DOWNLOADER_MIDDLEWARES": {
            name: order for name, order in project.DOWNLOADER_MIDDLEWARES.items() if "robots" in name
        },
        "ROBOTSTXT_OBEY": True,
        "LOG_LEVEL": "ERROR",
    }
    assert settings["DOWNLOADER_MIDDLEWARES"][ROBOTS]  # the project's robots.txt middleware is ours
    crawler = get_crawler(_OneRequest, settings)

    def opened(spider: Spider) -> None:
        engine = seen.engine = crawler.engine
        seen.in_process = backpressure.pages_in_process(engine)
        seen.next_request = backpressure.next_request_call(engine)
        backpressure.require_engine_internals(engine)  # raises CloseSpider when something is missing
        seen.scheduler = engine.scheduler
        seen.queue_dir = seen.scheduler.private_dir
        seen.queue_dir_existed = seen.queue_dir is not None and os.path.isdir(seen.queue_dir)
        seen.robots = crawler.get_downloader_middleware(ScrapyRobotsTxtMiddleware)

    crawler.signals.connect(opened, signal=signals.spider_opened)
    asyncio.run(crawler.crawl_async())
    seen.stats = crawler.stats.get_stats()
    assert seen.stats["finish_reason"] == "finished", seen.stats
    return seen


def test_backpressure_finds_the_scrapers_responses_and_the_engines_next_call(crawl: CrawlSeen) -> None:
    # ExecutionEngine.scraper.slot.active and ExecutionEngine._slot.nextcall (crawler/runtime/backpressure.py)
    assert isinstance(crawl.in_process, set)
    assert callable(crawl.next_request.schedule)


def test_progress_reads_the_engines_scheduler(crawl: CrawlSeen) -> None:
    # ExecutionEngine.scheduler, public since Scrapy 2.19 (crawler/runtime/progress.py)
    assert isinstance(crawl.scheduler, DiskQueueScheduler)
    assert crawl.engine.scheduler is None  # after the crawl: no spider, no scheduler


def test_the_scheduler_keeps_requests_in_a_private_disk_queue_removed_at_the_end(crawl: CrawlSeen) -> None:
    # Scheduler.dqdir, Scheduler._dqdir() and Scheduler.dqs (crawler/runtime/disk_queue.py)
    assert crawl.queue_dir_existed and crawl.queue_dir is not None
    assert Path(crawl.queue_dir).name.startswith("newsarchive-queue-")
    assert crawl.stats["scheduler/enqueued/disk"] == crawl.stats["scheduler/enqueued"] == 1
    assert "scheduler/enqueued/memory" not in crawl.stats
    assert not os.path.exists(crawl.queue_dir)


def test_the_scheduler_fails_loudly_without_scrapys_disk_queue_directory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    renamed = DiskQueueScheduler(dupefilter=SimpleNamespace(), jobdir=None)
    del renamed.dqdir
    with pytest.raises(ScrapyInternalsMissing, match=r"Scheduler\.dqdir, which crawler/runtime/disk_queue"):
        renamed.open(_OneRequest())
    removed = DiskQueueScheduler(dupefilter=SimpleNamespace(), jobdir=None)
    monkeypatch.delattr(Scheduler, "_dqdir")
    with pytest.raises(ScrapyInternalsMissing, match=r"Scheduler\._dqdir, which crawler/runtime/disk_queue"):
        removed.open(_OneRequest())


def test_robots_middleware_reads_scrapys_parsers(crawl: CrawlSeen) -> None:
    # RobotsTxtMiddleware._parsers (crawler/safety/robots.py)
    assert isinstance(crawl.robots, RobotsTxtMiddleware)
    assert isinstance(crawl.robots._parsers, dict)


def test_robots_middleware_fails_loudly_without_scrapys_parsers(monkeypatch: pytest.MonkeyPatch) -> None:
    original = ScrapyRobotsTxtMiddleware.__init__

    def renamed(self: Any, crawler: Any) -> None:
        original(self, crawler)
        self._robot_parsers = self.__dict__.pop("_parsers")

    monkeypatch.setattr(ScrapyRobotsTxtMiddleware, "__init__", renamed)
    with pytest.raises(ScrapyInternalsMissing, match=r"RobotsTxtMiddleware\._parsers"):
        RobotsTxtMiddleware.from_crawler(get_crawler(Spider, {"ROBOTSTXT_OBEY": True}))


async def _waiters(middleware_class: type[ScrapyRobotsTxtMiddleware]) -> list[RobotParser | None]:
    """Three requests to one host ask for its robots.txt parser while robots.txt is being fetched;
    return what each got."""
    crawler = get_crawler(Spider, {"ROBOTSTXT_OBEY": True})
    middleware = middleware_class.from_crawler(crawler)
    fetched: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def download_async(request: Request) -> TextResponse:
        await fetched
        return TextResponse(request.url, body=b"User-agent: *\nDisallow: /in/\n", request=request)

    crawler.engine = SimpleNamespace(download_async=download_async)
    asking = [asyncio.ensure_future(middleware.robot_parser(Request(f"http://p.vn/{n}"))) for n in range(3)]
    await asyncio.sleep(0)
    # What crawler/safety/robots.py relays from: the host's Deferred, kept while robots.txt is fetched.
    assert isinstance(middleware._parsers["p.vn"], Deferred)
    fetched.set_result(None)
    return list(await asyncio.gather(*asking))


def test_every_request_waiting_for_robots_txt_gets_the_parser() -> None:
    parsers = asyncio.run(_waiters(RobotsTxtMiddleware))
    assert all(parser is not None and not parser.allowed("http://p.vn/in/", "*") for parser in parsers)
    # Scrapy's own middleware hands a later waiter None ("no robots.txt"): the reason ours exists. When
    # this fails, Scrapy has fixed it and crawler/safety/robots.py can go.
    assert None in asyncio.run(_waiters(ScrapyRobotsTxtMiddleware))


def test_backpressure_fails_the_crawl_without_the_engines_slots() -> None:
    no_engine_slot = SimpleNamespace(scraper=SimpleNamespace(slot=SimpleNamespace(active=set())))
    with pytest.raises(CloseSpider) as closed:
        backpressure.require_engine_internals(no_engine_slot)
    assert "._slot, which crawler/runtime/backpressure.py relies on" in closed.value.reason
    no_active_set = SimpleNamespace(scraper=SimpleNamespace(slot=SimpleNamespace(queue=[])), _slot=None)
    with pytest.raises(CloseSpider) as closed:
        backpressure.require_engine_internals(no_active_set)
    assert ".active, which crawler/runtime/backpressure.py relies on" in closed.value.reason


def test_a_spider_opened_failure_ends_the_crawl_with_its_reason() -> None:
    # How the backpressure fails a crawl: CloseSpider from spider_opened closes it with that reason,
    # which crawler/runtime/run_record.py records as a failed run.
    crawler = get_crawler(_OneRequest, {"LOG_LEVEL": "CRITICAL"})

    def refuse(spider: Spider) -> None:
        raise CloseSpider("Scrapy lacks what this crawl needs")

    crawler.signals.connect(refuse, signal=signals.spider_opened)
    asyncio.run(crawler.crawl_async())
    assert crawler.stats.get_value("finish_reason") == "Scrapy lacks what this crawl needs"
    assert crawler.stats.get_value("downloader/request_count") is None


_SIGNALLED = textwrap.dedent(
    """
    import asyncio, os, signal
    from scrapy import Spider
    from crawler.ops.run import _Process

    class Interrupted(Spider):
        name = "interrupted"

        async def start(self):
            await asyncio.sleep(0.5)  # the reactor runs: Scrapy has installed its signal handlers
            os.kill(os.getpid(), signal.SIGINT)
            return
            yield

    process = _Process({"LOG_LEVEL": "ERROR", "TELNETCONSOLE_ENABLED": False})
    process.crawl(Interrupted)
    process.start()
    print(process.signum)
    """
)


def test_the_crawl_process_hears_the_signal_that_stopped_it() -> None:
    # CrawlerProcess._signal_shutdown and _signal_kill, the handlers Scrapy installs (crawler/ops/run.py)
    result = subprocess.run(
        [sys.executable, "-c", _SIGNALLED], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["2"], result.stdout + result.stderr[-2000:]


def test_the_crawl_process_fails_loudly_without_scrapys_signal_handlers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delattr(CrawlerProcessBase, "_signal_kill")
    with pytest.raises(ScrapyInternalsMissing, match=r"CrawlerProcess\._signal_kill, which crawler/ops/run"):
        _Process(Settings({"LOG_LEVEL": "ERROR"}))


def test_the_guarded_resolver_is_what_the_reactor_asks() -> None:
    # Scrapy installs TWISTED_DNS_RESOLVER as the reactor's IHostnameResolver, whose resolveHostName (with
    # the port) the guard overrides (crawler/safety/guard.py): a resolver installed another way would skip
    # the check. The HTTP download handler's HostnameEndpoint asks reactor.nameResolver.
    assert issubclass(GuardedResolver, CachingHostnameResolver)
    installed: list[Any] = []
    reactor = SimpleNamespace(installNameResolver=installed.append, nameResolver=None)
    resolver = GuardedResolver.from_crawler(get_crawler(Spider), reactor)
    resolver.install_on_reactor()
    assert installed == [resolver] and IHostnameResolver.providedBy(resolver)
