"""Vietnamese text normalisation, search folding and decoding of captured bytes."""

from __future__ import annotations

import itertools
import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import storage.text as text_module
from storage.text import (
    CONTROL_CHARACTERS,
    content_hash,
    decode_html,
    fold_tone_placement,
    has_control_characters,
    normalize_text,
    remove_control_characters,
    search_key,
    strip_diacritics,
)

_TONES = "\u0300\u0301\u0303\u0309\u0323"


def encode_cp1258(text: str) -> bytes:
    """Encode like a windows-1258 CMS: base letters precomposed (â, ơ, ư, đ...), tone marks combining."""
    out = []
    for char in unicodedata.normalize("NFC", text):
        decomposed = unicodedata.normalize("NFD", char)
        base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONES))
        tones = "".join(c for c in decomposed if c in _TONES)
        try:  # a precomposed tone letter that cp1258 has (à, á, ...) stays as it is
            out.append(char.encode("cp1258"))
        except UnicodeEncodeError:
            out.append((base + tones).encode("cp1258"))
    return b"".join(out)


VI = "Nguyễn Thị Thủy khỏe, hoà bình, đường phố Việt Nam"


def test_cp1258_needs_combining_tones() -> None:
    # windows-1258 has no "ủ": it is u + combining hook above
    with pytest.raises(UnicodeEncodeError):
        "thủy".encode("cp1258")
    assert encode_cp1258("thủy") == b"thu\xd2y"
    assert b"thu\xd2y".decode("cp1258") == "thu\u0309y"


def test_normalize_text_nfc_invisible_spaces() -> None:
    nfd = unicodedata.normalize("NFD", VI)
    assert normalize_text(f"  {nfd}\u200b \n\n  dòng\u00a0 hai ") == f"{VI}\ndòng hai"
    assert content_hash(nfd) == content_hash(VI)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("hoà", "hòa"),
        ("thuỷ", "thủy"),
        ("khoẻ", "khỏe"),
        ("Hoá", "hóa"),
        ("uỷ ban", "ủy ban"),
        ("toà án", "tòa án"),
    ],
)
def test_search_key_folds_tone_placement(old: str, new: str) -> None:
    assert search_key(old) == search_key(new) == new


@pytest.mark.parametrize("word", ["quý", "quả", "hoàng", "huỳnh", "khoảng", "thuyền", "quyền"])
def test_search_key_leaves_closed_syllables_and_qu(word: str) -> None:
    assert search_key(word) == word


def test_search_key_is_lowercase_nfc_and_stored_text_is_untouched() -> None:
    nfd = unicodedata.normalize("NFD", "Hoà Bình  THUỶ")
    assert search_key(nfd) == "hòa bình thủy"
    assert normalize_text(nfd) == "Hoà Bình THUỶ"  # stored text keeps the publisher's spelling


def test_strip_diacritics() -> None:
    assert strip_diacritics("Đường Nguyễn Huệ, hoà") == "Duong Nguyen Hue, hoa"
    assert strip_diacritics(unicodedata.normalize("NFD", "Việt")) == "Viet"


def test_decode_utf8() -> None:
    assert decode_html(VI.encode()) == (VI, "utf-8")


def test_decode_nfd_utf8_to_nfc() -> None:
    text, encoding = decode_html(unicodedata.normalize("NFD", VI).encode())
    assert text == VI and encoding == "utf-8"


def test_decode_windows_1258_to_nfc() -> None:
    page = f'<html><head><meta charset="windows-1258"></head><body><p>{VI}</p></body></html>'
    text, encoding = decode_html(encode_cp1258(page))
    assert encoding == "cp1258"
    assert VI in text and unicodedata.is_normalized("NFC", text)


def test_decode_windows_1258_labelled_latin1() -> None:
    page = f'<html><head><meta charset="iso-8859-1"></head><body><p>{VI} {VI}</p></body></html>'
    text, encoding = decode_html(encode_cp1258(page), "iso-8859-1")
    assert encoding == "cp1258" and VI in text


def test_decode_utf8_despite_declared_legacy_charset() -> None:
    page = f'<html><head><meta charset="windows-1258"></head><body><p>{VI}</p></body></html>'
    text, encoding = decode_html(page.encode("utf-8"), "iso-8859-1")
    assert encoding == "utf-8" and VI in text


def test_decode_bom() -> None:
    assert decode_html(b"\xef\xbb\xbf" + VI.encode()) == (VI, "utf-8-sig")


def test_decode_unlabelled_windows_1258() -> None:
    text, encoding = decode_html(encode_cp1258(f"<html><body><p>{VI}</p></body></html>"))
    assert encoding == "cp1258" and VI in text


def test_decode_declared_legacy_charset_kept_when_it_fits() -> None:
    french = "<p>Café crème à la française, été très réussi.</p>"
    assert decode_html(french.encode("cp1252"), "windows-1252") == (french, "cp1252")


