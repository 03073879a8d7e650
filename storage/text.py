"""Vietnamese text normalisation, hashing and search folding (shared by pipelines and storage)."""

from __future__ import annotations

import codecs
import hashlib
import re
import unicodedata

import charset_normalizer

# Zero-width and BOM characters that some CMSs scatter through Vietnamese text; they break hashing
# and search without being visible.
_INVISIBLE_CHARACTERS = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
# The runs of spaces that collapsing to one " " changes: a run holding another space than " ", or two
# and more. A lone " ", between most words, is no match: replacing each with itself cost 40 ns a
# character of text.
_OTHER_SPACES = "\t\u00a0\u202f\u3000"
_SPACES = re.compile(f"[{_OTHER_SPACES}][ {_OTHER_SPACES}]*| [ {_OTHER_SPACES}]+")
# C0 and C1 control characters except tab, line feed and carriage return: no portal means them as text, XML
# refuses them, and some (VT, FF, NEL) would split a paragraph in two.
_CONTROL_RANGES = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
CONTROL_CHARACTERS = re.compile(f"[{_CONTROL_RANGES}]")
# What normalize_text removes, invisible and control characters, in one pass: str.translate with a
# table costs some 77 ns a character of non-ASCII text, this expression 5.
_INVISIBLE_OR_CONTROL = re.compile(f"[{_INVISIBLE_CHARACTERS}{_CONTROL_RANGES}]")
_INVISIBLE = re.compile(f"[{_INVISIBLE_CHARACTERS}]")


# The same characters as UTF-8 bytes: C0 and DEL (those below 0x80) are single bytes no multi-byte
# sequence holds; C1 is 0xC2 then 0x80-0x9F (0xC2 only ever leads a sequence).
_C0_AND_DEL_BYTES = bytes(code for code in range(0x80) if CONTROL_CHARACTERS.match(chr(code)))
_C1_UTF8 = re.compile(b"\xc2[\x80-\x9f]")


def has_control_characters(text: str) -> bool:
    """Whether ``text`` holds a character remove_control_characters removes.

    Read from its UTF-8 form, whose C0 bytes bytes.translate drops in a C loop: a page's markup
    (260,000 characters on average on the real pages) is checked in 0.5 ms, where the regular
    expression walks it in 1.3 ms; almost no page holds one."""
    encoded = text.encode("utf-8", "surrogatepass")  # a lone surrogate is no control character
    if len(encoded.translate(None, _C0_AND_DEL_BYTES)) != len(encoded):
        return True
    return not text.isascii() and _C1_UTF8.search(encoded) is not None


def remove_control_characters(text: str) -> str:
    """Return ``text`` without C0/C1 control characters (tab, line feed and carriage return kept)."""
    return CONTROL_CHARACTERS.sub("", text) if has_control_characters(text) else text


