"""Extraction work grows linearly with the page: 4x the page may cost at most MAX_RATIO x the CPU time.

Each page kind drove a quadratic path before: <p>s split by <br> (no output line equals a <p>'s text, so
the alignment in restore_repeated_paragraphs rescanned every <p> for every line: ratio 10), one page-sized
table (an XPath per table: ratio 21, a 4 MB table took 313 s), reply titles in one huge box (the box text
read again for every title: ratio 19, 84 s at 800 KB). Linear code measures 3.3-4.7.
The ratio of CPU times in one process is compared, not a wall-clock bound.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

import pytest

from pipelines.article_extractor import extract_article

SMALL, LARGE = 200_000, 800_000  # bytes of generated markup
MAX_RATIO = 7.0  # linear: ~4; the quadratic paths above: 10-21
# fmt: off
WORDS = [
    "tỉnh", "huyện", "xã", "người", "dân", "kinh", "tế", "phát", "triển", "năm", "tháng", "công", "trình",
    "dự", "án", "nông", "thôn", "mới", "chính", "quyền", "hội", "nghị", "tổng", "kết", "đánh", "giá", "quả",
    "đạt", "được", "nhiệm", "vụ", "trọng", "tâm", "thời", "gian", "tới",
]
# fmt: on


def _sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + f" {rng.randrange(10**6)}."


def _fill(size: int, unit: Callable[[random.Random, int], str]) -> str:
    rng, parts, total = random.Random(size), [], 0
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


def broken_lines(size: int) -> bytes:
    return _page(_fill(size, lambda r, i: f"<p>{_sentence(r, 4)}<br>{_sentence(r, 4)}</p>\n"))


def huge_table(size: int) -> bytes:
    row = lambda r, i: "<tr>" + "".join(f"<td>{r.randrange(10**6)} {r.choice(WORDS)}</td>" for _ in range(8))  # noqa: E731
    return _page(f"<table>{_fill(size, lambda r, i: row(r, i) + '</tr>')}</table>")


def reply_box(size: int) -> bytes:
    replies = _fill(size, lambda r, i: f"<b>Bình luận</b> <p>{_sentence(r, 20)}</p>\n")
    return _page("", after=f"<div><div>Ý kiến bạn đọc</div>{replies}</div>")


def inline_related(size: int) -> bytes:
    line = "<p>{}</p><p>&gt;&gt; Xem thêm: <a href='/tin-{}.html'>{}</a></p>\n"
    return _page(_fill(size, lambda r, i: line.format(_sentence(r, 30), i, _sentence(r, 8))))


def _cpu_seconds(body: bytes) -> float:
    started = time.process_time()
    extract_article(body, "https://baotinh.vn/thoi-su/tong-ket-post1.html")
    return time.process_time() - started


@pytest.mark.parametrize(
    "make", [broken_lines, huge_table, reply_box, inline_related], ids=lambda f: f.__name__
)
def test_extraction_time_grows_linearly(make: Callable[[int], bytes]) -> None:
    small, large = make(SMALL), make(LARGE)
    assert len(large) / len(small) == pytest.approx(4, rel=0.05)
    base = min(_cpu_seconds(small) for _ in range(2))  # the small page is cheap: take the steadier reading
    ratio = _cpu_seconds(large) / base
    assert ratio <= MAX_RATIO, f"{make.__name__}: 4x the page cost {ratio:.1f}x the time"


def test_inline_related_lines_of_a_big_page_are_all_dropped() -> None:
    article = extract_article(inline_related(SMALL), "https://baotinh.vn/thoi-su/tong-ket-post1.html")
    assert "Xem thêm" not in article.text
