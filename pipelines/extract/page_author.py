"""trafilatura's author search in the page's elements (``trafilatura.metadata.extract_author``): one
walk of the tree for its five XPath expressions, and no copy of the tree unless one is needed.

trafilatura prunes a copy of the tree with two discard expressions, then asks three author expressions
in turn and takes the first match whose text is plausible. Four of the five are ``//*[...]`` with a
dozen attribute tests each, which libxml2 evaluates node by node, allocating a string per test. Over
the real pages of ../shared/data (slow machine, 2026-12-08): the three author expressions 15.9 ms of
CPU a page, one walk of the tree testing the same attributes in Python 3.5, with the same matches on
every page; the whole search 15.9 -> 4.8 ms a page, and 2.5 -> 0.5 on replica pages (most of which
have no candidate at all, so nothing is copied). read_metadata asks for it on every page whose meta
tags and JSON-LD name no author: a quarter of the real pages, most replica pages.

The tests are trafilatura's expressions (trafilatura.xpaths, 2.3.1) written as Python: the same
attributes compared the same way (``@x='v'`` is equality, ``contains`` a substring, ``re:test`` a
``re.search`` of the same pattern, which is what lxml's EXSLT ``re:test`` runs), the same element names,
document order. One test is not rewritten: ``rel='me'``, an element's child ``<rel>`` whose text is "me",
which pruning can change; a page holding a ``<rel>`` element anywhere gets trafilatura's own function.
The tests compare both on generated pages and on every element name with every attribute value.
"""

from __future__ import annotations

import re
from copy import deepcopy

from lxml.etree import XPath
from lxml.html import HtmlElement
from trafilatura.json_metadata import normalize_authors
from trafilatura.metadata import extract_author as trafilatura_extract_author
from trafilatura.utils import trim
from trafilatura.xml import delete_element

# The first discard expression's element names and attribute tests (AUTHOR_DISCARD_XPATHS[0]).
_DISCARD_TAGS = frozenset(("a", "div", "section", "span"))
_DISCARD_ID = re.compile("^comments|comment-?list|ProductReviews")
_DISCARD_CLASS = re.compile(
    "^[Cc]omments|commentlist|comments-list|sidebar|is-hidden|quote|embedly-instagram|article-(?:share|support)"
    "|print|category|meta-date|meta-reviewer"
)
# The second one (AUTHOR_DISCARD_XPATHS[1]), cheap as XPath: two element names, no attribute test.
_TIME_AND_FIGURES = XPath("//time|//figure")

# AUTHOR_XPATHS[0] ("specific and almost specific"), with ``|//author``.
_SPECIFIC_TAGS = frozenset(("a", "address", "div", "link", "p", "span", "strong"))
_SPECIFIC_CLASS = re.compile("author-?name|AuthorName|authorName")
# AUTHOR_XPATHS[1] ("almost generic and generic").
_GENERIC_TAGS = frozenset(("a", "div", "h3", "h4", "p", "span"))
_GENERIC_CLASSES = frozenset(("byline", "username", "byl", "BBL"))
_GENERIC_ID = re.compile("author|zuozhe|bianji|xiaobian")
_GENERIC_CLASS = re.compile(
    "author|channel-name|zuozhe|bianji|xiaobian|submitted-by|posted-by|journalist-name"
)
# AUTHOR_XPATHS[2] ("last resort: any element").
_ANY_ID = re.compile("[Aa]uthor")
_ANY_CLASS = re.compile("[Aa]uthor|screenname|writer|[Bb]yline")
# Every class and id any of the three selects matches one of these: the union of their patterns and of
# the values compared whole (id "author" is in [Aa]uthor).
_CLASS_PATTERNS = (_SPECIFIC_CLASS.pattern, _GENERIC_CLASS.pattern, _ANY_CLASS.pattern)
_CLASS_HINT = re.compile("|".join((*_CLASS_PATTERNS, "author", *sorted(_GENERIC_CLASSES))))
_ID_HINT = re.compile("|".join((_GENERIC_ID.pattern, _ANY_ID.pattern)))
# The other attributes the tests read (besides class, id and itemprop).
_OTHER_ATTRIBUTES = ("rel", "data-testid", "data-component")
# extract_author's len_limit for extract_metainfo.
_MAX_AUTHOR_CHARS = 120


