"""ImportedPage and Skipped: what a WARC record or a CDX replay yields before the stages see it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

# Content types analysed as pages; anything else is skipped as "not HTML".
HTML_TYPES = ("text/html", "application/xhtml+xml")


@dataclass
class ImportedPage:
    """One captured HTTP response from someone else's archive, exactly as it was recorded.

    ``captured_at`` is the capture's own time (WARC-Date, the CDX timestamp), not the import's.
    ``provenance`` names where it came from (source, file and WARC-Record-ID, or CDX server and replay).
    ``portal_hint`` is (key, name) from our own export's WARC-Newsarchive-Portal/-Paper headers.
    """

    url: str
    captured_at: datetime
    http_status: int
    headers: dict[str, list[str]]
    body: bytes
    content_type: str | None
    protocol: str | None
    provenance: dict[str, str]
    via: str = "import"
    portal_hint: tuple[str, str] | None = None
    requested_url: str | None = None
    request_headers: dict[str, list[str]] | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Skipped:
    """A record that is not imported, and why (one of a few short reasons, counted in the summary)."""

    reason: str
    url: str | None = None


@dataclass(frozen=True)
class Failed:
    """A capture that should have been imported but could not be had (a replay that failed); counted
    as a failure, so the command exits 1 and a second run tries it again."""

    reason: str
    url: str | None = None


def is_html(content_type: str | None) -> bool:
    """Whether a Content-Type names an HTML page (a missing one is taken as HTML, as the crawl does)."""
    if not content_type:
        return True
    return content_type.split(";", 1)[0].strip().lower() in HTML_TYPES
