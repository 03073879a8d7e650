"""Language decision for archived text: seeded langdetect + declared language + Vietnamese orthography
(pipelines.detect.orthography)."""

from __future__ import annotations

import re
import threading
import unicodedata
from typing import TYPE_CHECKING

from langdetect import DetectorFactory, LangDetectException
from langdetect import detector_factory as _ld_factory

from pipelines.detect.language_result import LanguageResult
from pipelines.detect.orthography import WORD_RE, TextFeatures, text_features
from pipelines.detect.seeded_langdetect import SeededModel

if TYPE_CHECKING:
    from pipelines.extract.article import ExtractedArticle

# --- langdetect ---------------------------------------------------------------------------------------------

_LD_LOCK = threading.Lock()
_LD_MODEL: SeededModel | None = None


def _model() -> SeededModel:
    """Load langdetect's profiles once per process (double-checked under a lock)."""
    global _LD_MODEL
    if _LD_MODEL is None:
        with _LD_LOCK:
            if _LD_MODEL is None:
                factory = DetectorFactory()
                factory.seed = (
                    0  # seeded: every Detector reseeds its RNG with 0, so results are deterministic
                )
                factory.load_profile(_ld_factory.PROFILES_DIRECTORY)
                _LD_MODEL = SeededModel(factory)
    return _LD_MODEL


def _langdetect(text: str) -> dict[str, float]:
    """Seeded langdetect probabilities, zh-cn/zh-tw folded into zh; {} when it finds no features. The Detector
    is langdetect's with its hot loops made cheaper, same floats (pipelines.detect.seeded_langdetect)."""
    detector = _model().create()  # a fresh Detector per call: its RNG and text are its own
    detector.append(text)
    try:
        langs = detector.get_probabilities()
    except LangDetectException:
        return {}
    probs: dict[str, float] = {}
    for lang in langs:
        code = "zh" if lang.lang.startswith("zh") else lang.lang
        probs[code] = probs.get(code, 0.0) + lang.prob
    return probs


# --- decision -----------------------------------------------------------------------------------------------

# Short-text minimums, in letters, chosen with the "short-text sweep" of `newsarchive eval language` (lingua
# single words + word pairs, 8,879+ items; our decision with no minimum, bucketed by letter count):
# - MIN_LETTERS gates every langdetect-based answer (all non-vi labels, unaccented vi). Below 16 letters fewer
#   than 80% of those answers are right (5-9 letters: 41-60%, 10-15: 72-79%); from 16 up they are 80-99%
#   (languages langdetect has a profile for; ms and yo are unreachable for it at any length).
# - MIN_LETTERS_VI gates Vietnamese recognised by orthography (valid syllables carrying quốc ngữ-only marks).
#   Its false-vi rate is 0.000 at every length of the sweep; the floor of 4 exists because a lone syllable
#   of <= 3 letters ("não"/"pão" in Portuguese, "ô" in French) is also a valid accented Vietnamese syllable.
MIN_LETTERS = 16
MIN_LETTERS_VI = 4
# Long bodies: only the first SAMPLE_CHARS characters are examined. langdetect's answer on news prose is
# stable long before that (it converges on ~200 chars). Profiled on replica articles: 3,000 characters
# cost ~21 ms per article (syllable checks 12 ms, langdetect 9 ms), as much as the extraction itself;
# 1,000 keeps title, sapo and the first paragraphs. No evaluation item is longer than 1,000 characters.
SAMPLE_CHARS = 1000

