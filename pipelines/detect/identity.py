"""Text identity of an article body: the hash of its normalised text and its MinHash signature."""

from __future__ import annotations

from dataclasses import dataclass

from pipelines.detect.neardup import signature
from storage.text import content_hash


@dataclass(frozen=True)
class Fingerprint:
    """A text's identity: the hash of its NFC-normalised form and its MinHash signature."""

    content_hash: str
    signature: bytes


def fingerprint(text: str) -> Fingerprint:
    """Return the text identity of an article body (run in the worker with the extraction)."""
    return Fingerprint(content_hash(text), signature(text))
