"""Vietnamese orthography (quốc ngữ): which words are valid syllables, and the letter and mark features of a
text that tell Vietnamese from other Latin-script languages."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

# --- Vietnamese phonotactics -------------------------------------------------------------------------------

# Initial consonants, longest first so "ngh" is tried before "ng" and "n"; "" = no initial.
_INITIALS = (
    "ngh", "ng", "nh", "ch", "gh", "gi", "kh", "ph", "qu", "th", "tr",
    "b", "c", "d", "đ", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "x", "",
)  # fmt: skip

# Every toneless rhyme (medial + nucleus + final) of standard quốc ngữ, plus the loan rhymes "ooc"/"oong".
_RHYME_TABLE = """
    a ac ach ai am an ang anh ao ap at au ay  ăc ăm ăn ăng ăp ăt  âc âm ân âng âp ât âu ây
    e ec em en eng eo ep et  ê êch êm ên ênh êp êt êu
    i ia ich im in inh ip it iu  iêc iêm iên iêng iêp iêt iêu  y yêm yên yêng yêt yêu
    o oc oi om on ong op ot ooc oong  ô ôc ôi ôm ôn ông ôp ôt  ơ ơi ơm ơn ơp ơt
    u ua uc ui um un ung up ut  uôc uôi uôm uôn uông uôt
    ư ưa ưc ưi ưm ưn ưng ưt ưu  ươc ươi ươm ươn ương ươp ươt ươu
    oa oac oach oai oam oan oang oanh oao oap oat oay  oăc oăm oăn oăng oăt  oe oen oeo oet
    uân uâng uât uây  uê uêch uênh  uy uya uych uyn uynh uyp uyt uyu uyên uyêt  uơ
