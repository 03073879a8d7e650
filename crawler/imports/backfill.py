"""Backfill a portal from a Wayback-style CDX server: its captures' original bytes (``id_`` replays).

The CDX API is asked, per host of the portal (its own and its aliases), for a prefix match with
``output=json``, HTTP 200 and HTML only, collapsed by digest. Both dialects are read line by line, so a
portal's whole index never sits in memory: the Internet Archive's ``/cdx/search/cdx`` (a JSON array of
arrays, one row a line, field names in the first) and pywb's ``/{collection}/cdx`` (one JSON object a
line). pywb ignores ``collapse``, so rows are collapsed here too (the same digest as the row before it
for the same URL). Each row the portal's URL rules do not call a listing is fetched as
``{replay}{timestamp}id_/{url}`` and archived by the Importer.

Resumable: a row whose capture (its URL at its CDX timestamp) the archive holds is not fetched again,
so a killed backfill run again picks up where it stopped. Polite: BACKFILL_DELAY seconds between two
requests, BACKFILL_CONCURRENCY at once, BACKFILL_TIMEOUT each.
"""

from __future__ import annotations

import asyncio
import gzip
import http.client
import json
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import IO

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from crawler import defaults
from crawler.imports.pages import Failed, ImportedPage, Skipped, is_html
from crawler.portals import Portal
from storage.models import Capture
from storage.urls import indexable_url

USER_AGENT = "newsarchive-backfill (+https://github.com/newsarchive)"
# The headers a replay adds of its own (the archive's, not the portal's); the portal's own come back
# as X-Archive-Orig-* and are kept under their own names.
_REPLAY_HEADERS = ("memento-datetime", "link", "content-location", "date", "server", "content-length",
                   "transfer-encoding", "content-encoding", "connection", "set-cookie")  # fmt: skip
_ORIGINAL_PREFIX = "x-archive-orig-"


class CdxUnavailable(Exception):
    """The CDX server cannot be reached or does not answer its API; str() says which and why."""


@dataclass(frozen=True)
class CdxRow:
    """One capture the CDX server lists: the URL as captured, its 14-digit timestamp and its digest."""

    url: str
    timestamp: str
    digest: str
    mime: str
    status: str

    @property
    def captured_at(self) -> datetime:
        return datetime.strptime(self.timestamp[:14].ljust(14, "0"), "%Y%m%d%H%M%S").replace(tzinfo=UTC)


def replay_base(cdx: str) -> str:
    """Where the ``id_`` replays of a CDX endpoint live: ``.../cdx/search/cdx`` (Internet Archive) →
    ``.../web/``; ``.../{collection}/cdx`` (pywb) → ``.../{collection}/``."""
    parts = urllib.parse.urlsplit(cdx)
    path = parts.path.rstrip("/")
    if path.endswith("/cdx/search/cdx"):
        path = path[: -len("/cdx/search/cdx")] + "/web/"
    elif path.endswith("/cdx"):
        path = path[: -len("/cdx")] + "/"
    else:
        raise ValueError(
            f"{cdx!r} is neither an Internet Archive /cdx/search/cdx nor a pywb /COLLECTION/cdx URL"
        )
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def cdx_query(cdx: str, host: str, since: date | None, until: date | None) -> str:
    """The CDX query URL of every HTML 200 capture under ``host``, collapsed by digest."""
    params = [
        ("url", f"{host}/"), ("matchType", "prefix"), ("output", "json"),
        ("filter", "statuscode:200"), ("filter", "mimetype:text/html"), ("collapse", "digest"),
    ]  # fmt: skip
    if since:
        params.append(("from", since.strftime("%Y%m%d")))
    if until:
        params.append(("to", until.strftime("%Y%m%d")))
    return f"{cdx}?{urllib.parse.urlencode(params)}"


def parse_cdx_lines(lines: Iterator[str]) -> Iterator[CdxRow]:
    """Rows of either JSON dialect, one line at a time, collapsed by digest per URL."""
    fields: list[str] | None = None
    previous: tuple[str, str] | None = None
    for raw in _json_rows(lines):
        line = raw.strip().rstrip(",")
        if line.startswith("[["):
            line = line[1:]
        if line.endswith("]]"):
            line = line[:-1]
        if not line or line in ("[", "]"):
            continue
        value = json.loads(line)
        if isinstance(value, list):
            if fields is None:
                fields = [str(name) for name in value]
                continue
            record = dict(zip(fields, (str(v) for v in value), strict=False))
        elif isinstance(value, dict):
            record = {str(k): str(v) for k, v in value.items()}
        else:
            continue
        row = CdxRow(
            url=record.get("original") or record.get("url") or "",
            timestamp=record.get("timestamp", ""),
            digest=record.get("digest", ""),
            mime=record.get("mimetype") or record.get("mime") or "",
            status=record.get("statuscode") or record.get("status") or "",
        )
        if not row.url or not row.timestamp.isdigit():
            continue
        if previous == (row.url, row.digest):
            continue  # the same bytes again: pywb does not collapse
        previous = (row.url, row.digest)
        yield row


def _json_rows(lines: Iterator[str]) -> Iterator[str]:
    """One JSON row a line; a whole array on one line (a short answer) is split into its rows."""
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("[[") and stripped.endswith("]]"):
            try:
                rows = json.loads(stripped)
            except ValueError:
                yield line
                continue
            yield from (json.dumps(row) for row in rows)
        else:
            yield line


def _lines(stream: IO[bytes]) -> Iterator[str]:
    for line in stream:
        yield line.decode("utf-8", "replace")


