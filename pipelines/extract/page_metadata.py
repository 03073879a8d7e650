"""trafilatura's metadata of a page, for the fields extraction reads, without the work it does not read.

``trafilatura.bare_extraction(with_metadata=True)`` runs ``extract_metadata``, which also asks htmldate
for a date (ours is ``page_dates.find_dates``), searches the page for a licence (not archived) and looks
categories and tags up by XPath where JSON-LD gave none, even on pages whose own meta tags, which
extraction prefers, name them. Over the real pages of ../shared/data, ``extract_metadata`` took 8.9 ms of
CPU a page and ``read_metadata`` with both lists asked for 7.8 (docs/benchmarks.md, fourth round); the
one-pass author search below took it from 6.4 to 4.3 in a later pair of runs (fifth round).
``read_metadata`` takes trafilatura's steps in its order, with its functions, for title, author, URL,
site name and image; ``categories`` and ``tags`` give trafilatura's lists only when asked.
Extraction then calls bare_extraction without metadata.

Three steps are trafilatura's result by a cheaper road: the author search in the page's elements
(``page_author.extract_author``: one walk of the tree for trafilatura's five XPath expressions); the
author search in JSON-LD that does not parse (``_json_author``), quadratic in trafilatura, linear here
for the person pattern that costs; and the normalisation of a whole JSON-LD block
(``normalize_json``), whose surrogate filter trafilatura runs character by character in Python (0.38
ms a page on the real pages, 0.09 here).
"""

from __future__ import annotations

import html
import json
import logging
import re
from collections.abc import Iterator

from lxml.html import HtmlElement
from trafilatura.json_metadata import (
    JSON_AUTHOR_1,
    JSON_AUTHOR_2,
    JSON_AUTHOR_REMOVE,
    JSON_CATEGORY,
    JSON_OGTYPE_SCHEMA,
    JSON_PUBLISHER,
    JSON_SEQ,
    JSON_TYPE,
    JSON_UNICODE_REPLACE,
    extract_json,
    is_plausible_sitename,
    normalize_authors,
)
from trafilatura.metadata import (
    JSON_MINIFY,
    META_URL,
    examine_meta,
    extract_catstags,
    extract_sitename,
    extract_title,
    extract_url,
)
from trafilatura.settings import Document
from trafilatura.utils import HTML_STRIP_TAGS, trim

from pipelines.extract.page_author import extract_author

LOGGER = logging.getLogger(__name__)
# UTF-16 surrogates: what trafilatura's normalize_json drops, one character at a time, after it has
# turned \uXXXX escapes into characters (half of an escaped emoji is one).
_SURROGATES = re.compile("[\ud800-\udfff]")


def normalize_json(string: str) -> str:
    """``trafilatura.json_metadata.normalize_json``, the surrogates dropped by one expression."""
    if "\\" in string:
        string = string.replace("\\n", "").replace("\\r", "").replace("\\t", "")
        string = JSON_UNICODE_REPLACE.sub(lambda match: chr(int(match[1], 16)), string)
        string = _SURROGATES.sub("", string)
        string = html.unescape(string)
    return trim(HTML_STRIP_TAGS.sub("", string))


class PageMetadata:
    """A page's metadata as trafilatura reads it; ``tree`` must not change while categories or tags may
    still be asked for (extraction reads them from the same, unpruned tree)."""

    def __init__(self, document: Document, tree: HtmlElement) -> None:
        self.title: str | None = document.title
        self.author: str | None = document.author
        self.url: str | None = document.url
        self.sitename: str | None = document.sitename
        self.image: str | None = document.image
        self._categories: list[str] | None = document.categories  # JSON-LD's, when it gave them
        self._tags: list[str] | None = document.tags
        self._tree = tree

    def categories(self) -> list[str]:
        """JSON-LD's section, else trafilatura's category links or article:section/subject meta tags."""
        if not self._categories:
            self._categories = extract_catstags("category", self._tree)
        return list(self._categories)

    def tags(self) -> list[str]:
        """JSON-LD's keywords, else trafilatura's tag links."""
        if not self._tags:
            self._tags = extract_catstags("tag", self._tree)
        return list(self._tags)