"""
_RHYMES = frozenset(_RHYME_TABLE.split())
# After "qu" the u is part of the initial: "quốc" = qu + ôc (from uôc), "quân" = qu + ân (from uân).
_QU_RHYMES = frozenset({r[1:] for r in _RHYMES if len(r) > 1 and r[0] in "ou" and r[1] in "aăâeêyơô"} | {"i"})
_FRONT = ("e", "ê", "i", "y")

_TONES = {"\u0300": "huyen", "\u0301": "sac", "\u0303": "nga", "\u0309": "hoi", "\u0323": "nang"}
# Letter modifiers and the base letters they may sit on: ă â ê ô ơ ư.
_MODIFIERS = {"\u0302": "aeo", "\u0306": "a", "\u031b": "ou"}
_VOWELS = set("aeiouyăâêôơư")


def _strip(s: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", s) if not unicodedata.combining(c)).replace(
        "đ", "d"
    )


_PLAIN_RHYMES = frozenset(_strip(r) for r in _RHYMES)
_PLAIN_QU_RHYMES = frozenset(_strip(r) for r in _QU_RHYMES)
_PLAIN_INITIALS = tuple(dict.fromkeys(_strip(i) for i in _INITIALS))


def _split_tone(word: str) -> tuple[str, str | None] | None:
    """Return (toneless word, tone) or None when a letter or mark is not Vietnamese."""
    out: list[str] = []
    tone: str | None = None
    for ch in unicodedata.normalize("NFD", word):
        if not unicodedata.combining(ch):
            if ch not in "abcdđeghiklmnopqrstuvxy":  # no f j w z, no foreign letters
                return None
            out.append(ch)
            continue
        if not out:
            return None
        base = out[-1][0]
        if ch in _TONES:
            if tone is not None or base not in _VOWELS:
                return None  # two tone marks (Yoruba ẹ̀) or a tone on a consonant (ṣ, ń)
            tone = _TONES[ch]
        elif ch in _MODIFIERS and base in _MODIFIERS[ch]:
            out[-1] = unicodedata.normalize("NFC", out[-1] + ch)
        else:
            return None
    return "".join(out), tone


def _rhyme_ok(initial: str, rest: str, rhymes: frozenset[str], qu_rhymes: frozenset[str]) -> bool:
    if initial in ("q", "qu"):
        return initial == "qu" and rest in qu_rhymes
    if initial == "gi":
        return rest in rhymes or "i" + rest in rhymes
    if rest not in rhymes:
        return False
    first = rest[0]
    front = first in _FRONT
    if initial in ("gh", "ngh"):
        return front and first != "y"
    if initial == "k":
        return front
    if initial in ("c", "g", "ng"):
        return not front
    if rest.startswith("y") and rest != "y":
        return initial == ""  # yên, yêu only without an initial (tiên, tiêu otherwise)
    return True


def _parse(word: str, initials: tuple[str, ...], rhymes: frozenset[str], qu: frozenset[str]) -> str | None:
    """Return the rhyme of a valid syllable, or None."""
    for initial in initials:
        if word.startswith(initial):
            rest = word[len(initial) :]
            if rest and _rhyme_ok(initial, rest, rhymes, qu):
                return rest
            if initial == "gi" and not rest:
                return "i"  # "gì"
    return None


# Words repeat heavily in news text; caching the syllable check halves the cost of a long article.
@functools.lru_cache(maxsize=1 << 16)
def is_vietnamese_syllable(word: str, accented: bool = True) -> bool:
    """True if `word` is one valid Vietnamese syllable; accented=False strips all diacritics first (slugs)."""
    lower = unicodedata.normalize("NFC", word).lower()
    if not accented:
        return _parse(_strip(lower), _PLAIN_INITIALS, _PLAIN_RHYMES, _PLAIN_QU_RHYMES) is not None
    split = _split_tone(lower)
    if split is None:
        return False
    toneless, tone = split
    rhyme = _parse(toneless, _INITIALS, _RHYMES, _QU_RHYMES)
    if rhyme is None:
        return False
    # Syllables closed by a stop (-c -ch -p -t) take only the sắc or nặng tone.
    return not (rhyme[-1] in "cpt" or rhyme.endswith("ch")) or tone in ("sac", "nang")


# --- text features -----------------------------------------------------------------------------------------

# A word: letters with any combining marks (NFD text keeps its tones as marks), no digits or underscores.
WORD_RE = re.compile(r"(?:[^\W\d_]|[\u0300-\u036f])+")
# Marks that, on a valid syllable, point to quốc ngữ: breve, horn, hook above, circumflex, tilde, đ, and a dot
# below on a vowel other than e/o (Yoruba writes ẹ ọ ṣ, so those are left out).
_VI_MARKS = re.compile("[\u0306\u031b\u0309\u0302\u0303đ]|[aiuy\u0302\u0306\u031b]\u0323")


# Latin-script blocks beyond ASCII: Latin-1 .. Latin Extended-B, IPA extensions and phonetic letters (the
# ɛ ɔ ɖ ʋ ɣ of West African orthographies), Latin Extended Additional, -C, -D, -E. Leaving IPA letters out
# made an Ewe or Fon text look like its few plain syllables ("mì nà yì tò") and read as Vietnamese.
_LATIN_RANGES = (
    ("\u00c0", "\u02af"),
    ("\u1d00", "\u1dbf"),
    ("\u1e00", "\u1eff"),
    ("\u2c60", "\u2c7f"),
    ("\ua720", "\ua7ff"),
    ("\uab30", "\uab6f"),
)
# The letters of quốc ngữ in every tone (NFC, lowercase): no f j w z, no letter or mark of another alphabet.
_QN_LETTERS = frozenset(
    "bcdđghklmnpqrstvx"
    + "".join(
        unicodedata.normalize("NFC", vowel + tone)
        for vowel in "aăâeêioôơuưy"
        for tone in ("", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323")
    )
)


# Small capitals (ɴ ʀ ᴍ ...) are a typeface, not letters of an orthography: "fancy text" slugs write
# "ɴguoi" for "nguoi". They are read as the plain letter.
_SMALL_CAPITALS = {
    cp: name[-1].lower()
    for cp in range(0x0250, 0xAB70)
    if re.fullmatch(r"LATIN LETTER SMALL CAPITAL [A-Z]", name := unicodedata.name(chr(cp), ""))
}


def _is_latin(ch: str) -> bool:
    return (
        ch.isascii() or any(low <= ch <= high for low, high in _LATIN_RANGES) or unicodedata.combining(ch) > 0
    )


@functools.lru_cache(maxsize=1 << 16)
def _foreign_lettered(word: str) -> bool:
    """True if the (NFC, lowercase) word holds a letter or mark that quốc ngữ does not have."""
    return any(ch not in _QN_LETTERS for ch in word)


@dataclass(frozen=True)
class TextFeatures:
    """What a text's letters and words say about its orthography (shares are of its Latin-script words)."""

    letters: int  # letter characters in the sample
    latin_share: float  # share of those letters that are Latin script
    words: int  # Latin-script words
    accented: float  # share of words that are valid syllables as written (tones and letters checked)
    plain: float  # share of words that are valid syllables once diacritics are stripped
    marked: float  # share of words carrying a diacritic
    vi_specific: float  # share of words with a letter/mark only quốc ngữ uses (ă â ê ô ơ ư đ, hỏi)
    foreign_marks: float  # share of words with a diacritic Vietnamese never uses (ṣ, ẹ̀, ń, ç, ë ...)
    foreign_letters: float  # share of words with a letter quốc ngữ lacks (f j w z ɛ ɔ ɖ ŋ ƒ ʋ ç ñ ...)
    bad_marked: float  # share of words with a diacritic that are no valid accented syllable (perché, òrò)
    long_plain: float  # share of words of 3+ letters that are valid syllables once diacritics are stripped


