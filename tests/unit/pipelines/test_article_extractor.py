"""Golden-page tests of extract_article: fields, dates, encodings, entities and rejections."""

from __future__ import annotations

import json
import pickle
import re
import unicodedata
from datetime import datetime
from pathlib import Path
from typing import Any

import lxml.html
import pytest

from pipelines.extract.core import ExtractedArticle, ExtractionError, extract_article
from pipelines.extract.meta import breadcrumbs, jsonld_scripts
from tests.unit.storage.test_text import encode_cp1258

GOLDEN = Path(__file__).resolve().parents[2] / "golden"
PAGES = sorted(GOLDEN.glob("*.html"))


def _expected(page: Path) -> dict[str, Any]:
    return json.loads(page.with_suffix(".json").read_text(encoding="utf-8"))


def _extract(page: Path, body: bytes | None = None, content_type: str = "text/html") -> ExtractedArticle:
    expected = _expected(page)
    return extract_article(
        page.read_bytes() if body is None else body,
        expected["url"],
        content_type=content_type,
        feed_date=expected.get("feed_date"),
    )


def _check(article: ExtractedArticle, expected: dict[str, Any]) -> None:
    assert article.title == expected["title"]
    for key in ("canonical_url", "site_name", "image", "declared_language", "author", "categories", "tags"):
        if key in expected:
            assert getattr(article, key) == expected[key], key
    if "sapo_startswith" in expected:
        assert article.sapo is not None and article.sapo.startswith(expected["sapo_startswith"])
    for snippet in expected.get("text_contains", []):
        assert snippet in article.text
    for snippet in expected.get("text_excludes", []):
        assert snippet not in article.text
    for key in ("published_at", "updated_at"):
        if key in expected:
            value = getattr(article, key)
            assert (value.isoformat() if value else None) == expected[key], key
    assert article.date_source is not None and article.date_source.startswith(expected["date_source_prefix"])
    assert len(article.date_warnings) == expected["date_warnings"]
    for text in (article.title, article.sapo, article.text):
        assert text is None or unicodedata.is_normalized("NFC", text)


@pytest.mark.parametrize("page", PAGES, ids=[p.stem for p in PAGES])
def test_golden_page(page: Path) -> None:
    _check(_extract(page), _expected(page))


@pytest.mark.parametrize("page", PAGES, ids=[p.stem for p in PAGES])
def test_golden_page_as_nfd(page: Path) -> None:
    nfd = unicodedata.normalize("NFD", page.read_text(encoding="utf-8")).encode("utf-8")
    _check(_extract(page, nfd), _expected(page))


@pytest.mark.parametrize("page", PAGES, ids=[p.stem for p in PAGES])
def test_golden_page_as_windows_1258(page: Path) -> None:
    html = page.read_text(encoding="utf-8").replace('charset="utf-8"', 'charset="windows-1258"')
    article = _extract(page, encode_cp1258(html), content_type="text/html")
    assert article.encoding == "cp1258"
    _check(article, _expected(page))


def test_declared_charset_lies() -> None:
    page = GOLDEN / "baoninhthuan_dateline.html"
    lying = page.read_text(encoding="utf-8").replace('charset="utf-8"', 'charset="iso-8859-1"').encode()
    article = _extract(page, lying, content_type="text/html; charset=windows-1252")
    assert article.encoding == "utf-8"
    _check(article, _expected(page))


def test_to_dict_is_json_and_pickle_round_trips() -> None:
    article = _extract(GOLDEN / "baokhanhhoa_meta_jsonld.html")
    data = json.loads(json.dumps(article.to_dict(), ensure_ascii=False))
    assert data["published_at"] == "2024-04-18T07:15:00+07:00"
    assert data["updated_at"] == "2024-04-18T10:40:00+07:00"
    assert pickle.loads(pickle.dumps(article)) == article
    assert isinstance(article.published_at, datetime) and article.published_at.tzinfo is not None


def test_site_name_suffix_and_prefix_stripped() -> None:
    assert (
        _extract(GOLDEN / "baokhanhhoa_meta_jsonld.html").title
        == "Nha Trang đón hơn 20.000 lượt khách dịp lễ Giỗ Tổ"
    )
    ninh_thuan = _extract(GOLDEN / "baoninhthuan_dateline.html").title
    assert ninh_thuan == "Phan Rang - Tháp Chàm ra quân làm sạch bãi biển Bình Sơn"  # keeps the inner " - "


