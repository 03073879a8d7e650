"""`make bench` end to end on a tiny replica and a tiny real-pages portal: the BENCH lines come out,
parse, and count the articles the crawl archived. No timing is asserted."""

from __future__ import annotations

import gzip
import io
import sys
from pathlib import Path

import pytest

from tests.benchmarks.barepool import external_pool_run, read_pages, write_pages
from tests.benchmarks.crawl import main, parse_bench_line

pytestmark = pytest.mark.slow  # crawls in subprocesses: not in `make test-fast`

VI_PAGE = """<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8">
<title>Khánh Hòa khởi công tuyến đường ven biển mới</title>
<meta property="og:type" content="article">
<meta property="article:published_time" content="2025-03-04T08:30:00+07:00">
<link rel="canonical" href="https://baokhanhhoa.vn/kinh-te/khoi-cong-tuyen-duong-ven-bien-moi-123456.html">
</head><body><nav><a href="/">Trang chủ</a> <a href="/kinh-te/">Kinh tế</a></nav>
<article><h1>Khánh Hòa khởi công tuyến đường ven biển mới</h1>
{paragraphs}
<p>Xem thêm: <a href="/kinh-te/bai-khac-234567.html">Một bài viết khác của báo</a></p>
</article><footer>Báo Khánh Hòa</footer></body></html>"""
VI_PARAGRAPH = (
    "<p>Sáng nay, Ủy ban nhân dân tỉnh Khánh Hòa tổ chức lễ khởi công tuyến đường ven biển nối thành phố "
    "Nha Trang với thị xã Ninh Hòa, dài hơn ba mươi cây số, với tổng mức đầu tư gần năm nghìn tỷ đồng "
    "từ ngân sách trung ương và địa phương, dự kiến hoàn thành trong ba năm tới. Đoạn {n}.</p>"
)
EN_PAGE = """<html><head><meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">
<title>Caf\xe9 owners welcome the new harbour road</title><meta property="og:type" content="article">
</head><body><h1>Caf\xe9 owners welcome the new harbour road</h1>{paragraphs}
<a href="https://example.org/other-story-3456.html">Other story</a></body></html>"""
EN_PARAGRAPH = (
    "<p>The owners of the small caf\xe9s along the harbour said the road would bring visitors through the "
    "whole year, not only in the summer months when the ferries run every hour. Paragraph {n}.</p>"
)
COPIES = 6  # article URLs over the two pages: three copies of each


@pytest.fixture
def data(tmp_path: Path) -> Path:
    directory = tmp_path / "data"
    (directory / "set").mkdir(parents=True)
    vi = VI_PAGE.replace("{paragraphs}", "".join(VI_PARAGRAPH.format(n=n) for n in range(5)))
    (directory / "set" / "khanhhoa.html").write_bytes(vi.encode("utf-8"))
    en = EN_PAGE.replace("{paragraphs}", "".join(EN_PARAGRAPH.format(n=n) for n in range(5)))
    (directory / "set" / "harbour.html.gz").write_bytes(gzip.compress(en.encode("iso-8859-1")))
    (directory / "set" / "section_list.html").write_bytes(b"<html><body>a listing page</body></html>")
    return directory


def bench_lines(output: str) -> list[dict[str, str]]:
    return [parse_bench_line(line) for line in output.splitlines() if line.startswith("BENCH ")]