# Thresholds below were read off per-set percentiles of the features on lingua sentences, UDHR paragraphs
# and DANeS headlines/slugs (1st-5th percentile of Vietnamese vs 99th percentile of every other language),
# then checked with `newsarchive eval language`.
_SPECIFIC_MIN = 0.1  # vi-specific words: vi sentences 1st pct 0.20; every other language 99th pct 0.00
_ACC_STRONG = (
    0.5  # valid accented syllables, enough on their own: vi 1st pct 0.60; yo 99th pct 0.71 but 0 specific
)
_ACC_WITH_LD = 0.3  # ... enough when langdetect also says vi (headlines full of club/brand names)
# Unaccented: share of valid stripped syllables. Slugs median 0.93; en/fr/tl 99th pct <= 0.50, unaccented yo
# 0.71. Tried 0.8/0.75/0.7: slug recall 0.895/0.918/0.932, yo sentences -> vi 0.001/0.002/0.002; kept 0.7.
_PLAIN_STRONG = 0.7
_PLAIN_WITH_LD = 0.6  # ... when langdetect also says vi
_PLAIN_MIN_WORDS = 3  # unaccented decisions need a few words: "to", "the", "an" are valid syllables too
_FOREIGN_MAX = 0.1  # words with marks Vietnamese never uses: vi 99th pct 0.03; yo median 0.17
# Words with a letter quốc ngữ lacks (f j w z, ɛ ɔ ɖ ŋ ƒ ʋ, ç ñ ß ...): a text where most words have one is
# never Vietnamese, whatever langdetect says. Vietnamese maxima: sentences 0.20, accented headlines 0.40
# ("Trực tiếp FC Buzau vs FC Unirea Slobozia"); 10th pct of pl 0.50, az 0.50, tr 0.31, lv 0.36.
_FOREIGN_LETTERS_MAX = 0.5
# Against langdetect's best label when that is another language, accented orthography must be overwhelming.
# No accented Vietnamese item of the eval has a non-vi langdetect label (the 10 DANeS "headlines" that have
# are English, French, Spanish), while pt/ro/sw sentences that read as Vietnamese ("Ele não é homem.",
# "Pentru cã un om avizat face cât doi!") have 0.50-0.80 valid accented syllables.
_ACC_AGAINST_LD = 0.85
# Unaccented text has no diacritics, or only Vietnamese ones (a headline with a few accented syllables); the
# ca/it/yo sentences that passed as unaccented Vietnamese had 14-75% of words with other marks ("partícules",
# "perché", "òrò").
_PLAIN_MAX_BAD_MARKED = 0.1
# Against langdetect, unaccented text must really be unaccented (DANeS slugs: no marked word; "Não se lembra
# de mim?": 20%) and look Vietnamese beyond the one- and two-letter syllables other languages share ("se ri de
# en su", "e meng e ha e", "go na le ba"): a share of 3+-letter valid syllables or a clear plain share. The
# es/nl/st/tn sentences that passed had 0.00-0.29 long and 0.70-0.73 plain; of 4,097 slugs read as Vietnamese,
# 7 have < 0.3 long, and 5 of those >= 0.8 plain or langdetect vi (2 slugs lost: "u17 tho nhi ky vs u17 ...").
_PLAIN_MAX_MARKED = 0.1
_PLAIN_LONG_MIN = 0.3
_PLAIN_CLEAR = 0.8
# Short text (MIN_LETTERS_VI..MIN_LETTERS): langdetect counts against Vietnamese only when near-certain
# ("Ele não é homem.": pt 0.99999) - not "mayweather tuyên" (en 0.86), a Vietnamese word pair.
_SHORT_LD_CERTAIN = 0.99
_OTHER_MIN_PROB = 0.2  # langdetect's best non-vi label is used only from this probability up
_MAX_CONF = 0.99  # never claim certainty
_YORUBA = re.compile("[eos]\u0323")  # ẹ ọ ṣ


_ISO3 = {
    "vie": "vi", "eng": "en", "fra": "fr", "fre": "fr", "ind": "id", "msa": "ms", "may": "ms", "tgl": "tl",
    "tha": "th", "zho": "zh", "chi": "zh", "yor": "yo", "khm": "km", "lao": "lo",
}  # fmt: skip


def normalise_declared(value: str | None) -> str | None:
    """'vi-VN' / 'vi_VN' / 'VI' / 'vie' -> 'vi'; first of a comma list; None for empty or unusable values."""
    if not value:
        return None
    primary = value.split(",")[0].split(";")[0].strip().lower().replace("_", "-").split("-")[0]
    primary = _ISO3.get(primary, primary)
    return primary if len(primary) == 2 and primary.isascii() and primary.isalpha() else None


