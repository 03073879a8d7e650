"""Earlier versions of an article: their text, and line- or word-level differences between two."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

from storage.models import Article, ArticleVersion


def get_version(article: Article, number: int) -> ArticleVersion:
    """Return version ``number`` of ``article``. Raises LookupError naming the versions it has."""
    for version in article.versions:
        if version.version == number:
            return version
    known = ", ".join(str(v.version) for v in article.versions) or "none"
    raise LookupError(f"article {article.id} has no version {number} (versions: {known})")


def _document(version: ArticleVersion) -> list[str]:
    return [version.title or "", "", *version.text.splitlines()]


def line_diff(article: Article, old: int, new: int) -> list[str]:
    """Return a unified diff (title, blank line, paragraphs) from version ``old`` to ``new``.

    Raises LookupError for a version the article does not have.
    """
    a, b = get_version(article, old), get_version(article, new)
    return list(
        difflib.unified_diff(
            _document(a), _document(b), fromfile=f"version {old}", tofile=f"version {new}", lineterm="", n=1
        )
    )


@dataclass(frozen=True)
class WordChange:
    """One run of the word diff: ``kind`` is "same", "removed" or "added"."""

    kind: str
    text: str


class DiffTooLarge(ValueError):
    """The two versions are too large to compare here; the message says how large, in one line."""


# A diff compares at most this many words (both versions together) and this many sentences; beyond, it
# is refused with DiffTooLarge rather than keeping a request or a terminal busy for minutes.
MAX_DIFF_WORDS = 100_000
MAX_DIFF_SENTENCES = 20_000
# Changed sentences are compared word by word only while the changed block is this small (both sides);
# a larger block is compared sentence by sentence when the counts agree, else shown as replaced whole.
WORD_BLOCK_LIMIT = 800
# Below this share of words in common, a changed sentence is shown as replaced whole: interleaved
# fragments of two different sentences ("dụngDịp") are harder to read than the two sentences.
SIMILAR_ENOUGH = 0.5
# Runs of this many words or fewer in common between two changes are folded into the change.
SHORT_COMMON = 2

# A sentence ends after . ! ? or … (and any closing quotes or brackets) before whitespace, or at a line
# break; the whitespace belongs to the next sentence, so every piece of text is in exactly one sentence.
_BREAK = re.compile(r"[.!?…][\"'”’»)\]]*(\s+)|(\s*\n\s*)")
# Words with the whitespace before them; trailing whitespace is a token of its own.
_WORDS = re.compile(r"\s*\S+|\s+")


def _sentences(text: str) -> list[str]:
    units, start = [], 0
    for match in _BREAK.finditer(text):
        cut = match.start(1) if match.group(1) is not None else match.start(2)
        if cut > start:
            units.append(text[start:cut])
            start = cut
    if start < len(text):
        units.append(text[start:])
    return units


def _key(token: str) -> str:
    # Compared without the surrounding whitespace: a re-wrapped paragraph is not a change of words.
    return token.strip()


def _opcodes(a: list[str], b: list[str], *, junk: bool) -> list[tuple[str, int, int, int, int]]:
    """SequenceMatcher's opcodes over the keys of ``a`` and ``b``, common head and tail stripped first."""
    ka, kb = [_key(x) for x in a], [_key(x) for x in b]
    head = 0
    while head < min(len(ka), len(kb)) and ka[head] == kb[head]:
        head += 1
    tail = 0
    while tail < min(len(ka), len(kb)) - head and ka[-1 - tail] == kb[-1 - tail]:
        tail += 1
    middle = difflib.SequenceMatcher(a=ka[head : len(ka) - tail], b=kb[head : len(kb) - tail], autojunk=junk)
    codes: list[tuple[str, int, int, int, int]] = [("equal", 0, head, 0, head)] if head else []
    for tag, i1, i2, j1, j2 in middle.get_opcodes():
        codes.append((tag, i1 + head, i2 + head, j1 + head, j2 + head))
    if tail:
        codes.append(("equal", len(ka) - tail, len(ka), len(kb) - tail, len(kb)))
    return codes


def _add(changes: list[WordChange], kind: str, text: str) -> None:
    if not text:
        return
    if changes and changes[-1].kind == kind:
        changes[-1] = WordChange(kind, changes[-1].text + text)
    else:
        changes.append(WordChange(kind, text))