def normalize_text(text: str) -> str:
    """Return ``text`` NFC-normalised, without invisible and control characters, with runs of spaces
    collapsed.

    Line breaks are kept (one per paragraph); blank lines and surrounding spaces are dropped.
    """
    text = unicodedata.normalize("NFC", _INVISIBLE_OR_CONTROL.sub("", text))
    # One pass over the whole text (_SPACES matches no line boundary), not one per line, and none where
    # _SPACES cannot match: each of its matches holds two spaces or another space than " ". Looking
    # for those five strings costs 3 ns a character, the expression's search 27.
    if "  " in text or any(space in text for space in _OTHER_SPACES):
        text = _SPACES.sub(" ", text)
    lines = (line.strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def content_hash(text: str) -> str:
    """Return the sha256 hex digest of the normalised text, so NFD and NFC copies hash alike."""
    return hashlib.sha256(normalize_text(text).encode("utf-8")).hexdigest()


# --- search folding -------------------------------------------------------------------------------

# Vietnamese tone marks as combining characters (NFD): grave, acute, tilde, hook above, dot below.
_TONES = "\u0300\u0301\u0303\u0309\u0323"
# Old-style ("hoà", "khoẻ", "thuỷ") puts the tone on the second vowel of an open oa/oe/uy syllable;
# new-style ("hòa", "khỏe", "thủy") puts it on the first. "qu" + vowel is a consonant cluster (quý, quả),
# and a following letter closes the syllable (hoàng, huỳnh), where both styles agree.
_OLD_TONE = re.compile(
    rf"(?<!q)(o)([ae])([{_TONES}])(?![^\W\d_])|(?<!q)(u)(y)([{_TONES}])(?![^\W\d_])", re.IGNORECASE
)


def _move_tone(match: re.Match[str]) -> str:
    if match.group(1):
        return match.group(1) + match.group(3) + match.group(2)
    return match.group(4) + match.group(6) + match.group(5)


# What any match of _OLD_TONE needs in NFC text: o or u, then a, e or y whose decomposition puts a
# tone mark first (a tone alone; or the dot below, which canonical order puts before a breve or a
# circumflex: ặ, ậ, ệ; a tone mark always composes with the letter it follows). Most lines have none.
# (So "hoặc" folds to "họăc", as it always has: the search indexes of existing archives hold that key.)
_AFTER_O = "àáảãạèéẻẽẹặậệ"
_AFTER_U = "ỳýỷỹỵ"
_OLD_TONE_HINT = re.compile(f"[oOuU][{_AFTER_O}{_AFTER_U}{_AFTER_O.upper()}{_AFTER_U.upper()}]")


# _OLD_TONE's matches as they stand in NFC text: o or u and the toned vowel as one character, mapped to
# what moving the first mark of its decomposition gives ("oà" -> "òa", "oặ" -> "ọă"). In NFD the vowel
# of ặ, ậ and ệ is followed by its second mark, never a letter, so they match whatever follows them;
# the others only at the end of a word, as _OLD_TONE says.
def _moves() -> dict[str, str]:
    moves: dict[str, str] = {}
    for first, seconds in (("o", _AFTER_O), ("u", _AFTER_U)):
        for letter in (first, first.upper()):
            for second in seconds + seconds.upper():
                decomposed = unicodedata.normalize("NFD", second)  # the vowel, then its marks
                toned_letter = unicodedata.normalize("NFC", letter + decomposed[1])
                moves[letter + second] = toned_letter + unicodedata.normalize(
                    "NFC", decomposed[0] + decomposed[2:]
                )
    return moves


_TONE_MOVES = _moves()
# It starts with its first letter, not with _OLD_TONE's "(?<!q)", which made the engine try every
# position (80 ns a character); _moved_tone leaves a match after q as it is.
# The vowels with one mark match only at a word's end; ặ, ậ and ệ (two marks) anywhere.
_ONE_MARK_AFTER_O = "".join(v for v in _AFTER_O if len(unicodedata.normalize("NFD", v)) == 2)
_TWO_MARKS_AFTER_O = "".join(v for v in _AFTER_O if len(unicodedata.normalize("NFD", v)) == 3)
_WORD_END = r"(?![^\W\d_])"
_OLD_TONE_NFC = re.compile(
    f"[oO](?:[{_ONE_MARK_AFTER_O}{_ONE_MARK_AFTER_O.upper()}]{_WORD_END}"
    f"|[{_TWO_MARKS_AFTER_O}{_TWO_MARKS_AFTER_O.upper()}])"
    f"|[uU][{_AFTER_U}{_AFTER_U.upper()}]{_WORD_END}"
)


class _MarkFollows(Exception):
    """A combining mark follows a match: canonical order may put it before the tone (NFD road)."""


def fold_tone_placement(text: str) -> str:
    """Return ``text`` NFC, with old-style tone placement on oa/oe/uy moved to the new style.

    The NFC text is searched as it stands, by an expression that starts with its first letter:
    decomposing a 2,800-character article, searching it with _OLD_TONE and recomposing it took
    400-500 us, this takes 84. Where a combining mark follows a match (text that is NFC and still holds
    marks no letter took), canonical order may move the mark before the tone in NFD, so the text takes
    the NFD road. Tests compare every text of up to three letters of the alphabet that matters, and
    random texts, with the NFD road.
    """
    text = unicodedata.normalize("NFC", text)
    if _OLD_TONE_HINT.search(text) is None:
        return text
    try:
        return unicodedata.normalize("NFC", _OLD_TONE_NFC.sub(_moved_tone, text))
    except _MarkFollows:
        return unicodedata.normalize("NFC", _OLD_TONE.sub(_move_tone, unicodedata.normalize("NFD", text)))


def _moved_tone(match: re.Match[str]) -> str:
    text, start, end = match.string, match.start(), match.end()
    if end < len(text) and unicodedata.combining(text[end]):
        raise _MarkFollows
    if start and text[start - 1] in "qQ":  # "qu" + vowel is a consonant cluster (quý, quả)
        return match.group()
    return _TONE_MOVES[match.group()]


def search_key(text: str) -> str:
    """Return the search form of ``text``: normalised, lowercase, NFC, new-style tone placement.

    Only for indexes and comparisons; stored text keeps the publisher's spelling.
    """
    return fold_tone_placement(normalize_text(text).lower())


def strip_diacritics(text: str) -> str:
    """Return ``text`` without any diacritics (``đ`` -> ``d``), NFC, e.g. for URL slugs."""
    decomposed = unicodedata.normalize("NFD", _INVISIBLE.sub("", text))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", bare.replace("đ", "d").replace("Đ", "D"))


# --- decoding -------------------------------------------------------------------------------------

# A <meta charset> or http-equiv declaration must appear in the first 1024 bytes per the HTML spec;
# real portals often put it later (after long <script> blocks), so we look a little further.
_SNIFF_BYTES = 4096
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.IGNORECASE)
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
# Precomposed letters of the Vietnamese alphabet (lowercase); a decode that yields many of them and
# few mojibake signs is the right one.
_VI_LETTERS = frozenset("àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ")
_MOJIBAKE = frozenset("\ufffdÃÂÄÅÆÇÐÑÕØÞßðñøþ¢£¤¥¦§¨©ª«¬®¯°±²³´µ¶·¸¹º»¼½¾¿")
# Share of U+FFFD replacement characters above which a lossy UTF-8 decode is refused. Every real page in
# shared/data decodes cleanly (0 replacements), so this only has to admit a few damaged bytes in a page.
MAX_REPLACEMENT_RATIO = 0.005


