"""page_author.extract_author is trafilatura's extract_author on any page, and leaves the page as it was."""

from __future__ import annotations

import lxml.html
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from trafilatura.metadata import extract_author as trafilatura_extract_author

from pipelines.extract import page_author
from pipelines.extract.markup import parse_markup

# Values that select, nearly select or discard: trafilatura's patterns, their parts and neighbours.
CLASSES = [
    "author", "author-name", "authorname", "AuthorName", "authorName", "Author", "xauthorx", "byline",
    "Byline", "byl", "BBL", "username", "screenname", "writer", "channel-name", "submitted-by",
    "posted-by", "journalist-name", "zuozhe", "bianji", "xiaobian", "comments", "Comments-box",
    "comments-list", "commentlist", "x-comments", "title", "date", "sidebar", "is-hidden", "quote",
    "embedly-instagram", "article-share", "article-support", "print", "category", "meta-date",
    "meta-reviewer", "tin-tuc", "tac-gia", "auth", "", "author byline",
]  # fmt: skip
IDS = [
    "author", "Author", "post-author", "zuozhe", "bianji", "xiaobian", "comments", "comments-1",
    "commentlist", "comment-list", "ProductReviews", "main", "", "AUTHOR",
]  # fmt: skip
ATTRIBUTES = {
    "class": CLASSES,
    "id": IDS,
    "itemprop": ["author", "author name", "name", "authorName", ""],
    "rel": ["author", "me", "nofollow"],
    "data-testid": ["AuthorCard", "AuthorURL", "Card"],
    "data-component": ["Byline", "Figure", "FigureCaption", "Text"],
}
TAGS = [
    "a", "address", "div", "link", "p", "span", "strong", "h3", "h4", "section", "time", "figure",
    "author", "rel", "b", "li", "em",
]  # fmt: skip
TEXTS = ["", " ", "me", "Phạm Minh Đức", "Theo TTXVN", "An", "Ảnh: Lê Văn Cường", "x" * 130, "\n Trần  Bình"]

texts = st.sampled_from(TEXTS)


@st.composite
def attribute_maps(draw: st.DrawFn) -> str:
    names = draw(st.lists(st.sampled_from(sorted(ATTRIBUTES)), max_size=3, unique=True))
    return "".join(f' {name}="{draw(st.sampled_from(ATTRIBUTES[name]))}"' for name in names)


def elements(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.builds(
        lambda tag, attrs, text, inner, tail: f"<{tag}{attrs}>{text}{inner}</{tag}>{tail}",
        st.sampled_from(TAGS),
        attribute_maps(),
        texts,
        st.lists(children, max_size=4).map("".join),
        texts,
    )


bodies = st.recursive(st.builds(lambda text: text, texts), elements, max_leaves=30)


def _tree(body: str) -> lxml.html.HtmlElement:
    tree = parse_markup(f"<html><head><title>t</title></head><body>{body}</body></html>")
    assert tree is not None
    return tree


@settings(max_examples=250, deadline=None)
@given(st.lists(bodies, min_size=1, max_size=4).map("".join))
def test_the_author_is_trafilaturas_and_the_tree_is_untouched(body: str) -> None:
    tree = _tree(body)
    before = etree.tostring(tree)
    assert page_author.extract_author(tree) == trafilatura_extract_author(tree)
    assert etree.tostring(tree) == before


def test_each_tag_and_attribute_value_alone() -> None:
    """Every element name with every attribute value, one element a page, also inside a discarded
    comment block: the generated pages rarely leave one selector alone to decide."""
    for tag in TAGS:
        for name, values in ATTRIBUTES.items():
            for value in values:
                element = f'<{tag} {name}="{value}">Phạm Minh Đức</{tag}>'
                for body in (element, f'<div class="comments">{element}</div>', f"<b>{element}</b>"):
                    tree = _tree(body)
                    assert page_author.extract_author(tree) == trafilatura_extract_author(tree), body


def test_each_container_tag_and_attribute_value() -> None:
    """A candidate inside every element name with every attribute value, another after it: what the
    discard expressions remove, exhaustively."""
    for tag in TAGS:
        for name, values in ATTRIBUTES.items():
            for value in values:
                body = (
                    f'<{tag} {name}="{value}"><span class="author">Phạm Minh Đức</span> tail</{tag}>'
                    '<p class="byline">Trần Bình</p>'
                )
                tree = _tree(body)
                assert page_author.extract_author(tree) == trafilatura_extract_author(tree), body


PAGES = {
    # The first plausible candidate, in the order of trafilatura's three expressions.
    "specific before generic": (
        '<p class="byline">Lê Văn Cường</p><span class="author">Phạm Minh Đức</span>',
        "Phạm Minh Đức",
    ),
    # A candidate inside a discarded comment list is not in the pruned copy: the next one is taken.
    "inside a discarded element": (
        '<div class="comments"><span class="author">Độc giả A</span></div><p class="byline">Trần Bình</p>',
        "Trần Bình",
    ),
    # A candidate holding a discarded element: its text loses that element and takes its tail, as in
    # trafilatura's pruned copy ("Trần" + tail), so the copy is searched.
    "holding a discarded element": (
        '<div class="author">Trần<time>10:05</time> Bình</div>',
        None,
    ),
    # <rel> anywhere: trafilatura's own function (its "rel='me'" test reads a child's text).
    "a rel element": ('<a rel="author"><rel>me</rel>Nguyễn An</a>', None),
    "nothing": ("<p>Ủy ban nhân dân tỉnh họp.</p>", None),
}


@pytest.mark.parametrize("name", sorted(PAGES))
def test_pages(name: str) -> None:
    body, expected = PAGES[name]
    tree = _tree(body)
    found = page_author.extract_author(tree)
    assert found == trafilatura_extract_author(tree)
    if expected is not None:
        assert found == expected


# Shapes a hostile page can take, smaller than it would send: trafilatura's answer at each.
HOSTILE = {
    "candidates deep down": "<div>" * 200 + '<span class="author"> </span>' * 2000 + "</div>" * 200,
    "nested candidates": '<div class="author">x' * 2000 + "</div>" * 2000,
    "a candidate holding many pruned": '<span class="author">' + "<time>1</time>a" * 2000 + "</span>",
    "candidates in pruned blocks": '<div class="comments"><span class="author">Lê An</span></div>' * 2000,
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_shapes(name: str) -> None:
    tree = _tree(HOSTILE[name])
    assert page_author.extract_author(tree) == trafilatura_extract_author(tree)


def test_the_copy_is_searched_only_when_pruning_changes_a_candidate(monkeypatch: pytest.MonkeyPatch) -> None:
    copies: list[object] = []
    search = page_author._author_in_pruned_copy

    def counted(tree: lxml.html.HtmlElement) -> str | None:
        copies.append(tree)
        return search(tree)

    monkeypatch.setattr(page_author, "_author_in_pruned_copy", counted)
    for name in ("specific before generic", "inside a discarded element", "nothing"):
        page_author.extract_author(_tree(PAGES[name][0]))
    assert copies == []
    tree = _tree(PAGES["holding a discarded element"][0])
    assert page_author.extract_author(tree) == trafilatura_extract_author(tree) == "Trần Bình"
    assert len(copies) == 1
