"""A portal that moved: its old host answers every URL with a 301 to the same path on a new host.

Declared as the portal's alias, the new host is on-site: the crawl follows the home page there and
archives every article under the portal's own key. Without the alias, the crawl finds nothing and
`health` says "moved?" with the target and the registry change to make.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select

from storage.models import Article, Portal
from storage.urls import canonical_url, site_key
from tests.replica import ReplicaServer, build_world

if TYPE_CHECKING:
    from tests.integration.conftest import Newsarchive, ReadArchive

pytestmark = pytest.mark.slow  # crawls in subprocesses

OLD_HOST = "127.0.0.81"


class _MovedHandler(BaseHTTPRequestHandler):
    """Every path answers 301 to the same path on the new host."""

    server: _MovedServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        self.send_response(301)
        self.send_header("Location", self.server.new_base + self.path)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        """Quiet."""


class _MovedServer(ThreadingHTTPServer):
    daemon_threads = True
    new_base: str


@dataclass(frozen=True)
class Moved:
    old_home: str
    new_base: str
    articles: list[str]  # the replica's article URLs, on the new host


@pytest.fixture(scope="module")
def moved() -> Iterator[Moved]:
    with ReplicaServer(build_world(portals=1, articles=20, seed=81), first_host=80, port=0) as replica:
        (new_base,) = replica.base_urls.values()
        server = _MovedServer((OLD_HOST, 0), _MovedHandler)
        server.new_base = new_base
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        thread.start()
        try:
            old_home = f"http://{OLD_HOST}:{server.server_address[1]}/"
            yield Moved(old_home, new_base, list(replica.ground_truth().articles))
        finally:
            server.shutdown()
            server.server_close()


def _crawl(moved: Moved, newsarchive: Newsarchive, tmp_path: Path, *, alias: bool) -> str:
    registry = tmp_path / "portals.toml"
    aliases = f'aliases = ["{site_key(moved.new_base)}"]\n' if alias else ""
    registry.write_text(
        f'[[portal]]\nkey = "baocu"\nname = "Báo Cũ"\nhome_url = "{moved.old_home}"\n{aliases}',
        encoding="utf-8",
    )
    db = f"sqlite:///{tmp_path}/archive.sqlite3"
    # The address guard still applies: the new host is private (the replica), so the operator allows it.
    allowed = ("--set", f"NEWSARCHIVE_ALLOWED_PRIVATE_HOSTS={site_key(moved.new_base)}")
    crawl = newsarchive(
        "crawl", "baocu", "--registry", str(registry), "--db", db, *allowed, cwd=tmp_path, fast=True
    )
    assert crawl.returncode in (0, 1), crawl.stderr[-3000:]
    return db


def test_with_the_new_host_as_alias_the_portal_is_crawled_completely_under_its_key(
    moved: Moved, newsarchive: Newsarchive, read_archive: ReadArchive, tmp_path: Path
) -> None:
    db = _crawl(moved, newsarchive, tmp_path, alias=True)
    with read_archive(db) as session:
        rows = session.execute(select(Article.canonical_url, Portal.key).join(Portal)).all()
    archived = {url: key for url, key in rows}
    missing = [url for url in moved.articles if canonical_url(url) not in archived]
    assert not missing, f"{len(missing)} of {len(moved.articles)} not archived, e.g. {missing[:3]}"
    assert set(archived.values()) == {"baocu"}


def test_without_the_alias_health_says_moved_with_the_target(
    moved: Moved, newsarchive: Newsarchive, read_archive: ReadArchive, tmp_path: Path
) -> None:
    db = _crawl(moved, newsarchive, tmp_path, alias=False)
    with read_archive(db) as session:
        assert session.scalars(select(Article)).first() is None  # the new host's articles are off-site
    health = newsarchive("health", "baocu", "--db", db, "--json", cwd=tmp_path)
    (report,) = json.loads(health.stdout)
    assert "moved? the home page redirects to " + moved.new_base in report["problems"], report
    assert f'aliases = ["{site_key(moved.new_base)}"]' in report["problems"]
