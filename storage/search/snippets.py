"""Search snippets cut from the stored text, so they keep the publisher's case and diacritics."""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

from storage.search.query import WORD, Query
from storage.text import search_key, strip_diacritics

# Words shown in a snippet: about two lines of a terminal table or three of the web page, measured by
# eye on the replica's articles (shorter loses the sentence, longer buries the hit).
SNIPPET_WORDS = 30
# Words of context kept before the first hit, so a snippet starts with the words leading up to it.
LEAD_WORDS = 6
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Highlighted:
    """Text with some spans marked as hits: ``segments`` is a sequence of (text, is_hit)."""

    segments: tuple[tuple[str, bool], ...]

    @property
    def text(self) -> str:
        return "".join(text for text, _ in self.segments)

    def spans(self) -> list[tuple[int, int]]:
        """Return the [start, end) character offsets of the hits in ``text``."""
        spans, offset = [], 0
        for text, hit in self.segments:
            if hit:
                spans.append((offset, offset + len(text)))
            offset += len(text)
        return spans

    def __str__(self) -> str:
        return self.text


@functools.lru_cache(maxsize=200_000)
def _forms(word: str) -> tuple[str, str]:
    # Cached: an archive's vocabulary is small next to the words of the texts being cut into snippets.
    exact = search_key(word)
    return exact, strip_diacritics(exact)


def hit_positions(text: str, query: Query) -> tuple[list[tuple[int, int]], list[int]]:
    """Return the word spans of ``text`` and the indexes of those that match a query word.

    An accented query word marks only exact-spelling matches when the text has one, else every
    spelling (the article matched without diacritics, and the archivist should see where).
    """
    spans = [m.span() for m in WORD.finditer(text)]
    words = [text[start:end] for start, end in spans]
    # Each distinct word is folded once (a long text repeats most of its words).
    forms = {word: _forms(word) for word in set(words)}
    # folded form -> the spellings asked for ("" when typed without accents: any spelling)
    wanted: dict[str, set[str]] = {}
    for term in query.terms:
        for word, folded in zip(term.words, term.folded, strict=True):
            wanted.setdefault(folded, set()).add(word if word != folded else "")
    present = {exact for exact, _ in forms.values()}
    matching = set()
    for word, (exact, folded) in forms.items():
        spellings = wanted.get(folded)
        if spellings is not None and ("" in spellings or exact in spellings or not spellings & present):
            matching.add(word)
    hits = [i for i, word in enumerate(words) if word in matching]
    return spans, _prefer_phrases(hits, [forms[word][1] for word in words], query)


def _prefer_phrases(hits: list[int], folded: list[str], query: Query) -> list[int]:
    """Return ``hits`` where a query word that occurs inside one of the query's phrases keeps only those
    occurrences: without accents "chung cu" should mark "chung cư", not every "Chúng" and "cũ" of the text.

    The phrases are the quoted terms and the query's words in the order typed; a word no phrase of the
    text contains keeps all its hits.
    """
    phrases = [term.folded for term in query.terms if len(term.folded) > 1]
    sequence = tuple(word for term in query.terms for word in term.folded)
    if len(sequence) > 1:
        phrases.append(sequence)
    if not phrases or not hits:
        return hits
    in_phrase: set[int] = set()
    hit_set = set(hits)
    for phrase in phrases:
        length = len(phrase)
        for first in hits:
            span = range(first, first + length)
            if tuple(folded[first : first + length]) == phrase and all(i in hit_set for i in span):
                in_phrase.update(span)
    if not in_phrase:
        return hits
    phrased = {folded[i] for i in in_phrase}
    return [i for i in hits if i in in_phrase or folded[i] not in phrased]


def highlight(text: str, query: Query) -> Highlighted:
    """Return all of ``text`` with its query words marked (for titles)."""
    spans, hits = hit_positions(text, query)
    return _segments(text, spans, hits, 0, len(spans), ellipses=False)


def snippet(text: str, query: Query, words: int = SNIPPET_WORDS) -> Highlighted:
    """Return the ``words``-word passage of ``text`` with the most distinct query words, hits marked.

    Without any hit the passage is the start of the text.
    """
    text = unicodedata.normalize("NFC", text)
    spans, hits = hit_positions(text, query)
    if not spans:
        return Highlighted(((text.strip(), False),)) if text.strip() else Highlighted(())
    best, best_count = 0, -1
    hit_set = set(hits)
    for first in hits or [0]:
        window = [i for i in range(first, min(first + words, len(spans))) if i in hit_set]
        count = len({_forms(text[slice(*spans[i])])[0] for i in window})
        if count > best_count:
            best, best_count = first, count
    start = max(0, best - LEAD_WORDS) if hits else 0
    end = min(len(spans), start + words)
    return _segments(text, spans, hits, start, end, ellipses=True)


def _segments(
    text: str, spans: list[tuple[int, int]], hits: list[int], start: int, end: int, *, ellipses: bool
) -> Highlighted:
    if start >= end:
        return Highlighted(())
    hit_set = set(hits)
    segments: list[tuple[str, bool]] = []
    position = spans[start][0] if ellipses else 0
    if ellipses and start > 0:
        segments.append(("…", False))
    for i in range(start, end):
        word_start, word_end = spans[i]
        if i in hit_set:
            if word_start > position:
                segments.append((text[position:word_start], False))
            segments.append((text[word_start:word_end], True))
            position = word_end
    stop = spans[end - 1][1] if ellipses else len(text)
    if stop > position:
        segments.append((text[position:stop], False))
    if ellipses and end < len(spans):
        segments.append(("…", False))
    return Highlighted(tuple((piece if hit else _SPACES.sub(" ", piece), hit) for piece, hit in segments))
