"""ReplicaServer: serves every portal of a world on its own loopback address (127.0.0.N), all on one port."""

from __future__ import annotations

import errno
import gzip
import threading
import time
import traceback
from datetime import datetime
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from tests.replica.site import Response, Site
from tests.replica.truth import GroundTruth
from tests.replica.world import World


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the crawler opens many connections at once
    site: Site
    owner: ReplicaServer


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def version_string(self) -> str:
        """Return the Server header value."""
        return "nginx"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Log nothing: the replica is quiet."""

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        self._serve(head=False)

    def do_HEAD(self) -> None:  # noqa: N802 - stdlib name
        self._serve(head=True)

    def _serve(self, head: bool) -> None:
        site = self.server.site
        if site.portal.key in self.server.owner.silent:
            self.close_connection = True  # no answer at all: the client sees the connection closed
            return
        self.server.owner._record(site.base, self.path)
        try:
            response = site.respond(self.path)
        except Exception:  # a replica bug: answer 500 and show the traceback on stderr
            traceback.print_exc()
            response = Response(500, b"Internal Server Error", "text/plain; charset=utf-8")
        if response.delay:
            time.sleep(response.delay)
        body = response.body
        headers = dict(response.headers)
        status = response.status
        if status == 200 and _not_modified(
            self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since"), headers
        ):
            status, body = 304, b""
        elif response.compressible and "gzip" in self.headers.get("Accept-Encoding", "").lower():
            body = self.server.owner._gzip(site.base, self.path, response)
            headers["Content-Encoding"] = "gzip"
        if response.compressible:
            headers["Vary"] = "Accept-Encoding"
        self.send_response(status)
        if status != 304:
            self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if not head:
            self.wfile.write(body)


def _not_modified(etag: str | None, since: str | None, headers: dict[str, str]) -> bool:
    if etag is not None:
        return etag.strip() == headers.get("ETag")
    if since and "Last-Modified" in headers:
        try:
            return parsedate_to_datetime(headers["Last-Modified"]) <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
    return False


# Tries at a free port (port 0): the first portal's address gets one from the system, another program may
# already hold that port on a later portal's address; the odds of that twice in a row are negligible.
BIND_ATTEMPTS = 5


class ReplicaServer:
    """Serves ``world``: portal i on 127.0.0.{first_host + i}, every portal on one port.

    ``port`` 0 (the default) lets the system pick a free one; after ``start()``, ``port`` is the port
    every portal listens on. Use as a context manager, or call ``start()`` and ``stop()``.
    """

    def __init__(self, world: World, first_host: int = 2, port: int = 0, slow_delay: float = 0.3) -> None:
        if first_host < 1 or first_host + len(world.portals) - 1 > 254:
            raise ValueError("first_host out of range for the number of portals")
        self.world = world
        self.first_host = first_host
        self.port = port
        self.slow_delay = slow_delay
        self.silent: set[str] = set()  # keys of portals that accept connections and close them unanswered
        self._servers: list[_Server] = []
        self._threads: list[threading.Thread] = []
        self._requests: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._gzipped: dict[tuple[str, str], bytes] = {}
        self.base_urls: dict[str, str] = {}
        self.home_urls: dict[str, str] = {}

    def start(self) -> ReplicaServer:
        """Bind every portal and start serving; raises OSError if an address cannot be bound."""
        for attempt in range(1, BIND_ATTEMPTS + 1):
            try:
                self._bind(self.port)
                break
            except OSError as exc:
                self.stop()
                if self.port != 0 or exc.errno != errno.EADDRINUSE or attempt == BIND_ATTEMPTS:
                    raise
        for server in self._servers:
            thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def _bind(self, port: int) -> None:
        """Bind every portal's address on ``port``, the first one's (0: a free one) for all the others."""
        for i, portal in enumerate(self.world.portals):
            host = f"127.0.0.{self.first_host + i}"
            server = _Server((host, port), _Handler)
            port = server.server_address[1]
            base = f"http://{host}:{port}"
            server.site = Site(self.world, portal, base, self.slow_delay)
            server.owner = self
            self._servers.append(server)
            self.base_urls[portal.key] = base
            self.home_urls[portal.key] = base + "/"
        self.port = port

    def stop(self) -> None:
        """Stop serving and close the sockets (idempotent)."""
        for server in self._servers:
            if self._threads:
                server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._servers, self._threads = [], []

    def __enter__(self) -> ReplicaServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def ground_truth(self) -> GroundTruth:
        """Return the ground truth with absolute URLs of the bound addresses."""
        return self.world.ground_truth(self.base_urls)

    def registry_entries(self) -> list[dict[str, Any]]:
        """Return the portal registry records for the bound addresses."""
        return self.world.registry_entries(self.base_urls)

    def serve(self, world: World) -> None:
        """Serve ``world`` from now on, its portals on the addresses of this one's (same number of them)."""
        if len(world.portals) != len(self._servers):
            raise ValueError(f"{len(world.portals)} portals for {len(self._servers)} addresses")
        self.world = world
        for server, portal in zip(self._servers, world.portals, strict=True):
            server.site = Site(world, portal, server.site.base, self.slow_delay)
        with self._lock:
            self._gzipped.clear()

    def set_edition(self, edition: int, edited_at: datetime | None = None) -> None:
        """Serve ``edition`` of the world from now on (1: the edited articles change; see ``World``)."""
        self.world.set_edition(edition, edited_at)
        for server in self._servers:
            server.site.clear_cache()
        with self._lock:
            self._gzipped.clear()

    def remove(self, url: str) -> None:
        """Take the article at ``url`` down: it answers 404 from now on (its links stay)."""
        for server in self._servers:
            if url.startswith(server.site.base + "/"):
                server.site.removed.add(url[len(server.site.base) :])
                server.site.clear_cache()
                return
        raise KeyError(url)

    def requested(self) -> list[tuple[str, str]]:
        """Return (base_url, path_with_query) of every request served so far, in arrival order."""
        with self._lock:
            return list(self._requests)

    def clear_requested(self) -> None:
        """Forget the requests recorded so far."""
        with self._lock:
            self._requests.clear()

    def _record(self, base: str, path: str) -> None:
        with self._lock:
            self._requests.append((base, path))

    def _gzip(self, base: str, path: str, response: Response) -> bytes:
        key = (base, path)
        data = self._gzipped.get(key)
        if data is None:
            data = gzip.compress(response.body, compresslevel=5, mtime=0)
            with self._lock:
                if len(self._gzipped) > 2048:
                    self._gzipped.clear()
                self._gzipped[key] = data
        return data
