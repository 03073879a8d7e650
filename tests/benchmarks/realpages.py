"""A local portal whose article pages are the real news pages of the shared data dir, for benchmarks.

The pages are read at run time from ``--data`` (never copied into the repository), split once where a
unique paragraph goes, and served behind N article URLs (pages reused cyclically), each made unique by
that paragraph so exact-duplicate detection does not collapse them. Their own links point off-site,
so the crawl stays on the portal. The portal is discoverable like the replica: robots.txt naming a
sitemap index, a home page and paginated listing pages, article URLs shaped ``/<slug>-<id>.html``.
"""

from __future__ import annotations

import codecs
import gzip
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, overload

# Sets of real pages under the shared data dir. A dir without them (a test's tmp_path) is read whole.
KNOWN_SETS = ("extraction_benchmarks", "vi_news_html")
PAGE_SUFFIXES = (".html", ".htm", ".html.gz", ".htm.gz")
# vi_news_html holds section pages beside its articles (``dantri_list.html``): not articles.
LISTING_NAME = re.compile(r"(?:^|[_-])(?:list|listing|section)\.html?(?:\.gz)?$", re.I)
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
# Any href attribute value, quoted or not: <a>, <link rel=canonical|alternate>, <base>, <area>.
_HREF = re.compile(rb"""(\shref\s*=\s*)(?:"[^"]*"|'[^']*'|[^\s"'>]+)""", re.I)
# The first paragraph with some body (200 bytes, tags included) is in the article text on almost every
# page; the unique paragraph goes right after it, where the extractor keeps it.
_PARAGRAPH = re.compile(rb"<p[\s>](?:(?!</p>).){200,}?</p>", re.I | re.S)
_BODY = re.compile(rb"<body[^>]*>", re.I)
OFFSITE = "https://offsite.invalid"
ARTICLE_ID_BASE = 100000
LISTING_SIZE = 20  # articles per listing page, as on the replica's portals (15-20)
SITEMAP_SIZE = 10000  # URLs per sitemap of the index (the protocol allows 50,000)
NEWEST = datetime(2025, 12, 31, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class RealPage:
    """A real page split where the unique paragraph goes; ``charset`` as declared (or utf-8 if valid)."""

    source: str  # path relative to the data dir
    head: bytes
    tail: bytes
    charset: str | None


def page_files(data: Path) -> list[Path]:
    """Return the article page files under ``data``, sorted (so a run is reproducible)."""
    roots = [data / name for name in KNOWN_SETS if (data / name).is_dir()] or [data]
    found = [
        path
        for root in roots
        for path in root.rglob("*")
        if path.is_file() and path.name.lower().endswith(PAGE_SUFFIXES) and not LISTING_NAME.search(path.name)
    ]
    return sorted(found)


def declared_charset(body: bytes) -> str | None:
    """Return the page's declared charset when Python knows it, else utf-8 if the bytes are, else None."""
    match = _CHARSET.search(body[:65536])
    if match:
        name = match[1].decode("ascii", "replace").lower()
        try:
            codecs.lookup(name)
            return name
        except LookupError:
            pass
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return "utf-8"


def prepare(body: bytes, source: str) -> RealPage:
    """Return ``body`` with its links sent off-site, split where the unique paragraph goes."""
    counter = iter(range(1, 1 << 30))
    rewritten = _HREF.sub(lambda m: m[1] + f'"{OFFSITE}/{next(counter)}"'.encode(), body)
    anchor = _PARAGRAPH.search(rewritten) or _BODY.search(rewritten)
    cut = anchor.end() if anchor else 0
    return RealPage(source, rewritten[:cut], rewritten[cut:], declared_charset(body))


def load_pages(data: Path) -> list[RealPage]:
    """Read and prepare every article page under ``data``; raises FileNotFoundError when there is none."""
    pages = []
    for path in page_files(data):
        raw = path.read_bytes()
        if path.name.lower().endswith(".gz"):
            raw = gzip.decompress(raw)
        pages.append(prepare(raw, str(path.relative_to(data))))
    if not pages:
        raise FileNotFoundError(f"no HTML pages under {data}")
    return pages


def unique_paragraph(number: int) -> bytes:
    """The paragraph that makes copy ``number`` unique: ASCII, so it is valid in every page's charset."""
    return (
        f"<p>Benchmark copy {number}: this paragraph makes archive copy number {number} of a reused page "
        f"unique, so that exact duplicate detection keeps it apart from the other copies.</p>"
    ).encode()


class RealPagesSite:
    """The portal's pages, by path: ``count`` article URLs over ``pages`` reused cyclically."""

    def __init__(self, pages: list[RealPage], count: int) -> None:
        if not pages:
            raise ValueError("no pages to serve")
        self.pages = pages
        self.count = count
        self.base = ""

    def path(self, number: int) -> str:
        """The path of article ``number`` (0-based): ``/tin-tuc/<slug>-<id>.html`` like the replica's."""
        return f"/tin-tuc/ban-tin-tu-lieu-bao-chi-{ARTICLE_ID_BASE + number}.html"

    def number(self, path: str) -> int | None:
        """The article number of ``path``, or None when it is no article of this portal."""
        match = re.fullmatch(r"/tin-tuc/ban-tin-tu-lieu-bao-chi-(\d+)\.html", path)
        if not match:
            return None
        number = int(match[1]) - ARTICLE_ID_BASE
        return number if 0 <= number < self.count else None

    def article(self, number: int) -> tuple[bytes, str]:
        """Return (body, content type) of article ``number``."""
        page = self.pages[number % len(self.pages)]
        charset = f"; charset={page.charset}" if page.charset else ""
        return page.head + unique_paragraph(number) + page.tail, "text/html" + charset

    def published(self, number: int) -> datetime:
        """Article ``number``'s date: one hour apart, newest first (sitemap lastmod, listing dates)."""
        return NEWEST - timedelta(hours=number)

    def respond(self, path: str) -> tuple[int, bytes, str]:
        """Return (status, body, content type) for ``path``."""
        number = self.number(path)
        if number is not None:
            return (200, *self.article(number))
        if path == "/robots.txt":
            text = f"User-agent: *\nAllow: /\nSitemap: {self.base}/sitemap.xml\n"
            return 200, text.encode(), "text/plain; charset=utf-8"
        if path == "/sitemap.xml":
            return 200, self._sitemap_index().encode(), "application/xml"
        match = re.fullmatch(r"/sitemap-(\d+)\.xml", path)
        if match and 1 <= int(match[1]) <= self._sitemaps():
            return 200, self._sitemap(int(match[1])).encode(), "application/xml"
        if path == "/":
            return 200, self._listing(1, home=True).encode(), "text/html; charset=utf-8"
        match = re.fullmatch(r"/tin-moi/(?:trang-(\d+)\.html)?", path)
        if match and 1 <= int(match[1] or 1) <= self._listing_pages():
            return 200, self._listing(int(match[1] or 1)).encode(), "text/html; charset=utf-8"
        return 404, b"<html><body><h1>404</h1></body></html>", "text/html; charset=utf-8"

    def _sitemaps(self) -> int:
        return max(1, -(-self.count // SITEMAP_SIZE))

    def _listing_pages(self) -> int:
        return max(1, -(-self.count // LISTING_SIZE))

    def _sitemap_index(self) -> str:
        entries = "".join(
            f"<sitemap><loc>{self.base}/sitemap-{n}.xml</loc></sitemap>"
            for n in range(1, self._sitemaps() + 1)
        )
        return f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex {_NS}>{entries}</sitemapindex>\n'

    def _sitemap(self, n: int) -> str:
        numbers = range((n - 1) * SITEMAP_SIZE, min(n * SITEMAP_SIZE, self.count))
        entries = "".join(
            f"<url><loc>{self.base}{self.path(i)}</loc><lastmod>{self.published(i).isoformat()}</lastmod></url>"
            for i in numbers
        )
        return f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset {_NS}>{entries}</urlset>\n'

    def _listing(self, page: int, home: bool = False) -> str:
        numbers = range((page - 1) * LISTING_SIZE, min(page * LISTING_SIZE, self.count))
        items = "".join(
            f'<li><a href="{self.path(i)}">Bản tin tư liệu số {i}</a> '
            f"<span>{self.published(i):%d/%m/%Y %H:%M}</span></li>"
            for i in numbers
        )
        more = '<a href="/tin-moi/">Tin mới</a>' if home else ""
        if not home and page < self._listing_pages():
            more = f'<a href="/tin-moi/trang-{page + 1}.html">Trang sau</a>'
        title = "Trang chủ" if home else f"Tin mới - trang {page}"
        return (
            f'<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>{title}</title></head>'
            f"<body><h1>{title}</h1><ul>{items}</ul><nav>{more}</nav></body></html>"
        )


_NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the crawler opens many connections at once
    site: RealPagesSite


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"  # keep-alive: the crawler reuses its connections

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Log nothing."""

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        self._serve(head=False)

    def do_HEAD(self) -> None:  # noqa: N802 - stdlib name
        self._serve(head=True)

    def _serve(self, head: bool) -> None:
        status, body, content_type = self.server.site.respond(self.path.split("?", 1)[0])
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)


class RealPagesServer:
    """Serves a RealPagesSite on 127.0.0.1 (``port`` 0: a free one). Use as a context manager."""

    def __init__(self, site: RealPagesSite, port: int = 0) -> None:
        self.site = site
        self._server = _Server(("127.0.0.1", port), _Handler)
        self._server.site = site
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        site.base = self.base_url
        self.home_url = self.base_url + "/"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1})
        self._thread.daemon = True

    def __enter__(self) -> RealPagesServer:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


class ArticleBodies(Sequence[bytes]):
    """The site's article bodies in article order, each built when indexed (50,000 would not fit)."""

    def __init__(self, site: RealPagesSite) -> None:
        self.site = site

    def __len__(self) -> int:
        return self.site.count

    @overload
    def __getitem__(self, index: int) -> bytes: ...
    @overload
    def __getitem__(self, index: slice) -> list[bytes]: ...
    def __getitem__(self, index: int | slice) -> bytes | list[bytes]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self.site.article(index)[0]
