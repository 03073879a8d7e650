"""Bounded reads of an element's text, for comparing elements with short strings (titles, bylines, dates).

Reading ``text_content()`` of every candidate element costs the size of each subtree: on a page of nested
containers that is quadratic. These helpers stop reading once the text is longer than the caller can use.
"""

from __future__ import annotations

from lxml.html import HtmlElement


def text_within(element: HtmlElement, limit: int) -> str | None:
    """Return ``element``'s text as ``text_content()`` does, or None once it holds more than ``limit``
    characters (runs of whitespace count as one)."""
    parts: list[str] = []
    size = 0  # never more than the collapsed length of the text read so far
    for piece in element.itertext():
        parts.append(piece)
        size += len(" ".join(piece.split()))
        if size > limit:
            return None
    return "".join(parts)


def short_text(element: HtmlElement, limit: int) -> str | None:
    """Return ``element``'s text with whitespace collapsed, or None if longer than ``limit`` characters."""
    text = text_within(element, limit)
    if text is None:
        return None
    collapsed = " ".join(text.split())
    return collapsed if len(collapsed) <= limit else None
