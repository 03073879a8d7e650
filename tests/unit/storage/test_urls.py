"""One URL identity: canonical article URLs and site keys shared by discovery, spider and dedup."""

from __future__ import annotations

import pytest

from storage.urls import canonical_url, same_site, site_key

BASE = "https://baokhanhhoa.vn/xa-hoi/202404/le-hoi-yen-sao-khanh-hoa-8b3c1f2/"


@pytest.mark.parametrize(
    "variant",
    [
        BASE,
        BASE.rstrip("/"),
        BASE + "?utm_source=facebook&utm_medium=social",
        BASE + "#binh-luan",
        "https://www.baokhanhhoa.vn/xa-hoi/202404/le-hoi-yen-sao-khanh-hoa-8b3c1f2/",
        "https://m.baokhanhhoa.vn/xa-hoi/202404/le-hoi-yen-sao-khanh-hoa-8b3c1f2",
        "https://baokhanhhoa.vn/xa-hoi/202404/le-hoi-yen-sao-khanh-hoa-8b3c1f2/amp/",
        "HTTPS://BaoKhanhHoa.vn/xa-hoi/202404/le-hoi-yen-sao-khanh-hoa-8b3c1f2/?fbclid=abc&zarsrc=30",
    ],
)
def test_variants_share_one_canonical_url(variant: str) -> None:
    assert canonical_url(variant) == canonical_url(BASE)


def test_content_selecting_query_is_kept_and_sorted() -> None:
    assert canonical_url("https://x.vn/bai?id=5&utm_source=z&cat=2") == "https://x.vn/bai?cat=2&id=5"


def test_declared_canonical_wins_only_on_the_same_site() -> None:
    declared = "https://baokhanhhoa.vn/xa-hoi/bai-goc-123.html"
    assert canonical_url("https://baokhanhhoa.vn/print/123", declared) == declared
    syndicated_source = "https://baoninhthuan.com.vn/bai-goc-123.html"
    assert canonical_url("https://baokhanhhoa.vn/xa-hoi/ban-sao-456.html", syndicated_source) == (
        "https://baokhanhhoa.vn/xa-hoi/ban-sao-456.html"
    )


def test_port_is_kept_for_local_portals() -> None:
    assert canonical_url("http://127.0.0.2:8123/a/b/") == "http://127.0.0.2:8123/a/b"


@pytest.mark.parametrize(
    "variant",
    [
        "https://baokhanhhoa.vn/tin-tức/hội-nghị-123.html",
        "https://baokhanhhoa.vn/tin-t%E1%BB%A9c/h%E1%BB%99i-ngh%E1%BB%8B-123.html",
        "https://baokhanhhoa.vn/tin-t%e1%bb%a9c/h%e1%bb%99i-ngh%e1%bb%8b-123.html",
        "http://baokhanhhoa.vn/tin-tức/hội-nghị-123.html",
        "http://m.baokhanhhoa.vn:80/tin-tức/hội-nghị-123.html",
        "https://www.BAOKHANHHOA.vn:443/tin-tức/hội-nghị-123.html",
    ],
)
def test_encodings_schemes_and_editions_are_one_article(variant: str) -> None:
    assert (
        canonical_url(variant) == "https://baokhanhhoa.vn/tin-t%E1%BB%A9c/h%E1%BB%99i-ngh%E1%BB%8B-123.html"
    )


@pytest.mark.parametrize(
    "url",
    [
        BASE,
        "http://127.0.0.2:8123/tin-tức/a/?b=2&a=1",
        "https://x.vn/a?q=tin tức&fbclid=1",
        "https://amp.x.vn/a.amp.html",
        "https://x.vn",
        "https://x.vn/a%2Fb?x=%2F",
    ],
)
def test_canonicalisation_is_idempotent(url: str) -> None:
    once = canonical_url(url)
    assert canonical_url(once) == once


def test_an_explicit_port_keeps_its_scheme() -> None:
    # Two services on one port cannot both be the page: with a port, http and https stay apart.
    assert canonical_url("https://127.0.0.2:8123/a") != canonical_url("http://127.0.0.2:8123/a")


def test_malformed_urls_never_raise() -> None:
    assert canonical_url("http://[bad/") == "http://[bad/"
    assert canonical_url("https://x.vn/a", declared="http://[bad/") == "https://x.vn/a"
    assert site_key("http://[bad/") == "" and not same_site("http://[bad/", "http://[bad/")


def test_one_site_identity_for_discovery_spider_and_canonicalisation() -> None:
    from crawler.portals import Portal

    portal = Portal(key="khanhhoa", name="Báo Khánh Hòa", home_url="https://baokhanhhoa.vn/")
    mobile = "http://m.baokhanhhoa.vn/xa-hoi/le-hoi-yen-sao-khanh-hoa-nam-nay-dong-vui-12345.html"
    # Discovery follows the mobile link (same site) and canonicalisation folds it into the article.
    assert portal.classify(mobile) == "article"
    assert site_key(mobile) == portal.site == "baokhanhhoa.vn"
    assert canonical_url(mobile).startswith("https://baokhanhhoa.vn/")
    assert portal.classify("https://baokhanhhoa.vn.evil.example/xa-hoi/a-b-c-d-e-12345.html") == "skip"
