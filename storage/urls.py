"""URL identity: one site key and one canonical article URL, used by discovery, the spider and dedup alike."""

from __future__ import annotations

import functools
import hashlib
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

# Host prefixes that serve the same articles as the bare host: the desktop, mobile and AMP editions.
_EDITION_PREFIXES = ("www.", "m.", "amp.")
_DEFAULT_PORTS = {"http": 80, "https": 443}
# Query parameters that only track the click, never select content.
_TRACKING = re.compile(
    r"^(?:utm_\w+|fbclid|gclid|dclid|msclkid|zarsrc|zacc|_ga|_gl|mc_cid|mc_eid|ref|ref_src|src|source|"
    r"cmpid|itm_\w+|vn_source|vn_medium|vn_campaign|amp|outputtype)$",
    re.I,
)
# AMP editions of an article path: ".../amp/", "...amp.html", "...-amp.html", "....amp".
_AMP_PATH = re.compile(r"(?:/amp/?$|\.amp(?=\.html?$)|\.amp$|-amp(?=\.html?$))", re.I)


def fold_host(host: str) -> str:
    """Return ``host`` lowercased, without a trailing dot and without a www./m./amp. edition prefix."""
    host = host.lower().rstrip(".")
    for prefix in _EDITION_PREFIXES:
        if host.startswith(prefix) and host.count(".") > 1:
            return host[len(prefix) :]
    return host


def site_key(url: str) -> str:
    """Return the identity of the site ``url`` belongs to: its folded host, plus the port when it is not
    the scheme's default (a development or replica server). Empty for URLs without a host.

    Two URLs are on the same site exactly when their site keys are equal, whatever their scheme or
    edition (``www.``/``m.``/``amp.``). Never raises: a malformed URL has the empty key.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return ""
    host = fold_host(parts.hostname or "")
    if not host:
        return ""
    if port is None or port == _DEFAULT_PORTS.get(parts.scheme.lower()):
        return host
    return f"{host}:{port}"


def same_site(url: str, other: str) -> bool:
    """Return whether two URLs are on the same site (see site_key); malformed URLs are on no site."""
    key = site_key(url)
    return bool(key) and key == site_key(other)


def canonical_url(url: str, declared: str | None = None) -> str:
    """Return the canonical form of an article URL: one article, one string.

    w3lib's canonicalisation (percent-encoding normalised, so ``tin-tức``, ``tin-t%E1%BB%A9c`` and
    ``tin-t%e1%bb%a9c`` agree; query sorted; fragment dropped) plus our folding: ``www.``/``m.``/``amp.``
    hosts and AMP paths, tracking parameters, a trailing slash, the default port, and the scheme
    (``http`` and ``https`` on default ports are one page, written ``https``; with an explicit port the
    scheme names a different service and is kept).

    ``declared``, a URL the caller already trusts, wins when it is on the same site and is ignored when
    it points elsewhere or is malformed. A page's own rel=canonical or og:url is not to be trusted like
    this: the archive judges it as a claim (pipelines.canonical), and passes no ``declared`` here.
    Idempotent; never raises: a URL that cannot be parsed is returned stripped.
    """
    chosen = url
    if declared and same_site(declared, url):
        chosen = declared
    try:
        return _canonical(chosen.strip())
    except ValueError:
        if chosen is not url:
            return canonical_url(url)
        return url.strip()


# A crawled page's URL is canonicalised three or four times on its way (planned in the frontier, the dedup
# stage, its canonical claim judged, its fetch recorded), by the reactor and the archive writer: the
# last few thousand answers are kept (a pure function of the string; ~0.5 MB).
@functools.lru_cache(maxsize=4096)
def _canonical(url: str) -> str:
    parts = urlsplit(canonicalize_url(url, keep_blank_values=True))
    scheme = parts.scheme.lower() or "http"
    host = fold_host(parts.hostname or "")
    if not host:
        return url
    port = parts.port
    if port is None or port == _DEFAULT_PORTS.get(scheme):
        netloc, scheme = host, ("https" if scheme in _DEFAULT_PORTS else scheme)
    else:
        netloc = f"{host}:{port}"
    path = _AMP_PATH.sub("", parts.path) or "/"
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    pairs = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k)]
    # canonicalize_url already sorted and encoded the query; re-encode what is left the same way.
    query = canonicalize_url("http://q/?" + urlencode(pairs), keep_blank_values=True).partition("?")[2]
    return urlunsplit((scheme, netloc, path, query, ""))


# A unique index entry must fit a PostgreSQL btree page (2,704 bytes, with the capture's 64-character
# body hash beside the URL). The crawl's URLs are shorter (Scrapy's URLLENGTH_LIMIT is 2,083), but an
# operator may raise that limit: a longer URL is indexed as its first bytes plus the sha256 of the
# whole (captures.final_url keeps the whole URL).
MAX_INDEXED_URL_BYTES = 2500


def indexable_url(url: str) -> str:
    """Return ``url`` unchanged when it fits a unique index, else a deterministic shortened form."""
    raw = url.encode("utf-8")
    if len(raw) <= MAX_INDEXED_URL_BYTES:
        return url
    digest = hashlib.sha256(raw).hexdigest()
    head = raw[: MAX_INDEXED_URL_BYTES - 80].decode("utf-8", errors="ignore")
    return f"{head}#sha256={digest}"
