"""`make bench-search [ARTICLES=N]`: search latency on SQLite and PostgreSQL (figures, no asserts).

Articles are the replica generator's (many small worlds, as bench-dedup), bulk-inserted with the
search columns the archive writes (storage.search.fields) so the indexes are the real ones. Each
query kind is timed through storage.search.engine.search_articles (count, ranking, one page of 20,
snippets), the facet counts through the function the browser's search page calls. Building the
archive is timed and its size on disk printed. ``--keep`` leaves both archives (and the queries drawn,
in a JSON file beside the SQLite one) in place, so a later run with ``--keep`` measures them again
without building: before and after a change of the search code, on the same data.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, text

from storage.db import open_archive
from storage.models import Article, Portal
from storage.search.counts import facet_counts
from storage.search.engine import search_articles
from storage.search.fields import search_fields
from storage.search.filters import SearchFilters
from storage.search.query import WORD, parse_query
from storage.text import content_hash
from tests.replica import build_world

PORTALS = 5
WORLD_ARTICLES = 1000  # per portal and world: the title generator slows down past a few thousand
QUERIES = 200  # per kind; the facet counts get a fifth of that (one word each, common words only)
KINDS = ("one word", "two words", "phrase", "filtered", "sort date", "page 50", "facets")


def _articles(seed: int) -> list[dict[str, Any]]:
    """Worker: the Vietnamese articles of one replica world as article-row values."""
    world = build_world(portals=PORTALS, articles=WORLD_ARTICLES, seed=seed)
    rows = []
    for portal in world.portals:
        for article in portal.articles:
            if article.language != "vi":
                continue
            generated = world.text(article)
            body = "\n".join(generated.paragraphs)
            rows.append({"portal": portal.key, "title": article.title, "sapo": generated.sapo, "text": body,
                         "published_at": article.published_at, "seed": seed, "aid": article.aid})  # fmt: skip
    return rows


def build(url: str, corpus: list[dict[str, Any]]) -> None:
    """Create the archive at ``url`` and bulk-insert ``corpus`` (search columns as the archive writes)."""
    engine, factory = open_archive(url, create=True)
    now = datetime.now(UTC)
    with factory.begin() as session:
        keys = sorted({row["portal"] for row in corpus})
        session.add_all(Portal(key=key, name=f"Báo {key}", home_url=f"https://{key}.example") for key in keys)
        session.flush()
        ids = {key: session.query(Portal.id).filter_by(key=key).scalar() for key in keys}
    batch: list[dict[str, Any]] = []
    for number, row in enumerate(corpus):
        url_ = f"https://{row['portal']}.example/{row['seed']}/{row['aid']}"
        batch.append({
            "portal_id": ids[row["portal"]], "url": url_, "canonical_url": url_, "title": row["title"],
            "sapo": row["sapo"], "text": row["text"], "categories": [], "tags": [], "date_warnings": [],
            "language": "vi", "language_confidence": 0.99, "status": "archived",
            "content_hash": content_hash(row["text"] + str(number)), "version": 1,
            "first_captured_at": now, "captured_at": now, "published_at": row["published_at"],
            **search_fields(row["title"], row["sapo"], row["text"]),
        })  # fmt: skip
        if len(batch) == 2000:
            with factory.begin() as session:
                session.execute(insert(Article), batch)
            batch = []
    if batch:
        with factory.begin() as session:
            session.execute(insert(Article), batch)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE articles"))
    engine.dispose()


Workload = dict[str, list[tuple[str, SearchFilters]]]


def queries(corpus: list[dict[str, Any]], rng: random.Random, count: int = QUERIES) -> Workload:
    """Return ``count`` queries of each kind (a fifth of that for the facets), drawn from the titles.

    "sort date" and "page 50" are one-word queries (the most matches); "facets" counts one of the 50
    commonest title words (a common word is the costly case: every match is counted).
    """
    titles = [WORD.findall(row["title"]) for row in corpus]
    titles = [words for words in titles if len(words) >= 4]
    years = sorted({row["published_at"].year for row in corpus})
    frequency: dict[str, int] = {}
    for words in titles:
        for word in {word.lower() for word in words}:
            frequency[word] = frequency.get(word, 0) + 1
    common = sorted(frequency, key=lambda word: (-frequency[word], word))[:50]
    out: Workload = {kind: [] for kind in KINDS}
    for number in range(count):
        words = rng.choice(titles)
        start = rng.randrange(len(words) - 2)
        out["one word"].append((words[start], SearchFilters()))
        out["two words"].append((" ".join(words[start : start + 2]), SearchFilters()))
        out["phrase"].append(('"' + " ".join(words[start : start + 3]) + '"', SearchFilters()))
        year = rng.choice(years)
        since = datetime(year, 1, 1, tzinfo=UTC) - timedelta(hours=7)
        window = SearchFilters(
            portals=(rng.choice(sorted({row["portal"] for row in corpus})),), since=since,
            until=since + timedelta(days=183),
        )  # fmt: skip
        out["filtered"].append((" ".join(words[start : start + 2]), window))
        out["sort date"].append((words[rng.randrange(len(words))], SearchFilters()))
        out["page 50"].append((words[rng.randrange(len(words))], SearchFilters()))
        if number % 5 == 0:
            out["facets"].append((rng.choice(common), SearchFilters()))
    return out


def _run(session: Any, kind: str, query: str, filters: SearchFilters) -> int:
    """Run one query of ``kind``; return the number of matches it shows."""
    if kind == "facets":
        counts = facet_counts(session, parse_query(query), filters)
        return sum(value.count for value in counts["status"])
    if kind == "sort date":
        return search_articles(session, query, filters, limit=20, sort="date").total
    if kind == "page 50":
        return search_articles(session, query, filters, limit=20, page=50).total
    return search_articles(session, query, filters, limit=20).total


def measure(url: str, workload: Workload) -> dict[str, tuple[float, float, float]]:
    """Return per kind (p50 ms, p95 ms, mean matches)."""
    engine, factory = open_archive(url, read_only=True)
    results = {}
    with factory() as session:
        for query, filters in workload["two words"][:10]:  # warm caches
            search_articles(session, query, filters)
        for kind, items in workload.items():
            times, totals = [], []
            for query, filters in items:
                started = time.perf_counter()
                totals.append(_run(session, kind, query, filters))
                times.append((time.perf_counter() - started) * 1000)
                session.rollback()  # each search its own transaction, as in the CLI and the browser
            times.sort()
            results[kind] = (
                statistics.median(times),
                times[int(0.95 * (len(times) - 1))],
                statistics.mean(totals),
            )
    engine.dispose()
    return results


def _filters_json(filters: SearchFilters) -> dict[str, Any]:
    return {"portals": list(filters.portals), "since": filters.since and filters.since.isoformat(),
            "until": filters.until and filters.until.isoformat()}  # fmt: skip


def _filters_of(values: dict[str, Any]) -> SearchFilters:
    since, until = (
        datetime.fromisoformat(values[key]) if values[key] else None for key in ("since", "until")
    )
    return SearchFilters(portals=tuple(values["portals"]), since=since, until=until)


def _disk_mb(url: str) -> float:
    """The archive's size on disk in MB (SQLite: the file and its WAL; PostgreSQL: the database)."""
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        return (
            sum(os.path.getsize(path + suffix) for suffix in ("", "-wal") if os.path.exists(path + suffix))
            / 1e6
        )
    engine = create_engine(url)
    with engine.connect() as connection:
        size = connection.scalar(text("SELECT pg_database_size(current_database())")) or 0
    engine.dispose()
    return size / 1e6


