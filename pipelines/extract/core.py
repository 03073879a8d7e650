"""Turn captured page bytes into an ExtractedArticle: trafilatura core, Vietnamese dates and text."""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import trafilatura
from lxml.html import HtmlElement
from trafilatura.settings import Document, Extractor

from pipelines.extract.article import ExtractedArticle, ExtractionError
from pipelines.extract.dates import parse_date_details
from pipelines.extract.layout import (
    closing_byline,
    lead_after_headline,
    prune_comment_sections,
    prune_figure_and_menu_tables,
    restore_repeated_paragraphs,
)
from pipelines.extract.markup import (
    PARSER_MAX_DEPTH,
    depth_capped,
    limit_attributes,
    oversize,
    parse_markup,
    strip_control_characters,
    too_many_paragraph_texts,
)
from pipelines.extract.meta import (
    absolute_url,
    best_title,
    bold_lead,
    breadcrumbs,
    canonical_url,
    clean,
    clean_author,
    declared_language,
    find_sapo,
    is_site_name,
    meta_values,
)
from pipelines.extract.page_dates import find_dates
from pipelines.extract.page_metadata import PageMetadata, read_metadata
from pipelines.extract.related import drop_related, related_lines
from storage.text import decode_html, search_key

# Fewer characters of body (sapo + text) than this is not an article (an error, video-only or stub page).
# Measured over fundus + AEB (439 article pages): the shortest gold body is 302 characters and the
# shortest extraction 389, so 100-300 rejects no real article while 500 would reject 5 and 1000 would
# reject 21. Listing pages cannot be told apart by length (the 8 in vi_news_html yield 1.6-9 K chars).
MIN_BODY_CHARS = 200
# A top-of-body line this short that parses as a date is the date line, not prose: the date lines of
# the 10 Vietnamese article pages in shared/data are 16-46 characters, their sapos 139-305.
_DATE_LINE_CHARS = 100
# A leading line this short that is a label or the outlet's name is page chrome (e.g. "Tải ứng dụng:",
# "BÁO ĐIỆN TỬ CHÍNH PHỦ" on baochinhphu.vn); Vietnamese first paragraphs are 100+ characters.
_LABEL_CHARS = 40
# Lists whose every item is just one link: "related news" blocks that trafilatura otherwise keeps at the
# top of the body (baodautu.vn). Pruning them measured body F1 fundus 0.9514 -> 0.9526, AEB 0.9609 -> 0.9610.
_LINK_LISTS = [
    f"//{tag}[li][not(li[not(.//a[normalize-space()])"
    " or normalize-space(.) != normalize-space((.//a[normalize-space()])[1])])]"
    for tag in ("ul", "ol")
]
# Content types that can hold an article page; anything else is binary for us.
_TEXT_TYPES = ("text/html", "application/xhtml+xml", "text/plain", "application/xml", "text/xml")
_MAGIC = (
    (b"%PDF", "application/pdf"),
    (b"PK\x03\x04", "application/zip"),
    (b"\x89PNG", "image/png"),
    (b"GIF8", "image/gif"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x1f\x8b", "application/gzip"),
    (b"ID3", "audio/mpeg"),
    (b"\x00\x00\x00", "video/mp4"),
    (b"RIFF", "application/octet-stream"),
)
# How far into the body we look for NUL bytes; binary formats show them within the first block.
_SNIFF = 8192
# Binary formats are full of NUL bytes; a text page with a stray one (a CMS bug) is still a page, and the
# NUL is removed with the other control characters.
MAX_NUL_SHARE = 0.01


def _content_type(content_type: str | None) -> tuple[str | None, str | None]:
    if not content_type:
        return None, None
    mime, _, params = content_type.partition(";")
    charset = None
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip("\"'")
    return mime.strip().lower() or None, charset


def _check_bytes(body: bytes, mime: str | None) -> None:
    if not body or not body.strip():
        raise ExtractionError("empty body")
    if mime and not mime.startswith(_TEXT_TYPES) and not mime.endswith("+xml"):
        raise ExtractionError(f"binary content ({mime})")
    head = body[:_SNIFF]
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            raise ExtractionError(f"binary content ({kind})")
    if head.count(b"\x00") > MAX_NUL_SHARE * len(head) and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ExtractionError(f"binary content (NUL bytes{' in ' + mime if mime else ''})")


# include_comments=False: reader comments are not the article (bare extract() appends them).
# Balanced mode (neither favor_precision nor favor_recall, not fast) measured best for our body F1:
# fundus 0.951 / AEB 0.961, vs precision 0.949 / 0.965, recall 0.947 / 0.960, fast 0.942 / 0.963.
# with_metadata=False: read_metadata reads the metadata fields extraction uses, before this call.
_OPTIONS = Extractor(output_format="python", comments=False, tables=True, with_metadata=False)


def _options(url: str) -> Extractor:
    """The page's extraction options: _OPTIONS for ``url``. Copied, not built: Extractor() reads eight
    settings from its ConfigParser, 120 us a page (1-2% of a worker's CPU); a copy takes 8."""
    options = copy.copy(_OPTIONS)
    options.url = url
    options.source = url.encode("utf-8", "replace").decode("utf-8")  # as Extractor(url=url) sets it
    # Its containers are the page's own, as a new Extractor's are (trafilatura changes none today).
    options.date_params = dict(_OPTIONS.date_params)
    options.author_blacklist = set()
    options.url_blacklist = set()
    return options


def _paragraphs(text: str | None) -> list[str]:
    cleaned = clean(text)
    return cleaned.split("\n") if cleaned else []


_LAYOUT_BLOCKS = ("p", "div", "h1", "h2", "table")


def _cells(table: HtmlElement) -> Iterator[HtmlElement]:
    """Yield the cells of ``table``'s own rows (not those of tables nested in them)."""
    for child in table:
        rows = [child] if child.tag == "tr" else child if child.tag in ("tbody", "thead", "tfoot") else []
        for row in rows:
            if row.tag == "tr":
                yield from (cell for cell in row if cell.tag in ("td", "th"))


def _unwrap_layout_tables(tree: HtmlElement) -> None:
    """Turn layout tables (cells holding paragraphs, headings or blocks) into divs, in place.

    Old provincial portals lay whole pages out in tables; trafilatura would flatten the article into one
    "| cell |" line. Data tables (cells of plain text) are left alone. Linear in the page: every element is
    marked "holds a block" at most once (an XPath per table was quadratic on a page-sized table).
    """
    tables = list(tree.iter("table"))
    if not tables:
        return
    holds_block: set[HtmlElement] = set()
    for block in tree.iter(*_LAYOUT_BLOCKS):
        node = block.getparent()
        while node is not None and node not in holds_block:
            holds_block.add(node)
            node = node.getparent()
    for table in tables:
        if any(cell.tag == "td" and cell in holds_block for cell in _cells(table)):
            for child in list(table):
                if child.tag in ("tbody", "thead", "tfoot"):
                    for row in child:
                        _rename_row(row)
                    child.tag = "div"
                else:
                    _rename_row(child)
            table.tag = "div"


def _rename_row(row: HtmlElement) -> None:
    if row.tag == "tr":
        for cell in row:
            if cell.tag in ("td", "th"):
                cell.tag = "div"
        row.tag = "div"


def _is_date_line(paragraph: str) -> bool:
    # date lines are short; what is left without the date is a label or a weekday ("Cập nhật:", "Thứ Sáu")
    return len(paragraph) <= _DATE_LINE_CHARS and parse_date_details(paragraph) is not None


def _is_chrome_line(paragraph: str, site_name: str | None, url: str) -> bool:
    # short labels ("Tải ứng dụng:") and the outlet's own name ("BÁO ĐIỆN TỬ CHÍNH PHỦ")
    short = len(paragraph) <= _LABEL_CHARS
    return short and (paragraph.endswith(":") or is_site_name(paragraph, site_name, url))


def _strip_leading(
    paragraphs: list[str], titles: tuple[str | None, ...], site_name: str | None, url: str
) -> list[str]:
    """Drop headline repeats, date lines and site labels that trafilatura keeps at the top of the body."""
    keys = {search_key(title) for title in titles if title}
    start = 0
    while start < len(paragraphs) and (
        search_key(paragraphs[start]) in keys
        or _is_date_line(paragraphs[start])
        or _is_chrome_line(paragraphs[start], site_name, url)
    ):
        start += 1
    return paragraphs[start:]


def _drop_sapo(paragraphs: list[str], sapo: str) -> list[str]:
    """Remove the sapo from the start of the body when trafilatura kept it there."""
    key = search_key(sapo)
    for index, paragraph in enumerate(paragraphs[:3]):
        if search_key(paragraph) == key:
            return paragraphs[:index] + paragraphs[index + 1 :]
    return paragraphs


def _list(values: list[str] | None) -> list[str]:
    out: list[str] = []
    for value in values or []:
        for part in value.split(","):
            text = clean(part)
            if text and text not in out:
                out.append(text)
    return out


def _drop_byline(paragraphs: list[str], author: str | None) -> list[str]:
    """Drop a closing paragraph that only repeats the author: templates differ on whether the byline is
    inside the body, and one story must hash the same on every portal that carries it."""
    if author and paragraphs and paragraphs[-1].strip().casefold() == author.strip().casefold():
        return paragraphs[:-1]
    return paragraphs


def _site_name(metadata: PageMetadata) -> str | None:
    """Return the outlet's name; trafilatura's guess from a "Headline - Outlet" <title> can be the headline
    itself when the headline contains " - " ("Phan Rang - Tháp Chàm ..."), and that is no site name."""
    site_name = clean(metadata.sitename)
    title = clean(metadata.title)
    if (
        site_name
        and title
        and search_key(title).startswith(search_key(site_name))
        and len(site_name) > 0.5 * len(title)
    ):
        return None
    return site_name


@dataclass(frozen=True)
class PreparedPage:
    """A captured page checked, decoded and parsed for extraction (prepare_page)."""

    tree: HtmlElement
    encoding: str


def prepare_page(body: bytes, content_type: str | None = None) -> PreparedPage:
    """Check, decode and parse ``body`` the way extraction does: refuses binary, empty, oversize and
    undecodable pages with an ExtractionError, strips control characters and limits attribute counts.

    The tree may be read (discovery reads its links) before extract_article, which prunes it.
    """
    mime, charset = _content_type(content_type)
    _check_bytes(body, mime)
    too_large = oversize(body)
    if too_large:
        raise ExtractionError(too_large)
    try:
        markup, encoding = decode_html(body, charset)
    except UnicodeDecodeError as exc:
        raise ExtractionError("undecodable bytes") from exc
    tree = parse_markup(limit_attributes(strip_control_characters(markup)))
    if tree is None:
        raise ExtractionError("no article body found (not an HTML document)")
    return PreparedPage(tree, encoding)


def extract_article(
    body: bytes,
    url: str,
    *,
    content_type: str | None = None,
    feed_date: str | None = None,
    prune_xpath: Sequence[str] = (),
    prepared: PreparedPage | None = None,
) -> ExtractedArticle:
    """Return the article in ``body`` (the captured bytes of ``url``).

    ``content_type`` is the HTTP header (its charset is a hint), ``feed_date`` the RSS/sitemap date used
    only when the page has none, ``prepared`` the page as prepare_page returned it (its tree is pruned
    here: it serves one extraction). Raises ExtractionError for binary, empty, undecodable or
    article-less pages.
    """
    page = prepared if prepared is not None else prepare_page(body, content_type)
    tree, encoding = page.tree, page.encoding
    prune_figure_and_menu_tables(tree)
    prune_comment_sections(tree)
    too_many = too_many_paragraph_texts(tree)  # checked once reader comments are gone
    if too_many:
        raise ExtractionError(too_many)
    # Every node, walked once for the steps that read them all (related lines, date lines): no element is
    # added or removed from here on (trafilatura works on its own copy; layout tables are only renamed),
    # and holding their proxies spares lxml making new ones in every later walk of the tree.
    nodes = list(tree.iter())
    related = related_lines(tree, url, canonical_url(tree, None, url), nodes)
    _unwrap_layout_tables(tree)
    # prune_xpath: a portal's registry hints for boilerplate trafilatura keeps there (crawler/portals.toml).
    prune = [*_LINK_LISTS, *prune_xpath]
    try:
        metadata = read_metadata(tree, url)
    except (TypeError, ValueError) as exc:  # what bare_extraction turns into "no document"
        raise ExtractionError(_no_body(tree)) from exc
    document = trafilatura.bare_extraction(tree, url=url, options=_options(url), prune_xpath=prune)
    if not isinstance(document, Document):
        raise ExtractionError(_no_body(tree))
    site_name = _site_name(metadata)
    title = best_title(tree, metadata.title, site_name, url)
    paragraphs = drop_related(_paragraphs(document.text), related)
    paragraphs = restore_repeated_paragraphs(paragraphs, tree)
    paragraphs = _strip_leading(paragraphs, (title, metadata.title), site_name, url)
    sapo = find_sapo(tree) or lead_after_headline(tree, title) or bold_lead(paragraphs, tree)
    if sapo:
        paragraphs = _drop_sapo(paragraphs, sapo)
    author = clean_author(metadata.author, site_name, url)
    paragraphs = _drop_byline(paragraphs, author)
    byline = closing_byline(paragraphs, tree)
    if byline:
        paragraphs = paragraphs[:-1]
        author = author or clean_author(byline, site_name, url)
    text = "\n".join(paragraphs)
    if len(text) + len(sapo or "") < MIN_BODY_CHARS:
        raise ExtractionError(_no_body(tree))
    return _assemble(tree, nodes, metadata, url, title, sapo, text, author, encoding, feed_date)


def _no_body(tree: HtmlElement) -> str:
    if depth_capped(tree):
        return (
            f"no article body found (HTML nested deeper than {PARSER_MAX_DEPTH} levels: text below is lost)"
        )
    return "no article body found"


def _assemble(
    tree: HtmlElement,
    nodes: list[HtmlElement],
    metadata: PageMetadata,
    url: str,
    title: str | None,
    sapo: str | None,
    text: str,
    author: str | None,
    encoding: str,
    feed_date: str | None,
) -> ExtractedArticle:
    site_name = _site_name(metadata)
    dates = find_dates(tree, feed_date=feed_date, nodes=nodes)
    categories = (
        breadcrumbs(tree, nodes)
        or _list(meta_values(tree, "article:section"))
        or _list(metadata.categories())
    )
    tags = _list(meta_values(tree, "article:tag", "news_keywords")) or _list(metadata.tags())
    images = (metadata.image, *meta_values(tree, "og:image", "twitter:image"))
    image = next(filter(None, (absolute_url(candidate, url) for candidate in images)), None)
    return ExtractedArticle(
        url=url,
        canonical_url=canonical_url(tree, metadata.url, url),
        title=title,
        sapo=sapo,
        text=text,
        author=author,
        categories=categories,
        tags=tags,
        image=image,
        site_name=site_name,
        published_at=dates.published_at,
        updated_at=dates.updated_at,
        date_raw=dates.raw,
        date_source=dates.source,
        date_warnings=dates.warnings,
        declared_language=declared_language(tree),
        encoding=encoding,
    )
