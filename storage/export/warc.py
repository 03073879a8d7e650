"""WARC export (warcio) of the captures behind a set of articles, and its CDXJ index (cdxj-indexer).

Per capture: a ``response`` record (status line and headers as received, the body as archived,
WARC-Date = fetch time, payload digest), its ``request`` record, and a ``revisit`` record when the same
bytes were fetched again. What the archive does not hold is said, not invented:

- Bodies are archived after Scrapy's HttpCompressionMiddleware undid the Content-Encoding (gzip, br,
  ...) and deleted that header (it keeps it only for an encoding it could not undo, and then the body
  still carries it). So the records hold the body as archived with the headers that describe it: the
  Content-Encoding that remains, a Content-Length equal to the stored body, no Transfer-Encoding; the
  received Content-Length/Transfer-Encoding are kept as ``X-Archive-Orig-*`` (pywb's convention).
- The reason phrase is not stored: the standard phrase for the status code is written.
- Captures archived before request headers and the HTTP version were recorded (migration 0007) get a
  minimal reconstructed ``GET`` request and ``HTTP/1.1``, marked ``WARC-Newsarchive-Reconstructed``.
- Only the first and the last fetch of identical bytes are kept, so one revisit record (at the last
  fetch, with ``WARC-Newsarchive-Fetch-Count``) stands for every refetch.
"""

from __future__ import annotations

import http
import io
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from storage.captures import capture_body
from storage.export.records import FAILURE_STATUSES, article_statement, failed_capture_statement
from storage.models import Article, Capture, Portal
from storage.search.filters import SearchFilters

SOFTWARE = "newsarchive (warcio)"
# A stable namespace so the same capture gets the same record ids in every export of one archive.
_RECORD_NAMESPACE = uuid.UUID("6f1c9a52-4e0a-4b8e-9d55-1b8d3c1f7a10")
# Recomputed for the stored body; the received values become X-Archive-Orig-* headers. A Content-Encoding
# still present is one Scrapy could not undo, so the stored body still carries it and the header stays.
_DROPPED = ("content-length", "transfer-encoding")
# Captures read per round trip; bodies are decompressed one at a time.
BATCH = 200


def cdxj_path(warc: Path) -> Path:
    """Return where the CDXJ index of ``warc`` goes: beside it, ``NAME.cdxj`` for ``NAME.warc.gz``."""
    name = warc.name
    for suffix in (".warc.gz", ".warc"):
        if name.endswith(suffix):
            return warc.with_name(name[: -len(suffix)] + ".cdxj")
    return warc.with_name(name + ".cdxj")


def record_id(archive: str, capture_id: int, kind: str) -> str:
    """Return the WARC-Record-ID of one record of a capture (a UUID derived from archive, capture, kind)."""
    return f"<urn:uuid:{uuid.uuid5(_RECORD_NAMESPACE, f'{archive}/{capture_id}/{kind}')}>"


