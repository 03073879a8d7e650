"""Re-extraction: today's page analysis over archived raw captures; changes become versions, then dedup."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, sessionmaker

from pipelines import canonical, dedup, defaults
from pipelines.analysis.job import ANALYSIS_MODULE, PageJob, PageResult, analyse_page
from pipelines.analysis.pool import WorkerFailed, WorkerPool
from pipelines.language import off_language_reason
from storage import fingerprints
from storage.articles import ArticleData, apply_reextraction, archive_article_for_capture
from storage.captures import capture_body
from storage.models import Article, ArticleFingerprint, Capture, CaptureStatus, Portal

# Captures handed to the workers at a time: large enough to keep both cores busy, small enough that a
# progress bar moves and memory holds only a few MB of raw pages.
CHUNK = 64


@dataclass
class ReextractSummary:
    """Counts of one re-extraction run; ``errors`` lists the captures whose re-extraction failed."""

    examined: int = 0
    changed: int = 0
    unchanged: int = 0
    recovered: int = 0
    still_failing: int = 0
    failed: int = 0
    linked: int = 0
    detached: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Job:
    capture_id: int
    article_id: int | None
    page: PageJob


def _selection(portal: str | None, since: datetime | None) -> Select[Capture]:
    """The capture behind each article (its latest) plus captures whose extraction failed."""
    latest = (
        select(func.max(Capture.id))
        .where(Capture.article_id.is_not(None))
        .group_by(Capture.article_id)
        .scalar_subquery()
    )
    statement = select(Capture).where(
        (Capture.id.in_(latest)) | (Capture.status == CaptureStatus.EXTRACTION_FAILED)
    )
    if portal:
        statement = statement.join(Portal, Portal.id == Capture.portal_id).where(Portal.key == portal)
    if since:
        statement = statement.where(Capture.last_fetched_at >= since)
    return statement.order_by(Capture.id)


def _jobs(session: Session, statement: Select[Capture], hints: dict[str, tuple[str, ...]]) -> Iterator[_Job]:
    portal_keys: dict[int, str] = {row[0]: row[1] for row in session.execute(select(Portal.id, Portal.key))}
    for capture in session.scalars(statement.execution_options(yield_per=CHUNK)):
        key = portal_keys.get(capture.portal_id) if capture.portal_id is not None else None
        page = PageJob(
            capture_body(capture),
            capture.final_url,
            capture.content_type,
            prune_xpath=hints.get(key or "", ()),
        )
        yield _Job(capture.id, capture.article_id, page)


def count_captures(factory: sessionmaker[Session], *, portal: str | None, since: datetime | None) -> int:
    """Return how many captures a re-extraction with these filters examines."""
    with factory() as session:
        return session.scalar(select(func.count()).select_from(_selection(portal, since).subquery())) or 0


def reextract(
    factory: sessionmaker[Session],
    *,
    portal: str | None = None,
    since: datetime | None = None,
    workers: int = defaults.EXTRACTION_WORKERS,
    accepted_languages: tuple[str, ...] = defaults.NEWSARCHIVE_LANGUAGES,
    hints: dict[str, tuple[str, ...]] | None = None,
    on_progress: Callable[[int], Any] = lambda done: None,
    timeout: float = defaults.EXTRACTION_TIMEOUT,
    reader: sessionmaker[Session] | None = None,
) -> ReextractSummary:
    """Re-analyse archived captures in worker processes; write each chunk in one transaction, then let the
    dedup stage decide what changed (fingerprints stored, clusters relinked).

    ``hints`` maps portal keys to their registry prune_xpath; ``timeout`` bounds one page's analysis.
    ``reader`` streams the captures (default ``factory``): on SQLite, pass a plain session factory
    when ``factory`` begins its transactions IMMEDIATE, or the reading transaction holds the write lock.
    An article whose result is unchanged is left untouched; a capture whose re-extraction fails (or
    times out) is recorded in the summary and the run goes on.
    Returns the summary.
    """
    summary = ReextractSummary()
    pool = WorkerPool(max(1, workers), analyse_page, timeout=timeout, preload=(ANALYSIS_MODULE,))

    async def run_all() -> None:
        with (reader or factory)() as session:
            chunk: list[_Job] = []
            for job in _jobs(session, _selection(portal, since), hints or {}):
                chunk.append(job)
                if len(chunk) == CHUNK:
                    _apply(factory, await _analysed(pool, chunk), summary, accepted_languages)
                    on_progress(len(chunk))
                    chunk = []
            if chunk:
                _apply(factory, await _analysed(pool, chunk), summary, accepted_languages)
                on_progress(len(chunk))

    try:
        asyncio.run(run_all())
    finally:
        pool.shutdown()
    return summary


async def _analysed(pool: WorkerPool, chunk: list[_Job]) -> list[tuple[_Job, PageResult]]:
    """The crawl's own page analysis of each capture, in the worker pool; a page that times out or
    kills its worker gets that reason as its error, like any page that yields no article."""
    results = await asyncio.gather(*(pool.run(job.page) for job in chunk), return_exceptions=True)
    analysed = []
    for job, result in zip(chunk, results, strict=True):
        if isinstance(result, WorkerFailed):
            result = PageResult(None, str(result))
        elif isinstance(result, BaseException):
            raise result
        analysed.append((job, result))
    return analysed


def _apply(
    factory: sessionmaker[Session],
    results: list[tuple[_Job, PageResult]],
    summary: ReextractSummary,
    accepted: tuple[str, ...],
) -> None:
    with factory.begin() as session:
        for job, result in results:
            summary.examined += 1
            capture = session.get(Capture, job.capture_id)
            if capture is not None:
                _apply_one(session, capture, job, result, summary, accepted)
    for decision in dedup.drain(factory):
        summary.linked += decision.linked
        summary.detached += decision.detached


def _apply_one(
    session: Session,
    capture: Capture,
    job: _Job,
    result: PageResult,
    summary: ReextractSummary,
    accepted: tuple[str, ...],
) -> None:
    extracted, language, identity = result.article, result.language, result.fingerprint
    if extracted is None or language is None or identity is None:
        reason = result.error or "no article extracted"
        if job.article_id is None:
            summary.still_failing += 1
            capture.reason = reason  # what today's extractor says of it
        else:
            # Keep the archived article as it is: a rule that now fails must not erase text.
            summary.failed += 1
            summary.errors.append(f"{capture.final_url}: {reason}")
        return
    row = session.get(Article, job.article_id) if job.article_id else None
    if row is not None:
        archived_under = row.canonical_url
    else:
        # A recovered capture: its canonical tag is judged as a crawl judges it (pipelines.canonical).
        home = capture.portal.home_url if capture.portal is not None else capture.final_url
        judgement = canonical.judge(
            session, capture.final_url, extracted.canonical_url, home_url=home, rules=None,
            content_hash=identity.content_hash, text=extracted.text,
        )  # fmt: skip
        archived_under = judgement.canonical_url
        capture.canonical_claim, capture.canonical_verdict = judgement.claim, judgement.verdict
    off_reason = None
    if language.language not in accepted:
        off_reason = off_language_reason(language.language, language.confidence, language.reason)
    data = ArticleData.of(
        extracted,
        canonical_url=archived_under,
        content_hash=identity.content_hash,
        language=language.language,
        language_confidence=language.confidence,
        off_language_reason=off_reason,
        search=result.search,
    )
    if row is None:
        outcome = archive_article_for_capture(session, capture, data, portal_id=capture.portal_id)
        assert outcome.article_id is not None
        fingerprints.store(session, outcome.article_id, identity.signature)
        summary.recovered += 1
    elif apply_reextraction(session, row, data, capture):
        fingerprints.store(session, row.id, identity.signature)
        summary.changed += 1
    else:
        if session.get(ArticleFingerprint, row.id) is None:
            # An article archived before fingerprints existed: index it and decide it once.
            fingerprints.store(session, row.id, identity.signature)
        summary.unchanged += 1
