"""pipelines.analysis.heap: a pinned mmap threshold hands large freed buffers back to the system."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from pipelines.analysis.heap import heap_trimmer, pin_mmap_threshold

# In a fresh interpreter: free one 8 MiB block (glibc then raises its mmap threshold to 8 MiB), allocate
# 60 blocks of 1 MiB with a small live object after each, free the blocks and report how much of the
# 60 MiB the process still holds. On the heap, the live objects keep it mapped; on mmap it is gone.
_PROBE = textwrap.dedent(
    """
    import os
    import sys
    from pipelines.analysis.heap import pin_mmap_threshold

    def rss_mib():
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

    if sys.argv[1] == "pinned":
        assert pin_mmap_threshold()
    block = bytearray(8 * 2**20)
    del block
    before = rss_mib()
    blocks, pins = [], []
    for _ in range(60):
        blocks.append(bytearray(2**20))
        pins.append(bytearray(4096))
    del blocks
    print(rss_mib() - before)
    """
)


def _held_after_free(mode: str) -> float:
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, mode], capture_output=True, text=True, check=True, timeout=60
    )
    return float(result.stdout)


GLIBC_ONLY = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc and /proc only")


@GLIBC_ONLY
def test_pinned_threshold_returns_freed_large_buffers() -> None:
    # The unpinned run shows the probe would notice: the freed blocks stay mapped.
    assert _held_after_free("default") > 50
    assert _held_after_free("pinned") < 10


@GLIBC_ONLY
def test_pin_and_trim_are_callable_in_this_process() -> None:
    assert pin_mmap_threshold() is True
    heap_trimmer()()
