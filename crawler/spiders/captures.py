"""The spider's PageItems: the capture of a response, and of an article fetch that failed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler.portals import Portal
from crawler.safety.guard import AddressRefused
from crawler.spiders.failures import failure_reason
from pipelines.items import PageItem


def page_item(response: Response, portal: Portal) -> PageItem:
    """Return the capture of ``response``: its raw bytes, headers, request headers and provenance."""
    content_type = response.headers.get(b"Content-Type")
    return PageItem(
        url=_first_url(response.meta, response.url),
        final_url=response.url,
        http_status=response.status,
        headers=_headers(response.headers),
        body=response.body,
        fetched_at=datetime.now(UTC),
        discovered_via=response.meta.get("via", "?"),
        portal_key=portal.key,
        portal_name=portal.name,
        portal_home=portal.home_url,
        content_type=header_text(content_type) if content_type else None,
        feed_date=response.meta.get("feed_date"),
        prune_xpath=portal.prune_xpath,
        revisit=portal.revisit,
        link_rules=portal.link_rules,
        request_headers=_headers(response.request.headers) if response.request is not None else None,
        protocol=response.protocol,
    )


def failed_fetch_item(failure: Failure, portal: Portal) -> PageItem | None:
    """Return the capture of an article fetch that failed, with its status and why: ``not_modified``
    (HTTP 304 to a conditional GET), ``refused`` (the address guard) or ``fetch_failed``; None when
    robots.txt forbids the URL, which is no failure."""
    request = failure.request  # type: ignore[attr-defined]
    message = failure.getErrorMessage()
    if "robots.txt" in message:
        return None
    if failure.check(HttpError):
        response: Response = failure.value.response  # type: ignore[union-attr]
        item = page_item(response, portal)
        if response.status == 304:
            # The archived capture is still current (conditional GET by the frontier planner).
            item.fail("not_modified", "HTTP 304")
        else:
            item.fail("fetch_failed", f"HTTP {response.status}")
        return item
    item = PageItem(
        url=_first_url(request.meta, request.url),
        final_url=request.url,
        http_status=0,
        headers={},
        body=b"",
        fetched_at=datetime.now(UTC),
        discovered_via=request.meta.get("via", "?"),
        portal_key=portal.key,
        portal_name=portal.name,
        portal_home=portal.home_url,
        feed_date=request.meta.get("feed_date"),
    )
    if failure.check(AddressRefused):
        item.fail("refused", message)
    else:
        item.fail("fetch_failed", failure_reason(failure.value))
    return item


def _first_url(meta: dict[str, Any], url: str) -> str:
    """Return the URL a redirect chain started from: ours (articles) or Scrapy's (other requests)."""
    chain = meta.get("redirect_chain") or meta.get("redirect_urls") or [url]
    return str(chain[0])


def header_text(raw: bytes) -> str:
    """A header name or value as text every archive backend stores: latin-1 (each byte kept as one
    character), with NUL, which PostgreSQL refuses in text and JSON, written as the visible ``\\x00``
    (an ETag holding one lost the whole page)."""
    return raw.decode("latin-1").replace("\x00", "\\x00")


def _headers(headers: Any) -> dict[str, list[str]]:
    return {header_text(key): [header_text(value) for value in values] for key, values in headers.items()}


def is_html(response: Response) -> bool:
    """Whether a response says it is HTML (no Content-Type counts as HTML, as browsers read it)."""
    content_type = (response.headers.get(b"Content-Type") or b"text/html").decode("latin-1").lower()
    return "html" in content_type
