"""Near-duplicate detection: syndicated copies are linked, templated reports with other facts are not."""

from __future__ import annotations

import unicodedata

import numpy as np

from pipelines.detect.identity import fingerprint, identify
from pipelines.detect.neardup import NUM_PERM, compare, shingles, signature
from storage.search.fields import SearchForm
from storage.text import normalize_text

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


def datasketch_signature(body: str) -> bytes:
    """The signature as datasketch computes it (the archive's stored signatures were made this way)."""
    from datasketch import MinHash

    permutations = MinHash(num_perm=NUM_PERM, seed=1).permutations
    minhash = MinHash(num_perm=NUM_PERM, permutations=permutations)
    minhash.update_batch([shingle.encode("utf-8") for shingle in shingles(normalize_text(body))])
    return bytes(minhash.hashvalues.astype(np.uint32).tobytes())


def test_vectorised_signature_is_datasketchs() -> None:
    # Empty, shorter than a shingle, NFD, repeated shingles, and longer than one permutation chunk.
    long_text = text([f"{paragraph} Đoạn {n}." for n in range(60) for paragraph in STORY])
    bodies = ["", "Hai từ", text(STORY), unicodedata.normalize("NFD", text(STORY)), "ma túy " * 50, long_text]
    for body in bodies:
        assert signature(body) == datasketch_signature(body), body[:40]


def test_identify_folds_the_body_once_for_the_same_fields() -> None:
    title, sapo = "Ninh Thuận sơ kết công tác phòng, chống ma túy", "Hội nghị sơ kết quý I."
    for body in (
        text(STORY),
        unicodedata.normalize("NFD", "Thuỷ lợi Hoà Bình \u200b khoẻ\x0b " + text(STORY)),
    ):
        identity, search = identify(title, sapo, body)
        assert identity == fingerprint(body)
        assert search == SearchForm.of(title, sapo, body)


def test_permutations_are_datasketchs_without_importing_it() -> None:
    # Drawn by our own code (the workers never import datasketch and its scipy), they must stay the very
    # permutations of the signatures already stored in archives.
    from datasketch import MinHash

    from pipelines.detect import neardup

    theirs_a, theirs_b = MinHash(num_perm=NUM_PERM, seed=1).permutations
    ours_a, ours_b = neardup._permutations()
    assert ours_a.dtype == ours_b.dtype == np.uint64
    assert ours_a.tolist() == theirs_a.tolist() and ours_b.tolist() == theirs_b.tolist()
