"""A hostile portal on 127.0.0.x for the safety tests: SSRF redirects, traps, bombs, lies and junk.

``HostilePortal`` serves the portal under crawl on one loopback address and an "internal" server (an
admin page, a sitemap and a feed the portal points at) on another; the internal server records every
request it gets, so a test can prove the crawler never reached it. Every case is one article URL (or a
discovery URL) of the portal; ``CASES`` maps each article case to its path.
"""

from __future__ import annotations

import gzip
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

SECRET = "INTERNAL-ADMIN-SECRET-7c1f"  # on the internal server only: must never reach the archive
PARAGRAPH = (
    "Ủy ban nhân dân tỉnh tổ chức hội nghị sơ kết công tác quý I năm 2024 với sự tham dự của đại diện các "
    "sở, ban, ngành và lãnh đạo các huyện, thành phố trên địa bàn."
)


def article(title: str, paragraphs: list[str] | None = None, head: str = "", links: str = "") -> bytes:
    """An article page in Vietnamese; ``head`` adds markup to <head>, ``links`` to the body."""
    # Each page's own text (its title in every paragraph): the cases are not copies of each other.
    body = "".join(
        f"<p>{p}</p>" for p in (paragraphs or [f"{title}, đoạn {i}: {PARAGRAPH}" for i in range(6)])
    )
    return (
        f"<!doctype html><html lang='vi'><head><meta charset='utf-8'><title>{title}</title>"
        f"<meta property='og:type' content='article'>{head}</head><body><article><h1>{title}</h1>"
        f"{body}{links}</article></body></html>"
    ).encode()


def _slug(case: str) -> str:
    return f"/tin/bai-viet-thu-nghiem-ve-truong-hop-{case}-{1000 + sum(map(ord, case))}.html"


# Article cases: name -> path. The home page links every one.
CASES = {
    name: _slug(name)
    for name in (
        "redirect-file", "redirect-internal", "redirect-postgres", "page-60mb", "gzip-bomb",
        "invalid-utf8", "lying-charset", "binary", "redirect-loop", "empty-body", "control-entities",
        "malformed-metadata-urls", "long-content-type", "slow-extraction", "redirect-long-url", "trap-0",
        "garbage", "gone", "redirect-nowhere", "plain",
    )
}  # fmt: skip
LONG_URL_PATH = "/tin/" + "duong-dan-rat-dai-" * 110 + "12345.html"  # ~2,000 characters, under 2,083
BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'.encode()
        for i in range(1, 10)
    )
    + b"]>"
)
XXE = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


def _trap_path(number: int) -> str:
    """An article-shaped URL (title slug and id) of the trap's page ``number``."""
    return f"/tin/bai-viet-bay-lien-ket-vo-tan-{10_000 + number}.html"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: HostilePortal
    role: str


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        """Quiet."""

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        owner = self.server.owner
        owner.record(self.server.role, self.path)
        try:
            if self.server.role == "internal":
                owner.serve_internal(self)
            else:
                owner.serve_portal(self)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the crawler gave up on a huge body: that is the point

    def send(
        self, status: int, body: bytes, content_type: str = "text/html; charset=utf-8", **headers: str
    ) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def redirect(self, location: str) -> None:
        self.send(302, b"", "", Location=location)


