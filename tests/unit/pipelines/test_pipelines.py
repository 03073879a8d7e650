"""Each pipeline stage, built with get_crawler and fed PageItems the test writes itself."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import unicodedata
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from scrapy.utils.test import get_crawler
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError

from crawler.spiders.portal import PortalSpider
from pipelines.archive import ArchivePipeline
from pipelines.dedup import DedupPipeline
from pipelines.extraction import ExtractionPipeline
from pipelines.items import PageItem
from pipelines.language import LanguagePipeline
from storage import db, frontier
from storage.db import open_archive
from storage.frontier import Discovery
from storage.models import Article, Capture, FrontierEntry
from storage.runs import ensure_portal

PARAGRAPHS = [
    "Sáng 12/4, Ủy ban nhân dân tỉnh Ninh Thuận tổ chức hội nghị sơ kết công tác phòng, chống ma túy quý I "
    "năm 2024, với sự tham dự của đại diện các sở, ban, ngành và lãnh đạo các huyện, thành phố.",
    "Theo báo cáo, trong quý I, lực lượng chức năng đã phát hiện, bắt giữ 35 vụ với 52 đối tượng, thu giữ "
    "hơn 120 gam ma túy tổng hợp; công tác tuyên truyền được đẩy mạnh tại 65 xã, phường, thị trấn.",
    "Phát biểu kết luận, Phó Chủ tịch UBND tỉnh đề nghị các địa phương tiếp tục rà soát, quản lý chặt chẽ "
    "người sử dụng trái phép chất ma túy, không để phát sinh điểm nóng trên địa bàn.",
]


def article_html(
    paragraphs: list[str], lang: str = "vi", title: str = "Sơ kết công tác phòng, chống ma túy"
) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{title} - Báo Ninh Thuận</title>"
        f'<meta property="og:type" content="article"><meta property="og:title" content="{title}">'
        '<meta property="article:published_time" content="2024-04-12T08:30:00+07:00"></head><body>'
        f'<nav><a href="/">Trang chủ</a> <a href="/thoi-su/">Thời sự</a></nav><article><h1>{title}</h1>'
        f'<div class="date">Thứ Sáu, 12/04/2024 - 08:30</div>{body}<p class="author">Minh Anh</p></article>'
        "<footer>Báo Ninh Thuận - Cơ quan của Đảng bộ tỉnh Ninh Thuận</footer></body></html>"
    ).encode()


def page_item(url: str, body: bytes, **extra: Any) -> PageItem:
    return PageItem(
        url=url,
        final_url=url,
        http_status=200,
        headers={"Content-Type": ["text/html; charset=utf-8"]},
        body=body,
        fetched_at=datetime(2024, 4, 12, 3, 0, tzinfo=UTC),
        discovered_via="listing",
        portal_key="ninhthuan",
        portal_name="Báo Ninh Thuận",
        portal_home="https://baoninhthuan.com.vn/",
        **{"content_type": "text/html; charset=utf-8", **extra},
    )


def run(coro: Any) -> Any:
    return asyncio.run(coro) if asyncio.iscoroutine(coro) else coro


@pytest.fixture(scope="module")
def extraction() -> Any:
    crawler = get_crawler(PortalSpider, {"EXTRACTION_WORKERS": 1})
    crawler.stats.open_spider()
    pipeline = ExtractionPipeline.from_crawler(crawler)
    yield pipeline
    pipeline.close_spider()


def test_extraction_in_worker_process(extraction: Any) -> None:
    item = run(
        extraction.process_item(
            page_item("https://baoninhthuan.com.vn/thoi-su/so-ket-cong-tac-1.html", article_html(PARAGRAPHS))
        )
    )
    assert item.failure_status is None
    assert item.article.title == "Sơ kết công tác phòng, chống ma túy"
    assert "35 vụ với 52 đối tượng" in item.article.text
    assert item.article.published_at.isoformat() == "2024-04-12T08:30:00+07:00"


def test_extraction_failure_is_recorded_not_dropped(extraction: Any) -> None:
    item = run(
        extraction.process_item(
            page_item(
                "https://baoninhthuan.com.vn/tai-lieu-bao-cao-nam-1.html",
                b"%PDF-1.7\x00\x00\x01binary",
                content_type="application/pdf",
            )
        )
    )
    assert item.failure_status == "extraction_failed"
    assert item.failure_reason


def _language(item: PageItem) -> PageItem:
    crawler = get_crawler(PortalSpider)
    crawler.stats.open_spider()
    return run(LanguagePipeline.from_crawler(crawler).process_item(item))


def test_language_marks_english_off_language(extraction: Any) -> None:
    english = [
        "The provincial people's committee held a conference on Friday to review drug prevention work in the "
        "first quarter, with representatives of departments and districts attending the meeting.",
        "According to the report, police uncovered 35 cases involving 52 suspects in the first three months, "
        "seizing more than 120 grams of synthetic drugs across the province.",
        "The vice chairman asked localities to keep tight control of drug users and to prevent new hot spots "
        "from appearing in residential areas during the rest of the year.",
    ]
    item = run(
        extraction.process_item(
            page_item(
                "https://baoninhthuan.com.vn/english/drug-prevention-review.html",
                article_html(english, lang="vi", title="Drug prevention review"),
            )
        )
    )
    item = _language(item)
    assert item.language == "en" and item.off_language
    vietnamese = _language(
        run(
            extraction.process_item(
                page_item("https://baoninhthuan.com.vn/a-b-c-d-e-1.html", article_html(PARAGRAPHS))
            )
        )
    )
    assert vietnamese.language == "vi" and not vietnamese.off_language


def test_dedup_hashes_nfd_and_nfc_alike(extraction: Any) -> None:
    crawler = get_crawler(PortalSpider)
    dedup = DedupPipeline.from_crawler(crawler)
    nfc = run(
        extraction.process_item(
            page_item("https://baoninhthuan.com.vn/a-b-c-d-e-1.html?utm_source=x", article_html(PARAGRAPHS))
        )
    )
    nfd_body = unicodedata.normalize("NFD", article_html(PARAGRAPHS).decode()).encode()
    nfd = run(extraction.process_item(page_item("https://baoninhthuan.com.vn/a-b-c-d-e-2.html", nfd_body)))
    assert dedup.process_item(nfc).content_hash == dedup.process_item(nfd).content_hash
    assert nfc.canonical_url == "https://baoninhthuan.com.vn/a-b-c-d-e-1.html"


def test_archive_pipeline_writes_articles_and_failures(extraction: Any, archive_url: str) -> None:
    crawler = get_crawler(PortalSpider, {"ARCHIVE_DATABASE_URL": archive_url})
    crawler.stats.open_spider()
    archive = ArchivePipeline.from_crawler(crawler)
    archive.open_spider()
    dedup = DedupPipeline.from_crawler(crawler)
    url = "https://baoninhthuan.com.vn/thoi-su/so-ket-cong-tac-phong-chong-ma-tuy-1.html"
    good = _language(run(extraction.process_item(page_item(url, article_html(PARAGRAPHS)))))
    failed = page_item("https://baoninhthuan.com.vn/trang-khong-ton-tai-1234.html", b"Not found")
    failed.http_status = 404
    failed.fail("fetch_failed", "HTTP 404")

    async def write_all() -> None:
        await archive.process_item(dedup.process_item(good))
        await archive.process_item(failed)
        await archive.process_item(dedup.process_item(good))  # the same page again: a revisit

    asyncio.run(write_all())
    archive.close_spider()
    assert crawler.stats.get_value("archive/stored") == 1
    assert crawler.stats.get_value("archive/revisit") == 1
    assert crawler.stats.get_value("archive/failed") == 1
    engine, factory = open_archive(archive_url)
    with factory() as session:
        article = session.scalars(select(Article)).one()
        assert article.canonical_url == url and article.status == "archived" and article.language == "vi"
        statuses = sorted(session.scalars(select(Capture.status)))
        assert statuses == ["archived", "fetch_failed"]
    engine.dispose()


def test_a_batch_locks_its_frontier_entries_in_one_query_and_records_every_fetch(archive_url: str) -> None:
    """The writer reads the frontier entries of a whole batch at once (one locking SELECT, not one per
    page); each page's fetch is still recorded on its own entry, and a URL discovery never recorded
    gets its entry created."""
    archive, _, _ = _archive_pipeline(archive_url)
    assert archive.engine is not None and archive.factory is not None
    urls = [f"https://baoninhthuan.com.vn/thoi-su/bai-khong-con-{n}.html" for n in range(4)]
    with archive.factory.begin() as session:
        portal_id = ensure_portal(session, "ninhthuan", "Báo Ninh Thuận", "https://baoninhthuan.com.vn/").id
        frontier.record_discoveries(session, portal_id, [Discovery(url, "listing") for url in urls[:3]])
    items = []
    for url in urls:
        item = page_item(url, b"Not found")
        item.http_status = 404
        item.fail("fetch_failed", "HTTP 404")
        items.append(item)
    reads: list[str] = []

    def count_reads(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM frontier " in statement:
            reads.append(statement)

    event.listen(archive.engine, "before_cursor_execute", count_reads)

    async def write_all() -> None:  # one batch
        await asyncio.gather(*(archive.process_item(item) for item in items))

    asyncio.run(write_all())
    archive.close_spider()
    # One for the batch; two for the URL never discovered (looked for, created, then locked). One per
    # page before: five.
    assert len(reads) == 3, reads
    engine, factory = open_archive(archive_url)
    with factory() as session:
        rows = {row.url: row for row in session.scalars(select(FrontierEntry))}
    engine.dispose()
    assert sorted(rows) == sorted(urls)
    assert all((row.state, row.attempts, row.http_status) == ("failed", 1, 404) for row in rows.values())


def test_archive_pipeline_fails_the_crawl_when_archive_cannot_open() -> None:
    # Not CloseSpider: Scrapy 2.19 closes the crawl cleanly on it, and `scrapy crawl` would exit 0.
    from storage.db import ArchiveUnavailable

    crawler = get_crawler(
        PortalSpider, {"ARCHIVE_DATABASE_URL": "sqlite:////nonexistent-dir/x/archive.sqlite3"}
    )
    with pytest.raises(ArchiveUnavailable, match="cannot open archive"):
        ArchivePipeline.from_crawler(crawler).open_spider()


def test_archive_writes_are_retried_then_the_last_error_raised(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A database that stays away: the write is retried within ARCHIVE_RETRY_BUDGET (7.5 s: five
    attempts), each failure forgets the portal ids its rolled-back transaction may have created, and the
    last error is raised (the batch is then reported unarchived) and the archive declared lost."""
    monkeypatch.setattr(db, "sleep", lambda seconds: None)
    archive = ArchivePipeline.from_crawler(get_crawler(PortalSpider, {"ARCHIVE_RETRY_BUDGET": 7.5}))
    seen: list[dict[str, int]] = []

    def write() -> None:
        seen.append(dict(archive.portal_ids))
        archive.portal_ids["p"] = 1  # as the failed transaction's ensure_portal would have
        raise OperationalError("INSERT", {}, sqlite3.OperationalError("database is locked"))

    with caplog.at_level(logging.INFO, logger="pipelines.archive"), pytest.raises(OperationalError):
        archive._retrying(write)
    archive.writer.shutdown()
    assert seen == [{}] * 5 and archive.portal_ids == {}
    assert caplog.text.count("archive write failed") == 4
    assert archive.outage.lost == "(sqlite3.OperationalError) database is locked"


