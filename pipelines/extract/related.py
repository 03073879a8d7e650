"""Inline related-article links: ">> Xem thêm: <a>…</a>" lines and "Tin liên quan" boxes inside the article.

Editors put a label and links to other articles of the portal between body paragraphs. trafilatura keeps
them as paragraphs, so other articles' titles reach the text, the search index and the near-duplicate
signature. The lines of a block whose text is all links to the same site, apart from such a label,
separators and dates, are dropped from the extracted text; a paragraph that merely contains a link stays.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from lxml.html import HtmlElement

from pipelines.extract.meta import absolute_url, host_of
from storage.text import normalize_text, search_key

# Labels of related-article lines and boxes (lowercase, punctuation stripped).
_LABELS = frozenset(
    [
        "xem thêm", "đọc thêm", "mời xem thêm", "mời đọc thêm", "mời quý độc giả xem thêm", "xem tiếp",
        "đọc tiếp", "tham khảo thêm", "tin liên quan", "bài liên quan", "tin bài liên quan",
        "bài viết liên quan", "các tin liên quan", "tin cùng chuyên mục", "bài cùng chuyên mục", "tin khác",
        "các tin khác", "các bài khác", "bài đọc thêm", "có thể bạn quan tâm", "bạn có thể quan tâm",
        "video liên quan", "related", "related articles", "related news", "related stories", "read more",
        "read also", "see also", "more", "more stories",
    ]
)  # fmt: skip
# A line inside a related block shorter than this many words is not taken for an article title (fundus:
# "Selvstændighed" is a link in a related box and a heading of the body).
MIN_TITLE_WORDS = 4
# Unlinked text longer than this is prose, not a label with separators.
MAX_LABEL_CHARS = 80
_NOT_WORDS = re.compile(r"[\W_]+")
_NUMBERS = re.compile(r"\b\d+\b")
# Text that is not page content; links inside do not count.
_SKIP = frozenset(["script", "style", "noscript", "template"])
# Navigation chrome keeps its links: breadcrumbs feed the categories, menus are trafilatura's to drop.
_CHROME = frozenset(["nav", "header", "footer"])
# Elements whose text trafilatura may print as a line of its own.
_LINES = ("a", "p", "div", "li", "tr", "td", "th", "dt", "dd", "h2", "h3", "h4", "h5", "h6", "blockquote")
_INLINE = frozenset(["a", "b", "strong", "em", "i", "u", "span", "font", "small", "img", "br", "sup", "sub"])


class _Tally:
    """What one element holds: its unlinked text (None once longer than a label), its links, a headline."""

    __slots__ = ("text", "same_site", "other", "headline")

    def __init__(
        self, text: str | None = "", same_site: int = 0, other: int = 0, headline: bool = False
    ) -> None:
        self.text = text
        self.same_site = same_site  # links with text to other pages of this site
        self.other = other  # links with text elsewhere (another site, this very page, javascript:)
        self.headline = headline  # an <h1> inside

    @property
    def label_only(self) -> bool:
        return self.text is not None and _label_only(self.text)


def _with_text(text: str, more: str) -> str | None:
    """``text`` with the text run ``more`` (not blank) appended, or None once longer than a label."""
    text += " " + more.strip()
    if len(text) > 2 * MAX_LABEL_CHARS and len(" ".join(text.split())) > MAX_LABEL_CHARS:
        return None
    return text


def _site(host: str) -> str:
    host = host.lower()
    for prefix in ("www.", "m."):
        host = host.removeprefix(prefix)
    return host


def _page_key(url: str | None) -> str | None:
    """The URL without scheme, www./m., fragment and trailing slash: links to the page itself match it."""
    if not url:
        return None
    host, _, rest = url.partition("://")[2].partition("/")
    return _site(host) + "/" + rest.split("#")[0].rstrip("/")


def _label_only(text: str) -> bool:
    """True if ``text`` is only separators, or a related-article label with separators and numbers (the
    dates of a "Tin liên quan" list); numbers without a label are content (a date line with a print link)."""
    words = " ".join(_NOT_WORDS.sub(" ", normalize_text(text).lower()).split())
    return not words or " ".join(_NUMBERS.sub(" ", words).split()) in _LABELS


_ABSOLUTE = re.compile(r"^(?:https?:)?//(?:[^/?#@]*@)?([^/?#:]*)", re.IGNORECASE)
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


class _Links:
    """Tells links to other pages of the page's site from the rest, cheaply (pages have hundreds)."""

    def __init__(self, url: str, canonical: str | None) -> None:
        self.url = url
        self.site = _site(host_of(url))
        self.own = {_page_key(url), _page_key(canonical)}
        self.known: dict[str, bool] = {}

    def same_site(self, href: str | None) -> bool:
        key = (href or "").strip()
        if key not in self.known:
            self.known[key] = self._same_site(key)
        return self.known[key]

    def _same_site(self, href: str) -> bool:
        absolute = _ABSOLUTE.match(href)
        if absolute:
            full = href if href.lower().startswith("http") else "https:" + href
            return _site(absolute[1]) == self.site and _page_key(full) not in self.own
        if not href or href.startswith("#") or _SCHEME.match(href):  # javascript:, mailto:, tel:, data:
            return False
        if href.startswith("/"):  # most links: a path on this site
            return f"{self.site}/{href[1:].split('#')[0].rstrip('/')}" not in self.own
        resolved = absolute_url(href, self.url)  # a relative link: resolved against the page
        return resolved is not None and _page_key(resolved) not in self.own