class HostilePortal:
    """The hostile portal on 127.0.0.2 and the internal server on 127.0.0.9, both on free ports."""

    def __init__(self, portal_host: str = "127.0.0.2", internal_host: str = "127.0.0.9") -> None:
        self.portal_host, self.internal_host = portal_host, internal_host
        self.requests: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._servers: list[_Server] = []
        self.base = self.internal = ""
        self._cache: dict[str, bytes] = {}

    def __enter__(self) -> HostilePortal:
        for role, host in (("portal", self.portal_host), ("internal", self.internal_host)):
            server = _Server((host, 0), _Handler)
            server.owner, server.role = self, role
            threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
            self._servers.append(server)
            url = f"http://{host}:{server.server_address[1]}"
            if role == "portal":
                self.base = url
            else:
                self.internal = url
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()

    def record(self, role: str, path: str) -> None:
        with self._lock:
            self.requests.append((role, path))

    def requested(self, role: str) -> list[str]:
        with self._lock:
            return [path for who, path in self.requests if who == role]

    def url(self, case: str) -> str:
        return self.base + CASES[case]

    # -- the internal server: nothing here may ever be requested -----------------------------------

    def serve_internal(self, handler: _Handler) -> None:
        if handler.path.endswith(".xml"):
            loc = f"{self.internal}/admin/bai-viet-noi-bo-quan-tri-he-thong-123.html"
            urlset = f"<urlset><url><loc>{loc}</loc></url></urlset>"
            handler.send(200, urlset.encode(), "application/xml")
        elif handler.path.endswith(".rss"):
            handler.send(
                200,
                b"<rss><channel><item><link>/admin/x</link></item></channel></rss>",
                "application/rss+xml",
            )
        else:
            handler.send(200, article("Trang quản trị nội bộ", [f"{SECRET} {PARAGRAPH}"] * 4))

    # -- the portal ----------------------------------------------------------------------------------

    def serve_portal(self, handler: _Handler) -> None:
        path = handler.path
        routes: dict[str, Callable[[_Handler], None]] = {
            "/robots.txt": self._robots,
            "/": self._home,
            "/sitemap.xml": self._sitemap_index,
            "/sm/bomb.xml.gz": self._sitemap_gzip_bomb,
            "/sm/big.xml": self._sitemap_big,
            "/sm/xxe.xml": lambda h: h.send(
                200, XXE + b"<urlset><url><loc>&xxe;</loc></url></urlset>", "application/xml"
            ),
            "/sm/laughs.xml": lambda h: h.send(
                200, BILLION_LAUGHS + b"<urlset><url><loc>&lol9;</loc></url></urlset>", "application/xml"
            ),
            "/feed.rss": self._feed,
            LONG_URL_PATH: lambda h: h.send(200, article("Bài viết có đường dẫn rất dài")),
        }
        if path in routes:
            routes[path](handler)
        elif path.startswith("/sm/nested-"):
            depth = int(path.removeprefix("/sm/nested-").removesuffix(".xml"))
            loc = f"{self.base}/sm/nested-{depth + 1}.xml"
            index = f"<sitemapindex><sitemap><loc>{loc}</loc></sitemap></sitemapindex>"
            handler.send(200, index.encode(), "application/xml")
        elif path.startswith("/tin/bai-viet-bay-"):
            self._trap(handler, int(path.rsplit("-", 1)[1].removesuffix(".html")) - 10_000)
        else:
            case = next((name for name, case_path in CASES.items() if case_path == path), None)
            if case is None:
                handler.send(404, b"not found")
            else:
                self._case(handler, case)

    def _robots(self, handler: _Handler) -> None:
        text = "User-agent: *\nAllow: /\n"
        text += f"Sitemap: {self.internal}/sitemap.xml\nSitemap: {self.base}/sitemap.xml\n"
        handler.send(200, text.encode(), "text/plain")

    def _home(self, handler: _Handler) -> None:
        links = "".join(f"<a href='{path}'>{name}</a> " for name, path in CASES.items())
        links += f"<a href='{LONG_URL_PATH}'>dài</a>"
        head = (
            f"<link rel='alternate' type='application/rss+xml' href='{self.internal}/feed.rss'>"
            "<link rel='alternate' type='application/rss+xml' href='/feed.rss'>"
        )
        handler.send(200, f"<html><head>{head}</head><body><h1>Trang chủ</h1>{links}</body></html>".encode())

    def _sitemap_index(self, handler: _Handler) -> None:
        names = ("nested-1.xml", "bomb.xml.gz", "big.xml", "xxe.xml", "laughs.xml")
        entries = [*(f"{self.base}/sm/{name}" for name in names), f"{self.internal}/private.xml"]
        body = "".join(f"<sitemap><loc>{loc}</loc></sitemap>" for loc in entries)
        handler.send(200, f"<sitemapindex>{body}</sitemapindex>".encode(), "application/xml")

    def _sitemap_gzip_bomb(self, handler: _Handler) -> None:
        if "bomb" not in self._cache:  # ~1 MB of gzip that inflates to 1 GB
            self._cache["bomb"] = gzip.compress(
                b"<urlset>" + b" " * (1024**3) + b"</urlset>", compresslevel=9
            )
        handler.send(200, self._cache["bomb"], "application/x-gzip")

    def _sitemap_big(self, handler: _Handler) -> None:
        # 14 MB (the protocol allows 50 MB) and 50,000 URLs of images: parsed whole, none is an article.
        if "big" not in self._cache:
            entry = (
                f"<url><loc>{self.base}/uploads/2024/04/{'anh-minh-hoa-hoi-nghi-' * 10}{{}}.jpg</loc></url>"
            )
            entries = "".join(entry.format(i) for i in range(50_000))
            self._cache["big"] = f"<urlset>{entries}</urlset>".encode()
        handler.send(200, self._cache["big"], "application/xml")

    def _feed(self, handler: _Handler) -> None:
        handler.send(
            200,
            BILLION_LAUGHS + b"<rss><channel><item><link>&lol9;</link></item></channel></rss>",
            "application/rss+xml",
        )

    def _trap(self, handler: _Handler, number: int) -> None:
        # Article-like pages without end: each links to three new ones.
        links = "".join(f"<a href='{_trap_path(number * 3 + k)}'>tiếp</a>" for k in (1, 2, 3))
        handler.send(200, article(f"Bài viết bẫy số {number}", links=links))

    def _case(self, handler: _Handler, case: str) -> None:
        if case == "redirect-file":
            handler.redirect("file:///etc/passwd")
        elif case == "redirect-internal":
            handler.redirect(f"{self.internal}/admin/bai-viet-noi-bo-quan-tri-he-thong-123.html")
        elif case == "redirect-postgres":
            handler.redirect("http://127.0.0.1:5432/")
        elif case == "redirect-loop":
            handler.redirect(CASES[case])
        elif case == "redirect-long-url":
            handler.redirect("/tin/" + "a" * 3000 + ".html")
        elif case == "page-60mb":
            handler.send_response(200)
            handler.send_header("Content-Type", "text/html; charset=utf-8")
            handler.send_header("Content-Length", str(60 * 1024 * 1024))
            handler.end_headers()
            chunk = b"<p>" + b"a" * 65_000 + b"</p>"
            for _ in range(60 * 1024 * 1024 // len(chunk)):
                handler.wfile.write(chunk)
        elif case == "gzip-bomb":
            if "encoded-bomb" not in self._cache:
                self._cache["encoded-bomb"] = gzip.compress(b"<html>" + b" " * (1024**3), compresslevel=9)
            handler.send(200, self._cache["encoded-bomb"], Content_Encoding="gzip")
        elif case == "invalid-utf8":
            page = article("Bài viết có byte hỏng").replace(b"tham d\xe1\xbb\xb1", b"tham d\xe1\xbb")
            handler.send(200, page)
        elif case == "lying-charset":
            handler.send(200, article("Bài viết khai sai bảng mã"), "text/html; charset=iso-8859-1")
        elif case == "binary":
            handler.send(200, b"PK\x03\x04" + bytes(range(256)) * 40, "application/zip")
        elif case == "empty-body":
            handler.send(200, b"")
        elif case == "garbage":
            handler.send(200, bytes(range(1, 256)) * 20)
        elif case == "gone":
            handler.send(410, b"gone")
        elif case == "redirect-nowhere":
            handler.redirect(f"{self.base.rsplit(':', 1)[0]}:9/tin/khong-co-gi-o-day.html")  # the portal host
        elif case == "control-entities":
            paragraphs = [f"Đoạn {i}: {PARAGRAPH}" for i in range(6)]
            paragraphs[2] = "Tin nhắn có ký tự điều khiển &#11; và &#27;[2J giữa đoạn: " + PARAGRAPH
            handler.send(200, article("Bài viết có ký tự điều khiển", paragraphs))
        elif case == "malformed-metadata-urls":
            head = "<link rel='canonical' href='http://[bad/'><meta property='og:image' content='http://[bad/x.jpg'>"
            handler.send(200, article("Bài viết có siêu dữ liệu hỏng", head=head))
        elif case == "long-content-type":
            handler.send(
                200, article("Bài viết có Content-Type rất dài"), "text/html; charset=utf-8; x=" + "y" * 300
            )
        elif case == "slow-extraction":
            # ~7.7 MB of paragraphs (under DOWNLOAD_MAXSIZE): even linear extraction takes seconds, over the
            # test's timeout.
            paragraphs = [f"Đoạn {i}: {PARAGRAPH} Số liệu {i * 7}." for i in range(30_000)]
            handler.send(200, article("Bài viết rất dài", paragraphs))
        elif case == "trap-0":
            self._trap(handler, 0)
        else:
            handler.send(200, article("Bài viết bình thường về hội nghị"))