def _articles_in(url: str) -> int:
    """The number of articles of the archive at ``url``, 0 when it does not exist."""
    try:
        engine = create_engine(url)
        with engine.connect() as connection:
            count = connection.scalar(text("SELECT count(*) FROM articles")) or 0
        engine.dispose()
    except Exception:  # no such database or table: nothing kept
        return 0
    return int(count)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=QUERIES, help="queries per kind (facets: a fifth)")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--backends", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--keep", action="store_true", help="keep the archives; reuse them when they exist")
    parser.add_argument("--sqlite", default=None, help="default: sqlite:///.bench-search-ARTICLES.sqlite3")
    parser.add_argument("--postgres-admin", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args(argv)
    backends = [name.strip().lower() for name in args.backends.split(",") if name.strip()]
    sqlite_url = args.sqlite or f"sqlite:///.bench-search-{args.articles}.sqlite3"
    sqlite_path = sqlite_url.removeprefix("sqlite:///")
    saved = Path(sqlite_path + f".queries-{args.queries}.json")
    database = f"bench_search_{args.articles}" if args.keep else f"bench_search_{uuid.uuid4().hex[:8]}"
    postgres = args.postgres_admin.rsplit("/", 1)[0] + "/" + database
    urls = {"sqlite": ("SQLite", sqlite_url), "postgresql": ("PostgreSQL", postgres)}
    kept = {name: args.keep and _articles_in(urls[name][1]) >= args.articles for name in backends}

    corpus: list[dict[str, Any]] = []
    if not all(kept.values()) or not saved.exists():
        started = time.perf_counter()
        per_world = PORTALS * WORLD_ARTICLES
        seeds = [args.seed * 1000 + i for i in range(-(-args.articles // per_world) + 1)]
        with ProcessPoolExecutor(args.workers) as pool:
            corpus = [row for rows in pool.map(_articles, seeds) for row in rows][: args.articles]
        print(f"generated {len(corpus)} articles in {time.perf_counter() - started:.0f} s", flush=True)
    if saved.exists():
        stored = json.loads(saved.read_text())
        workload = {
            kind: [(query, _filters_of(values)) for query, values in items] for kind, items in stored.items()
        }
    else:
        workload = queries(corpus, random.Random(args.seed), args.queries)
        if args.keep:
            saved.write_text(json.dumps({kind: [(query, _filters_json(f)) for query, f in items]
                                         for kind, items in workload.items()}))  # fmt: skip

    admin = create_engine(args.postgres_admin, isolation_level="AUTOCOMMIT")
    try:
        for backend in backends:
            name, url = urls[backend]
            if kept[backend]:
                engine, _ = open_archive(url, create=True)  # migrated to this code's schema
                engine.dispose()
                print(f"\n{name}: the kept archive, {_disk_mb(url):.0f} MB on disk")
            else:
                if backend == "sqlite":
                    for suffix in ("", "-wal", "-shm"):
                        Path(sqlite_path + suffix).unlink(missing_ok=True)
                else:
                    with admin.connect() as connection:
                        connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
                        connection.execute(text(f'CREATE DATABASE "{database}"'))
                started = time.perf_counter()
                build(url, corpus)
                elapsed = time.perf_counter() - started
                print(f"\n{name}: {len(corpus)} articles built in {elapsed:.0f} s, {_disk_mb(url):.0f} MB")
            print(f"  {'query':<10} {'p50 ms':>8} {'p95 ms':>8} {'matches (mean)':>15}")
            for kind, (p50, p95, matches) in measure(url, workload).items():
                print(f"  {kind:<10} {p50:8.1f} {p95:8.1f} {matches:15.0f}", flush=True)
    finally:
        if not args.keep:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
            for suffix in ("", "-wal", "-shm"):
                Path(sqlite_path + suffix).unlink(missing_ok=True)
        admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
