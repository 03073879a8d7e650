"""Imported by the extraction workers' forkserver only (pipelines.page.ANALYSIS_MODULE), never by the
crawl itself: it loads everything a worker uses, then freezes it, so the workers share one copy.

Each worker is forked from the forkserver. Memory the forkserver filled before forking stays shared
until a worker writes to it, and CPython writes to every container object it scans in a full garbage
collection: without gc.freeze() each worker soon held its own copy of the libraries. langdetect's
profiles (~60 MB) were loaded lazily by each worker; they are loaded here, once.
"""

from __future__ import annotations

import gc

from pipelines import langid, page_analysis  # noqa: F401 - imported to be shared

langid.detect_language("Bài báo được tải trước để nạp các hồ sơ ngôn ngữ một lần cho mọi tiến trình.", None)
gc.collect()
gc.freeze()
