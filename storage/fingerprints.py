"""The near-duplicate index in the archive: MinHash signatures, their LSH band keys, the pending queue.

Signatures are computed by pipelines.detect.neardup (NUM_PERM uint32 values); this module only stores them and
answers "which articles share a band with these signatures", per batch, with indexed lookups, so no
process holds the whole index in memory and every writer sees every committed article.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import cast

import numpy as np
from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from storage.models import ArticleBand, ArticleFingerprint, DedupLock, DedupQueue, utcnow

# 128 permutations in 18 bands of 7 rows: datasketch's optimal banding for a Jaccard threshold of 0.6
# (pipelines.detect.neardup.LSH_THRESHOLD; tests/unit/test_dedup.py checks the two agree). Two copies whose
# signatures agree on any one band of 7 values are candidates.
BANDS, ROWS = 18, 7
SIGNATURE_VALUES = 128
# Band keys per query: SQLite allows 32,766 bound parameters; PostgreSQL more. 900 is a batch of 50.
_KEYS_PER_QUERY = 2000
# The tables themselves, for Core inserts (typed as Table: the ORM types __table__ as any FromClause).
_FINGERPRINTS = cast(Table, ArticleFingerprint.__table__)
_BANDS = cast(Table, ArticleBand.__table__)
_QUEUE = cast(Table, DedupQueue.__table__)
# Built once, values bound at execution: a statement built per article cost its cache key each time.
_INSERT_FINGERPRINT = insert(_FINGERPRINTS)
_INSERT_BANDS = insert(_BANDS)
_INSERT_QUEUED = insert(_QUEUE)
# The dedup pass's own statements, on the tables (Core): run after every committed batch, they cost more
# built per pass through the ORM (its bulk-update machinery included) than executed. No session holding
# the pass's lock or queue rows as objects, nothing in it needs synchronising.
_LOCKS = cast(Table, DedupLock.__table__)
_TAKE_LOCK = update(_LOCKS).where(_LOCKS.c.id == 1)
_DEQUEUE = delete(_QUEUE).where(_QUEUE.c.article_id.in_(bindparam("article_ids", expanding=True)))


def band_keys(signature: bytes) -> list[int]:
    """Return the 18 band keys of a signature: a 64-bit hash of each band's values, salted with the band
    number so equal values in different bands never meet; signed, to fit a BIGINT column."""
    values = np.frombuffer(signature, dtype=np.uint32)
    if values.size != SIGNATURE_VALUES:
        raise ValueError(f"a signature has {SIGNATURE_VALUES} values, not {values.size}")
    keys = []
    for band in range(BANDS):
        digest = hashlib.blake2b(
            values[band * ROWS : (band + 1) * ROWS].tobytes(), digest_size=8, salt=band.to_bytes(16, "little")
        ).digest()
        keys.append(int.from_bytes(digest, "little", signed=True))
    return keys


def store(
    session: Session, article_id: int, signature: bytes, *, queue: bool = True, new_article: bool = False
) -> None:
    """Keep the article's signature and band keys (replacing older ones) and, unless ``queue`` is false,
    queue the article for a duplicate decision by the dedup stage.

    ``new_article``: the article row was created in this transaction, so it can have no signature and no
    queue entry yet; the two lookups that would find none are skipped (they were a fifth of the crawl's
    write time)."""
    keys = band_keys(signature)
    row = None if new_article else session.get(ArticleFingerprint, article_id)
    # Core inserts, not ORM objects: 20 rows per article through the unit of work were the largest
    # single cost of the crawl's write thread.
    if row is None:
        session.execute(_INSERT_FINGERPRINT, {"article_id": article_id, "minhash": signature})
    else:
        row.minhash = signature
        session.execute(delete(ArticleBand).where(ArticleBand.article_id == article_id))
    session.execute(
        _INSERT_BANDS, [{"band_key": key, "article_id": article_id} for key in dict.fromkeys(keys)]
    )
    if queue and new_article:
        session.execute(_INSERT_QUEUED, {"article_id": article_id, "queued_at": utcnow()})
    elif queue:
        enqueue(session, [article_id])


def enqueue(session: Session, article_ids: Iterable[int]) -> None:
    """Queue articles for a duplicate decision (idempotent)."""
    for article_id in article_ids:
        if session.get(DedupQueue, article_id) is None:
            session.add(DedupQueue(article_id=article_id, queued_at=utcnow()))
    session.flush()


def take_lock(session: Session) -> datetime:
    """Serialise duplicate decisions: hold the dedup lock row until the caller's transaction ends.

    On PostgreSQL the UPDATE takes the row lock (a second decider waits); on SQLite it takes the
    database write lock before anything is read, so the decider's reads see every committed write.
    Returns the time the lock was taken.
    """
    now = utcnow()
    result = session.execute(_TAKE_LOCK, {"taken_at": now})
    if not result.rowcount:  # type: ignore[attr-defined]
        session.add(DedupLock(id=1, taken_at=now))
        session.flush()
    return now


def pending(session: Session, limit: int) -> list[int]:
    """Return up to ``limit`` queued article ids, oldest queued first."""
    statement = select(DedupQueue.article_id).order_by(DedupQueue.queued_at, DedupQueue.article_id)
    return list(session.scalars(statement.limit(limit)))


def dequeue(session: Session, article_ids: Sequence[int]) -> None:
    """Remove decided articles from the queue."""
    if article_ids:
        session.execute(_DEQUEUE, {"article_ids": list(article_ids)})


def signatures(session: Session, article_ids: Iterable[int]) -> dict[int, bytes]:
    """Return the stored signature of each of ``article_ids`` that has one."""
    ids = list(dict.fromkeys(article_ids))
    found: dict[int, bytes] = {}
    for start in range(0, len(ids), _KEYS_PER_QUERY):
        chunk = ids[start : start + _KEYS_PER_QUERY]
        statement = select(ArticleFingerprint.article_id, ArticleFingerprint.minhash).where(
            ArticleFingerprint.article_id.in_(chunk)
        )
        found.update((article_id, bytes(minhash)) for article_id, minhash in session.execute(statement))
    return found


def band_matches(session: Session, signature_by_article: dict[int, bytes]) -> dict[int, set[int]]:
    """Return, for each article, the other articles sharing at least one band key with its signature."""
    wanted: dict[int, list[int]] = {}
    for article_id, signature in signature_by_article.items():
        for key in band_keys(signature):
            wanted.setdefault(key, []).append(article_id)
    matches: dict[int, set[int]] = {article_id: set() for article_id in signature_by_article}
    keys = list(wanted)
    for start in range(0, len(keys), _KEYS_PER_QUERY):
        chunk = keys[start : start + _KEYS_PER_QUERY]
        statement = select(ArticleBand.band_key, ArticleBand.article_id).where(
            ArticleBand.band_key.in_(chunk)
        )
        for key, other in session.execute(statement):
            for article_id in wanted[key]:
                if other != article_id:
                    matches[article_id].add(other)
    return matches


def estimated_jaccard(first: bytes, second: bytes) -> float:
    """Return the MinHash estimate of the Jaccard similarity of two signatures (share of equal values)."""
    a, b = np.frombuffer(first, dtype=np.uint32), np.frombuffer(second, dtype=np.uint32)
    return float((a == b).mean())
