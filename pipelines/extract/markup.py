"""Untrusted page markup made safe to parse: size limit, control characters, attribute count, parser depth."""

from __future__ import annotations

import re

import lxml.html
from lxml import etree
from lxml.html import HtmlComment, HtmlElement, HtmlEntity, HtmlProcessingInstruction
from trafilatura.utils import is_dubious_html, repair_faulty_html

from storage.text import CONTROL_CHARACTERS, remove_control_characters

# Pages larger than this are refused before parsing. The crawler downloads at most 10 MiB
# (DOWNLOAD_MAXSIZE); measured on generated pages of distinct paragraphs, extraction takes ~1 s and
# ~30 MB of memory per MB of page (a 60 MB page: 35 s, 1.8 GB), so 20 MiB bounds one page to ~20 s, ~600 MB.
MAX_PAGE_BYTES = 20 * 1024 * 1024
# libxml2's HTML parser stops descending at this depth and drops the text below it.
PARSER_MAX_DEPTH = 255
# trafilatura asks libxml2 for "//p//text()" (two or three times per page), and libxml2 merges the text runs
# of each <p> into one set with a duplicate check: quadratic. Measured per call: 15,000 runs 0.08 s, 30,000
# 1.1 s, 80,000 18 s (a 4 MB page of 50,000 short <br>-split paragraphs took 91 s). The most any of the 457
# real pages in shared/data holds is 384; 4 MB of ordinary paragraphs holds ~13,000.
MAX_PARAGRAPH_TEXTS = 30_000

# Numeric character references (&#11; &#x1B; &#150;): the parser turns them into characters after we look.
_CHAR_REF = re.compile(r"&#(?:[xX]([0-9a-fA-F]{1,8})|([0-9]{1,10}));?")
# HTML5 maps references to 0x80-0x9F to the windows-1252 characters of those bytes (&#150; is "–");
# the five undefined bytes are controls and are removed.
_CP1252_C1 = {code: bytes([code]).decode("cp1252", errors="ignore") for code in range(0x80, 0xA0)}


def oversize(body: bytes) -> str | None:
    """Return why ``body`` is too large to extract, or None."""
    if len(body) > MAX_PAGE_BYTES:
        return f"page too large to extract ({len(body):,} bytes > {MAX_PAGE_BYTES:,})"
    return None


# libxml2 checks each attribute of a tag against all earlier ones: 20,000 attributes cost ~1 s per parse (and
# trafilatura and its fallbacks parse the page several times). No real tag has more than a few dozen.
MAX_ATTRIBUTES = 500
# Only tags this long can hold that many attributes; the scan for them is one regex pass over the page.
_LONG_TAG = re.compile(r"<([A-Za-z][\w:-]*)(\s[^<>]{10000,})>")
_ATTRIBUTE = re.compile(r"""\s*[^\s=/>"']+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]*))?""")


def _trim_attributes(match: re.Match[str]) -> str:
    attributes = _ATTRIBUTE.findall(match[2])
    if len(attributes) <= MAX_ATTRIBUTES:
        return match[0]
    return f"<{match[1]}{''.join(attributes[:MAX_ATTRIBUTES])}>"


def limit_attributes(markup: str) -> str:
    """Return ``markup`` with tags of more than MAX_ATTRIBUTES attributes cut to their first ones."""
    return _LONG_TAG.sub(_trim_attributes, markup)


def _reference(match: re.Match[str]) -> str:
    code = int(match[1], 16) if match[1] else int(match[2])
    if 0x80 <= code <= 0x9F:
        return _CP1252_C1[code]
    if code < 0x110000 and CONTROL_CHARACTERS.match(chr(code)):
        return ""
    return match[0]  # an ordinary character (or out of range: left to the parser)


def strip_control_characters(markup: str) -> str:
    """Return ``markup`` without C0/C1 control characters, raw or as numeric references (tab, LF, CR kept).

    A single "&#11;" in one paragraph otherwise makes lxml refuse the extracted text and the page fails.
    """
    if "&#" in markup:
        markup = _CHAR_REF.sub(_reference, markup)
    return remove_control_characters(markup)


def too_many_paragraph_texts(tree: HtmlElement) -> str | None:
    """Return why ``tree`` holds too many text runs inside <p> elements to extract, or None."""
    runs = 0
    for paragraph in tree.iter("p"):
        runs += sum(1 for _text in paragraph.itertext())
        if runs > MAX_PARAGRAPH_TEXTS:
            total = sum(1 for p in tree.iter("p") for _text in p.itertext())
            return f"too many paragraph text runs to extract ({total:,} > {MAX_PARAGRAPH_TEXTS:,})"
    return None


def depth_capped(tree: HtmlElement) -> bool:
    """True if ``tree`` reaches the parser's depth limit, so text nested below it was dropped."""
    depth: dict[HtmlElement, int] = {}
    for element in tree.iter():
        parent = element.getparent()
        # ``tree`` need not be the document root: its own depth is counted once
        level = depth[parent] + 1 if parent in depth else sum(1 for _ in element.iterancestors())
        if level >= PARSER_MAX_DEPTH:
            return True
        depth[element] = level
    return False


def _html_parser() -> lxml.html.HTMLParser:
    """trafilatura's own parser settings (trafilatura.utils.HTML_PARSER), with every element an HtmlElement.

    lxml.html's parser picks each element's class in Python (HtmlElementClassLookup.lookup: special
    classes for form, input, select, textarea and label, which neither trafilatura nor we use), once for
    every element proxy made: 2.5 million calls over the 449 real pages, ~2 ms of a worker's CPU a page.
    A default-class lookup is resolved inside lxml, and the elements keep HtmlElement's methods
    (text_content, drop_tree, ...). Copies of the tree (trafilatura copies it) keep the parser's lookup.
    """
    parser = lxml.html.HTMLParser(
        collect_ids=False, default_doctype=False, encoding="utf-8", remove_comments=True, remove_pis=True
    )
    parser.set_element_class_lookup(
        etree.ElementDefaultClassLookup(
            element=HtmlElement, comment=HtmlComment, pi=HtmlProcessingInstruction, entity=HtmlEntity
        )
    )
    return parser


_PARSER = _html_parser()


def parse_markup(markup: str) -> HtmlElement | None:
    """Parse decoded page markup as trafilatura.load_html does a string (same repairs, fallback to bytes,
    same rejection of a dubious non-HTML text), on the parser above. None when it is no HTML document."""
    beginning = markup[:50].lower()
    dubious = is_dubious_html(beginning)
    markup = repair_faulty_html(markup, beginning)
    try:
        tree: HtmlElement | None = lxml.html.fromstring(markup, parser=_PARSER)
    except (ValueError, etree.LxmlError):  # ValueError: "Unicode strings with encoding declaration ..."
        tree = None
    if tree is None or len(tree) < 1:
        try:
            tree = lxml.html.fromstring(markup.encode("utf8", "surrogatepass"), parser=_PARSER)
        except (ValueError, etree.LxmlError):
            tree = None
    if tree is not None and dubious and len(tree) < 2:
        return None
    return tree
