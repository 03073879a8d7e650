"""What page analysis sends back from the extraction workers: plain values only.

The crawl's main process unpickles these for every page, so this module imports nothing heavy: the
extractors (trafilatura, langdetect, datasketch) load only in the workers (pipelines.analysis.analyse).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any


class ExtractionError(Exception):
    """The page holds no extractable article; the reason is str(exc)."""


@dataclass
class ExtractedArticle:
    """One extracted article; all text NFC; datetimes tz-aware."""

    url: str
    canonical_url: str | None
    title: str | None
    sapo: str | None
    text: str
    author: str | None = None
    categories: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    image: str | None = None
    site_name: str | None = None
    published_at: datetime | None = None
    updated_at: datetime | None = None
    date_raw: str | None = None
    date_source: str | None = None
    date_warnings: list[str] = field(default_factory=list)
    declared_language: str | None = None
    encoding: str = "utf-8"

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-able dict; datetimes as ISO 8601 with offset."""
        data = asdict(self)
        for key in ("published_at", "updated_at"):
            value = data[key]
            data[key] = value.isoformat() if value else None
        return data
