"""Address guard: the crawler fetches only http(s) URLs of public hosts, or of the portals' own hosts.

Portals are untrusted: a redirect, a sitemap entry or a feed link may point at ``file:///etc/passwd``,
an internal admin page, or the database next to the crawler. Every request (every redirect hop, the
spider's own redirects, robots.txt) passes AddressGuardMiddleware, which refuses other schemes and hosts
that are or resolve to a loopback, private, link-local, multicast, reserved, unspecified or unique-local
address. GuardedResolver checks again when the connection is made, so a name that resolved to a public
address for the check and to a private one for the connection (DNS rebinding) is refused too.

Allowed despite a private address: the crawl's own portals (their home URL's host and port, so the
replica on 127.0.0.x works) and the hosts an operator lists in NEWSARCHIVE_ALLOWED_PRIVATE_HOSTS.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import time
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, signals
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.resolver import CachingThreadedResolver
from twisted.internet import defer
from twisted.internet.error import DNSLookupError

from crawler import defaults
from storage.urls import fold_host, site_key

logger = logging.getLogger(__name__)

ALLOWED_SCHEMES = ("http", "https")
# How long a host's resolution is trusted by the middleware; the resolver checks every connection anyway.
RESOLUTION_TTL = 300.0
# Hosts (and host:port site keys) allowed to be private in this process: the crawl's portals and the
# operator's list. The resolver is process-wide (Twisted installs one), hence a module-level registry.
_allowed_private: set[str] = set()
_allowed_names: set[str] = set()  # the same without ports, folded (storage.urls.fold_host): for the resolver


_UNIQUE_LOCAL = ipaddress.ip_network("fc00::/7")


class AddressRefused(IgnoreRequest):
    """A request the address guard refused; str() is the reason."""


def refusal(address: str) -> str | None:
    """Return why ``address`` (an IP literal) must not be fetched, or None when it is public."""
    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return f"{address!r} is not an IP address"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    unique_local = isinstance(ip, ipaddress.IPv6Address) and ip in _UNIQUE_LOCAL
    for kind, flag in (
        ("loopback", ip.is_loopback),
        ("unspecified", ip.is_unspecified),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("reserved", ip.is_reserved),
        ("unique-local", unique_local),
        ("private", ip.is_private),
    ):
        if flag:
            return f"{ip} is a {kind} address"
    if not ip.is_global:
        return f"{ip} is not a public address"
    return None


def allow_private(hosts: Iterable[str]) -> None:
    """Let these hosts (``host`` or ``host:port`` site keys, see storage.urls.site_key) be private."""
    for host in hosts:
        key = host.strip().lower()
        if key:
            _allowed_private.add(key)
            _allowed_names.add(fold_host(key.rsplit(":", 1)[0] if key.count(":") == 1 else key))


def _private_allowed(url: str, host: str) -> bool:
    return site_key(url) in _allowed_private or host in _allowed_private


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return False
    return True


def check_url(url: str) -> tuple[str, str | None]:
    """Return (host, reason): the reason the URL is refused before any resolution, or None.

    Refuses other schemes, URLs without a host, and IP-literal hosts that are not public (unless
    allowed). A host name still has to pass resolve_and_check.
    """
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError as exc:
        return "", f"malformed URL ({exc})"
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        return host, f"scheme {parts.scheme or '(none)'!r} is not fetched (only http and https)"
    if not host:
        return host, "URL has no host"
    if _private_allowed(url, host):
        return host, None
    if not _is_ip(host):
        return host, None  # a name: resolved next
    reason = refusal(host)
    return host, f"{reason}; not a portal's own host" if reason else None


class AddressGuardMiddleware:
    """Downloader middleware refusing requests to non-http(s) URLs and to private addresses.

    A refused article URL reaches the spider's errback as AddressRefused (archived as a ``refused``
    capture with the reason); a refused discovery URL is counted and logged once per host.
    Settings: ADDRESS_GUARD_ENABLED (default True), NEWSARCHIVE_ALLOWED_PRIVATE_HOSTS (list of host or
    host:port). Stats: guard/refused, guard/refused/<kind>.
    """

    def __init__(self, stats: Any, allowed: Sequence[str]) -> None:
        self.stats = stats
        allow_private(allowed)
        self._resolved: dict[str, tuple[float, str | None]] = {}
        self._logged: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Any) -> AddressGuardMiddleware:
        settings = crawler.settings
        if not settings.getbool("ADDRESS_GUARD_ENABLED", defaults.ADDRESS_GUARD_ENABLED):
            raise NotConfigured("ADDRESS_GUARD_ENABLED is off")
        allowed = settings.getlist(
            "NEWSARCHIVE_ALLOWED_PRIVATE_HOSTS", defaults.NEWSARCHIVE_ALLOWED_PRIVATE_HOSTS
        )
        middleware = cls(crawler.stats, allowed)
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        return middleware

    def spider_opened(self, spider: Any) -> None:
        # The crawl's own portals may live on private addresses (an intranet portal, the replica).
        allow_private(portal.site for portal in getattr(spider, "portals", {}).values())

    async def process_request(self, request: Request) -> None:
        host, reason = check_url(request.url)
        if reason is None and host and not _private_allowed(request.url, host):
            reason = await self._resolution_refusal(host)
        if reason is not None:
            self._refuse(request, host, reason)

    async def _resolution_refusal(self, host: str) -> str | None:
        cached = self._resolved.get(host)
        if cached is not None and time.monotonic() - cached[0] < RESOLUTION_TTL:
            return cached[1]
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            return None  # unresolvable: the download fails with its own DNS error, recorded as such
        reason = None
        for info in infos:
            problem = refusal(str(info[4][0]))
            if problem:
                reason = f"{host} resolves to {problem}"
                break
        self._resolved[host] = (time.monotonic(), reason)
        return reason

    def _refuse(self, request: Request, host: str, reason: str) -> None:
        self.stats.inc_value("guard/refused")
        self.stats.inc_value(f"guard/refused/{'article' if request.meta.get('via') else 'discovery'}")
        if host not in self._logged:
            self._logged.add(host)
            logger.warning("address guard refused %s: %s", request.url[:300], reason)
        raise AddressRefused(f"refused by the address guard: {reason}")


class GuardedResolver(CachingThreadedResolver):
    """Scrapy's caching resolver that fails a lookup whose address is not public (unless the name is
    allowed), so the address a connection is made to is the one that was checked."""

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> defer.Deferred[str]:  # noqa: N802
        deferred = super().getHostByName(name, timeout)
        deferred.addCallback(self._checked, name)
        return deferred

    @staticmethod
    def _checked(address: str, name: str) -> str:
        if _is_ip(name) or fold_host(name) in _allowed_names:
            return address  # an IP literal cannot rebind: the middleware judged it, with its port
        reason = refusal(address)
        if reason:
            raise DNSLookupError(f"refused by the address guard: {name} resolves to {reason}")
        return address