class Backfill:
    """The pages of ``portal``'s captures on a CDX server, fetched politely, as ImportedPages or skips.

    ``held(row)`` tells a capture the archive has; ``source`` names the server in the provenance.
    """

    def __init__(
        self,
        portal: Portal,
        hosts: list[str],
        cdx: str,
        reader: sessionmaker[Session],
        *,
        source: str,
        since: date | None = None,
        until: date | None = None,
        delay: float = defaults.BACKFILL_DELAY,
        concurrency: int = defaults.BACKFILL_CONCURRENCY,
        timeout: float = defaults.BACKFILL_TIMEOUT,
        max_body: int = 10 * 1024 * 1024,
    ) -> None:
        self.portal, self.hosts, self.cdx, self.reader = portal, hosts, cdx, reader
        self.replay = replay_base(cdx)
        self.source, self.since, self.until = source, since, until
        self.delay, self.timeout, self.max_body = delay, timeout, max_body
        self.slots = asyncio.Semaphore(max(1, concurrency))
        self._next_request = 0.0
        self.listed = 0

    def rows(self) -> Iterator[CdxRow]:
        """Every row the CDX server lists for the portal's hosts. Raises CdxUnavailable."""
        for host in self.hosts:
            url = cdx_query(self.cdx, host, self.since, self.until)
            try:
                with self._open(url) as answer:
                    yield from parse_cdx_lines(_lines(answer))
            except (urllib.error.URLError, OSError, ValueError) as exc:
                raise CdxUnavailable(f"CDX server {self.cdx} did not answer for {host}: {_why(exc)}") from exc

    async def pages(self) -> AsyncIterator[ImportedPage | Skipped | Failed]:
        """The fetched pages and the skipped rows, in CDX order; up to ``concurrency`` fetches at once."""
        pending: list[asyncio.Task[ImportedPage | Skipped | Failed]] = []
        rows = self.rows()
        while True:
            try:
                row = await asyncio.to_thread(next, rows, None)
            except CdxUnavailable:
                for task in pending:  # what was fetched before the server went away is archived
                    yield await task
                raise
            if row is None:
                break
            self.listed += 1
            skipped = self._skip(row)
            if skipped is not None:
                yield skipped
                continue
            if await asyncio.to_thread(self._held, row):
                yield Skipped("already in the archive", row.url)
                continue
            await self.slots.acquire()
            task = asyncio.create_task(self._fetch(row))
            task.add_done_callback(lambda _: self.slots.release())
            pending.append(task)
            while pending and pending[0].done():
                yield pending.pop(0).result()
        for task in pending:
            yield await task

    def _skip(self, row: CdxRow) -> Skipped | None:
        if row.status != "200":
            return Skipped(f"HTTP {row.status}", row.url)
        if row.mime and not is_html(row.mime):
            return Skipped("not HTML", row.url)
        kind = self.portal.classify(row.url)
        if kind == "listing":
            return Skipped("listing page", row.url)
        if kind == "skip":
            return Skipped("not an article URL", row.url)
        return None

    def _held(self, row: CdxRow) -> bool:
        """Whether the archive holds this row's capture: its URL, captured within the row's second."""
        at = row.captured_at
        with self.reader() as session:
            found = session.scalar(
                select(Capture.id)
                .where(
                    Capture.url == indexable_url(row.url),
                    Capture.fetched_at >= at - timedelta(seconds=1),
                    Capture.fetched_at < at + timedelta(seconds=2),
                )
                .limit(1)
            )
        return found is not None

    async def _fetch(self, row: CdxRow) -> ImportedPage | Skipped | Failed:
        replay = f"{self.replay}{row.timestamp}id_/{row.url}"
        await self._wait_turn()
        try:
            return await asyncio.to_thread(self._get, row, replay)
        except (urllib.error.URLError, OSError, ValueError, zlib.error) as exc:
            return Failed(f"replay {replay} failed: {_why(exc)}", row.url)

    async def _wait_turn(self) -> None:
        """BACKFILL_DELAY between the starts of two requests, whatever the concurrency."""
        now = time.monotonic()
        start = max(now, self._next_request)
        self._next_request = start + self.delay
        if start > now:
            await asyncio.sleep(start - now)

    def _get(self, row: CdxRow, replay: str) -> ImportedPage | Skipped:
        with self._open(replay) as answer:
            status = answer.status
            pairs = list(answer.headers.items())
            body = answer.read(self.max_body + 1)
        if len(body) > self.max_body:
            return Skipped("too large", row.url)
        encoding = next((v.lower() for k, v in pairs if k.lower() == "content-encoding"), "")
        if encoding in ("gzip", "x-gzip"):
            body = gzip.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        headers: dict[str, list[str]] = {}
        for name, value in pairs:
            lower = name.lower()
            if lower.startswith(_ORIGINAL_PREFIX):
                name, lower = name[len(_ORIGINAL_PREFIX) :], lower[len(_ORIGINAL_PREFIX) :]
                if lower in ("content-length", "transfer-encoding", "content-encoding"):
                    continue
            elif lower in _REPLAY_HEADERS:
                continue
            headers.setdefault(name, []).append(value)
        content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), [None])[0]
        if status != 200:
            return Skipped(f"HTTP {status}", row.url)
        if not is_html(content_type):
            return Skipped("not HTML", row.url)
        return ImportedPage(
            url=row.url,
            captured_at=row.captured_at,
            http_status=200,
            headers=headers,
            body=body,
            content_type=content_type,
            protocol=None,
            provenance={"source": self.source, "cdx": self.cdx, "replay": replay, "digest": row.digest},
            via="backfill",
        )

    def _open(self, url: str) -> http.client.HTTPResponse:
        request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
        answer: http.client.HTTPResponse = urllib.request.urlopen(request, timeout=self.timeout)  # noqa: S310
        return answer


def _why(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None)
    return " ".join(f"{type(exc).__name__}: {reason or exc}".split())[:300]
