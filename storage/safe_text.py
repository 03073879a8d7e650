"""Make text safe to show: control characters escaped, formulas neutralised, exceptions on one line."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

# C0 controls except tab and newline, DEL, C1 controls (ESC starts ANSI sequences: clear screen, window
# title, hidden OSC-8 hyperlinks; CSI U+009B is the one-character form), and the Unicode bidi overrides
# and isolates that can reorder what a terminal shows ("Trojan Source").
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_UNSAFE_INLINE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# OWASP "CSV injection": a cell starting with one of these is a formula to Excel and LibreOffice.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_safe(text: str, *, multiline: bool = True) -> str:
    """Return ``text`` with every control character written as a visible escape (ESC becomes ``\\x1b``).

    Newlines and tabs are kept when ``multiline`` (article text), escaped otherwise (one table cell or
    one header line).
    """
    return (_UNSAFE if multiline else _UNSAFE_INLINE).sub(_escape, text)


def csv_safe(value: Any) -> Any:
    """Return a CSV cell value: lists joined with "; ", None empty, and a text starting like a formula
    (``=``, ``+``, ``-``, ``@``, tab, CR) prefixed with ``'`` so spreadsheets show it as text.

    Numbers are left alone (a negative number is data, not a formula).
    """
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        value = "; ".join(str(item) for item in value)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def display_width(text: str) -> int:
    """Return how many terminal columns ``text`` takes (combining marks 0, East Asian wide 2)."""
    width = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def truncate(text: str, width: int) -> str:
    """Return ``text`` cut to at most ``width`` terminal columns, ending with "…" when cut."""
    if display_width(text) <= width:
        return text
    out: list[str] = []
    used = 0
    for ch in text:
        step = 0 if unicodedata.combining(ch) else display_width(ch)
        if used + step > width - 1:
            break
        out.append(ch)
        used += step
    return "".join(out) + "…"


def json_safe(text: str) -> str:
    """Return JSON text with the control and bidi characters json.dumps leaves raw (C1, U+202E, ...)
    written as ``\\uXXXX`` escapes: still the same JSON value, but inert in a terminal."""
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def exception_line(exc: BaseException, *, driver: bool = False) -> str:
    """Return the first line of ``exc``'s message, for a log line or a one-line error (the exception's
    type name when the message is empty). With ``driver``, the message of the database driver's own
    exception that a SQLAlchemy error wraps (``exc.orig``, without SQLAlchemy's prefix), when there is one.
    """
    text = str((getattr(exc, "orig", None) if driver else None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
