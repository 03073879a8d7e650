"""Near-duplicate detection: syndicated copies are linked, templated reports with other facts are not."""

from __future__ import annotations

import unicodedata

from pipelines.detect.neardup import compare

STORY = [
    "Sáng 12/4, Ủy ban nhân dân tỉnh Ninh Thuận tổ chức hội nghị sơ kết công tác phòng, chống ma túy quý I "
    "năm 2024, với sự tham dự của đại diện các sở, ban, ngành và lãnh đạo các huyện, thành phố.",
    "Theo báo cáo, trong quý I, lực lượng chức năng đã phát hiện, bắt giữ 35 vụ với 52 đối tượng, thu giữ "
    "hơn 120 gam ma túy tổng hợp; công tác tuyên truyền được đẩy mạnh tại 65 xã, phường, thị trấn.",
    "Ông Nguyễn Văn Hùng, Giám đốc Công an tỉnh cho biết lực lượng công an đã phối hợp chặt chẽ với các "
    "địa phương để rà soát, lập danh sách người nghiện và tổ chức cai nghiện tại cộng đồng.",
    "Phát biểu kết luận, Phó Chủ tịch UBND tỉnh đề nghị các địa phương tiếp tục rà soát, quản lý chặt chẽ "
    "người sử dụng trái phép chất ma túy, không để phát sinh điểm nóng trên địa bàn.",
]


def text(paragraphs: list[str]) -> str:
    return "\n".join(paragraphs)


def templated(district: str, cases: str, people: str) -> str:
    return text(
        [
            f"Sáng 12/4, Ủy ban nhân dân huyện {district} tổ chức hội nghị sơ kết công tác phòng, "
            "chống ma túy quý I năm 2024, với sự tham dự của đại diện các phòng, ban "
            "và lãnh đạo các xã, thị trấn.",
            f"Theo báo cáo, trong quý I, lực lượng chức năng huyện {district} đã phát hiện, "
            f"bắt giữ {cases} vụ với {people} đối tượng; công tác tuyên truyền được đẩy mạnh "
            "tại các xã, thị trấn.",
            "Phát biểu kết luận, Phó Chủ tịch UBND huyện đề nghị các địa phương tiếp tục rà soát, "
            "quản lý chặt chẽ người sử dụng trái phép chất ma túy, không để phát sinh điểm nóng "
            "trên địa bàn.",
        ]
    )


def test_copy_with_lead_in_and_credit_is_the_same_story() -> None:
    copy = text(["(BKH) - Tin từ Báo Ninh Thuận:", *STORY, "Theo Báo Ninh Thuận"])
    verdict = compare(text(STORY), copy)
    assert verdict.same_story, verdict.reason


def test_lightly_edited_copy_is_the_same_story() -> None:
    edited = list(STORY)
    edited[3] = edited[3].replace("Phát biểu kết luận, ", "Kết luận hội nghị, ")
    assert compare(text(STORY), text(edited)).same_story


def test_nfd_copy_is_the_same_story() -> None:
    assert compare(text(STORY), unicodedata.normalize("NFD", text(STORY))).same_story


def test_templated_reports_with_other_names_or_numbers_are_not_linked() -> None:
    first = templated("Ninh Sơn", "35", "52")
    other_numbers = templated("Ninh Sơn", "12", "17")
    other_place = templated("Bác Ái", "35", "52")
    assert not compare(first, other_numbers).same_story
    assert not compare(first, other_place).same_story
    assert "differ" in compare(first, other_numbers).reason


def test_unrelated_text_is_not_linked() -> None:
    other = text([p.replace("ma túy", "dịch sốt xuất huyết").replace("Công an", "Y tế") for p in STORY[:1]])
    assert not compare(text(STORY), other).same_story
