"""Imported by the extraction workers' forkserver only (pipelines.analysis.job.ANALYSIS_MODULE), never by the
crawl itself: it loads everything a worker uses, then freezes it, so the workers share one copy.

Each worker is forked from the forkserver. Memory the forkserver filled before forking stays shared
until a worker writes to it, and CPython writes to every container object it scans in a full garbage
collection: without gc.freeze() each worker soon held its own copy of the libraries. langdetect's
profiles (~60 MB, and their 38 MB matrix for pipelines.detect.seeded_langdetect) were loaded lazily by
each worker; they are loaded here, once. So is the stoplist of
every language that trafilatura builds for its jusText fallback on the first page that needs it
(154,000 words, ~28 MB with jusText's cached frozen set of them, measured with tracemalloc over the real
pages): it was the largest thing each worker allocated on its own.
"""

from __future__ import annotations

import gc
import sys

from justext.core import define_stoplist
from trafilatura import external as trafilatura_fallbacks

from pipelines.analysis import analyse  # noqa: F401 - the page analysis: the extractors, MinHash
from pipelines.detect import langid

langid.detect_language("Bài báo được tải trước để nạp các hồ sơ ngôn ngữ một lần cho mọi tiến trình.", None)
# trafilatura.external.try_justext reads this global (a page without a target language: all stoplists);
# jusText then caches the frozen set it makes of it, keyed by that very tuple.
define_stoplist(trafilatura_fallbacks.JT_STOPLIST or trafilatura_fallbacks.jt_stoplist_init())
gc.collect()
gc.freeze()
# What every worker inherits: a module missing here is imported again by each worker it is used in
# (tests/unit/pipelines/test_workers.py checks what a worker imports before its first page).
FORKSERVER_MODULES = frozenset(sys.modules)
