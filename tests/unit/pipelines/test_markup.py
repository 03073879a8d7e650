"""parse_markup parses a page as trafilatura.load_html does a string, with plain HtmlElement classes."""

from __future__ import annotations

from copy import deepcopy

import lxml.html
import pytest
import trafilatura
from lxml import etree

from pipelines.extract.markup import parse_markup

PAGES = {
    "document": "<!DOCTYPE html><html><head><title>Tin</title></head><body><p>Một đoạn.</p>"
    "<form action='/tim'><input name='q'><select name='s'><option>1</option></select></form></body></html>",
    "declared encoding": "<?xml version='1.0' encoding='utf-8'?>"
    "<html><body><p>Đã khai báo.</p></body></html>",
    "fragment": "<div><p>Hai</p><p>đoạn</p></div>",
    "body only": "<body><article><h1>Tiêu đề</h1><p>Nội dung bài viết.</p></article></body>",
    "faulty html tag": "<html/>\n<body><p>Sửa thẻ html.</p></body>",
    "comments and instructions": "<html><body><!-- bỏ --><?php x ?><p>Giữ.</p></body></html>",
}


def _shape(tree: lxml.html.HtmlElement | None) -> str | None:
    return None if tree is None else etree.tostring(tree, encoding="unicode")


@pytest.mark.parametrize("name", sorted(PAGES))
def test_the_tree_is_the_one_trafilatura_would_parse(name: str) -> None:
    markup = PAGES[name]
    assert _shape(parse_markup(markup)) == _shape(trafilatura.load_html(markup))


@pytest.mark.parametrize("text", ["", "   ", "plain words, no markup at all", "<p>one block</p>"])
def test_what_trafilatura_refuses_is_refused(text: str) -> None:
    assert trafilatura.load_html(text) is None
    assert parse_markup(text) is None


def test_every_element_is_a_plain_html_element_with_its_methods() -> None:
    tree = parse_markup(PAGES["document"])
    assert tree is not None
    # lxml.html's own parser would make FormElement, InputElement and SelectElement here.
    assert {type(element) for element in tree.iter()} == {lxml.html.HtmlElement}
    assert tree.find(".//p").text_content() == "Một đoạn."
    copy = lxml.html.fromstring(etree.tostring(tree))  # a copy made by lxml's default parser differs ...
    assert type(copy.find(".//form")) is lxml.html.FormElement
    assert type(deepcopy(tree).find(".//form")) is lxml.html.HtmlElement  # ... a deep copy keeps ours
