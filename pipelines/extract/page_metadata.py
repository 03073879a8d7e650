"""trafilatura's metadata of a page, for the fields extraction reads, without the work it does not read.

``trafilatura.bare_extraction(with_metadata=True)`` runs ``extract_metadata``, which also asks htmldate
for a date (ours is ``page_dates.find_dates``), searches the page for a licence (not archived) and looks
categories and tags up by XPath where JSON-LD gave none, even on pages whose own meta tags, which
extraction prefers, name them. Over the real pages of ../shared/data, ``extract_metadata`` took 8.9 ms of
CPU a page and ``read_metadata`` with both lists asked for takes 7.8 (docs/benchmarks.md, fourth
round). ``read_metadata`` takes trafilatura's steps in its order, with its functions, for title, author,
URL, site name and image; ``categories`` and ``tags`` give trafilatura's lists only when asked.
Extraction then calls bare_extraction without metadata.
"""

from __future__ import annotations

import logging

from lxml.html import HtmlElement
from trafilatura.metadata import (
    META_URL,
    examine_meta,
    extract_author,
    extract_catstags,
    extract_meta_json,
    extract_sitename,
    extract_title,
    extract_url,
)
from trafilatura.settings import Document

LOGGER = logging.getLogger(__name__)


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
        metadata = extract_meta_json(tree, metadata)
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
