"""Near-duplicates: MinHash LSH candidates over word shingles, confirmed by shared text and agreeing facts."""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

import numpy as np

from storage.text import normalize_text

# 128 permutations (a 512-byte signature) and an LSH threshold of 0.6 (18 bands of 7 rows, kept in the
# archive by storage.fingerprints): a syndicated copy with another lead-in or credit line keeps an
# estimated Jaccard of 0.87-0.98 with its source, found with probability > 0.999; the LSH only
# proposes, the confirmation below decides.
# Measured on 40,000 replica articles (templated provincial news): threshold 0.5 returned 390 raw
# candidates per query on average (p95 3,077) and made lookups cost 4.4 ms at 100k indexed; 0.6
# returns 2.2 (p95 9).
NUM_PERM = 128
LSH_THRESHOLD = 0.6
# LSH banding also proposes articles far below its threshold. Candidates whose signatures agree on
# fewer than this share of positions (the MinHash estimate of Jaccard) are dropped before the costlier
# text confirmation. Measured with tests/benchmarks/dedup.py on 5,000 replica articles: copies with a
# lead-in line estimate 0.87-0.98, templated look-alikes 0.15 median, 0.36 at the 99th percentile.
MIN_ESTIMATED_JACCARD = 0.6
# Shingles of five syllables (Vietnamese words are one to three syllables): long enough that common
# phrases ("ủy ban nhân dân tỉnh") do not make unrelated articles look alike.
SHINGLE = 5
# Confirmation: the paragraphs two copies share (verbatim or with small edits) must cover this share
# of the shorter text; lead-ins ("Theo TTXVN") and credit lines are what the rest may be. The longer
# text must be mostly shared too (MIN_SHARED_LONGER), or an excerpt would pass as a copy.
MIN_SHARED = 0.8
MIN_SHARED_LONGER = 0.6
# Two paragraphs are the same paragraph edited when their shingle Jaccard reaches this.
COUNTERPART = 0.5

_WORD = re.compile(r"\w+", re.UNICODE)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
# A capitalised word that does not open a sentence: a name of a person, place or body in Vietnamese
# text ("ông Nguyễn Văn Hùng", "huyện Ninh Sơn", "UBND").
_NAME = re.compile(r"(?<![.!?:\n]\s)(?<!^)\b([A-ZĐÀ-ỸẠ-Ỹ][\wÀ-ỹ]*)", re.UNICODE)


def _words(text: str) -> list[str]:
    return _WORD.findall(unicodedata.normalize("NFC", text).lower())


def shingles(text: str) -> set[str]:
    """Return the five-syllable shingles of the NFC, lowercased words of ``text``."""
    words = _words(text)
    if len(words) < SHINGLE:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + SHINGLE]) for i in range(len(words) - SHINGLE + 1)}


# datasketch's constants: permuted hashes are taken modulo a Mersenne prime, then cut to 32 bits.
_MERSENNE_PRIME = np.uint64((1 << 61) - 1)
_MAX_HASH = np.uint64((1 << 32) - 1)


@functools.cache
def _permutations() -> tuple[np.ndarray, np.ndarray]:
    """datasketch's MinHash(num_perm=NUM_PERM, seed=1).permutations, drawn the way it draws them (numpy's
    legacy RandomState, whose stream numpy keeps stable across versions): the archive's stored signatures
    were made with them. datasketch itself is not imported: it loads scipy (~51 MB and 580 modules in
    every extraction worker's forkserver) for nothing signatures use; the tests compare with it."""
    generator = np.random.RandomState(1)
    pairs = [
        (
            generator.randint(1, _MERSENNE_PRIME, dtype=np.uint64),
            generator.randint(0, _MERSENNE_PRIME, dtype=np.uint64),
        )
        for _ in range(NUM_PERM)
    ]
    a, b = np.array(pairs, dtype=np.uint64).T
    return a, b


# Shingles permuted at a time: 4,096 x NUM_PERM uint64 is 4 MiB, whatever the length of the text.
_CHUNK = 4096


def _mod_mersenne(values: np.ndarray) -> np.ndarray:
    """``values % (2**61 - 1)``, in place, without a division: for a Mersenne prime, x = (x >> 61) * 2**61
    + (x & p) and 2**61 = 1 (mod p), so x = (x >> 61) + (x & p) (mod p), which is below 2p."""
    high = values >> np.uint64(61)
    np.bitwise_and(values, _MERSENNE_PRIME, out=values)
    values += high
    values[values >= _MERSENNE_PRIME] -= _MERSENNE_PRIME
    return values


