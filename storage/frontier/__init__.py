"""The frontier in the archive: what is known of every discovered article URL, and what is due.

Functions take a Session and never commit. The spider asks ``plan`` per batch of discovered URLs (one
indexed lookup per batch, nothing loaded wholesale) whether to fetch each; the archive pipeline records
each fetch's outcome with ``record_fetch`` in the transaction that archives the capture.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from storage.db import insert_ignoring_conflict
from storage.models import Article, FrontierEntry, FrontierState, utcnow
from storage.urls import canonical_url, indexable_url

_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$", re.IGNORECASE)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
# Lookups per query: far below SQLite's bound-parameter limit, large enough for a listing page or a
# sitemap chunk in one round trip.
_PLAN_CHUNK = 500
# Rows per multi-row INSERT: 8 columns each, under SQLite's 32,766 bound parameters.
_INSERT_CHUNK = 1000


def parse_duration(text: str) -> timedelta:
    """Return the duration written ``30m``, ``2h``, ``1d``, ``1w`` (or seconds ``90s``). Raises ValueError."""
    match = _DURATION.match(str(text))
    if not match or int(match[1]) <= 0:
        raise ValueError(f"{text!r} is not a duration like 30m, 2h, 1d or 1w")
    return timedelta(seconds=int(match[1]) * _UNITS[match[2].lower()])


@dataclass(frozen=True)
class RevisitPolicy:
    """How often an archived article is fetched again, by its age: (age below, interval) tiers, youngest
    first. Past the last tier it is fetched again only when its sitemap lastmod or feed date changes.
    A failed fetch is retried at once by the next crawl ``retries_at_once`` times in a row (its retry
    budget), then with doubling backoff, from ``retry`` up to ``max_retry``; a final failure (gone,
    forbidden, refused by robots.txt) only after ``max_retry``."""

    tiers: tuple[tuple[timedelta, timedelta], ...] = (
        (timedelta(days=1), timedelta(hours=3)),
        (timedelta(days=7), timedelta(days=1)),
        (timedelta(days=30), timedelta(days=7)),
    )
    retry: timedelta = timedelta(hours=1)
    max_retry: timedelta = timedelta(days=7)
    retries_at_once: int = 3

    @classmethod
    def from_table(cls, table: dict[str, str]) -> RevisitPolicy:
        """From a registry table like ``{ "1d" = "3h", "7d" = "1d", "30d" = "7d" }``. Raises ValueError."""
        tiers = sorted((parse_duration(age), parse_duration(every)) for age, every in table.items())
        if not tiers:
            raise ValueError("a revisit table needs at least one age = interval pair")
        return cls(tiers=tuple(tiers))

    def next_fetch(self, fetched_at: datetime, published_at: datetime | None) -> datetime | None:
        """When an article fetched at ``fetched_at`` is due again, or None (only on a newer lastmod)."""
        age = fetched_at - (published_at or fetched_at)
        for below, interval in self.tiers:
            if age < below:
                return fetched_at + interval
        return None

    def next_retry(self, fetched_at: datetime, attempts: int) -> datetime:
        """When a URL whose fetch failed ``attempts`` times in a row is tried again: by the next crawl
        (due from ``fetched_at``) within the retry budget, then with backoff."""
        if attempts <= self.retries_at_once:
            return fetched_at
        delay = min(self.retry * (2 ** (attempts - self.retries_at_once - 1)), self.max_retry)
        return fetched_at + delay


@dataclass(frozen=True)
class Discovery:
    """An article URL as discovery found it: where, and the date the sitemap or feed gave it."""

    url: str
    via: str  # sitemap | feed | listing | article
    date: datetime | None = None  # sitemap lastmod, feed date, or the date a listing shows
    raw_date: str | None = None  # that date as written (handed to extraction as a fallback)


@dataclass(frozen=True)
class Plan:
    """Whether to fetch a discovered URL now, why, and the validators for a conditional GET."""

    url: str
    fetch: bool
    why: str  # new | changed | due | retry | known | older_than_since
    known: bool
    etag: str | None = None
    last_modified: str | None = None
    published_at: datetime | None = None
    dated: bool = False  # the discovery or the frontier knew the article's date
    done: bool = False  # fetched for good (archived, no article, removed, or a final failure)


def frontier_key(url: str) -> str:
    """The frontier's key of a URL: its canonical form (storage.urls), kept indexable."""
    return indexable_url(canonical_url(url))