def test_weekday_mismatch_recorded() -> None:
    article = _extract(GOLDEN / "baophuyen_weekday_entities.html")
    assert article.date_warnings and "Friday" in article.date_warnings[0]


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "application/pdf", "binary content (application/pdf)"),
        (b"%PDF-1.7\n1 0 obj", "text/html", "binary content (application/pdf)"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", None, "binary content (image/png)"),
        (b"<html>\x00\x01\x02\x00</html>", None, "binary content"),
        (b"", "text/html", "empty body"),
        (b"  \n ", "text/html", "empty body"),
    ],
)
def test_rejects_binary_and_empty(body: bytes, content_type: str | None, reason: str) -> None:
    with pytest.raises(ExtractionError) as info:
        extract_article(body, "https://baoninhthuan.com.vn/file.pdf", content_type=content_type)
    assert str(info.value).startswith(reason)


def test_rejects_page_without_article_body() -> None:
    html = (
        "<html><head><title>Lỗi 404 - Báo Ninh Thuận</title></head><body><p>Không tìm thấy.</p></body></html>"
    )
    with pytest.raises(ExtractionError, match="no article body found"):
        extract_article(html.encode(), "https://baoninhthuan.com.vn/404")


def test_layout_table_page_keeps_paragraphs() -> None:
    article = _extract(GOLDEN / "baobinhthuan_words_nodate_meta.html")
    assert "|" not in article.text and article.text.count("\n") == 2


# --- generic layout rules (table-layout portals without metadata) ----------------------------------

_PARAS = [
    "Sáng 12/4, UBND tỉnh tổ chức hội nghị tổng kết công tác cải cách hành chính năm 2023 và triển khai"
    " nhiệm vụ năm 2024 với sự tham dự của lãnh đạo các sở, ngành và địa phương.",
    "Theo báo cáo, tỷ lệ hồ sơ giải quyết đúng hạn đạt 97,5%, tăng 3% so với cùng kỳ năm trước.",
    "Theo báo cáo, tỷ lệ hồ sơ giải quyết đúng hạn đạt 97,5%.",
    "Phát biểu kết luận, Phó Chủ tịch UBND tỉnh đề nghị các đơn vị tiếp tục đẩy mạnh chuyển đổi số.",
]
_SAPO = (
    "Năm 2023, công tác cải cách hành chính của tỉnh có nhiều chuyển biến tích cực, được người dân ghi nhận."
)


def _table_layout_page(byline: str) -> bytes:
    menu = "".join(
        f"<td><a href='/c{i}'>{name}</a></td>" for i, name in enumerate(["Thời sự", "Kinh tế", "Xã hội"])
    )
    figure = (
        "<table align='center'><tr><td><img src='/a.jpg'></td></tr>"
        "<tr><td>Quang cảnh hội nghị. Ảnh: Minh Hà</td></tr></table>"
    )
    comments = "".join(f"<div><span>Bạn đọc {i}</span>: {_PARAS[0]}</div>" for i in range(300))
    return (
        "<html><head><meta charset='utf-8'><title>Đẩy mạnh cải cách hành chính - Báo Tỉnh</title></head>"
        "<body>"
        f"<table><tr><td><a href='/'>TRANG CHỦ</a></td>{menu}</tr></table>"
        "<div><h1>Đẩy mạnh cải cách hành chính</h1><div>08:30 12/4/2024 | <a href='/in'>In trang</a></div>"
        f"<div><b>{_SAPO}</b></div><div>"
        f"<p>{_PARAS[0]}</p><p>{_PARAS[1]}</p>{figure}<p>{_PARAS[2]}</p><p>{_PARAS[3]}</p>{byline}</div>"
        "<div>Từ khóa: <a href='/t/1'>cải cách</a></div></div>"
        f"<div><div>Ý KIẾN BẠN ĐỌC</div>{comments}<textarea></textarea></div>"
        "</body></html>"
    ).encode()


