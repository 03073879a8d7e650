"""What page analysis sends back from the extraction workers: plain values only.

The crawl's main process unpickles these for every page, so this module imports nothing heavy: the
extractors (trafilatura, langdetect, numpy) load only in the workers (pipelines.analysis.analyse).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from storage.stored_forms import ArticleFields


class ExtractionError(Exception):
    """The page holds no extractable article; the reason is str(exc)."""


@dataclass(kw_only=True)
class ExtractedArticle(ArticleFields):
    """One extracted article: the fields the archive stores (storage.stored_forms.ArticleFields), and
    what the archive does not keep: the language the page declares (evidence for the language check)
    and the encoding it was decoded with."""

    declared_language: str | None = None
    encoding: str = "utf-8"

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-able dict; datetimes as ISO 8601 with offset."""
        data = asdict(self)
        for key in ("published_at", "updated_at"):
            value = data[key]
            data[key] = value.isoformat() if value else None
        return data
