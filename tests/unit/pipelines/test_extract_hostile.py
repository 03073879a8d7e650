"""Hostile pages: extract_article returns an article or raises ExtractionError with a reason, nothing else.

Control characters, malformed URLs in metadata, absurd JSON-LD, oversized and over-nested pages, lying
charsets, binary bytes, and a property test over generated markup.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pipelines.extract.core import ExtractedArticle, ExtractionError, extract_article
from pipelines.extract.markup import MAX_ATTRIBUTES, MAX_PAGE_BYTES, MAX_PARAGRAPH_TEXTS, PARSER_MAX_DEPTH
from storage.text import CONTROL_CHARACTERS

URL = "https://baotinh.vn/thoi-su/cai-cach-hanh-chinh-post1.html"
TITLE = "Đẩy mạnh cải cách hành chính trong năm 2024"
PARAS = [
    "Sáng 12/4, UBND tỉnh tổ chức hội nghị tổng kết công tác cải cách hành chính năm 2023 và triển khai"
    " nhiệm vụ năm 2024 với sự tham dự của lãnh đạo các sở, ngành và địa phương.",
    "Theo báo cáo, tỷ lệ hồ sơ giải quyết đúng hạn đạt 97,5%, tăng 3% so với cùng kỳ năm trước, nhiều"
    " thủ tục được thực hiện trực tuyến toàn trình.",
    "Phát biểu kết luận, Phó Chủ tịch UBND tỉnh đề nghị các đơn vị tiếp tục đẩy mạnh chuyển đổi số và"
    " nâng cao chất lượng phục vụ người dân, doanh nghiệp.",
]


def page(paragraphs: list[str] | None = None, head: str = "", before_body: str = "") -> str:
    body = "".join(f"<p>{p}</p>" for p in (PARAS if paragraphs is None else paragraphs))
    return (
        f"{before_body}<html lang='vi'><head><meta charset='utf-8'><title>{TITLE} - Báo Tỉnh</title>{head}"
        f"</head><body><article><h1>{TITLE}</h1>{body}</article></body></html>"
    )


def _well_formed(article: ExtractedArticle) -> None:
    for text in (article.title, article.sapo, article.text, article.author):
        assert text is None or not CONTROL_CHARACTERS.search(text.replace("\n", ""))
        assert text is None or unicodedata.is_normalized("NFC", text)
    for url in (article.image, article.canonical_url):
        if url is not None:
            parts = urlsplit(url)
            assert parts.scheme in ("http", "https") and parts.hostname and (parts.port or 1) > 0


# --- control characters --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "control", ["&#11;", "&#27;", "&#x1B;", "&#1;", "&#127;", "\x0b", "\x1b", "\x85", "\x00"]
)
def test_control_character_in_one_paragraph_loses_nothing(control: str) -> None:
    paragraphs = [PARAS[0], PARAS[1].replace("97,5%", f"97,5%{control}"), PARAS[2]]
    article = extract_article(page(paragraphs).encode(), URL)
    assert article.text == "\n".join(PARAS)
    _well_formed(article)


def test_c1_references_are_windows_1252_characters_as_in_html5() -> None:
    paragraphs = [PARAS[0].replace(" và triển khai", " &#150; và triển khai"), PARAS[1], PARAS[2]]
    article = extract_article(page(paragraphs).encode(), URL)
    assert "năm 2023 – và triển khai" in article.text


# --- URLs ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad", ["http://[bad/", "http://[::1", "http://baotinh.vn:99999999/a.jpg", "javascript:x()"]
)
def test_malformed_metadata_url_drops_the_field_not_the_article(bad: str) -> None:
    head = f"<link rel='canonical' href='{bad}'><meta property='og:image' content='{bad}'>"
    article = extract_article(page(head=head).encode(), URL)
    assert article.text == "\n".join(PARAS)
    assert article.image is None
    assert article.canonical_url in (None, URL)  # no canonical, or trafilatura's fallback: the page URL
    _well_formed(article)


def test_malformed_og_image_falls_back_to_twitter_image() -> None:
    head = (
        "<meta property='og:image' content='http://[bad/'>"
        "<meta name='twitter:image' content='/uploads/2024/04/anh.jpg'>"
        "<meta property='og:url' content='http://[bad/'><link rel='canonical' href='/thoi-su/x-post1.html'>"
    )
    article = extract_article(page(head=head).encode(), URL)
    assert article.image == "https://baotinh.vn/uploads/2024/04/anh.jpg"
    assert article.canonical_url == "https://baotinh.vn/thoi-su/x-post1.html"


@pytest.mark.parametrize("odd", ["http://[bad/", "not a url", "", "https://baotinh.vn:99999/x"])
def test_odd_page_url_does_not_raise(odd: str) -> None:
    head = (
        "<link rel='canonical' href='https://baotinh.vn/thoi-su/x-post1.html'>"
        "<meta property='og:image' content='/a.jpg'>"
    )
    article = extract_article(page(head=head).encode(), odd)
    assert article.text == "\n".join(PARAS)
    assert article.canonical_url == "https://baotinh.vn/thoi-su/x-post1.html"
    assert article.image is None  # relative to a URL that has no host: nothing to resolve against
    _well_formed(article)


# --- JSON-LD, size, nesting, NUL bytes -----------------------------------------------------------------


@pytest.mark.parametrize("json_ld", ["[" * 100_000 + "]" * 100_000, '{"a":' * 5000 + "1" + "}" * 5000])
def test_absurdly_deep_json_ld_is_ignored(json_ld: str) -> None:
    head = (
        "<meta property='article:published_time' content='2024-04-12T08:30:00+07:00'>"
        f"<script type='application/ld+json'>{json_ld}</script>"
    )
    article = extract_article(page(head=head).encode(), URL)
    assert (
        article.published_at is not None and article.published_at.isoformat() == "2024-04-12T08:30:00+07:00"
    )


def test_oversized_page_is_refused_with_its_size() -> None:
    body = page().encode() + b"<!--" + b"x" * MAX_PAGE_BYTES + b"-->"
    with pytest.raises(ExtractionError, match=r"^page too large to extract \([\d,]+ bytes > 20,971,520\)$"):
        extract_article(body, URL)


def test_text_nested_below_the_parser_limit_names_the_reason() -> None:
    depth = PARSER_MAX_DEPTH + 50
    nested = "<div>" * depth + "".join(f"<p>{p}</p>" for p in PARAS) + "</div>" * depth
    with pytest.raises(ExtractionError, match=r"nested deeper than 255 levels"):
        extract_article(page([]).replace("</article>", nested + "</article>").encode(), URL)
    shallow = "<div>" * 100 + "".join(f"<p>{p}</p>" for p in PARAS) + "</div>" * 100
    assert extract_article(page([]).replace("</article>", shallow + "</article>").encode(), URL).text


def test_a_stray_nul_byte_is_no_binary_file() -> None:
    article = extract_article(page().encode().replace(b"<article>", b"<article>\x00"), URL)
    assert article.text == "\n".join(PARAS)


# --- named hostile inputs ------------------------------------------------------------------------------

_BOMB = (
    "<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'>"
    + "".join(f"<!ENTITY lol{i} '{('&lol' + str(i - 1 if i > 1 else '') + ';') * 10}'>" for i in range(1, 10))
    + "]>"
)
HOSTILE = {
    "invalid utf-8 tail": page().encode() + b"\xff\xfe\xfd" * 50,
    "bytes 128-255": b"<html><body><p>" + bytes(range(128, 256)) * 200 + b"</p></body></html>",
    "declared utf-16, is utf-8": page(head="<meta charset='utf-16'>").encode(),
    "utf-16 with BOM": b"\xff\xfe" + page().encode("utf-16-le"),
    "utf-16 without BOM": page().encode("utf-16-le"),
    "binary": bytes((i * 7919) % 251 + 1 for i in range(50_000)),
    "empty document": b"<html></html>",
    "doctype only": b"<!DOCTYPE html>",
    "xml bomb": (_BOMB + page([f"{p} &lol9;" for p in PARAS])).encode(),
    "external entity": (
        "<!DOCTYPE html [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>" + page([PARAS[0] + "&x;"])
    ).encode(),
    "deep spans in a paragraph": page(["<span>" * 50_000 + PARAS[0] + "</span>" * 50_000]).encode(),
    "deep tables": page(["<table><tr><td>" * 3000 + PARAS[0] + "</td></tr></table>" * 3000]).encode(),
    "out-of-range references": page(
        [f"{PARAS[0]} &#xD800; &#0; &#x110000; &#99999999999;", *PARAS[1:]]
    ).encode(),
    "many attributes": page(
        ["<span " + " ".join(f"a{i}='x'" for i in range(20_000)) + f">{PARAS[0]}</span>"]
    ).encode(),
    "svg and math": page(
        [f"<svg><script>x</script><foreignObject>{PARAS[0]}</foreignObject></svg><math>1</math>"]
    ).encode(),
    "60 MB of text": b"<html><body><p>" + b"a " * 30_000_000 + b"</p></body></html>",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
@pytest.mark.parametrize("content_type", [None, "text/html; charset=utf-16", "text/html; charset=x-unknown"])
def test_hostile_input_gives_an_article_or_a_reason(name: str, content_type: str | None) -> None:
    try:
        article = extract_article(HOSTILE[name], URL, content_type=content_type)
    except ExtractionError as exc:
        assert str(exc)  # a specific one-line reason
        assert "\n" not in str(exc)
    else:
        _well_formed(article)


# --- generated markup ----------------------------------------------------------------------------------

_PIECES = [
    *"aăâbcdđeêghiklmnoôơpqrstuưvxyàảãáạềểễếệ ,.:;!?-–\"'<>&/|#",
    *[
        "&#11;",
        "&#27;",
        "&#150;",
        "&#xD800;",
        "&#0;",
        "&amp;",
        "&lt;",
        "&nbsp;",
        "\x00",
        "\x0b",
        "\x1b",
        "\x85",
    ],
    *["\u200b", "\ufeff", "\u0301", "ɛ", "ɔ", "漢", "\n", "\t"],
]
_TEXT = st.lists(st.sampled_from(_PIECES), max_size=60).map("".join)
_URLS = st.sampled_from(
    [
        "/a.html",
        "http://[bad/",
        "https://baotinh.vn:99999/x",
        "javascript:void(0)",
        "//cdn.vn/a.jpg",
        "",
        " ",
        "?q",
    ]
)
_TAGS = st.sampled_from(
    ["p", "div", "span", "b", "table", "tr", "td", "li", "ul", "h1", "h2", "a", "script", "time"]
)


def _element(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.builds(
        lambda tag, href, inner, text: (
            f"<{tag} href='{href}' class='sapo date'>{text}{''.join(inner)}</{tag}>"
        ),
        _TAGS,
        _URLS,
        st.lists(children, max_size=4),
        _TEXT,
    )


_MARKUP = st.recursive(_TEXT, _element, max_leaves=40)
_HEAD = st.lists(
    st.builds(
        lambda key, value: f"<meta property='{key}' content='{value}'>",
        st.sampled_from(
            ["og:image", "og:url", "article:published_time", "article:tag", "og:title", "author"]
        ),
        st.one_of(_URLS, _TEXT),
    ),
    max_size=5,
).map("".join)


@given(
    head=_HEAD,
    body=st.lists(_MARKUP, max_size=6),
    encoding=st.sampled_from(["utf-8", "cp1258", "utf-16", "latin-1"]),
    content_type=st.sampled_from(
        [None, "text/html", "text/html; charset=windows-1258", "application/xhtml+xml"]
    ),
    url=st.sampled_from([URL, "http://[bad/", "not a url"]),
)
@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
def test_generated_markup_gives_an_article_or_a_reason(
    head: str, body: list[str], encoding: str, content_type: str | None, url: str
) -> None:
    markup = page(["".join(body), *PARAS], head=head)
    data = markup.encode(encoding, errors="replace")
    try:
        article = extract_article(data, url, content_type=content_type)
    except ExtractionError as exc:
        assert str(exc) and "\n" not in str(exc)
    else:
        _well_formed(article)


@given(st.binary(max_size=4000))
@example(b"html")  # parsed as a lone <span> below <html>: the depth check once assumed the document root
@settings(max_examples=150, deadline=None, derandomize=True)
def test_arbitrary_bytes_give_an_article_or_a_reason(data: bytes) -> None:
    try:
        extract_article(data, URL, content_type="text/html")
    except ExtractionError as exc:
        assert str(exc)


def test_a_tag_with_thousands_of_attributes_reaches_the_parser_trimmed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # libxml2 checks every attribute against the earlier ones of its tag: 20,000 cost ~1 s per parse
    import pipelines.extract.core as extractor

    parsed = []
    parse_markup = extractor.parse_markup

    def spy(markup: str) -> object:
        tree = parse_markup(markup)
        parsed.append(tree)
        return tree

    monkeypatch.setattr(extractor, "parse_markup", spy)
    attributes = " ".join(f"data-a{i}='x'" for i in range(20_000))
    paragraphs = [f"<span {attributes} class='lead'>{PARAS[0]}</span>", *PARAS[1:]]
    article = extract_article(page(paragraphs).encode(), URL)
    assert article.text == "\n".join(PARAS)
    assert max(len(element.attrib) for element in parsed[0].iter()) == MAX_ATTRIBUTES


def test_tens_of_thousands_of_paragraph_runs_are_refused_before_trafilatura(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # trafilatura's "//p//text()" is quadratic in libxml2: 80,000 runs cost 18 s per call, 91 s per page
    import pipelines.extract.core as extractor

    calls: list[object] = []
    bare_extraction = extractor.trafilatura.bare_extraction
    monkeypatch.setattr(
        extractor.trafilatura, "bare_extraction", lambda *a, **k: calls.append(a) or bare_extraction(*a, **k)
    )
    runs = [f"Dòng {i} của trang<br>phần sau {i}" for i in range(MAX_PARAGRAPH_TEXTS // 2 + 1)]
    with pytest.raises(
        ExtractionError, match=r"^too many paragraph text runs to extract \(30,00\d > 30,000\)$"
    ):
        extract_article(page([*PARAS, *runs]).encode(), URL)
    assert not calls
    # reader comments are counted out: they are pruned first
    comments = "".join(f"<div><b>Bạn đọc {i}</b><p>{PARAS[0]}</p></div>" for i in range(MAX_PARAGRAPH_TEXTS))
    box = f"<div><div>Ý kiến bạn đọc</div>{comments}</div>"
    assert extract_article(page().replace("</article>", "</article>" + box).encode(), URL).text == "\n".join(
        PARAS
    )