EDITORS_NOTE = (
    "Bài viết được đăng lại theo thỏa thuận hợp tác nội dung giữa các cơ quan báo chí trong khu vực "
    "Nam Trung Bộ và Tây Nguyên."
)


def _archive_pipeline(archive_url: str) -> tuple[ArchivePipeline, DedupPipeline, Any]:
    crawler = get_crawler(PortalSpider, {"ARCHIVE_DATABASE_URL": archive_url})
    crawler.stats.open_spider()
    archive = ArchivePipeline.from_crawler(crawler)
    archive.open_spider()
    return archive, DedupPipeline.from_crawler(crawler), crawler.stats


def test_near_copies_are_clustered_across_runs_templated_reports_are_not(
    extraction: Any, archive_url: str
) -> None:
    origin_url = "https://baoninhthuan.com.vn/thoi-su/so-ket-cong-tac-phong-chong-ma-tuy-1.html"
    copy_url = "https://baoninhthuan.com.vn/thoi-su/ban-sao-so-ket-cong-tac-phong-chong-ma-tuy-2.html"
    later_copy_url = "https://baoninhthuan.com.vn/thoi-su/ban-sao-nua-so-ket-cong-tac-phong-chong-3.html"
    templated_url = "https://baoninhthuan.com.vn/thoi-su/huyen-ninh-son-so-ket-cong-tac-phong-chong-4.html"
    copy = [
        "(BKH) - Báo Khánh Hòa giới thiệu bài viết của Báo Ninh Thuận.",
        *PARAGRAPHS,
        "Theo Báo Ninh Thuận",
    ]
    templated = [
        p.replace("35 vụ với 52", "12 vụ với 17").replace("tỉnh Ninh Thuận", "huyện Ninh Sơn")
        for p in PARAGRAPHS
    ]

    def item(url: str, paragraphs: list[str]) -> PageItem:
        return _language(run(extraction.process_item(page_item(url, article_html(paragraphs)))))

    archive, dedup, stats = _archive_pipeline(archive_url)

    async def write(pipeline: ArchivePipeline, *items: PageItem) -> None:
        for one in items:
            await pipeline.process_item(dedup.process_item(one))

    asyncio.run(
        write(archive, item(origin_url, PARAGRAPHS), item(copy_url, copy), item(templated_url, templated))
    )
    archive.close_spider()
    assert stats.get_value("dedup/near") == 1 and stats.get_value("dedup/near_rejected") >= 1

    # A new crawl (new pipeline, new process state) finds the earlier crawl's articles in the archive.
    second, dedup, stats = _archive_pipeline(archive_url)
    asyncio.run(write(second, item(later_copy_url, [*PARAGRAPHS, EDITORS_NOTE])))
    second.close_spider()
    assert stats.get_value("archive/near_duplicate") == 1, stats.get_stats()

    engine, factory = open_archive(archive_url)
    with factory() as session:
        rows = {a.canonical_url: a for a in session.scalars(select(Article))}
    engine.dispose()
    cluster = rows[origin_url].cluster_id
    assert cluster is not None
    assert rows[copy_url].cluster_id == rows[later_copy_url].cluster_id == cluster
    assert rows[copy_url].status == rows[later_copy_url].status == "duplicate"
    assert rows[copy_url].duplicate_of == rows[origin_url].id
    assert rows[templated_url].cluster_id is None and rows[templated_url].status == "archived"


