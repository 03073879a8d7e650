"""Earlier versions of an article: their text, and line- or word-level differences between two."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from storage.models import Article, ArticleVersion

_TOKENS = re.compile(r"\s+|[^\s]+")


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


def word_diff(article: Article, old: int, new: int) -> list[WordChange]:
    """Return the word-level changes from version ``old`` to ``new`` (whitespace kept as in ``new``).

    Raises LookupError for a version the article does not have.
    """
    a = _TOKENS.findall("\n".join(_document(get_version(article, old))))
    b = _TOKENS.findall("\n".join(_document(get_version(article, new))))
    changes: list[WordChange] = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            changes.append(WordChange("same", "".join(b[j1:j2])))
            continue
        if tag in ("replace", "delete"):
            changes.append(WordChange("removed", "".join(a[i1:i2])))
        if tag in ("replace", "insert"):
            changes.append(WordChange("added", "".join(b[j1:j2])))
    return changes


def format_word_diff(changes: list[WordChange]) -> str:
    """Return ``changes`` as text in git's word-diff style: ``[-removed-]{+added+}``."""
    marks = {"same": ("", ""), "removed": ("[-", "-]"), "added": ("{+", "+}")}
    return "".join(marks[c.kind][0] + c.text + marks[c.kind][1] for c in changes)
