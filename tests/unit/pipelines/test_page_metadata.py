"""read_metadata gives trafilatura's metadata for the fields extraction reads, without its date search."""

from __future__ import annotations

import pytest
from lxml import etree
from trafilatura import metadata as trafilatura_metadata

from pipelines.extract import page_metadata
from pipelines.extract.markup import parse_markup
from pipelines.extract.page_metadata import read_metadata

URL = "https://baoninhthuan.com.vn/tin/bai-viet-1.html"
BODY = "<p>Sáng 5/3, Ủy ban nhân dân tỉnh Ninh Thuận tổ chức hội nghị sơ kết công tác quý I.</p>"
PAGES = {
    "meta tags": (
        "<html><head><title>Hội nghị sơ kết - Báo Ninh Thuận</title>"
        "<meta property='og:title' content='Hội nghị sơ kết quý I'>"
        "<meta name='author' content='Nguyễn Văn An'>"
        "<meta property='og:site_name' content='@baoninhthuan'>"
        "<meta property='og:image' content='/anh/hoi-nghi.jpg'>"
        "<link rel='canonical' href='/tin/bai-viet-1.html'>"
        "<meta property='og:url' content='https://baoninhthuan.com.vn/'>"
        "<meta property='article:section' content='Thời sự'>"
        f"</head><body><article>{BODY}</article></body></html>"
    ),
    "json-ld": (
        "<html><head><title>Tin</title><script type='application/ld+json'>"
        '{"@context": "https://schema.org", "@type": "NewsArticle", "headline": "Khánh Hòa đón khách",'
        ' "author": {"@type": "Person", "name": "Trần Thị B\\u00ecnh"}, "articleSection": "Du lịch",'
        ' "keywords": "du lịch, Khánh Hòa", "publisher": {"@type": "Organization", "name": "Báo Khánh Hòa"},'
        ' "image": "https://baokhanhhoa.vn/a.jpg"}'
        f"</script></head><body>{BODY}</body></html>"
    ),
    "broken json-ld": (
        "<html><head><script type='application/ld+json'>"
        '{"@type": "NewsArticle", "headline": "Lào Cai mưa lớn", "author": {"@type": "Person",'
        ' "name": "Lê Văn Cường"}, "articleSection": "Thời tiết", "publisher": {"name": "Báo Lào Cai"},,}'
        f"</script></head><body>{BODY}</body></html>"
    ),
    "links only": (
        "<html><head><title>Một tiêu đề | baolaocai.vn</title></head><body>"
        "<h1>Tiêu đề duy nhất</h1><div class='author'>Phạm Minh Đức</div>"
        "<div class='tags'><a href='/tag/lao-cai/' rel='tag'>Lào Cai</a><a href='/tags/mua/'>Mưa</a></div>"
        "<div class='postmeta'><a href='/category/xa-hoi/' rel='category tag'>Xã hội</a></div>"
        f"{BODY}</body></html>"
    ),
    "one-word author, no title": (
        f"<html><head><meta name='author' content='admin'></head><body>{BODY}<h2>Phụ đề</h2></body></html>"
    ),
    "nothing": f"<html><body>{BODY}</body></html>",
}


@pytest.mark.parametrize("name", sorted(PAGES))
def test_the_fields_are_trafilaturas(name: str) -> None:
    tree = parse_markup(PAGES[name])
    assert tree is not None
    theirs = trafilatura_metadata.extract_metadata(tree, URL)
    before = etree.tostring(tree)
    ours = read_metadata(tree, URL)
    assert (ours.title, ours.author, ours.url, ours.sitename, ours.image) == (
        theirs.title,
        theirs.author,
        theirs.url,
        theirs.sitename,
        theirs.image,
    )
    assert ours.categories() == list(theirs.categories or [])
    assert ours.tags() == list(theirs.tags or [])
    assert etree.tostring(tree) == before  # read only: extraction goes on with this tree


def test_the_pages_cover_each_source_of_a_field() -> None:
    # Each fixture must exercise what it is named for, or the comparison above proves little.
    found = {
        name: trafilatura_metadata.extract_metadata(parse_markup(page), URL) for name, page in PAGES.items()
    }
    assert found["json-ld"].author == "Trần Thị Bình" and found["json-ld"].categories == ["Du lịch"]
    assert found["broken json-ld"].title == "Lào Cai mưa lớn" and found["broken json-ld"].author
    assert found["links only"].tags and found["links only"].categories and found["links only"].author
    assert found["meta tags"].sitename == "Baoninhthuan" and found["meta tags"].categories == ["Thời sự"]
    assert found["one-word author, no title"].author is None and found["one-word author, no title"].title
    assert found["nothing"].sitename == "baoninhthuan.com.vn"


def test_no_date_or_licence_is_searched_and_links_only_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    # Extraction dates pages itself (pipelines.extract.page_dates) and archives no licence: htmldate's
    # search and the licence's were paid for nothing. Category and tag links are read only when the
    # page's own meta tags, which extraction prefers, name none.
    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("searched")

    monkeypatch.setattr(trafilatura_metadata, "find_date", refuse)
    monkeypatch.setattr(trafilatura_metadata, "extract_license", refuse)
    monkeypatch.setattr(page_metadata, "extract_catstags", refuse)
    metadata = read_metadata(parse_markup(PAGES["links only"]), URL)
    assert metadata.title == "Tiêu đề duy nhất"
    with pytest.raises(AssertionError, match="searched"):
        metadata.tags()
