"""Unit tests for pipelines.detect.langid on text written here (no shared data)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import unicodedata
from dataclasses import astuple
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.detect import langid
from pipelines.detect.langid import detect_language, normalise_declared
from pipelines.detect.language_result import LanguageResult

VI = (
    "Ủy ban nhân dân tỉnh Ninh Thuận tổ chức hội nghị sơ kết công tác sáu tháng đầu năm, "
    "đánh giá kết quả phát triển kinh tế xã hội và đề ra nhiệm vụ trọng tâm cho thời gian tới."
)
YO = "Ọmọ náà ṣe iṣẹ́ rẹ̀ dáradára ní ọjọ́ Ajé, ó sì lọ sí ilé ìwé pẹ̀lú àwọn ọ̀rẹ́ rẹ̀."
ID = "Pemerintah provinsi mengadakan rapat koordinasi untuk membahas anggaran pembangunan daerah tahun depan."
TL = "Nagsagawa ang pamahalaang panlalawigan ng isang pulong upang talakayin ang badyet ngayong taon."
EN = "The provincial government held a meeting on Monday to review the results of the first half of the year."
SLUG = "uy ban nhan dan tinh ninh thuan to chuc hoi nghi so ket"
ROOT = Path(__file__).resolve().parents[3]


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


def test_declared_language_moves_confidence_by_the_documented_amounts() -> None:
    # agreement closes half the gap to certainty, disagreement costs a tenth (pipelines.detect.langid._agree)
    base = detect_language(SLUG).confidence
    assert 0.5 < base < 0.95
    agree, disagree = detect_language(SLUG, declared="vi"), detect_language(SLUG, declared="en")
    assert agree.language == disagree.language == "vi"
    assert agree.confidence == pytest.approx(base + (1 - base) / 2, abs=0.001)
    assert disagree.confidence == pytest.approx(base * 0.9, abs=0.001)
    assert disagree.confidence < base < agree.confidence
    assert "declared vi, text agrees" in agree.reason and "declared en" in disagree.reason


def test_confidence_never_reaches_certainty() -> None:
    assert detect_language(VI).confidence == detect_language(VI, declared="vi").confidence == 0.99


@pytest.mark.parametrize("text", ["", "ok", "Hello there", "12345 !!!", "bahasa"])
def test_short_text_is_und(text: str) -> None:
    result = detect_language(text)
    assert result == LanguageResult("und", 0.0, result.reason)
    assert "too short" in result.reason


DETERMINISM_TEXTS = (VI, YO, EN, SLUG, ID, TL, "Ang mga bata", "Ele não é homem.", "mayweather tuyên", "hoa")
_RUN_ELSEWHERE = (
    "import json, sys\n"
    "from dataclasses import astuple\n"
    "from pipelines.detect.langid import detect_language\n"
    "print(json.dumps([astuple(detect_language(t)) for t in json.loads(sys.stdin.read())]))\n"
)


def _results_in_process(hash_seed: str) -> list[list[object]]:
    """detect_language() of DETERMINISM_TEXTS in a fresh interpreter with its own PYTHONHASHSEED."""
    done = subprocess.run(
        [sys.executable, "-c", _RUN_ELSEWHERE],
        input=json.dumps(DETERMINISM_TEXTS),
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(ROOT)},
        timeout=120,
    )
    return json.loads(done.stdout)


def test_deterministic_across_processes_and_hash_seeds() -> None:
    # langdetect draws random numbers and sets/dicts iterate by hash: a fresh process with another
    # PYTHONHASHSEED must still give the very same label, confidence and reason for every text
    here = [list(astuple(detect_language(text))) for text in DETERMINISM_TEXTS]
    assert _results_in_process("1") == _results_in_process("2") == _results_in_process("12345") == here


def test_long_text_is_sampled() -> None:
    assert detect_language(VI * 200).language == "vi"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("vi-VN", "vi"), ("vi_VN", "vi"), ("VI", "vi"), ("vie", "vi"), ("en-US, vi", "en"),
        ("", None), (None, None), ("  ", None), ("x-default", None),
    ],
)  # fmt: skip
def test_normalise_declared(value: str | None, expected: str | None) -> None:
    assert normalise_declared(value) == expected


# --- Latin-script languages with letters quốc ngữ lacks (sentences written here, Ewe/Twi/Fon-like) -------

WEST_AFRICAN = {
    # was vi 0.771 (0.885 declared vi): words with ɛ ɔ ɖ were not counted as Latin, the rest read as syllables
    "fon_market": "Mì nà yì tò ɔ mɛ bo nà ɖù nú lè gbè ɖé mɛ, é nɔ wá xɔ ɔ mɛ.",
    "fon_house": "Tó ɔ mɛ ɔ, mì nɔ dó nǔ, bo nɔ ɖù nú lè gbè ɖé mɛ hwenu ɖé.",
    "fon_tones": "Mì nà yì tò mɛ̀ bó nà ɖù nú lè gbè ɖé mɛ̀, é nɔ̀ wá xɔ̀ mɛ̀ bǐ.",
    # was vi 0.318 when the page declared vi ("declared vi, text compatible")
    "twi_child": "Me nua no yɛ onipa pa, ɔdɔ ne mmofra na ɔboa wɔn wɔ ne nnwuma nyinaa.",
    "twi_evening": "Ɔbɛ̀ba no kɔɔ dwam so hɔ̃ na ɔtɔɔ nneɛma bebree, na ɔsan bae fie anwummerɛ.",
    "ewe_morning": "Ŋdi nyuie, nɔvinye. Èfɔ̃ nyuiea? Mawu ƒe nya le ɖe eme, eye ame sia ame le dɔ wɔm.",
    "ewe_market": "Ame ŋutsu la yi ɖe asi me, eye wòƒle akɔɖu kple ƒetri na eƒe srɔ̃ kple viawo.",
    "ewe_tilde": "Mìà yì tò ɔ̃ mɛ̃, bo nà ɖù nú tã lè gbè ɖé mɛ; é nɔ wá xɔ ɔ mɛ bǐ.",
    "ewe_vowels": "Ʋu la ɖo ƒe ʋĩ me, eye ɣe ɖe to ɖe ŋgɔ na ame siwo le ʋɔ la nu.",
}


@pytest.mark.parametrize("declared", [None, "vi"])
@pytest.mark.parametrize("key", sorted(WEST_AFRICAN))
def test_west_african_orthographies_are_not_vi(key: str, declared: str | None) -> None:
    for form in ("NFC", "NFD"):
        text = unicodedata.normalize(form, WEST_AFRICAN[key])  # type: ignore[arg-type]
        assert detect_language(text, declared=declared).language != "vi", (key, form)


_VI_SYLLABLES = ("tỉnh", "tổ", "chức", "hội", "nghị", "người", "dân", "được", "những", "việc", "nước", "mới")
_FOREIGN_WORDS = ("ɛ̀", "ɔ́", "ɖɔ", "ŋa", "ƒe", "ʋu", "wɔ", "fie", "zɛ", "jɔ", "çà", "ñó")


@given(
    vi=st.lists(st.sampled_from(_VI_SYLLABLES), min_size=1, max_size=20),
    extra=st.integers(min_value=1, max_value=10),
    order=st.randoms(use_true_random=False),
)
@settings(max_examples=60, deadline=None, derandomize=True)
def test_mostly_foreign_letters_is_never_vi_whatever_langdetect_says(
    vi: list[str], extra: int, order: Any
) -> None:
    foreign = [_FOREIGN_WORDS[i % len(_FOREIGN_WORDS)] for i in range(len(vi) + extra)]  # most words
    words = vi + foreign
    order.shuffle(words)
    text = " ".join(words)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(langid, "_langdetect", lambda sample: {"vi": 1.0})  # langdetect sure it is Vietnamese
        assert detect_language(text).language != "vi"
        assert detect_language(text, declared="vi").language != "vi"


def test_vietnamese_with_a_few_foreign_names_is_still_vi() -> None:
    text = (
        "Chiều 12/4, Sở Thông tin và Truyền thông phối hợp với Facebook và Zalo tổ chức hội thảo về "
        "phòng chống lừa đảo trực tuyến cho cán bộ, công chức tại thành phố Phan Rang - Tháp Chàm."
    )
    assert detect_language(text).language == "vi"
    assert detect_language(text, declared="vi").language == "vi"
