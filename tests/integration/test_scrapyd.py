"""Scale-out: `schedule run --once --scrapyd` dispatches crawls of replica portals to two Scrapyd nodes
sharing one PostgreSQL archive; the archive matches the replica's truth, both nodes work, no portal is
crawled twice at once."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select

from crawler.ops.scrapyd import deploy_egg
from storage.models import Article, CrawlRun
from storage.urls import canonical_url
from tests.demo import write_registry
from tests.replica import ReplicaServer, build_world

if TYPE_CHECKING:
    from tests.integration.conftest import Newsarchive, ReadArchive

pytestmark = pytest.mark.slow  # crawls in subprocesses: not in `make test-fast`

ROOT = Path(__file__).resolve().parents[2]
PORTALS, ARTICLES = 4, 40
STARTS = 5  # tries at a node whose port another program took between our probe and its start


def _candidate_port() -> int:
    """A port free a moment ago on 127.0.0.1: another program may take it before Scrapyd binds it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _answers_as(node: str, name: str, process: subprocess.Popen[bytes], deadline: float) -> bool:
    """Wait until the Scrapyd at ``node`` answers as ``name``; False when ``process`` exited or another
    server answers there instead (our Scrapyd could not bind the port)."""
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(f"{node}/daemonstatus.json", timeout=2) as response:
                status = json.loads(response.read())
            return bool(status.get("status") == "ok" and status.get("node_name") == name)
        except (OSError, ValueError):
            time.sleep(0.3)
    raise AssertionError(f"{name} did not start at {node}")


def _start_scrapyd(home: Path, name: str) -> tuple[subprocess.Popen[bytes], str]:
    """Start a Scrapyd named ``name`` in ``home``; return it and its URL once it answers there.

    Scrapyd cannot listen on port 0 (it then listens nowhere), so it gets a port that was free a moment
    before, and counts as started only when that port answers with its own node_name.
    """
    scrapyd = Path(sys.executable).with_name("scrapyd")
    for _ in range(STARTS):
        port = _candidate_port()
        (home / "scrapyd.conf").write_text(
            f"[scrapyd]\nbind_address = 127.0.0.1\nhttp_port = {port}\nnode_name = {name}\n"
            f"eggs_dir = {home}/eggs\nlogs_dir = {home}/logs\ndbs_dir = {home}/dbs\nitems_dir =\n"
            "max_proc = 2\npoll_interval = 0.5\n"
        )
        process = subprocess.Popen(
            [str(scrapyd)], cwd=home, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        node = f"http://127.0.0.1:{port}"
        if _answers_as(node, name, process, time.monotonic() + 60):
            return process, node
        process.terminate()
        process.wait(timeout=30)
    raise AssertionError(f"{name}: every port tried was taken")


@pytest.fixture
def scrapyd_nodes(tmp_path: Path) -> Iterator[list[str]]:
    """Two Scrapyd instances on 127.0.0.1, each with its own port, directories and node name."""
    processes, nodes = [], []
    try:
        for number in (1, 2):
            home = tmp_path / f"node{number}"
            home.mkdir()
            process, node = _start_scrapyd(home, f"{tmp_path.name}-node{number}")
            processes.append(process)
            nodes.append(node)
        yield nodes
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)


def test_schedule_run_dispatches_to_two_scrapyd_nodes(
    scrapyd_nodes: list[str],
    newsarchive: Newsarchive,
    read_archive: ReadArchive,
    postgres_url: str,
    tmp_path: Path,
) -> None:
    # The egg scrapyd-deploy would build (python setup.py bdist_egg), uploaded to both nodes.
    subprocess.run(
        [sys.executable, "setup.py", "-q", "bdist_egg", "-d", str(tmp_path / "egg")],
        cwd=ROOT, check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    (egg,) = (tmp_path / "egg").glob("*.egg")
    for node in scrapyd_nodes:
        deploy_egg(node, egg)
    with ReplicaServer(
        build_world(portals=PORTALS, articles=ARTICLES, seed=31), first_host=130, port=0
    ) as replica:
        registry = write_registry(replica.registry_entries(), tmp_path / "portals.toml")
        for key in replica.world.portal_keys:
            result = newsarchive(
                "schedule",
                "set",
                key,
                "--every",
                "1d",
                "--db",
                postgres_url,
                "--registry",
                str(registry),
                cwd=tmp_path,
            )
            assert result.returncode == 0, result.stderr
        started = time.monotonic()
        run = newsarchive(
            "schedule", "run", "--once", "--scrapyd", ",".join(scrapyd_nodes), "--max-parallel", "4",
            "--tick", "0.5", "--db", postgres_url, "--registry", str(registry), cwd=tmp_path, timeout=900,
        )  # fmt: skip
        elapsed = time.monotonic() - started
        truth = replica.ground_truth()
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    print(f"\nscrapyd: {PORTALS} portals x {ARTICLES} articles on two nodes in {elapsed:.1f} s")
    again = newsarchive(
        "schedule",
        "run",
        "--once",
        "--scrapyd",
        ",".join(scrapyd_nodes),
        "--db",
        postgres_url,
        "--registry",
        str(registry),
        cwd=tmp_path,
    )
    assert again.returncode == 0 and "nothing is due" in again.stdout

    with read_archive(postgres_url) as session:
        runs = list(session.scalars(select(CrawlRun).order_by(CrawlRun.started_at)))
        archived = set(session.scalars(select(Article.canonical_url)))
    # One run per portal, each on a node and job the scheduler chose, both nodes used.
    assert sorted(key for r in runs for key in r.outcomes) == sorted(
        truth_key for truth_key in replica.world.portal_keys
    )
    assert all(r.status == "finished" and r.job_id and r.node in scrapyd_nodes for r in runs)
    assert {r.node for r in runs} == set(scrapyd_nodes)
    assert all(outcome["outcome"] == "reached" for r in runs for outcome in r.outcomes.values())
    # No portal was crawled by two runs whose times overlap (leases; here one run each).
    by_portal: dict[str, list[CrawlRun]] = {}
    for r in runs:
        for key in r.outcomes:
            by_portal.setdefault(key, []).append(r)
    assert all(len(portal_runs) == 1 for portal_runs in by_portal.values())
    # The archive is the replica's: every article, under its canonical URL.
    missing = {canonical_url(url) for url in truth.articles} - archived
    assert not missing, sorted(missing)[:3]