def entries_for(session: Session, rows: dict[str, dict[str, Any]]) -> dict[str, FrontierEntry]:
    """Return the entries for these keys, creating the missing ones from ``rows`` (key -> values).

    INSERT ... ON CONFLICT DO NOTHING, then SELECT: the spider's discovery and the archive's fetch
    records write the same URLs from concurrent transactions (on PostgreSQL), and neither may fail
    because the other created the row first. The rows are locked (``_locked``) so that neither
    overwrites what the other wrote since it read them.
    """
    found: dict[str, FrontierEntry] = {}
    keys = list(rows)
    for start in range(0, len(keys), _PLAN_CHUNK):
        found.update(_locked(session, keys[start : start + _PLAN_CHUNK]))
    missing = [key for key in keys if key not in found]
    for start in range(0, len(missing), _INSERT_CHUNK):
        chunk = missing[start : start + _INSERT_CHUNK]
        insert_ignoring_conflict(
            session, FrontierEntry, [{"url_key": key, **rows[key]} for key in chunk], ["url_key"]
        )
    if missing:
        found.update(_locked(session, missing))
    return found


def lock_entries(session: Session, urls: Iterable[str]) -> dict[str, FrontierEntry]:
    """Return the existing entries of these article URLs, by URL, locked as ``entries_for`` locks them
    (``_locked``). URLs without an entry are left out: ``record_fetch`` creates theirs.

    For a writer recording a batch of fetches in one transaction: one query for the batch, then each
    ``record_fetch(..., entry=...)`` needs none (one locking SELECT per fetch was a fifth of the
    archive writer's time)."""
    keys = {url: frontier_key(url) for url in dict.fromkeys(urls)}
    unique = list(dict.fromkeys(keys.values()))
    found: dict[str, FrontierEntry] = {}
    for start in range(0, len(unique), _PLAN_CHUNK):
        found.update(_locked(session, unique[start : start + _PLAN_CHUNK]))
    return {url: found[key] for url, key in keys.items() if key in found}


