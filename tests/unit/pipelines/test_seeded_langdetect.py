"""seeded_langdetect gives stock langdetect's seeded probabilities exactly, on texts made here."""

from __future__ import annotations

import random
import unicodedata

import pytest
from langdetect import DetectorFactory, LangDetectException
from langdetect import detector_factory as ld_factory

from pipelines.detect import langid
from pipelines.detect.seeded_langdetect import SeededDetector, SeededModel

VI = (
    "Ủy ban nhân dân tỉnh Ninh Thuận tổ chức hội nghị sơ kết công tác sáu tháng đầu năm, đánh giá kết quả "
    "phát triển kinh tế xã hội và đề ra nhiệm vụ trọng tâm cho thời gian tới. Người dân được hướng dẫn "
    "đăng ký tạm trú qua ứng dụng, giảm thủ tục hành chính; đường Quốc lộ 1A qua huyện Thuận Bắc sẽ được "
    "nâng cấp. Thủ tướng yêu cầu các bộ, ngành khẩn trương hoàn thiện đề án trước ngày 15/7."
)
EN = (
    "The provincial government held a meeting on Monday to review the results of the first half of the year. "
    "Officials said the new highway would open in December, while critics warned about the rising costs "
    "of land clearance and the NATO-style procurement rules. Read more at the BBC and CNN websites."
)
FR = (
    "Le gouvernement provincial a tenu une réunion lundi pour examiner les résultats du premier semestre. "
    "Les élèves français étudient l'histoire de la Révolution; où est la bibliothèque? Ça coûte très cher."
)
TH = "รัฐบาลจังหวัดจัดการประชุมเมื่อวันจันทร์เพื่อทบทวนผลการดำเนินงานในครึ่งปีแรก ประชาชนได้รับข่าวสารอย่างต่อเนื่อง"
OTHERS = (
    "中华人民共和国国务院总理在北京召开会议，讨论经济发展和社会稳定问题。越南河内市政府宣布新的交通规划。",
    "日本の首相は東京で記者会見を開き、経済対策について説明した。カタカナのテキストもあります。",
    "대한민국 정부는 서울에서 경제 회의를 열고 새로운 정책을 발표했다.",
    "Правительство провинции провело совещание в понедельник, чтобы рассмотреть итоги первого полугодия.",
    "عقدت حكومة المقاطعة اجتماعا يوم الاثنين لمراجعة نتائج النصف الأول من العام. یک متن فارسی کوتاه",
    "Guvernul a ținut o ședință luni; științele și țările vecine, în ședința de astăzi.",
    "Pemerintah provinsi mengadakan rapat koordinasi untuk membahas anggaran pembangunan daerah tahun depan.",
    "Ọmọ náà ṣe iṣẹ́ rẹ̀ dáradára ní ọjọ́ Ajé, ó sì lọ sí ilé ìwé pẹ̀lú àwọn ọ̀rẹ́ rẹ̀.",
    "Die Landesregierung hielt am Montag eine Sitzung ab, um die Ergebnisse des ersten Halbjahres zu prüfen.",
)
NOISE = (
    "https://vnexpress.net/thoi-su/bai-viet-4729183.html",
    "http://example.com/a?b=c&d=e#f",
    "lien he: toasoan@baoninhthuan.com.vn",
    "2026-12-07 05:10",
    "  ",
    "\n\t",
    "--- *** ---",
    "“trích dẫn” – …",
    "FIFA UEFA WHO ASEAN",
    "iPhone 17 Pro Max",
    "😀👍",
    "x",
    "ỌMỌ ỌBA ẸKỌ",  # mostly Latin Extended Additional: langdetect's cleaning_text counts it as non-Latin
    "Ọ̀RỌ̀ ÀKỌ́SỌ",
)


def _strip_marks(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c)).replace(
        "đ", "d"
    )


def _texts(count: int) -> list[str]:
    """Varied texts: whole and cut sentences of several scripts, Vietnamese NFC, NFD (langdetect's own
    normalize_vi path) and unaccented, words of several languages mixed, URLs and e-mails, very short
    texts, and long ones past langdetect's 10,000-character cap."""
    rng = random.Random(23)
    bases = [VI, unicodedata.normalize("NFD", VI), _strip_marks(VI), VI.upper(), EN, FR, TH, *OTHERS]
    words = " ".join([VI, EN, FR, TH, *OTHERS, *NOISE]).split(" ")
    texts = [*bases, *NOISE, ""]
    while len(texts) < count:
        kind = rng.randrange(6)
        if kind == 0:  # a slice of one base text, at any length
            base = rng.choice(bases)
            start = rng.randrange(len(base))
            texts.append(base[start : start + rng.choice((1, 2, 3, 8, 20, 60, 200, 1000))])
        elif kind == 1:  # words of every language mixed, with noise
            texts.append(" ".join(rng.choice(words) for _ in range(rng.randrange(1, 120))))
        elif kind == 2:  # a base with a URL, an e-mail or a headline in capitals inside
            base = rng.choice(bases)
            cut = rng.randrange(len(base))
            texts.append(base[:cut] + " " + rng.choice(NOISE) + " " + base[cut:])
        elif kind == 3:  # long: past max_text_length
            texts.append("  ".join(rng.choice(bases) for _ in range(rng.randrange(2, 50))))
        elif kind == 4:  # Vietnamese, unaccented or NFD, cut anywhere
            base = rng.choice((_strip_marks(VI), unicodedata.normalize("NFD", VI), VI.lower()))
            texts.append(base[: rng.randrange(1, len(base))])
        else:  # characters drawn from all the texts: odd bigrams and trigrams, lone letters
            pool = "".join(bases) + "".join(NOISE)
            texts.append("".join(rng.choice(pool) for _ in range(rng.randrange(1, 300))))
    return texts


def _result(detector: object, text: str) -> object:
    detector.append(text)  # type: ignore[attr-defined]
    try:
        ranked = detector.get_probabilities()  # type: ignore[attr-defined]
    except LangDetectException as error:
        return ("no features", str(error))
    return [(lang.lang, lang.prob) for lang in ranked], detector.langprob  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def stock() -> DetectorFactory:
    factory = DetectorFactory()  # its own profiles: nothing the fast path might change is shared
    factory.seed = 0
    factory.load_profile(ld_factory.PROFILES_DIRECTORY)
    return factory


def test_probabilities_equal_stock_langdetect_exactly(stock: DetectorFactory) -> None:
    model = langid._model()
    texts = _texts(400)
    assert len(set(texts)) > 350
    featureless = 0
    for text in texts:
        expected = _result(stock.create(), text)
        assert _result(model.create(), text) == expected, text  # == on floats: bit for bit
        featureless += expected[0] == "no features"
    assert 0 < featureless < 40  # both branches were exercised


def test_probabilities_equal_on_a_fresh_model(stock: DetectorFactory) -> None:
    """A model that has seen nothing yet (empty normalisation table and word cache) gives the same."""
    model = SeededModel(stock)
    for text in _texts(60)[::-1]:
        assert _result(model.create(), text) == _result(stock.create(), text), text


def test_langid_uses_the_seeded_detector() -> None:
    assert isinstance(langid._model().create(), SeededDetector)
    assert langid._langdetect(VI) == {"vi": pytest.approx(1.0, abs=1e-4)}
