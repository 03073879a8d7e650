"""Every shell example the README and docs/*.md show runs as written, against a small demo archive.

The examples are read from the fenced ```sh blocks of README.md and docs/*.md, one command a line, and
run by bash in a directory of their own: `newsarchive` is this checkout's, the archive is the default
one there (archive.sqlite3), and the portal registry ($NEWSARCHIVE_PORTALS_FILE) holds the replica's
portals under the real portals' keys (ninhthuan, khanhhoa) at 127.0.0.x on a free port, so the
operators' examples crawl the replica instead of the internet. The replica is crawled once and then
recrawled serving its edited articles, so the archive has articles with two versions.

Examples that cannot run here are listed in SKIPPED with the reason; the article id the examples use
(42) stands for an article with two versions in the demo archive.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from itertools import pairwise, takewhile
from pathlib import Path

import pytest
from sqlalchemy import select

from crawler.portals import load_registry
from storage.db import open_archive
from storage.models import Article
from tests.demo import write_registry
from tests.replica import ReplicaServer, build_world

pytestmark = pytest.mark.slow  # crawls in subprocesses: not in `make test-fast`
ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SHELL_BLOCK = re.compile(r"^```(?:sh|shell|bash|console)\n(.*?)^```", re.MULTILINE | re.DOTALL)
# Examples that cannot run in a test, by the start of their command, and why.
SKIPPED = {
    "make demo": "sets up .venv and serves the replica on the fixed port 8651; "
    "tests/integration/test_demo.py runs the demo itself",
    "make test": "the whole test suite, this test included",
    "newsarchive serve": "a long-running server; tests/unit/storage/test_web.py and tests/browser "
    "serve archives",
    "newsarchive schedule run --max-parallel": "the long-running scheduler; "
    "tests/integration/test_operations.py runs it",
    "newsarchive import ": "needs WARC files from Common Crawl or another archive; "
    "tests/integration/test_import_warc.py imports the replica's own export",
    "newsarchive backfill ": "needs a CDX server (the Wayback Machine's is on the internet); "
    "tests/integration/test_import_warc.py backfills from pywb on 127.0.0.1",
}
# The article the examples show, cite and diff; in the demo archive, one with two versions.
EXAMPLE_ARTICLE = re.compile(r"(?<=newsarchive (?:show|cite) )42\b")


def shell_examples() -> list[tuple[str, str]]:
    """Return (document, command line) for every line of every shell block, comments dropped."""
    examples = []
    for document in DOCUMENTS:
        for block in SHELL_BLOCK.findall(document.read_text(encoding="utf-8")):
            for line in block.splitlines():
                if line.strip() and not line.lstrip().startswith("#"):
                    examples.append((document.name, line.strip()))
    return examples


EXAMPLES = shell_examples()


def test_the_documents_show_examples_and_every_skip_names_one() -> None:
    commands = [command for _, command in EXAMPLES]
    assert len(commands) >= 20 and sum(command.startswith("newsarchive ") for command in commands) >= 18
    assert all(any(command.startswith(prefix) for command in commands) for prefix in SKIPPED)


def test_the_examples_name_registered_portals() -> None:
    # The demo registry reuses the real keys; the examples must name portals crawler/portals.toml has.
    keys = set(load_registry(ROOT / "crawler" / "portals.toml"))
    named = []
    for _, command in EXAMPLES:
        words = shlex.split(command, comments=True)
        named += [key for flag, key in pairwise(words) if flag == "--portal"]
        for verb in (("crawl",), ("health",), ("schedule", "set"), ("schedule", "remove")):
            if tuple(words[1 : 1 + len(verb)]) == verb:
                named += list(takewhile(lambda word: not word.startswith("-"), words[1 + len(verb) :]))
    assert len(named) >= 8 and set(named) - keys == set(), named


class Demo:
    """The directory the examples run in, their environment, and the article standing for 42."""

    def __init__(self, cwd: Path, env: dict[str, str]) -> None:
        self.cwd, self.env = cwd, env
        self.article = 0

    def run(self, command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", "-c", command], cwd=self.cwd, env=self.env, capture_output=True, text=True, timeout=600
        )


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    cwd = tmp_path_factory.mktemp("readme")
    with ReplicaServer(build_world(portals=2, articles=15, seed=1), first_host=2, port=0) as replica:
        registry = write_registry(replica.registry_entries(), cwd / "portals.toml")
        env = {
            **{name: value for name, value in os.environ.items() if name != "ARCHIVE_DATABASE_URL"},
            "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
            "PYTHONPATH": str(ROOT),
            "NEWSARCHIVE_PORTALS_FILE": str(registry),
            "NEWSARCHIVE_DOWNLOAD_DELAY": "0",
            "COLUMNS": "160",
        }
        demo = Demo(cwd, env)
        first = demo.run("newsarchive crawl")
        assert first.returncode == 0, first.stderr[-3000:]
        _assert_quiet(first)
        replica.set_edition(1, edited_at=datetime.now(UTC))  # the edited articles change: new versions
        again = demo.run("newsarchive crawl")
        assert again.returncode == 0, again.stderr[-3000:]
        engine, factory = open_archive(f"sqlite:///{cwd}/archive.sqlite3")
        with factory() as session:
            demo.article = (
                session.scalars(select(Article.id).where(Article.version >= 2).order_by(Article.id)).first()
                or 0
            )
        engine.dispose()
        assert demo.article, "the recrawl of the edited replica made no second version"
        yield demo


def _assert_quiet(crawl: subprocess.CompletedProcess[str]) -> None:
    """A crawl whose output is piped prints progress lines and its summary, not Scrapy's INFO log."""
    assert "articles archived" in crawl.stdout and crawl.stdout.rstrip().endswith(
        "run                     finished"
    )
    # What Scrapy says at INFO (every extension, the stats dump) and Alembic's "Will assume
    # non-transactional DDL." stay out; a warning about the portal is worth its line.
    noise = [
        line
        for line in crawl.stderr.splitlines()
        if not line.startswith("progress ") and not re.search(r"\] (WARNING|ERROR): ", line)
    ]
    assert noise == [], noise[:10]


@pytest.mark.parametrize(("document", "command"), EXAMPLES, ids=[f"{d}: {c}" for d, c in EXAMPLES])
def test_example_runs_as_written(demo: Demo, document: str, command: str) -> None:
    reason = next((why for prefix, why in SKIPPED.items() if command.startswith(prefix)), None)
    if reason:
        pytest.skip(reason)
    result = demo.run(EXAMPLE_ARTICLE.sub(str(demo.article), command))
    assert result.returncode == 0, f"{command}\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
    assert "Traceback" not in result.stderr and "error:" not in result.stderr, result.stderr[-2000:]
    if command.startswith("newsarchive crawl"):
        _assert_quiet(result)
