"""Fixtures of the integration tests: `newsarchive` and `scrapy crawl` in subprocesses, reading an archive."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from storage.db import open_archive

ROOT = Path(__file__).resolve().parents[2]
ReadArchive = Callable[[str], AbstractContextManager[Session]]
ScrapyCrawl = Callable[..., subprocess.CompletedProcess[str]]
# The local portals are ours to crawl as fast as they answer: no politeness delay, no AutoThrottle.
FAST = ("--set", "DOWNLOAD_DELAY=0", "--set", "AUTOTHROTTLE_ENABLED=False", "--set", "LOG_LEVEL=WARNING")


class Newsarchive:
    """The `newsarchive` command as an operator runs it: the installed script (``python -m crawler``
    without one) in a directory of the test's, with this checkout on PYTHONPATH.

    ``fast=True`` adds FAST (crawl only); ``env`` adds to the environment.
    """

    def command(self, *args: str, fast: bool = False) -> list[str]:
        """Return the command line of ``newsarchive ARGS``."""
        script = Path(sys.executable).with_name("newsarchive")
        program = [str(script)] if script.exists() else [sys.executable, "-m", "crawler"]
        return [*program, *args, *(FAST if fast else ())]

    def environment(self, env: dict[str, str] | None = None) -> dict[str, str]:
        """Return this process's environment with the checkout on PYTHONPATH, and ``env``."""
        return {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}

    def __call__(
        self,
        *args: str,
        cwd: Path,
        fast: bool = False,
        env: dict[str, str] | None = None,
        timeout: float = 600,
    ) -> subprocess.CompletedProcess[str]:
        """Run ``newsarchive ARGS`` in ``cwd`` to its end; return it with its stdout and stderr.

        Raises subprocess.TimeoutExpired after ``timeout`` seconds, which only stops a hung command.
        """
        return subprocess.run(
            self.command(*args, fast=fast),
            cwd=cwd,
            env=self.environment(env),
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def start(
        self, *args: str, cwd: Path, fast: bool = False, env: dict[str, str] | None = None, **popen: Any
    ) -> subprocess.Popen[str]:
        """Start ``newsarchive ARGS`` in ``cwd``; return the running process (text mode; stdout and
        stderr piped unless ``popen`` says otherwise)."""
        streams = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, **popen}
        return subprocess.Popen(
            self.command(*args, fast=fast), cwd=cwd, env=self.environment(env), text=True, **streams
        )


@pytest.fixture(scope="session")
def newsarchive() -> Newsarchive:
    """The `newsarchive` command, run in a subprocess: ``newsarchive("crawl", ..., cwd=tmp_path)``."""
    return Newsarchive()


def _scrapy_crawl(start_urls: str, *settings: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    scrapy = Path(sys.executable).with_name("scrapy")
    command = [str(scrapy), "crawl", "portal", "-a", f"start_urls={start_urls}"]
    command += [arg for setting in settings for arg in ("-s", setting)]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="session")
def scrapy_crawl() -> ScrapyCrawl:
    """`scrapy crawl portal` from the project root, as Scrapyd runs the spider:
    ``scrapy_crawl(start_urls, "NAME=VALUE", ..., timeout=300)`` returns it ended, with its output."""
    return _scrapy_crawl


@contextmanager
def _archive_session(url: str) -> Iterator[Session]:
    engine, factory = open_archive(url)
    try:
        with factory() as session:
            yield session
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def read_archive() -> ReadArchive:
    """A session on the archive at a URL, its engine disposed after: ``with read_archive(url) as s:``.
    Raises ArchiveUnavailable when there is no current archive there."""
    return _archive_session
