"""The address guard: only http(s), only public addresses or the crawl's own portals."""

from __future__ import annotations

import asyncio

import pytest
from scrapy import Request
from scrapy.utils.test import get_crawler
from twisted.internet.error import DNSLookupError

from crawler.safety import guard
from crawler.safety.guard import AddressGuardMiddleware, AddressRefused, GuardedResolver, check_url, refusal
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


def _middleware(**settings: object) -> AddressGuardMiddleware:
    crawler = get_crawler(PortalSpider, settings)
    crawler.stats.open_spider()
    middleware = AddressGuardMiddleware.from_crawler(crawler)
    spider = PortalSpider.from_crawler(crawler, start_urls="http://127.0.0.2:8651/")
    middleware.spider_opened(spider)
    return middleware


@pytest.fixture(autouse=True)
def _fresh_allow_list() -> None:
    guard._allowed_private.clear()
    guard._allowed_names.clear()


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


def test_the_resolver_refuses_a_name_that_rebinds_to_a_private_address() -> None:
    guard.allow_private(["portal.internal:8080"])
    with pytest.raises(DNSLookupError, match="evil.example resolves to 127.0.0.1"):
        GuardedResolver._checked("127.0.0.1", "evil.example")
    assert GuardedResolver._checked("127.0.0.1", "portal.internal") == "127.0.0.1"
    assert GuardedResolver._checked("93.184.216.34", "example.com") == "93.184.216.34"
    assert (
        GuardedResolver._checked("127.0.0.2", "127.0.0.2") == "127.0.0.2"
    )  # a literal: judged with its port


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
