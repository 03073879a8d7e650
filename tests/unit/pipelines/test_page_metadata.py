"""read_metadata gives trafilatura's metadata for the fields extraction reads, without its date search."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from trafilatura import json_metadata
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
    # JSON-LD that does not parse, its authors found by pattern: two, then a one-word name that ends
    # trafilatura's search (the last person is never reached), in a block repeated to 60 persons.
    "broken json-ld, many persons": (
        "<html><head><script type='application/ld+json'>"
        '{"@type": "LiveBlogPosting", "headline": "Trực tiếp: bão số 3",'
        + ' "liveBlogUpdate": ['
        + ", ".join(
            f'{{"author": {{"@type": "Person", "name": "{name}"}}, "articleBody": "Cập nhật {i}"}}'
            for i, name in enumerate(["Lê Văn An", "Trần Bình Minh"] * 29 + ["admin", "Phạm Đức Anh"])
        )
        + "],,}"
        f"</script></head><body>{BODY}</body></html>"
    ),
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
    assert found["broken json-ld, many persons"].author == "Lê Văn An; Trần Bình Minh"


# Pieces of JSON-LD, broken or not, that the author patterns react to: their literals, the characters
# that end or quote their parts, names with and without a space, and the objects removed before them.
_PIECES = [
    '"author"', '"author":', '"Person"', '"person"', '"name"', '"names"', '"nam"', '"name\\":', ": ", ":",
    '"', "{", "}", "[", "]", ",", "\\", " ", "Lê Văn An", "Bình", "Trần Thị Mai", "x",
    '"@type":"ImageObject",', '{"@type":"Organization","name":"Báo Lào Cai"}',
]  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=40).map("".join))
def test_the_linear_author_search_finds_what_trafilaturas_finds(text: str) -> None:
    for expression in (json_metadata.JSON_AUTHOR_1, json_metadata.JSON_AUTHOR_2):
        assert page_metadata._json_author(text, expression) == json_metadata.extract_json_author(
            text, expression
        )


def test_only_the_person_pattern_is_read_in_one_pass() -> None:
    # A counter-example found by fuzzing: JSON_AUTHOR_1's first match (its first branch, from the
    # second "author", at 7) cut out, its second branch matches from 0, before where the cut was.
    # Searching on after the match finds nothing more; trafilatura finds " B".
    text = '"author"author":""nam":"} """name"x" B'
    assert [match.span() for match in json_metadata.JSON_AUTHOR_1.finditer(text)] == [(7, 26)]
    assert json_metadata.extract_json_author(text, json_metadata.JSON_AUTHOR_1) == "B"
    assert page_metadata._json_author(text, json_metadata.JSON_AUTHOR_1) == "B"
    assert json_metadata.JSON_AUTHOR_2.pattern == page_metadata._ONE_PASS_EXPRESSION


# JSON-LD text as portals write it: escapes of every kind, an emoji escaped as two surrogate halves or
# one half alone, entities, tags, lone surrogates already decoded, whitespace.
JSON_PIECES = (
    '"headline": "', "Khánh Hòa", "\\u1ea1", "\\u00e9", "\\ud83d\\ude00", "\\ud83d", "\\ude00", "\\n",
    "\\r", "\\t", "\\\\", "\\", "&amp;", "&#7841;", "<b>", "</b>", "\ud800", "\udfff", "  ", '"', "x",
)  # fmt: skip


@given(st.lists(st.sampled_from(JSON_PIECES) | st.text(max_size=3), max_size=30))
def test_normalize_json_is_trafilaturas(pieces: list[str]) -> None:
    text = "".join(pieces)
    assert page_metadata.normalize_json(text) == json_metadata.normalize_json(text)