def test_normalize_text_removes_control_characters_and_keeps_lines() -> None:
    # VT, FF and NEL would otherwise split one paragraph in two; ESC, NUL and C1 are never text
    assert (
        normalize_text("Giá\x0b lúa\x1b tăng\x00\x85 mạnh\x9f\tnăm nay\nDòng hai")
        == "Giá lúa tăng mạnh năm nay\nDòng hai"
    )
    assert content_hash("Giá lúa\x0b tăng") == content_hash("Giá lúa tăng")


# Text as portals send it, and the characters at the edges of the control ranges, lone surrogates (a
# decoder's "surrogateescape" leaves them) and characters whose UTF-8 form holds 0xC2 or C1-like bytes.
EDGES = "\x00\x08\t\n\x0b\x0c\r\x0e\x1f \x7e\x7f\x80\x9f\xa0\xc2\u0102\u0142\u2028\ud800\udcff\U0001f600"


@given(st.lists(st.sampled_from(EDGES) | st.sampled_from("Khánh Hòa ") | st.characters(), max_size=60))
def test_control_characters_are_found_and_removed_as_the_expression_says(pieces: list[str]) -> None:
    text = "".join(pieces)
    assert has_control_characters(text) == (CONTROL_CHARACTERS.search(text) is not None)
    assert remove_control_characters(text) == CONTROL_CHARACTERS.sub("", text)


def test_text_without_control_characters_is_returned_as_is() -> None:
    text = "Báo Khánh Hòa\u00a0— tin\ttức\r\n" * 100
    assert remove_control_characters(text) is text
    assert remove_control_characters("a\x85b\x0bc") == "abc"  # NEL (C1) and VT (C0)


def _normalize_text_as_written_before(text: str) -> str:
    """normalize_text as it was before its one-pass removal and its space runs (the reference)."""
    invisible = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
    removed = CONTROL_CHARACTERS.sub("", text.translate(invisible))
    spaced = re.sub(r"[ \t\u00a0\u202f\u3000]+", " ", unicodedata.normalize("NFC", removed))
    return "\n".join(line for line in (line.strip() for line in spaced.splitlines()) if line)


SPACED = " \t\u00a0\u202f\u3000\n\r\u2028\x0b\x85\u200b\u00ad\ufeff"


@given(
    st.lists(
        st.sampled_from(SPACED) | st.sampled_from(EDGES) | st.sampled_from(["Hòa", "hoà", "a"]), max_size=60
    )
)
def test_normalize_text_is_what_it_was(pieces: list[str]) -> None:
    text = "".join(pieces)
    assert normalize_text(text) == _normalize_text_as_written_before(text)


def _fold_without_the_hint(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", text_module._OLD_TONE.sub(text_module._move_tone, decomposed))


# Both tone placements, q-clusters, closed syllables, capitals, other marks on the same vowels (â, ê, ơ,
# ư, ă), combining marks alone, in NFC and NFD.
TONE_PIECES = ("hoà", "hòa", "khoẻ", "thuỷ", "THUỶ", "Hoà", "quý", "quả", "hoàng", "huỳnh", "xoắn", "oê",
               "hoặc", "HOẶC", "khoậm", "oệ", "uỵ", "oẫ", "oằ", "oẽ", "oề",
               "ươ", "o", "u", "a", "y", "e", " ", "\u0300", "\u0323", "\u0302", "q", "1")  # fmt: skip


@settings(max_examples=600)
@given(st.lists(st.sampled_from(TONE_PIECES) | st.characters(), max_size=20), st.booleans())
def test_tone_placement_folds_as_without_its_shortcut(pieces: list[str], decompose: bool) -> None:
    text = "".join(pieces)
    text = unicodedata.normalize("NFD", text) if decompose else text
    assert fold_tone_placement(text) == _fold_without_the_hint(text)


# Letters around an old-style placement: o, u and q in both cases, the vowels bare, toned, with a dot
# below and a second mark (ặ, ậ, ệ: folded before any letter), with another mark only (ằ), word ends;
# and combining marks alone, of classes below, at and above the tones' (horn 216, a Hebrew point 10,
# dot below 220, grave 230, circumflex 230), which canonical order may put before a tone.
FOLD_ALPHABET = "oOuUqQaeyAEY n1_.àáạèẹặậệỳỵằÀẶỲưô\u0300\u0323\u031b\u05b0\u0302"


def test_tone_placement_folds_every_short_text_as_without_its_shortcut() -> None:
    for size in (2, 3):
        for letters in itertools.product(FOLD_ALPHABET, repeat=size):
            text = "".join(letters)
            assert fold_tone_placement(text) == _fold_without_the_hint(text), text


@pytest.mark.parametrize(
    ("old_style", "new_style"),
    [("hoà", "hòa"), ("HOÀ", "HÒA"), ("Thuỷ", "Thủy"), ("THUỶ", "THỦY"), ("khoẻ", "khỏe"), ("quý", "quý")],
)
def test_old_tone_placement_is_folded_in_any_case(old_style: str, new_style: str) -> None:
    assert fold_tone_placement(old_style) == new_style
    assert fold_tone_placement(unicodedata.normalize("NFD", old_style)) == new_style
