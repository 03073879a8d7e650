"""The second hostile portal (issue 21): its own host on another port, header bombs, link floods, a huge
robots.txt, br pages, NUL in headers, redirects to other schemes and over-long URLs, a lost body, and a
second portal whose home page redirects to an internal server.

``HostilePortal2`` serves the portal under crawl on 127.0.0.3 and an "internal" server on the SAME host
(another port, as an internal service beside a port-less portal would be), which records every request
it gets. ``RedirectingPortal`` is a portal on 127.0.0.4 whose home page redirects to that internal server.
"""

from __future__ import annotations

import contextlib
import random
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from crawler.runtime.encodings import working_brotli
from tests.integration.hostile import PARAGRAPH, SECRET, article

# Links on the home page after the cases: article-like URLs of the portal (they answer 404).
FLOOD_LINKS = 20_000
FLOOD_PATH = "/tin/bai-viet-lu-lien-ket-so-{}.html"
ROBOTS_BYTES = 50 * 1024 * 1024  # announced; the crawler stops reading after 500 KiB
HEADER_BOMB_BYTES = 100 * 1024 * 1024  # at most; the crawler gives up after 64 KiB
LONG_LOCATION = "/tin/" + "a" * 100_000 + ".html"


def _slug(case: str) -> str:
    return f"/tin/bai-viet-thu-nghiem-lan-hai-truong-hop-{case}-{2000 + sum(map(ord, case))}.html"


CASES = {
    name: _slug(name)
    for name in (
        "own-host-other-port", "header-bomb", "brotli", "nul-etag", "redirect-mailto", "redirect-tel",
        "redirect-javascript", "redirect-urn", "redirect-100kb-url", "data-loss", "plain",
    )
}  # fmt: skip
SCHEME_REDIRECTS = {
    "redirect-mailto": "mailto:toasoan@example.vn",
    "redirect-tel": "tel:+842593822000",
    "redirect-javascript": "javascript:void(0)",
    "redirect-urn": "urn:isbn:0451450523",
}
# Forbidden by the first line of the huge robots.txt: never requested.
FORBIDDEN_PATH = "/cam/bai-viet-bi-cam-boi-robots-txt-khong-duoc-lay-4242.html"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    serve: Callable[[_Handler], None]
    record: Callable[[str], None]


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        """Quiet."""

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        self.server.record(self.path)
        # The crawler giving up on a bomb is the point.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.server.serve(self)

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


class HostilePortal2:
    """The portal on 127.0.0.3, the internal server on 127.0.0.3 (another port), and a second portal on
    127.0.0.4 whose home page redirects to the internal server; all on free ports."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._servers: list[_Server] = []
        self.base = self.internal = self.redirecting = ""
        self._brotli = working_brotli()

    def __enter__(self) -> HostilePortal2:
        for role, host, serve in (
            ("portal", "127.0.0.3", self._serve_portal),
            ("internal", "127.0.0.3", self._serve_internal),
            ("redirecting", "127.0.0.4", lambda h: h.redirect(self.internal + "/admin/")),
        ):
            server = _Server((host, 0), _Handler)
            server.serve = serve
            server.record = lambda path, role=role: self._record(role, path)  # type: ignore[misc]
            threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
            self._servers.append(server)
            setattr(self, {"portal": "base"}.get(role, role), f"http://{host}:{server.server_address[1]}")
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()

    def _record(self, role: str, path: str) -> None:
        with self._lock:
            self.requests.append((role, path))

    def requested(self, role: str) -> list[str]:
        with self._lock:
            return [path for who, path in self.requests if who == role]

    def url(self, case: str) -> str:
        return self.base + CASES[case]

    def _serve_internal(self, handler: _Handler) -> None:
        handler.send(200, article("Trang quản trị nội bộ", [f"{SECRET} đoạn {i}" for i in range(5)]))

    def _serve_portal(self, handler: _Handler) -> None:
        path = handler.path
        if path == "/robots.txt":
            self._robots(handler)
        elif path == "/":
            links = "".join(f"<a href='{p}'>{name}</a> " for name, p in CASES.items())
            links += f"<a href='{FORBIDDEN_PATH}'>cấm</a> "
            links += "".join(f"<a href='{FLOOD_PATH.format(n)}'>lũ</a>" for n in range(FLOOD_LINKS))
            handler.send(200, f"<html><body><h1>Trang chủ</h1>{links}</body></html>".encode())
        else:
            case = next((name for name, case_path in CASES.items() if case_path == path), None)
            if case is None:
                handler.send(404, b"not found")
            else:
                self._case(handler, case)

    def _robots(self, handler: _Handler) -> None:
        # 50 MB announced, the rule on its first line: Scrapy cancelled it at DOWNLOAD_MAXSIZE and then
        # obeyed nothing.
        handler.send_response(200)
        handler.send_header("Content-Type", "text/plain")
        handler.send_header("Content-Length", str(ROBOTS_BYTES))
        handler.end_headers()
        head = b"User-agent: *\nDisallow: /cam/\n"
        handler.wfile.write(head)
        line = b"# " + b"x" * 1021 + b"\n"
        for _ in range((ROBOTS_BYTES - len(head)) // len(line)):
            handler.wfile.write(line)

    def _case(self, handler: _Handler, case: str) -> None:
        title = f"Bài viết thử nghiệm lần hai: {case}"
        # Each case its own text (a sample of the paragraph's words), so none is a near copy of another.
        words = PARAGRAPH.split()
        shuffled = random.Random(case).sample(words * 3, len(words) * 3)
        paragraphs = [
            f"{title}, đoạn {i}: " + " ".join(shuffled[i * 12 :] + shuffled[: i * 12]) for i in range(6)
        ]
        if case == "own-host-other-port":
            handler.redirect(f"{self.internal}/admin/bai-viet-noi-bo-quan-tri-he-thong-123.html")
        elif case in SCHEME_REDIRECTS:
            handler.redirect(SCHEME_REDIRECTS[case])
        elif case == "redirect-100kb-url":
            handler.redirect(LONG_LOCATION)
        elif case == "header-bomb":
            handler.send_response(200)
            line = "x" * 1000
            for number in range(HEADER_BOMB_BYTES // 1024):
                handler.send_header(f"X-Bom-{number}", line)
                if number % 100 == 0:
                    handler.flush_headers()
            handler.end_headers()
        elif case == "brotli":
            assert self._brotli is not None, "no working brotli module to serve the br page"
            compressor = self._brotli.Compressor()
            body = compressor.process(article(title, paragraphs)) + compressor.finish()
            handler.send(200, body, Content_Encoding="br")
        elif case == "nul-etag":
            handler.send(
                200,
                article(title, paragraphs),
                ETag='W/"abc\x00def"',
                Last_Modified="Mon, 01 Apr 2024 08:00:00 GMT",
            )
        elif case == "data-loss":
            handler.send_response(200)
            handler.send_header("Content-Type", "text/html; charset=utf-8")
            handler.send_header("Content-Length", "100000")
            handler.end_headers()
            handler.wfile.write(article(title, paragraphs)[:300])
            handler.close_connection = True
        else:
            handler.send(200, article(title, paragraphs))
