"""Re-extraction: run today's extractor over archived raw captures; changed results become new versions."""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, sessionmaker

from pipelines.archive import article_data
from pipelines.article_extractor import ExtractedArticle, ExtractionError, extract_article
from pipelines.canonical import canonical_url
from pipelines.langid import LanguageResult, detect_language
from storage import repository
from storage.models import Article, Capture, CaptureStatus, Portal
from storage.text import content_hash

# Captures handed to the workers at a time: large enough to keep both cores busy, small enough that a
# progress bar moves and memory holds only a few MB of raw pages.
CHUNK = 64


@dataclass
class ReextractSummary:
    """Counts of one re-extraction run."""

    examined: int = 0
    changed: int = 0
    unchanged: int = 0
    recovered: int = 0
    still_failing: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Job:
    capture_id: int
    article_id: int | None
    url: str
    content_type: str | None
    body: bytes
    prune_xpath: tuple[str, ...] = ()


def _extract(job: _Job) -> tuple[_Job, ExtractedArticle | None, LanguageResult | None, str | None]:
    """Worker process: extract and language-check one capture."""
    try:
        article = extract_article(
            job.body, job.url, content_type=job.content_type, prune_xpath=job.prune_xpath
        )
    except ExtractionError as exc:
        return job, None, None, str(exc)
    sample = "\n".join(part for part in (article.title, article.sapo, article.text) if part)
    return job, article, detect_language(sample, article.declared_language), None


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
        yield _Job(
            capture.id,
            capture.article_id,
            capture.final_url,
            capture.content_type,
            zlib.decompress(capture.body_compressed),
            hints.get(key or "", ()),
        )


def count_captures(factory: sessionmaker[Session], *, portal: str | None, since: datetime | None) -> int:
    """Return how many captures a re-extraction with these filters examines."""
    with factory() as session:
        return session.scalar(select(func.count()).select_from(_selection(portal, since).subquery())) or 0


def reextract(
    factory: sessionmaker[Session],
    *,
    portal: str | None = None,
    since: datetime | None = None,
    workers: int = 2,
    accepted_languages: tuple[str, ...] = ("vi",),
    hints: dict[str, tuple[str, ...]] | None = None,
    on_progress: Callable[[int], Any] = lambda done: None,
) -> ReextractSummary:
    """Re-extract archived captures in worker processes; write changes in one transaction per chunk.

    ``hints`` maps portal keys to their registry prune_xpath. Returns the summary. An article whose
    extraction result is unchanged is left untouched.
    """
    summary = ReextractSummary()
    with factory() as reader, ProcessPoolExecutor(max(1, workers)) as pool:
        chunk: list[_Job] = []
        for job in _jobs(reader, _selection(portal, since), hints or {}):
            chunk.append(job)
            if len(chunk) == CHUNK:
                _apply(factory, pool.map(_extract, chunk), summary, accepted_languages)
                on_progress(len(chunk))
                chunk = []
        if chunk:
            _apply(factory, pool.map(_extract, chunk), summary, accepted_languages)
            on_progress(len(chunk))
    return summary


def _apply(
    factory: sessionmaker[Session],
    results: Iterator[tuple[_Job, ExtractedArticle | None, LanguageResult | None, str | None]],
    summary: ReextractSummary,
    accepted: tuple[str, ...],
) -> None:
    with factory.begin() as session:
        for job, extracted, language, error in results:
            summary.examined += 1
            capture = session.get(Capture, job.capture_id)
            if capture is None:
                continue
            if extracted is None or language is None:
                if job.article_id is None:
                    summary.still_failing += 1
                else:
                    # Keep the archived article as it is: a rule that now fails must not erase text.
                    summary.errors.append(f"{job.url}: {error}")
                continue
            row = session.get(Article, job.article_id) if job.article_id else None
            data = article_data(
                extracted,
                url=capture.final_url,
                canonical_url=row.canonical_url
                if row
                else canonical_url(capture.final_url, extracted.canonical_url),
                content_hash=content_hash(extracted.text),
                language=language.language,
                confidence=language.confidence,
                language_reason=language.reason,
                off_language=language.language not in accepted,
            )
            if row is None:
                repository.archive_article_for_capture(session, capture, data, portal_id=capture.portal_id)
                summary.recovered += 1
            elif repository.apply_reextraction(session, row, data, capture):
                summary.changed += 1
            else:
                summary.unchanged += 1
