"""Canonical URLs make one article one row."""

from __future__ import annotations

import pytest

from pipelines.canonical import canonical_url

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
