"""The replica's HTTP server (tests/replica/server.py) and its command line, on loopback sockets."""

from __future__ import annotations

import gzip
import http.client
import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

from tests.replica import GroundTruth, ReplicaServer, build_world
from tests.replica.urls import path_qs

ROOT = Path(__file__).resolve().parents[2]


def get(url: str, headers: dict[str, str] | None = None) -> http.client.HTTPResponse:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=5)
    conn.request("GET", path_qs(url), headers=headers or {})
    response = conn.getresponse()
    response.read()
    conn.close()
    return response


def test_server_serves_portals_on_loopback() -> None:
    world = build_world(portals=2, articles=30, seed=2)
    with ReplicaServer(world, first_host=2, port=0, slow_delay=0.0) as server:
        assert list(server.base_urls) == world.portal_keys
        assert server.base_urls[world.portal_keys[0]].startswith("http://127.0.0.2:")
        assert server.base_urls[world.portal_keys[1]].startswith("http://127.0.0.3:")
        truth = server.ground_truth()
        home = server.home_urls[world.portal_keys[0]]
        conn = http.client.HTTPConnection("127.0.0.2", int(home.rsplit(":", 1)[1].rstrip("/")), timeout=5)
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

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=6) as pool:
            results = list(pool.map(fetch_all, [paths[i::6] for i in range(6)]))
        assert all(s == 200 for chunk in results for s in chunk)
        assert time.perf_counter() - started < 3
        assert len(server.requested()) == len(paths)
