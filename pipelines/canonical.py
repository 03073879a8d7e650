"""Canonical article URLs: one article, one URL, whatever tracking, AMP or mobile variant was linked."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Query parameters that only track the click, never select content.
_TRACKING = re.compile(
    r"^(?:utm_\w+|fbclid|gclid|dclid|msclkid|zarsrc|zacc|_ga|_gl|mc_cid|mc_eid|ref|ref_src|src|source|"
    r"cmpid|itm_\w+|vn_source|vn_medium|vn_campaign|amp|outputtype)$",
    re.I,
)
_AMP_PATH = re.compile(r"(?:/amp/?|\.amp(?=\.html?$)|\.amp$|-amp(?=\.html?$))", re.I)


def canonical_url(url: str, declared: str | None = None) -> str:
    """Return the canonical form of an article URL.

    ``declared`` is the page's ``rel=canonical`` (or og:url); it wins when it is on the same site, since
    portals know their own article URLs best, and is ignored when it points elsewhere (a syndicated copy
    naming its source must stay a separate article).
    """
    chosen = url
    if declared and _site(declared) == _site(url):
        chosen = declared
    parts = urlsplit(chosen.strip())
    host = (parts.hostname or "").lower()
    host = host.removeprefix("www.").removeprefix("m.").removeprefix("amp.")
    netloc = host if parts.port in (None, 80, 443) else f"{host}:{parts.port}"
    path = _AMP_PATH.sub("", parts.path) or "/"
    if len(path) > 1:
        path = path.rstrip("/")
    query = urlencode(
        sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k))
    )
    return urlunsplit((parts.scheme.lower() or "http", netloc, path, query, ""))


def _site(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.").removeprefix("m.").removeprefix("amp.")
