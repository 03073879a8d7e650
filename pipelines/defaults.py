"""Defaults of the settings the pipelines read, each written once and named after its setting."""

from __future__ import annotations

import os

# crawler/settings.py sets each setting from its constant here (or from the environment where the project
# reads it from there); a component's from_crawler falls back to the same constant, so a crawler built
# without the project settings (a unit test's) behaves as a crawl does. Crawler components that read
# these settings import them from here too: pipelines never import crawler. Settings only the crawler
# reads have their defaults in crawler/defaults.py.

# The extraction stage (pipelines.extraction) and its worker pool (pipelines.analysis.pool).
EXTRACTION_ENABLED = True
# One process per core: extraction is CPU-bound (trafilatura), and in workers it keeps the reactor free.
# 2 where the core count is unknown.
EXTRACTION_WORKERS = os.cpu_count() or 2
# CPU seconds one page may take before its worker is replaced and the page is extraction_failed (a worker
# that makes no progress is cut at pipelines.analysis.pool.WALL_CLOCK_FACTOR times this on the clock).
# CPU time, not clock time, so a busy machine does not fail ordinary pages.
EXTRACTION_TIMEOUT = 20.0
# Address space of one worker: far above what any page needs (a 10 MB page extracts in ~300 MB) and
# low enough that a pathological page fails its worker instead of exhausting the machine.
EXTRACTION_WORKER_MEMORY_MB = 3072
# Pages a worker analyses before a fresh one, forked from the forkserver, takes over (0 = never): what
# keeps a worker's memory flat (its heap's fragments go with it) instead of a pinned mmap threshold,
# which cost every page its buffers' page faults (pipelines.analysis.heap).
EXTRACTION_WORKER_MAX_PAGES = 250

# The language stage (pipelines.language): the portals publish in Vietnamese.
LANGUAGE_ENABLED = True
NEWSARCHIVE_LANGUAGES = ("vi",)

# The archive stage (pipelines.archive): writes are batched because per-item commits cost more than the
# rest of the write on SQLite; a batch commits at this many items or after this many seconds, whichever
# comes first (crawler/runtime/backpressure.py keeps its bound on pages in process above one batch).
ARCHIVE_BATCH_SIZE = 50
ARCHIVE_BATCH_SECONDS = 0.5
# How long a crawl waits for an archive that dropped out (a PostgreSQL restart or failover, a network cut)
# before it stops with `archive_unavailable` (pipelines/outage.py): meanwhile every archive call is retried,
# the fetched pages are held and downloads pause. A restart takes seconds, a failover well under a minute.
ARCHIVE_RETRY_BUDGET = 60.0

# The frontier: recrawls fetch only new, changed or due articles (the spider's planner, the conditional
# GET middleware, and the archive stage's fetch records).
FRONTIER_ENABLED = True