def signature(text: str) -> bytes:
    """Return the MinHash signature of ``text`` as bytes (NUM_PERM uint32 values) for storage and lookup."""
    return folded_signature(normalize_text(text).lower())


def folded_signature(folded: str) -> bytes:
    """signature() of a text already normalised (storage.text.normalize_text, so NFC) and lowercased:
    the worker folds an article's text once for its identity, signature and search fields.

    The same values as datasketch's MinHash(num_perm=NUM_PERM, seed=1).update_batch over the shingles
    (each hashed to the first 4 bytes of its sha1, little-endian, then permuted), computed for all
    shingles and permutations at once: one sha1 per shingle in a comprehension and one numpy expression,
    instead of a Python call per shingle. A duplicate shingle cannot change a minimum, so no set is built.
    """
    words = _WORD.findall(folded)
    if len(words) < SHINGLE:
        grams = [" ".join(words)] if words else []
    else:
        grams = [" ".join(words[i : i + SHINGLE]) for i in range(len(words) - SHINGLE + 1)]
    digests = b"".join([hashlib.sha1(gram.encode("utf-8")).digest()[:4] for gram in grams])
    hashes = np.frombuffer(digests, dtype="<u4").astype(np.uint64)[:, np.newaxis]
    a, b = _permutations()
    minimum = np.full(NUM_PERM, _MAX_HASH, dtype=np.uint64)
    for start in range(0, len(hashes), _CHUNK):
        # uint64 arithmetic wraps as datasketch's (a * hash + b) does, so the values are the same.
        permuted = a * hashes[start : start + _CHUNK] + b
        np.bitwise_and(_mod_mersenne(permuted), _MAX_HASH, out=permuted)
        np.minimum(minimum, permuted.min(axis=0), out=minimum)
    return minimum.astype(np.uint32).tobytes()


@dataclass(frozen=True)
class Verdict:
    """Whether two texts are copies of one story, and why."""

    same_story: bool
    reason: str


def _numbers(text: str) -> Counter[str]:
    return Counter(_NUMBER.findall(text))


def _names(text: str) -> Counter[str]:
    return Counter(_NAME.findall(text))


def _substituted(first: Counter[str], second: Counter[str]) -> bool:
    """Whether each side has facts the other lacks: a substitution (another district, other figures),
    as opposed to an edit that only adds or drops a sentence, a lead-in or a credit."""
    return bool(first - second) and bool(second - first)


def compare(first: str, second: str) -> Verdict:
    """Decide whether two article texts are copies of one story.

    Paragraphs are matched verbatim or, when edited, to their most similar counterpart; in a matched
    pair neither side may swap numbers or names for others (a templated report with another district
    or other figures is a different story; a dropped sentence or an added lead-in is an edit), and
    matched paragraphs must cover MIN_SHARED of the shorter text.
    """
    a = [p for p in normalize_text(first).split("\n") if p]
    b = [p for p in normalize_text(second).split("\n") if p]
    if not a or not b:
        return Verdict(False, "empty text")
    b_exact = set(b)
    b_shingles = [shingles(p) for p in b]
    shared_a = 0
    matched_b: set[int] = set()
    for paragraph in a:
        if paragraph in b_exact:
            shared_a += len(paragraph)
            matched_b.add(b.index(paragraph))
            continue
        own = shingles(paragraph)
        best, best_score = -1, 0.0
        for index, other in enumerate(b_shingles):
            if index in matched_b or not own or not other:
                continue
            score = len(own & other) / len(own | other)
            if score > best_score:
                best, best_score = index, score
        if best < 0 or best_score < COUNTERPART:
            continue  # a paragraph only this copy has: a lead-in, a credit line, an added sentence
        counterpart = b[best]
        if _substituted(_numbers(paragraph), _numbers(counterpart)):
            return Verdict(False, f"numbers differ: {paragraph[:60]!r} vs {counterpart[:60]!r}")
        if _substituted(_names(paragraph), _names(counterpart)):
            return Verdict(False, f"names differ: {paragraph[:60]!r} vs {counterpart[:60]!r}")
        shared_a += len(paragraph)
        matched_b.add(best)
    shared_b = sum(len(b[i]) for i in matched_b)
    shares = sorted((shared_a / sum(map(len, a)), shared_b / sum(map(len, b))))
    longer, shorter = shares
    if shorter < MIN_SHARED or longer < MIN_SHARED_LONGER:
        return Verdict(False, f"only {shorter:.0%} / {longer:.0%} of the texts shared")
    return Verdict(True, f"{shorter:.0%} of the shorter text shared ({longer:.0%} of the longer)")
