"""Address guard: the crawler fetches only http(s) URLs of public hosts, or of exactly allowed endpoints.

Portals are untrusted: a redirect, a sitemap entry or a feed link may point at ``file:///etc/passwd``,
an internal admin page, or the database next to the crawler. Every request (every redirect hop, the
spider's own redirects, robots.txt) passes AddressGuardMiddleware, which refuses other schemes and hosts
that are or resolve to a loopback, private, link-local, multicast, reserved, unspecified or unique-local
address. GuardedResolver checks every host again when the connection is made, knowing its port, so a
name that resolved to a public address for the check and to a private one for the connection (DNS
rebinding) is refused too; ConnectRefusalMiddleware turns that refusal into AddressRefused with its
reason (recorded as ``refused``, never retried, never a "DNS lookup failed").

Allowed despite a private address, exactly: each crawled portal's home URL endpoint (its host and port,
the scheme's default port when the URL has none: the replica on 127.0.0.x works, another port of the
same host or a www./m./amp. edition of its name does not), and NEWSARCHIVE_ALLOWED_PRIVATE_HOSTS
(``host:port`` for one port, ``host`` for any port of that host: the operator's own choice).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import time
from collections.abc import Iterable, Sequence
from typing import Any, cast
from urllib.parse import urlsplit

from scrapy import Request, signals
from scrapy.exceptions import CannotResolveHostError, IgnoreRequest, NotConfigured
from scrapy.resolver import CachingHostnameResolver
from twisted.internet.error import DNSLookupError
from twisted.internet.interfaces import IHostnameResolver, IHostResolution, IResolutionReceiver
from zope.interface import implementer, provider

from crawler import defaults

logger = logging.getLogger(__name__)

ALLOWED_SCHEMES = ("http", "https")
_DEFAULT_PORTS = {"http": 80, "https": 443}
# How long a host's resolution is trusted by the middleware; the resolver checks every connection anyway.
RESOLUTION_TTL = 300.0
# Endpoints allowed to be private in this process: (host, port) exactly, and hosts on any port (the
# operator's bare ``host`` entries). The resolver is process-wide (Twisted installs one), hence
# module-level registries.
_allowed_endpoints: set[tuple[str, int]] = set()
_allowed_any_port: set[str] = set()
# Endpoints the resolver refused at connect time, with the reason, for ConnectRefusalMiddleware.
_connect_refusals: dict[tuple[str, int], str] = {}
_CONNECT_REFUSALS_KEPT = 10_000


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


def _host(host: str) -> str:
    return host.strip().lower().rstrip(".").strip("[]")


def allow_private(hosts: Iterable[str]) -> None:
    """Let these operator entries be private: ``host:port`` (``[v6]:port``) for that port, a bare
    ``host`` (or IPv6 address) for any port of it."""
    for entry in hosts:
        key = entry.strip().lower()
        if not key:
            continue
        host, separator, port = key.rpartition(":")
        if separator and port.isdigit() and (key.startswith("[") or ":" not in host):
            _allowed_endpoints.add((_host(host), int(port)))
        else:
            _allowed_any_port.add(_host(key))


def endpoint(url: str) -> tuple[str, int] | None:
    """Return (host, port) a URL connects to (the scheme's default port when it has none), or None."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    host = _host(parts.hostname or "")
    default = _DEFAULT_PORTS.get(parts.scheme.lower())
    if not host or (port is None and default is None):
        return None
    return host, port if port is not None else default  # type: ignore[return-value]


def allow_portal(home_url: str) -> None:
    """Let a crawled portal's home URL endpoint be private: that host and port only."""
    point = endpoint(home_url)
    if point is not None:
        _allowed_endpoints.add(point)


def allowed(host: str, port: int) -> bool:
    """Whether (host, port) is allowed to be private (exactly, or the host on any port by the operator)."""
    host = _host(host)
    return (host, port) in _allowed_endpoints or host in _allowed_any_port


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
        host = _host(parts.hostname or "")
        port = parts.port
    except ValueError as exc:
        return "", f"malformed URL ({exc})"
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        return host, f"scheme {parts.scheme or '(none)'!r} is not fetched (only http and https)"
    if not host:
        return host, "URL has no host"
    if allowed(host, port if port is not None else _DEFAULT_PORTS[parts.scheme.lower()]):
        return host, None
    if not _is_ip(host):
        return host, None  # a name: resolved next
    reason = refusal(host)
    return host, f"{reason}; not a portal's own endpoint" if reason else None


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
        for portal in getattr(spider, "portals", {}).values():
            allow_portal(portal.home_url)

    async def process_request(self, request: Request) -> None:
        host, reason = check_url(request.url)
        point = endpoint(request.url)
        if reason is None and point is not None and not allowed(*point):
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


def connect_refusal(name: str, address: str, port: int) -> str | None:
    """Return why a connection to ``address`` (which ``name`` resolved to) on ``port`` is refused, or None:
    a public address, or an allowed name or address on that port, passes."""
    if allowed(name, port) or allowed(address, port):
        return None
    reason = refusal(address)
    if reason is None:
        return None
    return reason if _host(name) == _host(address) else f"{name} resolves to {reason}"


@provider(IResolutionReceiver)
class _GuardedReceiver:
    """Passes on the addresses a connection may be made to; remembers why the others were refused."""

    def __init__(self, receiver: Any, name: str, port: int) -> None:
        self.receiver, self.name, self.port = receiver, name, port
        self.refused: str | None = None
        self.passed = False

    def resolutionBegan(self, resolution: IHostResolution) -> None:  # noqa: N802 - Twisted's interface
        self.receiver.resolutionBegan(resolution)

    def addressResolved(self, address: Any) -> None:  # noqa: N802
        reason = connect_refusal(self.name, str(getattr(address, "host", "")), self.port)
        if reason is None:
            self.passed = True
            self.receiver.addressResolved(address)
        else:
            self.refused = reason

    def resolutionComplete(self) -> None:  # noqa: N802
        if self.refused is not None and not self.passed:
            if len(_connect_refusals) >= _CONNECT_REFUSALS_KEPT:
                _connect_refusals.clear()
            _connect_refusals[(_host(self.name), self.port)] = self.refused
        self.receiver.resolutionComplete()


@implementer(IHostnameResolver)
class GuardedResolver(CachingHostnameResolver):
    """Scrapy's caching hostname resolver that passes on only the addresses a connection may be made to
    (connect_refusal, knowing the port), so the address connected to is always the one checked; the
    cache keeps every address and each connection is checked again."""

    def resolveHostName(  # noqa: N802 - Twisted's interface
        self,
        resolutionReceiver: IResolutionReceiver,  # noqa: N803
        hostName: str,  # noqa: N803
        portNumber: int = 0,  # noqa: N803
        addressTypes: Sequence[type[Any]] | None = None,  # noqa: N803
        transportSemantics: str = "TCP",  # noqa: N803
    ) -> IHostResolution:
        _connect_refusals.pop((_host(hostName), portNumber), None)
        guarded = cast(IResolutionReceiver, _GuardedReceiver(resolutionReceiver, hostName, portNumber))
        return super().resolveHostName(guarded, hostName, portNumber, addressTypes, transportSemantics)


class ConnectRefusalMiddleware:
    """Downloader middleware turning a connection the resolver refused into AddressRefused with the
    reason. Placed after RetryMiddleware (its process_exception runs first), so a refusal is never
    retried and never recorded as a failed DNS lookup. Stats: guard/refused, guard/refused/connect."""

    def __init__(self, stats: Any) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Any) -> ConnectRefusalMiddleware:
        if not crawler.settings.getbool("ADDRESS_GUARD_ENABLED", defaults.ADDRESS_GUARD_ENABLED):
            raise NotConfigured("ADDRESS_GUARD_ENABLED is off")
        return cls(crawler.stats)

    def process_exception(self, request: Request, exception: Exception) -> None:
        if not isinstance(exception, (CannotResolveHostError, DNSLookupError)):
            return
        point = endpoint(request.url)
        reason = _connect_refusals.get(point) if point is not None else None
        if reason is None:
            return
        self.stats.inc_value("guard/refused")
        self.stats.inc_value("guard/refused/connect")
        logger.warning("address guard refused the connection to %s: %s", request.url[:300], reason)
        raise AddressRefused(f"refused by the address guard when connecting: {reason}")
