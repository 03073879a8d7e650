"""Reading WARC files (warcio) into ImportedPages, one record at a time, or saying why a record is skipped.

Memory is bounded by one record: bodies are read one at a time (at most ``max_body`` bytes), and
``revisit`` records are resolved by seeking back to their original, found through a small index of
payload digest -> (file, offset) of the HTML responses already read (about 150 bytes a record).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.recordloader import ArcWarcRecord

from crawler.imports.pages import ImportedPage, Skipped, is_html

# The headers that describe the transfer, not the body as stored: the body is kept content-decoded,
# as a crawl keeps it after Scrapy's HttpCompressionMiddleware (storage/export/warc.py says the same).
_TRANSFER_HEADERS = ("content-encoding", "transfer-encoding", "content-length")


class WarcUnreadable(Exception):
    """A WARC file that cannot be read on (not a WARC, a broken gzip member); str() says where and why."""


@dataclass
class WarcReader:
    """Yields the pages of WARC files in order (``pages(path)``), resolving revisits across all the files
    read so far; ``source`` is the operator's name for them ("commoncrawl CC-NEWS", "wayback")."""

    source: str
    max_body: int
    # Whether a URL (with our own export's portal hint) is wanted at all: others are skipped before
    # their body is read, and never indexed for revisits, so memory stays bounded over many files.
    wanted: Callable[[str, tuple[str, str] | None], bool] = lambda url, hint: True
    # payload digest -> (file, offset) of the wanted HTML 200 responses read so far, for revisits.
    originals: dict[str, tuple[str, int]] = field(default_factory=dict)

    def pages(self, path: Path) -> Iterator[ImportedPage | Skipped]:
        """Each record of ``path`` as a page or a skip. Raises WarcUnreadable when the file cannot be
        read on (what was yielded before stands)."""
        try:
            with path.open("rb") as stream:
                records = ArchiveIterator(stream, check_digests=True)
                for record in records:
                    offset = records.offset
                    page = self._page(path, record)
                    if isinstance(page, ImportedPage) and record.rec_type == "response":
                        digest = record.rec_headers.get_header("WARC-Payload-Digest")
                        if digest:
                            self.originals[digest] = (str(path), offset)
                    yield page
        except (ArchiveLoadFailed, OSError, EOFError, ValueError) as exc:
            raise WarcUnreadable(
                f"{path.name}: {type(exc).__name__}: {' '.join(str(exc).split())[:300]}"
            ) from exc

    def _page(self, path: Path, record: ArcWarcRecord) -> ImportedPage | Skipped:
        kind = record.rec_type
        url = record.rec_headers.get_header("WARC-Target-URI")
        if kind == "revisit":
            return self._revisit(path, record, url)
        if kind != "response":
            return Skipped(f"{kind} record", url)
        return self._response(path, record, url, record)

    def _response(
        self, path: Path, record: ArcWarcRecord, url: str | None, described: ArcWarcRecord
    ) -> ImportedPage | Skipped:
        """The page of a response ``record``; ``described`` carries its WARC headers (the revisit's,
        when ``record`` is the original a revisit points to)."""
        if not url or not url.startswith(("http://", "https://")):
            return Skipped("not an http(s) URL", url)
        if described.rec_headers.get_header("WARC-Truncated"):
            return Skipped("truncated", url)
        http = record.http_headers
        if http is None or not http.get_statuscode().isdigit():
            return Skipped("no HTTP status line", url)
        status = int(http.get_statuscode())
        if status != 200:
            return Skipped(f"HTTP {status}", url)
        content_type = http.get_header("Content-Type")
        if not is_html(content_type):
            return Skipped("not HTML", url)
        hint = _portal_hint(record)
        if not self.wanted(url, hint):
            return Skipped("not on the portals imported", url)
        captured_at = _warc_date(described.rec_headers.get_header("WARC-Date"))
        if captured_at is None:
            return Skipped("no valid WARC-Date", url)
        body = _read(record, self.max_body)
        if isinstance(body, Skipped):
            return Skipped(body.reason, url)
        return ImportedPage(
            url=url,
            captured_at=captured_at,
            http_status=status,
            headers=_headers(http.headers),
            body=body,
            content_type=content_type,
            protocol=http.protocol or None,
            provenance={
                "source": self.source,
                "file": path.name,
                "record_id": described.rec_headers.get_header("WARC-Record-ID") or "",
            },
            portal_hint=hint,
            requested_url=record.rec_headers.get_header("WARC-Newsarchive-Requested-URI"),
        )

    def _revisit(self, path: Path, record: ArcWarcRecord, url: str | None) -> ImportedPage | Skipped:
        """A revisit is the same payload fetched again at its own WARC-Date: the original's page, with
        the revisit's date and record id."""
        digest = record.rec_headers.get_header("WARC-Payload-Digest")
        where = self.originals.get(digest or "")
        if where is None:
            return Skipped("revisit of a record not in these files", url)
        original_file, offset = where
        with open(original_file, "rb") as stream:
            stream.seek(offset)
            original = next(iter(ArchiveIterator(stream, check_digests=True)))
            return self._response(path, original, url, record)


def _read(record: ArcWarcRecord, limit: int) -> bytes | Skipped:
    """The record's body, content-decoded; a skip when it is cut short, too large or undecodable."""
    try:
        body = record.content_stream().read(limit + 1)
    except (OSError, EOFError, ValueError) as exc:  # zlib.error and brotli's errors are among these
        return Skipped(f"undecodable body ({type(exc).__name__})")
    if len(body) > limit:
        return Skipped("too large")
    while record.raw_stream.read(65536):
        pass
    if getattr(record.raw_stream, "limit", 0) > 0:
        return Skipped("truncated")
    checker = record.digest_checker
    if checker is not None and checker.passed is False:
        return Skipped("digest mismatch")
    return body


def _headers(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    headers: dict[str, list[str]] = {}
    for name, value in pairs:
        if name.lower() not in _TRANSFER_HEADERS:
            headers.setdefault(name, []).append(value)
    return headers


def _portal_hint(record: ArcWarcRecord) -> tuple[str, str] | None:
    """Our own export names the portal a capture was archived under; another archive's WARC does not."""
    key = record.rec_headers.get_header("WARC-Newsarchive-Portal")
    if not key:
        return None
    return key, record.rec_headers.get_header("WARC-Newsarchive-Paper") or key


def _warc_date(value: str | None) -> datetime | None:
    """WARC-Date (ISO 8601 UTC, with or without fractions), or None when missing or malformed."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def page_headers(headers: Any) -> dict[str, list[str]]:
    """Headers as the archive stores them, from (name, value) pairs (used by the CDX replays too)."""
    return _headers(list(headers))