def _nfc(text: str) -> str:
    # the check is much cheaper than normalising a 500 KB page that is already NFC (most are)
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


def declared_charset(body: bytes) -> str | None:
    """Return the charset named by a <meta> tag near the start of ``body``, or None."""
    match = _META_CHARSET.search(body[:_SNIFF_BYTES])
    return match.group(1).decode("ascii").lower() if match else None


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name.strip().strip("\"'")).name
    except LookupError:
        return None


def _vi_score(text: str) -> int:
    lowered = unicodedata.normalize("NFC", text).lower()
    good = sum(1 for ch in lowered if ch in _VI_LETTERS)
    bad = sum(1 for ch in text if ch in _MOJIBAKE or "\x80" <= ch <= "\x9f")
    return good - 3 * bad


def decode_html(body: bytes, declared: str | None = None) -> tuple[str, str]:
    """Return ``(text, encoding)``: ``body`` decoded and NFC-normalised, and the codec used.

    UTF-8 is tried first, whatever is declared, because a legacy label on UTF-8 bytes is the most
    common lie; otherwise the declared charsets (``declared`` from the HTTP header, then <meta>),
    charset_normalizer's guess and windows-1258 compete on how Vietnamese the result looks.
    Raises UnicodeDecodeError when no candidate gives a clean decode.
    """
    for bom, name in _BOMS:
        if body.startswith(bom):
            return _nfc(body.decode(name, errors="replace")), name
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return _nfc(text), "utf-8"
    candidates: list[str] = []
    guess = charset_normalizer.from_bytes(body[:200_000]).best()
    for label in (declared, declared_charset(body), guess.encoding if guess else None, "cp1258"):
        codec = _codec(label)
        if codec and codec != "utf-8" and codec not in candidates:
            candidates.append(codec)
    best: tuple[int, str, str] | None = None
    for codec in candidates:
        try:
            decoded = body.decode(codec)
        except (UnicodeDecodeError, LookupError):
            continue
        score = _vi_score(decoded)
        # earlier candidates (what the page declares) win ties
        if best is None or score > best[0]:
            best = (score, codec, decoded)
    if best is not None:
        return _nfc(best[2]), best[1]
    text = body.decode("utf-8", errors="replace")
    if text.count("\ufffd") > MAX_REPLACEMENT_RATIO * max(len(text), 1):
        raise UnicodeDecodeError("utf-8", body, 0, len(body), "no charset decodes these bytes cleanly")
    return _nfc(text), "utf-8"