def _warc_date(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _response_headers(capture: Capture, body: bytes) -> tuple[list[tuple[str, str]], dict[str, str]]:
    headers: list[tuple[str, str]] = []
    originals: dict[str, str] = {}
    for name, values in (capture.headers or {}).items():
        for value in values if isinstance(values, list) else [values]:
            if name.lower() in _DROPPED:
                originals[name.lower()] = str(value)
                headers.append((f"X-Archive-Orig-{name}", str(value)))
            else:
                headers.append((name, str(value)))
    headers.append(("Content-Length", str(len(body))))
    return headers, originals


def _status_line(code: int) -> str:
    try:
        return f"{code} {http.HTTPStatus(code).phrase}"
    except ValueError:
        return f"{code} Unknown"


def _request(capture: Capture) -> tuple[StatusAndHeaders, bool]:
    parts = urlsplit(capture.final_url or capture.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers: list[tuple[str, str]] = []
    for name, values in (capture.request_headers or {}).items():
        headers.extend((name, str(value)) for value in (values if isinstance(values, list) else [values]))
    if not any(name.lower() == "host" for name, _ in headers):
        headers.insert(0, ("Host", parts.netloc))
    protocol = capture.protocol or "HTTP/1.1"
    request = StatusAndHeaders(f"GET {target} {protocol}", headers, is_http_request=True)
    return request, capture.request_headers is None


def _captures(session: Session, filters: SearchFilters) -> Iterator[tuple[Capture, str | None, str | None]]:
    dialect = session.get_bind().dialect.name
    ids = article_statement(filters, dialect).with_only_columns(Article.id).order_by(None).subquery()
    statement = (
        select(Capture, Portal.key, Portal.name)
        .outerjoin(Portal, Portal.id == Capture.portal_id)
        .where(Capture.article_id.in_(select(ids.c.id)))
        .order_by(Capture.id)
    )
    for capture, key, name in session.execute(statement.execution_options(yield_per=BATCH)):
        yield capture, key, name
    article_only = filters.languages or filters.author or filters.category
    if article_only or (filters.statuses and not set(filters.statuses) & FAILURE_STATUSES):
        return
    failed = failed_capture_statement(filters).with_only_columns(Capture.id).order_by(None).subquery()
    statement = (
        select(Capture, Portal.key, Portal.name)
        .outerjoin(Portal, Portal.id == Capture.portal_id)
        .where(Capture.id.in_(select(failed.c.id)), Capture.http_status > 0)
        .order_by(Capture.id)
    )
    for capture, key, name in session.execute(statement.execution_options(yield_per=BATCH)):
        yield capture, key, name


def write_warc(
    session: Session, filters: SearchFilters, stream: IO[bytes], *, db_label: str | None = None
) -> int:
    """Write the captures of the articles ``filters`` admit (and, when they admit failures, the
    article-less captures that got an HTTP response) as a gzipped WARC 1.1 to ``stream``.

    Returns how many captures were written.
    """
    bind = session.get_bind()
    archive = (bind.engine if isinstance(bind, Connection) else bind).url.render_as_string(hide_password=True)
    writer = WARCWriter(stream, gzip=True, warc_version="1.1")
    info = writer.create_warcinfo_record(
        "newsarchive-export.warc.gz",
        {
            "software": SOFTWARE,
            "format": "WARC File Format 1.1",
            "description": (
                "Captures of a newsarchive archive. Bodies are as archived: after content decoding, so no "
                "Content-Encoding; Content-Length is the stored body's, the received values are kept as "
                "X-Archive-Orig-*. Reason phrases are the standard ones. Requests marked "
                "WARC-Newsarchive-Reconstructed were not recorded and are a minimal GET. One revisit "
                "record per capture stands for all refetches of identical bytes (first and last fetch "
                "times are kept)."
            ),
            "isPartOf": db_label or "newsarchive",
            "newsarchive-filters": repr(filters),
        },
    )
    writer.write_record(info)
    count = 0
    for capture, portal_key, portal_name in _captures(session, filters):
        _write_capture(writer, archive, capture, portal_key, portal_name)
        count += 1
    return count


def _write_capture(
    writer: WARCWriter, archive: str, capture: Capture, portal_key: str | None, portal_name: str | None
) -> None:
    body = capture_body(capture)
    uri = capture.final_url or capture.url
    response_id = record_id(archive, capture.id, "response")
    headers, _ = _response_headers(capture, body)
    protocol = capture.protocol or "HTTP/1.1"
    extra = {
        "WARC-Record-ID": response_id,
        "WARC-Date": _warc_date(capture.fetched_at),
        "WARC-Newsarchive-Capture-Id": str(capture.id),
        "WARC-Newsarchive-Status": capture.status,
    }
    if capture.article_id is not None:
        extra["WARC-Newsarchive-Article-Id"] = str(capture.article_id)
    if portal_key:
        extra["WARC-Newsarchive-Portal"] = portal_key
    if portal_name:
        # WARC header values are UTF-8 in WARC 1.1; the paper's name is Vietnamese.
        extra["WARC-Newsarchive-Paper"] = portal_name
    if capture.url != uri:
        extra["WARC-Newsarchive-Requested-URI"] = capture.url
    response = writer.create_warc_record(
        uri, "response", payload=io.BytesIO(body), length=len(body),
        http_headers=StatusAndHeaders(_status_line(capture.http_status), headers, protocol=protocol),
        warc_headers_dict=extra,
    )  # fmt: skip
    writer.write_record(response)
    request_headers, reconstructed = _request(capture)
    request_extra = {
        "WARC-Record-ID": record_id(archive, capture.id, "request"),
        "WARC-Date": _warc_date(capture.fetched_at),
        "WARC-Concurrent-To": response_id,
        "WARC-Newsarchive-Capture-Id": str(capture.id),
    }
    if reconstructed:
        request_extra["WARC-Newsarchive-Reconstructed"] = "request headers were not recorded; minimal GET"
    request = writer.create_warc_record(
        uri, "request", payload=io.BytesIO(b""), length=0, http_headers=request_headers,
        warc_headers_dict=request_extra,
    )  # fmt: skip
    writer.write_record(request)
    if capture.fetch_count > 1 and capture.last_fetched_at > capture.fetched_at:
        digest = response.rec_headers.get_header("WARC-Payload-Digest")
        revisit = writer.create_revisit_record(
            uri, digest, uri, _warc_date(capture.fetched_at),
            http_headers=StatusAndHeaders(_status_line(capture.http_status), headers, protocol=protocol),
            warc_headers_dict={
                "WARC-Record-ID": record_id(archive, capture.id, "revisit"),
                "WARC-Date": _warc_date(capture.last_fetched_at),
                "WARC-Refers-To": response_id,
                "WARC-Newsarchive-Capture-Id": str(capture.id),
                "WARC-Newsarchive-Fetch-Count": str(capture.fetch_count),
            },
        )  # fmt: skip
        writer.write_record(revisit)


def write_cdxj(warc: Path, stream: IO[str]) -> int:
    """Write the sorted CDXJ index of ``warc`` (pywb's format, via cdxj-indexer) to ``stream``; return 0."""
    from cdxj_indexer.main import CDXJIndexer

    CDXJIndexer(stream, [str(warc)], sort=True).process_all()
    return 0
