"""Unit tests for pipelines.detect.orthography: Vietnamese syllables and text features (text written here)."""

from __future__ import annotations

import unicodedata

import pytest

from pipelines.detect.orthography import is_vietnamese_syllable, vietnamese_syllable_ratio

VI = (
    "Ủy ban nhân dân tỉnh Ninh Thuận tổ chức hội nghị sơ kết công tác sáu tháng đầu năm, "
    "đánh giá kết quả phát triển kinh tế xã hội và đề ra nhiệm vụ trọng tâm cho thời gian tới."
)
YO = "Ọmọ náà ṣe iṣẹ́ rẹ̀ dáradára ní ọjọ́ Ajé, ó sì lọ sí ilé ìwé pẹ̀lú àwọn ọ̀rẹ́ rẹ̀."
ID = "Pemerintah provinsi mengadakan rapat koordinasi untuk membahas anggaran pembangunan daerah tahun depan."
SLUG = "uy ban nhan dan tinh ninh thuan to chuc hoi nghi so ket"
FON = "Mì nà yì tò ɔ mɛ bo nà ɖù nú lè gbè ɖé mɛ, é nɔ wá xɔ ɔ mɛ."  # Fon-like, letters of the IPA block


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


def test_ipa_letters_are_latin_words() -> None:
    # ɛ ɔ ɖ ʋ (IPA block) are letters of Latin-script orthographies: their words count, and fail as syllables
    assert vietnamese_syllable_ratio(FON) < 0.5