# What an element without text, links or headline holds (an <img>, a <br>, an empty <span>): one shared
# tally, never changed, so the commonest elements cost no object of their own.
_EMPTY = _Tally()


def _tallies(elements: list[HtmlElement], url: str, canonical: str | None) -> dict[HtmlElement, _Tally]:
    """Each element's tally, children before parents: its own text and its children's tallies and tails.

    The hot loop of related_lines (it runs on every element of the page): tags and texts are read once,
    blank text runs are skipped before any call, and an element that holds nothing shares _EMPTY.
    """
    links = _Links(url, canonical)
    tallies: dict[HtmlElement, _Tally] = {}
    get = tallies.get
    for element in reversed(elements):  # children before their parents
        tag = element.tag
        if tag in _SKIP:
            tallies[element] = _EMPTY
        elif tag == "a":
            if element.text_content().strip():
                same = links.same_site(element.get("href"))
                tallies[element] = _Tally(same_site=1) if same else _Tally(other=1)
            else:
                tallies[element] = _EMPTY
        else:
            text: str | None = ""
            same_site = other = 0
            headline = tag == "h1"
            own = element.text
            if own and not own.isspace():
                text = _with_text("", own)
            for child in element:
                tally = get(child)  # None for a comment or processing instruction: only its tail counts
                if tally is not None and tally is not _EMPTY:
                    if tally.text is None:
                        text = None
                    elif text is not None and tally.text:
                        text = _with_text(text, tally.text)
                    same_site += tally.same_site
                    other += tally.other
                    headline = headline or tally.headline
                tail = child.tail
                if text is not None and tail and not tail.isspace():
                    text = _with_text(text, tail)
            if text == "" and not same_site and not other and not headline:
                tallies[element] = _EMPTY
            else:
                tallies[element] = _Tally(text, same_site, other, headline)
    return tallies


class RelatedLines:
    """The lines (as ``line_key``) of a page's related-article blocks, and the key of every text line of
    that page keyed so far.

    trafilatura prints most of those texts again as paragraphs, and drop_related keys each paragraph: the
    page's own keys make that a lookup. line_key's cache alone did so only while the page's lines fit in
    it: a page of 5,000 inline related lines keyed every line twice (4x the page cost 6-7x the time).
    """

    __slots__ = ("lines", "_keys")

    def __init__(self) -> None:
        self.lines: frozenset[str] = frozenset()
        self._keys: dict[str, str] = {}

    def key(self, text: str) -> str:
        """``line_key(text)``, computed once per text of the page."""
        key = self._keys.get(text)
        if key is None:
            key = self._keys[text] = line_key(text)
        return key