def extract_author(tree: HtmlElement) -> str | None:
    """Return ``trafilatura.metadata.extract_author(tree)``; reads ``tree``, never changes it.

    trafilatura searches a pruned copy. Pruning only deletes elements and leaves the others' attributes
    as they were, so what the author tests select in the copy is what they select in ``tree`` less the
    deleted elements; and the text of an element none of whose descendants is deleted is the same in
    both (a deleted element's tail goes to its previous sibling's tail or its parent's text: inside the
    element when the deleted one is, else outside its text). So the candidates are read in ``tree`` and
    the copy is made only when a candidate that would be read holds a deleted element. Without any
    candidate (most pages that get here) nothing is copied or deleted.
    """
    if tree.find(".//rel") is not None:
        return trafilatura_extract_author(tree)
    candidates = _candidates(tree)
    if not any(candidates):
        return None
    # What pruning deletes, subtrees included, and what holds a deleted element: each in one walk of
    # the elements concerned (a page of many candidates deep in the tree must not cost a walk up from
    # each; each list is in document order, so an element inside one already taken is skipped).
    deleted: set[HtmlElement] = set()
    for expression in (_discarded, _TIME_AND_FIGURES):
        for element in expression(tree):
            if element not in deleted:
                deleted.update(element.iter())
    holding_deleted: set[HtmlElement] = set()
    for element in deleted:
        for ancestor in element.iterancestors():
            if ancestor in holding_deleted:
                break
            holding_deleted.add(ancestor)
    for group in candidates:
        for element in group:
            if element in deleted:
                continue  # not in the pruned copy
            if element in holding_deleted:
                return _author_in_pruned_copy(tree)  # its text is not the same there
            author = _plausible(element)
            if author:
                return normalize_authors(None, author)
    return None


def _author_in_pruned_copy(tree: HtmlElement) -> str | None:
    """trafilatura's road: prune a copy (AUTHOR_DISCARD_XPATHS, as prune_unwanted_nodes: each
    expression's matches listed first, then deleted in document order, tails kept) and search it."""
    subtree = deepcopy(tree)
    for element in _discarded(subtree):
        delete_element(element)
    for element in _TIME_AND_FIGURES(subtree):
        delete_element(element)
    for group in _candidates(subtree):
        for element in group:
            author = _plausible(element)
            if author:
                return normalize_authors(None, author)
    return None


def _plausible(element: HtmlElement) -> str | None:
    """The element's text as extract_metainfo takes it, if it is plausibly a name (by its length)."""
    content = trim(" ".join(element.itertext()))
    return content if content and 2 < len(content) < _MAX_AUTHOR_CHARS else None


def _discarded(tree: HtmlElement) -> list[HtmlElement]:
    """What AUTHOR_DISCARD_XPATHS[0] selects in ``tree``, in document order."""
    discarded = []
    for element in tree.iterdescendants():  # ".//*": the root itself is never discarded
        tag = element.tag
        if tag not in _DISCARD_TAGS:  # a comment's or an entity's tag is a function: never in the set
            continue
        attributes = element.attrib
        if not attributes:
            continue
        ident, cls = attributes.get("id", ""), attributes.get("class", "")
        if (
            ident == "comments"
            or cls in ("comments", "title", "date")
            or _DISCARD_ID.search(ident)
            or _DISCARD_CLASS.search(cls)
            or "Figure" in attributes.get("data-component", "")
        ):
            discarded.append(element)
    return discarded


def _candidates(tree: HtmlElement) -> tuple[list[HtmlElement], list[HtmlElement], list[HtmlElement]]:
    """The elements each of the three AUTHOR_XPATHS selects in ``tree`` (no ``<rel>`` in it), in
    document order."""
    specific: list[HtmlElement] = []
    generic: list[HtmlElement] = []
    last_resort: list[HtmlElement] = []
    for element in tree.iter():  # "//*": the root included
        tag = element.tag
        if not isinstance(tag, str):  # comments, processing instructions, entities
            continue
        attributes = element.attrib
        if not attributes:
            if tag == "author":
                specific.append(element)
            continue
        cls, ident = attributes.get("class", ""), attributes.get("id", "")
        # Most elements have a class or id no test can select: one search each decides that.
        class_hint = bool(cls) and _CLASS_HINT.search(cls) is not None
        id_hint = bool(ident) and _ID_HINT.search(ident) is not None
        itemprop = attributes.get("itemprop", "")
        if not (class_hint or id_hint or itemprop or tag == "author") and all(
            attributes.get(name) is None for name in _OTHER_ATTRIBUTES
        ):
            continue
        if tag == "author" or (
            tag in _SPECIFIC_TAGS
            and (
                attributes.get("rel") == "author"
                or ident == "author"
                or cls == "author"
                or itemprop == "author name"
                or attributes.get("data-testid") in ("AuthorCard", "AuthorURL")
                or (class_hint and _SPECIFIC_CLASS.search(cls) is not None)
            )
        ):
            specific.append(element)
        if tag in _GENERIC_TAGS and (
            cls in _GENERIC_CLASSES
            or "author" in itemprop
            or (id_hint and _GENERIC_ID.search(ident) is not None)
            or (class_hint and _GENERIC_CLASS.search(cls) is not None)
        ):
            generic.append(element)
        if (
            "Byline" in attributes.get("data-component", "")
            or "author" in itemprop
            or (id_hint and _ANY_ID.search(ident) is not None)
            or (class_hint and _ANY_CLASS.search(cls) is not None)
        ):
            last_resort.append(element)
    return specific, generic, last_resort