@pytest.mark.parametrize(
    "byline",
    [
        "<p align='right'><b>Minh Hà</b></p>",
        "<p style='text-align: right'>Minh Hà</p>",
        "<p><strong>Minh Hà</strong></p>",
    ],
)
def test_table_layout_page_without_metadata(byline: str) -> None:
    article = extract_article(_table_layout_page(byline), "https://baotinh.vn/tin-tuc/cai-cach-post1.html")
    assert article.title == "Đẩy mạnh cải cách hành chính"
    assert article.sapo == _SAPO  # the bold block under the headline and date line
    assert article.text == "\n".join(_PARAS)  # no menu, caption, byline, tags or comments; repeat kept
    assert article.author == "Minh Hà"
    assert article.published_at == datetime.fromisoformat("2024-04-12T08:30:00+07:00")


def test_plain_closing_line_is_not_a_byline() -> None:
    article = extract_article(_table_layout_page("<p>Minh Hà</p>"), "https://baotinh.vn/tin-tuc/a-post1.html")
    assert article.author is None and article.text.endswith("\nMinh Hà")


def test_modified_time_equal_to_published_is_no_update() -> None:
    html = _table_layout_page("").replace(
        b"</title>",
        b"</title><meta property='article:published_time' content='2024-04-12T08:30:00+07:00'>"
        b"<meta property='article:modified_time' content='2024-04-12T08:30:00+07:00'>",
    )
    article = extract_article(html, "https://baotinh.vn/tin-tuc/a-post1.html")
    assert article.published_at == datetime.fromisoformat("2024-04-12T08:30:00+07:00")
    assert article.updated_at is None


# --- inline related-article links --------------------------------------------------------------------

_PROSE = [
    "Sáng 12/4, UBND tỉnh tổ chức hội nghị tổng kết công tác cải cách hành chính năm 2023 và triển khai"
    " nhiệm vụ năm 2024 với sự tham dự của lãnh đạo các sở, ngành và địa phương.",
    "Theo báo cáo, tỷ lệ hồ sơ giải quyết đúng hạn đạt 97,5%, tăng 3% so với cùng kỳ năm trước, nhiều thủ"
    " tục được thực hiện trực tuyến toàn trình.",
    "Phát biểu kết luận, Phó Chủ tịch UBND tỉnh đề nghị các đơn vị tiếp tục đẩy mạnh chuyển đổi số trong"
    " thời gian tới.",
    "Trước đó, tỉnh đã khai trương <a href='/tin-tuc/trung-tam-hanh-chinh-cong-post7.html'>Trung tâm phục vụ"
    " hành chính công</a> với 20 quầy giao dịch, phục vụ người dân cả ngày thứ Bảy.",
    "Theo <a href='https://baochinhphu.vn/dich-vu-cong.html'>Cổng Thông tin điện tử Chính phủ</a>, cả nước"
    " đã có 63 tỉnh, thành phố kết nối Cổng dịch vụ công quốc gia.",
]
_RELATED = [
    "<p>&gt;&gt; Xem thêm: <a href='/tin-tuc/khanh-thanh-cau-song-dinh-post2.html'>Khánh thành cầu mới bắc"
    " qua sông Dinh</a></p>",
    "<p><strong>Đọc thêm:</strong> <a href='https://baotinh.vn/kinh-te/nho-post3.html'>Nông dân trúng mùa"
    " nho</a>; <a href='//www.baotinh.vn/kinh-te/thanh-long-post4.html'>Giá thanh long tăng mạnh</a></p>",
    "<div class='box'><h4>Tin liên quan</h4><ul><li><a href='/du-lich/khach-post5.html'>Tỉnh đón 1 triệu"
    " lượt khách du lịch</a> <small>(10/4/2024)</small></li><li><a href='/kinh-te/hoi-cho-post6.html'>Khai"
    " mạc hội chợ thương mại</a></li></ul></div>",
    "<p><b>Bài liên quan:</b></p><ul><li><a href='/xa-hoi/bai-bien-post8.html'>Huyện Ninh Hải ra quân làm"
    " sạch bãi biển Bình Sơn</a></li></ul>",
]


