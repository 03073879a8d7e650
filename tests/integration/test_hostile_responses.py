"""Hostile responses are recorded with a specific reason, never dropped and never fatal to the crawl."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import select

from storage.db import open_archive
from storage.models import Article, Capture

SLUG = "bai-viet-thu-nghiem-ve-tin-tuc-tinh-nha"
PAGES = {
    f"/tin/{SLUG}-1001.html": "loop",  # redirects to itself: a redirect to nowhere
    f"/tin/{SLUG}-1002.html": "huge",  # larger than DOWNLOAD_MAXSIZE
    f"/tin/{SLUG}-1003.html": "binary",  # a ZIP file behind an article URL
    f"/tin/{SLUG}-1004.html": "garbage",  # bytes that are no HTML at all
    f"/tin/{SLUG}-1005.html": "gone",  # 410
    f"/tin/{SLUG}-1006.html": "elsewhere",  # redirects to a port where nothing listens
    f"/tin/{SLUG}-1007.html": "article",  # a real article, to show the crawl went on
}
ARTICLE = (
    "<html lang='vi'><head><title>Tin thử nghiệm</title><meta property='og:type' content='article'></head>"
    "<body><h1>Tin thử nghiệm về hoạt động của tỉnh</h1>"
    + "".join(
        f"<p>Đoạn {i}: Ủy ban nhân dân tỉnh tổ chức hội nghị sơ kết công tác quý I năm 2024 với sự tham dự "
        "của đại diện các sở, ban, ngành và lãnh đạo các huyện, thành phố trên địa bàn.</p>"
        for i in range(6)
    )
    + "</body></html>"
)


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def _send(self, status: int, body: bytes, content_type: str = "text/html; charset=utf-8") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        kind = PAGES.get(self.path)
        if self.path == "/robots.txt":
            self._send(200, b"User-agent: *\nAllow: /\n", "text/plain")
        elif self.path == "/":
            links = "".join(f"<a href='{path}'>{kind}</a>" for path, kind in PAGES.items())
            self._send(200, f"<html><body><h1>Trang chủ</h1>{links}</body></html>".encode())
        elif kind in ("loop", "elsewhere"):
            self.send_response(301)
            self.send_header("Location", self.path if kind == "loop" else "http://127.0.0.1:9/tin/x")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif kind == "huge":
            self._send(200, b"<html><body>" + b"<p>a</p>" * (12 * 1024 * 1024 // 8) + b"</body></html>")
        elif kind == "binary":
            self._send(200, b"PK\x03\x04" + bytes(range(256)) * 40, "application/zip")
        elif kind == "garbage":
            self._send(200, bytes(range(1, 256)) * 20)
        elif kind == "gone":
            self._send(410, b"gone")
        elif kind == "article":
            self._send(200, ARTICLE.encode())
        else:
            self._send(404, b"not found")


@pytest.fixture
def hostile_site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_hostile_responses_are_recorded_with_reasons(hostile_site: str, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/hostile.sqlite3"
    script = Path(sys.executable).with_name("newsarchive")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "crawler"]
    result = subprocess.run(
        [*command, "crawl", "--start-url", hostile_site, "--db", db, "--set", "DOWNLOAD_DELAY=0",
         "--set", "AUTOTHROTTLE_ENABLED=False", "--set", "RETRY_TIMES=0", "--set", "LOG_LEVEL=WARNING"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    engine, factory = open_archive(db)
    with factory() as session:
        captures = {c.url.removeprefix(hostile_site.rstrip("/")): c for c in session.scalars(select(Capture))}
        titles = list(session.scalars(select(Article.title)))
    engine.dispose()

    def reason(kind: str) -> str:
        (path,) = [p for p, k in PAGES.items() if k == kind]
        capture = captures[path]
        return f"{capture.status}: {capture.reason}"

    assert reason("loop").startswith("fetch_failed:") and "redirect" in reason("loop").lower()
    assert reason("huge").startswith("fetch_failed:") and "size" in reason("huge").lower()
    assert reason("binary") == "extraction_failed: binary content (application/zip)"
    assert reason("garbage").startswith("extraction_failed:")
    assert reason("gone") == "fetch_failed: HTTP 410"
    assert reason("elsewhere").startswith("fetch_failed:")
    assert titles == ["Tin thử nghiệm về hoạt động của tỉnh"]