def _savepoints(archive: ArchivePipeline) -> list[str]:
    """The savepoints the archive writer's engine will open, as they are opened."""
    opened: list[str] = []
    event.listen(archive.engine, "savepoint", lambda connection, name: opened.append(name))
    return opened


def test_a_batch_of_rows_the_database_takes_is_written_without_savepoints(
    extraction: Any, archive_url: str
) -> None:
    """A savepoint per item cost a quarter of the writer's CPU: only a batch with a refused row pays it."""
    archive, dedup, _ = _archive_pipeline(archive_url)
    opened = _savepoints(archive)
    items = [
        _language(run(extraction.process_item(page_item(f"https://baoninhthuan.com.vn/a-{n}.html", html))))
        for n, html in enumerate((article_html(PARAGRAPHS), article_html(PARAGRAPHS[::-1])))
    ]

    async def write_both() -> None:
        await asyncio.gather(*(archive.process_item(dedup.process_item(item)) for item in items))

    asyncio.run(write_both())
    archive.close_spider()
    assert opened == []
    engine, factory = open_archive(archive_url)
    with factory() as session:
        assert len(session.scalars(select(Article.id)).all()) == 2
    engine.dispose()


def test_a_row_postgresql_refuses_fails_alone_and_keeps_its_capture(
    extraction: Any, postgres_url: str
) -> None:
    """The batch is written again with a savepoint per item, its portal row (new in the rolled-back
    transaction) made again: the other row is archived under it."""
    archive, dedup, stats = _archive_pipeline(postgres_url)
    opened = _savepoints(archive)
    refused_url = "https://baoninhthuan.com.vn/thoi-su/bai-co-ten-tac-gia-qua-dai-1.html"
    fine_url = "https://baoninhthuan.com.vn/thoi-su/so-ket-cong-tac-phong-chong-ma-tuy-2.html"
    refused = _language(run(extraction.process_item(page_item(refused_url, article_html(PARAGRAPHS)))))
    refused.article.author = "Nhóm phóng viên\x00"  # PostgreSQL text cannot hold NUL; SQLite can
    fine = _language(run(extraction.process_item(page_item(fine_url, article_html(PARAGRAPHS[::-1])))))

    async def write_both() -> None:
        # One batch: the refused row must not take the other one down with it.
        await asyncio.gather(
            archive.process_item(dedup.process_item(refused)), archive.process_item(dedup.process_item(fine))
        )

    asyncio.run(write_both())
    archive.close_spider()
    assert stats.get_value("archive/rejected") == 1 and stats.get_value("archive/stored") == 1
    assert len(opened) == 3  # the second pass: one per item, and one more for the refused article's capture
    engine, factory = open_archive(postgres_url)
    with factory() as session:
        assert session.scalars(select(Article.canonical_url)).all() == [fine_url]
        capture = session.scalars(select(Capture).where(Capture.url == refused_url)).one()
        assert capture.status == "extraction_failed" and capture.reason.startswith(
            "archive rejected the article"
        )
    engine.dispose()


