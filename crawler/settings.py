"""Scrapy settings for newsarchive; deployment values come from the environment."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence

# Modules, not their constants: every upper-case name here is a setting.
from crawler import defaults
from pipelines import defaults as pipelines_defaults
from storage import db
from storage.timezone import log_time


def _env_list(name: str, default: Sequence[str]) -> list[str]:
    """A comma-separated list from the environment variable ``name``, else ``default``."""
    value = os.environ.get(name)
    return list(default) if value is None else [item for item in value.split(",") if item.strip()]


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
# Scrapy's downloader with CONCURRENT_REQUESTS_PER_DOMAIN held under the asyncio reactor, where Scrapy 2.19
# starts every queued request of a portal at once when there is no download delay.
DOWNLOADER = "crawler.runtime.downloader.SlotBoundDownloader"
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
# One zone everywhere: Scrapy's log lines are stamped in Vietnam time with the offset, like the
# scheduler's lines and every date the archive shows, not in the host's zone without one. The class's
# converter is logging's documented switch for every formatter of the process.
LOG_DATEFORMAT = "%Y-%m-%d %H:%M:%S%z"
logging.Formatter.converter = staticmethod(log_time)

# Responses the scraper holds while their pages wait for a worker: Scrapy's 5 MB default admits only
# ~25 real news pages (median 179 KiB) and starved the workers on the real-pages benchmark.
SCRAPER_SLOT_MAX_ACTIVE_SIZE = 50 * 1024 * 1024

# Outputs of one callback processed at once. Scrapy's 100 starts 101 asyncio tasks for every response,
# whatever it yields (an article page yields its item and a few links): on the replica that was a third
# of the reactor thread's time. Responses are already processed concurrently, so a few per response do.
CONCURRENT_ITEMS = 8

# Pending requests on disk, not in the crawl's memory, with or without JOBDIR (crawler/runtime/disk_queue.py).
SCHEDULER = "crawler.runtime.disk_queue.DiskQueueScheduler"
# Scrapy's PickleLifoDiskQueue, with a cheaper search for the callbacks' names (same stored requests).
SCHEDULER_DISK_QUEUE = "crawler.runtime.disk_queue.CallbackNamesLifoDiskQueue"

# Breadth-first-ish by priority (see crawler/spiders/requests.py): articles before new listing pages.
SCHEDULER_PRIORITY_QUEUE = "scrapy.pqueues.DownloaderAwarePriorityQueue"

ITEM_PIPELINES = {
    "pipelines.extraction.ExtractionPipeline": 300,
    "pipelines.language.LanguagePipeline": 400,
    "pipelines.dedup.DedupPipeline": 500,
    "pipelines.archive.ArchivePipeline": 600,
}
# A database error in a callback ends the crawl in one line, no traceback (crawler/runtime/archive_errors.py)
SPIDER_MIDDLEWARES = {"crawler.runtime.archive_errors.ArchiveErrorsMiddleware": 950}
DOWNLOADER_MIDDLEWARES = {
    # First: nothing else (robots.txt included) may reach a host the guard refuses.
    "crawler.safety.guard.AddressGuardMiddleware": 50,
    # Scrapy's own lets requests that wait for robots.txt through unchecked (crawler/safety/robots.py).
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.safety.robots.RobotsTxtMiddleware": 100,
    "crawler.frontier.conditional.ConditionalGetMiddleware": 560,
    # After RetryMiddleware (550): a connection the guarded resolver refused is recorded, never retried.
    "crawler.safety.guard.ConnectRefusalMiddleware": 600,
    # Next to the download handler: a response with over NEWSARCHIVE_MAX_HEADER_BYTES of headers is
    # refused with the figure, not retried.
    "crawler.safety.headers.HeaderBoundMiddleware": 950,
}
# Safety (docs/safety.md): only http(s) is fetched; the guarded resolver refuses names that resolve to
# private addresses at connection time, so a name cannot pass the check and then rebind.
DOWNLOAD_HANDLERS = {"file": None, "data": None, "s3": None, "ftp": None}
TWISTED_DNS_RESOLVER = "crawler.safety.guard.GuardedResolver"
ADDRESS_GUARD_ENABLED = defaults.ADDRESS_GUARD_ENABLED
NEWSARCHIVE_ALLOWED_PRIVATE_HOSTS = _env_list(
    "NEWSARCHIVE_ALLOWED_PRIVATE_HOSTS", defaults.NEWSARCHIVE_ALLOWED_PRIVATE_HOSTS
)
EXTENSIONS = {
    "crawler.runtime.run_record.CrawlRunRecorder": 500,
    "crawler.runtime.leases.LeaseKeeper": 510,
    "crawler.runtime.progress.ProgressReporter": 520,
    "crawler.runtime.backpressure.ExtractionBackpressure": 530,
    # Start-up objects out of the collector's full passes (crawler/runtime/frozen_heap.py).
    "crawler.runtime.frozen_heap.FrozenStartupHeap": 540,
    # br decoded by a module that works (pywb's brotlipy shadows Google's brotli), or not asked for.
    "crawler.runtime.encodings.ContentEncodings": 100,
}

# Our components' settings. Their defaults are written once, in pipelines/defaults.py (settings the
# pipelines read) and crawler/defaults.py (the crawler's own), where each says how it was chosen; the
# components fall back to the same constants when a setting is not set.

# The archive: $ARCHIVE_DATABASE_URL, else SQLite in the working directory (storage.db.database_url).
ARCHIVE_DATABASE_URL = db.database_url()
ARCHIVE_BATCH_SIZE = pipelines_defaults.ARCHIVE_BATCH_SIZE
ARCHIVE_BATCH_SECONDS = pipelines_defaults.ARCHIVE_BATCH_SECONDS
ARCHIVE_RETRY_BUDGET = pipelines_defaults.ARCHIVE_RETRY_BUDGET
FRONTIER_ENABLED = pipelines_defaults.FRONTIER_ENABLED

# Extraction (pipelines/analysis/pool.py): worker processes, and the CPU seconds and address space one
# page may take before its worker is replaced and the page recorded as extraction_failed.
EXTRACTION_ENABLED = pipelines_defaults.EXTRACTION_ENABLED
EXTRACTION_WORKERS = int(
    os.environ.get("NEWSARCHIVE_EXTRACTION_WORKERS", pipelines_defaults.EXTRACTION_WORKERS)
)
EXTRACTION_TIMEOUT = float(
    os.environ.get("NEWSARCHIVE_EXTRACTION_TIMEOUT", pipelines_defaults.EXTRACTION_TIMEOUT)
)
EXTRACTION_WORKER_MEMORY_MB = pipelines_defaults.EXTRACTION_WORKER_MEMORY_MB
EXTRACTION_WORKER_MAX_PAGES = pipelines_defaults.EXTRACTION_WORKER_MAX_PAGES
LANGUAGE_ENABLED = pipelines_defaults.LANGUAGE_ENABLED
NEWSARCHIVE_LANGUAGES = list(pipelines_defaults.NEWSARCHIVE_LANGUAGES)
# NEWSARCHIVE_MAX_PAGES_IN_PROCESS: responses in process (waiting for a worker, in one, or in the
# pipelines) before downloads pause; 0 = no bound. Unset, crawler/runtime/backpressure.py derives it from
# EXTRACTION_WORKERS and ARCHIVE_BATCH_SIZE as the crawl finally sets them (default_limit).

# Bounds of one crawl (crawler/spiders/bounds.py Bounds; each counted under bounds/* when hit).
NEWSARCHIVE_ARTICLE_LINK_HOPS = defaults.NEWSARCHIVE_ARTICLE_LINK_HOPS
NEWSARCHIVE_MAX_LISTING_DEPTH = defaults.NEWSARCHIVE_MAX_LISTING_DEPTH
NEWSARCHIVE_SITEMAP_MAX_DEPTH = defaults.NEWSARCHIVE_SITEMAP_MAX_DEPTH
NEWSARCHIVE_PORTAL_PAGE_BUDGET = int(
    os.environ.get("NEWSARCHIVE_PORTAL_PAGE_BUDGET", defaults.NEWSARCHIVE_PORTAL_PAGE_BUDGET)
)
NEWSARCHIVE_SITEMAP_MAX_BYTES = defaults.NEWSARCHIVE_SITEMAP_MAX_BYTES
NEWSARCHIVE_MAX_HEADER_BYTES = defaults.NEWSARCHIVE_MAX_HEADER_BYTES
NEWSARCHIVE_MAX_PAGE_LINKS = defaults.NEWSARCHIVE_MAX_PAGE_LINKS
NEWSARCHIVE_MAX_DISCOVERED_URLS = defaults.NEWSARCHIVE_MAX_DISCOVERED_URLS
NEWSARCHIVE_SITEMAP_MAX_URLS = defaults.NEWSARCHIVE_SITEMAP_MAX_URLS
NEWSARCHIVE_LISTING_STOP_WHEN_KNOWN = defaults.NEWSARCHIVE_LISTING_STOP_WHEN_KNOWN
NEWSARCHIVE_DISCOVERY_EXTRA_HOSTS = list(defaults.NEWSARCHIVE_DISCOVERY_EXTRA_HOSTS)

# Run records, leases and progress (crawler/runtime/).
CRAWL_RUN_RECORDER_ENABLED = defaults.CRAWL_RUN_RECORDER_ENABLED
LEASES_ENABLED = defaults.LEASES_ENABLED
NEWSARCHIVE_LEASE_FORCE = defaults.NEWSARCHIVE_LEASE_FORCE
NEWSARCHIVE_PROGRESS = defaults.NEWSARCHIVE_PROGRESS
NEWSARCHIVE_PROGRESS_INTERVAL = defaults.NEWSARCHIVE_PROGRESS_INTERVAL

# Backfill from a CDX server (crawler/imports/backfill.py): delay, concurrency and timeout of its requests.
BACKFILL_DELAY = defaults.BACKFILL_DELAY
BACKFILL_CONCURRENCY = defaults.BACKFILL_CONCURRENCY
BACKFILL_TIMEOUT = defaults.BACKFILL_TIMEOUT

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