def related_lines(
    tree: HtmlElement, url: str, canonical: str | None = None, nodes: Sequence[HtmlElement] | None = None
) -> RelatedLines:
    """Return the lines (as ``line_key``) of the related-article blocks of ``tree``.

    A block qualifies when all its links with text point to other pages of the site of ``url`` (not to the
    page itself, ``url`` or ``canonical``) and the rest of its text is at most a label ("Xem thêm:",
    "Tin liên quan") with separators and dates. Its lines are its own text and those of its rows, items,
    headings and links, as trafilatura may print them; a label line right before the block
    (``<p>Tin liên quan:</p><ul>…</ul>``) is one of them. Navigation (nav, header, footer, breadcrumbs)
    and the headline are left alone. The tree is not changed: removing blocks before trafilatura changes
    which container it picks (measured: fundus body F1 0.9527 -> 0.9519), dropping their lines after
    does not. ``nodes``: ``list(tree.iter())`` when the caller already walked the tree.
    """
    elements = [e for e in (tree.iter() if nodes is None else nodes) if isinstance(e.tag, str)]
    tallies = _tallies(elements, url, canonical)
    related = RelatedLines()
    taken: set[HtmlElement] = set()  # related blocks found so far (outermost first, in document order)
    lines: set[str] = set()
    for element in elements:
        tally = tallies[element]
        # cheap tests first: most elements hold no link, or some prose
        if not tally.same_site or tally.other or tally.headline or element.tag in _INLINE:
            continue
        parent = element.getparent()
        if parent is None or element.tag in ("html", "body") or not tally.label_only:
            continue
        if any(node in taken or _chrome(node) for node in (element, *element.iterancestors())):
            continue
        taken.add(element)
        label = element.getprevious()
        if label is not None and isinstance(label.tag, str) and _is_label_line(tallies[label]):
            lines.add(related.key(label.text_content()))
        lines.add(related.key(element.text_content()))
        for part in element.iter(*_LINES):
            line = related.key(part.text_content())
            # a short line ("Video", a tag) may also be a heading of the body: only titles and labels
            if len(line.split()) >= MIN_TITLE_WORDS or _label_only(line):
                lines.add(line)
    lines.discard("")
    related.lines = frozenset(lines)
    return related


def _chrome(element: HtmlElement) -> bool:
    """Navigation keeps its links: menus are trafilatura's to drop, breadcrumbs feed the categories."""
    return element.tag in _CHROME or "breadcrumb" in (element.get("class") or "").lower()


def drop_related(paragraphs: list[str], related: RelatedLines) -> list[str]:
    """Return ``paragraphs`` without those that are lines of ``related``'s blocks."""
    if not related.lines:
        return paragraphs
    return [paragraph for paragraph in paragraphs if related.key(paragraph) not in related.lines]


# Lines up to this long are remembered (_short_line_key): a portal repeats its menus, labels and related
# titles on every page a worker sees.
_REMEMBERED_LINE_CHARS = 200


def line_key(text: str) -> str:
    """Return the comparable form of a text line: no list bullet or table pipes, spaces collapsed, search
    form (lowercase, NFC, one tone placement)."""
    if len(text) <= _REMEMBERED_LINE_CHARS:
        return _short_line_key(text)
    return _line_key(text)


@lru_cache(maxsize=4096)  # at most ~4 MB: 4,096 lines of 200 characters and their keys
def _short_line_key(text: str) -> str:
    return _line_key(text)


def _line_key(text: str) -> str:
    text = text.strip()
    if text.startswith("|") and text.endswith("|"):  # a table row as trafilatura prints it
        text = " ".join(cell.strip() for cell in text.strip("|").split("|"))
    if text.startswith(("- ", "* ", "• ")):  # a list item, or a cell written as one
        text = text[2:]
    return search_key(text)


def _is_label_line(tally: _Tally) -> bool:
    return not tally.same_site and not tally.other and bool(tally.text) and tally.label_only
