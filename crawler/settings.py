"""Scrapy settings for newsarchive; deployment values come from the environment."""

from __future__ import annotations

import os

BOT_NAME = "newsarchive"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# Politeness: obey robots.txt, identify ourselves, adapt to the server's latency.
ROBOTSTXT_OBEY = True
USER_AGENT = os.environ.get(
    "NEWSARCHIVE_USER_AGENT", "newsarchive/0.1 (+https://github.com/newsarchive/newsarchive; archiving bot)"
)
CONCURRENT_REQUESTS = 32
CONCURRENT_REQUESTS_PER_DOMAIN = 8
DOWNLOAD_DELAY = float(os.environ.get("NEWSARCHIVE_DOWNLOAD_DELAY", "0.25"))
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = DOWNLOAD_DELAY
AUTOTHROTTLE_TARGET_CONCURRENCY = 4.0
DOWNLOAD_TIMEOUT = 30
RETRY_TIMES = 2
# Pages above 10 MB are not news articles; the cut-off is recorded as a fetch failure with its reason.
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
REDIRECT_MAX_TIMES = 5
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
# Scrapy 2.19 starts an HTTP server on 127.0.0.1 that runs Python sent to it with a token it writes to
# disk: on a crawl host next to databases that is one more way in, and operators have runs, health and
# the progress display instead.
REMOTE_CONTROL_ENABLED = False
LOG_LEVEL = os.environ.get("NEWSARCHIVE_LOG_LEVEL", "INFO")

# Responses the scraper holds while their pages wait for a worker: Scrapy's 5 MB default admits only
# ~25 real news pages (median 179 KiB) and starved the workers on the real-pages benchmark.
SCRAPER_SLOT_MAX_ACTIVE_SIZE = 50 * 1024 * 1024

# Outputs of one callback processed at once. Scrapy's 100 starts 101 asyncio tasks for every response,
# whatever it yields (an article page yields its item and a few links): on the replica that was a third
# of the reactor thread's time. Responses are already processed concurrently, so a few per response do.
CONCURRENT_ITEMS = 8

# Pending requests on disk, not in the crawl's memory, with or without JOBDIR (crawler/runtime/disk_queue.py).
SCHEDULER = "crawler.runtime.disk_queue.DiskQueueScheduler"

# Breadth-first-ish by priority (see crawler/spiders/requests.py): articles before new listing pages.
SCHEDULER_PRIORITY_QUEUE = "scrapy.pqueues.DownloaderAwarePriorityQueue"

ITEM_PIPELINES = {
    "pipelines.extraction.ExtractionPipeline": 300,
    "pipelines.language.LanguagePipeline": 400,
    "pipelines.dedup.DedupPipeline": 500,
    "pipelines.archive.ArchivePipeline": 600,
}
DOWNLOADER_MIDDLEWARES = {
    # First: nothing else (robots.txt included) may reach a host the guard refuses.
    "crawler.safety.guard.AddressGuardMiddleware": 50,
    # Scrapy's own lets requests that wait for robots.txt through unchecked (crawler/safety/robots.py).
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.safety.robots.RobotsTxtMiddleware": 100,
    "crawler.frontier.conditional.ConditionalGetMiddleware": 560,
}
# Safety (README "Safety"): only http(s) is fetched; the guarded resolver refuses names that resolve to
# private addresses at connection time, so a name cannot pass the check and then rebind.
DOWNLOAD_HANDLERS = {"file": None, "data": None, "s3": None, "ftp": None}
TWISTED_DNS_RESOLVER = "crawler.safety.guard.GuardedResolver"
NEWSARCHIVE_ALLOWED_PRIVATE_HOSTS = [
    host for host in os.environ.get("NEWSARCHIVE_ALLOWED_PRIVATE_HOSTS", "").split(",") if host.strip()
]
EXTENSIONS = {
    "crawler.runtime.run_record.CrawlRunRecorder": 500,
    "crawler.runtime.leases.LeaseKeeper": 510,
    "crawler.runtime.progress.ProgressReporter": 520,
    "crawler.runtime.backpressure.ExtractionBackpressure": 530,
}

# The archive: $ARCHIVE_DATABASE_URL, else SQLite in the working directory.
ARCHIVE_DATABASE_URL = os.environ.get("ARCHIVE_DATABASE_URL", "sqlite:///archive.sqlite3")
# Extraction worker processes (trafilatura is CPU-bound; one per core keeps the reactor free).
EXTRACTION_WORKERS = int(os.environ.get("NEWSARCHIVE_EXTRACTION_WORKERS", str(os.cpu_count() or 2)))
# NEWSARCHIVE_MAX_PAGES_IN_PROCESS: responses in process (waiting for a worker, in one, or in the
# pipelines) before downloads pause; 0 = no bound. Unset, crawler/runtime/backpressure.py derives it from
# EXTRACTION_WORKERS and ARCHIVE_BATCH_SIZE as the crawl finally sets them (default_limit).
# Bounds of one crawl (crawler/spiders/bounds.py Bounds; each counted under bounds/* when hit).
NEWSARCHIVE_ARTICLE_LINK_HOPS = 2
NEWSARCHIVE_MAX_LISTING_DEPTH = 1000
NEWSARCHIVE_SITEMAP_MAX_DEPTH = 3
NEWSARCHIVE_PORTAL_PAGE_BUDGET = int(os.environ.get("NEWSARCHIVE_PORTAL_PAGE_BUDGET", "100000"))
NEWSARCHIVE_SITEMAP_MAX_BYTES = 50 * 1024 * 1024
NEWSARCHIVE_SITEMAP_MAX_URLS = 50_000
# Extraction of one page may take this long before its worker is replaced and the page recorded as
# extraction_failed (pipelines/analysis/pool.py).
EXTRACTION_TIMEOUT = float(os.environ.get("NEWSARCHIVE_EXTRACTION_TIMEOUT", "20"))

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