def test_copies_written_in_one_batch_count_as_one_original_and_its_copies(
    extraction: Any, archive_url: str
) -> None:
    """Each new article of a batch is counted by its status after the dedup pass: an exact pair and a
    near pair written together are two originals, one duplicate and one near duplicate (each pair was
    counted as two copies when the decisions were counted: the second of a pair is "already in one
    cluster" with the first)."""
    site = "https://baoninhthuan.com.vn/thoi-su/"
    near = ["(BKH) - Báo Khánh Hòa giới thiệu bài viết của Báo Ninh Thuận.", *PARAGRAPHS]
    other = [
        "Chiều 15/4, Sở Nông nghiệp và Phát triển nông thôn tỉnh Ninh Thuận khai mạc hội chợ nông sản "
        "an toàn lần thứ ba tại quảng trường 16/4, với hơn 120 gian hàng của các hợp tác xã trong tỉnh.",
        "Hội chợ giới thiệu nho, táo, tỏi Phan Rang, thịt cừu và các sản phẩm OCOP đạt chuẩn ba sao trở lên; "
        "nhiều doanh nghiệp ký kết bao tiêu sản phẩm với nông dân ngay trong ngày đầu.",
        "Ban tổ chức cho biết hội chợ kéo dài đến hết ngày 20/4, mở cửa miễn phí từ 8 giờ đến 22 giờ hằng "
        "ngày, kèm các hoạt động văn hóa, ẩm thực và trình diễn chế biến món ăn đặc sản.",
    ]
    pages = [
        (f"{site}so-ket-1.html", PARAGRAPHS), (f"{site}ban-sao-2.html", PARAGRAPHS),
        (f"{site}ban-sao-gan-3.html", near), (f"{site}chong-buon-lau-4.html", other),
        (f"{site}ban-sao-5.html", [*other, "Theo Báo Ninh Thuận"]),
    ]  # fmt: skip
    items = [
        _language(run(extraction.process_item(page_item(url, article_html(paragraphs)))))
        for url, paragraphs in pages
    ]
    archive, dedup, stats = _archive_pipeline(archive_url)

    async def write_together() -> None:
        await asyncio.gather(*(archive.process_item(dedup.process_item(item)) for item in items))

    asyncio.run(write_together())
    archive.close_spider()
    engine, factory = open_archive(archive_url)
    with factory() as session:
        statuses = Counter(session.scalars(select(Article.status)))
    engine.dispose()
    assert statuses == {"archived": 2, "duplicate": 3}
    counted = {key: stats.get_value(f"archive/{key}") for key in ("stored", "duplicate", "near_duplicate")}
    assert counted == {"stored": 2, "duplicate": 1, "near_duplicate": 2}