# Per character: 0 not a letter, 1 a letter of another script, 2 a Latin letter.
_NOT_LETTER, _OTHER_LETTER, _LATIN_LETTER = 0, 1, 2


@functools.lru_cache(maxsize=1 << 12)
def _letter_kind(ch: str) -> int:
    if not ch.isalpha():
        return _NOT_LETTER
    return _LATIN_LETTER if _is_latin(ch) else _OTHER_LETTER


# What one Latin-script word adds to each count of TextFeatures after the letters (see _word_counts).
_WordCounts = tuple[int, int, int, int, int, int, int, int]


@functools.lru_cache(maxsize=1 << 16)
def _word_counts(word: str) -> _WordCounts | None:
    """None for a word with a letter outside the Latin script, else what it adds (0 or 1) to the word
    counts behind (accented, plain, marked, vi_specific, foreign_marks, foreign_letters, bad_marked,
    long_plain). Cached: a news sample repeats its words, and each test is a function of the word alone."""
    if not all(_is_latin(c) for c in word):
        return None
    w = word.lower()
    accented = is_vietnamese_syllable(w)
    plain = is_vietnamese_syllable(w, accented=False)
    marked = not w.isascii()
    return (
        int(accented),
        int(plain),
        int(marked),
        int(marked and bool(_VI_MARKS.search(unicodedata.normalize("NFD", w))) and accented),
        int(marked and _split_tone(w) is None),
        int(_foreign_lettered(unicodedata.normalize("NFC", w))),
        int(marked and not accented),
        int(len(w) >= 3 and plain),
    )


def text_features(text: str) -> TextFeatures:
    """Return the orthographic features of ``text`` (NFC expected; small capitals read as plain letters).
    Letters are counted per distinct character and words through _word_counts: the same integer counts as
    testing every character and word, at a third of the CPU on news samples."""
    text = text.translate(_SMALL_CAPITALS)
    letters = latin = 0
    for ch, count in Counter(text).items():
        kind = _letter_kind(ch)
        if kind != _NOT_LETTER:
            letters += count
            if kind == _LATIN_LETTER:
                latin += count
    counts = [c for c in map(_word_counts, WORD_RE.findall(text)) if c is not None]
    n = len(counts) or 1
    accented, plain, marked, vi_specific, foreign_marks, foreign_letters, bad_marked, long_plain = (
        map(sum, zip(*counts, strict=True)) if counts else (0,) * 8
    )
    return TextFeatures(
        letters=letters,
        latin_share=latin / (letters or 1),
        words=len(counts),
        accented=accented / n,
        plain=plain / n,
        marked=marked / n,
        vi_specific=vi_specific / n,
        foreign_marks=foreign_marks / n,
        foreign_letters=foreign_letters / n,
        bad_marked=bad_marked / n,
        long_plain=long_plain / n,
    )


def vietnamese_syllable_ratio(text: str) -> float:
    """Share of the Latin-script words of `text` that are valid Vietnamese syllables as written."""
    return text_features(unicodedata.normalize("NFC", text)).accented
