"""A crawl whose archive cannot be opened fails at once, with one clear line and a non-zero exit."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.integration.conftest import Newsarchive, ScrapyCrawl


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
def test_scrapy_crawl_fails_when_the_archive_cannot_be_opened(
    database: str, scrapy_crawl: ScrapyCrawl
) -> None:
    """`scrapy crawl` exits non-zero (Scrapy closes a crawl cleanly on CloseSpider, which would exit 0)."""
    result = scrapy_crawl("http://127.0.0.1:9/", f"ARCHIVE_DATABASE_URL={database}", timeout=120)
    assert result.returncode != 0
    assert "cannot open archive" in result.stderr
