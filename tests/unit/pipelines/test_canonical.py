"""Canonical claims (pipelines.canonical): a page's rel=canonical/og:url joins it to another URL's article
only when both hold the same text; home pages and listings are never targets; the claim is recorded."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from pipelines import canonical
from pipelines.canonical import Claim, TargetText, claim_of, decide, is_home_or_listing, judge
from pipelines.extract.links import LinkRules
from pipelines.reextract import reextract
from storage.articles import ArticleData, archive_article
from storage.captures import CaptureData, archive_failure
from storage.models import Article, Capture
from storage.runs import ensure_portal
from storage.text import content_hash
from tests.unit.pipelines.test_pipelines import PARAGRAPHS, article_html

HOME = "https://baotinh.vn/"
A = "https://baotinh.vn/thoi-su/khanh-thanh-cau-ben-loi-noi-hai-huyen-12345.html"
B = "https://baotinh.vn/kinh-te/gia-ca-phe-nhan-xo-tang-manh-dau-vu-23456.html"
BRIDGE = "\n".join(
    [
        "Sáng nay, tỉnh Lâm Đồng khánh thành cầu Bến Lội dài 212 mét bắc qua sông Đạ Nhim.",
        "Công trình có tổng vốn đầu tư 148 tỷ đồng, khởi công từ tháng 3 năm ngoái.",
        "Cây cầu rút ngắn quãng đường từ xã Liêng Srônh đến trung tâm huyện còn 9 cây số.",
        "Người dân hai bên bờ trước đây phải đi đò ngang, mùa mưa lũ thường xuyên bị chia cắt.",
    ]
)
COFFEE = "\n".join(
    [
        "Giá cà phê nhân xô tại Đắk Lắk hôm nay được thương lái thu mua ở mức 96.500 đồng mỗi ký.",
        "So với tuần trước, mỗi ký cà phê tăng thêm khoảng 2.300 đồng do nguồn cung khan hiếm.",
        "Nhiều nông hộ ở Krông Pắc chọn trữ hàng chờ giá thay vì bán ngay sau khi hái.",
    ]
)
# The bridge story with a lead-in line: a near copy (neardup.compare confirms it), not the same hash.
BRIDGE_LEAD_IN = "Theo Báo Lâm Đồng:\n" + BRIDGE


def target(text: str) -> TargetText:
    return TargetText(content_hash(text), text)


def verdict(
    claim: Claim | None, *, own_archived: bool = False, archived: str | None = None, text: str
) -> str:
    assert claim is not None
    return decide(
        claim, home_url=HOME, rules=None, own_archived=own_archived,
        target=target(archived) if archived is not None else None, content_hash=content_hash(text), text=text,
    )  # fmt: skip


# --- what a page claims -----------------------------------------------------------------------------


def test_a_page_naming_itself_claims_nothing() -> None:
    assert claim_of(A, None) is None and claim_of(A, "  ") is None
    # Tracking parameters, the www. edition, http/https and a trailing slash fold to the page itself.
    assert claim_of(A + "?utm_source=zalo", A) is None
    assert claim_of(A, A.replace("https://", "http://www.")) is None


def test_a_claim_names_another_url_of_the_site_or_another_site() -> None:
    assert claim_of(B, A) == Claim(A, A)
    assert claim_of(B, "https://baotinh.vn/") == Claim("https://baotinh.vn/", "https://baotinh.vn/")
    # Another site (a syndicated copy naming its source) or a malformed URL: a claim without a target.
    assert claim_of(B, "https://baokhac.vn/bai-goc-12345.html") == Claim(
        "https://baokhac.vn/bai-goc-12345.html", ""
    )
    assert claim_of(B, "http://[bad/") == Claim("http://[bad/", "")


@pytest.mark.parametrize(
    "url",
    ["https://baotinh.vn/", "https://baotinh.vn", "https://baotinh.vn/thoi-su", "https://baotinh.vn/thoi-su/trang-2",
     "https://baotinh.vn/uploads/anh-minh-hoa.jpg"],
)  # fmt: skip
def test_home_pages_listings_and_files_are_not_articles(url: str) -> None:
    assert is_home_or_listing(url, HOME)


def test_the_registered_home_and_the_portals_url_rules_decide() -> None:
    assert is_home_or_listing("https://baotinh.vn/vi", "https://baotinh.vn/vi/")
    assert not is_home_or_listing(A, HOME)
    rules = LinkRules("baotinh.vn", article_pattern=r"^/bai/\d+$", listing_pattern=r"^/muc/")
    assert not is_home_or_listing("https://baotinh.vn/bai/12", HOME, rules)
    assert is_home_or_listing(
        "https://baotinh.vn/muc/khanh-thanh-cau-ben-loi-noi-hai-huyen-12345", HOME, rules
    )


# --- the decision ------------------------------------------------------------------------------------


def test_a_claim_on_an_article_with_the_same_text_is_accepted() -> None:
    assert verdict(claim_of(B, A), archived=BRIDGE, text=BRIDGE) == canonical.ACCEPTED
    assert verdict(claim_of(B, A), archived=BRIDGE, text=BRIDGE_LEAD_IN) == canonical.ACCEPTED


def test_a_claim_on_an_article_with_another_text_is_rejected() -> None:
    assert verdict(claim_of(B, A), archived=BRIDGE, text=COFFEE) == canonical.REJECTED_DIFFERENT_TEXT
    # The same template with other figures is another story, not an edit.
    other_figures = BRIDGE.replace("212 mét", "318 mét").replace("148 tỷ", "97 tỷ")
    assert verdict(claim_of(B, A), archived=BRIDGE, text=other_figures) == canonical.REJECTED_DIFFERENT_TEXT


def test_huge_texts_are_not_compared_and_the_claim_is_rejected() -> None:
    many = "\n".join(f"Đoạn {i} của bài viết rất dài." for i in range(600))
    assert (
        verdict(claim_of(B, A), archived=many, text=many + "\nThêm một đoạn.")
        == canonical.REJECTED_DIFFERENT_TEXT
    )


def test_claims_on_the_home_page_a_listing_or_another_site_are_ignored_even_with_the_same_text() -> None:
    home, listing = claim_of(B, "/".join(HOME.split("/")[:3])), claim_of(B, "https://baotinh.vn/thoi-su/")
    assert verdict(home, archived=BRIDGE, text=BRIDGE) == canonical.IGNORED_HOME_OR_LISTING
    assert verdict(listing, archived=BRIDGE, text=BRIDGE) == canonical.IGNORED_HOME_OR_LISTING
    other = claim_of(B, "https://baokhac.vn/bai-goc-12345.html")
    assert verdict(other, archived=BRIDGE, text=BRIDGE) == canonical.IGNORED_OTHER_SITE


def test_an_unarchived_target_is_not_trusted_and_an_archived_url_keeps_its_article() -> None:
    assert verdict(claim_of(B, A), text=BRIDGE) == canonical.UNVERIFIED
    assert (
        verdict(claim_of(B, A), own_archived=True, archived=BRIDGE, text=BRIDGE) == canonical.KEPT_OWN_ARTICLE
    )


# --- against an archive, as the archive stage judges ------------------------------------------------

T0 = datetime(2024, 4, 12, 1, 30, tzinfo=UTC)


def archive_page(session: Session, url: str, text: str, declared: str | None = None) -> Capture:
    """Archive a page the way ArchivePipeline does: judge its claim, then archive under the judged URL."""
    judgement = judge(
        session, url, declared, home_url=HOME, rules=None, content_hash=content_hash(text), text=text
    )
    capture = CaptureData(
        url=url, final_url=url, http_status=200, headers={}, body=f"<p>{text}</p>".encode(),
        content_type="text/html", discovered_via="listing", fetched_at=T0,
        canonical_claim=judgement.claim, canonical_verdict=judgement.verdict,
    )  # fmt: skip
    article = ArticleData(
        url=url, canonical_url=judgement.canonical_url, text=text, content_hash=content_hash(text),
        language="vi", language_confidence=0.99, title=text[:30],
    )  # fmt: skip
    outcome = archive_article(session, capture, article, run_id=None, portal_id=None)
    found = session.get(Capture, outcome.capture_id)
    assert found is not None
    return found


def test_a_page_claiming_another_article_never_replaces_its_text(
    archive: tuple[Engine, sessionmaker[Session]],
) -> None:
    _, factory = archive
    with factory.begin() as session:
        archive_page(session, A, BRIDGE)
        hijack = archive_page(session, B, COFFEE, declared=A)
        home_1 = archive_page(session, B.replace("23456", "34567"), COFFEE + "\nMột.", declared=HOME)
        home_2 = archive_page(session, B.replace("23456", "45678"), BRIDGE + "\nHai.", declared=HOME)
        copy = archive_page(session, A.replace("12345", "12345-ban-in"), BRIDGE, declared=A)
    with factory() as session:
        articles = {a.canonical_url: a for a in session.scalars(select(Article))}
        captures = {c.url: c for c in session.scalars(select(Capture))}
    # A keeps its text and its one version; every other page is its own article, but the copy.
    assert articles[A].text == BRIDGE and articles[A].version == 1
    assert articles[B].text == COFFEE
    assert len(articles) == 4 and all(a.version == 1 for a in articles.values())
    assert (hijack.canonical_claim, hijack.canonical_verdict) == (A, canonical.REJECTED_DIFFERENT_TEXT)
    assert home_1.canonical_verdict == home_2.canonical_verdict == canonical.IGNORED_HOME_OR_LISTING
    assert home_1.article_id != home_2.article_id
    # The legitimate claim: the same text under another URL joins A (a revisit of its article).
    assert copy.canonical_verdict == canonical.ACCEPTED and copy.article_id == articles[A].id
    assert captures[A].canonical_claim is None and captures[A].canonical_verdict is None


def test_reextract_judges_the_claim_of_a_recovered_capture(
    archive: tuple[Engine, sessionmaker[Session]],
) -> None:
    """A capture that failed before and is recovered by `newsarchive reextract` claims an archived article
    with another text: it becomes its own article, the other keeps its text."""
    _, factory = archive
    victim = "https://baoninhthuan.com.vn/thoi-su/so-ket-cong-tac-phong-chong-ma-tuy-1234.html"
    claimer = "https://baoninhthuan.com.vn/kinh-te/gia-ca-phe-va-cau-ben-loi-5678.html"
    other_story = article_html((BRIDGE + "\n" + COFFEE).split("\n"), title="Cầu Bến Lội và giá cà phê")
    other_story = other_story.replace(b"</head>", f"<link rel='canonical' href='{victim}'></head>".encode())
    with factory.begin() as session:
        portal = ensure_portal(session, "ninhthuan", "Báo Ninh Thuận", "https://baoninhthuan.com.vn/")
        text = "\n".join(PARAGRAPHS)
        page = CaptureData(
            url=victim, final_url=victim, http_status=200, headers={}, body=article_html(PARAGRAPHS),
            content_type="text/html; charset=utf-8", discovered_via="listing", fetched_at=T0,
        )  # fmt: skip
        data = ArticleData(
            url=victim, canonical_url=victim, text=text, content_hash=content_hash(text), language="vi",
            language_confidence=0.99,
        )  # fmt: skip
        archive_article(session, page, data, run_id=None, portal_id=portal.id)
        failed = CaptureData(
            url=claimer, final_url=claimer, http_status=200, headers={}, body=other_story,
            content_type="text/html; charset=utf-8", discovered_via="listing", fetched_at=T0,
        )  # fmt: skip
        archive_failure(
            session, failed, run_id=None, portal_id=portal.id, status="extraction_failed", reason="old bug"
        )
    summary = reextract(factory, workers=1)
    assert summary.recovered == 1, summary.errors
    with factory() as session:
        articles = {a.canonical_url: a for a in session.scalars(select(Article))}
        capture = session.scalars(select(Capture).where(Capture.url == claimer)).one()
    assert set(articles) == {victim, claimer}
    assert "35 vụ với 52 đối tượng" in articles[victim].text and "Bến Lội" not in articles[victim].text
    assert "Bến Lội" in articles[claimer].text and capture.article_id == articles[claimer].id
    assert (capture.canonical_claim, capture.canonical_verdict) == (victim, canonical.REJECTED_DIFFERENT_TEXT)
