"""WARC import: which records become pages and why the others are skipped; an imported capture older
than the archive's becomes version 1, and show and cite name where each capture came from."""

from __future__ import annotations

import asyncio
import datetime
import io
from collections import Counter
from collections.abc import AsyncIterator, Iterable
from pathlib import Path

from scrapy.settings import Settings
from sqlalchemy import select
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from crawler.imports.importer import Importer, ImportSummary
from crawler.imports.pages import ImportedPage, Skipped
from crawler.imports.warc import WarcReader
from crawler.portals import Portal
from storage.export.citation import citation_for, plain
from storage.export.records import article_details
from storage.models import Article
from storage.models import Portal as PortalRow

URL = "https://baoninhthuan.com.vn/tin-tuc/hoi-nghi-so-ket-cong-tac-quy-i-12345.html"
PARAGRAPHS = (
    "Sáng 12/4, Ủy ban nhân dân tỉnh tổ chức hội nghị sơ kết công tác quý I và triển khai nhiệm vụ trọng "
    "tâm quý II năm 2024 với sự tham dự của lãnh đạo các sở, ban, ngành.",
    "Theo báo cáo, trong quý I, tổng sản phẩm trên địa bàn tỉnh tăng trưởng khá so với cùng kỳ năm trước; "
    "thu ngân sách đạt kết quả tích cực, các chương trình an sinh xã hội được triển khai kịp thời.",
    "Phát biểu kết luận hội nghị, đồng chí Chủ tịch Ủy ban nhân dân tỉnh đề nghị các địa phương tập trung "
    "tháo gỡ khó khăn cho doanh nghiệp, đẩy nhanh tiến độ giải ngân vốn đầu tư công.",
)


def article_page(title: str, extra: str = "") -> bytes:
    paragraphs = "".join(f"<p>{text} {extra}</p>" for text in PARAGRAPHS)
    return (
        '<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>' + title + "</title>"
        '<meta property="og:type" content="article">'
        '<meta property="article:published_time" content="2024-04-12T08:30:00+07:00"></head>'
        f"<body><article><h1>{title}</h1>{paragraphs}</article></body></html>"
    ).encode()


def _response(
    writer: WARCWriter, url: str, body: bytes, date: str, *, status: str = "200 OK",
    content_type: str = "text/html; charset=utf-8", extra: dict[str, str] | None = None,
) -> str:  # fmt: skip
    """Write a response record; return its payload digest."""
    http = StatusAndHeaders(status, [("Content-Type", content_type)], protocol="HTTP/1.1")
    record = writer.create_warc_record(
        url, "response", payload=io.BytesIO(body), length=len(body), http_headers=http,
        warc_headers_dict={"WARC-Date": date, **(extra or {})},
    )  # fmt: skip
    writer.write_record(record)
    return str(record.rec_headers.get_header("WARC-Payload-Digest"))


def _revisit(writer: WARCWriter, url: str, digest: str, date: str) -> None:
    http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
    record = writer.create_revisit_record(
        url, digest, url, "2024-04-01T00:00:00Z", http_headers=http, warc_headers_dict={"WARC-Date": date}
    )
    writer.write_record(record)


def _reasons(reader: WarcReader, path: Path) -> tuple[list[ImportedPage], Counter[str]]:
    pages, skipped = [], Counter[str]()
    for page in reader.pages(path):
        if isinstance(page, Skipped):
            skipped[page.reason] += 1
        else:
            pages.append(page)
    return pages, skipped


