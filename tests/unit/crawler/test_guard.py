"""The address guard: only http(s), only public addresses or the crawl's own portals."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from scrapy import Request
from scrapy.exceptions import CannotResolveHostError
from scrapy.utils.test import get_crawler
from twisted.internet.address import IPv4Address

from crawler.safety import guard
from crawler.safety.guard import (
    AddressGuardMiddleware,
    AddressRefused,
    ConnectRefusalMiddleware,
    GuardedResolver,
    check_url,
    connect_refusal,
    refusal,
)
from crawler.spiders.portal import PortalSpider


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("127.0.0.9", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.5", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),  # cloud metadata
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("::1", "loopback"),
        ("fe80::1", "link-local"),
        ("fd00::1", "unique-local"),
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped
        ("::ffff:10.0.0.1", "private"),
        ("::", "unspecified"),
    ],
)
def test_non_public_addresses_are_refused(address: str, kind: str) -> None:
    reason = refusal(address)
    assert reason is not None and kind in reason


@pytest.mark.parametrize("address", ["8.8.8.8", "203.113.131.1", "2001:4860:4860::8888"])
def test_public_addresses_pass(address: str) -> None:
    assert refusal(address) is None


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("file:///etc/passwd", "scheme 'file'"),
        ("ftp://example.com/x", "scheme 'ftp'"),
        ("data:text/html,<p>x</p>", "scheme 'data'"),
        ("http:///nohost", "no host"),
        ("http://127.0.0.1:5432/", "loopback"),
        ("http://[::1]/", "loopback"),
        ("http://[bad/", "malformed URL"),
    ],
)
def test_urls_refused_before_resolution(url: str, reason: str) -> None:
    _, problem = check_url(url)
    assert problem is not None and reason in problem


def _middleware(home: str = "http://127.0.0.2:8651/", **settings: object) -> AddressGuardMiddleware:
    crawler = get_crawler(PortalSpider, settings)
    crawler.stats.open_spider()
    middleware = AddressGuardMiddleware.from_crawler(crawler)
    spider = PortalSpider.from_crawler(crawler, start_urls=home)
    middleware.spider_opened(spider)
    return middleware


@pytest.fixture(autouse=True)
def _fresh_allow_list() -> None:
    guard._allowed_endpoints.clear()
    guard._allowed_any_port.clear()
    guard._connect_refusals.clear()


def test_the_portals_own_private_host_is_allowed_its_neighbours_are_not() -> None:
    middleware = _middleware()
    asyncio.run(middleware.process_request(Request("http://127.0.0.2:8651/tin/a.html")))
    for url in ("http://127.0.0.9:8651/admin", "http://127.0.0.2:5432/", "http://localhost:8651/"):
        with pytest.raises(AddressRefused, match="refused by the address guard"):
            asyncio.run(middleware.process_request(Request(url, meta={"via": "listing"})))
    assert middleware.stats.get_value("guard/refused") == 3


def test_operator_listed_private_hosts_are_allowed() -> None:
    middleware = _middleware(NEWSARCHIVE_ALLOWED_PRIVATE_HOSTS=["127.0.0.7:9000", "intranet.local"])
    asyncio.run(middleware.process_request(Request("http://127.0.0.7:9000/a")))
    with pytest.raises(AddressRefused):
        asyncio.run(middleware.process_request(Request("http://127.0.0.7:9001/a")))


def test_a_name_resolving_to_a_private_address_is_refused() -> None:
    middleware = _middleware()
    with pytest.raises(AddressRefused, match="localhost resolves to 127.0.0.1 is a loopback address"):
        asyncio.run(middleware.process_request(Request("http://localhost/")))


def _refused(middleware: AddressGuardMiddleware, url: str) -> bool:
    try:
        asyncio.run(middleware.process_request(Request(url, meta={"via": "listing"})))
    except AddressRefused:
        return True
    return False


def test_a_portal_without_a_port_is_allowed_on_its_schemes_default_port_only() -> None:
    # The SSRF of issue 21: a port-less portal on 127.0.0.23 exempted every port of its host.
    middleware = _middleware("http://127.0.0.23/")
    assert not _refused(middleware, "http://127.0.0.23/tin/a.html")
    assert not _refused(middleware, "http://127.0.0.23:80/tin/a.html")
    assert _refused(middleware, "http://127.0.0.23:18021/admin")
    assert _refused(middleware, "https://127.0.0.23/tin/a.html")  # port 443: not what was registered


def test_a_portal_named_by_host_allows_that_name_and_port_only() -> None:
    # localhost resolves to 127.0.0.1: the name is allowed on its registered port, not on another one.
    middleware = _middleware("http://localhost:8651/")
    assert not _refused(middleware, "http://localhost:8651/tin/a.html")
    assert _refused(middleware, "http://localhost:5432/")
    assert _refused(middleware, "http://127.0.0.1:8651/")  # its address is not its name


def test_connections_are_judged_by_name_address_and_port() -> None:
    guard.allow_portal("http://portal.internal:8080/")
    guard.allow_private(["10.9.9.9:6000", "intranet.local", "[fd00::5]:443"])
    # The portal's own name on its own port may be private; its editions and other ports may not.
    assert connect_refusal("portal.internal", "10.0.0.5", 8080) is None
    assert connect_refusal("m.portal.internal", "10.0.0.5", 8080) == (
        "m.portal.internal resolves to 10.0.0.5 is a private address"
    )
    assert connect_refusal("www.portal.internal", "127.0.0.1", 8080) is not None
    assert connect_refusal("portal.internal", "10.0.0.5", 6379) is not None
    # An allowed address is allowed whatever name led to it, on its port only.
    assert connect_refusal("cdn.example", "10.9.9.9", 6000) is None
    assert connect_refusal("cdn.example", "10.9.9.9", 6001) is not None
    # The operator's bare host: any port. IPv6 with a port.
    assert connect_refusal("intranet.local", "192.168.1.4", 1234) is None
    assert connect_refusal("v6.example", "fd00::5", 443) is None
    assert connect_refusal("v6.example", "fd00::5", 80) is not None
    # Public addresses pass; a literal is named once.
    assert connect_refusal("example.com", "93.184.216.34", 80) is None
    assert connect_refusal("127.0.0.9", "127.0.0.9", 80) == "127.0.0.9 is a loopback address"


class _FakeNames:
    """A reactor name resolver answering every name with fixed addresses."""

    def __init__(self, *addresses: str) -> None:
        self.addresses = addresses

    def resolveHostName(self, receiver: Any, name: str, port: int = 0, *rest: Any) -> Any:  # noqa: N802
        receiver.resolutionBegan(None)
        for address in self.addresses:
            receiver.addressResolved(IPv4Address("TCP", address, port))
        receiver.resolutionComplete()
        return receiver


class _Receiver:
    def __init__(self) -> None:
        self.addresses: list[str] = []
        self.complete = False

    def resolutionBegan(self, resolution: Any) -> None:  # noqa: N802
        pass

    def addressResolved(self, address: Any) -> None:  # noqa: N802
        self.addresses.append(address.host)

    def resolutionComplete(self) -> None:  # noqa: N802
        self.complete = True


def _resolve(addresses: tuple[str, ...], name: str, port: int) -> list[str]:
    reactor = type("Reactor", (), {"nameResolver": _FakeNames(*addresses)})()
    receiver = _Receiver()
    GuardedResolver(reactor, cache_size=0).resolveHostName(receiver, name, port)
    assert receiver.complete
    return receiver.addresses


def test_the_resolver_refuses_a_rebound_name_and_the_refusal_is_recorded_not_retried() -> None:
    guard.allow_portal("http://portal.internal:8080/")
    assert _resolve(("10.0.0.5",), "portal.internal", 8080) == ["10.0.0.5"]
    # Rebinding after the request check: the connection gets no address, the reason is kept.
    assert _resolve(("93.184.216.34", "10.0.0.5"), "evil.example", 80) == ["93.184.216.34"]
    assert _resolve(("10.0.0.5",), "m.portal.internal", 8080) == []
    crawler = get_crawler(PortalSpider)
    crawler.stats.open_spider()
    middleware = ConnectRefusalMiddleware.from_crawler(crawler)
    request = Request("http://m.portal.internal:8080/tin/a.html")
    with pytest.raises(AddressRefused) as refused:
        middleware.process_exception(request, CannotResolveHostError("no results for hostname lookup"))
    assert str(refused.value) == (
        "refused by the address guard when connecting: m.portal.internal resolves to 10.0.0.5 is a "
        "private address"
    )
    assert crawler.stats.get_value("guard/refused/connect") == 1
    # An ordinary lookup failure stays what it is (and is retried by Scrapy).
    other = Request("http://nowhere.example/")
    middleware.process_exception(other, CannotResolveHostError("no results"))  # raises nothing
    assert crawler.stats.get_value("guard/refused/connect") == 1


def test_only_http_download_handlers_are_enabled() -> None:
    from scrapy.utils.project import get_project_settings

    handlers = get_project_settings().getdict("DOWNLOAD_HANDLERS")
    assert {
        scheme: handlers.get(scheme, "enabled") for scheme in ("file", "data", "s3", "ftp")
    } == dict.fromkeys(("file", "data", "s3", "ftp"))


def test_the_crawl_opens_no_listening_console() -> None:
    # Telnet and Scrapy 2.19's remote control both run Python sent to a local port.
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    assert settings.getbool("TELNETCONSOLE_ENABLED") is False
    assert settings.getbool("REMOTE_CONTROL_ENABLED") is False
