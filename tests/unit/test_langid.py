"""Unit tests for pipelines.langid on text written here (no shared data)."""

from __future__ import annotations

import unicodedata

import pytest

from pipelines.langid import (
    LanguageResult,
    detect_language,
    is_vietnamese_syllable,
    normalise_declared,
    vietnamese_syllable_ratio,
)

VI = (
    "Ủy ban nhân dân tỉnh Ninh Thuận tổ chức hội nghị sơ kết công tác sáu tháng đầu năm, "
    "đánh giá kết quả phát triển kinh tế xã hội và đề ra nhiệm vụ trọng tâm cho thời gian tới."
)
YO = "Ọmọ náà ṣe iṣẹ́ rẹ̀ dáradára ní ọjọ́ Ajé, ó sì lọ sí ilé ìwé pẹ̀lú àwọn ọ̀rẹ́ rẹ̀."
ID = "Pemerintah provinsi mengadakan rapat koordinasi untuk membahas anggaran pembangunan daerah tahun depan."
TL = "Nagsagawa ang pamahalaang panlalawigan ng isang pulong upang talakayin ang badyet ngayong taon."
EN = "The provincial government held a meeting on Monday to review the results of the first half of the year."
SLUG = "uy ban nhan dan tinh ninh thuan to chuc hoi nghi so ket"


@pytest.mark.parametrize("form", ["NFC", "NFD"])
def test_vietnamese_sentence_is_vi(form: str) -> None:
    result = detect_language(unicodedata.normalize(form, VI))  # type: ignore[arg-type]
    assert result.language == "vi"
    assert result.confidence >= 0.8


def test_yoruba_is_not_vi() -> None:
    assert detect_language(YO).language != "vi"


@pytest.mark.parametrize(("text", "lang"), [(ID, "id"), (TL, "tl"), (EN, "en")])
def test_neighbours_are_not_vi(text: str, lang: str) -> None:
    result = detect_language(text)
    assert result.language != "vi"
    assert result.language == lang


def test_unaccented_slug_is_vi_not_en() -> None:
    result = detect_language(SLUG)
    assert result.language == "vi"
    assert "unaccented" in result.reason


def test_declared_vi_with_english_text_is_en() -> None:
    result = detect_language(EN, declared="vi-VN")
    assert result.language == "en"
    assert "declared vi" in result.reason


def test_declared_en_with_vietnamese_text_is_vi() -> None:
    assert detect_language(VI, declared="en").language == "vi"


def test_declared_agreement_raises_confidence() -> None:
    assert detect_language(VI, declared="vi").confidence >= detect_language(VI, declared="en").confidence


@pytest.mark.parametrize("text", ["", "ok", "Hello there", "12345 !!!", "bahasa"])
def test_short_text_is_und(text: str) -> None:
    result = detect_language(text)
    assert result == LanguageResult("und", 0.0, result.reason)
    assert "too short" in result.reason


def test_deterministic() -> None:
    for text in (VI, YO, EN, SLUG, "Ang mga bata"):
        assert detect_language(text) == detect_language(text)


def test_long_text_is_sampled() -> None:
    assert detect_language(VI * 200).language == "vi"


ACCEPT = ["nghiêng", "thuở", "khuya", "giường", "quốc", "Việt", "hoà", "hòa", "gì", "yêu"]


@pytest.mark.parametrize("word", ACCEPT)
def test_syllable_accepts(word: str) -> None:
    assert is_vietnamese_syllable(word)
    assert is_vietnamese_syllable(unicodedata.normalize("NFD", word))


@pytest.mark.parametrize("word", ["ọmọ", "bahasa", "strong", "rẹ̀", "ṣe", "ń", "hàt", "ce", "ghu"])
def test_syllable_rejects(word: str) -> None:
    assert not is_vietnamese_syllable(word)


def test_unaccented_mode() -> None:
    assert all(is_vietnamese_syllable(w, accented=False) for w in SLUG.split())
    assert is_vietnamese_syllable("hat", accented=False)
    assert not is_vietnamese_syllable("bahasa", accented=False)


def test_syllable_ratio() -> None:
    assert vietnamese_syllable_ratio(VI) > 0.95
    assert vietnamese_syllable_ratio(YO) < 0.5
    assert vietnamese_syllable_ratio(ID) < 0.3
    assert vietnamese_syllable_ratio("") == 0.0


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("vi-VN", "vi"), ("vi_VN", "vi"), ("VI", "vi"), ("vie", "vi"), ("en-US, vi", "en"),
        ("", None), (None, None), ("  ", None), ("x-default", None),
    ],
)  # fmt: skip
def test_normalise_declared(value: str | None, expected: str | None) -> None:
    assert normalise_declared(value) == expected