def test_an_earlier_published_copy_that_becomes_the_origin_counts_as_the_copy(
    extraction: Any, archive_url: str
) -> None:
    """The second write's article, published first, becomes the cluster's origin and the first write's
    the duplicate: the crawl still counts one original and one copy, as the archive holds them."""
    site = "https://baoninhthuan.com.vn/thoi-su/"
    later = article_html(PARAGRAPHS)
    earlier = later.replace(b"2024-04-12T08:30", b"2024-04-10T08:30").replace(b"12/04/2024", b"10/04/2024")
    items = [
        _language(run(extraction.process_item(page_item(url, body))))
        for url, body in ((f"{site}ban-sao-1.html", later), (f"{site}so-ket-2.html", earlier))
    ]
    archive, dedup, stats = _archive_pipeline(archive_url)

    async def write_one_by_one() -> None:
        for item in items:
            await archive.process_item(dedup.process_item(item))

    asyncio.run(write_one_by_one())
    archive.close_spider()
    engine, factory = open_archive(archive_url)
    with factory() as session:
        statuses = dict(session.execute(select(Article.canonical_url, Article.status)).all())
    engine.dispose()
    assert statuses == {f"{site}ban-sao-1.html": "duplicate", f"{site}so-ket-2.html": "archived"}
    assert (stats.get_value("archive/stored"), stats.get_value("archive/duplicate")) == (1, 1)
