"""Extraction work grows linearly with the page: 4x the page may cost at most MAX_RATIO x our CPU time.

Each page kind drove a quadratic path of ours before (ratios of our CPU time, 200 KB -> 800 KB): <p>s split
by <br> (no output line equals a <p>'s text, so restore_repeated_paragraphs rescanned every <p> for every
line: 15x), one page-sized table (an XPath per table: 68x; a 4 MB table took 313 s), reply titles in one
huge box (the box text read again for every title: 19x, 84 s at 800 KB); inline related links are new.
Linear code measures 3.9-4.7x, also with the other core busy. Ratios of CPU time in one process are
compared, never a wall-clock bound; trafilatura's own time is left out (see _OwnClock).
"""

from __future__ import annotations

import gc
import random
import time
from collections.abc import Callable
from typing import Any

import pytest

import pipelines.extract.core as extractor

pytestmark = pytest.mark.slow  # seconds of extraction per case: in `make test`, not `make test-fast`

SMALL, LARGE = 200_000, 800_000  # bytes of generated markup
MAX_RATIO = 7.0  # linear: ~4; the quadratic paths above: 15-68
# fmt: off
WORDS = [
    "tỉnh", "huyện", "xã", "người", "dân", "kinh", "tế", "phát", "triển", "năm", "tháng", "công", "trình",
    "dự", "án", "nông", "thôn", "mới", "chính", "quyền", "hội", "nghị", "tổng", "kết", "đánh", "giá", "quả",
    "đạt", "được", "nhiệm", "vụ", "trọng", "tâm", "thời", "gian", "tới",
]
# fmt: on


def _sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + f" {rng.randrange(10**6)}."


def _fill(size: int, unit: Callable[[random.Random, int], str], seed: int) -> str:
    rng, parts, total = random.Random(f"{size}/{seed}"), list[str](), 0
    while total < size:
        part = unit(rng, len(parts))
        parts.append(part)
        total += len(part.encode())
    return "".join(parts)


def _page(inner: str, after: str = "") -> bytes:
    lead = "".join(f"<p>{_sentence(random.Random(i), 30)}</p>" for i in range(4))
    return (
        "<html lang='vi'><head><meta charset='utf-8'><title>Tổng kết công tác năm - Báo Tỉnh</title></head>"
        f"<body><article><h1>Tổng kết công tác năm của tỉnh</h1>{lead}{inner}</article>{after}</body></html>"
    ).encode()


def broken_lines(size: int, seed: int = 0) -> bytes:
    return _page(_fill(size, lambda r, i: f"<p>{_sentence(r, 4)}<br>{_sentence(r, 4)}</p>\n", seed))


def huge_table(size: int, seed: int = 0) -> bytes:
    row = lambda r, i: "<tr>" + "".join(f"<td>{r.randrange(10**6)} {r.choice(WORDS)}</td>" for _ in range(8))  # noqa: E731
    return _page(f"<table>{_fill(size, lambda r, i: row(r, i) + '</tr>', seed)}</table>")


def reply_box(size: int, seed: int = 0) -> bytes:
    replies = _fill(size, lambda r, i: f"<b>Bình luận</b> <p>{_sentence(r, 20)}</p>\n", seed)
    return _page("", after=f"<div><div>Ý kiến bạn đọc</div>{replies}</div>")


def inline_related(size: int, seed: int = 0) -> bytes:
    line = "<p>{}</p><p>&gt;&gt; Xem thêm: <a href='/tin-{}.html'>{}</a></p>\n"
    return _page(_fill(size, lambda r, i: line.format(_sentence(r, 30), i, _sentence(r, 8)), seed))


class _OwnClock:
    """CPU time of extract_article minus the time spent inside trafilatura (its parser and extractor).

    trafilatura's own fallbacks grow a little faster than linearly (4x the page: 5-6x); the paths under
    test are ours.
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.library = 0.0
        for name in ("load_html", "bare_extraction"):
            monkeypatch.setattr(
                extractor.trafilatura, name, self._timed(getattr(extractor.trafilatura, name))
            )

    def _timed(self, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                self.library += time.process_time() - started

        return timed

    def seconds(self, make: Callable[[int, int], bytes], size: int) -> float:
        """Our CPU time for one extraction of a ``size`` page; the least of three readings when short (short
        ones jitter).

        Each reading extracts a page of its own: the same page again would find its lines in the
        extractor's cross-page caches (line_key remembers 4,096), which a small page fits and a large one
        does not, so the small page's repeat readings would be cheaper than any first extraction.
        """
        readings: list[float] = []
        # The cyclic GC is off while measuring: in a process that earlier tests filled with objects, a
        # full collection lands on whichever call triggers it and its cost is not this page's.
        gc.collect()
        gc.disable()
        try:
            while not readings or (len(readings) < 3 and min(readings) < 0.3):
                body = make(size, len(readings))
                self.library, started = 0.0, time.process_time()
                extractor.extract_article(body, "https://baotinh.vn/thoi-su/tong-ket-post1.html")
                readings.append(time.process_time() - started - self.library)
        finally:
            gc.enable()
        return min(readings)


@pytest.mark.parametrize(
    "make", [broken_lines, huge_table, reply_box, inline_related], ids=lambda f: f.__name__
)
def test_extraction_time_grows_linearly(
    make: Callable[[int, int], bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert len(make(LARGE, 0)) / len(make(SMALL, 0)) == pytest.approx(4, rel=0.05)
    clock = _OwnClock(monkeypatch)
    ratio = clock.seconds(make, LARGE) / clock.seconds(make, SMALL)
    assert ratio <= MAX_RATIO, f"{make.__name__}: 4x the page cost {ratio:.1f}x the time"


def test_inline_related_lines_of_a_big_page_are_all_dropped() -> None:
    article = extractor.extract_article(
        inline_related(SMALL), "https://baotinh.vn/thoi-su/tong-ket-post1.html"
    )
    assert "Xem thêm" not in article.text