def _sample(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    if len(text) <= SAMPLE_CHARS:
        return text
    cut = text.rfind(" ", 0, SAMPLE_CHARS)
    return text[: cut if cut > SAMPLE_CHARS // 2 else SAMPLE_CHARS]


def _foreign(f: TextFeatures) -> bool:
    """True if the text's letters or marks rule Vietnamese out, whatever else says otherwise."""
    return not f.words or f.foreign_marks > _FOREIGN_MAX or f.foreign_letters > _FOREIGN_LETTERS_MAX


def _unaccented_against_ld(f: TextFeatures) -> bool:
    """True if unaccented text is Vietnamese enough to overrule langdetect: really without diacritics, and
    Vietnamese beyond the one- and two-letter syllables other languages share."""
    return f.marked <= _PLAIN_MAX_MARKED and (f.long_plain >= _PLAIN_LONG_MIN or f.plain >= _PLAIN_CLEAR)


def _vi_case(f: TextFeatures, ld_top: str | None) -> tuple[float, str] | None:
    """Orthographic strength (0..1) and label when the text reads as Vietnamese, else None.

    ``ld_top`` is langdetect's best label, or None when it is not asked or not trusted (short text).
    """
    if _foreign(f):
        return None
    ld_vi = ld_top == "vi"
    ld_other = ld_top is not None and not ld_vi
    if (
        f.vi_specific >= _SPECIFIC_MIN
        and (f.accented >= _ACC_STRONG or (ld_vi and f.accented >= _ACC_WITH_LD))
        and (not ld_other or f.accented >= _ACC_AGAINST_LD)
    ):
        return f.accented, "orthography"
    if (
        f.words >= _PLAIN_MIN_WORDS
        and f.bad_marked <= _PLAIN_MAX_BAD_MARKED
        and (f.plain >= _PLAIN_STRONG or (ld_vi and f.plain >= _PLAIN_WITH_LD))
        and (ld_vi or _unaccented_against_ld(f))
    ):
        return 0.85 * f.plain, "unaccented orthography"  # stripped syllables are weaker evidence
    return None


def _agree(conf: float, declared: str | None, language: str) -> float:
    if declared is None:
        return conf
    return conf + (1.0 - conf) * 0.5 if declared == language else conf * 0.9


def _classify(
    text: str,
    declared: str | None,
    minimums: tuple[int, int] = (MIN_LETTERS, MIN_LETTERS_VI),
    ld_probs: dict[str, float] | None = None,
) -> LanguageResult:
    """The decision; `ld_probs` lets the eval reuse one seeded langdetect run for "ours" and "bare"."""
    sample = _sample(text)
    d = normalise_declared(declared)
    f = text_features(sample)
    short = LanguageResult("und", 0.0, f"too short ({f.letters} letters)" + (f", declared {d}" if d else ""))
    if f.letters < minimums[1]:
        return short
    if f.letters < minimums[0]:  # only orthographic Vietnamese may answer; langdetect is not asked
        vi = _vi_case(f, None)
        if vi is None or vi[1] != "orthography":
            return short
    ld = _langdetect(sample) if ld_probs is None else ld_probs
    ld_top = max(ld, key=ld.__getitem__) if ld else None
    if f.latin_share < 0.5:  # Thai, Han (including Hán-Nôm), Khmer ...: never quốc ngữ
        lang = ld_top if ld_top and ld_top != "vi" else "und"
        conf = _agree(ld.get(lang, 0.0), d, lang)
        return LanguageResult(lang, round(min(conf, _MAX_CONF), 3), "non-Latin script, langdetect")
    # Below MIN_LETTERS langdetect's label is too often wrong to count, unless it is near-certain.
    trusted = f.letters >= minimums[0] or (ld_top is not None and ld[ld_top] >= _SHORT_LD_CERTAIN)
    vi = _vi_case(f, ld_top if trusted else None)
    if vi is None and d == "vi" and not _foreign(f) and max(f.accented, f.plain) >= 0.6:
        conf = 0.5 * max(f.accented, f.plain)
        return LanguageResult("vi", round(conf, 3), "declared vi, text compatible")
    if vi is not None:
        strength, how = vi
        ld_vi = ld.get("vi", 0.0)
        conf = _agree(0.6 * strength + 0.4 * ld_vi, d, "vi")
        evidence = f"{how}+langdetect" if ld_top == "vi" else how
        if d == "vi":
            evidence = f"declared vi, text agrees ({evidence})"
        elif d:
            evidence = f"declared {d}, text is Vietnamese ({evidence})"
        return LanguageResult("vi", round(min(conf, _MAX_CONF), 3), evidence)
    others = {k: v for k, v in ld.items() if k != "vi"}
    lang, conf, evidence = "und", 0.0, "no language evidence"
    if others and max(others.values()) >= _OTHER_MIN_PROB:
        lang = max(others, key=others.__getitem__)
        conf, evidence = (
            others[lang],
            "langdetect" if ld_top == lang else "langdetect, vi rejected by orthography",
        )
    elif (
        sum(1 for w in WORD_RE.findall(unicodedata.normalize("NFD", sample)) if _YORUBA.search(w))
        >= 0.1 * f.words
    ):
        lang, conf, evidence = "yo", 0.5, "Yoruba letters (ẹ ọ ṣ)"
    elif ld_top == "vi":
        evidence = "langdetect vi rejected by orthography"
    if d and d != lang:
        evidence = (
            f"declared {d}, text is {lang}" + (" (off-language)" if lang != "und" else "") + f"; {evidence}"
        )
    elif d:
        evidence = f"declared {d}, text agrees ({evidence})"
    return LanguageResult(lang, round(min(_agree(conf, d, lang), _MAX_CONF), 3), evidence)


def detect_language(text: str, declared: str | None = None) -> LanguageResult:
    """Language of `text` (NFC, first SAMPLE_CHARS chars), with `declared` as supporting evidence."""
    return _classify(text, declared)


def label_language(article: ExtractedArticle) -> LanguageResult:
    """Return the language of an extracted article: its title, sapo and text, with the page's declared
    language as supporting evidence."""
    sample = "\n".join(part for part in (article.title, article.sapo, article.text) if part)
    return detect_language(sample, article.declared_language)
