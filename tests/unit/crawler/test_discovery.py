"""Discovery: robots sitemap lines, sitemaps, feeds, and how a portal classifies URLs."""

from __future__ import annotations

import gzip

import pytest

from crawler.discovery import sitemaps
from crawler.discovery.feeds import parse_feed
from crawler.portals import Portal

PORTAL = Portal.from_start_url("https://baoninhthuan.com.vn/")


def test_sitemaps_from_robots_are_absolute() -> None:
    robots = "User-agent: *\nDisallow: /tim-kiem/\nSitemap: /sitemap.xml\nsitemap: https://x.vn/news.xml\n"
    assert sitemaps.sitemaps_from_robots(robots, "https://x.vn/robots.txt") == [
        "https://x.vn/sitemap.xml",
        "https://x.vn/news.xml",
    ]


def test_sitemap_index_and_urlset_gzip() -> None:
    index = (
        b'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<sitemap><loc>https://x.vn/s1.xml</loc><lastmod>2024-04-12T08:30:00+07:00</lastmod></sitemap>"
        b"</sitemapindex>"
    )
    entries = sitemaps.parse_sitemap(index).entries
    assert entries == [sitemaps.SitemapEntry("https://x.vn/s1.xml", "2024-04-12T08:30:00+07:00", True)]
    urlset = (
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://x.vn/a-b-c-d-1234.html'
        b"</loc></url></urlset>"
    )
    assert [e.url for e in sitemaps.parse_sitemap(gzip.compress(urlset)).entries] == [
        "https://x.vn/a-b-c-d-1234.html"
    ]
    assert (
        sitemaps.parse_sitemap(b"<html><body>not a sitemap</body></html>").problem == "not a sitemap (<html>)"
    )
    assert sitemaps.parse_sitemap(b"\x1f\x8bbroken gzip").problem == "corrupt gzip"


def test_xml_bombs_and_external_entities_are_never_expanded() -> None:
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
        + b"".join(
            f'<!ENTITY a{i} "{("&a" + (str(i - 1) if i > 1 else "") + ";") * 10}">'.encode()
            for i in range(1, 10)
        )
        + b"]>"
    )
    xxe = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
    for prolog in (laughs, xxe):
        sitemap = sitemaps.parse_sitemap(
            prolog + b"<urlset><url><loc>https://x.vn/&a9;&e;</loc></url></urlset>"
        )
        feed = parse_feed(
            prolog + b"<rss><channel><item><link>https://x.vn/&a9;&e;</link></item></channel></rss>"
        )
        for url in [e.url for e in sitemap.entries] + [link for link, _ in feed.entries]:
            assert len(url) < 100 and "root:" not in url


def test_parse_rss_and_atom() -> None:
    rss = (
        b"<rss version='2.0'><channel><item><title>Tin</title><link>https://x.vn/tin-moi-nhat-hom-nay-1.html</link>"
        b"<pubDate>Fri, 12 Apr 2024 08:30:00 +0700</pubDate></item></channel></rss>"
    )
    assert parse_feed(rss).entries == [
        ("https://x.vn/tin-moi-nhat-hom-nay-1.html", "Fri, 12 Apr 2024 08:30:00 +0700")
    ]
    atom = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><link href="https://x.vn/a"/>'
        b"<published>2024-04-12T08:30:00+07:00</published></entry></feed>"
    )
    assert parse_feed(atom).entries == [("https://x.vn/a", "2024-04-12T08:30:00+07:00")]


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://baoninhthuan.com.vn/", "listing"),
        ("https://baoninhthuan.com.vn/thoi-su/", "listing"),
        ("https://baoninhthuan.com.vn/thoi-su/trang-2.html", "listing"),
        ("https://baoninhthuan.com.vn/chuyen-muc/kinh-te.htm?p=3", "listing"),
        ("https://baoninhthuan.com.vn/van-hoa-the-thao/", "listing"),
        ("https://baoninhthuan.com.vn/thoi-su/tinh-uy-so-ket-cong-tac-phong-chong-ma-tuy-12.html", "article"),
        ("https://www.baoninhthuan.com.vn/kinh-te/202404/mua-dua-bat-dau-vao-vu/", "article"),
        ("https://baoninhthuan.com.vn/tin-tuc/post153240.html", "article"),
        ("https://baoninhthuan.com.vn/xahoi/202404/le-hoi-bien-thanh-pho-nha-trang-67518/", "article"),
        ("https://baoninhthuan.com.vn/thoi-su/trang-12.html", "listing"),
        ("https://baoninhthuan.com.vn/thoi-su/page/1234/", "listing"),
        ("https://baoninhthuan.com.vn/uploads/anh-hoi-nghi-tinh-uy.jpg", "skip"),
        ("https://othersite.vn/thoi-su/tinh-uy-so-ket-cong-tac-12.html", "skip"),
    ],
)
def test_classify_url_by_shape(url: str, kind: str) -> None:
    assert PORTAL.classify(url) == kind


def test_registry_patterns_override_shape() -> None:
    portal = Portal(
        "p", "P", "https://p.vn/", article_url_pattern=r"^/bai/\d+$", listing_url_pattern=r"^/muc/"
    )
    assert portal.classify("https://p.vn/bai/12") == "article"
    assert portal.classify("https://p.vn/muc/kinh-te") == "listing"
    assert portal.classify("https://p.vn/mot-hai-ba-bon-nam.html") == "skip"
