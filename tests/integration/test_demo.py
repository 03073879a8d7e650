"""`make demo` keeps to itself: its own archive and portal keys, and a second run is a recrawl."""

from __future__ import annotations

import os
import re
import shlex
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from storage.db import open_archive
from storage.models import Article, CrawlRun, Portal

pytestmark = pytest.mark.slow  # two demo crawls in subprocesses: not in `make test-fast`
ROOT = Path(__file__).resolve().parents[2]


def _demo(cwd: Path, port: int, articles: int = 12) -> subprocess.CompletedProcess[str]:
    command = [
        sys.executable, "-m", "tests.demo", "--portals", "2", "--articles", str(articles), "--port", str(port)
    ]  # fmt: skip
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
        statuses = Counter(session.scalars(select(Article.status)))
        assert len(session.scalars(select(CrawlRun)).all()) == 2
    engine.dispose()
    # The first run's summary adds up to what the archive holds.
    assert _figure(first.stdout, "articles archived") == statuses["archived"]
    copies = _figure(first.stdout, "exact duplicates") + _figure(first.stdout, "near duplicates")
    assert copies == statuses["duplicate"]
    _the_printed_commands_read_the_demo(tmp_path, second.stdout)
    _the_printed_commands_recrawl_the_demo(tmp_path, second.stdout, _port(first.stdout))
    # Another size is another world: never crawled into this archive (issue 22: 350 articles per portal,
    # 130 marked duplicate), refused in one line before anything is served or printed.
    other = _demo(tmp_path, 0, articles=13)
    assert other.returncode == 2 and other.stdout == ""
    assert other.stderr.startswith("error: sqlite:///demo.sqlite3 holds another demo (")
    assert other.stderr.endswith("remove it first (rm demo.sqlite3*) or give another --db\n")
    assert len(other.stderr.splitlines()) == 1


def _the_printed_commands_read_the_demo(cwd: Path, output: str) -> None:
    """The commands "try next" gives to read the archive run as printed, in a shell, without an error
    (`export ... | head -n 2` printed "error: the output was closed ... (broken pipe)")."""
    lines = [line.strip() for line in output.split("Try next", 1)[1].split("\n\n")[0].splitlines()]
    commands = [line for line in lines if line.startswith("newsarchive ") and " serve " not in line]
    assert len(commands) >= 4, lines
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    env.pop("ARCHIVE_DATABASE_URL", None)
    for command in commands:
        ran = subprocess.run(
            ["bash", "-o", "pipefail", "-c", command], cwd=cwd, env=env, capture_output=True, text=True,
            timeout=120,
        )  # fmt: skip
        assert ran.returncode == 0 and "error:" not in ran.stderr, (command, ran.stderr)
    assert (cwd / ".demo" / "articles.csv").read_text(encoding="utf-8-sig").startswith("id,url,")


def _the_printed_commands_recrawl_the_demo(cwd: Path, output: str, port: int) -> None:
    """ "Try next" says exactly how to go on: the replica again on its port, the recrawl with the demo's
    registry and archive, a new version, the browser. Run the replica and the recrawl as printed."""
    lines = [line.strip() for line in output.split("Try next", 1)[1].splitlines()]
    replica = next(line for line in lines if line.startswith("python -m tests.replica"))
    crawl = next(line for line in lines if line.startswith("newsarchive crawl"))
    assert replica == f"python -m tests.replica --portals 2 --articles 12 --seed 1 --port {port}"
    assert f"{replica} --edition 1" in lines
    assert crawl == "newsarchive crawl --registry .demo/portals.toml --db sqlite:///demo.sqlite3"
    assert any(line.startswith("newsarchive serve --db sqlite:///demo.sqlite3") for line in lines)
    shows = [line for line in lines if line.startswith("newsarchive show ")]
    assert len(shows) == 2 and "--diff 1 2 --words" in shows[1]
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
    }
    env.pop("ARCHIVE_DATABASE_URL", None)
    recrawl = _recrawl(cwd, env, replica, crawl, port)
    assert recrawl.returncode == 0, recrawl.stderr[-2000:]
    assert "nothing_new" in recrawl.stdout and _figure(recrawl.stdout, "articles archived") == 0
    # "See a new version": the replica with its edited articles, the recrawl, and the printed `show`
    # lists a second version (the edits were dated before the first crawl, so none was fetched again).
    edited = _recrawl(cwd, env, f"{replica} --edition 1", crawl, port)
    assert edited.returncode == 0, edited.stderr[-2000:]
    assert _figure(edited.stdout, "new versions") >= 1
    show = shlex.split(shows[1].split("#")[0])
    shown = subprocess.run(show, cwd=cwd, env=env, capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0, shown.stderr
    assert "version:       2" in shown.stdout and "\n  v2  captured" in shown.stdout


def _recrawl(
    cwd: Path, env: dict[str, str], replica: str, crawl: str, port: int
) -> subprocess.CompletedProcess[str]:
    """Run the replica as printed, then the recrawl as printed; stop the replica."""
    server = subprocess.Popen(
        ["python", *shlex.split(replica)[1:]],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not _listening(port):
            time.sleep(0.2)
        return subprocess.run(
            [*shlex.split(crawl), "--set", "DOWNLOAD_DELAY=0"], cwd=cwd, env=env, capture_output=True,
            text=True, timeout=300,
        )  # fmt: skip
    finally:
        server.terminate()
        server.communicate(timeout=30)


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.2", port)) == 0


def test_make_demo_passes_the_port() -> None:
    result = subprocess.run(
        ["make", "-n", "demo", "PORT=8765", "PORTALS=4"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert "-m tests.demo --portals 4 --articles 150 --port 8765" in result.stdout


def test_a_busy_port_says_how_to_choose_another(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.2", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = _demo(tmp_path, port)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == (
        f"error: cannot serve the replica on 127.0.0.2+:{port} (Address already in use); choose another "
        f"port: make demo PORT={port + 1} (or python -m tests.demo --port {port + 1})\n"
    )
