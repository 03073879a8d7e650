"""glibc's heap in the crawl's long-lived processes: a fixed mmap threshold, and a trim after large pages.

glibc serves an allocation of 128 KiB or more with its own mmap, returned to the system when freed, but
raises that threshold to the size of every such block freed (up to 32 MiB). After the first large page
each crawl process served pages (~180 KiB bodies, their decoded text, parse buffers) from the heap
instead, where a few live objects between freed ones keep the memory mapped. Pinning the threshold at
glibc's own starting value keeps them on mmap: on the 2,000 real pages with 2 workers, peak PSS of the
crawl fell from 603-625 to 560-562 MB, at the same pages/s (one mmap and munmap per large buffer).

The extraction workers no longer pin it: there the page faults of those mmaps cost 4 ms of CPU a page
(53.1 against 49.0 ms, real pages, 2 workers), and a worker's heap is kept flat by recycling the worker
instead (EXTRACTION_WORKER_MAX_PAGES, pipelines.analysis.pool). The crawl's main process still pins it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Callable

# mallopt parameters, from glibc's malloc.h.
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
# glibc's defaults: setting them explicitly is what turns off their growth.
MMAP_THRESHOLD = 128 * 1024
TRIM_THRESHOLD = 128 * 1024


def _libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None


def pin_mmap_threshold() -> bool:
    """Fix this process's mmap and trim thresholds at glibc's defaults (and children forked from it keep
    them). Returns False where the C library is not glibc (nothing is changed there)."""
    libc = _libc()
    mallopt = getattr(libc, "mallopt", None)
    if mallopt is None:
        return False
    pinned = mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
    return bool(pinned) and bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))


def heap_trimmer() -> Callable[[], object]:
    """Return glibc's malloc_trim(0) (hands freed heap pages back to the system), or a no-op."""
    libc = _libc()
    trim = getattr(libc, "malloc_trim", None)
    if trim is None:
        return lambda: None
    return lambda: trim(0)
