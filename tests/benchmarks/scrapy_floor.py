"""Scrapy's own CPU per page: a bare Scrapy spider over the real-pages portal's article URLs.

The crawl's main process runs Scrapy (downloader, middlewares, signals) plus our pipelines and the
archive writer. This spider fetches the same URLs as `make bench`'s real-pages workload with Scrapy's
default components and does nothing with the responses, so its CPU per page (the process's user +
system time, the portal's server running in another process) is the floor of the main process's
``main_ms_page`` that Scrapy itself sets. Prints one ``BENCH workload=scrapy-floor ...`` line.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import sys
import time
from collections.abc import AsyncIterator
from multiprocessing.connection import Connection
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _serve(data: str, pages: int, paths: Connection) -> None:
    """Serve the real pages (in a process of its own, so its CPU is not counted) until terminated."""
    from tests.benchmarks.realpages import RealPagesServer, RealPagesSite, load_pages

    site = RealPagesSite(load_pages(Path(data)), pages)
    with RealPagesServer(site) as server:
        paths.send([server.base_url + site.path(number) for number in range(pages)])
        while True:
            time.sleep(60)


def measure(urls: list[str]) -> tuple[int, int, float]:
    """Fetch ``urls`` with a do-nothing Scrapy spider; return (pages, bytes, CPU seconds)."""
    import scrapy
    from scrapy.crawler import CrawlerProcess

    fetched = [0, 0]

    class FloorSpider(scrapy.Spider):
        name = "scrapy-floor"

        async def start(self) -> AsyncIterator[scrapy.Request]:
            for url in urls:
                yield scrapy.Request(url, callback=self.parse)

        def parse(self, response: scrapy.http.Response) -> None:
            fetched[0] += 1
            fetched[1] += len(response.body)

    # As the crawl's benchmark settings (tests/benchmarks/crawl.py CRAWL_SETTINGS): no delay, 8 per portal.
    process = CrawlerProcess(
        {
            "LOG_LEVEL": "WARNING",
            "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
            "DOWNLOAD_DELAY": 0,
            "ROBOTSTXT_OBEY": False,
            "TELNETCONSOLE_ENABLED": False,
        }
    )
    process.crawl(FloorSpider)
    before = resource.getrusage(resource.RUSAGE_SELF)
    process.start()
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return fetched[0], fetched[1], cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pages", type=int, default=2000, help="article URLs (default 2000)")
    default_data = os.environ.get("NEWSARCHIVE_DATA") or str(ROOT.parent / "shared" / "data")
    parser.add_argument("--data", default=default_data, help="dir of real pages (default $NEWSARCHIVE_DATA)")
    args = parser.parse_args(argv)
    receiving, sending = multiprocessing.Pipe(duplex=False)
    server = multiprocessing.get_context("fork").Process(
        target=_serve, args=(args.data, args.pages, sending), daemon=True
    )
    server.start()
    try:
        if not receiving.poll(120):
            print("scrapy-floor: the real-pages server did not start", file=sys.stderr)
            return 1
        urls = receiving.recv()
        started = time.perf_counter()
        pages, size, cpu = measure(urls)
        wall = time.perf_counter() - started
    finally:
        server.terminate()
        server.join(5)
    if pages < args.pages:
        print(f"scrapy-floor: fetched {pages} of {args.pages} pages", file=sys.stderr)
        return 1
    print(
        f"BENCH workload=scrapy-floor pages={pages} bytes_page={size // pages} "
        f"cpu_ms_page={cpu * 1000 / pages:.2f} wall_s={wall:.1f}",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