def _related_page() -> bytes:
    body = "".join(f"<p>{p}</p>{_RELATED[i] if i < len(_RELATED) else ''}" for i, p in enumerate(_PROSE))
    return (
        "<html><head><meta charset='utf-8'><title>Đẩy mạnh cải cách hành chính - Báo Tỉnh</title></head>"
        "<body>"
        "<div class='breadcrumb'><a href='/'>Trang chủ</a> &gt; <a href='/thoi-su'>Thời sự</a></div>"
        "<article><h1><a href='/thoi-su/cai-cach-post1.html'>Đẩy mạnh cải cách hành chính</a></h1>"
        "<div>08:30 12/4/2024 | <a href='/in/cai-cach-post1.html'>In trang</a></div>"
        f"<div class='content'>{body}"
        "<p><a href='/thoi-su/dich-vu-cong-post9.html'>Người dân hài lòng với dịch vụ công trực tuyến</a></p>"
        "</div></article></body></html>"
    ).encode()


def test_inline_related_lines_and_boxes_are_dropped_prose_with_links_kept() -> None:
    article = extract_article(_related_page(), "https://baotinh.vn/thoi-su/cai-cach-post1.html")
    prose = [re.sub(r"<[^>]+>", "", paragraph) for paragraph in _PROSE]
    assert article.text == "\n".join(prose)
    assert article.title == "Đẩy mạnh cải cách hành chính"  # a headline linking to its own page stays
    assert article.categories == ["Thời sự"]  # breadcrumbs are navigation, not related links
    assert article.published_at == datetime.fromisoformat(
        "2024-04-12T08:30:00+07:00"
    )  # date line + print link


def test_related_links_to_another_site_stay() -> None:
    # the brief is links to the same site's articles: a "Xem thêm" pointing elsewhere is a reference
    page = _related_page().replace(b"href='/tin-tuc/khanh-thanh", b"href='https://vanban.gov.vn/khanh-thanh")
    article = extract_article(page, "https://baotinh.vn/thoi-su/cai-cach-post1.html")
    assert ">> Xem thêm: Khánh thành cầu mới bắc qua sông Dinh" in article.text.split("\n")


def test_breadcrumb_markup_is_read_as_its_xpath_reads_it() -> None:
    # breadcrumbs reads the class attributes of nodes extraction already walked; what it selects must stay
    # what the XPath selects: the first matching child of each element (any case of "breadcrumb", and
    # "bread-crumb"/"breadcrumbs" as written), and every link below those, in document order
    tree = lxml.html.document_fromstring(
        "<html><head><script type='Application/LD+JSON'>{}</script></head><body><div>"
        "<p class='Breadcrumb'><a>Một</a></p><p class='breadcrumbs'><a>Hai</a>"
        "<span class='BREAD-CRUMB'><a>Ba</a></span></p><ul class='x BreadCrumbS'><li><a>Bốn</a></li></ul>"
        "</div><nav><span class='bread-crumb'><a>Năm</a></span>"
        "<span class='breadcrumb'><a>Sáu</a></span></nav>"
        "<section class='BREADCRUMB'><a>Bảy</a><div class='breadcrumb'><a>Tám</a></div></section>"
        "</body></html>"
    )
    nodes = list(tree.iter())
    assert breadcrumbs(tree, nodes) == breadcrumbs(tree) == ["Một", "Hai", "Ba", "Năm", "Sáu", "Bảy", "Tám"]
    assert jsonld_scripts(tree) == tree.xpath(
        "//script[contains(translate(@type,'LDJSON','ldjson'),'ld+json')]"
    )


@pytest.mark.parametrize(
    "url",
    ["https://baoninhthuan.com.vn/tin/bai-1.html", "https://baolaocai.vn/tin-tức/ảnh", "http://x/\ud800"],
)
def test_the_copied_options_are_those_built_for_the_url(url: str) -> None:
    from trafilatura.settings import Extractor

    from pipelines.extract import core

    built = Extractor(output_format="python", comments=False, tables=True, url=url, with_metadata=False)
    copied = core._options(url)
    assert {name: getattr(copied, name) for name in Extractor.__slots__} == {
        name: getattr(built, name) for name in Extractor.__slots__
    }
    # Each page's containers are its own: what one extraction might put there, the next never sees.
    assert copied.date_params is not core._options(url).date_params
    assert copied.author_blacklist is not core._OPTIONS.author_blacklist
