"""Layout rules for the article extractor: figure, menu and comment boxes, the bold lead, the byline.

The rules read page structure that holds across CMSs (an image with a short caption cell is a figure, a
row of link-only cells is a menu, a box titled "Ý kiến bạn đọc"/"Bình luận" holds reader comments, a wholly
bold block right under the headline is the lead, a short bold or right-aligned closing line that is a name
is the byline, a paragraph the page repeats is body text); none names a portal, class or host."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator

from lxml.html import HtmlElement

from pipelines.extract.dates import parse_date_details
from pipelines.extract.html_text import short_text, text_within
from pipelines.extract.meta import MAX_SAPO, MIN_SAPO, clean
from pipelines.extract.page_dates import MAX_DATE_LINE
from storage.text import search_key

_BOLD_TAGS = frozenset(["b", "strong"])
_BOLD_STYLE = re.compile(r"font-weight\s*:\s*(?:bold|[6-9]00)", re.IGNORECASE)
_RIGHT_STYLE = re.compile(r"text-align\s*:\s*right", re.IGNORECASE)
_RIGHT_CLASS = re.compile(r"(?:^|[\s_-])right(?:$|[\s_-])", re.IGNORECASE)
_BLOCKS = "self::p or self::div or self::ul or self::ol or self::table or self::h1 or self::h2 or self::h3"
# A figure table's text is its caption; captions on Vietnamese portals run to 1-2 sentences. A table with
# an image and more text than this is content (a data table with a logo, a layout table).
MAX_CAPTION_CHARS = 400
MAX_CAPTION_BLOCKS = 2
# A link-only table row is a menu from this many links on (fewer is a "Xem thêm: <link>" line).
MIN_MENU_LINKS = 3
# How far below the headline (elements in document order) the lead may start: the date line, author,
# share buttons and print links sit in between; farther down is the body or a sidebar.
LEAD_WINDOW = 40
# A byline is a pen name or two ("Minh Hà", "Ngọc Hà - Thu Yến", "NGUYỄN VĂN A"): a few capitalised words.
MAX_BYLINE_CHARS = 60
MAX_BYLINE_WORDS = 8
_NAME_WORD = re.compile(r"^[^\W\d_][^\W\d_]*\.?$")
_NAME_JOINERS = frozenset(["-", "–", "&", "và", "and", ","])
# Titles of reader-comment boxes ("Ý KIẾN BẠN ĐỌC", "Bình luận (12)", "3 bình luận", "Comments").
_COMMENT_HEADING = re.compile(
    r"^(?:\d+\s+)?(?:ý kiến bạn đọc|ý kiến độc giả|bạn đọc bình luận|bình luận|ý kiến|gửi ý kiến"
    r"|gửi bình luận|viết bình luận|comments?|leave a (?:reply|comment))\s*(?:\(\d+\))?\s*:?$",
    re.IGNORECASE,
)
MAX_HEADING_CHARS = 40
_COMMENT_START = re.compile(r"^(?:\d+\s*)?(?:ý|bạn|bình|gửi|viết|comment|leave)", re.IGNORECASE)
# Dropped paragraphs searched for (as a substring) in the extracted text, per page; each search reads the
# whole text. Exact repeats are always found. The most any page of fundus, AEB and vi_news_html needs is 4.
MAX_CONTAINMENT_CHECKS = 200
_BYLINE_LABEL = re.compile(r"^(?:(?:bài|ảnh|bài\s*(?:và|,|&)\s*ảnh|tin|tin\s*(?:và|,|&)\s*ảnh)\s*:)\s*", re.I)


def _visible_text(element: HtmlElement) -> str:
    return " ".join(element.text_content().split())


def _is_figure_table(table: HtmlElement) -> bool:
    if not table.xpath(".//img") or table.xpath(".//table"):
        return False
    if len(table.xpath(".//*[self::p or self::div or self::li or self::h1 or self::h2 or self::h3]")) > (
        MAX_CAPTION_BLOCKS
    ):
        return False
    return len(_visible_text(table)) <= MAX_CAPTION_CHARS


def _is_menu_table(table: HtmlElement) -> bool:
    if table.xpath(".//table | .//img[not(ancestor::a)]"):
        return False
    links = [a for a in table.iter("a") if _visible_text(a)]
    # every letter or digit sits in a link: separators ("|", "·") are all that is left
    return len(links) >= MIN_MENU_LINKS and not _unlinked_text(table)


def _unlinked_text(element: HtmlElement) -> bool:
    return any(re.search(r"[^\W_]", str(text)) for text in element.xpath(".//text()[not(ancestor::a)]"))


def prune_figure_and_menu_tables(tree: HtmlElement) -> None:
    """Remove image tables (an image plus a short caption cell) and link-only menu tables, in place.

    Table-layout portals put photos in a two-row table (image, caption) and the top menu in one table row
    of links; trafilatura keeps both as "| caption |" and "| Home | News | ..." lines in the body.
    """
    for table in list(tree.iter("table")):
        if table.getparent() is None:
            continue
        if _is_figure_table(table) or _is_menu_table(table):
            table.drop_tree()


def _comment_heading(element: HtmlElement) -> bool:
    own = (element.text or "").strip()  # cheap filter first: a title starts with its own text
    if not own or len(own) > MAX_HEADING_CHARS or len(element) > 3 or not _COMMENT_START.match(own):
        return False
    if element.xpath(f"./*[{_BLOCKS}]"):
        return False
    text = short_text(element, MAX_HEADING_CHARS)
    return text is not None and bool(_COMMENT_HEADING.match(text))


def prune_comment_sections(tree: HtmlElement) -> None:
    """Remove reader-comment sections: the box whose first child is a "Ý kiến bạn đọc"/"Bình luận" title.

    trafilatura drops comment blocks it recognises by English class names ("comment"); a box titled in
    Vietnamese is kept, and on a page with thousands of comments it outweighs the article itself.
    """
    # A box holding a headline is the article, whatever its first line says.
    holds_headline = {
        node for h1 in tree.iter("h1") if _visible_text(h1) for node in (h1, *h1.iterancestors())
    }
    for element in list(tree.iter("div", "h2", "h3", "h4", "h5", "p", "span", "strong", "b", "header")):
        if element.getparent() is None or not _comment_heading(element):
            continue
        title, box = element, element.getparent()
        heading = short_text(element, MAX_HEADING_CHARS)
        # <div class="title"><b>Bình luận</b></div>: climb to the box (reading at most the heading's length)
        while (
            box is not None
            and box.tag not in ("body", "html")
            and short_text(box, MAX_HEADING_CHARS) == heading
        ):
            title, box = box, box.getparent()
        if (
            box is None
            or box.tag in ("body", "html")
            or title.getprevious() is not None
            or (box.text or "").strip()
        ):
            continue
        if box in holds_headline:
            continue
        if box.getparent() is not None:
            box.drop_tree()


def _in_bold(node: HtmlElement | None, stop: HtmlElement) -> bool:
    while node is not None:
        if node.tag in _BOLD_TAGS or _BOLD_STYLE.search(node.get("style") or ""):
            return True
        if node is stop:
            return False
        node = node.getparent()
    return False


def wholly_bold(element: HtmlElement) -> bool:
    """True if every letter or digit in ``element`` is inside <b>/<strong> (or bold inline style)."""
    has_text = False
    for text in element.xpath(".//text()"):
        if not re.search(r"[^\W_]", str(text)):
            continue
        has_text = True
        owner = text.getparent()
        if text.is_tail and owner is not None:
            if owner is element:
                return False
            owner = owner.getparent()
        if not _in_bold(owner, element):
            return False
    return has_text


def _right_aligned(element: HtmlElement) -> bool:
    return (
        (element.get("align") or "").strip().lower() == "right"
        or bool(_RIGHT_STYLE.search(element.get("style") or ""))
        or bool(_RIGHT_CLASS.search(element.get("class") or ""))
    )


def _headline(tree: HtmlElement, title: str | None) -> HtmlElement | None:
    h1s = [h1 for h1 in tree.iter("h1") if len(_visible_text(h1)) > 10]
    if title:
        key = search_key(title)
        for h1 in h1s:
            if search_key(clean(h1.text_content()) or "") == key:
                return h1
    return h1s[0] if len(h1s) == 1 else None


def _following(element: HtmlElement) -> Iterator[HtmlElement]:
    """Yield the elements after ``element`` in document order (not its descendants), lazily."""
    node: HtmlElement | None = element
    while node is not None:
        for sibling in node.itersiblings():
            for child in sibling.iter():
                if isinstance(child.tag, str):
                    yield child
        node = node.getparent()


def lead_after_headline(tree: HtmlElement, title: str | None) -> str | None:
    """Return the wholly bold block right under the headline (after its date/meta lines), or None.

    Vietnamese portals set the sapo in bold between the headline and the body even when no class names it.
    The first block below the headline with paragraph-sized text decides: bold, it is the sapo; plain, the
    body has started and there is no sapo.
    """
    headline = _headline(tree, title)
    if headline is None:
        return None
    for count, element in enumerate(_following(headline)):
        if count >= LEAD_WINDOW or element.tag == "h1":
            return None
        if element.tag in ("script", "style", "noscript", "a", "time"):
            continue
        raw = text_within(element, 2 * MAX_SAPO)
        if raw is None:
            continue  # a container far longer than a lead: its blocks follow in document order
        text = clean(raw)
        if not text or len(text) < MIN_SAPO:
            continue
        if len(text) <= MAX_DATE_LINE and parse_date_details(text) is not None:  # the date line
            continue
        if len(text) > MAX_SAPO or element.xpath(f"./*[{_BLOCKS}]"):
            continue  # a container: its blocks follow in document order
        if element.xpath(
            "ancestor-or-self::*[self::nav or self::aside or self::footer or self::a or self::ul"
            " or self::ol or self::table or self::figure or self::button]"
        ):
            continue  # menus, highlight lists, tables, captions: a lead is a block of its own
        return text if wholly_bold(element) and "\n" not in text else None
    return None


def _name_like(text: str) -> bool:
    text = _BYLINE_LABEL.sub("", text).strip()
    if not text or len(text) > MAX_BYLINE_CHARS or text.endswith((":", "!", "?")):
        return False
    words = text.replace(",", " , ").split()
    names = [word for word in words if word.lower() not in _NAME_JOINERS]
    if not names or len(words) > MAX_BYLINE_WORDS:
        return False
    return all(_NAME_WORD.match(word) and word[0].isupper() for word in names)


def closing_byline(paragraphs: list[str], tree: HtmlElement) -> str | None:
    """Return the last body paragraph if it is a byline: a short name set bold or right-aligned."""
    if not paragraphs or not _name_like(paragraphs[-1]):
        return None
    last = paragraphs[-1]
    key = search_key(last)

    def holds_name(element: HtmlElement) -> bool:
        text = text_within(element, 2 * MAX_BYLINE_CHARS)
        return text is not None and search_key(clean(text) or "") == key

    for element in tree.iter("p", "div", "span", "strong", "b", "td"):
        if not holds_name(element):
            continue
        styled = element
        while styled.tag in ("span", "strong", "b", "em", "i"):  # the block that holds the name
            parent = styled.getparent()
            if parent is None or not holds_name(parent):
                break
            styled = parent
        if wholly_bold(styled) or _right_aligned(styled):
            return _BYLINE_LABEL.sub("", last).strip()
    return None


def restore_repeated_paragraphs(paragraphs: list[str], tree: HtmlElement) -> list[str]:
    """Put back paragraphs trafilatura dropped for repeating text it had already taken.

    trafilatura collapses a <p> whose text equals, or is contained in, text it already extracted (its
    recovery pass and adjacent-duplicate check). When the page really repeats a sentence as a paragraph
    of its own, that loses body text. A sibling <p> that sits between two extracted paragraphs of the same
    container and whose text is such a repeat is restored in place; nothing else is added.

    Linear in the page: paragraphs are aligned through an index of <p> texts, exact repeats are looked up in
    a set, and at most MAX_CONTAINMENT_CHECKS dropped paragraphs are searched for in the extracted text.
    """
    if len(paragraphs) < 2:
        return paragraphs
    nodes = [(p, clean(p.text_content())) for p in tree.iter("p")]
    position = {p: index for index, (p, _text) in enumerate(nodes)}
    where: dict[str, list[int]] = {}
    for index, (_p, text) in enumerate(nodes):
        if text:
            where.setdefault(text, []).append(index)
    aligned: list[HtmlElement | None] = []
    cursor = 0
    for paragraph in paragraphs:  # each paragraph to its first <p> after the previous one's
        indices = where.get(paragraph, [])
        at = bisect.bisect_left(indices, cursor)
        found = None
        if at < len(indices):
            found, cursor = nodes[indices[at]][0], indices[at] + 1
        aligned.append(found)
    seen = "\n".join(paragraphs)
    exact = set(paragraphs)
    checks_left = MAX_CONTAINMENT_CHECKS
    out: list[str] = []
    for index, paragraph in enumerate(paragraphs):
        out.append(paragraph)
        here = aligned[index]
        after = aligned[index + 1] if index + 1 < len(aligned) else None
        if here is None or after is None or here.getparent() is not after.getparent():
            continue
        for sibling in here.itersiblings():
            if sibling is after:
                break
            text = nodes[position[sibling]][1] if sibling in position else None
            if not text:
                continue
            if text in exact:
                out.append(text)
            elif checks_left > 0:
                checks_left -= 1
                if text in seen:
                    out.append(text)
    return out
