"""LanguageResult, the language detector's answer: a plain value that workers send back.

It lives apart from pipelines.detect.langid so that the crawl's main process, which unpickles it for every
page, never loads langdetect.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LanguageResult:
    """The language of a text (pipelines.detect.langid.detect_language), how sure, and the evidence."""

    language: str  # ISO 639-1 like "vi", "en", "id", ... or "und"
    confidence: float  # 0..1
    reason: str  # short human-readable evidence