def _mixed(path: Path) -> bytes:
    """A WARC of one article page, a revisit of it, and one record of each kind that is skipped."""
    body = article_page("Hội nghị sơ kết công tác quý I")
    with path.open("wb") as stream:
        writer = WARCWriter(stream, gzip=True)
        writer.write_record(writer.create_warcinfo_record("mixed.warc.gz", {"software": "test"}))
        digest = _response(writer, URL, body, "2024-04-01T00:00:00Z")
        request = writer.create_warc_record(
            URL, "request", payload=io.BytesIO(b""), length=0,
            http_headers=StatusAndHeaders("GET / HTTP/1.1", [], is_http_request=True),
        )  # fmt: skip
        writer.write_record(request)
        _response(writer, URL.replace(".html", ".jpg"), b"\xff\xd8\xff", "2024-04-01T00:00:01Z",
                  content_type="image/jpeg")  # fmt: skip
        _response(writer, URL + "?gone", b"<html>404</html>", "2024-04-01T00:00:02Z", status="404 Not Found")
        _response(
            writer, URL + "?cut", body[:100], "2024-04-01T00:00:03Z", extra={"WARC-Truncated": "length"}
        )
        _revisit(writer, URL, digest, "2024-05-01T00:00:00Z")
        _revisit(writer, URL + "?other", "sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "2024-05-02T00:00:00Z")
    return body


def test_revisits_resolve_to_their_original_and_every_skip_has_its_reason(tmp_path: Path) -> None:
    path = tmp_path / "mixed.warc.gz"
    body = _mixed(path)
    pages, skipped = _reasons(WarcReader("wayback", 10_000_000), path)
    assert skipped == {
        "warcinfo record": 1, "request record": 1, "not HTML": 1, "HTTP 404": 1, "truncated": 1,
        "revisit of a record not in these files": 1,
    }  # fmt: skip
    original, revisit = pages
    assert original.body == revisit.body == body
    assert (original.captured_at.isoformat(), revisit.captured_at.isoformat()) == (
        "2024-04-01T00:00:00+00:00", "2024-05-01T00:00:00+00:00",
    )  # fmt: skip
    assert original.provenance["source"] == "wayback" and original.provenance["file"] == "mixed.warc.gz"
    assert original.provenance["record_id"] != revisit.provenance["record_id"]


def test_a_record_cut_short_by_the_end_of_the_file_is_skipped_as_truncated(tmp_path: Path) -> None:
    path = tmp_path / "cut.warc"
    with path.open("wb") as stream:
        writer = WARCWriter(stream, gzip=False)
        _response(writer, URL, article_page("Bài một"), "2024-04-01T00:00:00Z")
        _response(writer, URL + "?2", article_page("Bài hai"), "2024-04-01T00:00:01Z")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 700])
    pages, skipped = _reasons(WarcReader("w", 10_000_000), path)
    assert [page.url for page in pages] == [URL]
    assert skipped == {"truncated": 1}


def test_a_body_over_the_size_limit_is_skipped_not_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "large.warc.gz"
    with path.open("wb") as stream:
        _response(
            WARCWriter(stream, gzip=True), URL, article_page("Bài dài", "x" * 5000), "2024-04-01T00:00:00Z"
        )
    _, skipped = _reasons(WarcReader("w", 4096), path)
    assert skipped == {"too large": 1}


async def _each(pages: Iterable[ImportedPage | Skipped]) -> AsyncIterator[ImportedPage | Skipped]:
    for page in pages:
        yield page


def _import(archive_url: str, path: Path, source: str) -> ImportSummary:
    settings = Settings()
    settings.setmodule("crawler.settings")
    settings.set("EXTRACTION_WORKERS", 1)
    portal = Portal(key="ninhthuan", name="Báo Ninh Thuận", home_url="https://baoninhthuan.com.vn/",
                    aliases=("ninhthuan.example.vn",), active_until=datetime.date(2025, 6, 30))  # fmt: skip
    importer = Importer(archive_url, [portal], settings)

    async def run() -> ImportSummary:
        async with importer:
            reader = WarcReader(source, 10_000_000, wanted=importer.wants)
            return await importer.run(_each(reader.pages(path)))

    return asyncio.run(run())


