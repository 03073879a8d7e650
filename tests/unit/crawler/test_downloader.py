"""A download slot's concurrency bounds its requests (crawler/runtime/downloader.py), on real crawls."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from scrapy import Spider
from scrapy.core.downloader import Downloader
from scrapy.utils.test import get_crawler

from crawler import settings as project
from crawler.runtime.downloader import SlotBoundDownloader
from crawler.runtime.scrapy_internals import ScrapyInternalsMissing

ROOT = Path(__file__).resolve().parents[3]
PER_SLOT = 3
REQUESTS = 24


class _CountingServer(ThreadingHTTPServer):
    """Counts the requests it holds at once: from reading one to answering it."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _SlowHandler)
        self.lock = threading.Lock()
        self.holding = 0
        self.peak = 0
        self.served = 0


class _SlowHandler(BaseHTTPRequestHandler):
    server: _CountingServer
    protocol_version = "HTTP/1.1"  # keep-alive, as the crawl's connection pool expects

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Log nothing."""

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        with self.server.lock:
            self.server.holding += 1
            self.server.peak = max(self.server.peak, self.server.holding)
        time.sleep(0.05)  # long enough for every request the crawler starts to overlap
        with self.server.lock:
            # Counted out before the answer leaves: the crawler cannot have started its next request yet.
            self.server.holding -= 1
            self.server.served += 1
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")


# A crawl as `newsarchive crawl` runs one (crawler.ops.run's process, the project's reactor, Scrapy's
# HTTP/1.1 handler over Twisted's connection pool), asking for every URL at once; prints its responses.
_BURST = textwrap.dedent(
    """
    import sys
    from scrapy import Request, Spider
    from crawler import settings as project
    from crawler.ops.run import _Process

    base, downloader, per_slot, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])

    class Burst(Spider):
        name = "burst"

        async def start(self):
            for number in range(count):
                yield Request(f"{base}/{number}", dont_filter=True)

        def parse(self, response):
            pass

    process = _Process({
        "TWISTED_REACTOR": project.TWISTED_REACTOR,
        "DOWNLOADER": downloader,
        "CONCURRENT_REQUESTS": 16,
        "CONCURRENT_REQUESTS_PER_DOMAIN": per_slot,
        "DOWNLOAD_DELAY": 0,
        "ROBOTSTXT_OBEY": False,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "ERROR",
    })
    crawler = process.create_crawler(Burst)
    process.crawl(crawler)
    process.start()
    print(crawler.stats.get_value("downloader/response_count"))
    """
)


@pytest.fixture
def server() -> Iterator[_CountingServer]:
    counting = _CountingServer()
    thread = threading.Thread(target=counting.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield counting
    finally:
        counting.shutdown()
        counting.server_close()
        thread.join(timeout=5)


def _crawl(server: _CountingServer, downloader: str) -> int:
    """Crawl REQUESTS pages of ``server`` at PER_SLOT per domain and no delay; return its responses."""
    base = f"http://127.0.0.1:{server.server_address[1]}"
    result = subprocess.run(
        [sys.executable, "-c", _BURST, base, downloader, str(PER_SLOT), str(REQUESTS)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    return int(result.stdout.split()[-1])


def test_the_crawl_uses_the_slot_bound_downloader() -> None:
    assert project.DOWNLOADER == "crawler.runtime.downloader.SlotBoundDownloader"


@pytest.mark.slow
def test_a_slot_never_transfers_more_than_its_concurrency(server: _CountingServer) -> None:
    assert _crawl(server, project.DOWNLOADER) == server.served == REQUESTS
    assert server.peak == PER_SLOT  # reached, never passed


@pytest.mark.slow
def test_scrapys_own_downloader_still_oversteps_it(server: _CountingServer) -> None:
    # The reason for the override (module docstring). When this fails, the installed Scrapy bounds its
    # slots itself: SlotBoundDownloader can go.
    assert _crawl(server, f"{Downloader.__module__}.{Downloader.__name__}") == server.served == REQUESTS
    assert server.peak > PER_SLOT


def test_the_downloader_fails_loudly_without_scrapys_method(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(Downloader, "_wait_for_download")
    crawler = get_crawler(Spider, {"DOWNLOADER": project.DOWNLOADER})
    with pytest.raises(
        ScrapyInternalsMissing, match=r"Downloader\._wait_for_download, which crawler/runtime/down"
    ):
        SlotBoundDownloader(crawler)
