"""Defaults of the settings only the crawler reads, each written once and named after its setting."""

from __future__ import annotations

from crawler.discovery import sitemaps  # the module: every upper-case name here is a setting

# crawler/settings.py sets each setting from its constant here (or from the environment where the project
# reads it from there); a component's from_crawler falls back to the same constant, so a crawler built
# without the project settings (a unit test's) behaves as a crawl does. Settings the pipelines read too
# (EXTRACTION_*, ARCHIVE_BATCH_*, FRONTIER_ENABLED) have theirs in pipelines/defaults.py.

# Bounds of one crawl (crawler/spiders/bounds.py), each counted under bounds/* when hit. Safety bounds,
# not tuned figures: each stops a runaway or hostile portal, far from what an ordinary crawl reaches.
# Links on article pages are followed this many article pages away from a listing, sitemap or feed, so a
# trap of article-like pages linking to new ones ends there (tests/integration/test_hostile_portal.py).
NEWSARCHIVE_ARTICLE_LINK_HOPS = 2
# Pagination is walked one page at a time, so this is about the deepest page number reached.
NEWSARCHIVE_MAX_LISTING_DEPTH = 1000
# Sitemap indexes nested in sitemap indexes.
NEWSARCHIVE_SITEMAP_MAX_DEPTH = 3
# Responses per portal per run.
NEWSARCHIVE_PORTAL_PAGE_BUDGET = 100_000
# Per sitemap or feed, after decompression: the sitemap protocol's own limits.
NEWSARCHIVE_SITEMAP_MAX_BYTES = sitemaps.SITEMAP_MAX_BYTES
NEWSARCHIVE_SITEMAP_MAX_URLS = sitemaps.SITEMAP_MAX_URLS
# Article links, and listing links, read from one page: a portal's home page has a few hundred; a page of
# 150,000 links stalled the reactor for minutes.
NEWSARCHIVE_MAX_PAGE_LINKS = 5_000
# Article URLs handed to the frontier per portal per run: twice the page budget, so an ordinary run never
# meets it, while a sitemap index of 10 x 50,000 URLs no longer fills the archive with discovered rows.
NEWSARCHIVE_MAX_DISCOVERED_URLS = 200_000

# Bytes of one response's status line and headers (crawler/safety/headers.py): a real portal's are a
# few KiB; 64 KiB is what common servers and proxies accept, and over it the response is refused.
NEWSARCHIVE_MAX_HEADER_BYTES = 64 * 1024

# Discovery (crawler/spiders/portal.py): a listing walk stops at a page whose articles are all known
# (a recrawl); hosts besides each portal's own that may serve its sitemaps and feeds.
NEWSARCHIVE_LISTING_STOP_WHEN_KNOWN = True
NEWSARCHIVE_DISCOVERY_EXTRA_HOSTS: tuple[str, ...] = ()

# The address guard (crawler/safety/guard.py): nothing private is fetched unless listed.
ADDRESS_GUARD_ENABLED = True
NEWSARCHIVE_ALLOWED_PRIVATE_HOSTS: tuple[str, ...] = ()

# Run records and leases (crawler/runtime/run_record.py, crawler/runtime/leases.py).
CRAWL_RUN_RECORDER_ENABLED = True
LEASES_ENABLED = True
NEWSARCHIVE_LEASE_FORCE = False

# Progress (crawler/runtime/progress.py): a live table on a terminal, else a plain line per portal every
# NEWSARCHIVE_PROGRESS_INTERVAL seconds (for logs and cron mail; not tuned).
NEWSARCHIVE_PROGRESS = "auto"
NEWSARCHIVE_PROGRESS_INTERVAL = 30.0

# Backfill from a Wayback-style CDX server (crawler/imports/backfill.py): its own politeness, since the
# server is someone else's (the Internet Archive asks for moderate rates): seconds between two requests,
# requests at once, and seconds one CDX page or replay may take.
BACKFILL_DELAY = 1.0
BACKFILL_CONCURRENCY = 2
BACKFILL_TIMEOUT = 60.0
