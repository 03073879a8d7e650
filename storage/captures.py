"""Raw captures: a fetched response stored exactly as received (compressed), or counted as a revisit.

Functions take a Session and never commit: callers own the transaction.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Capture
from storage.stored_forms import compress_capture, decompress_capture
from storage.urls import indexable_url


def capture_body(capture: Capture) -> bytes:
    """Return the raw body bytes of a capture exactly as fetched (ValueError if its stored form is
    damaged)."""
    return decompress_capture(capture.body_compressed)


@dataclass
class CaptureData:
    """A fetched response as the spider saw it; the body is kept exactly as received."""

    url: str
    final_url: str
    http_status: int
    headers: dict[str, Any]
    body: bytes
    content_type: str | None
    discovered_via: str | None
    fetched_at: datetime
    # Computed off the writer thread when available (the extraction worker): sha256 hex and compressed bytes.
    sha256: str | None = None
    compressed: bytes | None = None
    # The request headers as sent and the response's HTTP version ("HTTP/1.1"), for the WARC export.
    request_headers: dict[str, Any] | None = None
    protocol: str | None = None
    # The page's canonical claim (rel=canonical or og:url naming another URL, untrusted) and its verdict
    # (pipelines.canonical); None when it claimed nothing.
    canonical_claim: str | None = None
    canonical_verdict: str | None = None
    # Where a capture the archive did not fetch itself came from (an imported WARC record, a CDX replay).
    provenance: dict[str, str] | None = None


def capture_source(provenance: dict[str, Any] | None) -> str:
    """Where a capture came from, in words: the archive's own crawl, or the source the operator named
    on import or backfill with its WARC file and record, or its CDX replay."""
    if not provenance:
        return "newsarchive crawl"
    source = str(provenance.get("source") or "import")
    if provenance.get("replay"):
        return f"{source}: {provenance['replay']}"
    where = " ".join(str(provenance[k]) for k in ("file", "record_id") if provenance.get(k))
    return f"{source}: {where}" if where else source


@dataclass(frozen=True)
class ArchiveOutcome:
    """What the archive did with one capture: ``kind`` is new, version, revisit, duplicate or failed."""

    kind: str
    status: str
    article_id: int | None
    capture_id: int


def record_capture(
    session: Session,
    data: CaptureData,
    *,
    run_id: int | None,
    portal_id: int | None,
    status: str,
    reason: str | None = None,
) -> tuple[Capture, bool]:
    """Store the raw capture, or count a revisit when these exact bytes were captured from this URL before.

    Returns the capture row and whether it is new.
    """
    digest = body_digest(data)
    url = indexable_url(data.url)
    existing = session.scalars(
        select(Capture).where(Capture.url == url, Capture.body_sha256 == digest)
    ).one_or_none()
    if existing is not None:
        # min/max, not assignment: an imported capture may be older than the archive's own fetches.
        existing.fetched_at = min(existing.fetched_at, data.fetched_at)
        existing.last_fetched_at = max(existing.last_fetched_at, data.fetched_at)
        existing.fetch_count += 1
        existing.run_id = run_id or existing.run_id
        if data.canonical_verdict is not None:  # the same bytes may be judged otherwise now
            existing.canonical_claim, existing.canonical_verdict = (
                data.canonical_claim,
                data.canonical_verdict,
            )
        return existing, False
    capture = Capture(**capture_columns(data, digest, url, run_id, portal_id, status, reason))
    session.add(capture)
    session.flush()
    return capture, True


def body_digest(data: CaptureData) -> str:
    """Return the sha256 (hex) of the captured body: the worker's, or computed now."""
    return data.sha256 or hashlib.sha256(data.body).hexdigest()


def capture_columns(
    data: CaptureData,
    digest: str,
    url: str,
    run_id: int | None,
    portal_id: int | None,
    status: str,
    reason: str | None,
) -> dict[str, Any]:
    """Return the columns of a new capture row of ``data`` (body ``digest``, stored under ``url``)."""
    return {
        "run_id": run_id,
        "portal_id": portal_id,
        "url": url,
        "final_url": data.final_url,
        "http_status": data.http_status,
        "headers": data.headers,
        "body_compressed": data.compressed if data.compressed is not None else compress_capture(data.body),
        "body_sha256": digest,
        "body_size": len(data.body),
        "content_type": data.content_type,
        "discovered_via": data.discovered_via,
        "fetched_at": data.fetched_at,
        "last_fetched_at": data.fetched_at,
        "fetch_count": 1,
        "status": status,
        "reason": reason,
        "request_headers": data.request_headers,
        "protocol": data.protocol,
        "canonical_claim": data.canonical_claim,
        "canonical_verdict": data.canonical_verdict,
        "provenance": data.provenance,
    }


def archive_failure(
    session: Session,
    data: CaptureData,
    *,
    run_id: int | None,
    portal_id: int | None,
    status: str,
    reason: str,
) -> ArchiveOutcome:
    """Keep a capture that produced no article (fetch or extraction failure) with its reason."""
    capture, _ = record_capture(
        session, data, run_id=run_id, portal_id=portal_id, status=status, reason=reason
    )
    capture.status, capture.reason = status, reason
    return ArchiveOutcome("failed", status, None, capture.id)
