"""`make demo` keeps to itself: its own archive and portal keys, and a second run is a recrawl."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from storage.db import open_archive
from storage.models import CrawlRun, Portal

pytestmark = pytest.mark.slow  # two demo crawls in subprocesses: not in `make test-fast`
ROOT = Path(__file__).resolve().parents[2]


def _demo(cwd: Path, port: int) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "tests.demo", "--portals", "2", "--articles", "12", "--port", str(port)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("ARCHIVE_DATABASE_URL", None)
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def _port(output: str) -> int:
    """The port the demo served its portals on, from the home URLs it printed."""
    found = re.search(r"http://127\.0\.0\.2:(\d+)/", output)
    assert found, output
    return int(found.group(1))


def _figure(output: str, name: str) -> int:
    line = next(line for line in output.splitlines() if line.startswith(name))
    return int(line[len(name) :].split()[0])


def test_demo_uses_its_own_archive_and_keys_and_a_second_run_is_a_recrawl(tmp_path: Path) -> None:
    first = _demo(tmp_path, 0)  # the replica binds a free port; the second run serves the same URLs
    assert first.returncode == 0, first.stderr[-2000:]
    assert _figure(first.stdout, "articles archived") > 0
    second = _demo(tmp_path, _port(first.stdout))
    assert second.returncode == 0, second.stderr[-2000:]
    assert "recrawling" in second.stdout
    assert _figure(second.stdout, "articles archived") == 0
    assert _figure(second.stdout, "exact duplicates") == 0 and _figure(second.stdout, "near duplicates") == 0
    # A recrawl of unchanged portals: the discovery pages are read, no archived article is fetched again.
    assert _figure(second.stdout, "pages fetched") < _figure(first.stdout, "pages fetched") / 2
    assert "nothing_new" in second.stdout
    assert not (tmp_path / "archive.sqlite3").exists()
    engine, factory = open_archive(f"sqlite:///{tmp_path}/demo.sqlite3")
    with factory() as session:
        assert sorted(session.scalars(select(Portal.key))) == ["demo-khanhhoa", "demo-ninhthuan"]
        assert len(session.scalars(select(CrawlRun)).all()) == 2
    engine.dispose()
