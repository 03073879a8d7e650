"""The replica's HTTP server (tests/replica/server.py) and its command line, on loopback sockets."""

from __future__ import annotations

import errno
import gzip
import http.client
import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.replica import GroundTruth, ReplicaServer, build_world
from tests.replica import server as replica_server
from tests.replica.urls import path_qs

ROOT = Path(__file__).resolve().parents[2]


def get(url: str, headers: dict[str, str] | None = None) -> http.client.HTTPResponse:
    """GET ``url`` on a connection of its own; return the response, its body read."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=5)
    conn.request("GET", path_qs(url), headers=headers or {})
    response = conn.getresponse()
    response.read()
    conn.close()
    return response


def test_server_serves_portals_on_loopback_on_one_free_port() -> None:
    world = build_world(portals=2, articles=30, seed=2)
    with ReplicaServer(world, first_host=2, port=0, slow_delay=0.0) as server:
        assert list(server.base_urls) == world.portal_keys
        assert server.port != 0
        assert server.base_urls == {
            world.portal_keys[0]: f"http://127.0.0.2:{server.port}",
            world.portal_keys[1]: f"http://127.0.0.3:{server.port}",
        }
        truth = server.ground_truth()
        conn = http.client.HTTPConnection("127.0.0.2", server.port, timeout=5)
        conn.request("GET", "/")
        plain = conn.getresponse()
        body = plain.read()
        assert plain.status == 200 and plain.getheader("Content-Type") == "text/html; charset=utf-8"
        conn.request("GET", "/", headers={"Accept-Encoding": "gzip, deflate"})
        zipped = conn.getresponse()
        assert zipped.getheader("Content-Encoding") == "gzip" and gzip.decompress(zipped.read()) == body
        conn.close()
        old, target = next(iter(truth.redirects.items()))
        moved = get(old)
        assert moved.status == 301 and moved.getheader("Location") == target
        assert get(next(iter(truth.not_found_urls))).status == 404
        url = next(iter(truth.articles))
        first = get(url)
        assert first.status == 200 and first.getheader("ETag")
        assert get(url, {"If-None-Match": first.getheader("ETag") or ""}).status == 304
        binary = get(next(iter(truth.binary_urls)))
        assert binary.getheader("Content-Type") in ("application/pdf", "application/octet-stream")
        requested = server.requested()
        assert (server.base_urls[world.portal_keys[0]], "/") in requested
        old_base = next(b for b in server.base_urls.values() if old.startswith(b + "/"))
        assert (old_base, path_qs(old)) in requested


def test_a_free_port_taken_on_a_later_address_is_tried_again(monkeypatch: pytest.MonkeyPatch) -> None:
    refused: list[tuple[str, int]] = []

    class TakenOnce(replica_server._Server):
        def __init__(self, address: tuple[str, int], handler: Any) -> None:
            if address[0] == "127.0.0.3" and not refused:
                refused.append(address)  # another program holds this port on the second address
                raise OSError(errno.EADDRINUSE, "Address already in use")
            super().__init__(address, handler)

    monkeypatch.setattr(replica_server, "_Server", TakenOnce)
    with ReplicaServer(build_world(portals=2, articles=5, seed=2), first_host=2, port=0) as server:
        assert len(refused) == 1 and refused[0][1] != 0
        assert {urlsplit(base).port for base in server.base_urls.values()} == {server.port}
        assert get(server.home_urls[server.world.portal_keys[1]]).status == 200


def test_serve_switches_the_world_on_the_same_addresses_and_a_silent_portal_never_answers() -> None:
    with ReplicaServer(build_world(portals=2, articles=10, seed=3), first_host=2, port=0) as server:
        bases = dict(server.base_urls)
        later = build_world(portals=2, articles=10, seed=4)
        server.serve(later)
        assert server.base_urls == bases and server.ground_truth() == later.ground_truth(bases)
        url = next(iter(server.ground_truth().articles))
        assert get(url).status == 200
        first, second = later.portal_keys
        server.silent.add(second)
        server.clear_requested()
        with pytest.raises(http.client.RemoteDisconnected):
            get(server.home_urls[second])
        assert get(server.home_urls[first]).status == 200
        assert server.requested() == [(bases[first], "/")]
        with pytest.raises(ValueError, match="1 portals for 2 addresses"):
            server.serve(build_world(portals=1, articles=10, seed=4))


def test_cli_serves_until_sigterm(tmp_path: Path) -> None:
    ready, truth_file = tmp_path / "ready.json", tmp_path / "truth.json"
    cmd = [sys.executable, "-m", "tests.replica", "--portals", "2", "--articles", "12", "--seed", "5"]
    cmd += ["--first-host", "20", "--ready-file", str(ready), "--truth-out", str(truth_file)]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 10
        while not ready.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        urls = json.loads(ready.read_text())
        home = urls["home_urls"]["ninhthuan"]
        assert home.startswith("http://127.0.0.20:") and get(home).status == 200
        assert GroundTruth.from_json(truth_file.read_text()).base_urls == urls["base_urls"]
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=10)
    assert proc.returncode == 0
    assert out.splitlines()[0].startswith("ninhthuan http://127.0.0.20:")
    helped = subprocess.run(
        [sys.executable, "-m", "tests.replica", "--help"], cwd=ROOT, capture_output=True, text=True
    )
    assert helped.returncode == 0 and "--ready-file" in helped.stdout


def test_server_handles_concurrent_keepalive_requests() -> None:
    world = build_world(portals=1, articles=40, seed=4)
    with ReplicaServer(world, first_host=2, port=0, slow_delay=0.2) as server:
        truth = server.ground_truth()
        host, port = urlsplit(server.base_urls[world.portal_keys[0]]).netloc.split(":")
        paths = [path_qs(u) for u in truth.articles][:30]

        def fetch_all(chunk: list[str]) -> list[int]:
            conn = http.client.HTTPConnection(host, int(port), timeout=5)
            statuses = []
            for path in chunk:  # several requests on one keep-alive connection
                conn.request("GET", path, headers={"Accept-Encoding": "gzip"})
                response = conn.getresponse()
                gzip.decompress(response.read())
                statuses.append(response.status)
            conn.close()
            return statuses

        # A keep-alive connection left open and idle: a server that served one connection at a time
        # would wait on it forever, and every request below would time out.
        held = http.client.HTTPConnection(host, int(port), timeout=5)
        held.request("GET", paths[0])
        held.getresponse().read()
        try:
            with ThreadPoolExecutor(max_workers=6) as pool:
                results = list(pool.map(fetch_all, [paths[i::6] for i in range(6)]))
        finally:
            held.close()
        assert all(s == 200 for chunk in results for s in chunk)
        assert len(server.requested()) == len(paths) + 1


def test_cli_edition_1_edits_articles_now_so_a_recrawl_sees_them(tmp_path: Path) -> None:
    # The demo's "see a new version" restarts the replica with --edition 1 and recrawls: the sitemap must
    # date the edits after the first crawl, else the recrawl never fetches them again (it did not: the
    # world's own edit times lie before any crawl of it, and the recrawl archived no new version).
    from datetime import UTC, datetime
    from re import findall

    ready, truth_file = tmp_path / "ready.json", tmp_path / "truth.json"
    started = datetime.now(UTC).replace(microsecond=0)
    cmd = [sys.executable, "-m", "tests.replica", "--portals", "1", "--articles", "12", "--edition", "1"]
    cmd += ["--first-host", "21", "--ready-file", str(ready), "--truth-out", str(truth_file)]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 10
        while not ready.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        base = json.loads(ready.read_text())["base_urls"]["ninhthuan"]
        edited = GroundTruth.from_json(truth_file.read_text()).edited_urls
        assert edited
        conn = http.client.HTTPConnection(urlsplit(base).hostname or "", urlsplit(base).port, timeout=5)
        conn.request("GET", "/sitemap.xml")
        index = conn.getresponse().read().decode()
        conn.close()
    finally:
        proc.terminate()
        proc.communicate(timeout=10)
    lastmods = [datetime.fromisoformat(value) for value in findall(r"<lastmod>([^<]+)</lastmod>", index)]
    assert max(lastmods) >= started
