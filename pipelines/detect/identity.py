"""Text identity of an article body: the hash of its normalised text and its MinHash signature."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from pipelines.detect.neardup import folded_signature, signature
from storage.search.fields import SearchForm
from storage.text import content_hash, fold_tone_placement, normalize_text, search_key


@dataclass(frozen=True)
class Fingerprint:
    """A text's identity: the hash of its NFC-normalised form and its MinHash signature."""

    content_hash: str
    signature: bytes


def fingerprint(text: str) -> Fingerprint:
    """Return the text identity of an article body."""
    return Fingerprint(content_hash(text), signature(text))


def identify(title: str | None, sapo: str | None, text: str) -> tuple[Fingerprint, SearchForm]:
    """Return fingerprint(text) and SearchForm.of(title, sapo, text), folding the body once (run in the
    worker with the extraction): it is normalised once for its hash (storage.text.content_hash) and
    lowercased once for both its MinHash shingles and its search form (storage.text.search_key), where
    each of the three used to normalise the whole text again."""
    normalized = normalize_text(text)
    lowered = normalized.lower()
    identity = Fingerprint(hashlib.sha256(normalized.encode("utf-8")).hexdigest(), folded_signature(lowered))
    fields = {
        "search_title": search_key(title or ""),
        "search_sapo": search_key(sapo or ""),
        "search_body": fold_tone_placement(lowered),
    }
    return identity, SearchForm(title, sapo, text, fields)
