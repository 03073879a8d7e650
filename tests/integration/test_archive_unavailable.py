"""A crawl whose archive cannot be opened fails at once, with one clear line and a non-zero exit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.integration.conftest import Newsarchive

ROOT = Path(__file__).resolve().parents[2]


def test_crawl_reports_an_archive_it_cannot_open(newsarchive: Newsarchive, tmp_path: Path) -> None:
    result = newsarchive(
        "crawl",
        "--start-url",
        "http://127.0.0.1:9/",
        "--db",
        "sqlite:////nonexistent-dir/archive.sqlite3",
        cwd=tmp_path,
    )
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: cannot open archive")


@pytest.mark.parametrize(
    "database", ["sqlite:////nonexistent-dir/archive.sqlite3", "postgresql://nobody@127.0.0.1:9/none"]
)
def test_scrapy_crawl_fails_when_the_archive_cannot_be_opened(database: str) -> None:
    """`scrapy crawl` exits non-zero (Scrapy closes a crawl cleanly on CloseSpider, which would exit 0)."""
    scrapy = Path(sys.executable).with_name("scrapy")
    result = subprocess.run(
        [
            str(scrapy),
            "crawl",
            "portal",
            "-a",
            "start_urls=http://127.0.0.1:9/",
            "-s",
            f"ARCHIVE_DATABASE_URL={database}",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "cannot open archive" in result.stderr