def _locked(session: Session, keys: Sequence[str]) -> dict[str, FrontierEntry]:
    """Load the entries of these keys for update: locked until the transaction ends (PostgreSQL; SQLite
    has one writer at a time anyway), in key order (two writers locking the same rows never deadlock
    over one statement), and refreshed if the session held them already.

    Why: the spider's discovery records and the archive's fetch records are read-modify-writes of the
    same rows from concurrent transactions. Unlocked, one committed between the other's read and write
    was lost: a discovery read before the fetch was recorded set ``next_fetch_at`` on an entry the fetch
    had just archived (so the next crawl asked for it again), or a fetch that read before the discovery
    left the discovery's ``next_fetch_at`` in place (the ORM writes only the columns it saw change).
    """
    statement = (
        select(FrontierEntry)
        .where(FrontierEntry.url_key.in_(keys))
        .order_by(FrontierEntry.url_key)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {row.url_key: row for row in session.scalars(statement)}


def new_row(portal_id: int | None, url: str, kind: str, at: datetime) -> dict[str, Any]:
    """The values of a new, never fetched entry (without its key)."""
    return {
        "portal_id": portal_id, "url": url, "kind": kind, "state": FrontierState.DISCOVERED.value,
        "attempts": 0, "first_seen_at": at, "last_seen_at": at,
    }  # fmt: skip


def plan(
    session: Session,
    discoveries: Sequence[Discovery],
    *,
    now: datetime | None = None,
    since: datetime | None = None,
) -> list[Plan]:
    """Decide, for each discovered URL, whether to fetch it now; read-only (see record_discoveries).

    New URLs are fetched; a known archived one only when its sitemap/feed date is newer than its last
    fetch or its revisit is due; a failed one when its retry is due; one still ``discovered`` (never
    fetched: a crawl stopped first) always. With ``since`` (backfill), a URL whose date is known to be
    older is not fetched. Returns one Plan per discovery, in order.
    """
    now = now or utcnow()
    keys = [frontier_key(discovery.url) for discovery in discoveries]
    existing: dict[str, FrontierEntry] = {}
    unique = list(dict.fromkeys(keys))
    for start in range(0, len(unique), _PLAN_CHUNK):
        chunk = unique[start : start + _PLAN_CHUNK]
        existing.update(
            (row.url_key, row)
            for row in session.scalars(select(FrontierEntry).where(FrontierEntry.url_key.in_(chunk)))
        )
    plans = []
    for key, discovery in zip(keys, discoveries, strict=True):
        row = existing.get(key)
        known = row is not None and row.state != FrontierState.DISCOVERED.value
        published = row.published_at if row is not None else None
        if published is None and discovery.via in ("listing", "home") and discovery.date is not None:
            published = discovery.date
        fetch, why = _decide(row, published, discovery, known, now, since)
        done = row is not None and _fetched_for_good(row)
        plans.append(
            Plan(
                discovery.url,
                fetch,
                why,
                known,
                row.etag if row is not None else None,
                row.last_modified if row is not None else None,
                published,
                discovery.date is not None or published is not None,
                done,
            )
        )
    return plans


# HTTP statuses that end a URL's retries: it is there no more, or not for us (a new discovery of it
# after the long re-check interval tries again).
FINAL_STATUSES = frozenset({401, 403, 404, 410, 451})
# The reason recorded for an article URL robots.txt forbids us: a final failure too.
ROBOTS_FORBIDDEN = "forbidden by robots.txt"
# The reason recorded for an article URL whose page is no article (followed as a listing).
NOT_AN_ARTICLE = "not an article"


def _fetched_for_good(row: FrontierEntry) -> bool:
    """Whether the frontier owes this URL no fetch: archived, fetched (no article), removed, or failed
    for a reason that retrying does not cure. A listing walk stops on "all known" only over such URLs."""
    if row.state == FrontierState.DISCOVERED:
        return False
    if row.state == FrontierState.FAILED:
        return row.http_status in FINAL_STATUSES or row.reason == ROBOTS_FORBIDDEN
    return True


def not_older_than(since: datetime) -> ColumnElement[bool]:
    """SQL: no date the portal gave the entry is before ``since`` (backfill leaves those alone)."""
    columns = (FrontierEntry.published_at, FrontierEntry.sitemap_lastmod, FrontierEntry.feed_date)
    return and_(*(or_(column.is_(None), column >= since) for column in columns))


@dataclass(frozen=True)
class DiscoveryRecord:
    """What one discovery step found (``record_discoveries``'s arguments), kept as data so that a writer
    can record a run of them together (``record_discovery_records``)."""

    portal_id: int
    discoveries: Sequence[Discovery]
    now: datetime


def record_discoveries(
    session: Session, portal_id: int, discoveries: Sequence[Discovery], *, now: datetime | None = None
) -> None:
    """Record what discovery found: new URLs as ``discovered``, and when each was last seen with the
    date its sitemap (lastmod), feed or listing (publication) gave it.

    New URLs are inserted with all of that at once (INSERT ... ON CONFLICT DO NOTHING RETURNING); only
    known ones, and any that a concurrent writer created first, are loaded and updated.
    """
    record_discovery_records(session, [DiscoveryRecord(portal_id, discoveries, now or utcnow())])


def record_discovery_records(session: Session, records: Sequence[DiscoveryRecord]) -> None:
    """Record ``records`` as ``record_discoveries`` would one after the other, with one locking read and
    one insert for all their URLs instead of one each.

    A crawl's discovery writer gets one record per page that links to articles, a few URLs each: one by
    one, their statements were most of that thread's time. A URL in several records is created from the
    first and updated by the others, in their order; within one record its last discovery counts.
    """
    occurrences: dict[str, list[tuple[DiscoveryRecord, Discovery]]] = {}
    for record in records:
        by_key = {frontier_key(discovery.url): discovery for discovery in record.discoveries}
        for key, discovery in by_key.items():
            occurrences.setdefault(key, []).append((record, discovery))
    known = _locked_chunks(session, list(occurrences))
    missing = [key for key in occurrences if key not in known]
    created: set[str] = set()
    for start in range(0, len(missing), _INSERT_CHUNK):
        values = []
        for key in missing[start : start + _INSERT_CHUNK]:
            first, discovery = occurrences[key][0]
            values.append(_discovered_row(first.portal_id, key, discovery, first.now))
        created.update(
            insert_ignoring_conflict(session, FrontierEntry, values, ["url_key"], returning="url_key")
        )
    # Created by another writer first (raced), or here and seen again by a later record: loaded, updated.
    again = [key for key in missing if key not in created or len(occurrences[key]) > 1]
    known.update(_locked_chunks(session, again))
    for key, row in known.items():
        later = occurrences[key][1:] if key in created else occurrences[key]
        for record, discovery in later:
            _note_discovery(row, discovery, record.now)


def _locked_chunks(session: Session, keys: Sequence[str]) -> dict[str, FrontierEntry]:
    """``_locked`` for any number of keys, a bounded number of bound parameters per query."""
    found: dict[str, FrontierEntry] = {}
    for start in range(0, len(keys), _PLAN_CHUNK):
        found.update(_locked(session, keys[start : start + _PLAN_CHUNK]))
    return found


def _discovered_row(portal_id: int, key: str, discovery: Discovery, now: datetime) -> dict[str, Any]:
    """The values of a frontier entry created by ``discovery`` (what _note_discovery sets included)."""
    values = {"url_key": key, **new_row(portal_id, discovery.url, "article", now)}
    values.update(sitemap_lastmod=None, feed_date=None, published_at=None)
    if discovery.date is not None:
        column = {"sitemap": "sitemap_lastmod", "feed": "feed_date"}.get(discovery.via, "published_at")
        values[column] = discovery.date
    return values


def _note_discovery(row: FrontierEntry, discovery: Discovery, now: datetime) -> None:
    row.last_seen_at, row.url = now, discovery.url
    if discovery.date is None:
        return
    if discovery.via in ("sitemap", "feed"):
        if _portal_says_changed(row, discovery) and (
            row.last_fetched_at is None or row.last_fetched_at < now
        ):
            # The portal's value moved since our last reading: the fetch is owed from now on, so a
            # crawl stopped before it is completed by the next one (``due``), not forgotten.
            row.next_fetch_at = now if row.next_fetch_at is None else min(row.next_fetch_at, now)
        if discovery.via == "sitemap":
            row.sitemap_lastmod = discovery.date
        else:
            row.feed_date = discovery.date
    elif row.published_at is None:
        # A listing shows the publication date: remembered, so the same link seen undated
        # elsewhere (a sidebar) is still known to be older than a backfill's date.
        row.published_at = discovery.date


def _decide(
    row: FrontierEntry | None,
    published: datetime | None,
    discovery: Discovery,
    known: bool,
    now: datetime,
    since: datetime | None,
) -> tuple[bool, str]:
    dated = discovery.date or published
    if since is not None and dated is not None and dated < since:
        return False, "older_than_since"
    if not known or row is None:
        return True, "new"
    if _portal_says_changed(row, discovery):
        return True, "changed"
    if row.next_fetch_at is not None and row.next_fetch_at <= now:
        return True, "retry" if row.state == FrontierState.FAILED else "due"
    return False, "known"


def _portal_says_changed(row: FrontierEntry, discovery: Discovery) -> bool:
    """Whether a sitemap lastmod or feed date says the article changed since our last reading of it.

    The portal's value is compared with the portal's value recorded then, never with our clock: a
    portal whose clock or offset is wrong still moves its own lastmod forward on an edit. Only an
    entry read before that value was recorded (none) falls back to our last fetch time. A listing's
    date is its publication, not a change.
    """
    if discovery.date is None or discovery.via not in ("sitemap", "feed"):
        return False
    recorded = row.sitemap_lastmod if discovery.via == "sitemap" else row.feed_date
    if recorded is not None:
        return discovery.date > recorded
    return row.last_fetched_at is None or discovery.date > row.last_fetched_at


def due(
    session: Session,
    portal_id: int,
    *,
    now: datetime | None = None,
    limit: int = 1000,
    since: datetime | None = None,
) -> list[FrontierEntry]:
    """Return up to ``limit`` article entries of the portal the frontier owes a fetch: those discovered
    and never fetched (a crawl stopped first) oldest first, then those whose revisit, retry or changed
    lastmod is due, oldest due first. A crawl fetches them whether or not discovery lists them again.
    In backfill (``since``), never-fetched entries dated before ``since`` are left alone."""
    now = now or utcnow()
    mine = (FrontierEntry.portal_id == portal_id, FrontierEntry.kind == "article")
    never_fetched = FrontierEntry.state == FrontierState.DISCOVERED.value
    if since is not None:
        never_fetched = and_(never_fetched, not_older_than(since))
    never = (
        select(FrontierEntry)
        .where(*mine, never_fetched)
        .order_by(FrontierEntry.first_seen_at, FrontierEntry.id)
        .limit(limit)
    )
    found = list(session.scalars(never))
    if len(found) >= limit:
        return found
    scheduled = (
        select(FrontierEntry)
        .where(
            *mine,
            FrontierEntry.state != FrontierState.DISCOVERED.value,
            FrontierEntry.next_fetch_at.is_not(None),
            FrontierEntry.next_fetch_at <= now,
        )
        .order_by(FrontierEntry.next_fetch_at)
        .limit(limit - len(found))
    )
    return found + list(session.scalars(scheduled))


@dataclass(frozen=True)
class FetchOutcome:
    """What one fetch of an article URL came to, for the frontier."""

    url: str  # the URL requested (the frontier's key is its canonical form)
    fetched_at: datetime
    http_status: int
    state: str  # a FrontierState
    reason: str | None = None
    headers: dict[str, Any] | None = None
    article_id: int | None = None
    published_at: datetime | None = None
    new_article: bool = False  # the article row was created by this fetch (so it was never removed)


def record_fetch(
    session: Session,
    portal_id: int | None,
    outcome: FetchOutcome,
    policy: RevisitPolicy,
    entry: FrontierEntry | None = None,
) -> FrontierEntry:
    """Record a fetch's outcome and schedule the next one; an archived article that now answers 404 or
    410 is marked removed (the article too: time and status), never deleted. Returns the entry.

    ``entry``: the URL's entry, already locked in this transaction (``lock_entries``); without it the
    entry is looked up, and created if missing."""
    if entry is not None:
        row = entry
    else:
        key = frontier_key(outcome.url)
        row = entries_for(session, {key: new_row(portal_id, outcome.url, "article", outcome.fetched_at)})[key]
    was_archived = row.state in (FrontierState.ARCHIVED, FrontierState.REMOVED) or row.article_id is not None
    row.last_fetched_at = outcome.fetched_at
    row.http_status = outcome.http_status or row.http_status
    if outcome.article_id is not None:
        row.article_id = outcome.article_id
    if outcome.published_at is not None:
        row.published_at = outcome.published_at
    if outcome.headers:
        lowered = {str(name).lower(): value for name, value in outcome.headers.items()}
        row.etag = _first(lowered.get("etag")) or row.etag
        row.last_modified = _first(lowered.get("last-modified")) or row.last_modified
    gone = outcome.http_status in (404, 410)
    if gone and was_archived:
        row.state, row.reason, row.attempts = FrontierState.REMOVED.value, outcome.reason, 0
        row.next_fetch_at = outcome.fetched_at + policy.max_retry  # in case it comes back
        _mark_article_removed(session, row.article_id, outcome)
        return row
    if outcome.state == FrontierState.FAILED:
        row.attempts += 1
        row.state, row.reason = FrontierState.FAILED.value, outcome.reason
        if _fetched_for_good(row):  # gone or forbidden: a retry would not cure it soon
            row.next_fetch_at = outcome.fetched_at + policy.max_retry
        else:
            row.next_fetch_at = policy.next_retry(outcome.fetched_at, row.attempts)
        return row
    row.attempts = 0
    row.state, row.reason = outcome.state, outcome.reason
    if row.state == FrontierState.ARCHIVED and row.article_id is not None and not outcome.new_article:
        _mark_article_back(session, row.article_id)
    row.next_fetch_at = policy.next_fetch(outcome.fetched_at, row.published_at)
    return row


def _mark_article_removed(session: Session, article_id: int | None, outcome: FetchOutcome) -> None:
    article = session.get(Article, article_id) if article_id is not None else None
    if article is not None and article.removed_at is None:
        article.removed_at, article.removed_http_status = outcome.fetched_at, outcome.http_status


def _mark_article_back(session: Session, article_id: int) -> None:
    article = session.get(Article, article_id)
    if article is not None and article.removed_at is not None:
        article.removed_at, article.removed_http_status = None, None


def _first(value: Any) -> str | None:
    # Headers are stored as Scrapy gives them: a list of values per name.
    if isinstance(value, list):
        return str(value[0]) if value else None
    return str(value) if value else None