def test_realpages_bench_line(data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--workload", "realpages", "--data", str(data), "--pages", str(COPIES), "--workers", "1"]
    assert main([*argv, "--keep", str(tmp_path / "run")]) == 0
    (line,) = bench_lines(capsys.readouterr().out)
    assert line["workload"] == "realpages" and line["workers"] == "1" and line["pages"] == str(COPIES)
    # Every copy is its own archived article: the unique paragraph keeps exact dedup from merging them.
    assert line["articles"] == str(COPIES) and line["captures"] == str(COPIES)
    for key in ("bare_pps", "crawl_pps", "ratio", "peak_pss_mb", "peak_rss_mb", "cpu_pct"):
        assert float(line[key]) > 0, key
    # CPU per article page: of the crawl, of each kind of process in it, and of the bare pool.
    for key in ("cpu_ms_page", "workers_ms_page", "main_ms_page", "bare_cpu_ms_page", "cpu_ratio"):
        assert float(line[key]) > 0, key
    # The roles split the crawl's CPU (the forkserver's imports dominate so tiny a crawl) without
    # counting any of it twice.
    roles = sum(float(line[f"{role}_ms_page"]) for role in ("workers", "main", "forkserver", "other"))
    assert float(line["forkserver_ms_page"]) > 0
    assert roles <= float(line["cpu_ms_page"]) * 1.01
    assert line["newsplease_pps"] == "NA" or float(line["newsplease_pps"]) > 0


def test_replica_bench_and_recrawl_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--workload", "replica", "--portals", "1", "--articles", "20", "--workers", "1"]
    assert main([*argv, "--keep", str(tmp_path / "run")]) == 0
    first, recrawl = bench_lines(capsys.readouterr().out)
    assert first["workload"] == "replica" and first["pages"] == "20"
    assert first["articles"] == "20"
    assert float(first["crawl_pps"]) > 0 and float(first["peak_pss_mb"]) > 0
    assert recrawl["workload"] == "replica-recrawl"
    # The crawl's own request count agrees with what the replica served, and a recrawl asks for less.
    assert recrawl["requests_first"] == recrawl["served_first"]
    assert 0 < int(recrawl["requests_second"]) < int(recrawl["requests_first"])
    # The recrawl's CPU in all and by process: the roles never add up to more than the whole.
    roles = [float(recrawl[f"{role}_cpu_s"]) for role in ("main", "workers", "forkserver")]
    # The workers may have nothing to analyse in a recrawl of an unchanged portal (its pages answer 304,
    # and a worker starts in a few ms), so their share may round to nothing; the others always work.
    main_cpu, workers_cpu, forkserver_cpu = roles
    assert main_cpu > 0 and forkserver_cpu > 0 and workers_cpu >= 0
    assert sum(roles) <= float(recrawl["cpu_s"]) * 1.01


# A stand-in for news-please in the interpreter the bench is pointed at: its from_html reads the page,
# so the pool's plumbing (pages file, subprocess, JSON back, the line's fields) is what is tested.
FAKE_NEWSPLEASE = """
class NewsPlease:
    @staticmethod
    def from_html(html, url=None, download_date=None, fetch_images=True):
        assert isinstance(html, str) and "<html" in html.lower()
        return sum(html.count(word) for word in ("road", "đường") for _ in range(2000))
"""


def test_pages_file_round_trip_and_a_cut_short_file() -> None:
    pages = [b"", b"<html>\x00\xff</html>", "Khánh Hòa".encode() * 1000]
    buffer = io.BytesIO()
    assert write_pages(pages, buffer) == 3
    assert read_pages(io.BytesIO(buffer.getvalue())) == pages
    for cut in (3, len(buffer.getvalue()) - 1):
        with pytest.raises(ValueError, match="cut short"):
            read_pages(io.BytesIO(buffer.getvalue()[:cut]))


def test_a_pool_in_another_interpreter(tmp_path: Path) -> None:
    pages = [
        f"<html><body><article><p>{'Đoạn văn dài. ' * 60}{n}</p></article></body></html>".encode()
        for n in range(6)
    ]
    run = external_pool_run(sys.executable, pages, 2, "trafilatura")
    assert run.pps > 0 and run.cpu_per_page > 0
    # An interpreter without the library: a clear error with its own words, not a figure.
    with pytest.raises(
        RuntimeError, match=r"newsplease pool in .* failed \(2\): news-please cannot be imported"
    ):
        external_pool_run(sys.executable, pages, 1, "newsplease")


def test_realpages_line_against_newsplease(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    library = tmp_path / "fake"
    (library / "newsplease").mkdir(parents=True)
    (library / "newsplease" / "__init__.py").write_text(FAKE_NEWSPLEASE)
    monkeypatch.setenv("PYTHONPATH", str(library))
    argv = ["--workload", "realpages", "--data", str(data), "--pages", str(COPIES), "--workers", "1"]
    assert main([*argv, "--newsplease-python", sys.executable, "--keep", str(tmp_path / "run")]) == 0
    (line,) = bench_lines(capsys.readouterr().out)
    assert float(line["newsplease_pps"]) > 0 and float(line["newsplease_cpu_ms_page"]) > 0
    ratio = float(line["crawl_pps"]) / float(line["newsplease_pps"])
    assert float(line["vs_newsplease"]) == pytest.approx(ratio, rel=0.01)