def _replaced(changes: list[WordChange], old: str, new: str) -> None:
    _add(changes, "removed", old)
    _add(changes, "added", new)


def _words_within(changes: list[WordChange], old: str, new: str) -> None:
    """Append the changes from ``old`` to ``new`` (a few changed sentences), word by word when they are
    similar enough, else as one replacement; short common runs between changes are folded in."""
    a, b = _WORDS.findall(old), _WORDS.findall(new)
    codes = _opcodes(a, b, junk=False)
    common = sum(i2 - i1 for tag, i1, i2, _, _ in codes if tag == "equal")
    if 2 * common < SIMILAR_ENOUGH * (len(a) + len(b)):
        _replaced(changes, old, new)
        return
    merged: list[list[Any]] = []
    for index, (tag, i1, i2, j1, j2) in enumerate(codes):
        between = 0 < index < len(codes) - 1
        if tag == "equal" and between and i2 - i1 <= SHORT_COMMON:
            tag = "replace"
        if tag != "equal" and merged and merged[-1][0] != "equal":
            merged[-1][2], merged[-1][4] = i2, j2
        else:
            merged.append([tag, i1, i2, j1, j2])
    for tag, i1, i2, j1, j2 in merged:
        if tag == "equal":
            _add(changes, "same", "".join(b[j1:j2]))
        else:
            _replaced(changes, "".join(a[i1:i2]), "".join(b[j1:j2]))


def diff_texts(old: str, new: str) -> list[WordChange]:
    """Return the changes from ``old`` to ``new``: sentences first, then words within changed sentences.

    Bounded: sentence lists are compared after stripping their common head and tail; only small changed
    blocks are compared word by word. Raises DiffTooLarge beyond MAX_DIFF_WORDS or MAX_DIFF_SENTENCES.
    """
    words = len(old.split()) + len(new.split())
    if words > MAX_DIFF_WORDS:
        raise DiffTooLarge(
            f"the two versions have {words:,} words together; diffs stop at {MAX_DIFF_WORDS:,}"
        )
    a, b = _sentences(old), _sentences(new)
    if (sentences := len(a) + len(b)) > MAX_DIFF_SENTENCES:
        limit = f"diffs stop at {MAX_DIFF_SENTENCES:,}"
        raise DiffTooLarge(f"the two versions have {sentences:,} sentences together; {limit}")
    changes: list[WordChange] = []
    for tag, i1, i2, j1, j2 in _opcodes(a, b, junk=True):
        if tag == "equal":
            _add(changes, "same", "".join(b[j1:j2]))
            continue
        olds, news = a[i1:i2], b[j1:j2]
        size = sum(len(s.split()) for s in olds) + sum(len(s.split()) for s in news)
        if not olds or not news:
            _replaced(changes, "".join(olds), "".join(news))
        elif size <= WORD_BLOCK_LIMIT:
            _words_within(changes, "".join(olds), "".join(news))
        elif len(olds) == len(news):
            for before, after in zip(olds, news, strict=True):
                if len(before.split()) + len(after.split()) <= WORD_BLOCK_LIMIT:
                    _words_within(changes, before, after)
                else:
                    _replaced(changes, before, after)
        else:
            _replaced(changes, "".join(olds), "".join(news))
    return changes


def word_diff(article: Article, old: int, new: int) -> list[WordChange]:
    """Return the changes from version ``old`` to ``new`` (title, blank line, paragraphs) by diff_texts.

    Raises LookupError for a version the article does not have, DiffTooLarge for versions too large.
    """
    return diff_texts(version_text(get_version(article, old)), version_text(get_version(article, new)))


def version_text(version: ArticleVersion) -> str:
    """Return what a diff compares of ``version``: its title, a blank line, its paragraphs."""
    return "\n".join(_document(version))


def format_word_diff(changes: list[WordChange]) -> str:
    """Return ``changes`` as text in git's word-diff style: ``[-removed-]{+added+}``."""
    marks = {"same": ("", ""), "removed": ("[-", "-]"), "added": ("{+", "+}")}
    return "".join(marks[c.kind][0] + c.text + marks[c.kind][1] for c in changes)
