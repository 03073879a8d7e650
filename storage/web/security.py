"""Headers and method rules every page of the browser gets: the archive is untrusted content."""

from __future__ import annotations

import re

from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

# Pages: only our own stylesheet and script (no inline script), frames only from us, nothing else.
PAGE_CSP = (
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; frame-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'self'"
)
# A captured page: may not run scripts or load anything (the original site or anywhere else); inline
# styles stay so it looks as captured. ``sandbox`` makes it a unique origin even when opened directly.
CAPTURE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox; base-uri 'none'"
READ_METHODS = ("GET", "HEAD")
# What a captured page is served as: only HTML and plain text are shown, anything else is bytes.
SHOWN_TYPES = ("text/html", "text/plain", "application/xhtml+xml")
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]{1,40})[\"']?", re.ASCII | re.IGNORECASE)


def capture_content_type(stored: str | None) -> str:
    """Return the Content-Type to send for a captured page whose stored one is ``stored``.

    The stored value came from a portal: it is rebuilt from a known media type and a charset made of
    safe characters only, so no escape sequence, line break or other header can travel with it.
    """
    stored = stored or "text/html"
    media = stored.split(";", 1)[0].strip().lower()
    if media not in SHOWN_TYPES:
        return "application/octet-stream"
    charset = _CHARSET.search(stored)
    # Without a stored charset, UTF-8 (what Starlette always added, and what most portals send).
    return f"{media}; charset={charset.group(1) if charset else 'utf-8'}"


class ReadOnlySecurity(BaseHTTPMiddleware):
    """Answer 405 to every method but GET and HEAD; add CSP, nosniff and no-referrer to every response
    (a response that set its own CSP keeps it)."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        if request.method not in READ_METHODS:
            response: Response = PlainTextResponse(
                "method not allowed: this archive is read-only\n", status_code=405
            )
            response.headers["Allow"] = ", ".join(READ_METHODS)
        else:
            response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", PAGE_CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        return response