def read_metadata(tree: HtmlElement, url: str | None) -> PageMetadata:
    """Return ``tree``'s metadata as ``trafilatura.metadata.extract_metadata(tree, url)`` finds it, less
    the date and the licence, categories and tags left until asked for. Reads ``tree``, never changes it
    (trafilatura's author search prunes a copy)."""
    metadata = examine_meta(tree)
    if metadata.author and " " not in metadata.author:  # trafilatura's rule: one word is no author
        metadata.author = None
    try:
        metadata = _meta_json(tree, metadata)
    except Exception as err:  # noqa: BLE001 - trafilatura's own guard: bugs in its JSON-LD reading
        LOGGER.debug("error in JSON metadata extraction: %s", err)
    if not metadata.title:
        metadata.title = extract_title(tree)
    if not metadata.author:
        metadata.author = extract_author(tree)
    if not metadata.url:
        metadata.url = extract_url(tree, url)
    if not metadata.sitename:
        metadata.sitename = extract_sitename(tree)
    if metadata.sitename:
        metadata.sitename = metadata.sitename.lstrip("@")  # a Twitter handle
        if metadata.sitename and "." not in metadata.sitename and not metadata.sitename[0].isupper():
            metadata.sitename = metadata.sitename.title()
    elif metadata.url:
        host = META_URL.match(metadata.url)
        if host:
            metadata.sitename = host[1]
    metadata.clean_and_trim()  # strings only: lists found later need none
    return PageMetadata(metadata, tree)


def _meta_json(tree: HtmlElement, metadata: Document) -> Document:
    """``trafilatura.metadata.extract_meta_json``, with ``_json_parse_error`` for the blocks that do not
    parse."""
    for element in tree.xpath('.//script[@type="application/ld+json" or @type="application/settings+json"]'):
        if not element.text:
            continue
        text = normalize_json(JSON_MINIFY.sub(r"\1", element.text))
        try:
            metadata = extract_json(json.loads(text, strict=False), metadata)
        except json.JSONDecodeError:
            metadata = _json_parse_error(text, metadata)
    return metadata


# The one author expression the single pass of _json_author was shown to agree with trafilatura for
# (trafilatura 2.3.1: its JSON_AUTHOR_2). Any other, JSON_AUTHOR_1 or a changed one, is searched again
# from the start after each cut, as trafilatura does.
_ONE_PASS_EXPRESSION = r'"[Pp]erson"[^}]+?"names?".+?"([^"]+)'


def _json_author(text: str, expression: re.Pattern[str]) -> str | None:
    """``trafilatura.json_metadata.extract_json_author``: the names matched one after the other until a
    name without a space, each match cut out of the text before the next search.

    trafilatura cuts with ``sub(count=1)`` and searches again from the start: two passes over the text
    per author, 0.9 s for the 1,716 persons of one 800 KB block among the real pages. The cut here is a
    slice of the match just found (what ``sub`` finds first is that match), and for the person
    expression the search goes on where the match ended, in the uncut text (``finditer``). Cutting a
    match [s, e) cannot make that expression match from a start p before s: from p it reads a quoted
    literal, then no "}" up to '"name"'. With no "}" between p and s it would have reached the cut
    match's own '"name"' and matched before the cut; with one, its reading up to that "}" is the same
    text after the cut. No literal forms across the cut either: the text after a match begins with a
    quote. The two-branch JSON_AUTHOR_1 has no such property (a cut can let its other branch match
    earlier), so it is searched from the start each time.
    tests/unit/pipelines/test_page_metadata.py compares both with trafilatura's on generated texts.
    """
    authors = None
    if expression.pattern == _ONE_PASS_EXPRESSION:
        matches = expression.finditer(text)
    else:
        matches = _cut_and_search(text, expression)
    for match in matches:
        name = next(filter(None, match.groups()), None)  # the first group that matched (the first has two)
        if not name or " " not in name:
            break
        authors = normalize_authors(authors, name)
    return authors or None


def _cut_and_search(text: str, expression: re.Pattern[str]) -> Iterator[re.Match[str]]:
    """The first match of ``expression`` in ``text``, then in the text without it, and so on."""
    match = expression.search(text)
    while match:
        yield match
        text = text[: match.start()] + text[match.end() :]
        match = expression.search(text)


def _json_parse_error(text: str, metadata: Document) -> Document:
    """``trafilatura.json_metadata.extract_json_parse_error``, with ``_json_author``."""
    without_others = JSON_AUTHOR_REMOVE.sub("", text)
    author = _json_author(without_others, JSON_AUTHOR_1) or _json_author(without_others, JSON_AUTHOR_2)
    if author:
        metadata.author = author
    if "@type" in text:
        match = JSON_TYPE.search(text)
        if match:
            candidate = normalize_json(match[1].lower())
            if candidate in JSON_OGTYPE_SCHEMA:
                metadata.pagetype = candidate
    if '"publisher"' in text:
        match = JSON_PUBLISHER.search(text)
        if match and "," not in match[1]:
            candidate = normalize_json(match[1])
            if is_plausible_sitename(metadata, candidate):
                metadata.sitename = candidate
    if '"articleSection"' in text:
        match = JSON_CATEGORY.search(text)
        if match:
            metadata.categories = [normalize_json(match[1])]
    for key, expression in JSON_SEQ:
        if key in text and not metadata.title:
            match = expression.search(text)
            if match:
                metadata.title = normalize_json(match[1])
                break
    return metadata