def test_an_older_capture_becomes_version_1_and_show_and_cite_name_each_source(
    archive_url: str, tmp_path: Path
) -> None:
    crawled, older = tmp_path / "2026.warc.gz", tmp_path / "2024.warc.gz"
    for path, title, date in (
        (crawled, "Hội nghị sơ kết công tác quý I (cập nhật)", "2026-03-01T02:00:00Z"),
        (older, "Hội nghị sơ kết công tác quý I", "2024-04-12T02:00:00Z"),
    ):
        with path.open("wb") as stream:
            _response(WARCWriter(stream, gzip=True), URL, article_page(title, title), date)
    first = _import(archive_url, crawled, "commoncrawl CC-NEWS")
    second = _import(archive_url, older, "wayback")
    assert (first.outcomes["stored"], first.failed) == (1, 0)
    assert (second.outcomes["earlier_version"], second.failed) == (1, 0)
    again = _import(archive_url, older, "wayback")
    assert again.skipped == {"already in the archive": 1}

    from storage.db import open_archive

    engine, factory = open_archive(archive_url)
    try:
        with factory() as session:
            article = session.scalars(select(Article)).one()
            details = article_details(session, article)
            assert [(v["version"], v["title"]) for v in details["versions"]] == [
                (1, "Hội nghị sơ kết công tác quý I"), (2, "Hội nghị sơ kết công tác quý I (cập nhật)"),
            ]  # fmt: skip
            assert details["versions"][0]["source"].startswith("wayback: 2024.warc.gz <urn:uuid:")
            assert details["versions"][1]["source"].startswith("commoncrawl CC-NEWS: 2026.warc.gz")
            assert article.title == "Hội nghị sơ kết công tác quý I (cập nhật)"
            cited = plain(citation_for(session, article, 1))
            assert "from wayback: 2024.warc.gz" in cited and "version 1" in cited
    finally:
        engine.dispose()


def test_both_cdx_dialects_are_read_line_by_line_and_collapsed_by_digest() -> None:
    from crawler.imports.backfill import parse_cdx_lines, replay_base

    internet_archive = [
        '[["urlkey","timestamp","original","mimetype","statuscode","digest","length"],\n',
        '["vn,com,baoninhthuan)/a-1.html","20240412083000","https://baoninhthuan.com.vn/a-1.html",'
        '"text/html","200","AAA","100"],\n',
        '["vn,com,baoninhthuan)/a-1.html","20240501083000","https://baoninhthuan.com.vn/a-1.html",'
        '"text/html","200","AAA","100"],\n',
        '["vn,com,baoninhthuan)/a-1.html","20240601083000","https://baoninhthuan.com.vn/a-1.html",'
        '"text/html","200","BBB","100"]]\n',
    ]
    rows = list(parse_cdx_lines(iter(internet_archive)))
    assert [(row.timestamp, row.digest) for row in rows] == [
        ("20240412083000", "AAA"),
        ("20240601083000", "BBB"),
    ]
    assert rows[0].captured_at.isoformat() == "2024-04-12T08:30:00+00:00"
    pywb = ['{"urlkey": "k", "timestamp": "20240412083000", "url": "http://h/a", "mime": "text/html", '
            '"status": "200", "digest": "D"}\n']  # fmt: skip
    (row,) = parse_cdx_lines(iter(pywb))
    assert (row.url, row.mime, row.status) == ("http://h/a", "text/html", "200")
    one_line = ['[["urlkey","timestamp","original","mimetype","statuscode","digest"],'
                '["k","20240412083000","http://h/b","text/html","200","E"]]']  # fmt: skip
    assert [row.url for row in parse_cdx_lines(iter(one_line))] == ["http://h/b"]
    assert replay_base("https://web.archive.org/cdx/search/cdx") == "https://web.archive.org/web/"
    assert replay_base("http://127.0.0.1:8080/my-coll/cdx") == "http://127.0.0.1:8080/my-coll/"


def test_an_import_of_the_mixed_file_counts_each_skip_and_the_revisit_is_the_same_capture(
    archive_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "mixed.warc.gz"
    _mixed(path)
    summary = _import(archive_url, path, "wayback")
    assert summary.read == 8 and summary.failed == 0
    assert summary.skipped == {
        "warcinfo record": 1, "request record": 1, "not HTML": 1, "HTTP 404": 1, "truncated": 1,
        "revisit of a record not in these files": 1,
    }  # fmt: skip
    assert (summary.outcomes["stored"], summary.outcomes["revisit"]) == (1, 1)
    from storage.db import open_archive
    from storage.models import Capture

    engine, factory = open_archive(archive_url)
    try:
        with factory() as session:
            capture = session.scalars(select(Capture)).one()
            assert capture.fetch_count == 2
            assert (capture.fetched_at.month, capture.last_fetched_at.month) == (4, 5)
            # The registry's lineage of the portal the pages were filed under, for the web's portal page.
            portal = session.scalars(select(PortalRow)).one()
            assert portal.aliases == ["ninhthuan.example.vn"]
            assert portal.active_until == datetime.date(2025, 6, 30)
    finally:
        engine.dispose()
