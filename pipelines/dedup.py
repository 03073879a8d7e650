"""Dedup stage: text identity, exact and near-duplicate decisions, clusters; for crawl and reextract alike.

Identity is computed per page (the text's fingerprint in the worker, pipelines.detect.identity;
``canonical_url`` in DedupPipeline). The decisions run after the article is committed, in their own short
transaction under the archive's dedup lock (``decide_pending``): the archive's queue of undecided articles
is worked off in order, every committed article of every process is visible through the band index
(storage.fingerprints), and a crawl killed between its write and its decision leaves the article queued
for the next decider.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, load_only, sessionmaker

from pipelines.detect.identity import fingerprint
from pipelines.detect.neardup import MIN_ESTIMATED_JACCARD, compare
from pipelines.items import PageItem, stage_failed
from storage import fingerprints
from storage.models import Article, Capture, CaptureStatus, Cluster
from storage.urls import canonical_url

logger = logging.getLogger(__name__)

# Articles decided per transaction: the dedup lock is held for one pass, so passes stay short (about
# 1-3 ms per article on SQLite) and other writers wait little; a backlog takes several passes.
DECIDE_BATCH = 200
# Statuses that take part in clusters: archived articles and their copies. Off-language articles,
# removed ones and failures are never linked.
_LINKABLE = (CaptureStatus.ARCHIVED.value, CaptureStatus.DUPLICATE.value)


@dataclass(frozen=True)
class Decision:
    """What the dedup stage decided for one queued article.

    ``kind``: ``duplicate`` (exact copy), ``near_duplicate`` (confirmed near copy), ``unique`` (no copy
    found), ``skipped`` (not linkable: off-language, failed or gone). ``linked`` is true when this
    decision joined the article to a cluster (false when an earlier decision of the same pass already
    had). ``detached`` is true when a new version no longer told the same story as its cluster and left.
    """

    article_id: int
    kind: str
    other_id: int | None = None
    reason: str | None = None
    linked: bool = False
    detached: bool = False
    rejected: int = 0  # candidates the text comparison turned down


class DedupPipeline:
    """Gives each article its own canonical URL (storage.urls.canonical_url of the URL it was fetched
    from: w3lib canonicalisation, edition and tracking folding), and its text identity when the worker
    did not compute it. The page's rel=canonical or og:url is only a claim: the archive stage judges it
    against the article it names (pipelines.canonical) and may archive the page under that URL instead.

    The decisions themselves run where the archive is written (ArchivePipeline calls decide_pending
    after each committed batch). Settings: none.
    """

    @classmethod
    def from_crawler(cls, crawler: Any) -> DedupPipeline:
        return cls()

    def process_item(self, item: PageItem) -> PageItem:
        if item.failure_status or item.article is None:
            return item
        try:
            item.canonical_url = canonical_url(item.final_url)
            if item.content_hash is None or item.minhash is None:
                identity = fingerprint(item.article.text)
                item.content_hash, item.minhash = identity.content_hash, identity.signature
        except Exception as exc:  # noqa: BLE001 - recorded on the page, which is still archived
            logger.exception("dedup stage failed on %s", item.final_url)
            return stage_failed(item, "dedup", exc)
        return item


# --- decisions ------------------------------------------------------------------------------------


def decide_pending(session: Session, limit: int = DECIDE_BATCH) -> list[Decision]:
    """Decide up to ``limit`` queued articles, oldest first, and dequeue them; return the decisions.

    Takes the dedup lock first, so call it in a transaction of its own (``with factory.begin()``),
    after the articles' own transaction committed. An exact copy (same NFC text hash) joins its
    origin's cluster; otherwise band-index candidates whose signatures agree on MIN_ESTIMATED_JACCARD
    are confirmed by comparing the texts (pipelines.detect.neardup.compare), most similar first. An article
    already in a cluster (a new version) first checks it still tells its cluster's story, or leaves it.
    """
    fingerprints.take_lock(session)
    queued = fingerprints.pending(session, limit)
    if not queued:
        return []
    rows = {row.id: row for row in session.scalars(select(Article).where(Article.id.in_(queued)))}
    linkable = [row for row in rows.values() if row.status in _LINKABLE]
    same_text = _same_text(session, linkable)
    own = fingerprints.signatures(session, (row.id for row in linkable))
    matches = fingerprints.band_matches(session, own)
    theirs = fingerprints.signatures(session, {other for found in matches.values() for other in found})
    decisions = []
    for article_id in queued:
        row = rows.get(article_id)
        if row is None or row.status not in _LINKABLE:
            decisions.append(Decision(article_id, "skipped"))
            continue
        detached = _leave_cluster_if_changed(session, row)
        candidates = _ranked(own.get(article_id), matches.get(article_id, set()), theirs)
        decision = _decide(session, row, candidates, same_text)
        decisions.append(replace(decision, detached=detached))
    fingerprints.dequeue(session, queued)
    return decisions


def copies_among(session: Session, article_ids: Sequence[int]) -> dict[int, str]:
    """Return which of ``article_ids`` (the new articles of one write) count as copies after the dedup pass,
    each as ``duplicate`` (the same text hash as the article it copies or displaced) or ``near_duplicate``.

    Counted so that a crawl's copies add up to the archive's: a duplicate counts, and so does the origin
    of a cluster that already held other articles (published earlier, it became the origin and one of
    them the copy, which had been counted as an original when it was written).
    """
    if not article_ids:
        return {}
    ids = set(article_ids)
    rows = session.execute(
        select(
            Article.id, Article.status, Article.cluster_id, Article.content_hash, Article.duplicate_of
        ).where(Article.id.in_(ids), Article.cluster_id.is_not(None))
    ).all()
    if not rows:
        return {}
    clusters = {row.cluster_id for row in rows}
    # The hashes of each cluster's other articles, those written before this write.
    older: dict[int | None, set[str | None]] = {}
    for cluster_id, content_hash in session.execute(
        select(Article.cluster_id, Article.content_hash).where(
            Article.cluster_id.in_(clusters), Article.id.not_in(ids)
        )
    ):
        older.setdefault(cluster_id, set()).add(content_hash)
    hashes = {row.id: row.content_hash for row in rows}
    wanted = [
        row.duplicate_of for row in rows if row.duplicate_of is not None and row.duplicate_of not in hashes
    ]
    if wanted:
        hashes.update(
            session.execute(select(Article.id, Article.content_hash).where(Article.id.in_(wanted))).all()
        )
    copies: dict[int, str] = {}
    for row in rows:
        if row.status == CaptureStatus.DUPLICATE.value and row.duplicate_of is not None:
            same = hashes.get(row.duplicate_of) == row.content_hash
        elif row.status == CaptureStatus.ARCHIVED.value and row.cluster_id in older:
            same = row.content_hash in older[row.cluster_id]
        else:
            continue
        copies[row.id] = "duplicate" if same else "near_duplicate"
    return copies


def drain(factory: sessionmaker[Session], *, limit: int = DECIDE_BATCH) -> list[Decision]:
    """Decide every queued article, one transaction per pass of ``limit``; return all decisions."""
    decisions: list[Decision] = []
    while True:
        with factory.begin() as session:
            batch = decide_pending(session, limit)
        decisions.extend(batch)
        if len(batch) < limit:
            return decisions


def _ranked(own: bytes | None, candidates: set[int], signatures: dict[int, bytes]) -> list[int]:
    """Return the candidates whose estimated Jaccard with ``own`` reaches the floor, most similar first."""
    if own is None:
        return []
    scored = [
        (fingerprints.estimated_jaccard(own, signatures[other]), other)
        for other in candidates
        if other in signatures
    ]
    return [
        other
        for score, other in sorted(scored, key=lambda s: (-s[0], s[1]))
        if score >= MIN_ESTIMATED_JACCARD
    ]


def _decide(
    session: Session, row: Article, candidates: list[int], same_text: dict[str, list[Article]]
) -> Decision:
    exact = _exact_copy_of(row, same_text)
    if exact is not None:
        linked = exact.cluster_id is None or exact.cluster_id != row.cluster_id
        if linked:
            link_copies(session, exact, row, reason=f"exact copy of article {exact.id} (same text hash)")
        return Decision(row.id, "duplicate", exact.id, "same text hash", linked=linked)
    rejected = 0
    for candidate_id in candidates:
        other = session.get(Article, candidate_id)
        if other is None or other.status not in _LINKABLE:
            continue
        if other.cluster_id is not None and other.cluster_id == row.cluster_id:
            return Decision(row.id, "near_duplicate", other.id, "already in one cluster", rejected=rejected)
        verdict = compare(other.text, row.text)
        if not verdict.same_story:
            rejected += 1
            logger.debug("article %d is not a copy of %d: %s", row.id, other.id, verdict.reason)
            continue
        link_copies(session, other, row, reason=f"near copy of article {other.id}: {verdict.reason}")
        return Decision(row.id, "near_duplicate", other.id, verdict.reason, linked=True, rejected=rejected)
    return Decision(row.id, "unique", rejected=rejected)


def _same_text(session: Session, rows: Sequence[Article]) -> dict[str, list[Article]]:
    """Every article sharing a text hash with one of ``rows``, by hash: one query for the whole pass
    (one per article was a third of a replica crawl's dedup time). Only the columns the choice of an
    exact copy reads (and its cluster) are loaded; the identity map keeps the loaded ones current as the pass
    links copies (their status and duplicate_of), so each decision sees what the earlier ones did."""
    hashes = list({row.content_hash for row in rows if row.content_hash})
    found: dict[str, list[Article]] = {}
    columns = load_only(
        Article.id, Article.content_hash, Article.status, Article.duplicate_of, Article.cluster_id
    )
    for start in range(0, len(hashes), DECIDE_BATCH):
        chunk = hashes[start : start + DECIDE_BATCH]
        for article in session.scalars(
            select(Article).where(Article.content_hash.in_(chunk)).options(columns)
        ):
            found.setdefault(article.content_hash, []).append(article)
    return found


def _exact_copy_of(row: Article, same_text: dict[str, list[Article]]) -> Article | None:
    """Return the earliest other linkable article with the same text hash, preferring non-copies."""
    copies = [
        other
        for other in same_text.get(row.content_hash, ())
        if other.id != row.id and other.status in _LINKABLE
    ]
    return min(copies, key=lambda other: (other.duplicate_of is not None, other.id), default=None)


def _leave_cluster_if_changed(session: Session, row: Article) -> bool:
    """Take ``row`` out of its cluster when its current text no longer tells the cluster's story.

    Compared with the cluster's origin (or, for the origin itself, with another member). Returns
    whether it left.
    """
    if row.cluster_id is None:
        return False
    members = _members(session, row.cluster_id)
    others = [m for m in members if m.id != row.id]
    if not others:
        return False
    cluster = session.get(Cluster, row.cluster_id)
    origin = next((m for m in others if cluster is not None and m.id == cluster.origin_article_id), others[0])
    if origin.content_hash == row.content_hash or compare(origin.text, row.text).same_story:
        return False
    detach(session, row, reason=f"new version no longer a copy of article {origin.id}")
    return True


# --- clusters -------------------------------------------------------------------------------------


def link_copies(session: Session, first: Article, second: Article, *, reason: str) -> Cluster:
    """Put two copies of one story in the same cluster and mark the earliest published as its origin.

    Every other member gets status ``duplicate`` and ``duplicate_of`` pointing at the origin; nothing is
    deleted. Returns the cluster.
    """
    cluster_id = first.cluster_id or second.cluster_id
    cluster = session.get(Cluster, cluster_id) if cluster_id else None
    if cluster is None:
        cluster = Cluster()
        session.add(cluster)
        session.flush()
    for member in (first, second):
        if member.cluster_id not in (None, cluster.id):
            # Merging two clusters: move the other cluster's members over.
            old = member.cluster_id
            session.execute(update(Article).where(Article.cluster_id == old).values(cluster_id=cluster.id))
            session.execute(delete(Cluster).where(Cluster.id == old))
        member.cluster_id = cluster.id
    session.flush()
    _settle_origin(session, cluster, _members(session, cluster.id), newcomer=second, reason=reason)
    return cluster


def detach(session: Session, row: Article, *, reason: str) -> None:
    """Take ``row`` out of its cluster (it becomes a plain archived article); a cluster left with one
    member dissolves, a larger one elects its origin again."""
    cluster_id = row.cluster_id
    if cluster_id is None:
        return
    row.cluster_id, row.duplicate_of = None, None
    if row.status == CaptureStatus.DUPLICATE:
        row.status = CaptureStatus.ARCHIVED.value
    row.reason = reason
    _sync_captures(session, [row])
    session.flush()
    remaining = _members(session, cluster_id)
    cluster = session.get(Cluster, cluster_id)
    if len(remaining) >= 2 and cluster is not None:
        _settle_origin(session, cluster, remaining, newcomer=None, reason=None)
        return
    for member in remaining:
        member.cluster_id, member.duplicate_of = None, None
        if member.status == CaptureStatus.DUPLICATE:
            member.status, member.reason = CaptureStatus.ARCHIVED.value, None
    _sync_captures(session, remaining)
    session.flush()
    session.execute(delete(Cluster).where(Cluster.id == cluster_id))


def _members(session: Session, cluster_id: int) -> list[Article]:
    return list(session.scalars(select(Article).where(Article.cluster_id == cluster_id).order_by(Article.id)))


def _settle_origin(
    session: Session,
    cluster: Cluster,
    members: Sequence[Article],
    *,
    newcomer: Article | None,
    reason: str | None,
) -> None:
    origin = min(members, key=_origin_order)
    cluster.origin_article_id = origin.id
    for member in members:
        if member.id == origin.id:
            member.duplicate_of = None
            if member.status == CaptureStatus.DUPLICATE:
                member.status, member.reason = CaptureStatus.ARCHIVED.value, None
        elif member.status in _LINKABLE:
            member.status = CaptureStatus.DUPLICATE.value
            member.duplicate_of = origin.id
            if member is newcomer and reason:
                member.reason = reason
            elif member.reason is None or member.reason.startswith("new version no longer"):
                member.reason = f"copy of article {origin.id}"
    _sync_captures(session, members)


def _sync_captures(session: Session, articles: Sequence[Article]) -> None:
    """Captures of an article in a cluster say what became of them: archived, or a duplicate."""
    for article in articles:
        session.execute(
            update(Capture)
            .where(Capture.article_id == article.id, Capture.status.in_(_LINKABLE))
            .values(status=article.status)
        )


def _origin_order(article: Article) -> tuple[int, datetime, int]:
    # The earliest published copy is the origin; undated copies come after dated ones, then first captured.
    published = article.published_at or article.first_captured_at
    return (0 if article.published_at else 1, published, article.id)
